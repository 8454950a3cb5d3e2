//! EVT in the service simulator: a client's steps (open a channel, subscribe, publish
//! with and without retention, pull its events, clear, close, unlink) and the rule the
//! checker adds for it: every subscription receives the events it shares with any other
//! in the same order (agreed order across publishers and nodes, retained events
//! included). The replicated state (channels, open counts, retained events) is compared
//! through the service's digest like every other service's.

use crate::checker::{Property, Violation};
use crate::history::{History, Inc};
use ais_exec::ipc::ConnId;
use ais_proto::evt::{self as m, Attributes, Filter};
use ais_proto::message::Message;
use ais_proto::status;
use ais_totem_sim::rng::Rng;
use std::collections::{BTreeMap, HashMap};

/// The channels the clients share.
const CHANNELS: [&[u8]; 2] = [b"ev0", b"ev1"];
const SECOND: i64 = 1_000_000_000;

/// One event a subscription received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub inc: Inc,
    pub conn: ConnId,
    pub open_id: u32,
    pub sub_id: u32,
    pub event: u64,
}

/// What an EVT client of the simulator holds (reset with its connection).
#[derive(Debug, Default)]
pub struct EvtClient {
    next_open: u32,
    /// The open being made, and the one made (its channel name).
    opening: Option<(u32, &'static [u8])>,
    open: Option<(u32, &'static [u8])>,
    subscribed: bool,
    /// Ids of events it published with a retention time (to clear some).
    retained: Vec<u64>,
}

/// A request: message id, payload, and whether its answer waits for its ordering.
pub struct Ask {
    pub msg: u16,
    pub payload: Vec<u8>,
    pub ordered: bool,
}

fn ask<M: Message>(msg: u16, body: &M, ordered: bool) -> Ask {
    Ask {
        msg,
        payload: body.encode().expect("the simulator's requests are within bounds"),
        ordered,
    }
}

/// The client's next request.
pub fn next_request(rng: &mut Rng, c: &mut EvtClient, data: Vec<u8>) -> Ask {
    let Some((open_id, name)) = c.open else {
        c.next_open += 1;
        let name = *rng.pick(&CHANNELS);
        c.opening = Some((c.next_open, name));
        let o = m::Open {
            open_id: c.next_open,
            name: name.to_vec(),
            flags: m::CHANNEL_CREATE | m::CHANNEL_PUBLISHER | m::CHANNEL_SUBSCRIBER,
        };
        return ask(m::OPEN, &o, true);
    };
    if !c.subscribed {
        let s = m::Subscribe {
            open_id,
            sub_id: 1,
            filters: vec![Filter {
                kind: m::PREFIX_FILTER,
                pattern: b"sim".to_vec(),
            }],
        };
        return ask(m::SUBSCRIBE, &s, false);
    }
    match rng.range(0, 99) {
        0..=44 => {
            // One priority: order within a subscriber is then the agreed order.
            let retention = match rng.range(0, 3) {
                0 => SECOND / 5,
                1 => 3600 * SECOND,
                _ => 0,
            };
            let p = m::Publish {
                open_id,
                attributes: Attributes {
                    priority: 1,
                    retention,
                    publisher: b"sim".to_vec(),
                    patterns: vec![b"sim-event".to_vec()],
                },
                data,
            };
            ask(m::PUBLISH, &p, false)
        }
        45..=84 => ask(
            m::NEXT,
            &m::Next {
                max: rng.range(1, 8) as u32,
            },
            false,
        ),
        85..=90 if !c.retained.is_empty() => {
            let i = rng.range(0, c.retained.len() as u64 - 1) as usize;
            let event_id = c.retained.swap_remove(i);
            ask(m::CLEAR, &m::Clear { open_id, event_id }, true)
        }
        91..=95 => ask(m::CLOSE, &m::OpenId(open_id), true),
        96..=99 => ask(m::UNLINK, &m::ChannelName(name.to_vec()), true),
        _ => ask(m::NEXT, &m::Next { max: 1 }, false),
    }
}

/// The client learns an answer; a delivered event is recorded in the history.
pub fn answered(c: &mut EvtClient, msg: u16, st: u32, payload: &[u8], h: &mut History, inc: Inc, conn: ConnId) {
    match msg {
        m::OPEN => {
            let opening = c.opening.take();
            if st == status::OK {
                c.open = opening;
                c.subscribed = false;
            }
        }
        m::SUBSCRIBE if st == status::OK || st == status::EXIST => c.subscribed = true,
        m::CLOSE if st == status::OK => {
            c.open = None;
            c.subscribed = false;
        }
        m::PUBLISH if st == status::OK => {
            if let Ok(m::EventId(id)) = m::EventId::decode(payload) {
                c.retained.push(id);
            }
        }
        m::NEXT if st == status::OK => {
            if let Ok(m::Deliveries(list)) = m::Deliveries::decode(payload) {
                for d in list.into_iter().filter(|d| d.event.id != m::EVENTID_LOST) {
                    h.evt.push(Delivered {
                        inc,
                        conn,
                        open_id: d.open_id,
                        sub_id: d.sub_id,
                        event: d.event.id,
                    });
                }
            }
        }
        _ => {}
    }
}

/// Every two subscriptions order the events they both received alike.
pub fn check_order(h: &History, out: &mut Vec<Violation>) {
    let mut lists: BTreeMap<(Inc, u64, u32, u32), Vec<u64>> = BTreeMap::new();
    for d in &h.evt {
        lists
            .entry((d.inc, d.conn.0, d.open_id, d.sub_id))
            .or_default()
            .push(d.event);
    }
    let ranked: Vec<((Inc, u64, u32, u32), HashMap<u64, usize>)> = lists
        .into_iter()
        .map(|(k, l)| (k, l.iter().enumerate().map(|(i, &e)| (e, i)).collect()))
        .collect();
    for (i, (ka, a)) in ranked.iter().enumerate() {
        for (kb, b) in &ranked[i + 1..] {
            // The events both saw, in a's order, must be increasing in b's.
            let mut common: Vec<(usize, usize)> =
                a.iter().filter_map(|(e, &ia)| b.get(e).map(|&ib| (ia, ib))).collect();
            common.sort_unstable();
            if let Some(w) = common.windows(2).find(|w| w[0].1 > w[1].1) {
                let name = |at: usize| a.iter().find(|(_, &i)| i == at).map_or(0, |(&e, _)| e);
                out.push(Violation {
                    property: Property::EventOrder,
                    detail: format!(
                        "subscriptions (incarnation, conn, open, subscription) {ka:?} and {kb:?}: the first received event {:x} before {:x}, the second after",
                        name(w[0].0),
                        name(w[1].0)
                    ),
                });
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(inc: Inc, conn: u64, event: u64) -> Delivered {
        Delivered {
            inc,
            conn: ConnId(conn),
            open_id: 1,
            sub_id: 1,
            event,
        }
    }

    #[test]
    fn two_subscriptions_that_disagree_on_an_order_are_caught() {
        let mut h = History::default();
        h.evt = vec![d(0, 1, 10), d(0, 1, 11), d(1, 2, 10), d(1, 2, 12), d(1, 2, 11)];
        let mut out = Vec::new();
        check_order(&h, &mut out);
        assert!(out.is_empty(), "subsequences of one order agree");
        h.evt.push(d(2, 3, 11));
        h.evt.push(d(2, 3, 10));
        check_order(&h, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].property, Property::EventOrder);
    }
}
