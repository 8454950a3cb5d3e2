//! The typed settings: what the executive reads from openais.conf once
//! defaults are applied, timeouts derived and everything checked.
//!
//! Blocks whose shape in the file is their shape in memory derive
//! `Deserialize` here directly; the `totem { }` block needs resolving (its
//! timeouts depend on each other) and is read through `raw::RawTotem`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use ais_totem::config::TotemConfig;
use serde::{Deserialize, Deserializer};

/// Everything openais.conf configures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    pub totem: Totem,
    pub logging: Logging,
    pub event: Event,
    pub checkpoint: Checkpoint,
    pub amf: Amf,
    pub aisexec: AisExec,
    /// `uidgid { }` blocks: extra users and groups allowed to connect.
    pub uidgid: Vec<UidGid>,
    /// `nodes { node { } }` (also read as corosync's `nodelist`).
    pub nodes: Vec<NodeEntry>,
    /// `quorum { }`; without it every partition goes on alone.
    pub quorum: Option<Quorum>,
    /// Where the values checked against this host at startup were written.
    pub origin: Origin,
}

/// Where the values the executive can only check at startup, against the
/// host it runs on, were written: an error about them names the file and
/// line to fix like every other configuration error.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The file, as messages name it.
    pub file: String,
    /// The line of `totem.nodeid` (0 when it is not written).
    pub totem_nodeid: u32,
    /// The line of each interface's `bindnetaddr`, by ring number.
    pub bindnetaddr: Vec<u32>,
    /// The line of each `node { }` entry's `nodeid`, in the order of
    /// [`Settings::nodes`].
    pub node_ids: Vec<u32>,
    /// How the node list block is spelled in the file (`nodes` or `nodelist`).
    pub nodes_block: &'static str,
}

/// Where a value was written is not part of what the settings say: two files
/// laid out differently that say the same compare equal.
impl PartialEq for Origin {
    fn eq(&self, _: &Origin) -> bool {
        true
    }
}

impl Eq for Origin {}

impl Origin {
    /// `file:line`, as messages name a place.
    pub fn place(&self, line: u32) -> String {
        if line > 0 {
            format!("{}:{line}", self.file)
        } else {
            self.file.clone()
        }
    }

    /// An error about the key `key` written at `line`.
    pub fn error(&self, line: u32, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line,
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }
}

/// `totem { }`: the ring, its protocol parameters and its interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totem {
    /// Always 2: the only configuration version openais understood.
    pub version: u32,
    /// Authenticate and encrypt every datagram with the authkey.
    pub secauth: bool,
    /// This node's id; chosen from the ring 0 address when absent (IPv4 only).
    pub nodeid: Option<u32>,
    /// Clear bit 31 of an id derived from an address (corosync extension).
    pub clear_node_high_bit: bool,
    pub transport: Transport,
    pub rrp_mode: RrpMode,
    /// Accepted for compatibility; the executive has one virtual synchrony
    /// filter.
    pub vsftype: Option<VsfType>,
    pub cluster_name: Option<String>,
    /// Timeouts and limits, with derived values filled in.
    pub protocol: TotemConfig,
    /// The interfaces, ordered by ring number (index = ring number).
    pub interfaces: Vec<Interface>,
}

