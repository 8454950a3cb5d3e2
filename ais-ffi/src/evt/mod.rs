//! The functions `libSaEvt.so.3` exports: EVT B.01.01 (version node `OPENAIS_EVT_B.01.01`)
//! and B.03.01's saEvtEventPatternFree and saEvtLimitGet (`OPENAIS_EVT_B.03.01`), see
//! `version-scripts/SaEvt.map`.
//!
//! Each body runs inside `ffi_call`, so no panic reaches C; the pointer work is here, the
//! handles and callbacks in `client`, the lifecycle in `boundary::lifecycle` (see
//! `state`). Version rules first, then arguments, then handles.
//!
//! # Safety
//!
//! The functions are `unsafe` for Rust callers: the pointers must be valid as saEvt.h
//! documents them (for C callers that is the API contract).

// Parameter names follow saEvt.h: cbindgen copies them into the header.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::boundary::check::{self, INVALID};
use crate::boundary::lifecycle;
use crate::boundary::memory::MEMORY;
use crate::boundary::timeout::timeout as floored;
use crate::boundary::version::{accepts, sa_version};
use crate::boundary::{ffi_call, Failure};
use crate::runtime::DispatchMode;
use crate::types::ais::*;
use crate::types::evt::*;
use ais_client::evt::{self as evt, Attributes, Filter, B0101, B0301};
use client::{Callbacks, EvtHandle};
use core::ffi::c_void;
use state::{Evt, CHANNELS, EVENTS, HANDLES};

mod client;
mod state;

/// The highest version this library implements.
const OURS: SaVersionT = sa_version(b'B', 3, 1);

/// B.1.x is granted B.1.1, B.3.x B.3.1; another major is refused with the highest
/// version below it (B.1.1 for B.2), or ours.
fn negotiate(requested: &SaVersionT) -> Result<SaVersionT, SaVersionT> {
    let b01 = sa_version(b'B', 1, 1);
    if !accepts(requested, &OURS) {
        return Err(OURS);
    }
    match requested.majorVersion {
        1 => Ok(b01),
        3 => Ok(OURS),
        _ => Err(b01),
    }
}

/// Negotiates the version and opens a handle; `callbacks` may be NULL and is copied.
#[no_mangle]
pub unsafe extern "C" fn saEvtInitialize(
    evtHandle: *mut SaEvtHandleT,
    callbacks: *const SaEvtCallbacksT,
    version: *mut SaVersionT,
) -> SaAisErrorT {
    ffi_call(|| {
        let callbacks = Callbacks::of(callbacks.as_ref().copied());
        lifecycle::initialize(evtHandle, version, OURS, negotiate, |v| {
            let v = if v.majorVersion == 1 { B0101 } else { B0301 };
            client::open(callbacks, v)
        })
    })
}

/// The descriptor that becomes readable when callbacks are pending.
#[no_mangle]
pub unsafe extern "C" fn saEvtSelectionObjectGet(
    evtHandle: SaEvtHandleT,
    selectionObject: *mut SaSelectionObjectT,
) -> SaAisErrorT {
    ffi_call(|| lifecycle::selection_object::<Evt, _>(evtHandle, selectionObject))
}

/// Runs callbacks: ONE delivers one event (or one open result), ALL everything pending,
/// BLOCKING until the handle is finalized.
#[no_mangle]
pub unsafe extern "C" fn saEvtDispatch(evtHandle: SaEvtHandleT, dispatchFlags: SaDispatchFlagsT) -> SaAisErrorT {
    ffi_call(|| lifecycle::dispatch::<Evt>(evtHandle, DispatchMode::from_flags(dispatchFlags)))
}

/// Closes the handle: its channels are closed, its events freed.
#[no_mangle]
pub unsafe extern "C" fn saEvtFinalize(evtHandle: SaEvtHandleT) -> SaAisErrorT {
    ffi_call(|| lifecycle::finalize::<Evt>(evtHandle))
}

