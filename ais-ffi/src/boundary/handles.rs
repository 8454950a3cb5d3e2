//! The handle table every C library keeps: `SaXxxHandleT` values to library state.
//!
//! A handle is `tag << 48 | sequence`: the tag names the table (so a CLM handle passed to
//! CKPT is a bad handle, not somebody else's state), the sequence counts up from 1 and is
//! never reused within the process (2^48 handles), so a stale handle, even long after its
//! finalize, is always `SA_AIS_ERR_BAD_HANDLE`. No handle is 0 (`SA_HANDLE_INVALID`).
//!
//! Lookups return an `Arc`: a call in flight keeps the state alive while another thread
//! finalizes the handle, and the state is freed when the last user lets go.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::types::ais::{SaAisErrorT, SA_AIS_ERR_BAD_HANDLE, SA_AIS_ERR_NO_RESOURCES};

const SEQ_BITS: u32 = 48;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;

pub struct HandleTable<T> {
    tag: u16,
    inner: RwLock<Inner<T>>,
}

struct Inner<T> {
    last: u64,
    map: BTreeMap<u64, Arc<T>>,
}

impl<T> HandleTable<T> {
    /// A table whose handles carry `tag` in their top 16 bits; `const`, so each library can
    /// keep its table in a `static`.
    pub const fn new(tag: u16) -> HandleTable<T> {
        HandleTable {
            tag,
            inner: RwLock::new(Inner {
                last: 0,
                map: BTreeMap::new(),
            }),
        }
    }

    // A panic while holding the lock cannot leave the map inconsistent (each operation
    // is a single map call), so a poisoned lock is used as it is rather than propagated.
    fn read(&self) -> RwLockReadGuard<'_, Inner<T>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner<T>> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `value` under a new handle.
    pub fn insert(&self, value: T) -> Result<u64, SaAisErrorT> {
        self.insert_arc(Arc::new(value))
    }

    pub fn insert_arc(&self, value: Arc<T>) -> Result<u64, SaAisErrorT> {
        let mut t = self.write();
        if t.last >= SEQ_MASK {
            return Err(SA_AIS_ERR_NO_RESOURCES);
        }
        t.last += 1;
        let h = (u64::from(self.tag) << SEQ_BITS) | t.last;
        t.map.insert(h, value);
        Ok(h)
    }

    /// The state of a live handle.
    pub fn get(&self, handle: u64) -> Result<Arc<T>, SaAisErrorT> {
        self.read().map.get(&handle).cloned().ok_or(SA_AIS_ERR_BAD_HANDLE)
    }

    /// Removes a handle (finalize); later lookups of it fail. Returns the state so the
    /// caller can shut it down.
    pub fn remove(&self, handle: u64) -> Result<Arc<T>, SaAisErrorT> {
        self.write().map.remove(&handle).ok_or(SA_AIS_ERR_BAD_HANDLE)
    }

    /// Every live handle.
    pub fn handles(&self) -> Vec<u64> {
        self.read().map.keys().copied().collect()
    }

    /// Live handles.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove() {
        let t = HandleTable::new(3);
        let a = t.insert("a").unwrap();
        let b = t.insert("b").unwrap();
        assert_ne!(a, b);
        assert_eq!(a >> 48, 3);
        assert_ne!(a, 0);
        assert_eq!(*t.get(a).unwrap(), "a");
        let held = t.get(b).unwrap();
        assert_eq!(*t.remove(b).unwrap(), "b");
        assert_eq!(t.get(b).unwrap_err(), SA_AIS_ERR_BAD_HANDLE);
        assert_eq!(t.remove(b).unwrap_err(), SA_AIS_ERR_BAD_HANDLE);
        // A user that looked the handle up before the finalize still has the state.
        assert_eq!(*held, "b");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn handles_are_not_reused_and_are_tagged() {
        let t = HandleTable::new(1);
        let other = HandleTable::new(2);
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            let h = t.insert(i).unwrap();
            assert!(seen.insert(h));
            t.remove(h).unwrap();
            let o = other.insert(i).unwrap();
            // The other table's handle with the same sequence is a bad handle here.
            assert_eq!(t.get(o).unwrap_err(), SA_AIS_ERR_BAD_HANDLE);
        }
        for bogus in [0, u64::MAX, 1, 1 << 48] {
            assert_eq!(t.get(bogus).unwrap_err(), SA_AIS_ERR_BAD_HANDLE);
        }
    }

    #[test]
    fn concurrent_use() {
        static T: HandleTable<u64> = HandleTable::new(9);
        let threads: Vec<_> = (0..4)
            .map(|k| {
                std::thread::spawn(move || {
                    for i in 0..2000u64 {
                        let h = T.insert(k * 10_000 + i).unwrap();
                        assert_eq!(*T.get(h).unwrap(), k * 10_000 + i);
                        T.remove(h).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(T.is_empty());
    }
}
