//! What a connection may cost before its credentials are checked.
//!
//! The socket is abstract, so any local account can connect. Until a connection has
//! passed the access check (a request socket) or presented its cookie (a dispatch
//! socket) it holds an `Admission` ticket: at most [`IpcConfig::handshake_connections`]
//! tickets exist at once, and a new connection beyond that closes the oldest one still in
//! its handshake (a client that completes it takes well under a millisecond, one that
//! stalls is the oldest). With the handshake frame read under its own small limit
//! ([`ais_proto::Limits::handshake`]) and the handshake deadline, that bounds what
//! strangers can hold: a few KiB each, for a few seconds.
//!
//! [`IpcConfig::handshake_connections`]: super::IpcConfig::handshake_connections

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The connections in their handshake, oldest first.
pub(super) struct Admission {
    limit: usize,
    state: Mutex<State>,
    evictions: RateLimitedLog,
}

#[derive(Default)]
struct State {
    next: u64,
    waiting: BTreeMap<u64, Arc<Notify>>,
}

impl Admission {
    pub(super) fn new(limit: usize) -> Admission {
        Admission {
            limit: limit.max(1),
            state: Mutex::default(),
            evictions: RateLimitedLog::new(Duration::from_secs(10)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; recover the map rather than propagate a poison.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A ticket for a new connection; closes the oldest one in its handshake if there are
    /// as many as the limit already.
    pub(super) fn admit(self: &Arc<Self>) -> Ticket {
        let evict = Arc::new(Notify::new());
        let mut st = self.state();
        if st.waiting.len() >= self.limit {
            if let Some((_, oldest)) = st.waiting.pop_first() {
                oldest.notify_one();
                if let Some(n) = self.evictions.hit() {
                    log::warn!(
                        "ipc: {} connections in their handshake at once; closing the oldest ({n} closed since the last report)",
                        self.limit
                    );
                }
            }
        }
        let id = st.next;
        st.next += 1;
        st.waiting.insert(id, evict.clone());
        Ticket {
            id,
            evict,
            admission: self.clone(),
        }
    }

    /// Connections in their handshake now.
    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.state().waiting.len()
    }
}

/// A connection's place among those in their handshake; dropping it (the peer passed,
/// or the connection ended) frees the place.
pub(super) struct Ticket {
    id: u64,
    evict: Arc<Notify>,
    admission: Arc<Admission>,
}

impl Ticket {
    /// Completes when a newer connection took this one's place.
    pub(super) async fn evicted(&self) {
        self.evict.notified().await
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.state().waiting.remove(&self.id);
    }
}

/// One log line per `every` for an event a stranger can cause at will (the rest are
/// counted into the next line), so that connecting in a loop cannot flood the log.
pub(super) struct RateLimitedLog {
    every: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl RateLimitedLog {
    pub(super) fn new(every: Duration) -> RateLimitedLog {
        RateLimitedLog {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// Counts one event; `Some(events since the last line, this one included)` when a
    /// line is due.
    pub(super) fn hit(&self) -> Option<u64> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.1 += 1;
        let now = Instant::now();
        if st.0.is_some_and(|last| now.duration_since(last) < self.every) {
            return None;
        }
        st.0 = Some(now);
        Some(std::mem::take(&mut st.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_connection_in_its_handshake_is_closed_beyond_the_limit() {
        let a = Arc::new(Admission::new(2));
        let first = a.admit();
        let second = a.admit();
        assert_eq!(a.waiting(), 2);
        let third = a.admit();
        assert_eq!(a.waiting(), 2, "never more than the limit");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let t = Duration::from_millis(100);
            assert!(
                tokio::time::timeout(t, first.evicted()).await.is_ok(),
                "the oldest goes"
            );
            assert!(tokio::time::timeout(t, second.evicted()).await.is_err());
            assert!(tokio::time::timeout(t, third.evicted()).await.is_err());
        });
        drop((first, second));
        assert_eq!(a.waiting(), 1, "a finished handshake frees its place");
        drop(third);
        assert_eq!(a.waiting(), 0);
    }

    #[test]
    fn a_rate_limited_log_says_once_per_period_how_many() {
        let l = RateLimitedLog::new(Duration::from_secs(3600));
        assert_eq!(l.hit(), Some(1));
        assert_eq!(l.hit(), None);
        assert_eq!(l.hit(), None);
        let l = RateLimitedLog::new(Duration::ZERO);
        assert_eq!(l.hit(), Some(1));
        assert_eq!(l.hit(), Some(1));
    }
}