fn open_flags(flags: SaEvtChannelOpenFlagsT) -> Result<u8, Failure> {
    if flags & !(SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER | SA_EVT_CHANNEL_SUBSCRIBER) != 0 {
        return Err(Failure(SA_AIS_ERR_BAD_FLAGS));
    }
    Ok(flags)
}

/// Opens (with SA_EVT_CHANNEL_CREATE: creates if need be) a channel.
#[no_mangle]
pub unsafe extern "C" fn saEvtChannelOpen(
    evtHandle: SaEvtHandleT,
    channelName: *const SaNameT,
    channelOpenFlags: SaEvtChannelOpenFlagsT,
    timeout: SaTimeT,
    channelHandle: *mut SaEvtChannelHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(channelName)?)?;
        let out = check::out(channelHandle)?;
        let flags = open_flags(channelOpenFlags)?;
        let wait = floored(timeout)?;
        let h = HANDLES.get(evtHandle)?;
        let open_id = h.conn.channel_open(name, flags, Some(wait))?;
        *out = client::new_channel(evtHandle, &h, open_id, flags)?;
        Ok(())
    })
}

/// Starts opening a channel; the result comes to the open callback.
#[no_mangle]
pub unsafe extern "C" fn saEvtChannelOpenAsync(
    evtHandle: SaEvtHandleT,
    invocation: SaInvocationT,
    channelName: *const SaNameT,
    channelOpenFlags: SaEvtChannelOpenFlagsT,
) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(channelName)?)?;
        let flags = open_flags(channelOpenFlags)?;
        let h = HANDLES.get(evtHandle)?;
        if h.callbacks.opened.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        h.conn
            .channel_open_async(invocation, name, flags, |id| client::opening(&h, id, flags))?;
        Ok(())
    })
}

/// Closes a channel handle: its subscriptions end, its allocated events are freed.
#[no_mangle]
pub unsafe extern "C" fn saEvtChannelClose(channelHandle: SaEvtChannelHandleT) -> SaAisErrorT {
    ffi_call(|| {
        let c = CHANNELS.get(channelHandle)?;
        let h = HANDLES.get(c.evt)?;
        h.conn.channel_close(c.open_id)?;
        client::forget_channel(channelHandle);
        Ok(())
    })
}

/// Unlinks a channel: the name is free, the channel lives until its last close.
#[no_mangle]
pub unsafe extern "C" fn saEvtChannelUnlink(evtHandle: SaEvtHandleT, channelName: *const SaNameT) -> SaAisErrorT {
    ffi_call(|| {
        let name = check::sa_name(check::arg(channelName)?)?;
        Ok(HANDLES.get(evtHandle)?.conn.channel_unlink(name)?)
    })
}

/// Allocates an event on a channel opened for publishing.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventAllocate(
    channelHandle: SaEvtChannelHandleT,
    eventHandle: *mut SaEvtEventHandleT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(eventHandle)?;
        let c = CHANNELS.get(channelHandle)?;
        if c.flags & SA_EVT_CHANNEL_PUBLISHER == 0 {
            return Err(Failure(SA_AIS_ERR_ACCESS));
        }
        *out = client::allocate(c.evt, channelHandle)?;
        Ok(())
    })
}

/// Frees an allocated or received event (and patterns handed out for it).
#[no_mangle]
pub unsafe extern "C" fn saEvtEventFree(eventHandle: SaEvtEventHandleT) -> SaAisErrorT {
    ffi_call(|| {
        EVENTS.get(eventHandle)?;
        client::forget_event(eventHandle);
        Ok(())
    })
}

/// The patterns of a C array, checked against the limits.
unsafe fn patterns_of(a: &SaEvtEventPatternArrayT) -> Result<Vec<Vec<u8>>, Failure> {
    let n = check::size(a.patternsNumber)?;
    if n > evt::MAX_PATTERNS {
        return Err(Failure(SA_AIS_ERR_TOO_BIG));
    }
    let list = check::slice(a.patterns, n)?;
    list.iter().map(|p| pattern_of(p)).collect()
}

