//! The lock service (LCK B.03.01), the executive side: a replicated lock
//! table every node changes by the same messages in agreed order, so that
//! every node grants the same locks.
//!
//! - [`table`]: resources, granted locks and FIFO queues; the grant rule,
//!   deadlock detection over the cluster-wide wait-for graph, release of a
//!   gone handle's or node's locks, orphan locks, the merge rule. Pure.
//! - [`wire`]: the cluster messages and the sync piece.
//! - [`service`]: client requests in, cluster messages, answers and
//!   callbacks out; the timers of synchronous requests.
//!
//! Sync ([`crate::services::sync`]): every node sends its table with the
//! ring it kept it in and whether that ring was quorate. At activate the
//! table of a quorate old ring, else of the lowest old ring, is the
//! base and the others merge into it by the rule of saLck(3) (this side's
//! grants win, the other's compatible grants are kept, its waiters queue
//! behind ours); then every lock of a node not in the configuration is
//! released (orphan ones orphaned) and the waiters are granted in order.

pub mod service;
pub mod table;
pub mod wire;
