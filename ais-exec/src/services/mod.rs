//! The AIS services as replicated state machines: each applies the totem
//! deliveries and configuration changes in agreed order, identically on every
//! node, and answers its local clients.

pub mod clm;
pub mod cpg;
pub mod host;