impl Default for Totem {
    fn default() -> Totem {
        Totem {
            version: 2,
            secauth: true,
            nodeid: None,
            clear_node_high_bit: false,
            transport: Transport::Udp,
            rrp_mode: RrpMode::None,
            vsftype: None,
            cluster_name: None,
            protocol: TotemConfig::default(),
            interfaces: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// IP multicast to `mcastaddr`.
    #[default]
    Udp,
    /// UDP unicast to every `member` (corosync 1.3 extension).
    Udpu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RrpMode {
    #[default]
    None,
    Active,
    Passive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VsfType {
    None,
    Ykd,
}

/// Default multicast port; the transport also uses `mcastport - 1`.
pub const DEFAULT_MCASTPORT: u16 = 5405;

/// Rings a node may have (redundant ring protocol), as in openais.
pub const MAX_INTERFACES: usize = 2;

/// `interface { }` inside `totem { }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Interface {
    #[serde(default)]
    pub ringnumber: u8,
    /// The network (or an address in it) to bind to.
    #[serde(deserialize_with = "addr")]
    pub bindnetaddr: IpAddr,
    /// Required with `transport: udp`, ignored with `udpu`.
    #[serde(default, deserialize_with = "opt_addr")]
    pub mcastaddr: Option<IpAddr>,
    #[serde(default = "default_mcastport")]
    pub mcastport: u16,
    /// Multicast time-to-live.
    #[serde(default = "default_ttl")]
    pub ttl: u8,
    /// Peers for `transport: udpu`.
    #[serde(default, rename = "member")]
    pub members: Vec<Member>,
}

/// `member { memberaddr }` inside `interface { }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Member {
    #[serde(deserialize_with = "addr")]
    pub memberaddr: IpAddr,
}

fn default_mcastport() -> u16 {
    DEFAULT_MCASTPORT
}

fn default_ttl() -> u8 {
    1
}

/// `logging { }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Logging {
    pub to_stderr: bool,
    /// Also read as corosync's `to_logfile`.
    #[serde(alias = "to_logfile")]
    pub to_file: bool,
    pub to_syslog: bool,
    /// Required when `to_file` is on.
    pub logfile: Option<PathBuf>,
    pub debug: bool,
    pub timestamp: bool,
    pub syslog_facility: SyslogFacility,
    /// Prefix messages with the source file and line.
    pub fileline: bool,
    /// Per-subsystem overrides; openais 0.80 spelled the block `logger`.
    #[serde(alias = "logger")]
    pub logger_subsys: Vec<LoggerSubsys>,
}

impl Default for Logging {
    fn default() -> Logging {
        Logging {
            to_stderr: true,
            to_file: false,
            to_syslog: true,
            logfile: None,
            debug: false,
            timestamp: false,
            syslog_facility: SyslogFacility::Daemon,
            fileline: false,
            logger_subsys: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFacility {
    #[default]
    Daemon,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl SyslogFacility {
    /// The facility code as syslog(3) wants it (`LOG_DAEMON`, `LOG_LOCAL0`...).
    pub fn code(self) -> i32 {
        match self {
            SyslogFacility::Daemon => 3 << 3,
            SyslogFacility::Local0 => 16 << 3,
            SyslogFacility::Local1 => 17 << 3,
            SyslogFacility::Local2 => 18 << 3,
            SyslogFacility::Local3 => 19 << 3,
            SyslogFacility::Local4 => 20 << 3,
            SyslogFacility::Local5 => 21 << 3,
            SyslogFacility::Local6 => 22 << 3,
            SyslogFacility::Local7 => 23 << 3,
        }
    }
}

/// `logger_subsys { }` inside `logging { }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoggerSubsys {
    /// The subsystem (`CLM`, `CKPT`, `AMF`...); openais 0.80 called it `ident`.
    #[serde(alias = "ident")]
    pub subsys: String,
    #[serde(default)]
    pub debug: bool,
    /// openais trace tags (`enter|leave|trace1...`), kept as written.
    #[serde(default)]
    pub tags: Option<String>,
}

/// `event { }`: flow control of the event service's delivery queue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Event {
    /// Events queued for a subscriber before it is stopped.
    pub delivery_queue_size: u32,
    /// Queue length at which delivery resumes.
    pub delivery_queue_resume: u32,
}

impl Default for Event {
    fn default() -> Event {
        Event {
            delivery_queue_size: 1000,
            delivery_queue_resume: 500,
        }
    }
}

/// `checkpoint { }`: the checkpoint service's own limits (past one a change
/// is answered `SA_AIS_ERR_NO_RESOURCES`). Every node must use the same
/// values: they decide results every node computes alike.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Checkpoint {
    /// Checkpoints in the cluster.
    pub max_checkpoints: u32,
    /// Sections of all checkpoints together.
    pub max_sections: u64,
    /// Bytes of section data and ids of all checkpoints, with what is staged.
    pub max_memory: u64,
    /// Bytes of large changes staged for one sending node.
    pub max_staged_per_node: u64,
    /// Bytes of large changes staged for all nodes together.
    pub max_staged: u64,
    /// Checkpoints one connection may have open.
    pub max_open_per_connection: u32,
}

impl Default for Checkpoint {
    fn default() -> Checkpoint {
        use crate::services::ckpt::limits as l;
        Checkpoint {
            max_checkpoints: l::MAX_CHECKPOINTS as u32,
            max_sections: l::MAX_SECTIONS_TOTAL,
            max_memory: l::MAX_STORE_BYTES,
            max_staged_per_node: l::MAX_STAGED_PER_NODE,
            max_staged: l::MAX_STAGED_TOTAL,
            max_open_per_connection: l::MAX_OPENS_PER_CONN as u32,
        }
    }
}

impl Checkpoint {
    /// The limits the checkpoint service is given.
    pub fn limits(&self) -> crate::services::ckpt::limits::CkptLimits {
        crate::services::ckpt::limits::CkptLimits {
            max_checkpoints: self.max_checkpoints as usize,
            max_sections_total: self.max_sections,
            max_store_bytes: self.max_memory,
            max_staged_per_node: self.max_staged_per_node,
            max_staged_total: self.max_staged,
            max_opens_per_conn: self.max_open_per_connection as usize,
        }
    }
}

/// `amf { }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Amf {
    pub mode: AmfMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AmfMode {
    Enabled,
    #[default]
    Disabled,
}

/// `aisexec { }`: the identity the executive runs services under.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AisExec {
    pub user: String,
    pub group: String,
}

impl Default for AisExec {
    fn default() -> AisExec {
        AisExec {
            user: "ais".into(),
            group: "ais".into(),
        }
    }
}

/// `uidgid { }`: a user and/or group whose processes may connect. Names or
/// numbers are kept as written; they are resolved when the executive starts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct UidGid {
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub gid: Option<String>,
}

