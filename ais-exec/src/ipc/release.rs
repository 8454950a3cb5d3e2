//! Giving memory back to the system once clients are done with it.
//!
//! The executive's allocator (mimalloc) returns freed pages to the system only once its
//! purge delay (1 s) has passed, and only when it next releases a page itself or a thread
//! ends. An executive gone idle does neither, and would keep a departed abuser's peak (or
//! the last frames of a burst) until the next burst of traffic. So while clients are
//! active, and twice after they go quiet, a short-lived thread is run every
//! `EVERY`: its end makes the allocator purge what has expired. (`mi_collect` would do
//! the same, but is an unsafe call.) The cost is one thread start per tick, nothing when
//! idle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Longer than the allocator's purge delay.
const EVERY: Duration = Duration::from_millis(1500);
/// Ticks with no activity on which memory is still released (what was freed by the last
/// activity has expired by the second).
const QUIET_TICKS: u32 = 2;

/// Client activity since the server started, counted by the connections.
#[derive(Default)]
pub(super) struct Activity(AtomicU64);

impl Activity {
    /// Something was read, queued or closed.
    pub(super) fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs for the server's lifetime (aborted with it).
pub(super) async fn release_loop(activity: Arc<Activity>) {
    let mut seen = 0;
    let mut quiet = QUIET_TICKS;
    loop {
        tokio::time::sleep(EVERY).await;
        let now = activity.0.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            quiet = 0;
        } else if quiet < QUIET_TICKS {
            quiet += 1;
        } else {
            continue;
        }
        // The thread allocates, so the allocator sets it up, and tears it down (with the
        // purge) as it ends.
        let spawned = std::thread::Builder::new()
            .name("ais-release".into())
            .spawn(|| drop(std::hint::black_box(vec![0u8; 64])));
        if let Err(e) = spawned {
            log::debug!("ipc: no thread to release memory: {e}");
        }
    }
}
