//! The functions `libSaMsg.so.4` exports: MSG B.03.01 (version node `OPENAIS_MSG_B.01.01`,
//! openais's, see `version-scripts/SaMsg.map`).
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! rest in `client`, the handles' lifecycle in `boundary::lifecycle` (see `state`). The
//! queues live in the executives' MSG service; a call is one request to the local one.
//! Arguments are checked before the handle is looked up. Queue groups, send-receive and
//! reply, and capacity thresholds are not implemented: they return
//! SA_AIS_ERR_NOT_SUPPORTED (README).
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saMsg.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saMsg.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::boundary::check::{self, INVALID};
use crate::boundary::lifecycle::{self, negotiate_one};
use crate::boundary::memory::MEMORY;
use crate::boundary::timeout::timeout_ns;
use crate::boundary::version::sa_version;
use crate::boundary::{ffi_call, Failure};
use crate::runtime::DispatchMode;
use crate::types::ais::{
    SaAisErrorT, SaDispatchFlagsT, SaInvocationT, SaLimitValueT, SaNameT, SaSelectionObjectT, SaTimeT, SaUint32T,
    SaUint8T, SaVersionT, SA_AIS_ERR_BAD_FLAGS, SA_AIS_ERR_INIT, SA_AIS_ERR_NOT_SUPPORTED, SA_AIS_ERR_NO_SPACE,
};
use crate::types::msg::*;
use ais_client::msg::{Body, Fetched};
use core::ffi::c_void;
use state::{Msg, HANDLES, QUEUES};

mod client;
mod state;

/// The version this library implements: B.03.01 (granted as openais did).
const OURS: SaVersionT = sa_version(b'B', 3, 1);

/// What every function not implemented answers (README lists them).
const NOT_SUPPORTED: Failure = Failure(SA_AIS_ERR_NOT_SUPPORTED);

const OPEN_FLAGS: SaMsgQueueOpenFlagsT = SA_MSG_QUEUE_CREATE | SA_MSG_QUEUE_RECEIVE_CALLBACK | SA_MSG_QUEUE_EMPTY;

/// Negotiates the version (B.3.1 written back) and opens a handle. `msgCallbacks` may be
/// NULL and is copied.
#[no_mangle]
pub unsafe extern "C" fn saMsgInitialize(
    msgHandle: *mut SaMsgHandleT,
    msgCallbacks: *const SaMsgCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let callbacks = msgCallbacks.as_ref().copied();
        lifecycle::initialize(
            msgHandle,
            version,
            OURS,
            |requested| negotiate_one(requested, OURS),
            |_| client::open(callbacks),
        )
    })
}

/// The descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saMsgSelectionObjectGet(
    msgHandle: SaMsgHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    ffi_call(|| lifecycle::selection_object::<Msg, _>(msgHandle, selectionObject))
}

/// Runs pending callbacks: ONE, ALL or BLOCKING.
#[no_mangle]
pub unsafe extern "C" fn saMsgDispatch(msgHandle: SaMsgHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    ffi_call(|| lifecycle::dispatch::<Msg>(msgHandle, DispatchMode::from_flags(dispatchFlags)))
}

/// Closes the handle: the queues opened through it are closed (their messages stay).
#[no_mangle]
pub unsafe extern "C" fn saMsgFinalize(msgHandle: SaMsgHandleT) -> SaAisErrorT {
    ffi_call(|| lifecycle::finalize::<Msg>(msgHandle))
}

/// The open flags and creation attributes as B.03.01 3.6.1 requires them: known flags,
/// attributes exactly when creating.
unsafe fn open_args(
    creationAttributes: *const SaMsgQueueCreationAttributesT,
    openFlags: SaMsgQueueOpenFlagsT,
) -> Result<Option<ais_client::msg::Attributes>, Failure> {
    if openFlags & !OPEN_FLAGS != 0 {
        return Err(Failure(SA_AIS_ERR_BAD_FLAGS));
    }
    let a = creationAttributes.as_ref().map(client::attributes);
    if a.is_some() != (openFlags & SA_MSG_QUEUE_CREATE != 0) {
        return Err(INVALID);
    }
    if a.is_some_and(|a| a.flags & !SA_MSG_QUEUE_PERSISTENT != 0) {
        return Err(Failure(SA_AIS_ERR_BAD_FLAGS));
    }
    Ok(a)
}