unsafe fn pattern_of(p: &SaEvtEventPatternT) -> Result<Vec<u8>, Failure> {
    let size = check::size(p.patternSize)?;
    if size > evt::MAX_PATTERN_SIZE {
        return Err(Failure(SA_AIS_ERR_TOO_BIG));
    }
    Ok(check::slice(p.pattern, size)?.to_vec())
}

/// Sets an allocated event's patterns, priority, retention time and publisher name.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventAttributesSet(
    eventHandle: SaEvtEventHandleT,
    patternArray: *const SaEvtEventPatternArrayT,
    priority: SaEvtEventPriorityT,
    retentionTime: SaTimeT,
    publisherName: *const SaNameT,
) -> SaAisErrorT {
    ffi_call(|| {
        let patterns = match patternArray.as_ref() {
            Some(a) => patterns_of(a)?,
            None => Vec::new(),
        };
        let publisher = match publisherName.as_ref() {
            Some(n) if n.length as usize > SA_MAX_NAME_LENGTH => return Err(INVALID),
            Some(n) => n.value[..n.length as usize].to_vec(),
            None => Vec::new(),
        };
        if priority > SA_EVT_LOWEST_PRIORITY || !(0..=evt::MAX_RETENTION).contains(&retentionTime) {
            return Err(INVALID);
        }
        let e = EVENTS.get(eventHandle)?;
        let mut s = e.lock();
        if s.received {
            return Err(Failure(SA_AIS_ERR_ACCESS));
        }
        s.attributes = Attributes {
            priority,
            retention: retentionTime,
            publisher,
            patterns,
        };
        Ok(())
    })
}

/// The patterns of `list` written into `a`: into the application's buffers, or (patterns
/// NULL) into one block the library gives out for `event`. NO_SPACE when a buffer is
/// short; the sizes needed are written back.
unsafe fn put_patterns(event: u64, a: &mut SaEvtEventPatternArrayT, list: &[Vec<u8>]) -> Result<(), Failure> {
    let n = list.len() as SaSizeT;
    if a.patterns.is_null() {
        // One block: the array, then the bytes of every pattern.
        let head = std::mem::size_of::<SaEvtEventPatternT>() * list.len();
        let total = head + list.iter().map(Vec::len).sum::<usize>();
        let block = MEMORY.alloc(event, 0, total)?;
        let array = block as *mut SaEvtEventPatternT;
        let mut bytes = block.add(head);
        for (i, p) in list.iter().enumerate() {
            std::ptr::copy_nonoverlapping(p.as_ptr(), bytes, p.len());
            array.add(i).write(SaEvtEventPatternT {
                allocatedSize: p.len() as SaSizeT,
                patternSize: p.len() as SaSizeT,
                pattern: bytes,
            });
            bytes = bytes.add(p.len());
        }
        (a.patterns, a.allocatedNumber, a.patternsNumber) = (array, n, n);
        return Ok(());
    }
    a.patternsNumber = n;
    if a.allocatedNumber < n {
        return Err(Failure(SA_AIS_ERR_NO_SPACE));
    }
    let mut short = false;
    for (i, p) in list.iter().enumerate() {
        let dst = &mut *a.patterns.add(i);
        let room = check::size(dst.allocatedSize)?;
        dst.patternSize = p.len() as SaSizeT;
        if room < p.len() || (dst.pattern.is_null() && !p.is_empty()) {
            short = true;
            continue;
        }
        std::ptr::copy_nonoverlapping(p.as_ptr(), dst.pattern, p.len());
    }
    if short {
        return Err(Failure(SA_AIS_ERR_NO_SPACE));
    }
    Ok(())
}

