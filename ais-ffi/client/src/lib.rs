//! The AIS client for Rust programs: talks to the local `aisexec` over its IPC socket.
//!
//! - [`runtime`]: the connection every client and C library is built on (request and
//!   dispatch sockets, handshake, credits, dispatch modes).
//! - [`clm`], [`cpg`], [`evs`], [`ckpt`], [`cfg`], [`tmr`], [`evt`], [`lck`], [`msg`]: one typed client per
//!   service.
//! - [`Error`]: the SA Forum `SaAisErrorT` values as a Rust enum.
//!
//! The executive is the one `AIS_IPC_SOCKET` names (default `@ais`). The C libraries
//! (`ais-ffi`) are a thin layer over this crate.
//!
//! ```no_run
//! // The cluster's members, as the local executive knows them.
//! let clm = ais_client::clm::Clm::open(ais_client::clm::B0401)?;
//! let view = clm.members()?;
//! for item in &view.items {
//!     println!("{} {}", item.node.node_id, String::from_utf8_lossy(&item.node.name));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/members.rs` is a whole program that also follows changes.

// The library has no unsafe code. Its tests have one call: a child process restores
// SIGPIPE's default action (`signal(2)`, unsafe in nix) to prove no send can raise it.
#![cfg_attr(not(test), forbid(unsafe_code))]
#![cfg_attr(test, deny(unsafe_code))]

pub mod cfg;
pub mod ckpt;
pub mod clm;
pub mod cpg;
mod error;
pub mod evs;
pub mod evt;
pub mod lck;
pub mod msg;
pub mod runtime;
pub mod tmr;

pub use error::Error;
pub use runtime::{DispatchMode, OpenError, OpenFailure};
