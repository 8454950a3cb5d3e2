//! The CLM service as the executive runs it: cluster events and client
//! requests in, replies, callbacks and multicasts out. No I/O here; the
//! daemon's ordering task feeds it and carries out its effects.

use super::admin::{Action, Admin, AdminMsg, StepTrackers};
use super::joined;
use super::node::{NodeInfo, NodeJoin};
use super::track::{check_flags, Trackers, TRACK_CHANGES, TRACK_CURRENT, TRACK_START_STEP, TRACK_VALIDATE_STEP};
use super::view::{Change, ClusterView, Entry};
use ais_proto::clm::{self as msg, AdminRequest, ClusterNode, Notification, NotificationList, StepHeader};
use ais_proto::{Reader, Writer};
use ais_totem::NodeId;
use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

use crate::ipc::{AisVersion, ServiceId};
use crate::services::contract::{Effect, Handling, Held, HostView, Peer, Round, Service, Token};
use ais_proto::clm::LOCAL_NODE_ID;
use ais_proto::status;

pub use crate::services::Reply;

/// The CLM version this executive implements (B.04.01 includes B.01.01).
pub const CLM_VERSION: AisVersion = AisVersion::new(b'B', 4, 1);

pub struct ClmService<C> {
    me: NodeInfo,
    view: ClusterView,
    trackers: Trackers<C>,
    /// Lock, unlock and shutdown of nodes ([`super::admin`]).
    admin: Admin<C>,
    /// The handles whose peer is root (allowed administrative requests).
    root: HashSet<C>,
    next_token: u64,
    /// The sync round under way: its ring sequence and members, and the
    /// members' records received so far (each spoken by its node).
    round: Option<(u64, Vec<NodeId>)>,
    records: BTreeMap<NodeId, NodeJoin>,
    /// What ending an administrative operation at a ring change produced,
    /// carried out when the round activates.
    admin_held: Vec<Effect<C>>,
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
    /// `me` is this node's record; its `initial_view` is decided at each
    /// view ([`joined`]).
    pub fn new(me: NodeInfo) -> ClmService<C> {
        ClmService {
            view: ClusterView::new(),
            trackers: Trackers::default(),
            admin: Admin::new(me.node_id),
            root: HashSet::new(),
            next_token: 1,
            round: None,
            records: BTreeMap::new(),
            admin_held: Vec::new(),
            me,
        }
    }

