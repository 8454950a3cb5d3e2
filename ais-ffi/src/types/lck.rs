//! `saLck.h` types: the Lock Service API, SAI-AIS-LCK-B.03.01, laid out as the SA Forum
//! header declares them. cbindgen renders this file, with the functions in `crate::lck`,
//! into `include/saLck.h`.

use super::ais::{SaAisErrorT, SaInvocationT, SaUint32T, SaUint64T};

pub type SaLckHandleT = SaUint64T;
pub type SaLckLockIdT = SaUint64T;
pub type SaLckResourceHandleT = SaUint64T;
pub type SaLckWaiterSignalT = SaUint64T;

pub type SaLckResourceOpenFlagsT = SaUint32T;
/// Create the resource if it does not exist.
pub const SA_LCK_RESOURCE_CREATE: SaLckResourceOpenFlagsT = 0x1;

pub type SaLckLockFlagsT = SaUint32T;
/// Answer SA_LCK_LOCK_NOT_QUEUED instead of waiting.
pub const SA_LCK_LOCK_NO_QUEUE: SaLckLockFlagsT = 0x1;
/// The lock outlives its holder (orphaned) until saLckLockPurge.
pub const SA_LCK_LOCK_ORPHAN: SaLckLockFlagsT = 0x2;

pub type SaLckOptionsT = SaUint32T;
/// Orphan locks are supported.
pub const SA_LCK_OPT_ORPHAN_LOCKS: SaLckOptionsT = 0x1;
/// Deadlocks are detected.
pub const SA_LCK_OPT_DEADLOCK_DETECTION: SaLckOptionsT = 0x2;

sa_enums! {
    /// How a lock request ended.
    pub enum SaLckLockStatusT {
        SA_LCK_LOCK_GRANTED = 1,
        /// Waiting would have closed a cycle of waiting holders.
        SA_LCK_LOCK_DEADLOCK = 2,
        /// SA_LCK_LOCK_NO_QUEUE was given and the lock could not be granted at once.
        SA_LCK_LOCK_NOT_QUEUED = 3,
        /// An orphan lock in a conflicting mode holds the resource.
        SA_LCK_LOCK_ORPHANED = 4,
        /// The service holds as many locks as it can.
        SA_LCK_LOCK_NO_MORE = 5,
        /// The resource handle already holds an exclusive lock.
        SA_LCK_LOCK_DUPLICATE_EX = 6,
    }

    /// A lock's mode.
    pub enum SaLckLockModeT {
        /// Protected read: shared with other PR locks.
        SA_LCK_PR_LOCK_MODE = 1,
        /// Exclusive.
        SA_LCK_EX_LOCK_MODE = 2,
    }

    /// What saLckLimitGet reports.
    pub enum SaLckLimitIdT {
        SA_LCK_MAX_NUM_LOCKS_ID = 1,
    }
}

/// The result of saLckResourceOpenAsync.
pub type SaLckResourceOpenCallbackT = Option<
    unsafe extern "C" fn(invocation: SaInvocationT, lockResourceHandle: SaLckResourceHandleT, error: SaAisErrorT),
>;

/// The result of saLckResourceLockAsync.
pub type SaLckLockGrantCallbackT =
    Option<unsafe extern "C" fn(invocation: SaInvocationT, lockStatus: SaLckLockStatusT, error: SaAisErrorT)>;

/// The name openais's saLck.h gave the grant callback's type.
pub type SaLckLockGrantcallbackT = SaLckLockGrantCallbackT;

/// Someone waits, with `waiterSignal`, for lock `lockId` this process holds.
pub type SaLckLockWaiterCallbackT = Option<
    unsafe extern "C" fn(
        waiterSignal: SaLckWaiterSignalT,
        lockId: SaLckLockIdT,
        modeHeld: SaLckLockModeT,
        modeRequested: SaLckLockModeT,
    ),
>;

/// The result of saLckResourceUnlockAsync.
pub type SaLckResourceUnlockCallbackT = Option<unsafe extern "C" fn(invocation: SaInvocationT, error: SaAisErrorT)>;

/// What saLckInitialize takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaLckCallbacksT {
    pub saLckResourceOpenCallback: SaLckResourceOpenCallbackT,
    pub saLckLockGrantCallback: SaLckLockGrantCallbackT,
    pub saLckLockWaiterCallback: SaLckLockWaiterCallbackT,
    pub saLckResourceUnlockCallback: SaLckResourceUnlockCallbackT,
}
