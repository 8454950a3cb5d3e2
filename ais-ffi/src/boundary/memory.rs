//! Memory the library hands to the application: CLM notification arrays, CKPT section ids
//! and read buffers, CPG zero-copy buffers, and whatever the next services give out.
//!
//! It comes from `malloc` (B.01 programs release some of it with `free()`), and is recorded
//! here with what it belongs to: the handle it was given out for (a CLM or CPG handle, a
//! checkpoint handle), and within it a group (the B.01 iteration that owns a section id).
//! A free call releases a pointer only if it is recorded for that handle, so the library
//! never frees a pointer it did not allocate; closing the handle (or ending the group)
//! releases what the application did not free.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::call::Failure;
use super::check::INVALID;
use crate::types::ais::SA_AIS_ERR_NO_MEMORY;

/// What a block belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    /// The handle it was given out for, the one its free call names.
    handle: u64,
    /// A group within the handle released together (0: none).
    group: u64,
}

#[derive(Debug, Clone, Copy)]
struct Block {
    owner: Owner,
    size: usize,
}

/// The registry; one for the whole library ([`MEMORY`]).
pub struct LibraryMemory {
    blocks: Mutex<Option<HashMap<usize, Block>>>,
}

impl Default for LibraryMemory {
    fn default() -> LibraryMemory {
        LibraryMemory::new()
    }
}

/// Every block the library has given out and not yet taken back.
pub static MEMORY: LibraryMemory = LibraryMemory::new();

impl LibraryMemory {
    pub const fn new() -> LibraryMemory {
        LibraryMemory {
            blocks: Mutex::new(None),
        }
    }

    // A panic while the lock is held leaves the map consistent (single map calls).
    fn lock(&self) -> MutexGuard<'_, Option<HashMap<usize, Block>>> {
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `size` bytes (at least one) for `handle`, uninitialised.
    pub fn alloc(&self, handle: u64, group: u64, size: usize) -> Result<*mut u8, Failure> {
        // SAFETY: malloc of a non-zero size.
        let p = unsafe { libc::malloc(size.max(1)) } as *mut u8;
        if p.is_null() {
            return Err(Failure(SA_AIS_ERR_NO_MEMORY));
        }
        let owner = Owner { handle, group };
        self.lock()
            .get_or_insert_with(HashMap::new)
            .insert(p as usize, Block { owner, size });
        Ok(p)
    }

    /// A copy of `items` for `handle` (an array the application reads and frees).
    pub fn copy_out<T: Copy>(&self, handle: u64, group: u64, items: &[T]) -> Result<*mut T, Failure> {
        let p = self.alloc(handle, group, std::mem::size_of_val(items))? as *mut T;
        // SAFETY: `p` has room for `items` (malloc's alignment suits every C type) and is
        // new, so the two do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), p, items.len()) };
        Ok(p)
    }

    /// The size of a block given out for `handle`, if `p` is one.
    pub fn size_of(&self, handle: u64, p: *const u8) -> Option<usize> {
        let blocks = self.lock();
        let b = blocks.as_ref()?.get(&(p as usize))?;
        (b.owner.handle == handle).then_some(b.size)
    }

    /// Whether `p` is a block the library gave out (for any handle).
    pub fn is_ours(&self, p: *const u8) -> bool {
        self.lock().as_ref().is_some_and(|m| m.contains_key(&(p as usize)))
    }

    /// Frees a block given out for `handle`; anything else (NULL, a foreign pointer, a block
    /// of another handle, one freed already) is `SA_AIS_ERR_INVALID_PARAM`.
    pub fn free(&self, handle: u64, p: *mut u8) -> Result<(), Failure> {
        let mut blocks = self.lock();
        let map = blocks.as_mut().ok_or(INVALID)?;
        match map.get(&(p as usize)) {
            Some(b) if b.owner.handle == handle => {
                map.remove(&(p as usize));
                drop(blocks);
                // SAFETY: from malloc in `alloc`, and still recorded, so not freed since.
                unsafe { libc::free(p.cast()) };
                Ok(())
            }
            _ => Err(INVALID),
        }
    }

    /// Frees what `handle` still holds (the handle is closed).
    pub fn release_handle(&self, handle: u64) {
        self.release(|o| o.handle == handle);
    }

    /// Frees what a group of `handle` still holds (the group ended).
    pub fn release_group(&self, handle: u64, group: u64) {
        self.release(|o| o.handle == handle && o.group == group);
    }

    fn release(&self, which: impl Fn(&Owner) -> bool) {
        let mut gone = Vec::new();
        if let Some(map) = self.lock().as_mut() {
            map.retain(|&p, b| {
                let keep = !which(&b.owner);
                if !keep {
                    gone.push(p);
                }
                keep
            });
        }
        for p in gone {
            // SAFETY: as in `free`: recorded until just now.
            unsafe { libc::free(p as *mut libc::c_void) };
        }
    }

    /// Blocks recorded (for tests).
    #[cfg(test)]
    pub fn count(&self, handle: u64) -> usize {
        self.lock()
            .as_ref()
            .map_or(0, |m| m.values().filter(|b| b.owner.handle == handle).count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_only_its_own_blocks_once_and_the_rest_on_release() {
        let m = LibraryMemory::new();
        let a = m.copy_out(7, 0, &[1u32, 2, 3]).unwrap();
        let b = m.copy_out(7, 9, b"id").unwrap();
        let c = m.copy_out(7, 9, b"id2").unwrap();
        let d = m.alloc(8, 0, 0).unwrap();
        assert_eq!(unsafe { *a.add(2) }, 3);
        assert_eq!(m.size_of(7, a.cast()), Some(12));
        assert_eq!(m.size_of(8, a.cast()), None, "another handle's block");
        assert!(m.is_ours(a.cast()) && !m.is_ours(std::ptr::null()));
        let mut foreign = 0u8;
        assert_eq!(m.free(7, &mut foreign), Err(INVALID));
        assert_eq!(m.free(7, std::ptr::null_mut()), Err(INVALID));
        assert_eq!(m.free(8, a.cast()), Err(INVALID), "freed only through its own handle");
        assert_eq!(m.free(7, a.cast()), Ok(()));
        assert_eq!(m.free(7, a.cast()), Err(INVALID), "never twice");
        m.release_group(7, 9);
        assert_eq!(m.free(7, b), Err(INVALID));
        assert_eq!(m.free(7, c), Err(INVALID));
        assert_eq!(m.count(8), 1);
        m.release_handle(8);
        assert_eq!(m.count(8), 0);
        assert_eq!(m.free(8, d), Err(INVALID));
    }
}
