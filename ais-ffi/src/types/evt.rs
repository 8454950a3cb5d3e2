//! `saEvt.h` types: the Event Service API, SAI-AIS-EVT-B.01.01 with B.03.01's limits,
//! laid out as the SA Forum header declares them. cbindgen renders this file, with the
//! functions in `crate::evt`, into `include/saEvt.h`; `SA_EVT_LOST_EVENT` (a string) is
//! in the header's trailer.

use super::ais::{SaAisErrorT, SaInvocationT, SaSizeT, SaUint32T, SaUint64T, SaUint8T};

pub type SaEvtHandleT = SaUint64T;
pub type SaEvtEventHandleT = SaUint64T;
pub type SaEvtChannelHandleT = SaUint64T;
pub type SaEvtSubscriptionIdT = SaUint32T;

/// An event for a subscription: read it with `saEvtEventAttributesGet` and
/// `saEvtEventDataGet`, release it with `saEvtEventFree`.
pub type SaEvtEventDeliverCallbackT = Option<
    unsafe extern "C" fn(subscriptionId: SaEvtSubscriptionIdT, eventHandle: SaEvtEventHandleT, eventDataSize: SaSizeT),
>;

/// The result of `saEvtChannelOpenAsync`.
pub type SaEvtChannelOpenCallbackT =
    Option<unsafe extern "C" fn(invocation: SaInvocationT, channelHandle: SaEvtChannelHandleT, error: SaAisErrorT)>;

/// What `saEvtInitialize` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaEvtCallbacksT {
    pub saEvtChannelOpenCallback: SaEvtChannelOpenCallbackT,
    pub saEvtEventDeliverCallback: SaEvtEventDeliverCallbackT,
}

pub type SaEvtChannelOpenFlagsT = SaUint8T;
pub const SA_EVT_CHANNEL_PUBLISHER: SaEvtChannelOpenFlagsT = 0x1;
pub const SA_EVT_CHANNEL_SUBSCRIBER: SaEvtChannelOpenFlagsT = 0x2;
pub const SA_EVT_CHANNEL_CREATE: SaEvtChannelOpenFlagsT = 0x4;

/// One pattern: `patternSize` bytes at `pattern`, in a buffer of `allocatedSize`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaEvtEventPatternT {
    pub allocatedSize: SaSizeT,
    pub patternSize: SaSizeT,
    pub pattern: *mut SaUint8T,
}

/// An event's patterns: `patternsNumber` of them at `patterns`, room for
/// `allocatedNumber`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaEvtEventPatternArrayT {
    pub allocatedNumber: SaSizeT,
    pub patternsNumber: SaSizeT,
    pub patterns: *mut SaEvtEventPatternT,
}

pub type SaEvtEventPriorityT = SaUint8T;
pub const SA_EVT_HIGHEST_PRIORITY: SaEvtEventPriorityT = 0;
pub const SA_EVT_LOWEST_PRIORITY: SaEvtEventPriorityT = 3;

pub type SaEvtEventIdT = SaUint64T;
/// The id of an allocated event not yet published (ids up to 1000 are reserved).
pub const SA_EVT_EVENTID_NONE: SaEvtEventIdT = 0;
/// The id of the lost-event event.
pub const SA_EVT_EVENTID_LOST: SaEvtEventIdT = 1;

/// The largest event data.
pub const SA_EVT_DATA_MAX_LEN: SaSizeT = 65536;

sa_enums! {
    /// How a filter matches the pattern at its index.
    pub enum SaEvtEventFilterTypeT {
        SA_EVT_PREFIX_FILTER = 1,
        SA_EVT_SUFFIX_FILTER = 2,
        SA_EVT_EXACT_FILTER = 3,
        SA_EVT_PASS_ALL_FILTER = 4,
    }

    /// The limits `saEvtLimitGet` reports (B.03.01).
    pub enum SaEvtLimitIdT {
        SA_EVT_MAX_NUM_CHANNELS_ID = 1,
        SA_EVT_MAX_EVT_SIZE_ID = 2,
        SA_EVT_MAX_PATTERN_SIZE_ID = 3,
        SA_EVT_MAX_NUM_PATTERNS_ID = 4,
        SA_EVT_MAX_RETENTION_DURATION_ID = 5,
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaEvtEventFilterT {
    pub filterType: SaEvtEventFilterTypeT,
    pub filter: SaEvtEventPatternT,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaEvtEventFilterArrayT {
    pub filtersNumber: SaSizeT,
    pub filters: *mut SaEvtEventFilterT,
}
