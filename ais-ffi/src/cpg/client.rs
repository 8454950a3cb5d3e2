//! The C side of `libcpg` over `ais_client::cpg`: handle state (the joined group, flow
//! control), the C callbacks and names. `mod.rs` does the C pointer work around it; the
//! zero-copy buffers are `boundary::memory`'s.

use super::state::{HANDLES, ITERATIONS};
use crate::boundary::call::{code, code_of};
use crate::runtime::DispatchMode;
use crate::types::corotypes::*;
use crate::types::cpg::*;
use ais_client::cpg::{Address, Cpg, CpgEvent, IterEntry};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

pub use ais_client::cpg::MAX_ATOMIC_MSGSIZE;

/// The callbacks a handle was opened with (`cpg_initialize` gives no totem callback).
#[derive(Clone, Copy)]
pub struct Callbacks {
    pub deliver: cpg_deliver_fn_t,
    pub confchg: cpg_confchg_fn_t,
    pub totem_confchg: cpg_totem_confchg_fn_t,
}

// Plain C function pointers, callable from any thread.
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

pub struct CpgHandle {
    pub conn: Cpg,
    pub callbacks: Callbacks,
    /// `cpg_context_set`'s pointer, kept as an address.
    pub context: AtomicUsize,
    /// The group this handle joined and has not left: one per handle, as in corosync.
    pub joined: Mutex<Option<Vec<u8>>>,
    /// The last multicast met back-pressure, and none has got through since.
    pub flow_control: AtomicBool,
}

/// An iteration's snapshot, taken when it was initialized.
pub struct Iteration {
    /// The CPG handle it belongs to (finalizing that ends it too).
    pub owner: cpg_handle_t,
    pub entries: Vec<IterEntry>,
    pub next: AtomicUsize,
}

