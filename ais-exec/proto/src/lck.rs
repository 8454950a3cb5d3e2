//! The lock service's messages between `libSaLck` and the executive (LCK B.03.01).
//!
//! A resource is named by its `SaNameT` bytes; a library handle's open of it by the
//! executive's `u64` open id; a lock by its `SaLckLockIdT`, unique on the executive that
//! took the request. Invocations and waiter signals are the application's values,
//! carried and never interpreted.
//!
//! | msg | request | response |
//! |-----|---------|----------|
//! | [`OPEN`] | [`Open`] (invocation ignored) | [`Opened`] |
//! | [`OPEN_ASYNC`] | [`Open`] | empty; then [`OPEN_CALLBACK`] |
//! | [`CLOSE`] | [`ResourceId`] | empty |
//! | [`LOCK`] | [`Lock`] (invocation ignored) | [`Locked`] |
//! | [`LOCK_ASYNC`] | [`Lock`] (timeout ignored) | [`LockId`]; then [`GRANT_CALLBACK`] |
//! | [`UNLOCK`] | [`Unlock`] (invocation ignored) | empty |
//! | [`UNLOCK_ASYNC`] | [`Unlock`] | empty; then [`UNLOCK_CALLBACK`] |
//! | [`PURGE`] | [`ResourceId`] | empty |
//! | [`LIMIT`] | [`LimitId`] | [`LimitValue`] |
//!
//! Callbacks: [`OpenCallback`], [`GrantCallback`], [`Waiter`], [`UnlockCallback`].

use crate::codec::{DecodeError, EncodeError, Reader, Writer};
use crate::message::Message;

pub const OPEN: u16 = 1;
pub const OPEN_ASYNC: u16 = 2;
pub const CLOSE: u16 = 3;
pub const LOCK: u16 = 4;
pub const LOCK_ASYNC: u16 = 5;
pub const UNLOCK: u16 = 6;
pub const UNLOCK_ASYNC: u16 = 7;
pub const PURGE: u16 = 8;
pub const LIMIT: u16 = 9;
/// Callback: [`OpenCallback`].
pub const OPEN_CALLBACK: u16 = 101;
/// Callback: [`GrantCallback`].
pub const GRANT_CALLBACK: u16 = 102;
/// Callback: [`Waiter`].
pub const WAITER_CALLBACK: u16 = 103;
/// Callback: [`UnlockCallback`].
pub const UNLOCK_CALLBACK: u16 = 104;

/// `SA_LCK_RESOURCE_CREATE`.
pub const RESOURCE_CREATE: u32 = 0x1;
/// `SA_LCK_LOCK_NO_QUEUE`.
pub const LOCK_NO_QUEUE: u32 = 0x1;
/// `SA_LCK_LOCK_ORPHAN`.
pub const LOCK_ORPHAN: u32 = 0x2;
/// `SA_LCK_PR_LOCK_MODE`.
pub const PR: u32 = 1;
/// `SA_LCK_EX_LOCK_MODE`.
pub const EX: u32 = 2;
/// `SA_LCK_MAX_NUM_LOCKS_ID`.
pub const MAX_NUM_LOCKS_ID: u32 = 1;

/// `SaLckLockStatusT`.
pub mod lock_status {
    pub const GRANTED: u32 = 1;
    pub const DEADLOCK: u32 = 2;
    pub const NOT_QUEUED: u32 = 3;
    pub const ORPHANED: u32 = 4;
    pub const NO_MORE: u32 = 5;
    pub const DUPLICATE_EX: u32 = 6;
}

/// The longest resource name (`SA_MAX_NAME_LENGTH`).
pub const MAX_NAME: usize = crate::codec::MAX_NAME_LEN;

fn name(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    Ok(r.name()?.to_vec())
}

/// OPEN's and OPEN_ASYNC's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub invocation: u64,
    pub name: Vec<u8>,
    pub flags: u32,
}

impl Message for Open {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).name(&self.name)?.u32(self.flags);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Open {
            invocation: r.u64()?,
            name: name(r)?,
            flags: r.u32()?,
        })
    }
}

/// OPEN's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub resource: u64,
}

impl Message for Opened {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.resource);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Opened { resource: r.u64()? })
    }
}

crate::int_message! {
    /// A request naming one open resource (CLOSE, PURGE).
    ResourceId(u64), u64
}

/// LOCK's and LOCK_ASYNC's request. `timeout`: `SaTimeT` nanoseconds the synchronous
/// call waits for the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    pub resource: u64,
    pub invocation: u64,
    pub mode: u32,
    pub flags: u32,
    pub waiter_signal: u64,
    pub timeout: i64,
}

impl Message for Lock {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.resource)
            .u64(self.invocation)
            .u32(self.mode)
            .u32(self.flags)
            .u64(self.waiter_signal)
            .i64(self.timeout);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Lock {
            resource: r.u64()?,
            invocation: r.u64()?,
            mode: r.u32()?,
            flags: r.u32()?,
            waiter_signal: r.u64()?,
            timeout: r.i64()?,
        })
    }
}

/// LOCK's response: the lock's id and its `SaLckLockStatusT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub lock_id: u64,
    pub status: u32,
}

impl Message for Locked {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.lock_id).u32(self.status);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Locked {
            lock_id: r.u64()?,
            status: r.u32()?,
        })
    }
}

crate::int_message! {
    /// LOCK_ASYNC's response: the id the request's lock has.
    LockId(u64), u64
}

/// UNLOCK's and UNLOCK_ASYNC's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlock {
    pub lock_id: u64,
    pub invocation: u64,
}

impl Message for Unlock {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.lock_id).u64(self.invocation);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Unlock {
            lock_id: r.u64()?,
            invocation: r.u64()?,
        })
    }
}

