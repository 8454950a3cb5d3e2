//! Initialize, SelectionObjectGet, Dispatch and Finalize, written once for every library.
//!
//! A library describes its handles by implementing [`Library`]; its exported functions call
//! the functions here inside `ffi_call`. Arguments are checked before the handle is looked
//! up (a NULL pointer is INVALID_PARAM whatever the handle), then a handle not open is
//! BAD_HANDLE.

use std::cell::Cell;
use std::os::fd::RawFd;

use super::call::{Code, Failure, Outcome};
use super::check;
use super::memory::MEMORY;
use super::version;
use crate::runtime::{Connection, DispatchMode, HandleTable};
use crate::types::ais::{SaVersionT, SA_AIS_ERR_LIBRARY, SA_AIS_ERR_VERSION};

/// One library's handles.
pub trait Library {
    /// What a handle of this library holds.
    type State: 'static;
    /// The table of its handles.
    fn handles() -> &'static HandleTable<Self::State>;
    /// A handle's connection to the executive.
    fn connection(state: &Self::State) -> &Connection;
    /// Runs a handle's pending callbacks.
    fn dispatch(handle: u64, state: &Self::State, mode: DispatchMode) -> Result<(), Code>;
    /// Lets go of what else a handle being finalized holds (its library memory is released
    /// by [`finalize`] itself).
    fn finalized(_handle: u64, _state: &Self::State) {}
}

/// Initialize of an SA Forum library: `handle` and `version` must not be NULL; the version
/// is negotiated (`negotiate` answers the version granted, or ours to write back), major
/// version 0 being no version at all; the granted (or supported) version is written back;
/// then `open` opens the handle for the granted version.
///
/// # Safety
/// Non-NULL pointers are valid, as the header declares them.
pub unsafe fn initialize(
    handle: *mut u64,
    version: *mut SaVersionT,
    highest: SaVersionT,
    negotiate: impl FnOnce(&SaVersionT) -> Result<SaVersionT, SaVersionT>,
    open: impl FnOnce(SaVersionT) -> Result<u64, Code>,
) -> Outcome {
    check::non_null(handle)?;
    let version = check::out(version)?;
    let granted = if version.majorVersion == 0 {
        Err(highest)
    } else {
        negotiate(version)
    };
    let granted = match granted {
        Ok(v) => v,
        Err(ours) => {
            *version = ours;
            return Err(Failure(SA_AIS_ERR_VERSION));
        }
    };
    *version = granted;
    *handle = open(granted)?;
    Ok(())
}

/// The AIS rule against one supported version: accepted requests get `ours`.
pub fn negotiate_one(requested: &SaVersionT, ours: SaVersionT) -> Result<SaVersionT, SaVersionT> {
    if version::accepts(requested, &ours) {
        Ok(ours)
    } else {
        Err(ours)
    }
}

/// Initialize of a corosync library: `handle` must not be NULL.
///
/// # Safety
/// A non-NULL `handle` is valid.
pub unsafe fn open_handle(handle: *mut u64, open: impl FnOnce() -> Result<u64, Code>) -> Outcome {
    let out = check::out(handle)?;
    *out = open()?;
    Ok(())
}

/// SelectionObjectGet (`cpg_fd_get`, ...): the descriptor that becomes readable when
/// callbacks are pending.
///
/// # Safety
/// A non-NULL `out` is valid.
pub unsafe fn selection_object<L: Library, T: TryFrom<RawFd>>(handle: u64, out: *mut T) -> Outcome {
    let out = check::out(out)?;
    let state = L::handles().get(handle)?;
    *out = T::try_from(L::connection(&state).selection_object()).map_err(|_| Failure(SA_AIS_ERR_LIBRARY))?;
    Ok(())
}

thread_local! {
    /// The handle this thread is dispatching (0: none).
    static DISPATCHING: Cell<u64> = const { Cell::new(0) };
}

/// The handle whose dispatch is running on this thread (0: none): a callback the library
/// wraps (the C prototypes give it no handle) learns its handle from it.
pub fn dispatching() -> u64 {
    DISPATCHING.with(Cell::get)
}

/// Dispatch: `mode` is the library's flags read (None: not a flag, INVALID_PARAM).
pub fn dispatch<L: Library>(handle: u64, mode: Option<DispatchMode>) -> Outcome {
    let mode = mode.ok_or(check::INVALID)?;
    let state = L::handles().get(handle)?;
    let before = DISPATCHING.with(|d| d.replace(handle));
    let r = L::dispatch(handle, &state, mode);
    DISPATCHING.with(|d| d.set(before));
    r?;
    Ok(())
}

/// Finalize: the handle is gone at once (later calls are BAD_HANDLE), a blocking dispatch
/// in another thread returns, the executive sees the connection close, and the library
/// memory given out for the handle is released.
pub fn finalize<L: Library>(handle: u64) -> Outcome {
    let state = L::handles().remove(handle)?;
    L::connection(&state).finalize();
    L::finalized(handle, &state);
    MEMORY.release_handle(handle);
    Ok(())
}