pub fn open(callbacks: Callbacks, model_flags: u32, context: *mut c_void) -> Result<cpg_handle_t, cs_error_t> {
    let conn = Cpg::open().map_err(|e| code(e.error))?;
    if model_flags != 0 {
        conn.set_model(model_flags).map_err(code)?;
    }
    HANDLES.insert(CpgHandle {
        conn,
        callbacks,
        context: AtomicUsize::new(context as usize),
        joined: Mutex::new(None),
        flow_control: AtomicBool::new(false),
    })
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The bytes of a C group name; `CS_ERR_NAME_TOO_LONG` past 128, `INVALID_PARAM` if empty.
pub fn group_bytes(name: &cpg_name) -> Result<Vec<u8>, cs_error_t> {
    let len = name.length as usize;
    if len > CPG_MAX_NAME_LENGTH {
        return Err(CS_ERR_NAME_TOO_LONG);
    }
    if len == 0 {
        return Err(CS_ERR_INVALID_PARAM);
    }
    Ok(name.value[..len].iter().map(|&c| c as u8).collect())
}

pub fn to_cpg_name(group: &[u8]) -> cpg_name {
    let mut n = cpg_name {
        length: 0,
        value: [0; CPG_MAX_NAME_LENGTH],
    };
    let len = group.len().min(CPG_MAX_NAME_LENGTH);
    for (d, s) in n.value.iter_mut().zip(&group[..len]) {
        *d = *s as _;
    }
    n.length = len as u32;
    n
}

pub fn join(h: &CpgHandle, group: Vec<u8>) -> cs_error_t {
    let mut joined = lock(&h.joined);
    if joined.is_some() {
        // One group per handle.
        return CS_ERR_EXIST;
    }
    let st = code_of(&h.conn.join(&group));
    if st == CS_OK {
        *joined = Some(group);
    }
    st
}

pub fn leave(h: &CpgHandle, group: Vec<u8>) -> cs_error_t {
    let mut joined = lock(&h.joined);
    if joined.as_deref() != Some(group.as_slice()) {
        return CS_ERR_NOT_EXIST;
    }
    let st = code_of(&h.conn.leave(&group));
    if st == CS_OK {
        *joined = None;
    }
    st
}

/// Multicasts `parts` (one message) to the joined group without waiting: accepted means
/// the executive will order it; `CS_ERR_TRY_AGAIN` under back-pressure.
pub fn mcast(h: &CpgHandle, parts: &[&[u8]]) -> cs_error_t {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > MAX_ATOMIC_MSGSIZE {
        return CS_ERR_TOO_BIG;
    }
    if lock(&h.joined).is_none() {
        return CS_ERR_NOT_EXIST;
    }
    match h.conn.mcast(parts) {
        Ok(()) => {
            h.flow_control.store(false, Ordering::Relaxed);
            CS_OK
        }
        Err(e) => {
            if e == ais_client::Error::TryAgain {
                h.flow_control.store(true, Ordering::Relaxed);
            }
            code(e)
        }
    }
}

pub fn membership(h: &CpgHandle, group: &[u8]) -> Result<Vec<Address>, cs_error_t> {
    h.conn.membership(group).map_err(code)
}

pub fn local_get(h: &CpgHandle) -> Result<u32, cs_error_t> {
    h.conn.local_get().map_err(code)
}

pub fn iterate(
    h: &CpgHandle,
    kind: cpg_iteration_type_t,
    group: Option<Vec<u8>>,
) -> Result<Vec<IterEntry>, cs_error_t> {
    h.conn.iterate(kind, group.as_deref(), None).map_err(code)
}

/// Ends the iterations a finalized handle owned.
pub fn end_iterations(owner: cpg_handle_t) {
    for h in ITERATIONS.handles() {
        if ITERATIONS.get(h).is_ok_and(|it| it.owner == owner) {
            let _ = ITERATIONS.remove(h);
        }
    }
}

pub fn dispatch_mode(flags: cs_dispatch_flags_t) -> Option<DispatchMode> {
    match flags {
        CS_DISPATCH_ONE => Some(DispatchMode::OneWaiting),
        CS_DISPATCH_ALL => Some(DispatchMode::All),
        CS_DISPATCH_BLOCKING => Some(DispatchMode::Blocking),
        CS_DISPATCH_ONE_NONBLOCKING => Some(DispatchMode::OneOrTryAgain),
        _ => None,
    }
}

fn to_addresses(list: &[Address]) -> Vec<cpg_address> {
    list.iter()
        .take(CPG_MEMBERS_MAX)
        .map(|a| cpg_address {
            nodeid: a.node,
            pid: a.pid,
            reason: a.reason,
        })
        .collect()
}

/// Runs the handle's pending callbacks.
pub fn dispatch(handle: cpg_handle_t, h: &CpgHandle, mode: DispatchMode) -> Result<(), cs_error_t> {
    h.conn
        .dispatch(mode, |event| match event {
            CpgEvent::Deliver { group, node, pid, data } => {
                let Some(f) = h.callbacks.deliver else { return };
                let name = to_cpg_name(&group);
                // corosync's callback may modify the message in place: give it its own copy.
                let mut data = data.to_vec();
                // SAFETY: the application's callback, with pointers valid for the call.
                unsafe { f(handle, &name, node, pid, data.as_mut_ptr().cast(), data.len()) };
            }
            CpgEvent::ConfChg(c) => {
                let Some(f) = h.callbacks.confchg else { return };
                let name = to_cpg_name(&c.group);
                let (m, l, j) = (to_addresses(&c.members), to_addresses(&c.left), to_addresses(&c.joined));
                // SAFETY: as above; the lists live until the callback returns.
                unsafe {
                    f(
                        handle,
                        &name,
                        m.as_ptr(),
                        m.len(),
                        l.as_ptr(),
                        l.len(),
                        j.as_ptr(),
                        j.len(),
                    )
                };
            }
            CpgEvent::TotemConf(t) => {
                let Some(f) = h.callbacks.totem_confchg else { return };
                let ring = cpg_ring_id {
                    nodeid: t.ring_rep,
                    seq: t.ring_seq,
                };
                // SAFETY: as above.
                unsafe { f(handle, ring, t.members.len() as u32, t.members.as_ptr()) };
            }
        })
        .map_err(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_checked_as_corosync_does() {
        let mut n = to_cpg_name(b"abc");
        assert_eq!(group_bytes(&n), Ok(b"abc".to_vec()));
        n.length = 129;
        assert_eq!(group_bytes(&n), Err(CS_ERR_NAME_TOO_LONG));
        n.length = 0;
        assert_eq!(group_bytes(&n), Err(CS_ERR_INVALID_PARAM));
        n.length = 128;
        assert_eq!(group_bytes(&n).map(|g| g.len()), Ok(128));
    }

    #[test]
    fn dispatch_flags_map_to_corosync_semantics() {
        assert_eq!(dispatch_mode(CS_DISPATCH_ONE), Some(DispatchMode::OneWaiting));
        assert_eq!(
            dispatch_mode(CS_DISPATCH_ONE_NONBLOCKING),
            Some(DispatchMode::OneOrTryAgain)
        );
        assert_eq!(dispatch_mode(CS_DISPATCH_ALL), Some(DispatchMode::All));
        assert_eq!(dispatch_mode(CS_DISPATCH_BLOCKING), Some(DispatchMode::Blocking));
        assert_eq!(dispatch_mode(0), None);
        assert_eq!(dispatch_mode(5), None);
    }

    /// The protocol's reason numbers are the C ones.
    #[test]
    fn address_lists_are_capped_at_cpg_members_max() {
        let a = Address {
            node: 1,
            pid: 2,
            reason: CPG_REASON_PROCDOWN,
        };
        assert_eq!(to_addresses(&vec![a; 200]).len(), CPG_MEMBERS_MAX);
        assert_eq!(to_addresses(&[a])[0].reason, 5);
    }
}
