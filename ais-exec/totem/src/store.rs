//! Where the highest ring sequence number is kept across restarts.
//!
//! A node that restarted must never form a ring with an identifier it used
//! before, so the sequence number is saved before each new ring is proposed
//! or accepted. The daemon keeps it in a file; tests keep it in memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub trait RingSeqStore {
    /// The highest ring sequence number saved so far (0 if none).
    fn load(&mut self) -> u64;
    /// Saves `seq`; called before the ring it names is used.
    fn save(&mut self, seq: u64);
}

/// A store that lives in memory and may be shared by successive instances
/// (a restarted node in a simulation keeps its "disk").
#[derive(Clone, Default)]
pub struct MemoryStore(Arc<AtomicU64>);

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl RingSeqStore for MemoryStore {
    fn load(&mut self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    fn save(&mut self, seq: u64) {
        self.0.store(seq, Ordering::Relaxed)
    }
}
