//! The AIS services as replicated state machines: each applies the totem
//! deliveries and configuration changes in agreed order, identically on every
//! node, and answers its local clients.
//!
//! - [`contract`]: the one trait every service implements, and what it returns.
//! - [`registry`]: the services this executive runs, one line each.
//! - [`router`]: the generic host that feeds them and carries out their output.
//! - [`flow`]: the router's flow control (credits, stalled readers, parking).
//! - [`sync`]: the one re-synchronisation of every service after a
//!   configuration change (init, pieces, barrier, activate).
//! - one folder per service; [`cfg`] is the executive's own status service.

pub mod cfg;
pub mod ckpt;
pub mod clm;
pub mod clock;
pub mod codec;
pub mod contract;
pub mod cpg;
pub mod evs;
pub mod evt;
pub mod flow;
pub mod fuzzing;
pub mod io;
pub mod lck;
pub mod msg;
pub mod quorum;
pub mod registry;
pub mod router;
pub mod sync;
pub mod tmr;

pub use contract::{Effect, Handling, Output, Reply, Service};
#[cfg(test)]
pub mod testkit;
