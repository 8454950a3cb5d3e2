//! `SaTimeT` as services read it: CLOCK_REALTIME nanoseconds since the
//! epoch, the clock absolute times in the AIS APIs are defined against. A
//! service holds a [`WallClock`] instead of reading the system clock, so
//! tests and the simulator can give it one of their own.

use std::sync::Arc;

/// The system's wall clock now, as an `SaTimeT`.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// A service's source of `SaTimeT`: the system's by default. Clones read
/// the same clock (every service of a simulated node reads the simulator's).
#[derive(Clone)]
pub struct WallClock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl WallClock {
    /// Another clock (tests, the simulator).
    pub fn new(f: impl Fn() -> i64 + Send + Sync + 'static) -> WallClock {
        WallClock(Arc::new(f))
    }

    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for WallClock {
    fn default() -> WallClock {
        WallClock::new(system_now)
    }
}