/// Opens (or creates) a queue; its handle is written back. One process at a time has a
/// queue open (SA_AIS_ERR_BUSY).
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueOpen(
    msgHandle: SaMsgHandleT,
    queueName: *const SaNameT,
    creationAttributes: *const SaMsgQueueCreationAttributesT,
    openFlags: SaMsgQueueOpenFlagsT,
    timeout: SaTimeT,
    queueHandle: *mut SaMsgQueueHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(queueName)?)?.to_vec();
        let out = check::out(queueHandle)?;
        let attributes = open_args(creationAttributes, openFlags)?;
        let t = timeout_ns(timeout)?;
        let h = HANDLES.get(msgHandle)?;
        let no_received = h.callbacks.and_then(|c| c.0.saMsgMessageReceivedCallback).is_none();
        if openFlags & SA_MSG_QUEUE_RECEIVE_CALLBACK != 0 && no_received {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        h.conn.queue_open(&name, attributes, openFlags, t)?;
        *out = client::register(msgHandle, name)?;
        Ok(())
    })
}

/// Opens (or creates) a queue; the open callback gets the outcome and the handle.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueOpenAsync(
    msgHandle: SaMsgHandleT,
    invocation: SaInvocationT,
    queueName: *const SaNameT,
    creationAttributes: *const SaMsgQueueCreationAttributesT,
    openFlags: SaMsgQueueOpenFlagsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(queueName)?)?.to_vec();
        let attributes = open_args(creationAttributes, openFlags)?;
        let h = HANDLES.get(msgHandle)?;
        let cb = h.callbacks.map(|c| c.0);
        let received = cb.and_then(|c| c.saMsgMessageReceivedCallback).is_some();
        if cb.and_then(|c| c.saMsgQueueOpenCallback).is_none()
            || (openFlags & SA_MSG_QUEUE_RECEIVE_CALLBACK != 0 && !received)
        {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        h.pending_opens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(invocation, name.clone());
        h.conn.queue_open_async(invocation, &name, attributes, openFlags)?;
        Ok(())
    })
}

/// Closes a queue: it keeps its messages; a non-persistent one is deleted once its
/// retention time has passed.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueClose(queueHandle: SaMsgQueueHandleT) -> SaAisErrorT {
    ffi_call(|| {
        let q = QUEUES.get(queueHandle)?;
        let h = HANDLES.get(q.owner)?;
        let r = h.conn.queue_close(&q.name);
        let _ = QUEUES.remove(queueHandle);
        Ok(r?)
    })
}

/// A queue's status, by name, from any process.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueStatusGet(
    msgHandle: SaMsgHandleT,
    queueName: *const SaNameT,
    queueStatus: *mut SaMsgQueueStatusT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(queueName)?)?;
        let out = check::out(queueStatus)?;
        *out = client::c_status(&HANDLES.get(msgHandle)?.conn.queue_status(name)?);
        Ok(())
    })
}

/// A new retention time for an open non-persistent queue.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueRetentionTimeSet(
    queueHandle: SaMsgQueueHandleT,
    retentionTime: *mut SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let t = *check::arg(retentionTime)?;
        let q = QUEUES.get(queueHandle)?;
        Ok(HANDLES.get(q.owner)?.conn.queue_retention_set(&q.name, t)?)
    })
}

