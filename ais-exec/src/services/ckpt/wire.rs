//! The checkpoint service's cluster messages, in the services' cluster codec
//! ([`codec`], big-endian): version, a kind byte, then the fields below. The sending node is Totem's sender and is not repeated.
//!
//! ```text
//! OPEN            req u64, name, attrs present bool [+ attributes], create bool
//! CLOSE           req u64 (0: no reply), uid
//! UNLINK          req u64, name
//! RETENTION_SET   req u64, uid, duration i64
//! ACTIVE_REPLICA  req u64, uid
//! SECTION_CREATE  req u64, uid, generated bool, section id, expiration i64, wall i64, data
//! SECTION_DELETE  req u64, uid, section id
//! EXPIRATION_SET  req u64, uid, section id, expiration i64
//! WRITE           req u64, uid, wall i64, count u32, (section id, offset u64, data)*
//! OVERWRITE       req u64, uid, wall i64, section id, data
//! SYNCHRONIZE     req u64, uid
//! RETENTION_EXPIRE uid, epoch u64
//! SECTION_EXPIRE  uid, section id, expiration i64
//! PIECE           req u64, uid, kind u16, wall i64, index u32, last bool, data
//! PIECE_ABORT     req u64
//! ```
//!
//! The re-synchronisation after a configuration change runs on the sync
//! engine with pieces of their own ([`super::sync`]).
//!
//! `uid` (a checkpoint's identity for its whole life, across unlinks and
//! merges) is the creating OPEN's sender and request number: node u32, req u64.
//! Names are `u16` length + at most 256 bytes, section ids `u16` length + bytes,
//! data `u32` length + bytes.

use crate::services::codec::{self, DecodeError, EncodeError, Reader, Writer};
use ais_proto::ckpt::{put_section_id, section_id, CreationAttributes};

pub type NodeId = u32;

/// A checkpoint's identity: the node and request number of the OPEN that created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uid {
    pub node: NodeId,
    pub seq: u64,
}

pub use crate::services::contract::RingId;

/// One element of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteElem {
    pub section: Vec<u8>,
    pub offset: u64,
    pub data: Vec<u8>,
}

