//! The message service (MSG B.03.01), the executive side.
//!
//! Queues are cluster-wide objects replicated on every node: each change
//! (open, close, send, get, ...) is one ordered cluster message every node
//! applies to its replica, so a queue and every message sent to it
//! successfully survive the failure of the node that had it open. The sync
//! engine brings them to joining nodes and merges partitions (saMsg(3)).
//!
//! - [`wire`]: the cluster messages.
//! - [`queues`]: the replicated table and how each change applies.
//! - [`merge`]: the sync piece and the merge rule.
//! - [`limits`]: what clients may make the executive hold.
//! - [`service`]: client requests in, answers and callbacks out.

pub mod limits;
pub mod merge;
pub mod queues;
pub mod service;
pub mod wire;

#[cfg(test)]
mod tests;
