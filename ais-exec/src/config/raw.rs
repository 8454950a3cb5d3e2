//! The file's shape where it differs from the settings: `totem { }` keeps
//! every timeout optional so that unset ones can be derived from those set,
//! and `nodes { node { } }` has a level the settings flatten.

use serde::Deserialize;

use super::settings::{
    AisExec, Amf, Checkpoint, Event, Interface, Logging, NodeEntry, Quorum, RrpMode, Transport, UidGid, VsfType,
};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawSettings {
    pub totem: RawTotem,
    pub logging: Logging,
    pub event: Event,
    pub checkpoint: Checkpoint,
    pub amf: Amf,
    pub aisexec: AisExec,
    pub uidgid: Vec<UidGid>,
    #[serde(alias = "nodelist")]
    pub nodes: RawNodes,
    pub quorum: Option<Quorum>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawNodes {
    pub node: Vec<NodeEntry>,
}

/// `totem { }` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawTotem {
    pub version: Option<u32>,
    pub secauth: Option<bool>,
    pub nodeid: Option<u32>,
    pub clear_node_high_bit: bool,
    pub transport: Transport,
    pub rrp_mode: RrpMode,
    pub vsftype: Option<VsfType>,
    pub cluster_name: Option<String>,
    /// openais ran totem on worker threads; parsed, then ignored.
    pub threads: Option<u32>,
    pub netmtu: Option<u32>,
    pub token: Option<u32>,
    pub token_retransmit: Option<u32>,
    pub hold: Option<u32>,
    pub token_retransmits_before_loss_const: Option<u32>,
    pub join: Option<u32>,
    pub send_join: Option<u32>,
    pub consensus: Option<u32>,
    pub merge: Option<u32>,
    pub downcheck: Option<u32>,
    pub fail_recv_const: Option<u32>,
    pub seqno_unchanged_const: Option<u32>,
    pub window_size: Option<u32>,
    pub max_messages: Option<u32>,
    pub miss_count_const: Option<u32>,
    pub interface: Vec<Interface>,
}
