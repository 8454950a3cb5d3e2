//! MSG in the service simulator: each MSG client opens one of two persistent
//! queues (BUSY while another has it), sends to either, gets from its own and
//! closes it now and then; a client's connection closing closes its queue.
//!
//! Every message's data names its sender (incarnation and connection), its
//! sequence number and its priority, so the checker can tell
//! ([`Property::MsgDuplicated`], [`Property::MsgOrder`]): no message is got
//! twice, none is got that no send carried, and one sender's messages of one
//! priority are got from a queue in the order they were sent. (Loss is left to
//! the unit and namespace tests: the run does not drain the queues at its end.)

use crate::checker::{Property, Violation};
use crate::history::{History, Inc, Target};
use ais_exec::ipc::ConnId;
use ais_proto::message::Message;
use ais_proto::msg as m;
use ais_totem_sim::rng::Rng;
use std::collections::{BTreeMap, BTreeSet};

/// The queues: persistent, so they outlive every close.
pub const QUEUES: [&[u8]; 2] = [b"mq0", b"mq1"];

/// A message got from a queue, in the order of the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgGot {
    pub queue: Vec<u8>,
    pub data: Vec<u8>,
    pub at: u64,
}

/// One request of a MSG client.
pub struct Ask {
    pub msg: u16,
    pub payload: Vec<u8>,
    pub target: Target,
    /// The queue an open or close is about.
    pub queue: Option<Vec<u8>>,
}

fn enc<M: Message>(x: &M) -> Vec<u8> {
    x.encode().expect("the simulator's requests are within bounds")
}

/// A message's data: sender incarnation, connection, sequence, priority.
pub fn data(inc: Inc, conn: ConnId, seq: u64, priority: u8) -> Vec<u8> {
    let mut d = (inc as u64).to_be_bytes().to_vec();
    d.extend_from_slice(&conn.0.to_be_bytes());
    d.extend_from_slice(&seq.to_be_bytes());
    d.push(priority);
    d
}

/// The next request of a client that has `opened` open (if any).
pub fn step(rng: &mut Rng, opened: Option<&[u8]>, inc: Inc, conn: ConnId, seq: u64) -> Ask {
    let roll = rng.range(0, 99);
    let Some(q) = opened.filter(|_| roll >= 5) else {
        let name = rng.pick(&QUEUES).to_vec();
        let open = m::Open {
            name: name.clone(),
            attributes: Some(m::Attributes {
                flags: m::QUEUE_PERSISTENT,
                size: [4096; m::PRIORITIES],
                retention: 0,
            }),
            flags: m::OPEN_CREATE,
            invocation: None,
        };
        return Ask {
            msg: m::OPEN,
            payload: enc(&open),
            target: Target::None,
            queue: Some(name),
        };
    };
    match roll {
        5..=54 => {
            let priority = rng.range(0, 3) as u8;
            let data = data(inc, conn, seq, priority);
            let destination = rng.pick(&QUEUES).to_vec();
            let send = m::Send {
                destination: destination.clone(),
                invocation: None,
                body: m::Body {
                    priority,
                    data: data.clone(),
                    ..m::Body::default()
                },
            };
            Ask {
                msg: m::SEND,
                payload: enc(&send),
                target: Target::MsgSend {
                    queue: destination,
                    data,
                },
                queue: None,
            }
        }
        55..=94 => Ask {
            msg: m::GET,
            payload: enc(&m::Get {
                name: q.to_vec(),
                room: u64::MAX,
                timeout: 0,
            }),
            target: Target::None,
            queue: None,
        },
        _ => Ask {
            msg: m::CLOSE,
            payload: enc(&m::QueueName(q.to_vec())),
            target: Target::None,
            queue: Some(q.to_vec()),
        },
    }
}

/// The data of a GET's answer.
pub fn got(payload: &[u8]) -> Option<Vec<u8>> {
    m::Got::decode(payload).ok().map(|g| g.body.data)
}

/// The MSG rules on a run's history.
pub fn check(h: &History) -> Vec<Violation> {
    let mut out = Vec::new();
    let sent: BTreeSet<(&[u8], &[u8])> = h
        .requests
        .iter()
        .filter_map(|r| match &r.target {
            Target::MsgSend { queue, data } => Some((queue.as_slice(), data.as_slice())),
            _ => None,
        })
        .collect();
    let mut seen = BTreeSet::new();
    // Per queue, sender and priority: the last sequence got.
    let mut last: BTreeMap<(&[u8], &[u8], u8), u64> = BTreeMap::new();
    let mut gets: Vec<&MsgGot> = h.msg_gets.iter().collect();
    gets.sort_by_key(|g| g.at);
    for g in gets {
        let v = |p, d| Violation { property: p, detail: d };
        if !sent.contains(&(g.queue.as_slice(), g.data.as_slice())) {
            out.push(v(
                Property::MsgDuplicated,
                format!("a message no send carried got from {:?}", g.queue),
            ));
            continue;
        }
        if !seen.insert((g.queue.as_slice(), g.data.as_slice())) {
            out.push(v(
                Property::MsgDuplicated,
                format!("message {:?} got twice from {:?}", g.data, g.queue),
            ));
            continue;
        }
        if g.data.len() != 25 {
            continue;
        }
        let seq = u64::from_be_bytes(g.data[16..24].try_into().unwrap_or_default());
        let key = (g.queue.as_slice(), &g.data[..16], g.data[24]);
        if last.get(&key).is_some_and(|&l| l >= seq) {
            out.push(v(
                Property::MsgOrder,
                format!("message {:?} got after a later one of its sender and priority", g.data),
            ));
        }
        last.insert(key, seq);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Request;
    use ais_exec::ipc::ServiceId;

    fn send(h: &mut History, seq: u64) -> Vec<u8> {
        let d = data(0, ConnId(1), seq, 2);
        h.requests.push(Request {
            inc: 0,
            conn: ConnId(1),
            service: ServiceId::MSG,
            msg: m::SEND,
            at: seq,
            ordered: true,
            target: Target::MsgSend {
                queue: b"mq0".to_vec(),
                data: d.clone(),
            },
        });
        d
    }

    fn get(h: &mut History, d: &[u8], at: u64) {
        h.msg_gets.push(MsgGot {
            queue: b"mq0".to_vec(),
            data: d.to_vec(),
            at,
        });
    }

    #[test]
    fn duplicates_phantoms_and_reordering_are_caught() {
        let mut h = History::default();
        let (a, b) = (send(&mut h, 1), send(&mut h, 2));
        get(&mut h, &a, 10);
        get(&mut h, &b, 11);
        assert!(check(&h).is_empty());
        get(&mut h, &b, 12);
        get(&mut h, &data(0, ConnId(1), 9, 2), 13);
        let props: Vec<_> = check(&h).into_iter().map(|v| v.property).collect();
        assert_eq!(props, [Property::MsgDuplicated, Property::MsgDuplicated]);
        let mut h2 = History::default();
        let (a, b) = (send(&mut h2, 1), send(&mut h2, 2));
        get(&mut h2, &b, 10);
        get(&mut h2, &a, 11);
        assert_eq!(
            check(&h2).into_iter().map(|v| v.property).collect::<Vec<_>>(),
            [Property::MsgOrder]
        );
    }
}
