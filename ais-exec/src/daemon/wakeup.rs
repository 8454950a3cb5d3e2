//! The driver's wake-up for service deadlines (`ServiceHost::wake_at`), to the
//! microsecond: tokio's timer wheel rounds every sleep up to a whole
//! millisecond, which alone would make a timer service's expirations up to a
//! millisecond late. A `CLOCK_MONOTONIC` timerfd, armed for each wait and
//! watched by the reactor, wakes the ordering task when the deadline comes.
//! Where no timerfd can be had, tokio's sleep stands in.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

/// A timerfd as the reactor sees it.
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Registers the timerfd with the reactor. tokio deprecates the safe
/// constructor because a borrowed descriptor could close while registered;
/// `Fd` owns its descriptor, which lives exactly as long as the registration,
/// so the case cannot arise (and `register`, its replacement, is `unsafe`,
/// which this crate forbids).
#[allow(deprecated)]
fn register(fd: Fd) -> Option<AsyncFd<Fd>> {
    AsyncFd::new(fd).ok()
}

/// One precise wake-up at a time. Create it inside the runtime.
pub struct Wakeup {
    fd: Option<AsyncFd<Fd>>,
}

impl Wakeup {
    pub fn new() -> Wakeup {
        let fd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .ok()
        .and_then(|t| register(Fd(t)));
        Wakeup { fd }
    }

    /// Returns at `deadline` (at once if it has passed).
    pub async fn until(&self, deadline: Instant) {
        let Some(fd) = &self.fd else {
            return tokio::time::sleep_until(deadline).await;
        };
        // A zero expiration would disarm the timer: a passed deadline is 1 ns away.
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_nanos(1));
        let arm = Expiration::OneShot(TimeSpec::from_duration(left));
        if fd.get_ref().0.set(arm, TimerSetTimeFlags::empty()).is_err() {
            return tokio::time::sleep_until(deadline).await;
        }
        loop {
            let Ok(mut ready) = fd.readable().await else {
                return tokio::time::sleep_until(deadline).await;
            };
            // Readiness left from an earlier arming reads EAGAIN: wait again.
            match ready.try_io(|f| f.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(_) => return,
                Err(_would_block) => continue,
            }
        }
    }
}

impl Default for Wakeup {
    fn default() -> Self {
        Wakeup::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wake-up is never early, and far finer than tokio's millisecond.
    #[tokio::test]
    async fn wakes_at_the_deadline_not_before() {
        let w = Wakeup::new();
        assert!(w.fd.is_some(), "timerfd unavailable");
        let mut late = Vec::new();
        for _ in 0..20 {
            let at = Instant::now() + Duration::from_micros(300);
            w.until(at).await;
            let now = Instant::now();
            assert!(now >= at);
            late.push(now - at);
        }
        // A passed deadline returns at once.
        w.until(Instant::now() - Duration::from_millis(5)).await;
        late.sort();
        // The median, robust to a loaded machine: well under tokio's 1 ms granularity.
        assert!(late[10] < Duration::from_micros(900), "median lateness {:?}", late[10]);
    }
}
