//! Cluster membership (CLM B.01.01 / B.04.01), the executive side.
//!
//! Totem agrees on which node ids form the cluster; CLM adds what each node
//! says about itself (name, address, boot time, the view it joined in).
//!
//! Sync ([`crate::services::sync`]): each member's piece is its own record
//! ([`node::NodeJoin`]) with the ring of its last view. Merge rule: the view
//! is the members' records as they sent them in this round, nothing kept
//! from before (a node that restarted is reported with its new record),
//! except each one's initial view, decided from every record alike
//! ([`joined`]); at activate the view is
//! complete ([`view::ClusterView`]) and trackers are told what changed
//! ([`track`]). Until then node gets and a track of the current membership
//! answer `SA_AIS_ERR_TRY_AGAIN`.

pub mod admin;
pub mod joined;
pub mod node;
pub mod service;
pub mod track;
pub mod view;
