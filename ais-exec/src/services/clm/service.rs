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

use crate::ipc::{AisVersion, ServiceId};
use crate::services::contract::{Effect, Handling, HostView, RingId, Service};
use ais_proto::clm::LOCAL_NODE_ID;
use ais_proto::status;

pub use crate::services::Reply;

/// The CLM version this executive implements (B.04.01 includes B.01.01).
pub const CLM_VERSION: AisVersion = AisVersion::new(b'B', 4, 1);

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

impl<C: Copy + Eq + Hash + Send> ClmService<C> {
    /// `me` is this node's record; its `initial_view` is filled in when the
    /// first ring forms.
    pub fn new(me: NodeInfo) -> ClmService<C> {
        ClmService {
            me,
            view: ClusterView::new(),
            trackers: Trackers::default(),
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

    /// The record of `id` (or of this node), answered from the local replica.
    fn node_get(&self, id: u32) -> Reply {
        let id = if id == LOCAL_NODE_ID { self.me.node_id } else { id };
        if !self.view.is_complete() {
            return self.busy(msg::NODE_GET);
        }
        match self.view.member(id) {
            Some(n) => {
                let mut w = Writer::new();
                let _ = wire_node(n, true).encode(&mut w);
                Reply {
                    status: status::OK,
                    payload: w.into_vec(),
                }
            }
            None => Reply::status(status::NOT_EXIST),
        }
    }

    /// Whether the view is complete (requests answer TRY_AGAIN until it is).
    pub fn is_ready(&self) -> bool {
        self.view.is_complete()
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for ClmService<C> {
    fn id(&self) -> ServiceId {
        ServiceId::CLM
    }

    fn version(&self) -> AisVersion {
        CLM_VERSION
    }

    /// A regular configuration: every member announces its record again.
    fn configuration(&mut self, ring: RingId, members: &[NodeId], _now: u64) -> Vec<Effect<C>> {
        if self.me.initial_view == 0 {
            self.me.initial_view = ring.seq / 4;
        }
        let mut out = vec![Effect::Multicast(NodeJoin(self.me.clone()).encode())];
        if let Some(change) = self.view.configuration(ring.seq, members) {
            out.extend(self.notify(&change));
        }
        out
    }

    /// A CLM message delivered in agreed order.
    fn delivered(&mut self, sender: NodeId, data: &[u8], _now: u64) -> Vec<Effect<C>> {
        let Ok(NodeJoin(info)) = NodeJoin::decode(data) else {
            return Vec::new();
        };
        match self.view.node_join(sender, info) {
            Some(change) => self.notify(&change),
            None => Vec::new(),
        }
    }

    /// A client request, answered from the local replica. Malformed
    /// payloads answer INVALID_PARAM.
    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        let mut r = Reader::new(payload);
        match msg_id {
            msg::TRACK_START => {
                let (Ok(flags), Ok(in_callback)) = (r.u8(), r.bool()) else {
                    return Handling::status(status::INVALID_PARAM);
                };
                let Ok(flags) = check_flags(flags as u32) else {
                    return Handling::status(status::BAD_FLAGS);
                };
                if flags & TRACK_CURRENT != 0 && !self.view.is_complete() {
                    return Handling::reply(self.busy(msg_id));
                }
                let wants_current = self.trackers.start(conn, flags);
                if !wants_current {
                    return Handling::status(status::OK);
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
                    Handling::Now(Reply::status(status::OK), vec![cb])
                } else {
                    Handling::reply(Reply {
                        status: status::OK,
                        payload: list,
                    })
                }
            }
            msg::TRACK_STOP => Handling::status(if self.trackers.stop(conn) {
                status::OK
            } else {
                status::NOT_EXIST
            }),
            msg::NODE_GET => {
                let Ok(id) = r.u32() else {
                    return Handling::status(status::INVALID_PARAM);
                };
                Handling::reply(self.node_get(id))
            }
            msg::NODE_GET_ASYNC => {
                let (Ok(invocation), Ok(id)) = (r.u64(), r.u32()) else {
                    return Handling::status(status::INVALID_PARAM);
                };
                if !self.view.is_complete() {
                    return Handling::reply(self.busy(msg_id));
                }
                let node = self.node_get(id);
                let mut w = Writer::new();
                w.u64(invocation);
                w.bytes(&node.payload);
                let cb = Effect::Callback {
                    conn,
                    msg: msg::NODE_GET_CALLBACK,
                    status: node.status,
                    payload: w.into_vec(),
                };
                Handling::Now(Reply::status(status::OK), vec![cb])
            }
            _ => Handling::status(status::NOT_SUPPORTED),
        }
    }

    /// A client went away: its tracking ends.
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        self.trackers.disconnected(conn);
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testkit::Cluster;

    fn node(id: u32) -> NodeInfo {
        NodeInfo::new(
            id,
            format!("127.0.0.{id}").parse().unwrap(),
            &format!("host{id}"),
            42,
            0,
        )
    }

    type Net = Cluster<ClmService<u32>, u32>;

    /// Services of `ids` as if Totem delivered every multicast to all.
    fn cluster(ids: &[u32]) -> Net {
        Cluster::new(ids, |id| ClmService::new(node(id)))
    }

    /// A regular configuration of sequence `seq`: the callbacks it causes.
    fn configure(c: &mut Net, seq: u64, members: &[u32]) -> Vec<Effect<u32>> {
        c.callbacks.clear();
        c.configure_ring(RingId { rep: members[0], seq }, members);
        c.take_callbacks()
            .into_iter()
            .map(|cb| Effect::Callback {
                conn: cb.conn,
                msg: cb.msg,
                status: cb.status,
                payload: cb.payload,
            })
            .collect()
    }

    #[test]
    fn node_get_answers_try_again_until_the_view_is_complete_then_from_the_replica() {
        let mut s = cluster(&[1, 2, 3]);
        let mut w = Writer::new();
        w.u32(LOCAL_NODE_ID);
        let get_local = w.into_vec();
        assert_eq!(
            s.handle(1, 7, msg::NODE_GET, &get_local).now().0.status,
            status::TRY_AGAIN
        );
        configure(&mut s, 8, &[1, 2, 3]);
        let (reply, _) = s.handle(1, 7, msg::NODE_GET, &get_local).now();
        assert_eq!(reply.status, status::OK);
        let n = ClusterNode::decode(&mut Reader::new(&reply.payload)).unwrap();
        assert_eq!(
            (n.node_id, n.address.as_slice(), n.name.as_slice(), n.member),
            (1, &b"127.0.0.1"[..], &b"host1"[..], true)
        );
        assert_eq!(n.initial_view, 2, "initial view is the first ring's seq / 4");
        let mut w = Writer::new();
        w.u32(3);
        assert_eq!(s.handle(1, 7, msg::NODE_GET, w.as_slice()).now().0.status, status::OK);
        let mut w = Writer::new();
        w.u32(99);
        assert_eq!(
            s.handle(1, 7, msg::NODE_GET, w.as_slice()).now().0.status,
            status::NOT_EXIST
        );
        assert_eq!(
            s.handle(1, 7, msg::NODE_GET, &[1, 2]).now().0.status,
            status::INVALID_PARAM
        );
    }

    #[test]
    fn trackers_hear_a_node_leave_and_come_back() {
        let mut s = cluster(&[1, 2, 3]);
        configure(&mut s, 8, &[1, 2, 3]);
        let mut w = Writer::new();
        w.u8(2).bool(false); // SA_TRACK_CHANGES
        let (r, _) = s.handle(1, 5, msg::TRACK_START, w.as_slice()).now();
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
        assert_eq!(s.handle(1, 5, msg::TRACK_STOP, &[]).now().0.status, status::OK);
        assert_eq!(s.handle(1, 5, msg::TRACK_STOP, &[]).now().0.status, status::NOT_EXIST);
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
            s.handle(1, 1, msg::TRACK_START, &track(6, false)).now().0.status,
            status::BAD_FLAGS
        );
        assert_eq!(
            s.handle(1, 1, msg::TRACK_START, &track(0, false)).now().0.status,
            status::BAD_FLAGS
        );
        let (r, fx) = s.handle(1, 1, msg::TRACK_START, &track(1, false)).now();
        assert!(fx.is_empty());
        let list = NotificationList::decode(&mut Reader::new(&r.payload)).unwrap();
        assert_eq!(list.items.len(), 2);
        let (r, fx) = s.handle(1, 1, msg::TRACK_START, &track(1, true)).now();
        assert!(
            r.payload.is_empty() && fx.len() == 1,
            "current membership through the callback"
        );
        // Async node get: a callback carrying the invocation.
        let mut w = Writer::new();
        w.u64(77).u32(2);
        let (r, fx) = s.handle(1, 1, msg::NODE_GET_ASYNC, w.as_slice()).now();
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
