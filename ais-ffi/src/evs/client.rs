//! The C side of `libevs` over `ais_client::evs`: handle state, the C callbacks and
//! group keys. `mod.rs` does the C pointer work around it.

use super::state::HANDLES;
use crate::boundary::call::{code, code_of};
use crate::runtime::DispatchMode;
use crate::types::corotypes::*;
use crate::types::evs::*;
use ais_client::evs::{ConfChg, Evs, EvsEvent, Group, Membership};
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use crate::cpg::client::dispatch_mode;
pub use ais_client::evs::{GROUP_LEN, MAX_GROUPS, MAX_JOIN_GROUPS};

// Plain C function pointers, callable from any thread.
#[derive(Clone, Copy)]
pub struct Callbacks(pub evs_callbacks_t);
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

pub struct EvsHandle {
    pub conn: Evs,
    pub callbacks: Callbacks,
    /// `evs_context_set`'s pointer, kept as an address.
    pub context: AtomicUsize,
}

pub fn open(callbacks: Option<evs_callbacks_t>) -> Result<evs_handle_t, cs_error_t> {
    let conn = Evs::open().map_err(|e| code(e.error))?;
    let none = evs_callbacks_t {
        evs_deliver_fn: None,
        evs_confchg_fn: None,
    };
    HANDLES.insert(EvsHandle {
        conn,
        callbacks: Callbacks(callbacks.unwrap_or(none)),
        context: AtomicUsize::new(0),
    })
}

pub fn context(h: &EvsHandle) -> *mut c_void {
    h.context.load(Ordering::Relaxed) as *mut c_void
}

pub fn set_context(h: &EvsHandle, context: *mut c_void) {
    h.context.store(context as usize, Ordering::Relaxed);
}

/// A C group's key as bytes.
pub fn group_key(g: &evs_group) -> Group {
    let mut k = [0u8; GROUP_LEN];
    for (d, s) in k.iter_mut().zip(g.key.iter()) {
        *d = *s as u8;
    }
    k
}

/// Joins `groups` (at most [`MAX_JOIN_GROUPS`] in one call, as in corosync).
pub fn join(h: &EvsHandle, groups: &[Group]) -> cs_error_t {
    code_of(&h.conn.join(groups))
}

/// Leaves `groups`, one joined entry each: all of them or, if one is not joined
/// (`CS_ERR_NOT_EXIST`), none.
pub fn leave(h: &EvsHandle, groups: &[Group]) -> cs_error_t {
    code_of(&h.conn.leave(groups))
}

/// Multicasts `parts` (one message) to `groups`, or to the handle's joined groups when
/// `None`, without waiting: accepted means the executive will order it;
/// `CS_ERR_TRY_AGAIN` under back-pressure.
pub fn mcast(h: &EvsHandle, guarantee: evs_guarantee_t, groups: Option<&[Group]>, parts: &[&[u8]]) -> cs_error_t {
    code_of(&h.conn.mcast(guarantee, groups, parts))
}

/// The local node id and the members of the current configuration.
pub fn membership(h: &EvsHandle) -> Result<Membership, cs_error_t> {
    h.conn.membership().map_err(code)
}

/// The three lists of a configuration change, laid out in one allocation that is never
/// empty, so each list's pointer is valid even when its count is 0.
struct Lists {
    all: Vec<u32>,
    counts: [usize; 3],
}

impl Lists {
    fn new(c: &ConfChg) -> Lists {
        let mut all = Vec::with_capacity(c.members.len() + c.left.len() + c.joined.len() + 1);
        all.extend_from_slice(&c.members);
        all.extend_from_slice(&c.left);
        all.extend_from_slice(&c.joined);
        all.push(0);
        Lists {
            all,
            counts: [c.members.len(), c.left.len(), c.joined.len()],
        }
    }

    /// List `i`'s pointer and length.
    fn list(&self, i: usize) -> (*const u32, usize) {
        let start: usize = self.counts[..i].iter().sum();
        (self.all[start..].as_ptr(), self.counts[i])
    }
}

/// Runs the handle's pending callbacks.
pub fn dispatch(handle: evs_handle_t, h: &EvsHandle, mode: DispatchMode) -> Result<(), cs_error_t> {
    let cbs = h.callbacks.0;
    h.conn
        .dispatch(mode, |event| match event {
            EvsEvent::Deliver(d) => {
                let Some(f) = cbs.evs_deliver_fn else { return };
                // SAFETY: the application's callback, with a message valid for the call.
                unsafe { f(handle, d.node, d.data.as_ptr().cast(), d.data.len()) };
            }
            EvsEvent::ConfChg(c) => {
                let Some(f) = cbs.evs_confchg_fn else { return };
                let lists = Lists::new(&c);
                let ((m, mn), (l, ln), (j, jn)) = (lists.list(0), lists.list(1), lists.list(2));
                let ring = evs_ring_id {
                    nodeid: c.ring_rep,
                    seq: c.ring_seq,
                };
                // SAFETY: as above; the lists and the ring id live until the callback returns.
                unsafe { f(handle, m, mn, l, ln, j, jn, &ring) };
            }
        })
        .map_err(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_keys_are_the_32_bytes_as_given() {
        let mut g = evs_group { key: [0; 32] };
        g.key[0] = b'a' as _;
        g.key[31] = -1i8 as _;
        let k = group_key(&g);
        assert_eq!((k[0], k[1], k[31]), (b'a', 0, 0xff));
    }

    #[test]
    fn configuration_lists_point_into_one_buffer_and_are_never_dangling() {
        let c = ConfChg {
            ring_rep: 1,
            ring_seq: 4,
            members: vec![1, 2, 3],
            left: vec![],
            joined: vec![3],
        };
        let l = Lists::new(&c);
        // SAFETY: each pointer and count come from `l`, alive here.
        let slice = |i: usize| {
            let (p, n) = l.list(i);
            unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
        };
        assert_eq!((slice(0), slice(1), slice(2)), (vec![1, 2, 3], vec![], vec![3]));
        let empty = Lists::new(&ConfChg::default());
        assert!(!empty.list(0).0.is_null());
    }

    #[test]
    fn the_status_numbers_are_corosyncs() {
        assert_eq!(ais_proto::evs::TOO_MANY_GROUPS, CS_ERR_TOO_MANY_GROUPS);
    }
}
