//! Closed process groups (CPG, as corosync's API), the executive side: a
//! replicated state machine of named groups and their members (node id,
//! pid), fed the same ordered messages on every node.
//!
//! - [`state`]: the groups, and the configuration changes and deliveries that
//!   each ordered message causes.
//! - [`service`]: client requests in, cluster messages and callbacks out.
//! - [`wire`]: the cluster messages (join, leave, process down, multicast,
//!   join list) and their bounds-checked encoding.
//!
//! Sync ([`crate::services::sync`]): each member's piece is the list of its
//! own processes and their groups. Merge rule: the groups become the union
//! of the members' lists (a node's processes are known only from the node
//! itself, so the processes of nodes gone are dropped); at activate each
//! group's local members are told who came (NODEUP for a node new to the
//! configuration, JOIN otherwise) and went (NODEDOWN for a node gone). Joins
//! and leaves answer TRY_AGAIN meanwhile; multicasts and the other messages
//! ordered during the round are held by the engine and delivered right after
//! the configuration changes that announce their senders.

pub mod service;
pub mod state;
pub mod wire;