crate::int_message! {
    /// LIMIT's request: an `SaLckLimitIdT`.
    LimitId(u32), u32
}

crate::int_message! {
    /// LIMIT's response.
    LimitValue(u64), u64
}

/// OPEN_ASYNC's callback: the open id (0 unless `error` is `SA_AIS_OK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenCallback {
    pub invocation: u64,
    pub resource: u64,
    pub error: u32,
}

impl Message for OpenCallback {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).u64(self.resource).u32(self.error);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OpenCallback {
            invocation: r.u64()?,
            resource: r.u64()?,
            error: r.u32()?,
        })
    }
}

/// LOCK_ASYNC's callback: the `SaLckLockStatusT` (0 unless `error` is `SA_AIS_OK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantCallback {
    pub invocation: u64,
    pub lock_id: u64,
    pub status: u32,
    pub error: u32,
}

impl Message for GrantCallback {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation)
            .u64(self.lock_id)
            .u32(self.status)
            .u32(self.error);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(GrantCallback {
            invocation: r.u64()?,
            lock_id: r.u64()?,
            status: r.u32()?,
            error: r.u32()?,
        })
    }
}

/// The waiter callback to a holder: someone waits, with `waiter_signal`, for the lock
/// `lock_id` it holds in `mode_held`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiter {
    pub waiter_signal: u64,
    pub lock_id: u64,
    pub mode_held: u32,
    pub mode_requested: u32,
}

impl Message for Waiter {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.waiter_signal)
            .u64(self.lock_id)
            .u32(self.mode_held)
            .u32(self.mode_requested);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Waiter {
            waiter_signal: r.u64()?,
            lock_id: r.u64()?,
            mode_held: r.u32()?,
            mode_requested: r.u32()?,
        })
    }
}

/// UNLOCK_ASYNC's callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnlockCallback {
    pub invocation: u64,
    pub error: u32,
}

impl Message for UnlockCallback {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.invocation).u32(self.error);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(UnlockCallback {
            invocation: r.u64()?,
            error: r.u32()?,
        })
    }
}

/// One valid encoding of every payload (fuzz seeds and tests).
pub fn seeds() -> Vec<Vec<u8>> {
    let lock = Lock {
        resource: 3,
        invocation: 4,
        mode: EX,
        flags: LOCK_ORPHAN,
        waiter_signal: 9,
        timeout: 1_000_000,
    };
    [
        Open {
            invocation: 1,
            name: b"res".to_vec(),
            flags: RESOURCE_CREATE,
        }
        .encode(),
        Opened { resource: 7 }.encode(),
        lock.encode(),
        Locked {
            lock_id: 5,
            status: lock_status::GRANTED,
        }
        .encode(),
        Unlock {
            lock_id: 5,
            invocation: 6,
        }
        .encode(),
        LimitId(MAX_NUM_LOCKS_ID).encode(),
        OpenCallback {
            invocation: 1,
            resource: 2,
            error: 1,
        }
        .encode(),
        GrantCallback {
            invocation: 1,
            lock_id: 2,
            status: lock_status::DEADLOCK,
            error: 1,
        }
        .encode(),
        Waiter {
            waiter_signal: 1,
            lock_id: 2,
            mode_held: EX,
            mode_requested: PR,
        }
        .encode(),
        UnlockCallback {
            invocation: 1,
            error: 1,
        }
        .encode(),
    ]
    .into_iter()
    .filter_map(Result::ok)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::round_trip;

    #[test]
    fn every_message_round_trips_and_refuses_cuts() {
        round_trip(Open {
            invocation: u64::MAX,
            name: vec![b'r'; MAX_NAME],
            flags: RESOURCE_CREATE,
        });
        round_trip(Opened { resource: 1 });
        round_trip(ResourceId(2));
        round_trip(Lock {
            resource: 1,
            invocation: 2,
            mode: PR,
            flags: LOCK_NO_QUEUE | LOCK_ORPHAN,
            waiter_signal: 3,
            timeout: -1,
        });
        round_trip(Locked { lock_id: 9, status: 6 });
        round_trip(LockId(4));
        round_trip(Unlock {
            lock_id: 1,
            invocation: 2,
        });
        round_trip(LimitId(1));
        round_trip(LimitValue(256));
        round_trip(OpenCallback {
            invocation: 1,
            resource: 2,
            error: 3,
        });
        round_trip(GrantCallback {
            invocation: 1,
            lock_id: 2,
            status: 3,
            error: 4,
        });
        round_trip(Waiter {
            waiter_signal: 1,
            lock_id: 2,
            mode_held: 1,
            mode_requested: 2,
        });
        round_trip(UnlockCallback {
            invocation: 1,
            error: 2,
        });
    }

    #[test]
    fn a_name_longer_than_sa_max_name_length_is_refused() {
        let long = Open {
            invocation: 0,
            name: vec![b'x'; MAX_NAME + 1],
            flags: 0,
        };
        if let Ok(b) = long.encode() {
            assert!(Open::decode(&b).is_err());
        }
    }

    /// saLck.h (SAI-AIS-LCK-B.03.01): flags, modes, status values and limit id.
    #[test]
    fn the_values_are_the_headers() {
        assert_eq!((RESOURCE_CREATE, LOCK_NO_QUEUE, LOCK_ORPHAN), (1, 1, 2));
        assert_eq!((PR, EX, MAX_NUM_LOCKS_ID), (1, 2, 1));
        use lock_status::*;
        assert_eq!(
            [GRANTED, DEADLOCK, NOT_QUEUED, ORPHANED, NO_MORE, DUPLICATE_EX],
            [1, 2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn the_seeds_decode() {
        assert_eq!(seeds().len(), 10);
    }
}
