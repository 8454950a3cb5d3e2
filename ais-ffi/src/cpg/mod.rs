//! The functions `libcpg.so.4` exports: corosync 3's CPG API, every one under the version
//! node `COROSYNC_CPG_1.0` (see `version-scripts/cpg.map`).
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest in `client`, the zero-copy buffers in `boundary::memory` and the handles'
//! lifecycle in `boundary::lifecycle` (see `state`). Requests go to the local executive's CPG service.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as cpg.h
//! documents them (for C callers that is the API contract).

#![allow(clippy::missing_safety_doc)]

use crate::boundary::check::{self, INVALID};
use crate::boundary::lifecycle;
use crate::boundary::memory::MEMORY;
use crate::boundary::{ffi_call, status, Failure, Outcome};
use crate::types::corotypes::*;
use crate::types::cpg::*;
use client::{Callbacks, CpgHandle, Iteration};
use core::ffi::{c_int, c_uint, c_void};
use state::Cpg;
use state::{HANDLES, ITERATIONS};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) mod client;
mod state;

fn get(handle: cpg_handle_t) -> Result<Arc<CpgHandle>, Failure> {
    Ok(HANDLES.get(handle)?)
}

/// A group name's bytes (`CS_ERR_NAME_TOO_LONG` past 128).
unsafe fn group_of(name: *const cpg_name) -> Result<Vec<u8>, Failure> {
    Ok(client::group_bytes(check::arg(name)?)?)
}

/// Callbacks of a handle opened without any.
fn no_callbacks() -> Callbacks {
    Callbacks {
        deliver: None,
        confchg: None,
        totem_confchg: None,
    }
}

