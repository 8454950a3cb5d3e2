//! What the C layer keeps beside a handle (the application's callbacks it wraps, a
//! checkpoint's limits, ...): a map by handle that a `static` can hold.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub struct PerHandle<T> {
    map: Mutex<Option<HashMap<u64, T>>>,
}

impl<T: Copy> PerHandle<T> {
    pub const fn new() -> PerHandle<T> {
        PerHandle { map: Mutex::new(None) }
    }

    // A panic while the lock is held leaves the map consistent (single map calls).
    fn lock(&self) -> MutexGuard<'_, Option<HashMap<u64, T>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, handle: u64) -> Option<T> {
        self.lock().as_ref().and_then(|m| m.get(&handle).copied())
    }

    pub fn insert(&self, handle: u64, value: T) {
        self.lock().get_or_insert_with(HashMap::new).insert(handle, value);
    }

    pub fn remove(&self, handle: u64) {
        if let Some(m) = self.lock().as_mut() {
            m.remove(&handle);
        }
    }

    /// Runs `f` on a handle's value, if it has one.
    pub fn update<R>(&self, handle: u64, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.lock().as_mut().and_then(|m| m.get_mut(&handle)).map(f)
    }
}

impl<T: Copy> Default for PerHandle<T> {
    fn default() -> PerHandle<T> {
        PerHandle::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_handle() {
        let m: PerHandle<u32> = PerHandle::new();
        assert_eq!(m.get(1), None);
        m.insert(1, 10);
        m.insert(2, 20);
        assert_eq!(m.update(1, |v| std::mem::replace(v, 11)), Some(10));
        assert_eq!(m.update(3, |v| *v), None);
        m.remove(2);
        assert_eq!((m.get(1), m.get(2)), (Some(11), None));
    }
}
