//! The EVS service as the executive runs it: client requests become ordered
//! cluster messages; ordered messages become delivery callbacks for the
//! local handles that joined one of their groups; regular configurations
//! become configuration-change callbacks for every handle. No I/O here.

use super::wire::{self, EvsMcast};
use ais_proto::evs::{self as msg, ConfChg, Deliver, Group, Mcast, Membership};
use ais_proto::status;
use std::collections::HashMap;
use std::hash::Hash;

use crate::ipc::{AisVersion, ServiceId};
use crate::services::contract::{Effect, FlowGroup, Handling, HostView, Peer, Reply, RingId, Service};

pub type NodeId = u32;

/// Largest cluster message the service hands to Totem (the host adds two
/// bytes of service id to it).
const MAX_CLUSTER_MESSAGE: usize = ais_totem::MAX_MESSAGE_SIZE - 2;

pub struct EvsService<C> {
    me: NodeId,
    /// Each handle's joined groups, in the order joined; a group joined twice
    /// is listed twice and must be left twice, as in corosync.
    conns: HashMap<C, Vec<Group>>,
    /// The last regular configuration as reported, given to new handles too.
    current: Option<ConfChg>,
}

impl<C: Copy + Eq + Hash> EvsService<C> {
    pub fn new(me: NodeId) -> EvsService<C> {
        EvsService {
            me,
            conns: HashMap::new(),
            current: None,
        }
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for EvsService<C> {
    fn id(&self) -> ServiceId {
        ServiceId::EVS
    }

    fn version(&self) -> AisVersion {
        AisVersion::new(0, 0, 0)
    }

    /// The handles that joined a group: their callbacks must keep up with
    /// the senders. An EVS message names its groups itself, so all of EVS is
    /// one flow group: any backed-up member holds every EVS sender back.
    fn flow_receivers(&self) -> Vec<(C, FlowGroup)> {
        self.conns
            .iter()
            .filter(|(_, g)| !g.is_empty())
            .map(|(c, _)| (*c, FlowGroup::new()))
            .collect()
    }

    fn flow_group(&self, conn: C) -> Option<FlowGroup> {
        self.conns.contains_key(&conn).then(FlowGroup::new)
    }

    /// A handle was opened: it is told the current configuration at once (the
    /// last change, as corosync reports it to a new handle).
    fn connected(&mut self, conn: C, _: Peer) -> Vec<Effect<C>> {
        self.conns.insert(conn, Vec::new());
        match &self.current {
            Some(c) => vec![confchg(conn, c.encode())],
            None => Vec::new(),
        }
    }

    /// A handle went away; its groups go with it (nothing is multicast).
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        self.conns.remove(&conn);
        Vec::new()
    }

    /// A regular configuration of ring `ring_rep`/`ring_seq`: every handle is
    /// told the members, and who left and joined since the previous regular
    /// configuration (on the first, every member joined).
    fn configuration(&mut self, ring: RingId, members: &[NodeId], _now: u64) -> Vec<Effect<C>> {
        let before: &[NodeId] = self.current.as_ref().map_or(&[], |c| &c.members);
        let c = ConfChg {
            ring_rep: ring.rep,
            ring_seq: ring.seq,
            members: members.to_vec(),
            left: before.iter().filter(|n| !members.contains(n)).copied().collect(),
            joined: members.iter().filter(|n| !before.contains(n)).copied().collect(),
        };
        let payload = c.encode();
        self.current = Some(c);
        self.conns.keys().map(|k| confchg(*k, payload.clone())).collect()
    }

    /// An EVS message delivered in agreed order from node `sender`: one
    /// delivery to each handle that joined at least one of its groups.
    fn delivered(&mut self, sender: NodeId, data: &[u8], _now: u64) -> Vec<Effect<C>> {
        let Ok(m) = EvsMcast::decode(data) else {
            return Vec::new();
        };
        let mut recipients = self
            .conns
            .iter()
            .filter(|(_, joined)| joined.iter().any(|g| m.groups.contains(g)))
            .map(|(c, _)| *c)
            .peekable();
        if recipients.peek().is_none() {
            return Vec::new();
        }
        let payload = Deliver {
            node: sender,
            data: &m.data,
        }
        .encode();
        recipients
            .map(|conn| Effect::Callback {
                conn,
                msg: msg::DELIVER,
                status: status::OK,
                payload: payload.clone(),
            })
            .collect()
    }

    /// A client request.
    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        let reply = Handling::status;
        let Some(joined) = self.conns.get_mut(&conn) else {
            return reply(status::BAD_HANDLE);
        };
        match msg_id {
            msg::JOIN => {
                let Ok(groups) = msg::decode_groups(payload) else {
                    return reply(status::INVALID_PARAM);
                };
                if groups.len() > msg::MAX_JOIN_GROUPS || joined.len() + groups.len() > msg::MAX_GROUPS {
                    return reply(msg::TOO_MANY_GROUPS);
                }
                joined.extend(groups);
                reply(status::OK)
            }
            msg::LEAVE => {
                let Ok(groups) = msg::decode_groups(payload) else {
                    return reply(status::INVALID_PARAM);
                };
                // One joined entry per group named; all of them or none.
                let mut rest = joined.clone();
                for g in &groups {
                    match rest.iter().position(|j| j == g) {
                        Some(i) => {
                            rest.remove(i);
                        }
                        None => return reply(status::NOT_EXIST),
                    }
                }
                *joined = rest;
                reply(status::OK)
            }
            msg::MCAST_JOINED | msg::MCAST_GROUPS => {
                let Ok(m) = Mcast::decode(msg_id, payload) else {
                    return reply(status::INVALID_PARAM);
                };
                // The guarantee is not looked at: every message is agreed, as in corosync.
                let mut groups = m.groups.unwrap_or_else(|| joined.clone());
                if groups.len() > msg::MAX_GROUPS {
                    return reply(msg::TOO_MANY_GROUPS);
                }
                if m.data.len() > msg::MAX_MESSAGE {
                    return reply(status::TOO_BIG);
                }
                groups.sort_unstable();
                groups.dedup();
                if groups.is_empty() {
                    // Nobody can receive it.
                    return reply(status::OK);
                }
                if wire::encoded_len(groups.len(), m.data.len()) > MAX_CLUSTER_MESSAGE {
                    return reply(status::TOO_BIG);
                }
                let cluster = EvsMcast { groups, data: m.data }.encode();
                Handling::Now(Reply::status(status::OK), vec![Effect::Multicast(cluster)])
            }
            msg::MEMBERSHIP_GET => {
                let m = Membership {
                    local: self.me,
                    members: self.current.as_ref().map_or_else(Vec::new, |c| c.members.clone()),
                };
                Handling::reply(Reply {
                    status: status::OK,
                    payload: m.encode(),
                })
            }
            _ => reply(status::NOT_SUPPORTED),
        }
    }
}