/// An event's attributes; each output pointer may be NULL (not wanted).
#[no_mangle]
pub unsafe extern "C" fn saEvtEventAttributesGet(
    eventHandle: SaEvtEventHandleT,
    patternArray: *mut SaEvtEventPatternArrayT,
    priority: *mut SaEvtEventPriorityT,
    retentionTime: *mut SaTimeT,
    publisherName: *mut SaNameT,
    publishTime: *mut SaTimeT,
    eventId: *mut SaEvtEventIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        let e = EVENTS.get(eventHandle)?;
        let s = e.lock().clone();
        if let Some(p) = priority.as_mut() {
            *p = s.attributes.priority;
        }
        if let Some(r) = retentionTime.as_mut() {
            *r = s.attributes.retention;
        }
        if let Some(n) = publisherName.as_mut() {
            *n = client::sa_name(&s.attributes.publisher);
        }
        if let Some(t) = publishTime.as_mut() {
            *t = s.publish_time;
        }
        if let Some(i) = eventId.as_mut() {
            *i = s.id;
        }
        if let Some(a) = patternArray.as_mut() {
            put_patterns(eventHandle, a, &s.attributes.patterns)?;
        }
        Ok(())
    })
}

/// Releases patterns saEvtEventAttributesGet gave out (B.03.01).
#[no_mangle]
pub unsafe extern "C" fn saEvtEventPatternFree(
    eventHandle: SaEvtEventHandleT,
    patterns: *mut SaEvtEventPatternT,
) -> SaAisErrorT {
    ffi_call(|| {
        let e = EVENTS.get(eventHandle)?;
        client::require_b03(&*HANDLES.get(e.evt)?)?;
        MEMORY.free(eventHandle, patterns.cast())
    })
}

/// A received event's data: NO_SPACE, and the size needed, if the buffer is short.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventDataGet(
    eventHandle: SaEvtEventHandleT,
    eventData: *mut c_void,
    eventDataSize: *mut SaSizeT,
) -> SaAisErrorT {
    ffi_call(|| {
        let size = check::out(eventDataSize)?;
        check::non_null(eventData)?;
        let e = EVENTS.get(eventHandle)?;
        let s = e.lock();
        let room = check::size(*size)?;
        *size = s.data.len() as SaSizeT;
        if room < s.data.len() {
            return Err(Failure(SA_AIS_ERR_NO_SPACE));
        }
        std::ptr::copy_nonoverlapping(s.data.as_ptr(), eventData.cast::<u8>(), s.data.len());
        Ok(())
    })
}

/// Publishes an allocated event with `eventData`; its id is written back.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventPublish(
    eventHandle: SaEvtEventHandleT,
    eventData: *const c_void,
    eventDataSize: SaSizeT,
    eventId: *mut SaEvtEventIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        let out = check::out(eventId)?;
        let len = check::size(eventDataSize)?;
        if len > evt::MAX_DATA {
            return Err(Failure(SA_AIS_ERR_TOO_BIG));
        }
        let data = check::slice(eventData.cast::<u8>(), len)?.to_vec();
        let e = EVENTS.get(eventHandle)?;
        let attributes = {
            let s = e.lock();
            if s.received {
                return Err(Failure(SA_AIS_ERR_ACCESS));
            }
            s.attributes.clone()
        };
        let c = CHANNELS.get(e.channel)?;
        let h = HANDLES.get(c.evt)?;
        let id = h.conn.publish(c.open_id, attributes, data)?;
        e.lock().id = id;
        *out = id;
        Ok(())
    })
}

/// Subscribes a channel handle opened for subscribing, with `filters`.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventSubscribe(
    channelHandle: SaEvtChannelHandleT,
    filters: *const SaEvtEventFilterArrayT,
    subscriptionId: SaEvtSubscriptionIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        let f = check::arg(filters)?;
        let n = check::size(f.filtersNumber)?;
        if n > evt::MAX_PATTERNS {
            return Err(Failure(SA_AIS_ERR_TOO_BIG));
        }
        let list = check::slice(f.filters, n)?
            .iter()
            .map(|x| {
                Ok(Filter {
                    kind: x.filterType,
                    pattern: pattern_of(&x.filter)?,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        if list
            .iter()
            .any(|x| !(SA_EVT_PREFIX_FILTER..=SA_EVT_PASS_ALL_FILTER).contains(&x.kind))
        {
            return Err(INVALID);
        }
        let c = CHANNELS.get(channelHandle)?;
        let h: std::sync::Arc<EvtHandle> = HANDLES.get(c.evt)?;
        if h.callbacks.deliver.is_none() {
            return Err(Failure(SA_AIS_ERR_INIT));
        }
        if c.flags & SA_EVT_CHANNEL_SUBSCRIBER == 0 {
            return Err(Failure(SA_AIS_ERR_ACCESS));
        }
        Ok(h.conn.subscribe(c.open_id, subscriptionId, list)?)
    })
}

/// Ends a subscription; its undelivered events are dropped.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventUnsubscribe(
    channelHandle: SaEvtChannelHandleT,
    subscriptionId: SaEvtSubscriptionIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        let c = CHANNELS.get(channelHandle)?;
        Ok(HANDLES.get(c.evt)?.conn.unsubscribe(c.open_id, subscriptionId)?)
    })
}

