//! The C side of `libSaLck` over `ais_client::lck`: handle state, versions, the C
//! callbacks. `mod.rs` does the C pointer work around it.

use super::state::{forget_lock, remember_lock, HANDLES, RESOURCES};
use crate::boundary::call::code;
use crate::boundary::version::sa_version;
use crate::boundary::Code;
use crate::runtime::DispatchMode;
use crate::types::ais::{SaAisErrorT, SaVersionT, SA_AIS_OK};
use crate::types::lck::{SaLckCallbacksT, SA_LCK_LOCK_GRANTED};
use ais_client::lck::{Event, Lck};
use ais_proto::AisVersion;

/// B.01.01, what openais implemented (conformance suites and older programs ask for it).
pub(crate) const B0101: SaVersionT = sa_version(b'B', 1, 1);
/// B.03.01, the newest version implemented.
pub(crate) const B0301: SaVersionT = sa_version(b'B', 3, 1);

// Plain C function pointers, callable from any thread.
#[derive(Clone, Copy)]
pub struct Callbacks(pub SaLckCallbacksT);
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

pub struct LckHandle {
    pub conn: Lck,
    pub callbacks: Callbacks,
    pub version: SaVersionT,
}

/// A resource opened through a handle: the executive's id of that open.
pub struct Resource {
    pub owner: u64,
    pub id: u64,
}

/// The version `saLckInitialize` grants for `requested`, or (`Err`) the one it writes
/// back with `SA_AIS_ERR_VERSION`: a B.1 request gets B.1.1, a B.2 or B.3 one B.3.1.
pub fn negotiate(requested: &SaVersionT) -> Result<SaVersionT, SaVersionT> {
    let v = |s: &SaVersionT| AisVersion::new(s.releaseCode, s.majorVersion, s.minorVersion);
    [B0101, B0301]
        .into_iter()
        .find(|ours| AisVersion::accepts(v(ours), v(requested)))
        .ok_or(B0301)
}

/// Opens a handle; `callbacks` is copied (None: no callbacks).
pub fn open(version: SaVersionT, callbacks: Option<SaLckCallbacksT>) -> Result<u64, Code> {
    let conn = Lck::open_handle().map_err(|e| code(e.error))?;
    let none = SaLckCallbacksT {
        saLckResourceOpenCallback: None,
        saLckLockGrantCallback: None,
        saLckLockWaiterCallback: None,
        saLckResourceUnlockCallback: None,
    };
    HANDLES.insert(LckHandle {
        conn,
        callbacks: Callbacks(callbacks.unwrap_or(none)),
        version,
    })
}

/// A resource handle for an open of library handle `owner`.
pub fn register_resource(owner: u64, id: u64) -> Result<u64, SaAisErrorT> {
    RESOURCES.insert(Resource { owner, id })
}

/// Runs the handle's pending callbacks through the application's.
pub fn dispatch(handle: u64, h: &LckHandle, mode: DispatchMode) -> Result<(), Code> {
    let cb = h.callbacks.0;
    h.conn
        .dispatch(mode, |e| match e {
            Event::Opened(o) => {
                let (rh, error) = match o.error {
                    SA_AIS_OK => match register_resource(handle, o.resource) {
                        Ok(rh) => (rh, SA_AIS_OK),
                        Err(e) => (0, e),
                    },
                    e => (0, e),
                };
                if let Some(f) = cb.saLckResourceOpenCallback {
                    // SAFETY: the application's callback, with values it may read.
                    unsafe { f(o.invocation, rh, error) };
                }
            }
            Event::Granted(g) => {
                if g.error != SA_AIS_OK || g.status != SA_LCK_LOCK_GRANTED {
                    forget_lock(g.lock_id);
                }
                if let Some(f) = cb.saLckLockGrantCallback {
                    // SAFETY: as above.
                    unsafe { f(g.invocation, g.status, g.error) };
                }
            }
            Event::Waiter(w) => {
                if let Some(f) = cb.saLckLockWaiterCallback {
                    // SAFETY: as above.
                    unsafe { f(w.waiter_signal, w.lock_id, w.mode_held, w.mode_requested) };
                }
            }
            Event::Unlocked(u) => {
                if let Some(f) = cb.saLckResourceUnlockCallback {
                    // SAFETY: as above.
                    unsafe { f(u.invocation, u.error) };
                }
            }
        })
        .map_err(code)
}

/// Remembers a lock id handed to the application.
pub fn handed_out(id: u64, handle: u64, resource: u64) {
    remember_lock(id, handle, resource);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// B.1 requests get B.1.1 (openais's), B.2 and B.3 get B.3.1; B.4 and other release
    /// codes are refused with B.3.1 written back (the AIS version rule).
    #[test]
    fn versions_negotiate_to_b0101_or_b0301() {
        assert_eq!(negotiate(&sa_version(b'B', 1, 1)), Ok(B0101));
        assert_eq!(negotiate(&sa_version(b'B', 2, 1)), Ok(B0301));
        assert_eq!(negotiate(&sa_version(b'B', 3, 1)), Ok(B0301));
        assert_eq!(negotiate(&sa_version(b'B', 4, 1)), Err(B0301));
        assert_eq!(negotiate(&sa_version(b'A', 1, 1)), Err(B0301));
    }
}
