//! `saAis.h`: the types every AIS service shares, as of the SA Forum AIS B.05.01 common
//! header, plus the openais additions old programs use (`SA_AIS_ERR_SECURITY`,
//! `SA_HANDLE_INVALID`, `SaNtfIdentifierT`).
//!
//! cbindgen renders this file into `include/saAis.h`; doc comments become header comments.

use core::ffi::{c_char, c_double, c_float, c_int, c_longlong, c_short, c_uchar, c_uint, c_ulonglong, c_ushort};

// The integer types are the C types the SA Forum header names (`char`, `long long`, ...),
// not <stdint.h> ones: `unsigned long long` and `uint64_t` differ for printf formats and
// pointer compatibility, and programs are written against the spec.
pub type SaInt8T = c_char;
pub type SaInt16T = c_short;
pub type SaInt32T = c_int;
pub type SaInt64T = c_longlong;
pub type SaUint8T = c_uchar;
pub type SaUint16T = c_ushort;
pub type SaUint32T = c_uint;
pub type SaUint64T = c_ulonglong;

pub type SaFloatT = c_float;
pub type SaDoubleT = c_double;
pub type SaStringT = *mut c_char;

/// Nanoseconds; absolute times count from 1 January 1970 UTC.
pub type SaTimeT = SaInt64T;
pub type SaInvocationT = SaUint64T;
pub type SaSizeT = SaUint64T;
pub type SaOffsetT = SaUint64T;
pub type SaSelectionObjectT = SaUint64T;

pub const SA_TIME_END: SaTimeT = 0x7FFF_FFFF_FFFF_FFFFi64;
pub const SA_TIME_BEGIN: SaTimeT = 0i64;
// The lowest SaTimeT, written as C's LLONG_MIN is: the literal 9223372036854775808 does not
// fit a long long (the spec's 0x8000000000000000LL silently becomes unsigned).
pub const SA_TIME_UNKNOWN: SaTimeT = -0x7FFF_FFFF_FFFF_FFFFi64 - 1;

// Suffixed so the C macros are long long: `5 * SA_TIME_ONE_SECOND` must not overflow int.
pub const SA_TIME_ONE_MICROSECOND: SaTimeT = 1_000i64;
pub const SA_TIME_ONE_MILLISECOND: SaTimeT = 1_000_000i64;
pub const SA_TIME_ONE_SECOND: SaTimeT = 1_000_000_000i64;
pub const SA_TIME_ONE_MINUTE: SaTimeT = 60_000_000_000i64;
pub const SA_TIME_ONE_HOUR: SaTimeT = 3_600_000_000_000i64;
pub const SA_TIME_ONE_DAY: SaTimeT = 86_400_000_000_000i64;
pub const SA_TIME_MAX: SaTimeT = SA_TIME_END;

pub const SA_MAX_NAME_LENGTH: usize = 256;

// Track flags (an SaUint8T bit set in every service's track call).
pub const SA_TRACK_CURRENT: SaUint8T = 0x01;
pub const SA_TRACK_CHANGES: SaUint8T = 0x02;
pub const SA_TRACK_CHANGES_ONLY: SaUint8T = 0x04;
pub const SA_TRACK_LOCAL: SaUint8T = 0x08;
pub const SA_TRACK_START_STEP: SaUint8T = 0x10;
pub const SA_TRACK_VALIDATE_STEP: SaUint8T = 0x20;

/// openais: the handle value no initialize call ever returns.
pub const SA_HANDLE_INVALID: SaUint64T = 0u64;