/// Opens a handle with the deliver and configuration-change callbacks (either may be
/// NULL, as may `callbacks`).
#[no_mangle]
pub unsafe extern "C" fn cpg_initialize(handle: *mut cpg_handle_t, callbacks: *mut cpg_callbacks_t) -> cs_error_t {
    ffi_call(|| {
        let cbs = match callbacks.as_ref() {
            Some(c) => Callbacks {
                deliver: c.cpg_deliver_fn,
                confchg: c.cpg_confchg_fn,
                totem_confchg: None,
            },
            None => no_callbacks(),
        };
        lifecycle::open_handle(handle, || client::open(cbs, 0, std::ptr::null_mut()))
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
    ffi_call(|| {
        check::non_null(handle)?;
        if model != CPG_MODEL_V1 {
            return Err(INVALID);
        }
        let (cbs, flags) = match (model_data as *const cpg_model_v1_data_t).as_ref() {
            Some(d) => {
                if d.flags & !CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF != 0 {
                    return Err(INVALID);
                }
                let cbs = Callbacks {
                    deliver: d.cpg_deliver_fn,
                    confchg: d.cpg_confchg_fn,
                    totem_confchg: d.cpg_totem_confchg_fn,
                };
                (cbs, d.flags)
            }
            None => (no_callbacks(), 0),
        };
        lifecycle::open_handle(handle, || client::open(cbs, flags, context))
    })
}

/// Closes the handle: its group membership ends (the others see it leave) and a
/// dispatch blocked in another thread returns.
#[no_mangle]
pub unsafe extern "C" fn cpg_finalize(handle: cpg_handle_t) -> cs_error_t {
    ffi_call(|| lifecycle::finalize::<Cpg>(handle))
}

/// The descriptor to poll for callbacks.
#[no_mangle]
pub unsafe extern "C" fn cpg_fd_get(handle: cpg_handle_t, fd: *mut c_int) -> cs_error_t {
    ffi_call(|| lifecycle::selection_object::<Cpg, _>(handle, fd))
}

/// The largest message `cpg_mcast_joined` sends.
#[no_mangle]
pub unsafe extern "C" fn cpg_max_atomic_msgsize_get(handle: cpg_handle_t, size: *mut u32) -> cs_error_t {
    ffi_call(|| {
        get(handle)?;
        *check::out(size)? = client::MAX_ATOMIC_MSGSIZE as u32;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn cpg_context_get(handle: cpg_handle_t, context: *mut *mut c_void) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        *check::out(context)? = h.context.load(Ordering::Relaxed) as *mut c_void;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn cpg_context_set(handle: cpg_handle_t, context: *mut c_void) -> cs_error_t {
    ffi_call(|| {
        get(handle)?.context.store(context as usize, Ordering::Relaxed);
        Ok(())
    })
}

/// Runs callbacks: `CS_DISPATCH_ONE` waits for one, `_ALL` runs those pending,
/// `_BLOCKING` runs them until the handle is finalized, `_ONE_NONBLOCKING` runs one or
/// answers `CS_ERR_TRY_AGAIN`.
#[no_mangle]
pub unsafe extern "C" fn cpg_dispatch(handle: cpg_handle_t, dispatch_types: cs_dispatch_flags_t) -> cs_error_t {
    ffi_call(|| lifecycle::dispatch::<Cpg>(handle, client::dispatch_mode(dispatch_types)))
}

/// Joins `group` (one group per handle: `CS_ERR_EXIST` for a second).
#[no_mangle]
pub unsafe extern "C" fn cpg_join(handle: cpg_handle_t, group: *const cpg_name) -> cs_error_t {
    ffi_call(|| {
        let g = group_of(group)?;
        status(client::join(&*get(handle)?, g))
    })
}

/// Leaves `group`, the one the handle joined (`CS_ERR_NOT_EXIST` otherwise).
#[no_mangle]
pub unsafe extern "C" fn cpg_leave(handle: cpg_handle_t, group: *const cpg_name) -> cs_error_t {
    ffi_call(|| {
        let g = group_of(group)?;
        status(client::leave(&*get(handle)?, g))
    })
}

/// Checks a guarantee; every valid one is delivered in agreed order.
fn check_guarantee(g: cpg_guarantee_t) -> Outcome {
    if g > CPG_TYPE_SAFE {
        return Err(INVALID);
    }
    Ok(())
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
    ffi_call(|| {
        check_guarantee(guarantee)?;
        let iov = check::slice(iovec, iov_len as usize)?;
        let mut parts: Vec<&[u8]> = Vec::with_capacity(iov.len());
        let mut total: usize = 0;
        for v in iov {
            if v.iov_len == 0 {
                continue;
            }
            check::non_null(v.iov_base)?;
            total = total.saturating_add(v.iov_len);
            if total > client::MAX_ATOMIC_MSGSIZE {
                return Err(Failure(CS_ERR_TOO_BIG));
            }
            parts.push(std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len));
        }
        status(client::mcast(&*get(handle)?, &parts))
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
    ffi_call(|| {
        check::arg(group_name)?;
        check::non_null(member_list)?;
        let entries = check::out(member_list_entries)?;
        let g = group_of(group_name)?;
        let list = client::membership(&*get(handle)?, &g)?;
        let n = list.len().min(CPG_MEMBERS_MAX);
        for (i, a) in list.iter().take(n).enumerate() {
            *member_list.add(i) = cpg_address {
                nodeid: a.node,
                pid: a.pid,
                reason: 0,
            };
        }
        *entries = n as c_int;
        Ok(())
    })
}

/// This node's id.
#[no_mangle]
pub unsafe extern "C" fn cpg_local_get(handle: cpg_handle_t, local_nodeid: *mut c_uint) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        let out = check::out(local_nodeid)?;
        *out = client::local_get(&h)?;
        Ok(())
    })
}

/// `CPG_FLOW_CONTROL_ENABLED` while the executive holds this handle's multicasts back
/// (the last one met `CS_ERR_TRY_AGAIN` and none has got through since).
#[no_mangle]
pub unsafe extern "C" fn cpg_flow_control_state_get(
    handle: cpg_handle_t,
    flow_control_enabled: *mut cpg_flow_control_state_t,
) -> cs_error_t {
    ffi_call(|| {
        let h = get(handle)?;
        *check::out(flow_control_enabled)? = if h.flow_control.load(Ordering::Relaxed) {
            CPG_FLOW_CONTROL_ENABLED
        } else {
            CPG_FLOW_CONTROL_DISABLED
        };
        Ok(())
    })
}

/// A buffer of `size` bytes to build a message in for `cpg_zcb_mcast_joined`.
#[no_mangle]
pub unsafe extern "C" fn cpg_zcb_alloc(handle: cpg_handle_t, size: usize, buffer: *mut *mut c_void) -> cs_error_t {
    ffi_call(|| {
        get(handle)?;
        let out = check::out(buffer)?;
        *out = MEMORY
            .alloc(handle, 0, size)
            .map_err(|_| Failure(CS_ERR_NO_MEMORY))?
            .cast();
        Ok(())
    })
}

/// Frees a buffer from `cpg_zcb_alloc` (`CS_ERR_INVALID_PARAM` for any other pointer).
#[no_mangle]
pub unsafe extern "C" fn cpg_zcb_free(handle: cpg_handle_t, buffer: *mut c_void) -> cs_error_t {
    ffi_call(|| {
        get(handle)?;
        MEMORY.free(handle, buffer.cast())
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
    ffi_call(|| {
        let h = get(handle)?;
        check_guarantee(guarantee)?;
        match MEMORY.size_of(handle, msg as *const u8) {
            Some(size) if msg_len <= size => {}
            _ => return Err(INVALID),
        }
        if msg_len > client::MAX_ATOMIC_MSGSIZE {
            return Err(Failure(CS_ERR_TOO_BIG));
        }
        let data = std::slice::from_raw_parts(msg as *const u8, msg_len);
        status(client::mcast(&h, &[data]))
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
    ffi_call(|| {
        let out = check::out(cpg_iteration_handle)?;
        let group = match group.is_null() {
            false => Some(group_of(group)?),
            true => None,
        };
        let valid = match iteration_type {
            CPG_ITERATION_ONE_GROUP => group.is_some(),
            CPG_ITERATION_NAME_ONLY | CPG_ITERATION_ALL => group.is_none(),
            _ => false,
        };
        if !valid {
            return Err(INVALID);
        }
        let entries = client::iterate(&*get(handle)?, iteration_type, group)?;
        *out = ITERATIONS.insert(Iteration {
            owner: handle,
            entries,
            next: AtomicUsize::new(0),
        })?;
        Ok(())
    })
}

/// The next entry; `CS_ERR_NO_SECTIONS` after the last.
#[no_mangle]
pub unsafe extern "C" fn cpg_iteration_next(
    handle: cpg_iteration_handle_t,
    description: *mut cpg_iteration_description_t,
) -> cs_error_t {
    ffi_call(|| {
        let out = check::out(description)?;
        let it = ITERATIONS.get(handle)?;
        let i = it.next.fetch_add(1, Ordering::Relaxed);
        match it.entries.get(i) {
            Some(e) => {
                *out = cpg_iteration_description_t {
                    group: client::to_cpg_name(&e.group),
                    nodeid: e.node,
                    pid: e.pid,
                };
                Ok(())
            }
            None => {
                it.next.store(it.entries.len(), Ordering::Relaxed);
                Err(Failure(CS_ERR_NO_SECTIONS))
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn cpg_iteration_finalize(handle: cpg_iteration_handle_t) -> cs_error_t {
    ffi_call(|| {
        ITERATIONS.remove(handle)?;
        Ok(())
    })
}
