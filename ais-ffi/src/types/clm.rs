//! `saClm.h` types: the B.01.01 API (what openais shipped) and the B.04.01 API side by side.
//!
//! The SA Forum B.04.01 header hides the older declarations behind `SA_CLM_B01`/`B02`/`B03`;
//! ours shows all of them unconditionally, since openais-era programs define none of those.
//! cbindgen renders this file, with the functions in `crate::clm`, into `include/saClm.h`.

use super::ais::{
    SaAisErrorT, SaBoolT, SaInvocationT, SaNameT, SaNtfCorrelationIdsT, SaTimeT, SaUint16T, SaUint32T, SaUint64T,
    SaUint8T,
};

pub type SaClmHandleT = SaUint64T;
pub type SaClmNodeIdT = SaUint32T;

/// Names the calling node in the node-get calls.
pub const SA_CLM_LOCAL_NODE_ID: SaClmNodeIdT = 0xFFFF_FFFFu32;
pub const SA_CLM_MAX_ADDRESS_LENGTH: usize = 64;

sa_enums! {
    pub enum SaClmNodeAddressFamilyT {
        SA_CLM_AF_INET = 1,
        SA_CLM_AF_INET6 = 2,
    }

    pub enum SaClmClusterChangesT {
        SA_CLM_NODE_NO_CHANGE = 1,
        SA_CLM_NODE_JOINED = 2,
        SA_CLM_NODE_LEFT = 3,
        SA_CLM_NODE_RECONFIGURED = 4,
        /// B.04.01.
        SA_CLM_NODE_UNLOCK = 5,
        /// B.04.01.
        SA_CLM_NODE_SHUTDOWN = 6,
    }

    pub enum SaClmStateT {
        SA_CLM_CLUSTER_CHANGE_STATUS = 1,
        SA_CLM_ADMIN_STATE = 2,
    }

    pub enum SaClmAdminOperationIdT {
        SA_CLM_ADMIN_UNLOCK = 1,
        SA_CLM_ADMIN_LOCK = 2,
        SA_CLM_ADMIN_SHUTDOWN = 3,
        SA_CLM_ADMIN_CLUSTER_RESET = 4,
    }

    pub enum SaClmAdminStateT {
        SA_CLM_ADMIN_UNLOCKED = 1,
        SA_CLM_ADMIN_LOCKED = 2,
        SA_CLM_ADMIN_SHUTTING_DOWN = 3,
    }

    /// B.03.
    pub enum SaClmAdditionalInfoIdT {
        SA_CLM_NODE_NAME = 1,
    }

    pub enum SaClmAdditionalInfoIdT_4 {
        SA_CLM_ROOT_CAUSE_ENTITY = 1,
    }

    pub enum SaClmChangeStepT {
        SA_CLM_CHANGE_VALIDATE = 1,
        SA_CLM_CHANGE_START = 2,
        SA_CLM_CHANGE_ABORTED = 3,
        SA_CLM_CHANGE_COMPLETED = 4,
    }

    pub enum SaClmResponseT {
        SA_CLM_CALLBACK_RESPONSE_OK = 1,
        SA_CLM_CALLBACK_RESPONSE_REJECTED = 2,
        SA_CLM_CALLBACK_RESPONSE_ERROR = 3,
    }

    pub enum SaClmNotificationMinorIdT {
        SA_CLM_NTFID_NODE_JOIN = 0x065,
        SA_CLM_NTFID_NODE_LEAVE = 0x066,
        SA_CLM_NTFID_NODE_RECONFIG = 0x067,
        SA_CLM_NTFID_NODE_ADMIN_STATE = 0x068,
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmNodeAddressT {
    pub family: SaClmNodeAddressFamilyT,
    pub length: SaUint16T,
    pub value: [SaUint8T; SA_CLM_MAX_ADDRESS_LENGTH],
}

/// B.01.01.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmClusterNodeT {
    pub nodeId: SaClmNodeIdT,
    pub nodeAddress: SaClmNodeAddressT,
    pub nodeName: SaNameT,
    pub member: SaBoolT,
    pub bootTimestamp: SaTimeT,
    pub initialViewNumber: SaUint64T,
}

/// B.01.01.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmClusterNotificationT {
    pub clusterNode: SaClmClusterNodeT,
    pub clusterChange: SaClmClusterChangesT,
}

/// B.01.01.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmClusterNotificationBufferT {
    pub viewNumber: SaUint64T,
    pub numberOfItems: SaUint32T,
    pub notification: *mut SaClmClusterNotificationT,
}

/// B.04.01: adds the execution environment.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmClusterNodeT_4 {
    pub nodeId: SaClmNodeIdT,
    pub nodeAddress: SaClmNodeAddressT,
    pub nodeName: SaNameT,
    pub executionEnvironment: SaNameT,
    pub member: SaBoolT,
    pub bootTimestamp: SaTimeT,
    pub initialViewNumber: SaUint64T,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmClusterNotificationT_4 {
    pub clusterNode: SaClmClusterNodeT_4,
    pub clusterChange: SaClmClusterChangesT,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmClusterNotificationBufferT_4 {
    pub viewNumber: SaUint64T,
    pub numberOfItems: SaUint32T,
    pub notification: *mut SaClmClusterNotificationT_4,
}

/// B.01.01.
pub type SaClmClusterTrackCallbackT = Option<
    unsafe extern "C" fn(
        notificationBuffer: *const SaClmClusterNotificationBufferT,
        numberOfMembers: SaUint32T,
        error: SaAisErrorT,
    ),
>;

/// B.01.01.
pub type SaClmClusterNodeGetCallbackT =
    Option<unsafe extern "C" fn(invocation: SaInvocationT, clusterNode: *const SaClmClusterNodeT, error: SaAisErrorT)>;

/// B.01.01: what `saClmInitialize` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmCallbacksT {
    pub saClmClusterNodeGetCallback: SaClmClusterNodeGetCallbackT,
    pub saClmClusterTrackCallback: SaClmClusterTrackCallbackT,
}

/// B.03.
pub type SaClmClusterNodeEvictionCallbackT = Option<
    unsafe extern "C" fn(clmHandle: SaClmHandleT, invocation: SaInvocationT, operationId: SaClmAdminOperationIdT),
>;

/// B.03: what `saClmInitialize_3` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmCallbacksT_3 {
    pub saClmClusterNodeGetCallback: SaClmClusterNodeGetCallbackT,
    pub saClmClusterTrackCallback: SaClmClusterTrackCallbackT,
    pub saClmClusterNodeEvictionCallback: SaClmClusterNodeEvictionCallbackT,
}

/// B.04.01.
pub type SaClmClusterNodeGetCallbackT_4 = Option<
    unsafe extern "C" fn(invocation: SaInvocationT, clusterNode: *const SaClmClusterNodeT_4, error: SaAisErrorT),
>;

/// B.04.01.
pub type SaClmClusterTrackCallbackT_4 = Option<
    unsafe extern "C" fn(
        notificationBuffer: *const SaClmClusterNotificationBufferT_4,
        numberOfMembers: SaUint32T,
        invocation: SaInvocationT,
        rootCauseEntity: *const SaNameT,
        correlationIds: *const SaNtfCorrelationIdsT,
        step: SaClmChangeStepT,
        timeSupervision: SaTimeT,
        error: SaAisErrorT,
    ),
>;

/// B.04.01: what `saClmInitialize_4` takes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaClmCallbacksT_4 {
    pub saClmClusterNodeGetCallback: SaClmClusterNodeGetCallbackT_4,
    pub saClmClusterTrackCallback: SaClmClusterTrackCallbackT_4,
}
