//! `saTmr.h` types: the Timer Service API, SAI-AIS-TMR-A.01.01, laid out as the SA Forum
//! header declares them. cbindgen renders this file, with the functions in `crate::tmr`,
//! into `include/saTmr.h`.

use super::ais::{SaTimeT, SaUint64T};
use core::ffi::c_void;

pub type SaTmrHandleT = SaUint64T;
pub type SaTmrTimerIdT = SaUint64T;

sa_enums! {
    /// What a timer's initial expiration time is.
    pub enum SaTmrTimeTypeT {
        /// A time since the epoch, the clock `saTmrTimeGet` reports.
        SA_TIME_ABSOLUTE = 1,
        /// A duration from the call.
        SA_TIME_DURATION = 2,
    }
}

/// A timer: when it first expires, and its period (0: a single-event timer).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaTmrTimerAttributesT {
    pub r#type: SaTmrTimeTypeT,
    pub initialExpirationTime: SaTimeT,
    pub timerPeriodDuration: SaTimeT,
}

/// A timer expired: its id, the data given to `saTmrTimerStart`, and the expirations
/// since it was started (or rescheduled), this one included.
pub type SaTmrTimerExpiredCallbackT =
    Option<unsafe extern "C" fn(timerId: SaTmrTimerIdT, timerData: *const c_void, expirationCount: SaUint64T)>;

/// What `saTmrInitialize` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaTmrCallbacksT {
    pub saTmrTimerExpiredCallback: SaTmrTimerExpiredCallbackT,
}
