//! The C side of `libSaTmr` over `ais_client::tmr`: handle state, the C callback, the
//! clock. `mod.rs` does the C pointer work around it.

use super::state::HANDLES;
use crate::boundary::call::code;
use crate::boundary::Code;
use crate::runtime::DispatchMode;
use crate::types::ais::SaTimeT;
use crate::types::tmr::{SaTmrCallbacksT, SaTmrTimerAttributesT, SaTmrTimerExpiredCallbackT};
use ais_client::tmr::{Attributes, Tmr};

pub use ais_client::tmr::time_now;

// A plain C function pointer, callable from any thread.
#[derive(Clone, Copy)]
pub struct Callback(pub SaTmrTimerExpiredCallbackT);
unsafe impl Send for Callback {}
unsafe impl Sync for Callback {}

pub struct TmrHandle {
    pub conn: Tmr,
    pub expired: Callback,
}

/// Opens a handle; `callbacks` is copied (None: no callback).
pub fn open(callbacks: Option<SaTmrCallbacksT>) -> Result<u64, Code> {
    let conn = Tmr::open().map_err(|e| code(e.error))?;
    HANDLES.insert(TmrHandle {
        conn,
        expired: Callback(callbacks.and_then(|c| c.saTmrTimerExpiredCallback)),
    })
}

/// The attributes as they travel (the executive checks them).
pub fn attributes(a: &SaTmrTimerAttributesT) -> Attributes {
    Attributes {
        time_type: a.r#type,
        initial: a.initialExpirationTime,
        period: a.timerPeriodDuration,
    }
}

/// The C attributes of `a`.
pub fn c_attributes(a: &Attributes) -> SaTmrTimerAttributesT {
    SaTmrTimerAttributesT {
        r#type: a.time_type,
        initialExpirationTime: a.initial,
        timerPeriodDuration: a.period,
    }
}

/// The resolution of `CLOCK_REALTIME`, the clock of `saTmrTimeGet`.
pub fn clock_tick() -> Option<SaTimeT> {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec.
    if unsafe { libc::clock_getres(libc::CLOCK_REALTIME, &mut t) } != 0 {
        return None;
    }
    Some(t.tv_sec as SaTimeT * 1_000_000_000 + t.tv_nsec as SaTimeT)
}

/// Runs the handle's pending expirations through its callback.
pub fn dispatch(h: &TmrHandle, mode: DispatchMode) -> Result<(), Code> {
    let cb = h.expired.0;
    h.conn
        .dispatch(mode, |e| {
            let Some(f) = cb else { return };
            // SAFETY: the application's callback; the data is the pointer it gave.
            unsafe { f(e.id, e.data as usize as *const core::ffi::c_void, e.count) };
        })
        .map_err(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::tmr::SA_TIME_DURATION;

    #[test]
    fn attributes_convert_both_ways() {
        let c = SaTmrTimerAttributesT {
            r#type: SA_TIME_DURATION,
            initialExpirationTime: 5,
            timerPeriodDuration: 7,
        };
        let a = attributes(&c);
        assert_eq!(
            (a.time_type, a.initial, a.period),
            (ais_proto::tmr::TIME_DURATION, 5, 7)
        );
        let back = c_attributes(&a);
        assert_eq!(
            (back.r#type, back.initialExpirationTime, back.timerPeriodDuration),
            (2, 5, 7)
        );
    }

    #[test]
    fn the_clock_has_a_positive_resolution_of_at_most_a_second() {
        let t = clock_tick().unwrap();
        assert!(t > 0 && t <= 1_000_000_000);
    }
}
