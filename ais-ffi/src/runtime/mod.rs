//! The client runtime every library is built on: plain std threads and blocking sockets
//! inside the application's process (no tokio, no helper threads).
//!
//! - [`Connection`]: one library handle's link to the executive. Two Unix sockets: the
//!   request socket carries requests and their responses (matched by request id, so
//!   several threads may call at once), the dispatch socket carries only callbacks and is
//!   the handle's selection object.
//! - [`HandleTable`]: `SaXxxHandleT` → state, with handles never reused.
//!
//! Errors are `SaAisErrorT` values, chosen as openais did:
//! - no executive to connect to: `SA_AIS_ERR_TRY_AGAIN` (it may be starting);
//! - the executive went away or broke the protocol on an open handle:
//!   `SA_AIS_ERR_LIBRARY` ("the library cannot be used anymore": the handle's state in
//!   the executive is gone, so the application must finalize and initialize again);
//! - the handle was finalized: `SA_AIS_ERR_BAD_HANDLE`.
//!
//! Nothing here blocks forever on a dead executive (its sockets end), and no write can
//! raise SIGPIPE (every send passes MSG_NOSIGNAL). There is no `unsafe` in this module
//! outside one test that restores SIGPIPE's default action in a child process.

mod conn;
mod handles;
mod sys;
#[cfg(test)]
mod tests;

pub use ais_proto::{AisVersion, ServiceId, SocketName};
pub use conn::{Callback, Connection, DispatchMode, OpenError, Reply, DEFAULT_HANDSHAKE_TIMEOUT};
pub use handles::HandleTable;
