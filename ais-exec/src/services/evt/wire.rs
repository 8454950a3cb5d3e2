//! EVT's cluster messages and sync pieces, through the one codec
//! ([`crate::services::codec`]). Decoding never panics.
//!
//! | kind | fields |
//! |------|--------|
//! | OPEN | nonce `u64`, proposed channel id `u64`, name, create `bool` |
//! | CLOSE | nonce `u64` (0: no request waits), channel id `u64` |
//! | UNLINK | nonce `u64`, name |
//! | PUBLISH | channel id `u64`, the event |
//! | CLEAR | nonce `u64`, channel id `u64`, event id `u64` |
//! | CHANNELS (sync) | count, each: channel id, name, unlinked `bool`, the sender's opens `u32` |
//! | RETAINED (sync) | count, each: channel id, the event |
//! | LAST_IDS (sync) | count, each: node `u32`, the highest id counter it used `u64` |

use crate::services::codec::{self, DecodeError, Reader, Writer};
use crate::services::contract::NodeId;
use ais_proto::evt::Event;

const OPEN: u8 = 1;
const CLOSE: u8 = 2;
const UNLINK: u8 = 3;
const PUBLISH: u8 = 4;
const CLEAR: u8 = 5;
const CHANNELS: u8 = 6;
const RETAINED: u8 = 7;
const LAST_IDS: u8 = 8;

/// One channel as a node reports it in a sync round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelReport {
    pub id: u64,
    pub name: Vec<u8>,
    pub unlinked: bool,
    /// How many opens the reporting node's own handles hold.
    pub opens: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvtMsg {
    Open {
        nonce: u64,
        proposed: u64,
        name: Vec<u8>,
        create: bool,
    },
    Close {
        nonce: u64,
        channel: u64,
    },
    Unlink {
        nonce: u64,
        name: Vec<u8>,
    },
    Publish {
        channel: u64,
        event: Event,
    },
    Clear {
        nonce: u64,
        channel: u64,
        event_id: u64,
    },
    Channels(Vec<ChannelReport>),
    Retained(Vec<(u64, Event)>),
    LastIds(Vec<(NodeId, u64)>),
}

impl EvtMsg {
    /// The encoding; only a name over 256 bytes or a blob over 4 GiB fails, which the
    /// requests' decoders already refused.
    pub fn encode(&self) -> Vec<u8> {
        self.try_encode().unwrap_or_default()
    }

    fn try_encode(&self) -> Result<Vec<u8>, codec::EncodeError> {
        let w = match self {
            EvtMsg::Open {
                nonce,
                proposed,
                name,
                create,
            } => {
                let mut w = codec::writer(OPEN);
                w.u64(*nonce).u64(*proposed).name(name)?.bool(*create);
                w
            }
            EvtMsg::Close { nonce, channel } => {
                let mut w = codec::writer(CLOSE);
                w.u64(*nonce).u64(*channel);
                w
            }
            EvtMsg::Unlink { nonce, name } => {
                let mut w = codec::writer(UNLINK);
                w.u64(*nonce).name(name)?;
                w
            }
            EvtMsg::Publish { channel, event } => {
                let mut w = codec::writer(PUBLISH);
                w.u64(*channel);
                event.write(&mut w)?;
                w
            }
            EvtMsg::Clear {
                nonce,
                channel,
                event_id,
            } => {
                let mut w = codec::writer(CLEAR);
                w.u64(*nonce).u64(*channel).u64(*event_id);
                w
            }
            EvtMsg::Channels(list) => {
                let mut w = codec::writer(CHANNELS);
                w.count(list.len())?;
                for c in list {
                    w.u64(c.id).name(&c.name)?.bool(c.unlinked).u32(c.opens);
                }
                w
            }
            EvtMsg::Retained(list) => {
                let mut w: Writer = codec::writer(RETAINED);
                w.count(list.len())?;
                for (ch, e) in list {
                    w.u64(*ch);
                    e.write(&mut w)?;
                }
                w
            }
            EvtMsg::LastIds(list) => {
                let mut w = codec::writer(LAST_IDS);
                w.count(list.len())?;
                for (node, last) in list {
                    w.u32(*node).u64(*last);
                }
                w
            }
        };
        Ok(w.into_vec())
    }

