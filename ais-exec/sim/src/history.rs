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
    /// Events the EVT clients received, in the order each received them.
    pub evt: Vec<crate::evt::Delivered>,
    /// Each surviving incarnation's state once the cluster was quiet.
    pub snapshots: Vec<Snapshot>,
    /// Sections read back at the end.
    pub reads: Vec<FinalRead>,
    /// Incarnations alive at the end.
    pub survivors: Vec<Inc>,
    /// LCK locks clients were told they hold.
    pub locks: Vec<crate::lck::Held>,
    /// LCK lock requests the clients had answered, granted or not.
    pub lock_asks: Vec<crate::lck::Asked>,
    /// Copies that lost a merge, as each incarnation's services said.
    pub merges: Vec<Merged>,
    /// Messages got from MSG queues.
    pub msg_gets: Vec<crate::msg::MsgGot>,
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
    /// A MSG send of `data` to `queue`.
    MsgSend {
        queue: Vec<u8>,
        data: Vec<u8>,
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

/// A copy that lost a merge on `inc` at `at`.
#[derive(Debug, Clone)]
pub struct Merged {
    pub inc: Inc,
    pub at: u64,
    pub loss: ais_exec::services::contract::MergeLoss,
    /// The incarnations of the members of the losing and the winning side.
    pub loser: Vec<Inc>,
    pub winner: Vec<Inc>,
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
