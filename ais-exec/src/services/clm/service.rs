//! The CLM service as the executive runs it: cluster events and client
//! requests in, replies, callbacks and multicasts out. No I/O here; the
//! daemon's ordering task feeds it and carries out its effects.

use super::node::{NodeInfo, NodeJoin};
use super::track::{check_flags, Trackers, TRACK_CURRENT};
use super::view::{Change, ClusterView, Entry};
use ais_proto::clm::{self as msg, ClusterNode, Notification, NotificationList};
use ais_proto::{Reader, Writer};
use ais_totem::NodeId;
use std::hash::Hash;

use ais_proto::clm::LOCAL_NODE_ID;
use ais_proto::status;

pub use crate::services::{Effect, Reply};

pub struct ClmService<C> {
    me: NodeInfo,
    view: ClusterView,
    trackers: Trackers<C>,
}

fn wire_node(n: &NodeInfo, member: bool) -> ClusterNode {
    ClusterNode {
        node_id: n.node_id,
        family: n.family,
        address: n.address.as_bytes().to_vec(),
        name: n.name.as_bytes().to_vec(),
        member,
        boot_timestamp: n.boot_timestamp,
        initial_view: n.initial_view,
    }
}

fn wire_list(view: u64, members: u32, entries: &[Entry]) -> Vec<u8> {
    let list = NotificationList {
        view,
        members,
        items: entries
            .iter()
            .map(|e| Notification {
                node: wire_node(&e.node, e.member),
                change: e.change as u32,
            })
            .collect(),
    };
    let mut w = Writer::new();
    // Names and addresses were bounded when the records were built.
    let _ = list.encode(&mut w);
    w.into_vec()
}

impl<C: Copy + Eq + Hash> ClmService<C> {
    /// `me` is this node's record; its `initial_view` is filled in when the
    /// first ring forms.
    pub fn new(me: NodeInfo) -> ClmService<C> {
        ClmService {
            me,
            view: ClusterView::new(),
            trackers: Trackers::default(),
        }
    }

    /// A regular configuration: every member announces its record again.
    pub fn configuration(&mut self, ring_seq: u64, members: &[NodeId]) -> Vec<Effect<C>> {
        if self.me.initial_view == 0 {
            self.me.initial_view = ring_seq / 4;
        }
        let mut out = vec![Effect::Multicast(NodeJoin(self.me.clone()).encode())];
        if let Some(change) = self.view.configuration(ring_seq, members) {
            out.extend(self.notify(&change));
        }
        out
    }

    /// A CLM message delivered in agreed order.
    pub fn delivered(&mut self, sender: NodeId, data: &[u8]) -> Vec<Effect<C>> {
        let Ok(NodeJoin(info)) = NodeJoin::decode(data) else {
            return Vec::new();
        };
        match self.view.node_join(sender, info) {
            Some(change) => self.notify(&change),
            None => Vec::new(),
        }
    }

    fn notify(&self, change: &super::view::ViewChange) -> Vec<Effect<C>> {
        let members = change.current.len() as u32;
        self.trackers
            .notifications(change)
            .into_iter()
            .map(|(conn, items)| Effect::Callback {
                conn,
                msg: msg::TRACK_CALLBACK,
                status: status::OK,
                payload: wire_list(change.view, members, &items),
            })
            .collect()
    }

    fn current_entries(&self) -> Vec<Entry> {
        self.view
            .members()
            .map(|n| Entry {
                node: n.clone(),
                member: true,
                change: Change::NoChange,
            })
            .collect()
    }

