//! What the message service lets clients make the executive hold: every queue
//! and every sender is bounded (aisexec(8), CLIENT LIMITS), and
//! `saMsgLimitGet` reports these values.

use ais_proto::msg::{self as m, MAX_MESSAGE_SIZE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgLimits {
    /// Queues in the cluster, open or closed (`SA_MSG_MAX_NUM_QUEUES_ID`).
    pub max_queues: usize,
    /// The largest priority area (`SA_MSG_MAX_PRIORITY_AREA_SIZE_ID`).
    pub max_area_size: u64,
    /// The largest queue, its four areas together (`SA_MSG_MAX_QUEUE_SIZE_ID`).
    pub max_queue_size: u64,
    /// The longest message data (`SA_MSG_MAX_MESSAGE_SIZE_ID`).
    pub max_message_size: u64,
    /// Bytes every queue's messages hold together, overhead included: a send
    /// beyond answers `SA_AIS_ERR_NO_RESOURCES`.
    pub max_held: u64,
    /// Blocked gets one handle may have at once.
    pub max_waiters_per_handle: usize,
}

impl MsgLimits {
    /// What one stored message costs beyond its data.
    pub const MESSAGE_OVERHEAD: u64 = 128;

    /// The value of `SaMsgLimitIdT` `id`, if this service has it.
    pub fn get(&self, id: u32) -> Option<u64> {
        match id {
            m::LIMIT_MAX_PRIORITY_AREA_SIZE => Some(self.max_area_size),
            m::LIMIT_MAX_QUEUE_SIZE => Some(self.max_queue_size),
            m::LIMIT_MAX_NUM_QUEUES => Some(self.max_queues as u64),
            m::LIMIT_MAX_MESSAGE_SIZE => Some(self.max_message_size),
            // Queue groups and replies are not implemented (README).
            _ => None,
        }
    }
}

impl Default for MsgLimits {
    fn default() -> MsgLimits {
        MsgLimits {
            max_queues: 4096,
            max_area_size: 16 << 20,
            max_queue_size: 64 << 20,
            max_message_size: MAX_MESSAGE_SIZE,
            max_held: 256 << 20,
            max_waiters_per_handle: 64,
        }
    }
}
