//! The client runtime every library and tool is built on: plain std threads and blocking
//! sockets inside the application's process (no tokio, no helper threads).
//!
//! [`Connection`] is one handle's link to the executive. Two Unix sockets: the request
//! socket carries requests and their responses (matched by request id, so several threads
//! may call at once), the dispatch socket carries only callbacks and is the handle's
//! selection object.
//!
//! Errors are [`Error`](crate::Error)s, chosen as openais did:
//! - no executive to connect to: [`Error::TryAgain`](crate::Error::TryAgain) (it may be
//!   starting), with [`OpenFailure::NotListening`]; an executive that refuses the caller:
//!   [`Error::Access`](crate::Error::Access) with [`OpenFailure::Refused`];
//! - the executive went away or broke the protocol on an open handle:
//!   [`Error::Library`](crate::Error::Library) ("the library cannot be used anymore": the
//!   handle's state in the executive is gone, so the application must finalize and
//!   initialize again);
//! - the handle was finalized: [`Error::BadHandle`](crate::Error::BadHandle).
//!
//! Nothing here blocks forever on a dead executive (its sockets end), and no write can
//! raise SIGPIPE (every send passes MSG_NOSIGNAL).

mod conn;
mod sys;
#[cfg(test)]
mod tests;

pub use ais_proto::{AisVersion, ServiceId, SocketName};
pub use conn::{Callback, Connection, DispatchMode, OpenError, OpenFailure, Reply, DEFAULT_HANDSHAKE_TIMEOUT};
