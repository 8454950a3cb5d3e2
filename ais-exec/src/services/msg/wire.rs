//! MSG's cluster messages, through the one codec (`services/codec.rs`).
//!
//! Every change to a queue travels as one of these, in agreed order, so every
//! node applies the same changes in the same order to its replica. `token` names
//! the origin's pending request (0: nobody waits for an answer); `conn` names the
//! origin's handle (with the sender's node id, the opener of a queue).

use crate::services::codec::{self, DecodeError, EncodeError, Reader, Writer};
use ais_proto::msg::{Attributes, Body, PRIORITIES};

const OPEN: u8 = 1;
const CLOSE: u8 = 2;
const RETENTION: u8 = 3;
const UNLINK: u8 = 4;
const SEND: u8 = 5;
const GET: u8 = 6;
const GET_TIMEOUT: u8 = 7;
const CANCEL: u8 = 8;
const EXPIRE: u8 = 9;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsgWire {
    Open {
        token: u64,
        conn: u64,
        name: Vec<u8>,
        attributes: Option<Attributes>,
        flags: u32,
    },
    /// `time`: the origin's `SaTimeT` of the close, the close time every replica keeps.
    Close {
        token: u64,
        conn: u64,
        name: Vec<u8>,
        time: i64,
    },
    Retention {
        token: u64,
        conn: u64,
        name: Vec<u8>,
        retention: i64,
    },
    Unlink {
        token: u64,
        name: Vec<u8>,
    },
    /// `time`: the send time every replica keeps with the message.
    Send {
        token: u64,
        name: Vec<u8>,
        time: i64,
        body: Body,
    },
    /// `wait`: the caller blocks if the queue is empty (a timeout above 0).
    Get {
        token: u64,
        conn: u64,
        name: Vec<u8>,
        room: u64,
        wait: bool,
    },
    /// The origin's blocked get `token` timed out.
    GetTimeout {
        token: u64,
        name: Vec<u8>,
    },
    Cancel {
        token: u64,
        conn: u64,
        name: Vec<u8>,
    },
    /// A closed non-persistent queue's retention time has passed (sent by the lowest
    /// member); applied only if it is still closed since `close_time`.
    Expire {
        name: Vec<u8>,
        close_time: i64,
    },
}

pub fn put_attributes(w: &mut Writer, a: &Attributes) {
    w.u32(a.flags);
    for s in a.size {
        w.u64(s);
    }
    w.i64(a.retention);
}

pub fn attributes(r: &mut Reader<'_>) -> Result<Attributes, DecodeError> {
    let flags = r.u32()?;
    let mut size = [0; PRIORITIES];
    for s in &mut size {
        *s = r.u64()?;
    }
    Ok(Attributes {
        flags,
        size,
        retention: r.i64()?,
    })
}

