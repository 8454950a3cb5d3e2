//! `saMsg.h` types: the Message Service API, SAI-AIS-MSG-B.03.01, laid out as the SA
//! Forum header declares them (openais shipped the same declarations). cbindgen renders
//! this file, with the functions in `crate::msg`, into `include/saMsg.h`.

use super::ais::{SaAisErrorT, SaInvocationT, SaNameT, SaSizeT, SaTimeT, SaUint32T, SaUint64T, SaUint8T};
use core::ffi::c_void;

pub type SaMsgHandleT = SaUint64T;
pub type SaMsgQueueHandleT = SaUint64T;
pub type SaMsgSenderIdT = SaUint64T;

/// `saMsgMessageSendAsync`: ask for the delivered callback.
pub type SaMsgAckFlagsT = SaUint32T;
pub const SA_MSG_MESSAGE_DELIVERED_ACK: SaMsgAckFlagsT = 0x1;

pub type SaMsgQueueCreationFlagsT = SaUint32T;
/// The queue lives until unlinked (no retention time).
pub const SA_MSG_QUEUE_PERSISTENT: SaMsgQueueCreationFlagsT = 0x1;

pub const SA_MSG_MESSAGE_HIGHEST_PRIORITY: SaUint8T = 0;
pub const SA_MSG_MESSAGE_LOWEST_PRIORITY: SaUint8T = 3;

/// A queue's creation attributes: one size per priority area (0 highest).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaMsgQueueCreationAttributesT {
    pub creationFlags: SaMsgQueueCreationFlagsT,
    pub size: [SaSizeT; 4],
    pub retentionTime: SaTimeT,
}

pub type SaMsgQueueOpenFlagsT = SaUint32T;
pub const SA_MSG_QUEUE_CREATE: SaMsgQueueOpenFlagsT = 0x1;
pub const SA_MSG_QUEUE_RECEIVE_CALLBACK: SaMsgQueueOpenFlagsT = 0x2;
pub const SA_MSG_QUEUE_EMPTY: SaMsgQueueOpenFlagsT = 0x4;

/// One priority area's usage.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SaMsgQueueUsageT {
    pub queueSize: SaSizeT,
    pub queueUsed: SaSizeT,
    pub numberOfMessages: SaUint32T,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SaMsgQueueStatusT {
    pub creationFlags: SaMsgQueueCreationFlagsT,
    pub retentionTime: SaTimeT,
    pub closeTime: SaTimeT,
    pub saMsgQueueUsage: [SaMsgQueueUsageT; 4],
}

sa_enums! {
    /// How a send to a queue group picks its member.
    pub enum SaMsgQueueGroupPolicyT {
        SA_MSG_QUEUE_GROUP_ROUND_ROBIN = 1,
        SA_MSG_QUEUE_GROUP_LOCAL_ROUND_ROBIN = 2,
        SA_MSG_QUEUE_GROUP_LOCAL_BEST_QUEUE = 3,
        SA_MSG_QUEUE_GROUP_BROADCAST = 4,
    }

    /// What became of a queue group member.
    pub enum SaMsgQueueGroupChangesT {
        SA_MSG_QUEUE_GROUP_NO_CHANGE = 1,
        SA_MSG_QUEUE_GROUP_ADDED = 2,
        SA_MSG_QUEUE_GROUP_REMOVED = 3,
        SA_MSG_QUEUE_GROUP_STATE_CHANGED = 4,
    }

    /// A capacity status (saMsgMessageCapacityStatusT).
    pub enum SaMsgMessageCapacityStatusT {
        SA_MSG_QUEUE_CAPACITY_REACHED = 1,
        SA_MSG_QUEUE_CAPACITY_AVAILABLE = 2,
        SA_MSG_QUEUE_GROUP_CAPACITY_REACHED = 3,
        SA_MSG_QUEUE_GROUP_CAPACITY_AVAILABLE = 4,
    }

    /// A state id.
    pub enum SaMsgStateT {
        SA_MSG_DEST_CAPACITY_STATUS = 1,
    }

    /// The limits `saMsgLimitGet` reports.
    pub enum SaMsgLimitIdT {
        SA_MSG_MAX_PRIORITY_AREA_SIZE_ID = 1,
        SA_MSG_MAX_QUEUE_SIZE_ID = 2,
        SA_MSG_MAX_NUM_QUEUES_ID = 3,
        SA_MSG_MAX_NUM_QUEUE_GROUPS_ID = 4,
        SA_MSG_MAX_NUM_QUEUES_PER_GROUP_ID = 5,
        SA_MSG_MAX_MESSAGE_SIZE_ID = 6,
        SA_MSG_MAX_REPLY_SIZE_ID = 7,
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaMsgQueueGroupMemberT {
    pub queueName: SaNameT,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaMsgQueueGroupNotificationT {
    pub member: SaMsgQueueGroupMemberT,
    pub change: SaMsgQueueGroupChangesT,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaMsgQueueGroupNotificationBufferT {
    pub numberOfItems: SaUint32T,
    pub notification: *mut SaMsgQueueGroupNotificationT,
    pub queueGroupPolicy: SaMsgQueueGroupPolicyT,
}

/// A message: its data and size, type, version, optional sender name and priority.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaMsgMessageT {
    pub r#type: SaUint32T,
    pub version: SaUint32T,
    pub size: SaSizeT,
    pub senderName: *mut SaNameT,
    pub data: *mut c_void,
    pub priority: SaUint8T,
}

pub type SaMsgQueueOpenCallbackT =
    Option<unsafe extern "C" fn(invocation: SaInvocationT, queueHandle: SaMsgQueueHandleT, error: SaAisErrorT)>;

pub type SaMsgQueueGroupTrackCallbackT = Option<
    unsafe extern "C" fn(
        queueGroupName: *const SaNameT,
        notificationBuffer: *const SaMsgQueueGroupNotificationBufferT,
        numberOfMembers: SaUint32T,
        error: SaAisErrorT,
    ),
>;

pub type SaMsgMessageDeliveredCallbackT = Option<unsafe extern "C" fn(invocation: SaInvocationT, error: SaAisErrorT)>;

pub type SaMsgMessageReceivedCallbackT = Option<unsafe extern "C" fn(queueHandle: SaMsgQueueHandleT)>;

/// What `saMsgInitialize` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaMsgCallbacksT {
    pub saMsgQueueOpenCallback: SaMsgQueueOpenCallbackT,
    pub saMsgQueueGroupTrackCallback: SaMsgQueueGroupTrackCallbackT,
    pub saMsgMessageDeliveredCallback: SaMsgMessageDeliveredCallbackT,
    pub saMsgMessageReceivedCallback: SaMsgMessageReceivedCallbackT,
}

/// Capacity thresholds per priority area.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaMsgQueueThresholdsT {
    pub capacityReached: [SaSizeT; 4],
    pub capacityAvailable: [SaSizeT; 4],
}
