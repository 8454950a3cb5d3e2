//! The C side of `libSaMsg` over `ais_client::msg`: handle state, the callbacks, the
//! conversions between the C message and the one that travels. `mod.rs` does the C
//! pointer work around it.

use super::state::{HANDLES, QUEUES};
use crate::boundary::call::{code, code_of};
use crate::boundary::Code;
use crate::runtime::DispatchMode;
use crate::types::ais::{SaNameT, SA_AIS_OK, SA_HANDLE_INVALID, SA_MAX_NAME_LENGTH};
use crate::types::msg::{SaMsgCallbacksT, SaMsgQueueCreationAttributesT, SaMsgQueueStatusT, SaMsgQueueUsageT};
use ais_client::msg::{Attributes, Event, Msg, Status};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

// Plain C function pointers, callable from any thread.
#[derive(Clone, Copy)]
pub struct Callbacks(pub SaMsgCallbacksT);
unsafe impl Send for Callbacks {}
unsafe impl Sync for Callbacks {}

/// One `saMsgInitialize`.
pub struct MsgHandle {
    pub conn: Msg,
    pub callbacks: Option<Callbacks>,
    /// `saMsgQueueOpenAsync` calls not answered yet: invocation to queue name.
    pub pending_opens: Mutex<HashMap<u64, Vec<u8>>>,
}

/// One opened queue: the msg handle it was opened through and its name.
pub struct QueueHandle {
    pub owner: u64,
    pub name: Vec<u8>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens a handle; `callbacks` is copied.
pub fn open(callbacks: Option<SaMsgCallbacksT>) -> Result<u64, Code> {
    let conn = Msg::open().map_err(|e| code(e.error))?;
    HANDLES.insert(MsgHandle {
        conn,
        callbacks: callbacks.map(Callbacks),
        pending_opens: Mutex::new(HashMap::new()),
    })
}

pub fn attributes(a: &SaMsgQueueCreationAttributesT) -> Attributes {
    Attributes {
        flags: a.creationFlags,
        size: a.size,
        retention: a.retentionTime,
    }
}

pub fn c_status(s: &Status) -> SaMsgQueueStatusT {
    let mut usage = [SaMsgQueueUsageT::default(); 4];
    for (c, u) in usage.iter_mut().zip(s.usage.iter()) {
        *c = SaMsgQueueUsageT {
            queueSize: u.size,
            queueUsed: u.used,
            numberOfMessages: u.messages,
        };
    }
    SaMsgQueueStatusT {
        creationFlags: s.flags,
        retentionTime: s.retention,
        closeTime: s.close_time,
        saMsgQueueUsage: usage,
    }
}

/// An `SaNameT` holding `value` (at most 256 bytes, as the executive keeps them).
pub fn sa_name(value: &[u8]) -> SaNameT {
    let mut n = SaNameT {
        length: value.len().min(SA_MAX_NAME_LENGTH) as u16,
        value: [0; SA_MAX_NAME_LENGTH],
    };
    n.value[..n.length as usize].copy_from_slice(&value[..n.length as usize]);
    n
}

/// A queue handle for `name` opened through `owner`.
pub fn register(owner: u64, name: Vec<u8>) -> Result<u64, Code> {
    QUEUES.insert(QueueHandle { owner, name })
}

/// The queue handle of `owner` for `name`, if it has one.
fn queue_of(owner: u64, name: &[u8]) -> Option<u64> {
    QUEUES
        .handles()
        .into_iter()
        .find(|&q| QUEUES.get(q).is_ok_and(|x| x.owner == owner && x.name == name))
}

/// Runs the handle's pending callbacks.
pub fn dispatch(handle: u64, h: &MsgHandle, mode: DispatchMode) -> Result<(), Code> {
    let cb = h.callbacks.map(|c| c.0);
    h.conn
        .dispatch(mode, |event| match event {
            Event::Opened { invocation, error } => {
                let Some(name) = lock(&h.pending_opens).remove(&invocation) else {
                    return;
                };
                let result: Result<(), ais_client::Error> = error.map_or(Ok(()), Err);
                let (queue, status) = match result {
                    Ok(()) => match register(handle, name) {
                        Ok(q) => (q, SA_AIS_OK),
                        Err(e) => (SA_HANDLE_INVALID, e),
                    },
                    Err(_) => (SA_HANDLE_INVALID, code_of(&result)),
                };
                if let Some(f) = cb.and_then(|c| c.saMsgQueueOpenCallback) {
                    // SAFETY: the application's callback, called as saMsg.h declares it.
                    unsafe { f(invocation, queue, status) };
                }
            }
            Event::Delivered { invocation, error } => {
                if let Some(f) = cb.and_then(|c| c.saMsgMessageDeliveredCallback) {
                    let status = error.map_or(SA_AIS_OK, code);
                    // SAFETY: as above.
                    unsafe { f(invocation, status) };
                }
            }
            Event::Received { queue } => {
                let (Some(f), Some(q)) = (
                    cb.and_then(|c| c.saMsgMessageReceivedCallback),
                    queue_of(handle, &queue),
                ) else {
                    return;
                };
                // SAFETY: as above.
                unsafe { f(q) };
            }
        })
        .map_err(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_status_convert() {
        let n = sa_name(b"safMq=q");
        assert_eq!((n.length, &n.value[..7]), (7, &b"safMq=q"[..]));
        let mut s = Status::default();
        s.usage[2].used = 9;
        s.close_time = 4;
        let c = c_status(&s);
        assert_eq!((c.saMsgQueueUsage[2].queueUsed, c.closeTime), (9, 4));
    }
}
