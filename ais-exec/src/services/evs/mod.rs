//! Extended virtual synchrony (EVS, as corosync's API), the executive side.
//!
//! A handle joins groups (32-byte keys) locally; nothing about them is
//! replicated. A multicast carries its group list (the sender's joined
//! groups, or the ones it names), and every executive delivers it, in agreed
//! order, to each of its handles that joined at least one of them. Every
//! regular configuration is reported to every handle with the members, and
//! who left and joined since the previous one.
//!
//! - [`service`]: client requests in, cluster messages and callbacks out.
//! - [`wire`]: the one cluster message and its bounds-checked encoding.

pub mod service;
pub mod wire;
