//! The vocabulary shared by the protocol and its users.

use bytes::Bytes;

/// A node's 32-bit identifier (from the configuration or its IPv4 address).
pub type NodeId = u32;

/// The driver's monotonic clock in nanoseconds. The core never reads a clock;
/// every call carries the current time.
pub type Time = u64;

/// Milliseconds to [`Time`] units.
pub const fn ms(n: u64) -> Time {
    n * 1_000_000
}

/// A ring's identity: its representative and its sequence number. Sequence
/// numbers grow by 4 with each new ring and survive restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RingId {
    pub rep: NodeId,
    pub seq: u64,
}

/// Where a datagram goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// Every node the transport can reach (multicast, or each configured member
    /// with `udpu`). The sender never needs its own copy.
    All,
    /// One node (the token's next holder).
    Node(NodeId),
}

/// Which delivery guarantee a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarantee {
    /// Total order, delivered as soon as all predecessors are.
    Agreed,
    /// Total order, and delivered only once every member has received it.
    Safe,
}

/// Regular or transitional configuration (extended virtual synchrony).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfKind {
    Transitional,
    Regular,
}

/// A configuration change, delivered in order with the messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfChange {
    pub kind: ConfKind,
    /// The ring being installed (for a transitional configuration, the new
    /// ring that the transition leads to).
    pub ring_id: RingId,
    /// For a transitional configuration, the ring it comes from.
    pub old_ring_id: Option<RingId>,
    /// Members, sorted.
    pub members: Vec<NodeId>,
    /// Members of the previous configuration that are not in this one.
    pub left: Vec<NodeId>,
    /// Members of this configuration that were not in the previous one.
    pub joined: Vec<NodeId>,
}

/// An application message delivered in agreed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub sender: NodeId,
    pub guarantee: Guarantee,
    pub data: Bytes,
    /// The frame that completed this message, on the ring it was first sent
    /// on: the same on every node that delivers it.
    pub ring_id: RingId,
    pub seq: u64,
}

/// Something the driver must do or hand on, in the order produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this datagram.
    Transmit { dest: Dest, data: Bytes },
    /// Hand this message to the services.
    Deliver(Delivery),
    /// Install this configuration.
    ConfChange(ConfChange),
    /// Store this ring sequence number durably (it is the highest this node
    /// has used), then go on with the outputs that follow it. A node must
    /// never reuse a ring identifier after a restart; the outputs after this
    /// one (the commit token naming the new ring, the configuration change
    /// installing it) may use it, so a driver handles them only once the
    /// number is stored. Give the highest stored number to [`crate::Totem::new`]
    /// on the next start.
    PersistRingSeq(u64),
    /// The node left its ring (or the one forming) and gathers a new
    /// membership, for this reason; a configuration change follows once one
    /// forms. For the log: a new membership is reported with its cause.
    Gather(GatherReason),
    /// Only when reception observation is on (for checkers): this node now
    /// holds frame `seq` of ring `ring_id` (its original ring when it came
    /// re-sent during recovery).
    Received { ring_id: RingId, seq: u64 },
}

/// Why a node started gathering a new membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherReason {
    /// The node started: it forms a ring of its own and merges with any it hears.
    Start,
    /// No token (or commit token) came within the token timeout in this state.
    TokenLost(State),
    /// Frames kept missing for `fail_recv_const` token visits.
    FailedToReceive,
    /// A join message came from this node (it is joining, or re-forming).
    JoinReceived(NodeId),
    /// A packet of another ring came from `from`: the two rings merge.
    MergeDetected { from: NodeId, ring: RingId },
    /// This node announced that it leaves.
    LeaveReceived(NodeId),
    /// No consensus within the consensus timeout (already gathering); the
    /// nodes that had not agreed are counted as failed.
    ConsensusTimeout { failed: Vec<NodeId> },
}

impl std::fmt::Display for GatherReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatherReason::Start => f.write_str("the node started"),
            GatherReason::TokenLost(s) => write!(f, "the token was lost in the {} state", s.name().to_uppercase()),
            GatherReason::FailedToReceive => f.write_str("failed to receive: messages kept missing on the ring"),
            GatherReason::JoinReceived(n) => write!(f, "a join message was received from node {n}"),
            GatherReason::MergeDetected { from, ring } => write!(
                f,
                "another ring ({}:{}) was detected through node {from}: merging",
                ring.rep, ring.seq
            ),
            GatherReason::LeaveReceived(n) => write!(f, "node {n} left the ring"),
            GatherReason::ConsensusTimeout { failed } if failed.is_empty() => {
                f.write_str("the consensus timeout expired")
            }
            GatherReason::ConsensusTimeout { failed } => {
                write!(f, "the consensus timeout expired; failed nodes {failed:?}")
            }
        }
    }
}

/// The protocol's membership state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Operational,
    Gather,
    Commit,
    Recovery,
}

impl State {
    /// The state's name as tools and logs print it.
    pub fn name(self) -> &'static str {
        match self {
            State::Operational => "operational",
            State::Gather => "gather",
            State::Commit => "commit",
            State::Recovery => "recovery",
        }
    }
}

/// Why a submission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// Larger than [`crate::config::MAX_MESSAGE_SIZE`].
    TooLarge,
    /// The send queue is full: try again once deliveries drain it.
    QueueFull,
}

/// Counters for tools and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub frames_sent: u64,
    pub frames_received: u64,
    pub frames_retransmitted: u64,
    pub tokens_received: u64,
    pub tokens_retransmitted: u64,
    pub datagrams_rejected: u64,
    pub rings_formed: u64,
    pub messages_delivered: u64,
    /// Frames passed in agreed order (a large message takes many).
    pub frames_delivered: u64,
}
