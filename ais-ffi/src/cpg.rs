//! The functions `libcpg.so.4` exports: corosync 3's CPG API, every one under the version
//! node `COROSYNC_CPG_1.0` (see `version-scripts/cpg.map`).
//!
//! Each body runs inside `guard`, so no panic reaches C; the pointer work is here, the
//! rest in `cpg_client`. Requests go to the local executive's CPG service.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as cpg.h
//! documents them (for C callers that is the API contract).

#![allow(clippy::missing_safety_doc)]

use crate::cpg_client::{self as client, lock, Callbacks, Iteration, HANDLES, ITERATIONS};
use crate::guard::guard;
use crate::types::corotypes::*;
use crate::types::cpg::*;
use core::ffi::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

fn get(handle: cpg_handle_t) -> Result<std::sync::Arc<client::CpgHandle>, cs_error_t> {
    HANDLES.get(handle)
}

/// Runs `f` on the handle's state, or answers its lookup error.
fn with(handle: cpg_handle_t, f: impl FnOnce(&client::CpgHandle) -> cs_error_t) -> cs_error_t {
    guard(|| match get(handle) {
        Ok(h) => f(&h),
        Err(e) => e,
    })
}

/// Opens a handle with the deliver and configuration-change callbacks (either may be
/// NULL, as may `callbacks`).
#[no_mangle]
pub unsafe extern "C" fn cpg_initialize(handle: *mut cpg_handle_t, callbacks: *mut cpg_callbacks_t) -> cs_error_t {
    guard(|| {
        if handle.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        let cbs = match callbacks.as_ref() {
            Some(c) => Callbacks {
                deliver: c.cpg_deliver_fn,
                confchg: c.cpg_confchg_fn,
                totem_confchg: None,
            },
            None => Callbacks {
                deliver: None,
                confchg: None,
                totem_confchg: None,
            },
        };
        match client::open(cbs, 0, std::ptr::null_mut()) {
            Ok(h) => {
                *handle = h;
                CS_OK
            }
            Err(e) => e,
        }
    })
}

/// Opens a handle for `model` (only `CPG_MODEL_V1`, whose data is a `cpg_model_v1_data_t`),
/// with `context` for `cpg_context_get`.
#[no_mangle]
pub unsafe extern "C" fn cpg_model_initialize(
    handle: *mut cpg_handle_t,
    model: cpg_model_t,
    model_data: *mut cpg_model_data_t,
    context: *mut c_void,
) -> cs_error_t {
    guard(|| {
        if handle.is_null() || model != CPG_MODEL_V1 {
            return CS_ERR_INVALID_PARAM;
        }
        let (cbs, flags) = match (model_data as *const cpg_model_v1_data_t).as_ref() {
            Some(d) => {
                if d.flags & !CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF != 0 {
                    return CS_ERR_INVALID_PARAM;
                }
                let cbs = Callbacks {
                    deliver: d.cpg_deliver_fn,
                    confchg: d.cpg_confchg_fn,
                    totem_confchg: d.cpg_totem_confchg_fn,
                };
                (cbs, d.flags)
            }
            None => (
                Callbacks {
                    deliver: None,
                    confchg: None,
                    totem_confchg: None,
                },
                0,
            ),
        };
        match client::open(cbs, flags, context) {
            Ok(h) => {
                *handle = h;
                CS_OK
            }
            Err(e) => e,
        }
    })
}

/// Closes the handle: its group membership ends (the others see it leave) and a
/// dispatch blocked in another thread returns.
#[no_mangle]
pub unsafe extern "C" fn cpg_finalize(handle: cpg_handle_t) -> cs_error_t {
    guard(|| match HANDLES.remove(handle) {
        Ok(h) => {
            h.conn.finalize();
            client::end_iterations(handle);
            for (p, _) in lock(&h.zcb).drain() {
                libc::free(p as *mut c_void);
            }
            CS_OK
        }
        Err(e) => e,
    })
}

/// The descriptor to poll for callbacks.
#[no_mangle]
pub unsafe extern "C" fn cpg_fd_get(handle: cpg_handle_t, fd: *mut c_int) -> cs_error_t {
    with(handle, |h| {
        if fd.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        *fd = h.conn.selection_object();
        CS_OK
    })
}