/// `node { }` inside `nodes { }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NodeEntry {
    pub nodeid: u32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(deserialize_with = "addr")]
    pub ring0_addr: IpAddr,
    /// The node's votes for `quorum { }` (corosync's nodelist key).
    #[serde(default = "one_vote")]
    pub quorum_votes: u32,
}

fn one_vote() -> u32 {
    1
}

/// `quorum { }`: corosync's votequorum (votequorum(5)).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Quorum {
    pub provider: QuorumProvider,
    /// Overrides the node list's sum of votes.
    #[serde(default)]
    pub expected_votes: Option<u32>,
    #[serde(default)]
    pub two_node: bool,
    /// Not written: on with two_node, off otherwise.
    #[serde(default)]
    pub wait_for_all: Option<bool>,
}

/// The quorum provider; corosync's name and the short one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum QuorumProvider {
    #[serde(rename = "corosync_votequorum", alias = "votequorum")]
    Votequorum,
}

impl Settings {
    /// What the services' quorum is computed from; `None` without a
    /// `quorum { }` section. Resolving checked that expected votes are known.
    pub fn quorum_config(&self) -> Option<crate::services::quorum::QuorumConfig> {
        let q = self.quorum.as_ref()?;
        let votes: std::collections::BTreeMap<u32, u32> =
            self.nodes.iter().map(|n| (n.nodeid, n.quorum_votes)).collect();
        let listed = votes.values().fold(0u32, |t, v| t.saturating_add(*v));
        Some(crate::services::quorum::QuorumConfig {
            expected_votes: q.expected_votes.unwrap_or(listed),
            two_node: q.two_node,
            wait_for_all: q.wait_for_all,
            votes,
        })
    }
}

/// Reads an address with a message that shows what was written.
fn addr<'de, D: Deserializer<'de>>(d: D) -> Result<IpAddr, D::Error> {
    let s = String::deserialize(d)?;
    // Accept the bracketed form corosync prints for IPv6.
    let bare = s.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(&s);
    bare.parse()
        .map_err(|_| serde::de::Error::custom(format!("expected an IPv4 or IPv6 address, found '{s}'")))
}

fn opt_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpAddr>, D::Error> {
    addr(d).map(Some)
}

/// A remark about the file that does not stop it from being used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub line: u32,
    /// The dotted key concerned.
    pub key: String,
    /// The whole remark, key included.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    /// 0 when no line is concerned (the file cannot be read, say).
    pub line: u32,
    /// The dotted key or block concerned, when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}