/// Deletes a queue (at its close, if it is open).
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueUnlink(msgHandle: SaMsgHandleT, queueName: *const SaNameT) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(queueName)?)?;
        Ok(HANDLES.get(msgHandle)?.conn.queue_unlink(name)?)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupCreate(
    msgHandle: SaMsgHandleT,
    queueGroupName: *const SaNameT,
    queueGroupPolicy: SaMsgQueueGroupPolicyT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, queueGroupName, queueGroupPolicy);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupInsert(
    msgHandle: SaMsgHandleT,
    queueGroupName: *const SaNameT,
    queueName: *const SaNameT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, queueGroupName, queueName);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupRemove(
    msgHandle: SaMsgHandleT,
    queueGroupName: *const SaNameT,
    queueName: *const SaNameT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, queueGroupName, queueName);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupDelete(msgHandle: SaMsgHandleT, queueGroupName: *const SaNameT) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, queueGroupName);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupTrack(
    msgHandle: SaMsgHandleT,
    queueGroupName: *const SaNameT,
    trackFlags: SaUint8T,
    notificationBuffer: *mut SaMsgQueueGroupNotificationBufferT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, queueGroupName, trackFlags, notificationBuffer);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupTrackStop(
    msgHandle: SaMsgHandleT,
    queueGroupName: *const SaNameT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, queueGroupName);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueGroupNotificationFree(
    msgHandle: SaMsgHandleT,
    notification: *mut SaMsgQueueGroupNotificationT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, notification);
        Err(NOT_SUPPORTED)
    })
}

/// The message as it travels: priority checked, data copied.
unsafe fn body(message: *const SaMsgMessageT) -> Result<Body, Failure> {
    let m = check::arg(message)?;
    if m.priority > SA_MSG_MESSAGE_LOWEST_PRIORITY {
        return Err(INVALID);
    }
    let data = check::slice(m.data as *const u8, check::size(m.size)?)?.to_vec();
    let sender_name = match m.senderName.as_ref() {
        Some(n) => Some(check::sa_name(n)?.to_vec()),
        None => None,
    };
    Ok(Body {
        r#type: m.r#type,
        version: m.version,
        priority: m.priority,
        sender_name,
        data,
    })
}

/// Sends a message to a queue; returns once it is in the queue (SA_AIS_ERR_QUEUE_FULL:
/// its priority area has no room).
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageSend(
    msgHandle: SaMsgHandleT,
    destination: *const SaNameT,
    message: *const SaMsgMessageT,
    timeout: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(destination)?)?;
        let b = body(message)?;
        let t = timeout_ns(timeout)?;
        Ok(HANDLES.get(msgHandle)?.conn.send(name, b, t)?)
    })
}

/// Sends a message without waiting; with SA_MSG_MESSAGE_DELIVERED_ACK the delivered
/// callback tells the outcome.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageSendAsync(
    msgHandle: SaMsgHandleT,
    invocation: SaInvocationT,
    destination: *const SaNameT,
    message: *const SaMsgMessageT,
    ackFlags: SaMsgAckFlagsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(destination)?)?;
        let b = body(message)?;
        if ackFlags & !SA_MSG_MESSAGE_DELIVERED_ACK != 0 {
            return Err(Failure(SA_AIS_ERR_BAD_FLAGS));
        }
        let h = HANDLES.get(msgHandle)?;
        let delivered = h.callbacks.and_then(|c| c.0.saMsgMessageDeliveredCallback).is_some();
        if ackFlags & SA_MSG_MESSAGE_DELIVERED_ACK != 0 && !delivered {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        Ok(h.conn.send_async(invocation, name, b, ackFlags)?)
    })
}

/// Takes the next message (highest priority first), waiting up to `timeout`. With
/// `message->data` NULL the library allocates the buffer (saMsgMessageDataFree frees it);
/// otherwise a message larger than `message->size` is SA_AIS_ERR_NO_SPACE, its size
/// written back, and it stays in the queue.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageGet(
    queueHandle: SaMsgQueueHandleT,
    message: *mut SaMsgMessageT,
    sendTime: *mut SaTimeT,
    senderId: *mut SaMsgSenderIdT,
    timeout: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let m = check::out(message)?;
        let (time, sender) = (check::out(sendTime)?, check::out(senderId)?);
        if timeout < 0 {
            return Err(INVALID);
        }
        let room = if m.data.is_null() { u64::MAX } else { m.size };
        let q = QUEUES.get(queueHandle)?;
        let h = HANDLES.get(q.owner)?;
        match h.conn.get(&q.name, room, timeout)? {
            Fetched::TooSmall(n) => {
                m.size = n;
                Err(Failure(SA_AIS_ERR_NO_SPACE))
            }
            Fetched::Message(g) => {
                let d = &g.body.data;
                if m.data.is_null() {
                    m.data = MEMORY.alloc(q.owner, 0, d.len())? as *mut c_void;
                }
                // SAFETY: `data` has room for `size` bytes (the caller's, checked by the
                // executive against `room`, or ours of that size).
                std::ptr::copy_nonoverlapping(d.as_ptr(), m.data as *mut u8, d.len());
                m.size = d.len() as u64;
                (m.r#type, m.version, m.priority) = (g.body.r#type, g.body.version, g.body.priority);
                if let (Some(n), Some(out)) = (&g.body.sender_name, m.senderName.as_mut()) {
                    *out = client::sa_name(n);
                }
                (*time, *sender) = (g.send_time, g.sender_id);
                Ok(())
            }
        }
    })
}