impl From<ais_proto::ckpt::WriteElement> for WriteElem {
    fn from(e: ais_proto::ckpt::WriteElement) -> WriteElem {
        WriteElem {
            section: e.section,
            offset: e.offset,
            data: e.data,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CkptMsg {
    Open {
        req: u64,
        name: Vec<u8>,
        attrs: Option<CreationAttributes>,
        create: bool,
    },
    Close {
        req: u64,
        uid: Uid,
    },
    Unlink {
        req: u64,
        name: Vec<u8>,
    },
    RetentionSet {
        req: u64,
        uid: Uid,
        duration: i64,
    },
    ActiveReplicaSet {
        req: u64,
        uid: Uid,
    },
    SectionCreate {
        req: u64,
        uid: Uid,
        /// `None`: generated.
        section: Option<Vec<u8>>,
        expiration: i64,
        wall: i64,
        data: Vec<u8>,
    },
    SectionDelete {
        req: u64,
        uid: Uid,
        section: Vec<u8>,
    },
    ExpirationSet {
        req: u64,
        uid: Uid,
        section: Vec<u8>,
        expiration: i64,
    },
    Write {
        req: u64,
        uid: Uid,
        wall: i64,
        elements: Vec<WriteElem>,
    },
    Overwrite {
        req: u64,
        uid: Uid,
        wall: i64,
        section: Vec<u8>,
        data: Vec<u8>,
    },
    Synchronize {
        req: u64,
        uid: Uid,
    },
    RetentionExpire {
        uid: Uid,
        epoch: u64,
    },
    SectionExpire {
        uid: Uid,
        section: Vec<u8>,
        expiration: i64,
    },
    /// One piece of a change too large for one message (the bytes of its
    /// IPC request payload, of `kind`), staged on every node until the last.
    Piece {
        req: u64,
        uid: Uid,
        kind: u16,
        wall: i64,
        index: u32,
        last: bool,
        data: Vec<u8>,
    },
    /// The sender's staged pieces of `req` are dropped (its client went away,
    /// or a piece could not be sent).
    PieceAbort {
        req: u64,
    },
}

const OPEN: u8 = 1;
const CLOSE: u8 = 2;
const UNLINK: u8 = 3;
const RETENTION_SET: u8 = 4;
const ACTIVE_REPLICA: u8 = 5;
const SECTION_CREATE: u8 = 6;
const SECTION_DELETE: u8 = 7;
const EXPIRATION_SET: u8 = 8;
const WRITE: u8 = 9;
const OVERWRITE: u8 = 10;
const SYNCHRONIZE: u8 = 11;
const RETENTION_EXPIRE: u8 = 12;
const SECTION_EXPIRE: u8 = 13;
const PIECE: u8 = 14;
const PIECE_ABORT: u8 = 15;

fn put_uid(w: &mut Writer, u: Uid) {
    w.u32(u.node).u64(u.seq);
}

fn uid(r: &mut Reader<'_>) -> Result<Uid, DecodeError> {
    Ok(Uid {
        node: r.u32()?,
        seq: r.u64()?,
    })
}

impl CkptMsg {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        // Each kind writes its kind byte first.
        let mut w = codec::versioned();
        match self {
            CkptMsg::Open {
                req,
                name,
                attrs,
                create,
            } => {
                w.u8(OPEN).u64(*req);
                w.name(name)?;
                w.bool(attrs.is_some());
                if let Some(a) = attrs {
                    a.put_in(&mut w)?;
                }
                w.bool(*create);
            }
            CkptMsg::Close { req, uid } => {
                w.u8(CLOSE).u64(*req);
                put_uid(&mut w, *uid);
            }
            CkptMsg::Unlink { req, name } => {
                w.u8(UNLINK).u64(*req);
                w.name(name)?;
            }
            CkptMsg::RetentionSet { req, uid, duration } => {
                w.u8(RETENTION_SET).u64(*req);
                put_uid(&mut w, *uid);
                w.i64(*duration);
            }
            CkptMsg::ActiveReplicaSet { req, uid } => {
                w.u8(ACTIVE_REPLICA).u64(*req);
                put_uid(&mut w, *uid);
            }
            CkptMsg::SectionCreate {
                req,
                uid,
                section,
                expiration,
                wall,
                data,
            } => {
                w.u8(SECTION_CREATE).u64(*req);
                put_uid(&mut w, *uid);
                w.bool(section.is_none());
                put_section_id(&mut w, section.as_deref().unwrap_or(&[]))?;
                w.i64(*expiration).i64(*wall);
                w.blob(data)?;
            }
            CkptMsg::SectionDelete { req, uid, section } => {
                w.u8(SECTION_DELETE).u64(*req);
                put_uid(&mut w, *uid);
                put_section_id(&mut w, section)?;
            }
            CkptMsg::ExpirationSet {
                req,
                uid,
                section,
                expiration,
            } => {
                w.u8(EXPIRATION_SET).u64(*req);
                put_uid(&mut w, *uid);
                put_section_id(&mut w, section)?;
                w.i64(*expiration);
            }
            CkptMsg::Write {
                req,
                uid,
                wall,
                elements,
            } => {
                w.u8(WRITE).u64(*req);
                put_uid(&mut w, *uid);
                w.i64(*wall);
                w.count(elements.len())?;
                for e in elements {
                    put_section_id(&mut w, &e.section)?;
                    w.u64(e.offset);
                    w.blob(&e.data)?;
                }
            }
            CkptMsg::Overwrite {
                req,
                uid,
                wall,
                section,
                data,
            } => {
                w.u8(OVERWRITE).u64(*req);
                put_uid(&mut w, *uid);
                w.i64(*wall);
                put_section_id(&mut w, section)?;
                w.blob(data)?;
            }
            CkptMsg::Synchronize { req, uid } => {
                w.u8(SYNCHRONIZE).u64(*req);
                put_uid(&mut w, *uid);
            }
            CkptMsg::RetentionExpire { uid, epoch } => {
                w.u8(RETENTION_EXPIRE);
                put_uid(&mut w, *uid);
                w.u64(*epoch);
            }
            CkptMsg::SectionExpire {
                uid,
                section,
                expiration,
            } => {
                w.u8(SECTION_EXPIRE);
                put_uid(&mut w, *uid);
                put_section_id(&mut w, section)?;
                w.i64(*expiration);
            }
            CkptMsg::Piece {
                req,
                uid,
                kind,
                wall,
                index,
                last,
                data,
            } => {
                w.u8(PIECE).u64(*req);
                put_uid(&mut w, *uid);
                w.u16(*kind).i64(*wall).u32(*index).bool(*last);
                w.blob(data)?;
            }
            CkptMsg::PieceAbort { req } => {
                w.u8(PIECE_ABORT).u64(*req);
            }
        }
        Ok(w.into_vec())
    }

    pub fn decode(b: &[u8]) -> Result<CkptMsg, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let m = match kind {
            OPEN => {
                let req = r.u64()?;
                let name = r.name()?.to_vec();
                let attrs = if r.bool()? {
                    Some(CreationAttributes::get_from(&mut r)?)
                } else {
                    None
                };
                CkptMsg::Open {
                    req,
                    name,
                    attrs,
                    create: r.bool()?,
                }
            }
            CLOSE => CkptMsg::Close {
                req: r.u64()?,
                uid: uid(&mut r)?,
            },
            UNLINK => CkptMsg::Unlink {
                req: r.u64()?,
                name: r.name()?.to_vec(),
            },
            RETENTION_SET => CkptMsg::RetentionSet {
                req: r.u64()?,
                uid: uid(&mut r)?,
                duration: r.i64()?,
            },
            ACTIVE_REPLICA => CkptMsg::ActiveReplicaSet {
                req: r.u64()?,
                uid: uid(&mut r)?,
            },
            SECTION_CREATE => {
                let req = r.u64()?;
                let u = uid(&mut r)?;
                let generated = r.bool()?;
                let id = section_id(&mut r)?;
                if generated && !id.is_empty() {
                    return Err(DecodeError::Invalid("generated section with an id"));
                }
                CkptMsg::SectionCreate {
                    req,
                    uid: u,
                    section: if generated { None } else { Some(id) },
                    expiration: r.i64()?,
                    wall: r.i64()?,
                    data: r.blob()?.to_vec(),
                }
            }
            SECTION_DELETE => CkptMsg::SectionDelete {
                req: r.u64()?,
                uid: uid(&mut r)?,
                section: section_id(&mut r)?,
            },
            EXPIRATION_SET => CkptMsg::ExpirationSet {
                req: r.u64()?,
                uid: uid(&mut r)?,
                section: section_id(&mut r)?,
                expiration: r.i64()?,
            },
            WRITE => {
                let req = r.u64()?;
                let u = uid(&mut r)?;
                let wall = r.i64()?;
                let n = r.count(2 + 8 + 4)?;
                let mut elements = Vec::with_capacity(n);
                for _ in 0..n {
                    elements.push(WriteElem {
                        section: section_id(&mut r)?,
                        offset: r.u64()?,
                        data: r.blob()?.to_vec(),
                    });
                }
                CkptMsg::Write {
                    req,
                    uid: u,
                    wall,
                    elements,
                }
            }
            OVERWRITE => CkptMsg::Overwrite {
                req: r.u64()?,
                uid: uid(&mut r)?,
                wall: r.i64()?,
                section: section_id(&mut r)?,
                data: r.blob()?.to_vec(),
            },
            SYNCHRONIZE => CkptMsg::Synchronize {
                req: r.u64()?,
                uid: uid(&mut r)?,
            },
            RETENTION_EXPIRE => CkptMsg::RetentionExpire {
                uid: uid(&mut r)?,
                epoch: r.u64()?,
            },
            SECTION_EXPIRE => CkptMsg::SectionExpire {
                uid: uid(&mut r)?,
                section: section_id(&mut r)?,
                expiration: r.i64()?,
            },
            PIECE => CkptMsg::Piece {
                req: r.u64()?,
                uid: uid(&mut r)?,
                kind: r.u16()?,
                wall: r.i64()?,
                index: r.u32()?,
                last: r.bool()?,
                data: r.blob()?.to_vec(),
            },
            PIECE_ABORT => CkptMsg::PieceAbort { req: r.u64()? },
            _ => return Err(DecodeError::Invalid("checkpoint message kind")),
        };
        r.finish()?;
        Ok(m)
    }
}

/// One message of each kind (tests and fuzz seeds).
#[cfg(test)]
pub(crate) fn samples() -> Vec<CkptMsg> {
    let u = Uid { node: 3, seq: 99 };
    let attrs = CreationAttributes {
        creation_flags: 1,
        checkpoint_size: 100,
        retention_duration: 5,
        max_sections: 2,
        max_section_size: 50,
        max_section_id_size: 8,
    };
    vec![
        CkptMsg::Open {
            req: 1,
            name: b"c".to_vec(),
            attrs: Some(attrs),
            create: true,
        },
        CkptMsg::Open {
            req: 1,
            name: b"c".to_vec(),
            attrs: None,
            create: false,
        },
        CkptMsg::Close { req: 0, uid: u },
        CkptMsg::Unlink {
            req: 2,
            name: b"n".to_vec(),
        },
        CkptMsg::RetentionSet {
            req: 3,
            uid: u,
            duration: -4,
        },
        CkptMsg::ActiveReplicaSet { req: 4, uid: u },
        CkptMsg::SectionCreate {
            req: 5,
            uid: u,
            section: Some(b"s".to_vec()),
            expiration: 7,
            wall: 8,
            data: b"d".to_vec(),
        },
        CkptMsg::SectionCreate {
            req: 5,
            uid: u,
            section: None,
            expiration: 7,
            wall: 8,
            data: vec![],
        },
        CkptMsg::SectionDelete {
            req: 6,
            uid: u,
            section: b"s".to_vec(),
        },
        CkptMsg::ExpirationSet {
            req: 7,
            uid: u,
            section: vec![],
            expiration: 1,
        },
        CkptMsg::Write {
            req: 8,
            uid: u,
            wall: 9,
            elements: vec![
                WriteElem {
                    section: b"a".to_vec(),
                    offset: 2,
                    data: b"xy".to_vec(),
                },
                WriteElem {
                    section: vec![],
                    offset: 0,
                    data: vec![],
                },
            ],
        },
        CkptMsg::Overwrite {
            req: 9,
            uid: u,
            wall: 1,
            section: b"a".to_vec(),
            data: b"z".to_vec(),
        },
        CkptMsg::Synchronize { req: 10, uid: u },
        CkptMsg::RetentionExpire { uid: u, epoch: 3 },
        CkptMsg::SectionExpire {
            uid: u,
            section: b"q".to_vec(),
            expiration: 11,
        },
        CkptMsg::Piece {
            req: 12,
            uid: u,
            kind: 12,
            wall: 3,
            index: 1,
            last: true,
            data: b"piece".to_vec(),
        },
        CkptMsg::PieceAbort { req: 12 },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips_and_every_truncation_fails() {
        for m in samples() {
            let b = m.encode().unwrap();
            assert_eq!(CkptMsg::decode(&b), Ok(m.clone()));
            for n in 0..b.len() {
                assert!(CkptMsg::decode(&b[..n]).is_err(), "{m:?} cut at {n}");
            }
            let mut longer = b.clone();
            longer.push(0);
            assert!(CkptMsg::decode(&longer).is_err());
        }
    }

    #[test]
    fn garbage_is_refused_without_panic() {
        assert!(CkptMsg::decode(&[]).is_err());
        assert!(CkptMsg::decode(&[codec::VERSION, 99]).is_err());
        // A write claiming 2^32-1 elements.
        let mut w = codec::writer(WRITE);
        w.u64(1).u32(1).u64(1).i64(0).u32(u32::MAX);
        assert!(CkptMsg::decode(w.as_slice()).is_err());
        let mut x = 0x9E37_79B9u32;
        for len in 0..4000usize {
            let v: Vec<u8> = (0..len % 120)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    match i {
                        0 => codec::VERSION,
                        1 => (x % 24) as u8,
                        _ => (x % 5) as u8,
                    }
                })
                .collect();
            let _ = CkptMsg::decode(&v);
        }
    }
}