    fn notify(&self, change: &super::view::ViewChange) -> Vec<Effect<C>> {
        // A locked node is out of the membership whatever Totem says: it
        // neither joins nor leaves (it left when it was locked).
        let mut change = change.clone();
        change.current.retain(|e| !self.admin.is_locked(e.node.node_id));
        change.left.retain(|e| !self.admin.is_locked(e.node.node_id));
        let change = &change;
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
            .filter(|n| !self.admin.is_locked(n.node_id))
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
        match self.view.member(id) {
            Some(n) => {
                let mut w = Writer::new();
                let _ = wire_node(n, !self.admin.is_locked(id)).encode(&mut w);
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

    /// The nodes of the complete view (Totem's members with their records).
    fn view_members(&self) -> Option<Vec<NodeId>> {
        self.view
            .is_complete()
            .then(|| self.view.members().map(|n| n.node_id).collect())
    }

    fn step_trackers(&self) -> StepTrackers<C> {
        StepTrackers {
            validate: self.trackers.with_step(TRACK_VALIDATE_STEP),
            start: self.trackers.with_step(TRACK_START_STEP),
        }
    }

    /// A step callback to `conn` about `target` (B.04.01 §4.4.3 and
    /// §4.4.4): with CHANGES every member and the target, with CHANGES_ONLY
    /// the target alone.
    #[allow(clippy::too_many_arguments)]
    fn step_callback(
        &self,
        conn: C,
        flags: u8,
        header: StepHeader,
        target: NodeId,
        change: u32,
        member: bool,
    ) -> Option<Effect<C>> {
        let node = self.view.member(target)?;
        let members: Vec<&NodeInfo> = self
            .view
            .members()
            .filter(|n| !self.admin.is_locked(n.node_id))
            .collect();
        let mut items: Vec<Notification> = Vec::new();
        if flags & TRACK_CHANGES != 0 {
            items.extend(members.iter().filter(|n| n.node_id != target).map(|n| Notification {
                node: wire_node(n, true),
                change: Change::NoChange as u32,
            }));
        }
        items.push(Notification {
            node: wire_node(node, member),
            change,
        });
        items.sort_by_key(|n| n.node.node_id);
        let list = NotificationList {
            view: self.view.view_number(),
            members: members.len() as u32,
            items,
        };
        let mut w = Writer::new();
        let _ = header.encode(&mut w);
        let _ = list.encode(&mut w);
        Some(Effect::Callback {
            conn,
            msg: msg::TRACK_STEP_CALLBACK,
            status: status::OK,
            payload: w.into_vec(),
        })
    }

    fn root_cause(&self, target: NodeId) -> Vec<u8> {
        self.view
            .member(target)
            .map(|n| n.name.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// Carries out what the administrative machine asked for.
    fn act(&mut self, actions: Vec<Action<C>>) -> Vec<Effect<C>> {
        let mut out = Vec::new();
        for a in actions {
            match a {
                Action::Multicast(m) => out.push(Effect::Multicast(m)),
                Action::Answer { token, status } => out.push(Effect::Answer {
                    token,
                    reply: Reply::status(status),
                }),
                Action::Step {
                    conn,
                    invocation,
                    step,
                    supervision_ns,
                    target,
                    change,
                } => {
                    let flags = self.trackers.flags(conn).unwrap_or(TRACK_CHANGES);
                    let header = StepHeader {
                        invocation,
                        step,
                        supervision_ns,
                        root_cause: self.root_cause(target),
                    };
                    out.extend(self.step_callback(conn, flags, header, target, change, true));
                }
                Action::Completed { target, joined } => {
                    let (change, member) = if joined {
                        (Change::Joined as u32, true)
                    } else {
                        (Change::Left as u32, false)
                    };
                    let trackers: Vec<(C, u8)> = self.trackers.all().collect();
                    for (conn, flags) in trackers {
                        let header = StepHeader {
                            invocation: 0,
                            step: msg::STEP_COMPLETED,
                            supervision_ns: 0,
                            root_cause: self.root_cause(target),
                        };
                        out.extend(self.step_callback(conn, flags, header, target, change, member));
                    }
                }
            }
        }
        out
    }

    fn admin_request(&mut self, conn: C, payload: &[u8]) -> Handling<C> {
        if !self.root.contains(&conn) {
            return Handling::status(status::ACCESS);
        }
        let Ok(mut request) = AdminRequest::decode(&mut Reader::new(payload)) else {
            return Handling::status(status::INVALID_PARAM);
        };
        if request.node_id == LOCAL_NODE_ID {
            request.node_id = self.me.node_id;
        }
        if !self.view.is_complete() {
            return Handling::reply(self.busy(msg::ADMIN));
        }
        let token = Token(self.next_token);
        self.next_token += 1;
        Handling::Ordered {
            message: self.admin.request(request, token),
            token,
            accepted: None,
        }
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for ClmService<C> {
    fn digest(&self) -> Option<u64> {
        self.view.digest()
    }

    fn id(&self) -> ServiceId {
        ServiceId::CLM
    }

    fn version(&self) -> AisVersion {
        CLM_VERSION
    }

    /// Outside sync, CLM's ordered messages are the administrative
    /// operations' ([`super::admin`]).
    fn delivered(&mut self, sender: NodeId, data: &[u8], now: u64) -> Vec<Effect<C>> {
        let Ok(m) = AdminMsg::decode(data) else {
            return Vec::new();
        };
        let (members, trackers) = (self.view_members(), self.step_trackers());
        let actions = self.admin.delivered(sender, m, members.as_deref(), &trackers, now);
        self.act(actions)
    }

    fn replicated(&self) -> bool {
        true
    }

    /// What reads the view waits for a complete one: node gets, and a
    /// track start that asks for the current membership. Malformed
    /// requests are answered by [`request`](Service::request).
    fn needs_sync(&self, _conn: C, msg_id: u16, payload: &[u8]) -> bool {
        let mut r = Reader::new(payload);
        match msg_id {
            msg::TRACK_START => match (r.u8(), r.bool()) {
                (Ok(flags), Ok(_)) => check_flags(flags as u32).is_ok_and(|f| f & TRACK_CURRENT != 0),
                _ => false,
            },
            msg::NODE_GET => r.u32().is_ok(),
            msg::NODE_GET_ASYNC => r.u64().is_ok() && r.u32().is_ok(),
            _ => false,
        }
    }

    /// Every member announces its record again after every configuration.
    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        self.round = Some((round.ring.seq, round.members.to_vec()));
        self.records.clear();
        // A ring change ends a running administrative operation alike on
        // every node; its locked nodes go out with the record, so every
        // member's are in when the view is built.
        let mut pieces = Vec::new();
        for action in self.admin.configuration() {
            match action {
                Action::Multicast(m) => pieces.push(m),
                other => {
                    let fx = self.act(vec![other]);
                    self.admin_held.extend(fx);
                }
            }
        }
        let join = NodeJoin {
            node: self.me.clone(),
            old_ring: round.old_ring,
        };
        pieces.push(join.encode());
        pieces
    }

    fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        if let Ok(join) = NodeJoin::decode(piece) {
            // A node speaks only for itself, and only a member counts.
            let member = self.round.as_ref().is_some_and(|(_, m)| m.contains(&sender));
            if join.node.node_id == sender && member {
                self.records.insert(sender, join);
            }
        } else if let Ok(m @ AdminMsg::State { .. }) = AdminMsg::decode(piece) {
            // The union of every member's locked nodes.
            let trackers = self.step_trackers();
            let _ = self.admin.delivered(sender, m, None, &trackers, 0);
        }
    }

    /// The view is the members' own records with the initial views
    /// decided from all of them; trackers hear what changed.
    fn sync_activate(&mut self, _now: u64) -> Vec<Effect<C>> {
        let Some((seq, members)) = self.round.take() else {
            return Vec::new();
        };
        let mut joins: Vec<NodeJoin> = std::mem::take(&mut self.records).into_values().collect();
        joined::settle(seq / 4, &mut joins);
        let mut change = self.view.configuration(seq, &members);
        for NodeJoin { node, .. } in joins {
            if node.node_id == self.me.node_id {
                self.me.initial_view = node.initial_view;
            }
            change = change.or(self.view.node_join(node.node_id, node));
        }
        let mut out = std::mem::take(&mut self.admin_held);
        out.extend(change.map_or_else(Vec::new, |c| self.notify(&c)));
        out
    }

    fn sync_abort(&mut self) -> Held {
        self.round = None;
        self.records.clear();
        Held::Apply
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
            msg::RESPONSE => {
                let (Ok(invocation), Ok(response)) = (r.u64(), r.u32()) else {
                    return Handling::status(status::INVALID_PARAM);
                };
                match self.admin.response(conn, invocation, response) {
                    Ok(actions) => {
                        let out = self.act(actions);
                        Handling::Now(Reply::status(status::OK), out)
                    }
                    Err(s) => Handling::status(s),
                }
            }
            msg::ADMIN => self.admin_request(conn, payload),
            _ => Handling::status(status::NOT_SUPPORTED),
        }
    }

    fn connected(&mut self, conn: C, peer: Peer) -> Vec<Effect<C>> {
        if peer.uid == Some(0) {
            self.root.insert(conn);
        }
        Vec::new()
    }

    /// A client went away: its tracking ends, and it answers no step.
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        self.trackers.disconnected(conn);
        self.root.remove(&conn);
        let actions = self.admin.disconnected(conn);
        self.act(actions)
    }

    fn refused(&mut self, token: Token) -> Vec<Effect<C>> {
        self.admin.refused(token);
        Vec::new()
    }

    fn tick(&mut self, now: u64) -> Vec<Effect<C>> {
        let actions = self.admin.tick(now);
        self.act(actions)
    }

    fn next_deadline(&self, _now: u64) -> Option<u64> {
        self.admin.next_deadline()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::contract::RingId;
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
        assert_eq!(
            n.initial_view, 2,
            "nodes that form a cluster together joined it in its first view (ring seq / 4)"
        );
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

    /// Every node's `initial_view` of every member, as each node reports it.
    fn initial_views(s: &Net, on: &[u32]) -> Vec<Vec<(u32, u64)>> {
        on.iter()
            .map(|id| {
                s.nodes[id]
                    .view
                    .members()
                    .map(|n| (n.node_id, n.initial_view))
                    .collect()
            })
            .collect()
    }

    /// SaClmClusterNodeT.initialViewNumber (CLM B.01.01 §3.5.2, B.04.01
    /// §3.4.5): the view in which the node joined the cluster, the same in
    /// every node's record of it.
    #[test]
    fn initial_view_is_the_view_each_node_joined_in_equal_on_every_node() {
        let mut s = cluster(&[1, 2, 3]);
        configure(&mut s, 4, &[1]); // view 1: node 1 alone starts the cluster
        configure(&mut s, 8, &[2]); // view 2: node 2 alone
        configure(&mut s, 12, &[1, 2]); // view 3: node 2 joins node 1
        assert_eq!(initial_views(&s, &[1, 2]), vec![vec![(1, 1), (2, 3)]; 2]);
        configure(&mut s, 16, &[1, 2, 3]); // view 4: node 3, never in a ring, joins
        assert_eq!(initial_views(&s, &[1, 2, 3]), vec![vec![(1, 1), (2, 3), (3, 4)]; 3]);
        // Node 3 leaves (alone in view 5) and rejoins in view 6.
        s.configure_ring(RingId { rep: 1, seq: 20 }, &[1, 2]);
        s.configure_ring(RingId { rep: 3, seq: 20 }, &[3]);
        configure(&mut s, 24, &[1, 2, 3]);
        assert_eq!(initial_views(&s, &[1, 2, 3]), vec![vec![(1, 1), (2, 3), (3, 6)]; 3]);
    }

    #[test]
    fn after_a_partition_heals_the_larger_side_keeps_its_initial_views_the_other_joined_in_the_merge() {
        let mut s = cluster(&[1, 2, 3, 4, 5]);
        configure(&mut s, 4, &[4]); // view 1: node 4 alone
        configure(&mut s, 8, &[1, 2, 3, 4, 5]); // view 2: the rest join it
        assert_eq!(
            initial_views(&s, &[1, 5]),
            vec![vec![(1, 2), (2, 2), (3, 2), (4, 1), (5, 2)]; 2]
        );
        // Partition: {1, 2} and {3, 4, 5}, each side keeping what it knew.
        s.configure_ring(RingId { rep: 1, seq: 12 }, &[1, 2]);
        s.configure_ring(RingId { rep: 3, seq: 12 }, &[3, 4, 5]);
        assert_eq!(initial_views(&s, &[1, 2]), vec![vec![(1, 2), (2, 2)]; 2]);
        assert_eq!(initial_views(&s, &[3, 4, 5]), vec![vec![(3, 2), (4, 1), (5, 2)]; 3]);
        // Heal in view 4: {3, 4, 5} is the larger side.
        configure(&mut s, 16, &[1, 2, 3, 4, 5]);
        assert_eq!(
            initial_views(&s, &[1, 2, 3, 4, 5]),
            vec![vec![(1, 4), (2, 4), (3, 2), (4, 1), (5, 2)]; 5]
        );
        // An even split: the side of the lower old representative keeps its views.
        s.configure_ring(RingId { rep: 1, seq: 20 }, &[1, 4]);
        s.configure_ring(RingId { rep: 2, seq: 20 }, &[2, 3]);
        configure(&mut s, 24, &[1, 2, 3, 4]);
        assert_eq!(
            initial_views(&s, &[1, 2, 3, 4]),
            vec![vec![(1, 4), (2, 6), (3, 6), (4, 1)]; 4]
        );
    }
}