sa_enums! {
    pub enum SaBoolT {
        SA_FALSE = 0,
        SA_TRUE = 1,
    }

    pub enum SaDispatchFlagsT {
        SA_DISPATCH_ONE = 1,
        SA_DISPATCH_ALL = 2,
        SA_DISPATCH_BLOCKING = 3,
    }

    /// The return code of every AIS call.
    pub enum SaAisErrorT {
        SA_AIS_OK = 1,
        SA_AIS_ERR_LIBRARY = 2,
        SA_AIS_ERR_VERSION = 3,
        SA_AIS_ERR_INIT = 4,
        SA_AIS_ERR_TIMEOUT = 5,
        SA_AIS_ERR_TRY_AGAIN = 6,
        SA_AIS_ERR_INVALID_PARAM = 7,
        SA_AIS_ERR_NO_MEMORY = 8,
        SA_AIS_ERR_BAD_HANDLE = 9,
        SA_AIS_ERR_BUSY = 10,
        SA_AIS_ERR_ACCESS = 11,
        SA_AIS_ERR_NOT_EXIST = 12,
        SA_AIS_ERR_NAME_TOO_LONG = 13,
        SA_AIS_ERR_EXIST = 14,
        SA_AIS_ERR_NO_SPACE = 15,
        SA_AIS_ERR_INTERRUPT = 16,
        SA_AIS_ERR_NAME_NOT_FOUND = 17,
        SA_AIS_ERR_NO_RESOURCES = 18,
        SA_AIS_ERR_NOT_SUPPORTED = 19,
        SA_AIS_ERR_BAD_OPERATION = 20,
        SA_AIS_ERR_FAILED_OPERATION = 21,
        SA_AIS_ERR_MESSAGE_ERROR = 22,
        SA_AIS_ERR_QUEUE_FULL = 23,
        SA_AIS_ERR_QUEUE_NOT_AVAILABLE = 24,
        SA_AIS_ERR_BAD_FLAGS = 25,
        SA_AIS_ERR_TOO_BIG = 26,
        SA_AIS_ERR_NO_SECTIONS = 27,
        SA_AIS_ERR_NO_OP = 28,
        SA_AIS_ERR_REPAIR_PENDING = 29,
        SA_AIS_ERR_NO_BINDINGS = 30,
        SA_AIS_ERR_UNAVAILABLE = 31,
        SA_AIS_ERR_CAMPAIGN_ERROR_DETECTED = 32,
        SA_AIS_ERR_CAMPAIGN_PROC_FAILED = 33,
        SA_AIS_ERR_CAMPAIGN_CANCELED = 34,
        SA_AIS_ERR_CAMPAIGN_FAILED = 35,
        SA_AIS_ERR_CAMPAIGN_SUSPENDED = 36,
        SA_AIS_ERR_CAMPAIGN_SUSPENDING = 37,
        SA_AIS_ERR_ACCESS_DENIED = 38,
        SA_AIS_ERR_NOT_READY = 39,
        SA_AIS_ERR_DEPLOYMENT = 40,
        /// openais only.
        SA_AIS_ERR_SECURITY = 100,
    }

    pub enum SaServicesT {
        SA_SVC_HPI = 1,
        SA_SVC_AMF = 2,
        SA_SVC_CLM = 3,
        SA_SVC_CKPT = 4,
        SA_SVC_EVT = 5,
        SA_SVC_MSG = 6,
        SA_SVC_LCK = 7,
        SA_SVC_IMMS = 8,
        /// Spelled so in the SA Forum header.
        SA_SCV_LOG = 9,
        SA_SVC_NTF = 10,
        SA_SVC_NAM = 11,
        SA_SVC_TMR = 12,
        SA_SVC_SMF = 13,
        SA_SVC_SEC = 14,
        SA_SVC_PLM = 15,
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaAnyT {
    pub bufferSize: SaSizeT,
    pub bufferAddr: *mut SaUint8T,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaNameT {
    pub length: SaUint16T,
    pub value: [SaUint8T; SA_MAX_NAME_LENGTH],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaVersionT {
    pub releaseCode: SaUint8T,
    pub majorVersion: SaUint8T,
    pub minorVersion: SaUint8T,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union SaLimitValueT {
    pub int64Value: SaInt64T,
    pub uint64Value: SaUint64T,
    pub timeValue: SaTimeT,
    pub floatValue: SaFloatT,
    pub doubleValue: SaDoubleT,
}

/// A notification identifier (saNtf.h); here because CLM B.04 callbacks carry them and old
/// openais programs found it in saAis.h.
pub type SaNtfIdentifierT = SaUint64T;

/// The notification correlation of a CLM B.04 track callback (saNtf.h).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaNtfCorrelationIdsT {
    pub rootCorrelationId: SaNtfIdentifierT,
    pub parentCorrelationId: SaNtfIdentifierT,
    pub notificationId: SaNtfIdentifierT,
}
