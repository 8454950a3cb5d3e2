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
//! After each regular configuration every node forgets the processes of the
//! other nodes and multicasts the list of its own; once the lists of all
//! members have arrived the groups are rebuilt identically everywhere, and
//! each group's members are told who came (NODEUP) and went (NODEDOWN).

pub mod service;
pub mod state;
pub mod wire;