    pub fn decode(b: &[u8]) -> Result<EvtMsg, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let m = match kind {
            OPEN => EvtMsg::Open {
                nonce: r.u64()?,
                proposed: r.u64()?,
                name: r.name()?.to_vec(),
                create: r.bool()?,
            },
            CLOSE => EvtMsg::Close {
                nonce: r.u64()?,
                channel: r.u64()?,
            },
            UNLINK => EvtMsg::Unlink {
                nonce: r.u64()?,
                name: r.name()?.to_vec(),
            },
            PUBLISH => EvtMsg::Publish {
                channel: r.u64()?,
                event: Event::read(&mut r)?,
            },
            CLEAR => EvtMsg::Clear {
                nonce: r.u64()?,
                channel: r.u64()?,
                event_id: r.u64()?,
            },
            CHANNELS => {
                let n = r.count(15)?;
                EvtMsg::Channels(
                    (0..n)
                        .map(|_| {
                            Ok(ChannelReport {
                                id: r.u64()?,
                                name: r.name()?.to_vec(),
                                unlinked: r.bool()?,
                                opens: r.u32()?,
                            })
                        })
                        .collect::<Result<_, DecodeError>>()?,
                )
            }
            RETAINED => {
                let n = r.count(40)?;
                EvtMsg::Retained(
                    (0..n)
                        .map(|_| Ok((r.u64()?, read_event(&mut r)?)))
                        .collect::<Result<_, DecodeError>>()?,
                )
            }
            LAST_IDS => {
                let n = r.count(12)?;
                EvtMsg::LastIds(
                    (0..n)
                        .map(|_| Ok((r.u32()?, r.u64()?)))
                        .collect::<Result<_, DecodeError>>()?,
                )
            }
            _ => return Err(DecodeError::Invalid("EVT message kind")),
        };
        r.finish()?;
        Ok(m)
    }
}

fn read_event(r: &mut Reader<'_>) -> Result<Event, DecodeError> {
    Event::read(r)
}

/// One message of every kind (fuzz seeds, tests).
pub fn samples() -> Vec<EvtMsg> {
    let event = Event {
        id: 1 << 32 | 1001,
        publish_time: 1_700_000_000_000_000_000,
        attributes: ais_proto::evt::Attributes {
            priority: 1,
            retention: 60_000_000_000,
            publisher: b"pub".to_vec(),
            patterns: vec![b"p".to_vec()],
        },
        data: b"data".to_vec(),
    };
    vec![
        EvtMsg::Open {
            nonce: 1,
            proposed: 1 << 32 | 1,
            name: b"ch".to_vec(),
            create: true,
        },
        EvtMsg::Close {
            nonce: 4,
            channel: 1 << 32 | 1,
        },
        EvtMsg::Unlink {
            nonce: 2,
            name: b"ch".to_vec(),
        },
        EvtMsg::Publish {
            channel: 1 << 32 | 1,
            event: event.clone(),
        },
        EvtMsg::Clear {
            nonce: 3,
            channel: 1 << 32 | 1,
            event_id: event.id,
        },
        EvtMsg::Channels(vec![ChannelReport {
            id: 1 << 32 | 1,
            name: b"ch".to_vec(),
            unlinked: false,
            opens: 2,
        }]),
        EvtMsg::Retained(vec![(1 << 32 | 1, event)]),
        EvtMsg::LastIds(vec![(1, 1005), (2, 77)]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_refuses_cuts_and_trailing_bytes() {
        for m in samples() {
            let b = m.encode();
            assert_eq!(EvtMsg::decode(&b), Ok(m.clone()));
            for n in 0..b.len() {
                assert!(EvtMsg::decode(&b[..n]).is_err(), "{m:?} cut at {n}");
            }
            let mut long = b.clone();
            long.push(0);
            assert!(EvtMsg::decode(&long).is_err());
        }
        assert!(EvtMsg::decode(&[codec::VERSION, 99]).is_err());
    }
}
