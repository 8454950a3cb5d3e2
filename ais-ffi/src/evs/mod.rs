//! The functions `libevs.so.4` exports (version node `COROSYNC_EVS_2.0`, see
//! `version-scripts/evs.map`): corosync 1.x's extended virtual synchrony API.
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest (handles, requests, callbacks) in `client`, the handles' lifecycle in
//! `boundary::lifecycle` (see `state`). Errors are corosync's: a handle
//! that is not open is `CS_ERR_BAD_HANDLE`, a NULL where a pointer is needed
//! `CS_ERR_INVALID_PARAM`, too many groups `CS_ERR_TOO_MANY_GROUPS`, a message over
//! 1 MiB less 32 KiB `CS_ERR_TOO_BIG`, and a multicast the executive cannot take now
//! `CS_ERR_TRY_AGAIN`.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as evs.h
//! documents them (for C callers that is the API contract).

#![allow(clippy::missing_safety_doc)]

use crate::boundary::check;
use crate::boundary::lifecycle;
use crate::boundary::{ffi_call, status, Failure};
use crate::types::corotypes::{cs_dispatch_flags_t, cs_error_t, CS_ERR_TOO_MANY_GROUPS};
use crate::types::evs::{evs_callbacks_t, evs_group, evs_guarantee_t, evs_handle_t};
use ais_proto::evs::Group;
use client::EvsHandle;
use core::ffi::{c_int, c_uint, c_void};
use libc::iovec;
use state::Evs;
use state::HANDLES;
use std::sync::Arc;

mod client;
mod state;

fn get(handle: evs_handle_t) -> Result<Arc<EvsHandle>, Failure> {
    Ok(HANDLES.get(handle)?)
}

/// The keys of `count` groups at `groups` (NULL is allowed only with a count of 0);
/// more than `max` is `CS_ERR_TOO_MANY_GROUPS`.
unsafe fn read_groups(groups: *const evs_group, count: usize, max: usize) -> Result<Vec<Group>, Failure> {
    if count > max {
        return Err(Failure(CS_ERR_TOO_MANY_GROUPS));
    }
    Ok(check::slice(groups, count)?.iter().map(client::group_key).collect())
}

/// The message's pieces: `iov_len` iovecs at `iov` (NULL is allowed only with no
/// iovecs; a piece may be NULL only if it is empty).
unsafe fn read_iovec<'a>(iov: *const iovec, iov_len: c_uint) -> Result<Vec<&'a [u8]>, Failure> {
    let mut parts = Vec::with_capacity(iov_len as usize);
    for v in check::slice(iov, iov_len as usize)? {
        if v.iov_len == 0 {
            continue;
        }
        check::non_null(v.iov_base)?;
        parts.push(std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len));
    }
    Ok(parts)
}

/// Opens a handle on the local executive's EVS service. `callbacks` may be NULL (no
/// callbacks) and is copied.
#[no_mangle]
pub unsafe extern "C" fn evs_initialize(handle: *mut evs_handle_t, callbacks: *mut evs_callbacks_t) -> cs_error_t {
    ffi_call(|| lifecycle::open_handle(handle, || client::open(callbacks.as_ref().copied())))
}

/// Closes the handle: its groups are left, a blocking dispatch returns.
#[no_mangle]
pub unsafe extern "C" fn evs_finalize(handle: evs_handle_t) -> cs_error_t {
    ffi_call(|| lifecycle::finalize::<Evs>(handle))
}

/// The file descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn evs_fd_get(handle: evs_handle_t, fd: *mut c_int) -> cs_error_t {
    ffi_call(|| lifecycle::selection_object::<Evs, _>(handle, fd))
}

/// The pointer last given to `evs_context_set` (NULL before).
#[no_mangle]
pub unsafe extern "C" fn evs_context_get(handle: evs_handle_t, context: *mut *mut c_void) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        *check::out(context)? = client::context(&h);
        Ok(())
    })
}

/// Keeps a pointer of the application's with the handle.
#[no_mangle]
pub unsafe extern "C" fn evs_context_set(handle: evs_handle_t, context: *mut c_void) -> cs_error_t {
    ffi_call(|| {
        client::set_context(&*get(handle)?, context);
        Ok(())
    })
}

/// Runs callbacks: `CS_DISPATCH_ONE` waits for one, `CS_DISPATCH_ALL` runs the pending
/// ones, `CS_DISPATCH_BLOCKING` runs them until the handle is finalized,
/// `CS_DISPATCH_ONE_NONBLOCKING` runs one pending or answers `CS_ERR_TRY_AGAIN`.
#[no_mangle]
pub unsafe extern "C" fn evs_dispatch(handle: evs_handle_t, dispatch_types: cs_dispatch_flags_t) -> cs_error_t {
    ffi_call(|| lifecycle::dispatch::<Evs>(handle, client::dispatch_mode(dispatch_types)))
}

/// Joins `group_cnt` groups (at most 50 in one call, 512 in all).
#[no_mangle]
pub unsafe extern "C" fn evs_join(handle: evs_handle_t, groups: *const evs_group, group_cnt: usize) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        status(client::join(
            &h,
            &read_groups(groups, group_cnt, client::MAX_JOIN_GROUPS)?,
        ))
    })
}

/// Leaves `group_cnt` groups; `CS_ERR_NOT_EXIST` (and nothing left) if one is not joined.
#[no_mangle]
pub unsafe extern "C" fn evs_leave(handle: evs_handle_t, groups: *const evs_group, group_cnt: usize) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        status(client::leave(&h, &read_groups(groups, group_cnt, client::MAX_GROUPS)?))
    })
}

/// Multicasts the message the iovecs hold to the groups the handle has joined.
#[no_mangle]
pub unsafe extern "C" fn evs_mcast_joined(
    handle: evs_handle_t,
    guarantee: evs_guarantee_t,
    iovec: *const iovec,
    iov_len: c_uint,
) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        status(client::mcast(&h, guarantee, None, &read_iovec(iovec, iov_len)?))
    })
}

/// Multicasts the message the iovecs hold to the `group_cnt` groups named, joined or not.
#[no_mangle]
pub unsafe extern "C" fn evs_mcast_groups(
    handle: evs_handle_t,
    guarantee: evs_guarantee_t,
    groups: *const evs_group,
    group_cnt: usize,
    iovec: *const iovec,
    iov_len: c_uint,
) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        let groups = read_groups(groups, group_cnt, client::MAX_GROUPS)?;
        status(client::mcast(
            &h,
            guarantee,
            Some(&groups),
            &read_iovec(iovec, iov_len)?,
        ))
    })
}

/// The local node id (if `local_nodeid` is not NULL) and the members of the current
/// configuration: at most `*member_list_entries` of them into `member_list` (if not
/// NULL), and their number, so capped, back in `*member_list_entries`.
#[no_mangle]
pub unsafe extern "C" fn evs_membership_get(
    handle: evs_handle_t,
    local_nodeid: *mut c_uint,
    member_list: *mut c_uint,
    member_list_entries: *mut usize,
) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        let entries = check::out(member_list_entries)?;
        let m = client::membership(&h)?;
        if let Some(l) = local_nodeid.as_mut() {
            *l = m.local;
        }
        let n = (*entries).min(m.members.len());
        *entries = n;
        if !member_list.is_null() {
            std::ptr::copy_nonoverlapping(m.members.as_ptr(), member_list, n);
        }
        Ok(())
    })
}
