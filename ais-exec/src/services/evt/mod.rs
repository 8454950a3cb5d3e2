//! The event service (EVT B.01.01 and B.03.01), the executive side.
//!
//! Publish/subscribe on named channels, cluster-wide. What is replicated (the
//! [`store`]): the channels with every node's open count, and the retained events; each
//! change is an ordered cluster message ([`wire`]), so every member applies the same
//! changes in the same order and every subscriber in the cluster receives a channel's
//! events in that one agreed order. What is local: each handle's channel opens,
//! subscriptions and its bounded [`delivery`] queue, from which its library pulls.
//!
//! Re-synchronisation (the sync engine): every node reports the channels it knows with
//! its own opens, one member of each old ring the retained events; the merge rule
//! (saEvt(3), MERGE, and [`store::Store::merged`]) keeps each node's opens as it
//! reported them, so the opens of a node that failed go with it and an unlinked channel
//! is deleted once no survivor holds it open; retained events are the union, each
//! expiring at its publish time plus its retention time, on every node alike.
//!
//! - [`wire`]: the cluster messages and sync pieces.
//! - [`store`]: channels and retained events (replicated).
//! - [`delivery`]: a subscriber's queue (priority, overflow, the lost event).
//! - [`service`]: requests in, ordered changes, AVAILABLE callbacks out.

pub mod delivery;
pub mod service;
pub mod store;
#[cfg(test)]
mod tests;
pub mod wire;
