//! What a run did, as the checker reads it: requests and their answers,
//! callbacks, connections, which node delivered the message of which
//! request, and the state at the end. Every record carries `at`, one
//! counter for the whole run, so records of different nodes are ordered.

use ais_exec::ipc::{ConnId, ServiceId};
use ais_totem::{NodeId, RingId};

/// An incarnation of a node (a node restarts as a new one): its index in
/// [`History::incarnations`].
pub type Inc = usize;
/// A request: its index in [`History::requests`].
pub type ReqId = usize;

#[derive(Debug, Clone, Default)]
pub struct History {
    /// The node of each incarnation.
    pub incarnations: Vec<NodeId>,
    pub conns: Vec<Conn>,
    pub requests: Vec<Request>,
    pub answers: Vec<Answer>,
    pub callbacks: Vec<Callback>,
    pub deliveries: Vec<Delivered>,
    /// Each surviving incarnation's state once the cluster was quiet.
    pub snapshots: Vec<Snapshot>,
    /// Sections read back at the end.
    pub reads: Vec<FinalRead>,
    /// Incarnations alive at the end.
    pub survivors: Vec<Inc>,
    /// The run configured `quorum { }`; each node's quorum as it changed.
    pub quorum_configured: bool,
    pub quorum: Vec<crate::quorum::Mark>,
}

/// One library connection of an incarnation.
#[derive(Debug, Clone)]
pub struct Conn {
    pub inc: Inc,
    pub conn: ConnId,
    pub opened: u64,
    /// When the client closed it or its node went down.
    pub closed: Option<u64>,
}

/// What a request changes, for the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    None,
    /// Sets a checkpoint section's whole data (create, write at 0,
    /// overwrite). `kept`: the checkpoint is retained for good (the run
    /// reads its sections back at the end); others expire once closed.
    Write {
        name: Vec<u8>,
        section: Vec<u8>,
        data: Vec<u8>,
        kept: bool,
    },
    Unlink {
        name: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
pub struct Request {
    pub inc: Inc,
    pub conn: ConnId,
    pub service: ServiceId,
    pub msg: u16,
    pub at: u64,
    /// The API acknowledges it only once its message is ordered: its OK
    /// must follow the delivery of that message on the origin.
    pub ordered: bool,
    pub target: Target,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub req: ReqId,
    /// The incarnation whose router answered.
    pub by: Inc,
    pub status: u32,
    pub at: u64,
}

/// A callback an incarnation's router sent to one of its connections.
#[derive(Debug, Clone)]
pub struct Callback {
    pub inc: Inc,
    pub conn: ConnId,
    pub msg: u16,
    pub at: u64,
}

/// The cluster message of `req` delivered on `inc`.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub req: ReqId,
    pub inc: Inc,
    pub at: u64,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub inc: Inc,
    pub ring: RingId,
    pub digests: Vec<(ServiceId, Option<u64>)>,
}

/// A section read back at the end on `inc`: its data, `None` when the
/// checkpoint or section was not there.
#[derive(Debug, Clone)]
pub struct FinalRead {
    pub inc: Inc,
    pub name: Vec<u8>,
    pub section: Vec<u8>,
    pub data: Option<Vec<u8>>,
}
