//! The Totem single-ring ordering and membership protocol, as a sans-IO
//! state machine (see [`srp::Totem`]).
//!
//! The protocol is that of Amir, Moser, Melliar-Smith et al. as openais and
//! corosync run it: a token circulating on a logical ring orders every
//! message; a membership protocol (gather, commit, recovery) forms new rings
//! when nodes fail, join or partitions heal; delivery follows extended
//! virtual synchrony.

pub mod config;
pub mod frames;
pub mod fuzzing;
pub mod packing;
pub mod srp;
pub mod types;
pub mod wire;

pub use config::{ConfigError, TotemConfig, MAX_MESSAGE_SIZE};
pub use srp::{Options, Totem};
pub use types::*;