pub fn put_body(w: &mut Writer, b: &Body) -> Result<(), EncodeError> {
    w.u32(b.r#type)
        .u32(b.version)
        .u8(b.priority)
        .bool(b.sender_name.is_some());
    if let Some(n) = &b.sender_name {
        w.name(n)?;
    }
    w.blob(&b.data)?;
    Ok(())
}

pub fn body(r: &mut Reader<'_>) -> Result<Body, DecodeError> {
    let (r#type, version, priority) = (r.u32()?, r.u32()?, r.u8()?);
    let sender_name = if r.bool()? { Some(r.name()?.to_vec()) } else { None };
    Ok(Body {
        r#type,
        version,
        priority,
        sender_name,
        data: r.blob()?.to_vec(),
    })
}

impl MsgWire {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w;
        match self {
            MsgWire::Open {
                token,
                conn,
                name,
                attributes,
                flags,
            } => {
                w = codec::writer(OPEN);
                w.u64(*token).u64(*conn).name(name)?.bool(attributes.is_some());
                if let Some(a) = attributes {
                    put_attributes(&mut w, a);
                }
                w.u32(*flags);
            }
            MsgWire::Close {
                token,
                conn,
                name,
                time,
            } => {
                w = codec::writer(CLOSE);
                w.u64(*token).u64(*conn).name(name)?.i64(*time);
            }
            MsgWire::Retention {
                token,
                conn,
                name,
                retention,
            } => {
                w = codec::writer(RETENTION);
                w.u64(*token).u64(*conn).name(name)?.i64(*retention);
            }
            MsgWire::Unlink { token, name } => {
                w = codec::writer(UNLINK);
                w.u64(*token).name(name)?;
            }
            MsgWire::Send {
                token,
                name,
                time,
                body,
            } => {
                w = codec::writer(SEND);
                w.u64(*token).name(name)?.i64(*time);
                put_body(&mut w, body)?;
            }
            MsgWire::Get {
                token,
                conn,
                name,
                room,
                wait,
            } => {
                w = codec::writer(GET);
                w.u64(*token).u64(*conn).name(name)?.u64(*room).bool(*wait);
            }
            MsgWire::GetTimeout { token, name } => {
                w = codec::writer(GET_TIMEOUT);
                w.u64(*token).name(name)?;
            }
            MsgWire::Cancel { token, conn, name } => {
                w = codec::writer(CANCEL);
                w.u64(*token).u64(*conn).name(name)?;
            }
            MsgWire::Expire { name, close_time } => {
                w = codec::writer(EXPIRE);
                w.name(name)?.i64(*close_time);
            }
        }
        Ok(w.into_vec())
    }

    pub fn decode(b: &[u8]) -> Result<MsgWire, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let r = &mut r;
        let name = |r: &mut Reader<'_>| r.name().map(<[u8]>::to_vec);
        let m = match kind {
            OPEN => MsgWire::Open {
                token: r.u64()?,
                conn: r.u64()?,
                name: name(r)?,
                attributes: if r.bool()? { Some(attributes(r)?) } else { None },
                flags: r.u32()?,
            },
            CLOSE => MsgWire::Close {
                token: r.u64()?,
                conn: r.u64()?,
                name: name(r)?,
                time: r.i64()?,
            },
            RETENTION => MsgWire::Retention {
                token: r.u64()?,
                conn: r.u64()?,
                name: name(r)?,
                retention: r.i64()?,
            },
            UNLINK => MsgWire::Unlink {
                token: r.u64()?,
                name: name(r)?,
            },
            SEND => MsgWire::Send {
                token: r.u64()?,
                name: name(r)?,
                time: r.i64()?,
                body: body(r)?,
            },
            GET => MsgWire::Get {
                token: r.u64()?,
                conn: r.u64()?,
                name: name(r)?,
                room: r.u64()?,
                wait: r.bool()?,
            },
            GET_TIMEOUT => MsgWire::GetTimeout {
                token: r.u64()?,
                name: name(r)?,
            },
            CANCEL => MsgWire::Cancel {
                token: r.u64()?,
                conn: r.u64()?,
                name: name(r)?,
            },
            EXPIRE => MsgWire::Expire {
                name: name(r)?,
                close_time: r.i64()?,
            },
            _ => return Err(DecodeError::Invalid("MSG message kind")),
        };
        r.clone().finish()?;
        Ok(m)
    }
}

/// One message of each kind: the fuzz target's seeds.
pub fn samples() -> Vec<MsgWire> {
    let n = || b"q".to_vec();
    vec![
        MsgWire::Open {
            token: 1,
            conn: 2,
            name: n(),
            attributes: Some(Attributes {
                flags: 1,
                size: [1, 2, 3, 4],
                retention: 5,
            }),
            flags: 3,
        },
        MsgWire::Close {
            token: 1,
            conn: 2,
            name: n(),
            time: 3,
        },
        MsgWire::Retention {
            token: 1,
            conn: 2,
            name: n(),
            retention: 3,
        },
        MsgWire::Unlink { token: 1, name: n() },
        MsgWire::Send {
            token: 1,
            name: n(),
            time: 2,
            body: Body {
                r#type: 1,
                version: 2,
                priority: 3,
                sender_name: Some(b"s".to_vec()),
                data: b"data".to_vec(),
            },
        },
        MsgWire::Get {
            token: 1,
            conn: 2,
            name: n(),
            room: 3,
            wait: true,
        },
        MsgWire::GetTimeout { token: 1, name: n() },
        MsgWire::Cancel {
            token: 1,
            conn: 2,
            name: n(),
        },
        MsgWire::Expire {
            name: n(),
            close_time: 4,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips_and_refuses_cuts_and_trailing_bytes() {
        for m in samples() {
            let b = m.encode().unwrap();
            assert_eq!(MsgWire::decode(&b), Ok(m.clone()));
            for n in 0..b.len() {
                assert!(MsgWire::decode(&b[..n]).is_err(), "{m:?} cut at {n}");
            }
            let mut long = b.clone();
            long.push(0);
            assert!(MsgWire::decode(&long).is_err());
        }
    }
}
