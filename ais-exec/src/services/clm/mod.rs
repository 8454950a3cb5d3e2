//! Cluster membership (CLM B.01.01 / B.04.01), the executive side.
//!
//! Totem agrees on which node ids form the cluster; CLM adds what each node
//! says about itself (name, address, boot time, the view it joined in). After
//! every regular configuration each member multicasts its record
//! ([`node::NodeJoin`]); once the records of all members have arrived the view
//! is complete ([`view::ClusterView`]) and trackers are told what changed
//! ([`track`]). Until then requests that depend on the view answer
//! `SA_AIS_ERR_TRY_AGAIN`.

pub mod admin;
pub mod node;
pub mod service;
pub mod track;
pub mod view;
