//! `<corosync/corotypes.h>`: the types corosync's client libraries share, as corosync 3
//! declares them (`cs_error_t` with the SaAisErrorT numbers, `cs_dispatch_flags_t`, ...).
//!
//! cbindgen renders this file into `include/corosync/corotypes.h`; the macros and inline
//! helpers C programs also expect there (`CS_MAX`, `CS_PRI_NODE_ID`, `cs_timestamp_get`,
//! `cs_strerror`) are C text the header generator appends.

use core::ffi::{c_char, c_uchar};

pub type cs_time_t = i64;

pub const CS_FALSE: i32 = 0;
pub const CS_TRUE: i32 = 1;
pub const CS_MAX_NAME_LENGTH: usize = 256;
pub const CS_TIME_END: cs_time_t = 0x7FFF_FFFF_FFFF_FFFFi64;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cs_name_t {
    pub length: u16,
    pub value: [u8; CS_MAX_NAME_LENGTH],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct cs_version_t {
    pub releaseCode: c_char,
    pub majorVersion: c_uchar,
    pub minorVersion: c_uchar,
}

pub const CS_TRACK_CURRENT: u8 = 0x01;
pub const CS_TRACK_CHANGES: u8 = 0x02;
pub const CS_TRACK_CHANGES_ONLY: u8 = 0x04;

/// No timeout on a library's IPC call.
pub const CS_IPC_TIMEOUT_MS: i32 = -1;

pub const CS_TIME_MS_IN_SEC: u64 = 1_000u64;
pub const CS_TIME_US_IN_SEC: u64 = 1_000_000u64;
pub const CS_TIME_NS_IN_SEC: u64 = 1_000_000_000u64;
pub const CS_TIME_US_IN_MSEC: u64 = 1_000u64;
pub const CS_TIME_NS_IN_MSEC: u64 = 1_000_000u64;
pub const CS_TIME_NS_IN_USEC: u64 = 1_000u64;

sa_enums! {
    pub enum cs_dispatch_flags_t {
        /// Wait for one callback and run it.
        CS_DISPATCH_ONE = 1,
        /// Run every pending callback; return at once when there is none.
        CS_DISPATCH_ALL = 2,
        /// Run callbacks as they come until the handle is finalized.
        CS_DISPATCH_BLOCKING = 3,
        /// Run one pending callback; `CS_ERR_TRY_AGAIN` when there is none.
        CS_DISPATCH_ONE_NONBLOCKING = 4,
    }

    /// The same numbers as `SaAisErrorT`.
    pub enum cs_error_t {
        CS_OK = 1,
        CS_ERR_LIBRARY = 2,
        CS_ERR_VERSION = 3,
        CS_ERR_INIT = 4,
        CS_ERR_TIMEOUT = 5,
        CS_ERR_TRY_AGAIN = 6,
        CS_ERR_INVALID_PARAM = 7,
        CS_ERR_NO_MEMORY = 8,
        CS_ERR_BAD_HANDLE = 9,
        CS_ERR_BUSY = 10,
        CS_ERR_ACCESS = 11,
        CS_ERR_NOT_EXIST = 12,
        CS_ERR_NAME_TOO_LONG = 13,
        CS_ERR_EXIST = 14,
        CS_ERR_NO_SPACE = 15,
        CS_ERR_INTERRUPT = 16,
        CS_ERR_NAME_NOT_FOUND = 17,
        CS_ERR_NO_RESOURCES = 18,
        CS_ERR_NOT_SUPPORTED = 19,
        CS_ERR_BAD_OPERATION = 20,
        CS_ERR_FAILED_OPERATION = 21,
        CS_ERR_MESSAGE_ERROR = 22,
        CS_ERR_QUEUE_FULL = 23,
        CS_ERR_QUEUE_NOT_AVAILABLE = 24,
        CS_ERR_BAD_FLAGS = 25,
        CS_ERR_TOO_BIG = 26,
        CS_ERR_NO_SECTIONS = 27,
        CS_ERR_CONTEXT_NOT_FOUND = 28,
        CS_ERR_TOO_MANY_GROUPS = 30,
        CS_ERR_SECURITY = 100,
    }
}