    /// A client request. Malformed payloads answer INVALID_PARAM.
    pub fn request(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> (Reply, Vec<Effect<C>>) {
        let mut r = Reader::new(payload);
        match msg_id {
            msg::TRACK_START => {
                let (Ok(flags), Ok(in_callback)) = (r.u8(), r.bool()) else {
                    return (Reply::status(status::INVALID_PARAM), Vec::new());
                };
                let Ok(flags) = check_flags(flags as u32) else {
                    return (Reply::status(status::BAD_FLAGS), Vec::new());
                };
                if flags & TRACK_CURRENT != 0 && !self.view.is_complete() {
                    return (Reply::status(status::TRY_AGAIN), Vec::new());
                }
                let wants_current = self.trackers.start(conn, flags);
                if !wants_current {
                    return (Reply::status(status::OK), Vec::new());
                }
                let entries = self.current_entries();
                let list = wire_list(self.view.view_number(), entries.len() as u32, &entries);
                if in_callback {
                    let cb = Effect::Callback {
                        conn,
                        msg: msg::TRACK_CALLBACK,
                        status: status::OK,
                        payload: list,
                    };
                    (Reply::status(status::OK), vec![cb])
                } else {
                    (
                        Reply {
                            status: status::OK,
                            payload: list,
                        },
                        Vec::new(),
                    )
                }
            }
            msg::TRACK_STOP => {
                let s = if self.trackers.stop(conn) {
                    status::OK
                } else {
                    status::NOT_EXIST
                };
                (Reply::status(s), Vec::new())
            }
            msg::NODE_GET => {
                let Ok(id) = r.u32() else {
                    return (Reply::status(status::INVALID_PARAM), Vec::new());
                };
                let (s, payload) = self.node_get(id);
                (Reply { status: s, payload }, Vec::new())
            }
            msg::NODE_GET_ASYNC => {
                let (Ok(invocation), Ok(id)) = (r.u64(), r.u32()) else {
                    return (Reply::status(status::INVALID_PARAM), Vec::new());
                };
                if !self.view.is_complete() {
                    return (Reply::status(status::TRY_AGAIN), Vec::new());
                }
                let (s, node) = self.node_get(id);
                let mut w = Writer::new();
                w.u64(invocation);
                w.bytes(&node);
                let cb = Effect::Callback {
                    conn,
                    msg: msg::NODE_GET_CALLBACK,
                    status: s,
                    payload: w.into_vec(),
                };
                (Reply::status(status::OK), vec![cb])
            }
            _ => (Reply::status(status::NOT_SUPPORTED), Vec::new()),
        }
    }

    /// The record of `id` (or of this node), answered from the local replica.
    fn node_get(&self, id: u32) -> (u32, Vec<u8>) {
        let id = if id == LOCAL_NODE_ID { self.me.node_id } else { id };
        if !self.view.is_complete() {
            return (status::TRY_AGAIN, Vec::new());
        }
        match self.view.member(id) {
            Some(n) => {
                let mut w = Writer::new();
                let _ = wire_node(n, true).encode(&mut w);
                (status::OK, w.into_vec())
            }
            None => (status::NOT_EXIST, Vec::new()),
        }
    }

    /// A client went away: its tracking ends.
    pub fn disconnected(&mut self, conn: C) {
        self.trackers.disconnected(conn);
    }

    /// Whether the view is complete (requests answer TRY_AGAIN until it is).
    pub fn is_ready(&self) -> bool {
        self.view.is_complete()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u32) -> NodeInfo {
        NodeInfo::new(
            id,
            format!("127.0.0.{id}").parse().unwrap(),
            &format!("host{id}"),
            42,
            0,
        )
    }

    /// Runs three services as if Totem delivered every multicast to all.
    fn cluster(ids: &[u32]) -> Vec<ClmService<u32>> {
        ids.iter().map(|&id| ClmService::new(node(id))).collect()
    }

    fn configure(svcs: &mut [ClmService<u32>], seq: u64, members: &[u32]) -> Vec<Effect<u32>> {
        let mut casts = Vec::new();
        let mut callbacks = Vec::new();
        for s in svcs.iter_mut() {
            if members.contains(&s.me.node_id) {
                for e in s.configuration(seq, members) {
                    match e {
                        Effect::Multicast(m) => casts.push((s.me.node_id, m)),
                        cb => callbacks.push(cb),
                    }
                }
            }
        }
        for (sender, m) in casts {
            for s in svcs.iter_mut().filter(|s| members.contains(&s.me.node_id)) {
                callbacks.extend(s.delivered(sender, &m));
            }
        }
        callbacks
    }

    #[test]
    fn node_get_answers_try_again_until_the_view_is_complete_then_from_the_replica() {
        let mut s = cluster(&[1, 2, 3]);
        let mut w = Writer::new();
        w.u32(LOCAL_NODE_ID);
        let get_local = w.into_vec();
        assert_eq!(s[0].request(7, msg::NODE_GET, &get_local).0.status, status::TRY_AGAIN);
        configure(&mut s, 8, &[1, 2, 3]);
        let (reply, _) = s[0].request(7, msg::NODE_GET, &get_local);
        assert_eq!(reply.status, status::OK);
        let n = ClusterNode::decode(&mut Reader::new(&reply.payload)).unwrap();
        assert_eq!(
            (n.node_id, n.address.as_slice(), n.name.as_slice(), n.member),
            (1, &b"127.0.0.1"[..], &b"host1"[..], true)
        );
        assert_eq!(n.initial_view, 2, "initial view is the first ring's seq / 4");
        let mut w = Writer::new();
        w.u32(3);
        assert_eq!(s[0].request(7, msg::NODE_GET, w.as_slice()).0.status, status::OK);
        let mut w = Writer::new();
        w.u32(99);
        assert_eq!(s[0].request(7, msg::NODE_GET, w.as_slice()).0.status, status::NOT_EXIST);
        assert_eq!(s[0].request(7, msg::NODE_GET, &[1, 2]).0.status, status::INVALID_PARAM);
    }

    #[test]
    fn trackers_hear_a_node_leave_and_come_back() {
        let mut s = cluster(&[1, 2, 3]);
        configure(&mut s, 8, &[1, 2, 3]);
        let mut w = Writer::new();
        w.u8(2).bool(false); // SA_TRACK_CHANGES
        let (r, _) = s[0].request(5, msg::TRACK_START, w.as_slice());
        assert_eq!((r.status, r.payload.len()), (status::OK, 0));
        let cbs = configure(&mut s, 12, &[1, 2]);
        assert_eq!(cbs.len(), 1);
        let Effect::Callback {
            conn, msg: m, payload, ..
        } = &cbs[0]
        else {
            panic!()
        };
        assert_eq!((*conn, *m), (5, msg::TRACK_CALLBACK));
        let list = NotificationList::decode(&mut Reader::new(payload)).unwrap();
        assert_eq!((list.view, list.members), (3, 2));
        let left: Vec<_> = list.items.iter().filter(|n| n.change == Change::Left as u32).collect();
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].node.node_id, left[0].node.member), (3, false));
        let cbs = configure(&mut s, 16, &[1, 2, 3]);
        let Effect::Callback { payload, .. } = &cbs[0] else {
            panic!()
        };
        let list = NotificationList::decode(&mut Reader::new(payload)).unwrap();
        let joined: Vec<u32> = list
            .items
            .iter()
            .filter(|n| n.change == Change::Joined as u32)
            .map(|n| n.node.node_id)
            .collect();
        assert_eq!(joined, vec![3]);
        // Stop, then stop again: NOT_EXIST.
        assert_eq!(s[0].request(5, msg::TRACK_STOP, &[]).0.status, status::OK);
        assert_eq!(s[0].request(5, msg::TRACK_STOP, &[]).0.status, status::NOT_EXIST);
    }

    #[test]
    fn track_flags_and_current_membership() {
        let mut s = cluster(&[1, 2]);
        configure(&mut s, 8, &[1, 2]);
        let track = |flags: u8, cb: bool| {
            let mut w = Writer::new();
            w.u8(flags).bool(cb);
            w.into_vec()
        };
        assert_eq!(
            s[0].request(1, msg::TRACK_START, &track(6, false)).0.status,
            status::BAD_FLAGS
        );
        assert_eq!(
            s[0].request(1, msg::TRACK_START, &track(0, false)).0.status,
            status::BAD_FLAGS
        );
        let (r, fx) = s[0].request(1, msg::TRACK_START, &track(1, false));
        assert!(fx.is_empty());
        let list = NotificationList::decode(&mut Reader::new(&r.payload)).unwrap();
        assert_eq!(list.items.len(), 2);
        let (r, fx) = s[0].request(1, msg::TRACK_START, &track(1, true));
        assert!(
            r.payload.is_empty() && fx.len() == 1,
            "current membership through the callback"
        );
        // Async node get: a callback carrying the invocation.
        let mut w = Writer::new();
        w.u64(77).u32(2);
        let (r, fx) = s[0].request(1, msg::NODE_GET_ASYNC, w.as_slice());
        assert_eq!(r.status, status::OK);
        let Effect::Callback {
            msg: m,
            status: st,
            payload,
            ..
        } = &fx[0]
        else {
            panic!()
        };
        assert_eq!((*m, *st), (msg::NODE_GET_CALLBACK, status::OK));
        let mut rd = Reader::new(payload);
        assert_eq!(rd.u64().unwrap(), 77);
        assert_eq!(ClusterNode::decode(&mut rd).unwrap().node_id, 2);
    }
}
