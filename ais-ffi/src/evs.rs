//! The functions `libevs.so.4` exports (version node `COROSYNC_EVS_2.0`, see
//! `version-scripts/evs.map`): corosync 1.x's extended virtual synchrony API.
//!
//! Each body runs inside `guard`, so no panic reaches C; the pointer work is here, the
//! rest (handles, requests, callbacks) in `evs_client`. Errors are corosync's: a handle
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

use crate::evs_client::{self as client, HANDLES};
use crate::guard::guard;
use crate::types::corotypes::{cs_dispatch_flags_t, cs_error_t, CS_ERR_INVALID_PARAM, CS_ERR_TOO_MANY_GROUPS, CS_OK};
use crate::types::evs::{evs_callbacks_t, evs_group, evs_guarantee_t, evs_handle_t};
use ais_proto::evs::Group;
use core::ffi::{c_int, c_uint, c_void};
use libc::iovec;

/// The keys of `count` groups at `groups` (NULL is allowed only with a count of 0);
/// more than `max` is `CS_ERR_TOO_MANY_GROUPS`.
unsafe fn read_groups(groups: *const evs_group, count: usize, max: usize) -> Result<Vec<Group>, cs_error_t> {
    if count > max {
        return Err(CS_ERR_TOO_MANY_GROUPS);
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    if groups.is_null() {
        return Err(CS_ERR_INVALID_PARAM);
    }
    Ok(std::slice::from_raw_parts(groups, count)
        .iter()
        .map(client::group_key)
        .collect())
}

/// The message's pieces: `iov_len` iovecs at `iov` (NULL is allowed only with no
/// iovecs; a piece may be NULL only if it is empty).
unsafe fn read_iovec<'a>(iov: *const iovec, iov_len: c_uint) -> Result<Vec<&'a [u8]>, cs_error_t> {
    if iov_len == 0 {
        return Ok(Vec::new());
    }
    if iov.is_null() {
        return Err(CS_ERR_INVALID_PARAM);
    }
    let mut parts = Vec::with_capacity(iov_len as usize);
    for v in std::slice::from_raw_parts(iov, iov_len as usize) {
        if v.iov_len == 0 {
            continue;
        }
        if v.iov_base.is_null() {
            return Err(CS_ERR_INVALID_PARAM);
        }
        parts.push(std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len));
    }
    Ok(parts)
}

/// Opens a handle on the local executive's EVS service. `callbacks` may be NULL (no
/// callbacks) and is copied.
#[no_mangle]
pub unsafe extern "C" fn evs_initialize(handle: *mut evs_handle_t, callbacks: *mut evs_callbacks_t) -> cs_error_t {
    guard(|| {
        if handle.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        match client::open(callbacks.as_ref().copied()) {
            Ok(h) => {
                *handle = h;
                CS_OK
            }
            Err(e) => e,
        }
    })
}

/// Closes the handle: its groups are left, a blocking dispatch returns.
#[no_mangle]
pub unsafe extern "C" fn evs_finalize(handle: evs_handle_t) -> cs_error_t {
    guard(|| match HANDLES.remove(handle) {
        Ok(h) => {
            h.conn.finalize();
            CS_OK
        }
        Err(e) => e,
    })
}

/// The file descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn evs_fd_get(handle: evs_handle_t, fd: *mut c_int) -> cs_error_t {
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        if fd.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        *fd = h.conn.selection_object();
        CS_OK
    })
}

/// The pointer last given to `evs_context_set` (NULL before).
#[no_mangle]
pub unsafe extern "C" fn evs_context_get(handle: evs_handle_t, context: *mut *mut c_void) -> cs_error_t {
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        if context.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        *context = client::context(&h);
        CS_OK
    })
}

/// Keeps a pointer of the application's with the handle.
#[no_mangle]
pub unsafe extern "C" fn evs_context_set(handle: evs_handle_t, context: *mut c_void) -> cs_error_t {
    guard(|| match HANDLES.get(handle) {
        Ok(h) => {
            client::set_context(&h, context);
            CS_OK
        }
        Err(e) => e,
    })
}

/// Runs callbacks: `CS_DISPATCH_ONE` waits for one, `CS_DISPATCH_ALL` runs the pending
/// ones, `CS_DISPATCH_BLOCKING` runs them until the handle is finalized,
/// `CS_DISPATCH_ONE_NONBLOCKING` runs one pending or answers `CS_ERR_TRY_AGAIN`.
#[no_mangle]
pub unsafe extern "C" fn evs_dispatch(handle: evs_handle_t, dispatch_types: cs_dispatch_flags_t) -> cs_error_t {
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        let Some(mode) = client::dispatch_mode(dispatch_types) else {
            return CS_ERR_INVALID_PARAM;
        };
        match client::dispatch(handle, &h, mode) {
            Ok(()) => CS_OK,
            Err(e) => e,
        }
    })
}

/// Joins `group_cnt` groups (at most 50 in one call, 512 in all).
#[no_mangle]
pub unsafe extern "C" fn evs_join(handle: evs_handle_t, groups: *const evs_group, group_cnt: usize) -> cs_error_t {
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        match read_groups(groups, group_cnt, client::MAX_JOIN_GROUPS) {
            Ok(g) => client::join(&h, &g),
            Err(e) => e,
        }
    })
}

/// Leaves `group_cnt` groups; `CS_ERR_NOT_EXIST` (and nothing left) if one is not joined.
#[no_mangle]
pub unsafe extern "C" fn evs_leave(handle: evs_handle_t, groups: *const evs_group, group_cnt: usize) -> cs_error_t {
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        match read_groups(groups, group_cnt, client::MAX_GROUPS) {
            Ok(g) => client::leave(&h, &g),
            Err(e) => e,
        }
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
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        match read_iovec(iovec, iov_len) {
            Ok(parts) => client::mcast(&h, guarantee, None, &parts),
            Err(e) => e,
        }
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
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        let groups = match read_groups(groups, group_cnt, client::MAX_GROUPS) {
            Ok(g) => g,
            Err(e) => return e,
        };
        match read_iovec(iovec, iov_len) {
            Ok(parts) => client::mcast(&h, guarantee, Some(&groups), &parts),
            Err(e) => e,
        }
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
    guard(|| {
        let h = match HANDLES.get(handle) {
            Ok(h) => h,
            Err(e) => return e,
        };
        if member_list_entries.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        let m = match client::membership(&h) {
            Ok(m) => m,
            Err(e) => return e,
        };
        if let Some(l) = local_nodeid.as_mut() {
            *l = m.local;
        }
        let n = (*member_list_entries).min(m.members.len());
        *member_list_entries = n;
        if !member_list.is_null() {
            std::ptr::copy_nonoverlapping(m.members.as_ptr(), member_list, n);
        }
        CS_OK
    })
}