fn confchg<C>(conn: C, payload: Vec<u8>) -> Effect<C> {
    Effect::Callback {
        conn,
        msg: msg::CONFCHG,
        status: status::OK,
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testkit::{Cluster, NoHost};
    use ais_proto::evs::{encode_groups, GROUP_LEN};

    fn g(name: &str) -> Group {
        let mut k = [0u8; GROUP_LEN];
        k[..name.len()].copy_from_slice(name.as_bytes());
        k
    }

    fn join(s: &mut EvsService<u8>, conn: u8, groups: &[&str]) -> u32 {
        let list: Vec<Group> = groups.iter().map(|n| g(n)).collect();
        let (r, fx) = s.request(conn, msg::JOIN, &encode_groups(&list), &NoHost).now();
        assert!(fx.is_empty(), "joining is local: nothing is multicast");
        r.status
    }

    fn leave(s: &mut EvsService<u8>, conn: u8, groups: &[&str]) -> u32 {
        let list: Vec<Group> = groups.iter().map(|n| g(n)).collect();
        s.request(conn, msg::LEAVE, &encode_groups(&list), &NoHost)
            .now()
            .0
            .status
    }

    fn mcast_joined(data: &[u8]) -> Vec<u8> {
        Mcast::encode_parts(msg_guarantee(), None, &[data]).unwrap()
    }

    fn mcast_groups(groups: &[&str], data: &[u8]) -> Vec<u8> {
        let list: Vec<Group> = groups.iter().map(|n| g(n)).collect();
        Mcast::encode_parts(msg_guarantee(), Some(&list), &[data]).unwrap()
    }

    /// EVS_TYPE_AGREED.
    fn msg_guarantee() -> u32 {
        2
    }

    /// Several executives fed the same ordered messages (nodes 1, 2, ...).
    type Net = Cluster<EvsService<u8>, u8>;

    fn net(ids: &[NodeId]) -> Net {
        Cluster::new(ids, EvsService::new)
    }

    fn send(c: &mut Net, node: NodeId, conn: u8, m: u16, payload: &[u8]) -> u32 {
        c.call(node, conn, m, payload).status
    }

    /// The (sender, data) deliveries handle `conn` of `node` got, in order.
    fn delivered(c: &Net, node: NodeId, conn: u8) -> Vec<(u32, Vec<u8>)> {
        c.callbacks
            .iter()
            .filter(|cb| cb.node == node && cb.conn == conn && cb.msg == msg::DELIVER)
            .map(|cb| {
                let d = Deliver::decode(&cb.payload).unwrap();
                (d.node, d.data.to_vec())
            })
            .collect()
    }

    #[test]
    fn a_message_reaches_exactly_the_handles_that_joined_one_of_its_groups() {
        let mut c = net(&[1, 2]);
        // Node 0: handle 10 in "a", 11 in "b", 12 in "a" and "b", 13 in nothing.
        // Node 1: handle 20 in "b", 21 in "c".
        for (n, conn) in [(1, 10), (1, 11), (1, 12), (1, 13), (2, 20), (2, 21)] {
            assert!(
                c.node(n).connected(conn, Peer::default()).is_empty(),
                "no configuration yet"
            );
        }
        assert_eq!(join(c.node(1), 10, &["a"]), status::OK);
        assert_eq!(join(c.node(1), 11, &["b"]), status::OK);
        assert_eq!(join(c.node(1), 12, &["a", "b"]), status::OK);
        assert_eq!(join(c.node(2), 20, &["b"]), status::OK);
        assert_eq!(join(c.node(2), 21, &["c"]), status::OK);

        // To the sender's joined groups ("a"): 10 and 12, the sender included.
        assert_eq!(
            send(&mut c, 1, 10, msg::MCAST_JOINED, &mcast_joined(b"one")),
            status::OK
        );
        // To listed groups the sender has not joined: "b" and "c".
        assert_eq!(
            send(&mut c, 1, 10, msg::MCAST_GROUPS, &mcast_groups(&["b", "c"], b"two")),
            status::OK
        );
        // From the other node, to its joined "b".
        assert_eq!(
            send(&mut c, 2, 20, msg::MCAST_JOINED, &mcast_joined(b"three")),
            status::OK
        );
        // To a group nobody joined.
        assert_eq!(
            send(&mut c, 2, 21, msg::MCAST_GROUPS, &mcast_groups(&["zz"], b"lost")),
            status::OK
        );

        let one = (1, b"one".to_vec());
        let two = (1, b"two".to_vec());
        let three = (2, b"three".to_vec());
        assert_eq!(delivered(&c, 1, 10), vec![one.clone()]);
        assert_eq!(delivered(&c, 1, 11), vec![two.clone(), three.clone()]);
        assert_eq!(delivered(&c, 1, 12), vec![one, two.clone(), three.clone()], "once each");
        assert!(delivered(&c, 1, 13).is_empty());
        assert_eq!(delivered(&c, 2, 20), vec![two.clone(), three]);
        assert_eq!(delivered(&c, 2, 21), vec![two]);
    }

    #[test]
    fn leaving_stops_deliveries_and_needs_a_join_per_group() {
        let mut c = net(&[1]);
        c.node(1).connected(1, Peer::default());
        assert_eq!(join(c.node(1), 1, &["a", "a", "b"]), status::OK);
        assert_eq!(leave(c.node(1), 1, &["a", "x"]), status::NOT_EXIST);
        assert_eq!(
            leave(c.node(1), 1, &["a"]),
            status::OK,
            "the failed leave changed nothing"
        );
        send(&mut c, 1, 1, msg::MCAST_GROUPS, &mcast_groups(&["a"], b"still"));
        assert_eq!(leave(c.node(1), 1, &["a"]), status::OK);
        assert_eq!(leave(c.node(1), 1, &["a"]), status::NOT_EXIST);
        send(&mut c, 1, 1, msg::MCAST_GROUPS, &mcast_groups(&["a"], b"gone"));
        send(&mut c, 1, 1, msg::MCAST_JOINED, &mcast_joined(b"b"));
        assert_eq!(delivered(&c, 1, 1), vec![(1, b"still".to_vec()), (1, b"b".to_vec())]);
        assert_eq!(leave(c.node(1), 1, &[]), status::OK);
    }

    #[test]
    fn a_handle_with_no_groups_multicasts_to_nobody() {
        let mut s: EvsService<u8> = EvsService::new(1);
        s.connected(1, Peer::default());
        let (r, fx) = s.request(1, msg::MCAST_JOINED, &mcast_joined(b"x"), &NoHost).now();
        assert_eq!((r.status, fx.len()), (status::OK, 0));
        let (r, fx) = s.request(1, msg::MCAST_GROUPS, &mcast_groups(&[], b"x"), &NoHost).now();
        assert_eq!((r.status, fx.len()), (status::OK, 0));
    }

    #[test]
    fn limits_and_malformed_requests() {
        let mut s: EvsService<u8> = EvsService::new(1);
        s.connected(1, Peer::default());
        let names: Vec<String> = (0..=msg::MAX_GROUPS).map(|i| format!("g{i}")).collect();
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        // More than 50 in one call (corosync's limit).
        assert_eq!(join(&mut s, 1, &refs[..51]), msg::TOO_MANY_GROUPS);
        // Up to MAX_GROUPS in all, 50 at a time.
        for chunk in refs[..msg::MAX_GROUPS].chunks(50) {
            assert_eq!(join(&mut s, 1, chunk), status::OK);
        }
        assert_eq!(join(&mut s, 1, &refs[msg::MAX_GROUPS..]), msg::TOO_MANY_GROUPS);
        assert_eq!(
            s.request(1, msg::MCAST_GROUPS, &mcast_groups(&refs, b"x"), &NoHost)
                .now()
                .0
                .status,
            msg::TOO_MANY_GROUPS
        );
        // A message of MAX_MESSAGE bytes to MAX_GROUPS groups fits; one byte more does not.
        let big = vec![7u8; msg::MAX_MESSAGE];
        let (r, fx) = s.request(1, msg::MCAST_JOINED, &mcast_joined(&big), &NoHost).now();
        assert_eq!((r.status, fx.len()), (status::OK, 1));
        let Effect::Multicast(m) = &fx[0] else {
            panic!("a multicast")
        };
        assert!(m.len() + 2 <= ais_totem::MAX_MESSAGE_SIZE);
        let bigger = vec![7u8; msg::MAX_MESSAGE + 1];
        let (r, fx) = s.request(1, msg::MCAST_JOINED, &mcast_joined(&bigger), &NoHost).now();
        assert_eq!((r.status, fx.len()), (status::TOO_BIG, 0));

        for m in [msg::JOIN, msg::LEAVE, msg::MCAST_JOINED, msg::MCAST_GROUPS] {
            assert_eq!(
                s.request(1, m, &[1, 0], &NoHost).now().0.status,
                status::INVALID_PARAM,
                "msg {m}"
            );
        }
        assert_eq!(s.request(1, 99, &[], &NoHost).now().0.status, status::NOT_SUPPORTED);
        assert_eq!(
            s.request(2, msg::MEMBERSHIP_GET, &[], &NoHost).now().0.status,
            status::BAD_HANDLE
        );
    }

    #[test]
    fn configuration_changes_reach_every_handle_with_left_and_joined() {
        let mut s: EvsService<u8> = EvsService::new(2);
        s.connected(1, Peer::default());
        s.connected(2, Peer::default());
        join(&mut s, 2, &["a"]);
        let confchgs = |fx: Vec<Effect<u8>>| -> Vec<(u8, ConfChg)> {
            let mut v: Vec<(u8, ConfChg)> = fx
                .into_iter()
                .map(|e| match e {
                    Effect::Callback { conn, msg, payload, .. } => {
                        assert_eq!(msg, msg::CONFCHG);
                        (conn, ConfChg::decode(&payload).unwrap())
                    }
                    e => panic!("nothing but callbacks: {e:?}"),
                })
                .collect();
            v.sort_by_key(|(c, _)| *c);
            v
        };
        let first = confchgs(s.configuration(RingId { rep: 1, seq: 4 }, &[1, 2], 0));
        let want = ConfChg {
            ring_rep: 1,
            ring_seq: 4,
            members: vec![1, 2],
            left: vec![],
            joined: vec![1, 2],
        };
        assert_eq!(first, vec![(1, want.clone()), (2, want)]);
        let second = confchgs(s.configuration(RingId { rep: 2, seq: 8 }, &[2, 3], 0));
        assert_eq!(
            second[0].1,
            ConfChg {
                ring_rep: 2,
                ring_seq: 8,
                members: vec![2, 3],
                left: vec![1],
                joined: vec![3],
            }
        );
        assert_eq!(second.len(), 2);

        // A new handle hears the current configuration at once.
        let late = confchgs(s.connected(3, Peer::default()));
        assert_eq!(late, vec![(3, second[0].1.clone())]);
        s.disconnected(1);
        assert_eq!(
            confchgs(s.configuration(RingId { rep: 2, seq: 12 }, &[2], 0)).len(),
            2,
            "handles 2 and 3"
        );

        let (r, fx) = s.request(3, msg::MEMBERSHIP_GET, &[], &NoHost).now();
        assert!(fx.is_empty());
        assert_eq!(
            Membership::decode(&r.payload),
            Ok(Membership {
                local: 2,
                members: vec![2]
            })
        );
    }

    #[test]
    fn membership_before_any_configuration_is_just_the_local_node_id() {
        let mut s: EvsService<u8> = EvsService::new(5);
        s.connected(1, Peer::default());
        let (r, _) = s.request(1, msg::MEMBERSHIP_GET, &[], &NoHost).now();
        assert_eq!(
            Membership::decode(&r.payload).unwrap(),
            Membership {
                local: 5,
                members: vec![]
            }
        );
    }

    #[test]
    fn garbage_from_the_cluster_delivers_nothing() {
        let mut s: EvsService<u8> = EvsService::new(1);
        s.connected(1, Peer::default());
        join(&mut s, 1, &["a"]);
        for b in [&[][..], &[1], &[9, 0, 0], &[1, 0, 1, 0]] {
            assert!(s.delivered(2, b, 0).is_empty());
        }
        // A departed handle gets nothing.
        let m = EvsMcast {
            groups: vec![g("a")],
            data: b"x".to_vec(),
        }
        .encode();
        assert_eq!(s.delivered(2, &m, 0).len(), 1);
        s.disconnected(1);
        assert!(s.delivered(2, &m, 0).is_empty());
    }
}