/// Frees a buffer saMsgMessageGet allocated.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageDataFree(msgHandle: SaMsgHandleT, data: *mut c_void) -> SaAisErrorT {
    ffi_call(|| {
        check::non_null(data)?;
        HANDLES.get(msgHandle)?;
        MEMORY.free(msgHandle, data.cast())
    })
}

/// Ends the blocked saMsgMessageGet calls on the queue (they return
/// SA_AIS_ERR_INTERRUPT); SA_AIS_ERR_NOT_EXIST when none is blocked.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageCancel(queueHandle: SaMsgQueueHandleT) -> SaAisErrorT {
    ffi_call(|| {
        let q = QUEUES.get(queueHandle)?;
        Ok(HANDLES.get(q.owner)?.conn.cancel(&q.name)?)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageSendReceive(
    msgHandle: SaMsgHandleT,
    destination: *const SaNameT,
    sendMessage: *const SaMsgMessageT,
    receiveMessage: *mut SaMsgMessageT,
    replySendTime: *mut SaTimeT,
    timeout: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (
            msgHandle,
            destination,
            sendMessage,
            receiveMessage,
            replySendTime,
            timeout,
        );
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageReply(
    msgHandle: SaMsgHandleT,
    replyMessage: *const SaMsgMessageT,
    senderId: *const SaMsgSenderIdT,
    timeout: SaTimeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, replyMessage, senderId, timeout);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgMessageReplyAsync(
    msgHandle: SaMsgHandleT,
    invocation: SaInvocationT,
    replyMessage: *const SaMsgMessageT,
    senderId: *const SaMsgSenderIdT,
    ackFlags: SaMsgAckFlagsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (msgHandle, invocation, replyMessage, senderId, ackFlags);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueCapacityThresholdsSet(
    queueHandle: SaMsgQueueHandleT,
    thresholds: *const SaMsgQueueThresholdsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (queueHandle, thresholds);
        Err(NOT_SUPPORTED)
    })
}

/// Not implemented: SA_AIS_ERR_NOT_SUPPORTED.
#[no_mangle]
pub unsafe extern "C" fn saMsgQueueCapacityThresholdsGet(
    queueHandle: SaMsgQueueHandleT,
    thresholds: *mut SaMsgQueueThresholdsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let _ = (queueHandle, thresholds);
        Err(NOT_SUPPORTED)
    })
}

/// The bytes of metadata each message is charged in its priority area: none (the areas
/// count message data alone; the executive's own per-message overhead is bounded
/// separately).
#[no_mangle]
pub unsafe extern "C" fn saMsgMetadataSizeGet(msgHandle: SaMsgHandleT, metadataSize: *mut SaUint32T) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(metadataSize)?;
        HANDLES.get(msgHandle)?;
        *out = 0;
        Ok(())
    })
}

/// A limit of the executive's MSG service (queue groups and replies:
/// SA_AIS_ERR_NOT_SUPPORTED).
#[no_mangle]
pub unsafe extern "C" fn saMsgLimitGet(
    msgHandle: SaMsgHandleT,
    limitId: SaMsgLimitIdT,
    limitValue: *mut SaLimitValueT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(limitValue)?;
        let v = HANDLES.get(msgHandle)?.conn.limit(limitId)?;
        *out = SaLimitValueT { uint64Value: v };
        Ok(())
    })
}