/// The largest message `cpg_mcast_joined` sends.
#[no_mangle]
pub unsafe extern "C" fn cpg_max_atomic_msgsize_get(handle: cpg_handle_t, size: *mut u32) -> cs_error_t {
    with(handle, |_| {
        if size.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        *size = client::MAX_ATOMIC_MSGSIZE as u32;
        CS_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn cpg_context_get(handle: cpg_handle_t, context: *mut *mut c_void) -> cs_error_t {
    with(handle, |h| {
        if context.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        *context = h.context.load(Ordering::Relaxed) as *mut c_void;
        CS_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn cpg_context_set(handle: cpg_handle_t, context: *mut c_void) -> cs_error_t {
    with(handle, |h| {
        h.context.store(context as usize, Ordering::Relaxed);
        CS_OK
    })
}

/// Runs callbacks: `CS_DISPATCH_ONE` waits for one, `_ALL` runs those pending,
/// `_BLOCKING` runs them until the handle is finalized, `_ONE_NONBLOCKING` runs one or
/// answers `CS_ERR_TRY_AGAIN`.
#[no_mangle]
pub unsafe extern "C" fn cpg_dispatch(handle: cpg_handle_t, dispatch_types: cs_dispatch_flags_t) -> cs_error_t {
    guard(|| {
        let Some(mode) = client::dispatch_mode(dispatch_types) else {
            return CS_ERR_INVALID_PARAM;
        };
        match get(handle) {
            Ok(h) => match client::dispatch(handle, &h, mode) {
                Ok(()) => CS_OK,
                Err(e) => e,
            },
            Err(e) => e,
        }
    })
}

/// Joins `group` (one group per handle: `CS_ERR_EXIST` for a second).
#[no_mangle]
pub unsafe extern "C" fn cpg_join(handle: cpg_handle_t, group: *const cpg_name) -> cs_error_t {
    guard(|| {
        let Some(g) = group.as_ref() else {
            return CS_ERR_INVALID_PARAM;
        };
        let g = match client::group_bytes(g) {
            Ok(g) => g,
            Err(e) => return e,
        };
        with(handle, |h| client::join(h, g))
    })
}

/// Leaves `group`, the one the handle joined (`CS_ERR_NOT_EXIST` otherwise).
#[no_mangle]
pub unsafe extern "C" fn cpg_leave(handle: cpg_handle_t, group: *const cpg_name) -> cs_error_t {
    guard(|| {
        let Some(g) = group.as_ref() else {
            return CS_ERR_INVALID_PARAM;
        };
        let g = match client::group_bytes(g) {
            Ok(g) => g,
            Err(e) => return e,
        };
        with(handle, |h| client::leave(h, g))
    })
}

/// Checks a guarantee; every valid one is delivered in agreed order.
fn guarantee_ok(g: cpg_guarantee_t) -> bool {
    g <= CPG_TYPE_SAFE
}

/// Multicasts the `iov_len` pieces of one message to the joined group, in agreed order.
/// Returns at once: `CS_ERR_TRY_AGAIN` when the executive is holding senders back.
#[no_mangle]
pub unsafe extern "C" fn cpg_mcast_joined(
    handle: cpg_handle_t,
    guarantee: cpg_guarantee_t,
    iovec: *const libc::iovec,
    iov_len: c_uint,
) -> cs_error_t {
    guard(|| {
        if !guarantee_ok(guarantee) || (iovec.is_null() && iov_len > 0) {
            return CS_ERR_INVALID_PARAM;
        }
        let iov = if iov_len == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(iovec, iov_len as usize)
        };
        let mut parts: Vec<&[u8]> = Vec::with_capacity(iov.len());
        let mut total: usize = 0;
        for v in iov {
            if v.iov_len == 0 {
                continue;
            }
            if v.iov_base.is_null() {
                return CS_ERR_INVALID_PARAM;
            }
            total = total.saturating_add(v.iov_len);
            if total > client::MAX_ATOMIC_MSGSIZE {
                return CS_ERR_TOO_BIG;
            }
            parts.push(std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len));
        }
        with(handle, |h| client::mcast(h, &parts))
    })
}

/// The members of `group_name` as this node knows them; at most `CPG_MEMBERS_MAX` entries
/// are written (the count in `*member_list_entries` is an output, as in corosync).
#[no_mangle]
pub unsafe extern "C" fn cpg_membership_get(
    handle: cpg_handle_t,
    group_name: *mut cpg_name,
    member_list: *mut cpg_address,
    member_list_entries: *mut c_int,
) -> cs_error_t {
    guard(|| {
        let Some(g) = group_name.as_ref() else {
            return CS_ERR_INVALID_PARAM;
        };
        if member_list.is_null() || member_list_entries.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        let g = match client::group_bytes(g) {
            Ok(g) => g,
            Err(e) => return e,
        };
        with(handle, |h| match client::membership(h, &g) {
            Ok(list) => {
                let n = list.len().min(CPG_MEMBERS_MAX);
                for (i, a) in list.iter().take(n).enumerate() {
                    *member_list.add(i) = cpg_address {
                        nodeid: a.node,
                        pid: a.pid,
                        reason: 0,
                    };
                }
                *member_list_entries = n as c_int;
                CS_OK
            }
            Err(e) => e,
        })
    })
}

/// This node's id.
#[no_mangle]
pub unsafe extern "C" fn cpg_local_get(handle: cpg_handle_t, local_nodeid: *mut c_uint) -> cs_error_t {
    with(handle, |h| {
        if local_nodeid.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        match client::local_get(h) {
            Ok(id) => {
                *local_nodeid = id;
                CS_OK
            }
            Err(e) => e,
        }
    })
}

/// `CPG_FLOW_CONTROL_ENABLED` while the executive holds this handle's multicasts back
/// (the last one met `CS_ERR_TRY_AGAIN` and none has got through since).
#[no_mangle]
pub unsafe extern "C" fn cpg_flow_control_state_get(
    handle: cpg_handle_t,
    flow_control_enabled: *mut cpg_flow_control_state_t,
) -> cs_error_t {
    with(handle, |h| {
        if flow_control_enabled.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        *flow_control_enabled = if h.flow_control.load(Ordering::Relaxed) {
            CPG_FLOW_CONTROL_ENABLED
        } else {
            CPG_FLOW_CONTROL_DISABLED
        };
        CS_OK
    })
}

/// A buffer of `size` bytes to build a message in for `cpg_zcb_mcast_joined`.
#[no_mangle]
pub unsafe extern "C" fn cpg_zcb_alloc(handle: cpg_handle_t, size: usize, buffer: *mut *mut c_void) -> cs_error_t {
    with(handle, |h| {
        if buffer.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        let p = libc::malloc(size.max(1));
        if p.is_null() {
            return CS_ERR_NO_MEMORY;
        }
        lock(&h.zcb).insert(p as usize, size);
        *buffer = p;
        CS_OK
    })
}

/// Frees a buffer from `cpg_zcb_alloc` (`CS_ERR_INVALID_PARAM` for any other pointer).
#[no_mangle]
pub unsafe extern "C" fn cpg_zcb_free(handle: cpg_handle_t, buffer: *mut c_void) -> cs_error_t {
    with(handle, |h| match lock(&h.zcb).remove(&(buffer as usize)) {
        Some(_) => {
            libc::free(buffer);
            CS_OK
        }
        None => CS_ERR_INVALID_PARAM,
    })
}

/// Multicasts the first `msg_len` bytes of a `cpg_zcb_alloc` buffer.
#[no_mangle]
pub unsafe extern "C" fn cpg_zcb_mcast_joined(
    handle: cpg_handle_t,
    guarantee: cpg_guarantee_t,
    msg: *mut c_void,
    msg_len: usize,
) -> cs_error_t {
    with(handle, |h| {
        if !guarantee_ok(guarantee) {
            return CS_ERR_INVALID_PARAM;
        }
        match lock(&h.zcb).get(&(msg as usize)) {
            Some(&size) if msg_len <= size => {}
            Some(_) => return CS_ERR_INVALID_PARAM,
            None => return CS_ERR_INVALID_PARAM,
        }
        if msg_len > client::MAX_ATOMIC_MSGSIZE {
            return CS_ERR_TOO_BIG;
        }
        let data = std::slice::from_raw_parts(msg as *const u8, msg_len);
        client::mcast(h, &[data])
    })
}

/// Starts walking the groups: names only, one group's members, or every member of every
/// group, as this node knows them now.
#[no_mangle]
pub unsafe extern "C" fn cpg_iteration_initialize(
    handle: cpg_handle_t,
    iteration_type: cpg_iteration_type_t,
    group: *const cpg_name,
    cpg_iteration_handle: *mut cpg_iteration_handle_t,
) -> cs_error_t {
    guard(|| {
        if cpg_iteration_handle.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        let group = match group.as_ref() {
            Some(g) => match client::group_bytes(g) {
                Ok(g) => Some(g),
                Err(e) => return e,
            },
            None => None,
        };
        let valid = match iteration_type {
            CPG_ITERATION_ONE_GROUP => group.is_some(),
            CPG_ITERATION_NAME_ONLY | CPG_ITERATION_ALL => group.is_none(),
            _ => false,
        };
        if !valid {
            return CS_ERR_INVALID_PARAM;
        }
        with(handle, |h| match client::iterate(h, iteration_type, group) {
            Ok(entries) => match ITERATIONS.insert(Iteration {
                owner: handle,
                entries,
                next: AtomicUsize::new(0),
            }) {
                Ok(it) => {
                    *cpg_iteration_handle = it;
                    CS_OK
                }
                Err(e) => e,
            },
            Err(e) => e,
        })
    })
}

/// The next entry; `CS_ERR_NO_SECTIONS` after the last.
#[no_mangle]
pub unsafe extern "C" fn cpg_iteration_next(
    handle: cpg_iteration_handle_t,
    description: *mut cpg_iteration_description_t,
) -> cs_error_t {
    guard(|| {
        if description.is_null() {
            return CS_ERR_INVALID_PARAM;
        }
        let it = match ITERATIONS.get(handle) {
            Ok(it) => it,
            Err(e) => return e,
        };
        let i = it.next.fetch_add(1, Ordering::Relaxed);
        match it.entries.get(i) {
            Some(e) => {
                *description = cpg_iteration_description_t {
                    group: client::to_cpg_name(&e.group),
                    nodeid: e.node,
                    pid: e.pid,
                };
                CS_OK
            }
            None => {
                it.next.store(it.entries.len(), Ordering::Relaxed);
                CS_ERR_NO_SECTIONS
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn cpg_iteration_finalize(handle: cpg_iteration_handle_t) -> cs_error_t {
    guard(|| match ITERATIONS.remove(handle) {
        Ok(_) => CS_OK,
        Err(e) => e,
    })
}
