//! libSaCkpt through its C functions: the argument checks without an executive, and every
//! request against a fake executive made of plain sockets that keeps checkpoints in
//! memory and answers in small pages (reads of 1000 bytes, iterations of two sections),
//! so that the library's splitting and continuing is exercised. The real executive's
//! service is tested through the C program `c-tests/ckpt_live.c`.

use crate::boundary::version::sa_version as v;
use crate::ckpt::client::{self as client, Callbacks, Checkpoint, B0101, B0203};
use crate::ckpt::state::CHECKPOINTS;
use crate::ckpt::*;
use crate::runtime::Connection;
use ais_proto::ckpt::{self as msg, Message};
use ais_proto::{
    encode_frame, AisVersion, Attached, Handshake, Header, Kind, Limits, ServiceId, SocketName, Welcome,
    DEFAULT_MAX_PAYLOAD, HEADER_LEN,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

fn name(s: &str) -> SaNameT {
    let mut n = SaNameT {
        length: s.len() as SaUint16T,
        value: [0; SA_MAX_NAME_LENGTH],
    };
    n.value[..s.len()].copy_from_slice(s.as_bytes());
    n
}

fn attrs(max_sections: u32, max_section_size: u64) -> SaCkptCheckpointCreationAttributesT {
    SaCkptCheckpointCreationAttributesT {
        creationFlags: SA_CKPT_WR_ALL_REPLICAS,
        checkpointSize: u64::from(max_sections) * max_section_size,
        retentionDuration: SA_TIME_ONE_SECOND,
        maxSections: max_sections,
        maxSectionSize: max_section_size,
        maxSectionIdSize: 32,
    }
}

fn sid(id: &mut [u8]) -> SaCkptSectionIdT {
    SaCkptSectionIdT {
        idLen: id.len() as SaUint16T,
        id: id.as_mut_ptr(),
    }
}

fn element(id: SaCkptSectionIdT, buf: *mut u8, size: usize, offset: u64) -> SaCkptIOVectorElementT {
    SaCkptIOVectorElementT {
        sectionId: id,
        dataBuffer: buf.cast(),
        dataSize: size as SaSizeT,
        dataOffset: offset,
        readSize: 0,
    }
}

#[test]
fn the_descriptor_has_the_b02_layout() {
    // memoryUsed is an SaSizeT (openais: SaUint32T, 56 bytes).
    assert_eq!(std::mem::size_of::<SaCkptCheckpointDescriptorT>(), 64);
    assert_eq!(std::mem::size_of::<SaCkptIOVectorElementT>(), 48);
    assert_eq!(std::mem::size_of::<SaCkptSectionDescriptorT>(), 48);
}

/// Without an executive: version errors write our version back, a missing executive is
/// TRY_AGAIN, bad arguments are refused whatever the handle, and a handle that was never
/// opened is BAD_HANDLE everywhere.
#[test]
fn error_paths_without_an_executive() {
    std::env::set_var(
        "AIS_IPC_SOCKET",
        format!("@ais-ckpt-test-nobody-{}", std::process::id()),
    );
    let mut h: SaCkptHandleT = 0;
    unsafe {
        let cases = [
            (v(b'B', 3, 1), SA_AIS_ERR_VERSION, v(b'B', 2, 3)),
            (v(b'A', 1, 1), SA_AIS_ERR_VERSION, v(b'B', 2, 3)),
            (v(b'B', 1, 1), SA_AIS_ERR_TRY_AGAIN, B0101),
            (v(b'B', 1, 5), SA_AIS_ERR_TRY_AGAIN, B0101),
            (v(b'B', 2, 1), SA_AIS_ERR_TRY_AGAIN, B0203),
        ];
        for (asked, answer, written) in cases {
            let mut ver = asked;
            assert_eq!(saCkptInitialize(&mut h, null(), &mut ver), answer, "{asked:?}");
            assert_eq!(ver, written, "{asked:?}");
        }
        let mut ver = v(b'B', 2, 2);
        assert_eq!(saCkptInitialize_2(&mut h, null(), &mut ver), SA_AIS_ERR_VERSION);
        assert_eq!(ver, B0203);
        let mut ver = v(b'B', 2, 3);
        assert_eq!(saCkptInitialize_2(&mut h, null(), &mut ver), SA_AIS_ERR_TRY_AGAIN);
        assert_eq!(h, 0, "no handle without an executive");
        assert_eq!(saCkptInitialize(null_mut(), null(), &mut ver), SA_AIS_ERR_INVALID_PARAM);
        assert_eq!(saCkptInitialize(&mut h, null(), null_mut()), SA_AIS_ERR_INVALID_PARAM);
        assert_eq!(saCkptInitialize_2(&mut h, null(), null_mut()), SA_AIS_ERR_INVALID_PARAM);

        // Never-opened handles, with good arguments.
        let bad = 0x0002_0000_0000_0099;
        let (n, a) = (name("safCkpt=x"), attrs(2, 100));
        let (mut sel, mut ch, mut it) = (0, 0, 0);
        let mut status: SaCkptCheckpointDescriptorT = std::mem::zeroed();
        let mut desc: SaCkptSectionDescriptorT = std::mem::zeroed();
        let mut id = *b"s1";
        let mut sa = SaCkptSectionCreationAttributesT {
            sectionId: &mut sid(&mut id),
            expirationTime: SA_TIME_END,
        };
        let mut data = *b"abc";
        let mut io = [element(sid(&mut id), data.as_mut_ptr(), 3, 0)];
        let mut ix = 0;
        let answers = [
            saCkptSelectionObjectGet(bad, &mut sel),
            saCkptDispatch(bad, SA_DISPATCH_ALL),
            saCkptFinalize(bad),
            saCkptCheckpointOpen(bad, &n, &a, SA_CKPT_CHECKPOINT_CREATE, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpenAsync(bad, 1, &n, null(), SA_CKPT_CHECKPOINT_READ),
            saCkptCheckpointClose(bad),
            saCkptCheckpointUnlink(bad, &n),
            saCkptCheckpointRetentionDurationSet(bad, 0),
            saCkptActiveReplicaSet(bad),
            saCkptCheckpointStatusGet(bad, &mut status),
            saCkptSectionCreate(bad, &mut sa, data.as_ptr().cast(), 3),
            saCkptSectionDelete(bad, &sid(&mut id)),
            saCkptSectionExpirationTimeSet(bad, &sid(&mut id), SA_TIME_END),
            saCkptSectionIterationInitialize(bad, SA_CKPT_SECTIONS_ANY, 0, &mut it),
            saCkptSectionIterationNext(bad, &mut desc),
            saCkptSectionIterationFinalize(bad),
            saCkptCheckpointWrite(bad, io.as_ptr(), 1, &mut ix),
            saCkptSectionOverwrite(bad, &sid(&mut id), data.as_ptr().cast(), 3),
            saCkptCheckpointRead(bad, io.as_mut_ptr(), 1, &mut ix),
            saCkptCheckpointSynchronize(bad, SA_TIME_ONE_SECOND),
            saCkptCheckpointSynchronizeAsync(bad, 1),
            saCkptSectionIdFree(bad, id.as_mut_ptr()),
            saCkptIOVectorElementDataFree(bad, data.as_mut_ptr().cast()),
            saCkptTrack(bad),
            saCkptTrackStop(bad),
            saCkptCheckpointTrack(bad),
            saCkptCheckpointTrackStop(bad),
        ];
        assert!(answers.iter().all(|&e| e == SA_AIS_ERR_BAD_HANDLE), "{answers:?}");

        // Bad arguments, whatever the handle.
        let mut long = name("x");
        long.length = 257;
        let mut empty = name("x");
        empty.length = 0;
        let mut bad_flags = attrs(2, 100);
        bad_flags.creationFlags = SA_CKPT_WR_ALL_REPLICAS | SA_CKPT_WR_ACTIVE_REPLICA;
        let mut too_small = attrs(2, 100);
        too_small.checkpointSize = 201;
        let c = SA_CKPT_CHECKPOINT_CREATE;
        let default_id = SaCkptSectionIdT {
            idLen: 0,
            id: null_mut(),
        };
        let null_id = SaCkptSectionIdT {
            idLen: 4,
            id: null_mut(),
        };
        let mut no_id = SaCkptSectionCreationAttributesT {
            sectionId: null_mut(),
            expirationTime: 0,
        };
        let invalid = [
            saCkptSelectionObjectGet(bad, null_mut()),
            saCkptDispatch(bad, 0),
            saCkptDispatch(bad, 4),
            saCkptCheckpointOpen(bad, null(), &a, c, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpen(bad, &n, &a, c, SA_TIME_ONE_SECOND, null_mut()),
            saCkptCheckpointOpen(bad, &n, null(), c, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpen(bad, &n, &a, SA_CKPT_CHECKPOINT_READ, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpen(bad, &n, &bad_flags, c, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpen(bad, &n, &too_small, c, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpen(bad, &n, &a, c, -1, &mut ch),
            saCkptCheckpointOpen(bad, &long, &a, c, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpen(bad, &empty, &a, c, SA_TIME_ONE_SECOND, &mut ch),
            saCkptCheckpointOpenAsync(bad, 1, null(), null(), SA_CKPT_CHECKPOINT_READ),
            saCkptCheckpointOpenAsync(bad, 1, &n, null(), c),
            saCkptCheckpointUnlink(bad, null()),
            saCkptCheckpointUnlink(bad, &long),
            saCkptCheckpointRetentionDurationSet(bad, -1),
            saCkptCheckpointStatusGet(bad, null_mut()),
            saCkptSectionCreate(bad, null_mut(), data.as_ptr().cast(), 3),
            saCkptSectionCreate(bad, &mut no_id, data.as_ptr().cast(), 3),
            saCkptSectionCreate(bad, &mut sa, null(), 3),
            saCkptSectionDelete(bad, null()),
            saCkptSectionDelete(bad, &default_id),
            saCkptSectionDelete(bad, &null_id),
            saCkptSectionExpirationTimeSet(bad, &default_id, 0),
            saCkptSectionExpirationTimeSet(bad, null(), 0),
            saCkptSectionIterationInitialize(bad, 0, 0, &mut it),
            saCkptSectionIterationInitialize(bad, 6, 0, &mut it),
            saCkptSectionIterationInitialize(bad, SA_CKPT_SECTIONS_ANY, 0, null_mut()),
            saCkptSectionIterationNext(bad, null_mut()),
            saCkptCheckpointWrite(bad, null(), 1, &mut ix),
            saCkptSectionOverwrite(bad, null(), data.as_ptr().cast(), 3),
            saCkptSectionOverwrite(bad, &sid(&mut id), null(), 3),
            saCkptCheckpointRead(bad, null_mut(), 1, &mut ix),
            saCkptCheckpointSynchronize(bad, -1),
            saCkptSectionIdFree(bad, null_mut()),
            saCkptIOVectorElementDataFree(bad, null_mut()),
        ];
        for (i, e) in invalid.iter().enumerate() {
            assert_eq!(*e, SA_AIS_ERR_INVALID_PARAM, "case {i}");
        }
        assert_eq!(
            saCkptCheckpointOpen(bad, &n, null(), 0x10, SA_TIME_ONE_SECOND, &mut ch),
            SA_AIS_ERR_BAD_FLAGS
        );
        assert_eq!(
            saCkptCheckpointOpenAsync(bad, 1, &n, null(), 0x10),
            SA_AIS_ERR_BAD_FLAGS
        );
    }
}

/// A checkpoint handle's open flags decide what it may do, before anything is sent; and
/// the elements of a write are checked one by one.
#[test]
fn access_and_elements_are_checked_before_anything_is_sent() {
    let reader = CHECKPOINTS.insert(client_checkpoint(SA_CKPT_CHECKPOINT_READ)).unwrap();
    let writer = CHECKPOINTS.insert(client_checkpoint(SA_CKPT_CHECKPOINT_WRITE)).unwrap();
    unsafe {
        let mut id = *b"s";
        let mut sa = SaCkptSectionCreationAttributesT {
            sectionId: &mut sid(&mut id),
            expirationTime: SA_TIME_END,
        };
        let mut data = *b"abc";
        let mut io = [element(sid(&mut id), data.as_mut_ptr(), 3, 0)];
        let mut ix = 99;
        let denied = [
            saCkptCheckpointWrite(reader, io.as_ptr(), 1, &mut ix),
            saCkptSectionOverwrite(reader, &sid(&mut id), data.as_ptr().cast(), 3),
            saCkptSectionCreate(reader, &mut sa, data.as_ptr().cast(), 3),
            saCkptSectionDelete(reader, &sid(&mut id)),
            saCkptSectionExpirationTimeSet(reader, &sid(&mut id), 0),
            saCkptActiveReplicaSet(reader),
            saCkptCheckpointSynchronize(reader, SA_TIME_ONE_SECOND),
            saCkptCheckpointSynchronizeAsync(reader, 1),
            saCkptCheckpointRead(writer, io.as_mut_ptr(), 1, &mut ix),
            saCkptCheckpointTrack(writer),
            saCkptCheckpointTrackStop(writer),
        ];
        assert!(denied.iter().all(|&e| e == SA_AIS_ERR_ACCESS), "{denied:?}");
        assert_eq!(ix, 99, "an access error names no element");
        // Allowed, and then the owner (none here) is looked up.
        assert_eq!(
            saCkptCheckpointRead(reader, io.as_mut_ptr(), 1, &mut ix),
            SA_AIS_ERR_BAD_HANDLE
        );
        assert_eq!(
            saCkptCheckpointWrite(writer, io.as_ptr(), 1, &mut ix),
            SA_AIS_ERR_BAD_HANDLE
        );

        // Each write element: a buffer, a size, an id pointer if it has a length.
        let good = element(sid(&mut id), data.as_mut_ptr(), 3, 0);
        let no_buffer = element(sid(&mut id), null_mut(), 3, 0);
        let no_size = element(sid(&mut id), data.as_mut_ptr(), 0, 0);
        let mut no_id = good;
        no_id.sectionId.id = null_mut();
        for bad in [no_buffer, no_size, no_id] {
            let io = [good, good, bad];
            assert_eq!(
                saCkptCheckpointWrite(writer, io.as_ptr(), 3, &mut ix),
                SA_AIS_ERR_INVALID_PARAM
            );
            assert_eq!(ix, 2);
            assert_eq!(
                saCkptCheckpointWrite(writer, io.as_ptr(), 3, null_mut()),
                SA_AIS_ERR_INVALID_PARAM
            );
        }
        let io = [no_id];
        let mut rio = io;
        assert_eq!(
            saCkptCheckpointRead(reader, rio.as_mut_ptr(), 1, &mut ix),
            SA_AIS_ERR_INVALID_PARAM
        );
        assert_eq!(ix, 0);
        // No elements: still a live handle is needed.
        assert_eq!(
            saCkptCheckpointWrite(writer, io.as_ptr(), 0, &mut ix),
            SA_AIS_ERR_BAD_HANDLE
        );

        // Memory the library did not give out is not freed.
        assert_eq!(saCkptSectionIdFree(reader, id.as_mut_ptr()), SA_AIS_ERR_INVALID_PARAM);
        assert_eq!(
            saCkptIOVectorElementDataFree(reader, data.as_mut_ptr().cast()),
            SA_AIS_ERR_INVALID_PARAM
        );
    }
    client::forget_checkpoint(reader);
    client::forget_checkpoint(writer);
}

fn client_checkpoint(flags: SaCkptCheckpointOpenFlagsT) -> Checkpoint {
    Checkpoint {
        owner: 0,
        version: B0203,
        flags,
        ckpt_id: 1,
    }
}

// ---- the fake executive ----

/// Bytes of data a READ response carries at most here (the real one: about 1 MiB).
const READ_PAGE: usize = 1000;
/// Sections an ITERATE response carries at most here.
const ITER_PAGE: usize = 2;

#[derive(Default)]
struct Model {
    by_name: HashMap<Vec<u8>, Stored>,
    open: HashMap<u64, Vec<u8>>,
    next_id: u64,
    next_generated: u64,
    /// (message id, payload length) of every request.
    log: Vec<(u16, usize)>,
    /// TRACK started; the checkpoint ids of CHECKPOINT_TRACK.
    track_all: bool,
    tracked: HashSet<u64>,
}

struct Stored {
    attrs: msg::CreationAttributes,
    sections: BTreeMap<Vec<u8>, Vec<u8>>,
}

type Answer = (u32, Vec<u8>, Vec<(u16, u32, Vec<u8>)>);

impl Model {
    fn stored(&mut self, id: u64) -> Option<&mut Stored> {
        let name = self.open.get(&id)?;
        self.by_name.get_mut(name)
    }

    fn open(&mut self, o: &msg::Open) -> Result<msg::Opened, u32> {
        if o.open_flags & msg::OPEN_CREATE != 0 && !self.by_name.contains_key(&o.name) {
            let a = o.attrs.ok_or(SA_AIS_ERR_INVALID_PARAM)?;
            let mut sections = BTreeMap::new();
            if a.max_sections == 1 {
                sections.insert(Vec::new(), Vec::new());
            }
            self.by_name.insert(o.name.clone(), Stored { attrs: a, sections });
        }
        let s = self.by_name.get(&o.name).ok_or(SA_AIS_ERR_NOT_EXIST)?;
        let attrs = s.attrs;
        self.next_id += 1;
        self.open.insert(self.next_id, o.name.clone());
        Ok(msg::Opened {
            ckpt_id: self.next_id,
            attrs,
        })
    }

    fn answer(&mut self, id: u16, p: &[u8]) -> Answer {
        self.log.push((id, p.len()));
        let empty = |st: u32| (st, Vec::new(), Vec::new());
        match id {
            msg::OPEN => match self.open(&msg::Open::decode(p).unwrap()) {
                Ok(o) => (SA_AIS_OK, o.encode().unwrap(), Vec::new()),
                Err(e) => empty(e),
            },
            msg::OPEN_ASYNC => {
                let m = msg::OpenAsync::decode(p).unwrap();
                let (st, opened) = match self.open(&m.open) {
                    Ok(o) => (SA_AIS_OK, Some(o)),
                    Err(e) => (e, None),
                };
                let cb = msg::OpenCallback {
                    invocation: m.invocation,
                    opened,
                };
                (SA_AIS_OK, Vec::new(), vec![(msg::OPEN_CALLBACK, st, cb.encode())])
            }
            msg::CLOSE => {
                let id = msg::CkptId::decode(p).unwrap().0;
                empty(if self.open.remove(&id).is_some() {
                    SA_AIS_OK
                } else {
                    SA_AIS_ERR_BAD_HANDLE
                })
            }
            msg::UNLINK => {
                let n = msg::Unlink::decode(p).unwrap().name;
                empty(if self.by_name.remove(&n).is_some() {
                    SA_AIS_OK
                } else {
                    SA_AIS_ERR_NOT_EXIST
                })
            }
            msg::STATUS_GET => {
                let Some(s) = self.stored(msg::CkptId::decode(p).unwrap().0) else {
                    return empty(SA_AIS_ERR_BAD_HANDLE);
                };
                let d = msg::Descriptor {
                    attrs: s.attrs,
                    number_of_sections: s.sections.len() as u32,
                    memory_used: s.sections.values().map(|d| d.len() as u64).sum(),
                };
                (SA_AIS_OK, d.encode().unwrap(), Vec::new())
            }
            msg::SECTION_CREATE => {
                if p.len() > msg::MAX_UPDATE_PAYLOAD {
                    return empty(SA_AIS_ERR_TOO_BIG);
                }
                let m = msg::SectionCreate::decode(p).unwrap();
                if m.section.is_none() {
                    self.next_generated += 1;
                }
                let generated = format!("generated-{}", self.next_generated).into_bytes();
                let Some(s) = self.stored(m.ckpt_id) else {
                    return empty(SA_AIS_ERR_BAD_HANDLE);
                };
                let id = m.section.unwrap_or(generated);
                if s.sections.contains_key(&id) {
                    return empty(SA_AIS_ERR_EXIST);
                }
                s.sections.insert(id.clone(), m.data);
                (
                    SA_AIS_OK,
                    msg::SectionIdReply { section: id }.encode().unwrap(),
                    Vec::new(),
                )
            }
            msg::SECTION_DELETE => {
                let m = msg::SectionRef::decode(p).unwrap();
                let Some(s) = self.stored(m.ckpt_id) else {
                    return empty(SA_AIS_ERR_BAD_HANDLE);
                };
                empty(if s.sections.remove(&m.section).is_some() {
                    SA_AIS_OK
                } else {
                    SA_AIS_ERR_NOT_EXIST
                })
            }
            msg::ITERATE => {
                let m = msg::Iterate::decode(p).unwrap();
                let Some(s) = self.stored(m.ckpt_id) else {
                    return empty(SA_AIS_ERR_BAD_HANDLE);
                };
                let after = m.after.clone();
                let rest: Vec<_> = s
                    .sections
                    .iter()
                    .filter(|(id, _)| after.as_ref().is_none_or(|a| *id > a))
                    .collect();
                let page = msg::IterationPage {
                    complete: rest.len() <= ITER_PAGE,
                    sections: rest
                        .iter()
                        .take(ITER_PAGE)
                        .map(|(id, d)| msg::SectionDescriptor {
                            section: id.to_vec(),
                            expiration_time: msg::TIME_END,
                            section_size: d.len() as u64,
                            state: msg::SECTION_VALID,
                            last_update: 7,
                        })
                        .collect(),
                };
                (SA_AIS_OK, page.encode().unwrap(), Vec::new())
            }
            msg::WRITE => {
                if p.len() > msg::MAX_UPDATE_PAYLOAD {
                    return (SA_AIS_ERR_TOO_BIG, msg::ErrorIndex(0).encode().unwrap(), Vec::new());
                }
                let m = msg::Write::decode(p).unwrap();
                let Some(s) = self.stored(m.ckpt_id) else {
                    return (SA_AIS_ERR_BAD_HANDLE, msg::ErrorIndex(0).encode().unwrap(), Vec::new());
                };
                for (i, e) in m.elements.iter().enumerate() {
                    let Some(d) = s.sections.get_mut(&e.section) else {
                        return (
                            SA_AIS_ERR_NOT_EXIST,
                            msg::ErrorIndex(i as u32).encode().unwrap(),
                            Vec::new(),
                        );
                    };
                    let end = e.offset as usize + e.data.len();
                    if d.len() < end {
                        d.resize(end, 0);
                    }
                    d[e.offset as usize..end].copy_from_slice(&e.data);
                }
                let elements = m
                    .elements
                    .iter()
                    .map(|e| msg::TrackElement {
                        section: e.section.clone(),
                        offset: e.offset,
                        size: e.data.len() as u64,
                    })
                    .collect();
                let cbs = self.track_callbacks(m.ckpt_id, elements);
                (SA_AIS_OK, msg::ErrorIndex(0).encode().unwrap(), cbs)
            }
            msg::OVERWRITE => {
                if p.len() > msg::MAX_UPDATE_PAYLOAD {
                    return empty(SA_AIS_ERR_TOO_BIG);
                }
                let m = msg::Overwrite::decode(p).unwrap();
                let Some(s) = self.stored(m.ckpt_id) else {
                    return empty(SA_AIS_ERR_BAD_HANDLE);
                };
                match s.sections.get_mut(&m.section) {
                    Some(d) => {
                        *d = m.data;
                        empty(SA_AIS_OK)
                    }
                    None => empty(SA_AIS_ERR_NOT_EXIST),
                }
            }
            msg::READ => {
                let m = msg::Read::decode(p).unwrap();
                let Some(s) = self.stored(m.ckpt_id) else {
                    return (
                        SA_AIS_ERR_BAD_HANDLE,
                        msg::ReadReply::default().encode().unwrap(),
                        Vec::new(),
                    );
                };
                let mut reply = msg::ReadReply::default();
                let mut room = READ_PAGE;
                for (i, e) in m.elements.iter().enumerate() {
                    let Some(d) = s.sections.get(&e.section) else {
                        let r = msg::ReadReply {
                            erroneous_index: i as u32,
                            elements: Vec::new(),
                        };
                        return (SA_AIS_ERR_NOT_EXIST, r.encode().unwrap(), Vec::new());
                    };
                    let from = (e.offset as usize).min(d.len());
                    let to = from.saturating_add(e.size.min(usize::MAX as u64) as usize).min(d.len());
                    let n = (to - from).min(room);
                    room -= n;
                    reply.elements.push(msg::ReadData {
                        data: d[from..from + n].to_vec(),
                        more: (to - from - n) as u64,
                    });
                }
                (SA_AIS_OK, reply.encode().unwrap(), Vec::new())
            }
            msg::SYNCHRONIZE | msg::RETENTION_SET | msg::ACTIVE_REPLICA_SET | msg::SECTION_EXPIRATION_SET => {
                empty(SA_AIS_OK)
            }
            msg::SYNCHRONIZE_ASYNC => {
                let m = msg::SynchronizeAsync::decode(p).unwrap();
                let cb = msg::SyncCallback {
                    invocation: m.invocation,
                };
                (
                    SA_AIS_OK,
                    Vec::new(),
                    vec![(msg::SYNCHRONIZE_CALLBACK, SA_AIS_OK, cb.encode().unwrap())],
                )
            }
            msg::TRACK => {
                self.track_all = true;
                empty(SA_AIS_OK)
            }
            msg::TRACK_STOP => empty(if std::mem::take(&mut self.track_all) {
                SA_AIS_OK
            } else {
                SA_AIS_ERR_NOT_EXIST
            }),
            msg::CHECKPOINT_TRACK => {
                self.tracked.insert(msg::CkptId::decode(p).unwrap().0);
                empty(SA_AIS_OK)
            }
            msg::CHECKPOINT_TRACK_STOP => empty(if self.tracked.remove(&msg::CkptId::decode(p).unwrap().0) {
                SA_AIS_OK
            } else {
                SA_AIS_ERR_NOT_EXIST
            }),
            _ => empty(SA_AIS_ERR_NOT_SUPPORTED),
        }
    }

    /// TRACK_CALLBACKs for a change through `writer`: every tracked id of that
    /// checkpoint, whatever its open flags (the real executive skips those not opened
    /// for reading; the library drops them too).
    fn track_callbacks(&self, writer: u64, elements: Vec<msg::TrackElement>) -> Vec<(u16, u32, Vec<u8>)> {
        let name = &self.open[&writer];
        let mut ids: Vec<u64> = self
            .open
            .iter()
            .filter(|(id, n)| *n == name && (self.track_all || self.tracked.contains(id)))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .map(|ckpt_id| {
                let cb = msg::TrackCallback {
                    ckpt_id,
                    elements: elements.clone(),
                };
                (msg::TRACK_CALLBACK, SA_AIS_OK, cb.encode().unwrap())
            })
            .collect()
    }
}

fn read_frame(mut s: &UnixStream, limits: &Limits) -> Option<(Header, Vec<u8>)> {
    let mut h = [0u8; HEADER_LEN];
    s.read_exact(&mut h).ok()?;
    let h = Header::decode(&h, limits).ok()?;
    let mut p = vec![0u8; h.len as usize];
    s.read_exact(&mut p).ok()?;
    Some((h, p))
}

/// Starts a fake executive serving one connection; returns its socket and its model.
fn fake_executive() -> (SocketName, Arc<Mutex<Model>>) {
    static N: AtomicU32 = AtomicU32::new(0);
    let sock = format!(
        "ais-ckpt-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let l = UnixListener::bind_addr(&SocketAddr::from_abstract_name(sock.as_bytes()).unwrap()).unwrap();
    let model = Arc::new(Mutex::new(Model::default()));
    let m = model.clone();
    thread::spawn(move || {
        let limits = Limits::new(DEFAULT_MAX_PAYLOAD);
        let (req, _) = l.accept().unwrap();
        let Some((h, p)) = read_frame(&req, &limits) else {
            return;
        };
        let Ok(Handshake::Hello(hello)) = Handshake::decode(&h, &p) else {
            panic!("no hello")
        };
        let w = Welcome {
            service: hello.service,
            conn_id: 1,
            cookie: 2,
            protocol_version: 1,
            max_payload: DEFAULT_MAX_PAYLOAD,
            version: hello.version,
        };
        (&req).write_all(&Handshake::Welcome(w).encode()).unwrap();
        let (disp, _) = l.accept().unwrap();
        let _ = read_frame(&disp, &limits);
        (&disp)
            .write_all(&Handshake::Attached(Attached { service: hello.service }).encode())
            .unwrap();
        while let Some((h, p)) = read_frame(&req, &limits) {
            let (status, payload, callback) = m.lock().unwrap().answer(h.msg, &p);
            let resp = Header {
                msg: h.msg,
                request_id: h.request_id,
                status,
                ..Header::new(Kind::Response, ServiceId::CKPT)
            };
            if (&req).write_all(&encode_frame(&resp, &payload)).is_err() {
                return;
            }
            for (id, st, p) in callback {
                let cb = Header {
                    msg: id,
                    status: st,
                    ..Header::new(Kind::Callback, ServiceId::CKPT)
                };
                let _ = (&disp).write_all(&encode_frame(&cb, &p));
            }
        }
    });
    (SocketName::Abstract(sock.into_bytes()), model)
}

/// A library handle on a fresh fake executive.
fn handle(version: SaVersionT, callbacks: Callbacks) -> (SaCkptHandleT, Arc<Mutex<Model>>) {
    let (sock, model) = fake_executive();
    let av = AisVersion::new(version.releaseCode, version.majorVersion, version.minorVersion);
    let conn = Connection::open_at(&sock, ServiceId::CKPT, av, Duration::from_secs(5)).unwrap();
    // As saCkptInitialize opens it: a close cancels its pending callbacks.
    let h = super::state::open_cancellable(callbacks, |cbs| client::adopt(conn, version, cbs)).unwrap();
    (h, model)
}

unsafe fn open(h: SaCkptHandleT, n: &str, flags: SaCkptCheckpointOpenFlagsT) -> SaCkptCheckpointHandleT {
    let n = name(n);
    let a = attrs(10, 4 << 20);
    let a = if flags & SA_CKPT_CHECKPOINT_CREATE != 0 {
        &a as *const _
    } else {
        null()
    };
    let mut c = 0;
    assert_eq!(
        saCkptCheckpointOpen(h, &n, a, flags, SA_TIME_ONE_SECOND, &mut c),
        SA_AIS_OK
    );
    c
}

#[test]
fn sections_writes_and_reads_against_a_fake_executive() {
    let (h, model) = handle(B0203, Callbacks::default());
    let rw = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE;
    unsafe {
        let c = open(h, "safCkpt=data", rw | SA_CKPT_CHECKPOINT_CREATE);
        let reader = open(h, "safCkpt=data", SA_CKPT_CHECKPOINT_READ);
        let mut none = 0;
        assert_eq!(
            saCkptCheckpointOpen(
                h,
                &name("safCkpt=none"),
                null(),
                SA_CKPT_CHECKPOINT_READ,
                SA_TIME_ONE_SECOND,
                &mut none
            ),
            SA_AIS_ERR_NOT_EXIST
        );

        // A named section, and a generated one whose id is library memory.
        let mut id = *b"alpha";
        let mut named = sid(&mut id);
        let mut sa = SaCkptSectionCreationAttributesT {
            sectionId: &mut named,
            expirationTime: SA_TIME_END,
        };
        assert_eq!(saCkptSectionCreate(c, &mut sa, b"hello".as_ptr().cast(), 5), SA_AIS_OK);
        assert_eq!(
            saCkptSectionCreate(c, &mut sa, b"hello".as_ptr().cast(), 5),
            SA_AIS_ERR_EXIST
        );
        let mut generated = SaCkptSectionIdT {
            idLen: 0,
            id: null_mut(),
        };
        sa.sectionId = &mut generated;
        assert_eq!(saCkptSectionCreate(c, &mut sa, null(), 0), SA_AIS_OK);
        assert!(!generated.id.is_null());
        let gid = std::slice::from_raw_parts(generated.id, generated.idLen as usize).to_vec();
        assert_eq!(gid, b"generated-1");
        assert_eq!(
            saCkptSectionIdFree(reader, generated.id),
            SA_AIS_ERR_INVALID_PARAM,
            "another handle's"
        );
        assert_eq!(saCkptSectionIdFree(c, generated.id), SA_AIS_OK);
        assert_eq!(
            saCkptSectionIdFree(c, generated.id),
            SA_AIS_ERR_INVALID_PARAM,
            "freed once"
        );

        // 3 MB in one element and a small one: split into WRITEs under the limit.
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = [
            element(sid(&mut id), big.as_ptr() as *mut u8, big.len(), 10),
            element(sid(&mut id), b"HELLO".as_ptr() as *mut u8, 5, 0),
        ];
        let mut ix = 0;
        assert_eq!(saCkptCheckpointWrite(c, io.as_ptr(), 2, &mut ix), SA_AIS_OK);
        {
            let m = model.lock().unwrap();
            let writes: Vec<usize> = m
                .log
                .iter()
                .filter(|(id, _)| *id == msg::WRITE)
                .map(|(_, n)| *n)
                .collect();
            assert!(writes.len() >= 3, "{writes:?}");
            assert!(writes.iter().all(|&n| n <= msg::MAX_UPDATE_PAYLOAD));
        }
        // A missing section: the caller's index, not the request's.
        let mut missing = *b"nope";
        io[1].sectionId = sid(&mut missing);
        assert_eq!(saCkptCheckpointWrite(c, io.as_ptr(), 2, &mut ix), SA_AIS_ERR_NOT_EXIST);
        assert_eq!(ix, 1);
        assert_eq!(
            saCkptCheckpointWrite(reader, io.as_ptr(), 2, &mut ix),
            SA_AIS_ERR_ACCESS
        );

        // Read it back: into the caller's buffer (in 1000-byte pages), and into library
        // memory (the rest of the section).
        let mut head = vec![0u8; 2500];
        let mut rio = [
            element(sid(&mut id), head.as_mut_ptr(), head.len(), 0),
            element(sid(&mut id), null_mut(), 0, 1000),
        ];
        assert_eq!(saCkptCheckpointRead(reader, rio.as_mut_ptr(), 2, &mut ix), SA_AIS_OK);
        assert_eq!(rio[0].readSize, 2500);
        assert_eq!(&head[..5], b"HELLO");
        assert_eq!(&head[10..2500], &big[..2490]);
        assert_eq!(rio[1].readSize as usize, 3_000_010 - 1000);
        let rest = std::slice::from_raw_parts(rio[1].dataBuffer as *const u8, rio[1].readSize as usize);
        assert_eq!(rest, &big[990..]);
        assert_eq!(saCkptIOVectorElementDataFree(reader, rio[1].dataBuffer), SA_AIS_OK);
        assert_eq!(
            saCkptIOVectorElementDataFree(reader, rio[1].dataBuffer),
            SA_AIS_ERR_INVALID_PARAM
        );
        // A read past the end reads nothing; a missing section names its element.
        let mut tail = [0u8; 4];
        let mut rio = [element(sid(&mut id), tail.as_mut_ptr(), 4, 5_000_000)];
        assert_eq!(saCkptCheckpointRead(reader, rio.as_mut_ptr(), 1, &mut ix), SA_AIS_OK);
        assert_eq!(rio[0].readSize, 0);
        let mut rio = [
            element(sid(&mut id), tail.as_mut_ptr(), 4, 0),
            element(sid(&mut missing), tail.as_mut_ptr(), 4, 0),
        ];
        assert_eq!(
            saCkptCheckpointRead(reader, rio.as_mut_ptr(), 2, &mut ix),
            SA_AIS_ERR_NOT_EXIST
        );
        assert_eq!(ix, 1);

        // Overwrite with more than one request holds: OVERWRITE, then WRITEs.
        let bigger = vec![7u8; 2_500_000];
        assert_eq!(
            saCkptSectionOverwrite(c, &sid(&mut id), bigger.as_ptr().cast(), bigger.len() as u64),
            SA_AIS_OK
        );
        let mut st: SaCkptCheckpointDescriptorT = std::mem::zeroed();
        assert_eq!(saCkptCheckpointStatusGet(reader, &mut st), SA_AIS_OK);
        assert_eq!((st.numberOfSections, st.memoryUsed), (2, 2_500_000));
        assert_eq!(st.checkpointCreationAttributes.maxSections, 10);
        // A large initial section: SECTION_CREATE, then WRITEs.
        let mut id2 = *b"beta";
        let mut named2 = sid(&mut id2);
        sa.sectionId = &mut named2;
        assert_eq!(
            saCkptSectionCreate(c, &mut sa, bigger.as_ptr().cast(), bigger.len() as u64),
            SA_AIS_OK
        );
        assert_eq!(saCkptCheckpointStatusGet(c, &mut st), SA_AIS_OK);
        assert_eq!((st.numberOfSections, st.memoryUsed), (3, 5_000_000));

        assert_eq!(saCkptSectionDelete(c, &sid(&mut id2)), SA_AIS_OK);
        assert_eq!(saCkptSectionDelete(c, &sid(&mut id2)), SA_AIS_ERR_NOT_EXIST);
        assert_eq!(saCkptSectionExpirationTimeSet(c, &sid(&mut id), SA_TIME_END), SA_AIS_OK);
        assert_eq!(saCkptCheckpointRetentionDurationSet(c, 0), SA_AIS_OK);
        assert_eq!(saCkptActiveReplicaSet(c), SA_AIS_OK);
        assert_eq!(saCkptCheckpointSynchronize(c, SA_TIME_ONE_SECOND), SA_AIS_OK);

        // Close: the handle goes, with what the library allocated for it.
        let mut rio = [element(sid(&mut id), null_mut(), 0, 0)];
        assert_eq!(saCkptCheckpointRead(reader, rio.as_mut_ptr(), 1, &mut ix), SA_AIS_OK);
        assert_eq!(saCkptCheckpointClose(reader), SA_AIS_OK);
        assert_eq!(saCkptCheckpointClose(reader), SA_AIS_ERR_BAD_HANDLE);
        assert_eq!(
            saCkptIOVectorElementDataFree(reader, rio[0].dataBuffer),
            SA_AIS_ERR_BAD_HANDLE
        );
        assert_eq!(saCkptCheckpointUnlink(h, &name("safCkpt=data")), SA_AIS_OK);
        assert_eq!(saCkptCheckpointUnlink(h, &name("safCkpt=data")), SA_AIS_ERR_NOT_EXIST);

        // Finalize closes the rest.
        assert_eq!(saCkptFinalize(h), SA_AIS_OK);
        assert_eq!(
            saCkptCheckpointSynchronize(c, SA_TIME_ONE_SECOND),
            SA_AIS_ERR_BAD_HANDLE
        );
        assert_eq!(saCkptFinalize(h), SA_AIS_ERR_BAD_HANDLE);
    }
}

/// Iterations page through the executive's answers; a B.01 iteration frees its section
/// ids when finalized, a B.02 program frees them with saCkptSectionIdFree.
#[test]
fn iterations_page_and_own_their_ids_by_version() {
    for version in [B0101, B0203] {
        let (h, _model) = handle(version, Callbacks::default());
        unsafe {
            let c = open(h, "safCkpt=iter", SA_CKPT_CHECKPOINT_WRITE | SA_CKPT_CHECKPOINT_CREATE);
            for i in 0..5u8 {
                let mut id = [b's', b'0' + i];
                let mut s = sid(&mut id);
                let mut sa = SaCkptSectionCreationAttributesT {
                    sectionId: &mut s,
                    expirationTime: SA_TIME_END,
                };
                assert_eq!(
                    saCkptSectionCreate(c, &mut sa, [i; 3].as_ptr().cast(), u64::from(i)),
                    SA_AIS_OK
                );
            }
            let mut it = 0;
            assert_eq!(
                saCkptSectionIterationInitialize(c, SA_CKPT_SECTIONS_ANY, 0, &mut it),
                SA_AIS_OK
            );
            let mut seen = Vec::new();
            let mut d: SaCkptSectionDescriptorT = std::mem::zeroed();
            let mut ids = Vec::new();
            loop {
                match saCkptSectionIterationNext(it, &mut d) {
                    SA_AIS_OK => {}
                    SA_AIS_ERR_NO_SECTIONS => break,
                    e => panic!("{e}"),
                }
                let id = std::slice::from_raw_parts(d.sectionId.id, d.sectionId.idLen as usize).to_vec();
                seen.push((id, d.sectionSize, d.sectionState, d.expirationTime, d.lastUpdate));
                ids.push(d.sectionId.id);
            }
            assert_eq!(saCkptSectionIterationNext(it, &mut d), SA_AIS_ERR_NO_SECTIONS);
            let want: Vec<_> = (0..5u8)
                .map(|i| {
                    (
                        vec![b's', b'0' + i],
                        u64::from(i),
                        SA_CKPT_SECTION_VALID,
                        SA_TIME_END,
                        7,
                    )
                })
                .collect();
            assert_eq!(seen, want);
            assert_eq!(saCkptSectionIdFree(c, ids[0]), SA_AIS_OK);
            assert_eq!(saCkptSectionIterationFinalize(it), SA_AIS_OK);
            assert_eq!(saCkptSectionIterationFinalize(it), SA_AIS_ERR_BAD_HANDLE);
            assert_eq!(saCkptSectionIterationNext(it, &mut d), SA_AIS_ERR_BAD_HANDLE);
            let after = saCkptSectionIdFree(c, ids[1]);
            if version == B0101 {
                assert_eq!(after, SA_AIS_ERR_INVALID_PARAM, "freed with the iteration");
            } else {
                assert_eq!(after, SA_AIS_OK, "the program's until it frees it");
            }
            // Closing the checkpoint ends its iterations.
            assert_eq!(
                saCkptSectionIterationInitialize(c, SA_CKPT_SECTIONS_FOREVER, 0, &mut it),
                SA_AIS_OK
            );
            assert_eq!(saCkptCheckpointClose(c), SA_AIS_OK);
            assert_eq!(saCkptSectionIterationNext(it, &mut d), SA_AIS_ERR_BAD_HANDLE);
            assert_eq!(saCkptFinalize(h), SA_AIS_OK);
        }
    }
}

static OPENED: Mutex<Vec<(SaInvocationT, SaCkptCheckpointHandleT, SaAisErrorT)>> = Mutex::new(Vec::new());
static SYNCED: Mutex<Vec<(SaInvocationT, SaAisErrorT)>> = Mutex::new(Vec::new());

unsafe extern "C" fn opened(invocation: SaInvocationT, c: SaCkptCheckpointHandleT, error: SaAisErrorT) {
    OPENED.lock().unwrap().push((invocation, c, error));
}

unsafe extern "C" fn synced(invocation: SaInvocationT, error: SaAisErrorT) {
    SYNCED.lock().unwrap().push((invocation, error));
}

/// What the track callback got: checkpoint, then (section id, offset, size, buffer NULL and
/// readSize 0) per element.
type TrackedCall = (SaCkptCheckpointHandleT, Vec<(Vec<u8>, u64, u64, bool)>);
static TRACKED: Mutex<Vec<TrackedCall>> = Mutex::new(Vec::new());

unsafe extern "C" fn tracked(c: SaCkptCheckpointHandleT, io: *mut SaCkptIOVectorElementT, n: SaUint32T) {
    let io = std::slice::from_raw_parts(io, n as usize);
    let elements = io
        .iter()
        .map(|e| {
            let id = if e.sectionId.idLen == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(e.sectionId.id, e.sectionId.idLen as usize).to_vec()
            };
            (id, e.dataOffset, e.dataSize, e.dataBuffer.is_null() && e.readSize == 0)
        })
        .collect();
    TRACKED.lock().unwrap().push((c, elements));
}

/// The asynchronous calls answer through dispatch, with the application's invocation (the
/// same one twice is fine); without their callback they are INIT.
#[test]
fn asynchronous_calls_come_back_through_dispatch() {
    let (bare, _m) = handle(B0101, Callbacks::default());
    let cbs = Callbacks {
        open: Some(opened),
        sync: Some(synced),
        track: None,
    };
    let (h, _model) = handle(B0101, cbs);
    unsafe {
        let n = name("safCkpt=async");
        let a = attrs(1, 100);
        assert_eq!(
            saCkptCheckpointOpenAsync(bare, 5, &n, &a, SA_CKPT_CHECKPOINT_CREATE),
            SA_AIS_ERR_INIT
        );
        let rw = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE;
        assert_eq!(saCkptCheckpointOpenAsync(h, 5, &n, null(), rw), SA_AIS_OK);
        assert_eq!(
            saCkptCheckpointOpenAsync(h, 5, &n, &a, rw | SA_CKPT_CHECKPOINT_CREATE),
            SA_AIS_OK
        );
        let mut sel = 0;
        assert_eq!(saCkptSelectionObjectGet(h, &mut sel), SA_AIS_OK);
        assert!(sel > 0);
        for _ in 0..100 {
            assert_eq!(saCkptDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
            if OPENED.lock().unwrap().len() == 2 {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let got = OPENED.lock().unwrap().clone();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0, got[0].1, got[0].2), (5, 0, SA_AIS_ERR_NOT_EXIST));
        let (inv, c, e) = got[1];
        assert_eq!((inv, e), (5, SA_AIS_OK));
        // The handle the callback gave works, with the flags it was opened with: the
        // default section (maxSections 1) is there.
        let mut buf = [0u8; 4];
        let mut rio = [element(
            SaCkptSectionIdT {
                idLen: 0,
                id: null_mut(),
            },
            buf.as_mut_ptr(),
            4,
            0,
        )];
        assert_eq!(
            saCkptSectionOverwrite(c, &rio[0].sectionId, b"ab".as_ptr().cast(), 2),
            SA_AIS_OK
        );
        assert_eq!(saCkptCheckpointRead(c, rio.as_mut_ptr(), 1, null_mut()), SA_AIS_OK);
        assert_eq!((rio[0].readSize, &buf[..2]), (2, &b"ab"[..]));

        let mut c0 = 0;
        assert_eq!(
            saCkptCheckpointOpen(bare, &n, null(), SA_CKPT_CHECKPOINT_WRITE, SA_TIME_ONE_SECOND, &mut c0),
            SA_AIS_ERR_NOT_EXIST,
            "another connection's executive knows nothing of it"
        );
        assert_eq!(saCkptCheckpointSynchronizeAsync(c, 9), SA_AIS_OK);
        for _ in 0..100 {
            assert_eq!(saCkptDispatch(h, SA_DISPATCH_ONE), SA_AIS_OK);
            if !SYNCED.lock().unwrap().is_empty() {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(*SYNCED.lock().unwrap(), [(9, SA_AIS_OK)]);
        assert_eq!(saCkptFinalize(h), SA_AIS_OK);
        assert_eq!(saCkptDispatch(h, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
        assert_eq!(saCkptFinalize(bare), SA_AIS_OK);
    }
}

/// The B.02.03 track calls need a B.2.3 handle (VERSION) with a track callback (INIT) and
/// a checkpoint opened for reading (ACCESS); then the executive answers, and its
/// TRACK_CALLBACKs reach the callback at dispatch for the checkpoints opened for reading.
#[test]
fn track_calls_check_version_and_callback() {
    let (old, _a) = handle(B0101, Callbacks::default());
    let (no_cb, _b) = handle(B0203, Callbacks::default());
    let with = Callbacks {
        track: Some(tracked),
        ..Callbacks::default()
    };
    let (h, model) = handle(B0203, with);
    unsafe {
        assert_eq!(saCkptTrack(old), SA_AIS_ERR_VERSION);
        assert_eq!(saCkptTrackStop(old), SA_AIS_ERR_VERSION);
        assert_eq!(saCkptTrack(no_cb), SA_AIS_ERR_INIT);
        assert_eq!(saCkptTrackStop(no_cb), SA_AIS_ERR_INIT);
        assert_eq!(saCkptTrackStop(h), SA_AIS_ERR_NOT_EXIST);
        let c_old = open(old, "safCkpt=t", SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_CREATE);
        let c = open(h, "safCkpt=t", SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_CREATE);
        let w = open(h, "safCkpt=t", SA_CKPT_CHECKPOINT_WRITE);
        assert_eq!(saCkptCheckpointTrack(c_old), SA_AIS_ERR_VERSION);
        assert_eq!(saCkptCheckpointTrack(w), SA_AIS_ERR_ACCESS);
        assert_eq!(saCkptCheckpointTrackStop(c), SA_AIS_ERR_NOT_EXIST);
        assert_eq!(saCkptCheckpointTrack(c), SA_AIS_OK);
        let mut id = *b"sec";
        let mut sec = sid(&mut id);
        let mut ca = SaCkptSectionCreationAttributesT {
            sectionId: &mut sec,
            expirationTime: SA_TIME_END,
        };
        assert_eq!(saCkptSectionCreate(w, &mut ca, null(), 0), SA_AIS_OK);
        let data = *b"hello";
        let wio = [element(sec, data.as_ptr() as *mut u8, 5, 3)];
        assert_eq!(saCkptCheckpointWrite(w, wio.as_ptr(), 1, null_mut()), SA_AIS_OK);
        for _ in 0..100 {
            assert_eq!(saCkptDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
            if !TRACKED.lock().unwrap().is_empty() {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let got = std::mem::take(&mut *TRACKED.lock().unwrap());
        assert_eq!(got, vec![(c, vec![(b"sec".to_vec(), 3, 5, true)])]);
        assert_eq!(saCkptCheckpointTrackStop(c), SA_AIS_OK);
        // saCkptTrack: the executive reports both openings; only the one open for
        // reading reaches the callback.
        assert_eq!(saCkptTrack(h), SA_AIS_OK);
        assert_eq!(saCkptCheckpointWrite(w, wio.as_ptr(), 1, null_mut()), SA_AIS_OK);
        assert_eq!(saCkptTrackStop(h), SA_AIS_OK);
        // The stop's response follows the write's callbacks on the dispatch socket.
        for _ in 0..100 {
            assert_eq!(saCkptDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
            if !TRACKED.lock().unwrap().is_empty() {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        thread::sleep(Duration::from_millis(50));
        assert_eq!(saCkptDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
        let got = std::mem::take(&mut *TRACKED.lock().unwrap());
        assert_eq!(got, vec![(c, vec![(b"sec".to_vec(), 3, 5, true)])]);
        assert_eq!(saCkptTrackStop(h), SA_AIS_ERR_NOT_EXIST);
        let tracks = model
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|(m, _)| (msg::TRACK..=msg::CHECKPOINT_TRACK_STOP).contains(m))
            .count();
        assert_eq!(tracks, 7, "the checks before sending send nothing");
        for x in [old, no_cb, h] {
            assert_eq!(saCkptFinalize(x), SA_AIS_OK);
        }
    }
}

/// What existing programs hit (compatibility and bounds): a timeout of 0 (openais's
/// `testckpt.c` opens with it), a section id `{0, id}`, and sizes past the checkpoint's
/// limits, which are refused with the spec's code before the caller's buffer is read.
#[test]
fn timeouts_section_ids_and_limits_as_programs_use_them() {
    let (h, _model) = handle(B0203, Callbacks::default());
    let rw = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE;
    unsafe {
        // A timeout of 0 waits the floor (openais ignored the argument): it succeeds.
        let a = attrs(10, 4 << 20);
        let mut c = 0;
        assert_eq!(
            saCkptCheckpointOpen(
                h,
                &name("safCkpt=bounds"),
                &a,
                rw | SA_CKPT_CHECKPOINT_CREATE,
                0,
                &mut c
            ),
            SA_AIS_OK
        );
        let mut other = 0;
        assert_eq!(
            saCkptCheckpointOpen(h, &name("safCkpt=bounds"), null(), rw, 1, &mut other),
            SA_AIS_OK
        );
        assert_eq!(saCkptCheckpointSynchronize(c, 0), SA_AIS_OK);

        // B.02.03: only {0, NULL} asks for a generated id.
        let mut byte = *b"x";
        let mut empty_but_set = SaCkptSectionIdT {
            idLen: 0,
            id: byte.as_mut_ptr(),
        };
        let mut sa = SaCkptSectionCreationAttributesT {
            sectionId: &mut empty_but_set,
            expirationTime: SA_TIME_END,
        };
        assert_eq!(saCkptSectionCreate(c, &mut sa, null(), 0), SA_AIS_ERR_INVALID_PARAM);
        assert_eq!(empty_but_set.id, byte.as_mut_ptr(), "the caller's id is left alone");
        let mut id = *b"s";
        let mut named = sid(&mut id);
        sa.sectionId = &mut named;
        assert_eq!(saCkptSectionCreate(c, &mut sa, b"ab".as_ptr().cast(), 2), SA_AIS_OK);

        // 100 MiB claimed over a 16-byte buffer: refused before anything is read, on the
        // creator's handle (limits from its attributes) and on another opener's (limits
        // from the checkpoint's status).
        let mut short = [0u8; 16];
        let huge = 100 << 20;
        for ch in [c, other] {
            let mut ix = 99;
            let io = [
                element(sid(&mut id), short.as_mut_ptr(), 2, 0),
                element(sid(&mut id), short.as_mut_ptr(), huge, 0),
            ];
            // B.02.03 (and OpenSAF): past maxSectionSize is NO_RESOURCES.
            assert_eq!(
                saCkptCheckpointWrite(ch, io.as_ptr(), 2, &mut ix),
                SA_AIS_ERR_NO_RESOURCES
            );
            assert_eq!(ix, 1);
            let io = [element(sid(&mut id), short.as_mut_ptr(), 16, (4 << 20) - 8)];
            assert_eq!(
                saCkptCheckpointWrite(ch, io.as_ptr(), 1, &mut ix),
                SA_AIS_ERR_NO_RESOURCES
            );
            assert_eq!(ix, 0);
            assert_eq!(
                saCkptSectionOverwrite(ch, &sid(&mut id), short.as_ptr().cast(), huge as SaSizeT),
                SA_AIS_ERR_INVALID_PARAM
            );
            let mut id2 = *b"s2";
            let mut named2 = sid(&mut id2);
            let mut sa2 = SaCkptSectionCreationAttributesT {
                sectionId: &mut named2,
                expirationTime: SA_TIME_END,
            };
            assert_eq!(
                saCkptSectionCreate(ch, &mut sa2, short.as_ptr().cast(), huge as SaSizeT),
                SA_AIS_ERR_INVALID_PARAM
            );
        }
        // Within the limits, the same calls work.
        let io = [element(sid(&mut id), short.as_mut_ptr(), 16, (4 << 20) - 16)];
        let mut ix = 0;
        assert_eq!(saCkptCheckpointWrite(other, io.as_ptr(), 1, &mut ix), SA_AIS_OK);
        assert_eq!(saCkptCheckpointClose(other), SA_AIS_OK);
        assert_eq!(saCkptCheckpointClose(c), SA_AIS_OK);
    }
    unsafe { saCkptFinalize(h) };
}

static LATE_SYNCED: Mutex<Vec<SaInvocationT>> = Mutex::new(Vec::new());
static LATE_TRACKED: Mutex<Vec<SaCkptCheckpointHandleT>> = Mutex::new(Vec::new());

unsafe extern "C" fn late_synced(invocation: SaInvocationT, _error: SaAisErrorT) {
    LATE_SYNCED.lock().unwrap().push(invocation);
}

unsafe extern "C" fn late_tracked(c: SaCkptCheckpointHandleT, _io: *mut SaCkptIOVectorElementT, _n: SaUint32T) {
    LATE_TRACKED.lock().unwrap().push(c);
}

/// saCkptCheckpointClose "cancels all pending callbacks that refer directly or indirectly
/// to the handle" (B.02.03): the synchronize and track callbacks of a checkpoint closed
/// before its dispatch never reach the application; another checkpoint's still do.
#[test]
fn close_cancels_the_checkpoints_pending_callbacks() {
    let cbs = Callbacks {
        open: None,
        sync: Some(late_synced),
        track: Some(late_tracked),
    };
    let (h, _model) = handle(B0203, cbs);
    let rw = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE;
    unsafe {
        let c = open(h, "safCkpt=cancel", rw | SA_CKPT_CHECKPOINT_CREATE);
        let keep = open(h, "safCkpt=cancel", SA_CKPT_CHECKPOINT_WRITE);
        let mut id = *b"s";
        let mut named = sid(&mut id);
        let mut sa = SaCkptSectionCreationAttributesT {
            sectionId: &mut named,
            expirationTime: SA_TIME_END,
        };
        assert_eq!(saCkptSectionCreate(keep, &mut sa, b"ab".as_ptr().cast(), 2), SA_AIS_OK);
        assert_eq!(saCkptCheckpointTrack(c), SA_AIS_OK);
        assert_eq!(saCkptCheckpointSynchronizeAsync(c, 41), SA_AIS_OK);
        let io = [element(sid(&mut id), b"xy".as_ptr() as *mut u8, 2, 0)];
        assert_eq!(saCkptCheckpointWrite(keep, io.as_ptr(), 1, null_mut()), SA_AIS_OK);
        assert_eq!(saCkptCheckpointSynchronizeAsync(keep, 42), SA_AIS_OK);
        // Everything is answered (queued on the dispatch socket) before the close.
        thread::sleep(Duration::from_millis(50));
        assert_eq!(saCkptCheckpointClose(c), SA_AIS_OK);
        for _ in 0..100 {
            assert_eq!(saCkptDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
            if LATE_SYNCED.lock().unwrap().contains(&42) {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(*LATE_SYNCED.lock().unwrap(), [42], "only the open checkpoint's answer");
        assert!(
            !LATE_TRACKED.lock().unwrap().contains(&c),
            "no track callback for the closed one"
        );
        assert_eq!(saCkptFinalize(h), SA_AIS_OK);
    }
}