/// Ends the retention of an event of the channel, cluster-wide.
#[no_mangle]
pub unsafe extern "C" fn saEvtEventRetentionTimeClear(
    channelHandle: SaEvtChannelHandleT,
    eventId: SaEvtEventIdT,
) -> SaAisErrorT {
    ffi_call(|| {
        if eventId <= evt::EVENTID_RESERVED {
            return Err(INVALID);
        }
        let c = CHANNELS.get(channelHandle)?;
        Ok(HANDLES.get(c.evt)?.conn.retention_clear(c.open_id, eventId)?)
    })
}

/// The service's limits (B.03.01).
#[no_mangle]
pub unsafe extern "C" fn saEvtLimitGet(
    evtHandle: SaEvtHandleT,
    limitId: SaEvtLimitIdT,
    limitValue: *mut SaLimitValueT,
) -> SaAisErrorT {
    ffi_call(|| {
        client::require_b03(&*HANDLES.get(evtHandle)?)?;
        let out = check::out(limitValue)?;
        *out = match limitId {
            SA_EVT_MAX_NUM_CHANNELS_ID => SaLimitValueT {
                uint64Value: evt::MAX_CHANNELS as SaUint64T,
            },
            SA_EVT_MAX_EVT_SIZE_ID => SaLimitValueT {
                uint64Value: evt::MAX_DATA as SaUint64T,
            },
            SA_EVT_MAX_PATTERN_SIZE_ID => SaLimitValueT {
                uint64Value: evt::MAX_PATTERN_SIZE as SaUint64T,
            },
            SA_EVT_MAX_NUM_PATTERNS_ID => SaLimitValueT {
                uint64Value: evt::MAX_PATTERNS as SaUint64T,
            },
            SA_EVT_MAX_RETENTION_DURATION_ID => SaLimitValueT {
                timeValue: evt::MAX_RETENTION,
            },
            _ => return Err(INVALID),
        };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// B.1 is granted B.1.1 and B.3 B.3.1; B.2 is refused with B.1.1, a later major or
    /// another release code with ours.
    #[test]
    fn versions_are_negotiated_per_generation() {
        let v = sa_version;
        assert_eq!(negotiate(&v(b'B', 1, 0)), Ok(v(b'B', 1, 1)));
        assert_eq!(negotiate(&v(b'B', 3, 9)), Ok(v(b'B', 3, 1)));
        assert_eq!(negotiate(&v(b'B', 2, 1)), Err(v(b'B', 1, 1)));
        assert_eq!(negotiate(&v(b'B', 4, 1)), Err(OURS));
        assert_eq!(negotiate(&v(b'A', 1, 1)), Err(OURS));
    }

    /// The C constants are the protocol's (saEvt.h).
    #[test]
    fn the_header_constants_are_the_wire_ones() {
        assert_eq!(SA_EVT_EVENTID_LOST, evt::EVENTID_LOST);
        assert_eq!(SA_EVT_DATA_MAX_LEN as usize, evt::MAX_DATA);
        assert_eq!(SA_EVT_CHANNEL_CREATE, evt::CHANNEL_CREATE);
        assert_eq!(SA_EVT_PASS_ALL_FILTER, evt::PASS_ALL_FILTER);
        assert_eq!(SA_EVT_LOWEST_PRIORITY, evt::LOWEST_PRIORITY);
    }
}
