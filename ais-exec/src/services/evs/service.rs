//! The EVS service as the executive runs it: client requests become ordered
//! cluster messages; ordered messages become delivery callbacks for the
//! local handles that joined one of their groups; regular configurations
//! become configuration-change callbacks for every handle. No I/O here.

use super::wire::{self, EvsMcast};
use ais_proto::evs::{self as msg, ConfChg, Deliver, Group, Mcast, Membership};
use ais_proto::status;
use std::collections::HashMap;
use std::hash::Hash;

use crate::services::{Effect, Reply};

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

    /// Whether `conn` is a handle of this service.
    pub fn has(&self, conn: C) -> bool {
        self.conns.contains_key(&conn)
    }

    /// The handles that joined a group (for flow control: their callbacks
    /// must keep up with the senders).
    pub fn members_conns(&self) -> impl Iterator<Item = C> + '_ {
        self.conns.iter().filter(|(_, g)| !g.is_empty()).map(|(c, _)| *c)
    }

    /// A handle was opened: it is told the current configuration at once (the
    /// last change, as corosync reports it to a new handle).
    pub fn connected(&mut self, conn: C) -> Vec<Effect<C>> {
        self.conns.insert(conn, Vec::new());
        match &self.current {
            Some(c) => vec![confchg(conn, c.encode())],
            None => Vec::new(),
        }
    }

    /// A handle went away; its groups go with it (nothing is multicast).
    pub fn disconnected(&mut self, conn: C) {
        self.conns.remove(&conn);
    }

    /// A regular configuration of ring `ring_rep`/`ring_seq`: every handle is
    /// told the members, and who left and joined since the previous regular
    /// configuration (on the first, every member joined).
    pub fn configuration(&mut self, ring_rep: NodeId, ring_seq: u64, members: &[NodeId]) -> Vec<Effect<C>> {
        let before: &[NodeId] = self.current.as_ref().map_or(&[], |c| &c.members);
        let c = ConfChg {
            ring_rep,
            ring_seq,
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
    pub fn delivered(&mut self, sender: NodeId, data: &[u8]) -> Vec<Effect<C>> {
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
    pub fn request(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> (Reply, Vec<Effect<C>>) {
        let reply = |s| (Reply::status(s), Vec::new());
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
                (Reply::status(status::OK), vec![Effect::Multicast(cluster)])
            }
            msg::MEMBERSHIP_GET => {
                let m = Membership {
                    local: self.me,
                    members: self.current.as_ref().map_or_else(Vec::new, |c| c.members.clone()),
                };
                (
                    Reply {
                        status: status::OK,
                        payload: m.encode(),
                    },
                    Vec::new(),
                )
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
    use ais_proto::evs::{encode_groups, GROUP_LEN};

    fn g(name: &str) -> Group {
        let mut k = [0u8; GROUP_LEN];
        k[..name.len()].copy_from_slice(name.as_bytes());
        k
    }

    fn join(s: &mut EvsService<u8>, conn: u8, groups: &[&str]) -> u32 {
        let list: Vec<Group> = groups.iter().map(|n| g(n)).collect();
        let (r, fx) = s.request(conn, msg::JOIN, &encode_groups(&list));
        assert!(fx.is_empty(), "joining is local: nothing is multicast");
        r.status
    }

    fn leave(s: &mut EvsService<u8>, conn: u8, groups: &[&str]) -> u32 {
        let list: Vec<Group> = groups.iter().map(|n| g(n)).collect();
        s.request(conn, msg::LEAVE, &encode_groups(&list)).0.status
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

    /// Several executives fed the same ordered messages: each service's
    /// multicasts go, in order, to every service (the Totem order), and the
    /// callbacks each produces are collected per node.
    struct Cluster {
        nodes: Vec<EvsService<u8>>,
        /// (node, conn, msg, payload) in the order they were produced.
        callbacks: Vec<(usize, u8, u16, Vec<u8>)>,
    }

    impl Cluster {
        fn new(ids: &[NodeId]) -> Cluster {
            Cluster {
                nodes: ids.iter().map(|id| EvsService::new(*id)).collect(),
                callbacks: Vec::new(),
            }
        }

        /// Carries out `fx`, which node `from` produced.
        fn run(&mut self, from: usize, fx: Vec<Effect<u8>>) {
            for e in fx {
                match e {
                    Effect::Multicast(m) => {
                        let sender = self.nodes[from].me;
                        for n in 0..self.nodes.len() {
                            let more = self.nodes[n].delivered(sender, &m);
                            self.run(n, more);
                        }
                    }
                    Effect::Callback { conn, msg, payload, .. } => self.callbacks.push((from, conn, msg, payload)),
                }
            }
        }

        fn request(&mut self, node: usize, conn: u8, m: u16, payload: &[u8]) -> u32 {
            let (r, fx) = self.nodes[node].request(conn, m, payload);
            self.run(node, fx);
            r.status
        }

        /// The (sender, data) deliveries handle `conn` of `node` got, in order.
        fn delivered(&self, node: usize, conn: u8) -> Vec<(u32, Vec<u8>)> {
            self.callbacks
                .iter()
                .filter(|(n, c, m, _)| *n == node && *c == conn && *m == msg::DELIVER)
                .map(|(_, _, _, p)| {
                    let d = Deliver::decode(p).unwrap();
                    (d.node, d.data.to_vec())
                })
                .collect()
        }
    }

    #[test]
    fn a_message_reaches_exactly_the_handles_that_joined_one_of_its_groups() {
        let mut c = Cluster::new(&[1, 2]);
        // Node 0: handle 10 in "a", 11 in "b", 12 in "a" and "b", 13 in nothing.
        // Node 1: handle 20 in "b", 21 in "c".
        for (n, conn) in [(0, 10), (0, 11), (0, 12), (0, 13), (1, 20), (1, 21)] {
            assert!(c.nodes[n].connected(conn).is_empty(), "no configuration yet");
        }
        assert_eq!(join(&mut c.nodes[0], 10, &["a"]), status::OK);
        assert_eq!(join(&mut c.nodes[0], 11, &["b"]), status::OK);
        assert_eq!(join(&mut c.nodes[0], 12, &["a", "b"]), status::OK);
        assert_eq!(join(&mut c.nodes[1], 20, &["b"]), status::OK);
        assert_eq!(join(&mut c.nodes[1], 21, &["c"]), status::OK);

        // To the sender's joined groups ("a"): 10 and 12, the sender included.
        assert_eq!(c.request(0, 10, msg::MCAST_JOINED, &mcast_joined(b"one")), status::OK);
        // To listed groups the sender has not joined: "b" and "c".
        assert_eq!(
            c.request(0, 10, msg::MCAST_GROUPS, &mcast_groups(&["b", "c"], b"two")),
            status::OK
        );
        // From the other node, to its joined "b".
        assert_eq!(c.request(1, 20, msg::MCAST_JOINED, &mcast_joined(b"three")), status::OK);
        // To a group nobody joined.
        assert_eq!(
            c.request(1, 21, msg::MCAST_GROUPS, &mcast_groups(&["zz"], b"lost")),
            status::OK
        );

        let one = (1, b"one".to_vec());
        let two = (1, b"two".to_vec());
        let three = (2, b"three".to_vec());
        assert_eq!(c.delivered(0, 10), vec![one.clone()]);
        assert_eq!(c.delivered(0, 11), vec![two.clone(), three.clone()]);
        assert_eq!(c.delivered(0, 12), vec![one, two.clone(), three.clone()], "once each");
        assert!(c.delivered(0, 13).is_empty());
        assert_eq!(c.delivered(1, 20), vec![two.clone(), three]);
        assert_eq!(c.delivered(1, 21), vec![two]);
    }

    #[test]
    fn leaving_stops_deliveries_and_needs_a_join_per_group() {
        let mut c = Cluster::new(&[1]);
        c.nodes[0].connected(1);
        assert_eq!(join(&mut c.nodes[0], 1, &["a", "a", "b"]), status::OK);
        assert_eq!(leave(&mut c.nodes[0], 1, &["a", "x"]), status::NOT_EXIST);
        assert_eq!(
            leave(&mut c.nodes[0], 1, &["a"]),
            status::OK,
            "the failed leave changed nothing"
        );
        c.request(0, 1, msg::MCAST_GROUPS, &mcast_groups(&["a"], b"still"));
        assert_eq!(leave(&mut c.nodes[0], 1, &["a"]), status::OK);
        assert_eq!(leave(&mut c.nodes[0], 1, &["a"]), status::NOT_EXIST);
        c.request(0, 1, msg::MCAST_GROUPS, &mcast_groups(&["a"], b"gone"));
        c.request(0, 1, msg::MCAST_JOINED, &mcast_joined(b"b"));
        assert_eq!(c.delivered(0, 1), vec![(1, b"still".to_vec()), (1, b"b".to_vec())]);
        assert_eq!(leave(&mut c.nodes[0], 1, &[]), status::OK);
    }

    #[test]
    fn a_handle_with_no_groups_multicasts_to_nobody() {
        let mut s: EvsService<u8> = EvsService::new(1);
        s.connected(1);
        let (r, fx) = s.request(1, msg::MCAST_JOINED, &mcast_joined(b"x"));
        assert_eq!((r.status, fx.len()), (status::OK, 0));
        let (r, fx) = s.request(1, msg::MCAST_GROUPS, &mcast_groups(&[], b"x"));
        assert_eq!((r.status, fx.len()), (status::OK, 0));
    }

    #[test]
    fn limits_and_malformed_requests() {
        let mut s: EvsService<u8> = EvsService::new(1);
        s.connected(1);
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
            s.request(1, msg::MCAST_GROUPS, &mcast_groups(&refs, b"x")).0.status,
            msg::TOO_MANY_GROUPS
        );
        // A message of MAX_MESSAGE bytes to MAX_GROUPS groups fits; one byte more does not.
        let big = vec![7u8; msg::MAX_MESSAGE];
        let (r, fx) = s.request(1, msg::MCAST_JOINED, &mcast_joined(&big));
        assert_eq!((r.status, fx.len()), (status::OK, 1));
        let Effect::Multicast(m) = &fx[0] else {
            panic!("a multicast")
        };
        assert!(m.len() + 2 <= ais_totem::MAX_MESSAGE_SIZE);
        let bigger = vec![7u8; msg::MAX_MESSAGE + 1];
        let (r, fx) = s.request(1, msg::MCAST_JOINED, &mcast_joined(&bigger));
        assert_eq!((r.status, fx.len()), (status::TOO_BIG, 0));

        for m in [msg::JOIN, msg::LEAVE, msg::MCAST_JOINED, msg::MCAST_GROUPS] {
            assert_eq!(s.request(1, m, &[1, 0]).0.status, status::INVALID_PARAM, "msg {m}");
        }
        assert_eq!(s.request(1, 99, &[]).0.status, status::NOT_SUPPORTED);
        assert_eq!(s.request(2, msg::MEMBERSHIP_GET, &[]).0.status, status::BAD_HANDLE);
    }

    #[test]
    fn configuration_changes_reach_every_handle_with_left_and_joined() {
        let mut s: EvsService<u8> = EvsService::new(2);
        s.connected(1);
        s.connected(2);
        join(&mut s, 2, &["a"]);
        let confchgs = |fx: Vec<Effect<u8>>| -> Vec<(u8, ConfChg)> {
            let mut v: Vec<(u8, ConfChg)> = fx
                .into_iter()
                .map(|e| match e {
                    Effect::Callback { conn, msg, payload, .. } => {
                        assert_eq!(msg, msg::CONFCHG);
                        (conn, ConfChg::decode(&payload).unwrap())
                    }
                    Effect::Multicast(_) => panic!("nothing to multicast"),
                })
                .collect();
            v.sort_by_key(|(c, _)| *c);
            v
        };
        let first = confchgs(s.configuration(1, 4, &[1, 2]));
        let want = ConfChg {
            ring_rep: 1,
            ring_seq: 4,
            members: vec![1, 2],
            left: vec![],
            joined: vec![1, 2],
        };
        assert_eq!(first, vec![(1, want.clone()), (2, want)]);
        let second = confchgs(s.configuration(2, 8, &[2, 3]));
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
        let late = confchgs(s.connected(3));
        assert_eq!(late, vec![(3, second[0].1.clone())]);
        s.disconnected(1);
        assert_eq!(confchgs(s.configuration(2, 12, &[2])).len(), 2, "handles 2 and 3");

        let (r, fx) = s.request(3, msg::MEMBERSHIP_GET, &[]);
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
        s.connected(1);
        let (r, _) = s.request(1, msg::MEMBERSHIP_GET, &[]);
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
        s.connected(1);
        join(&mut s, 1, &["a"]);
        for b in [&[][..], &[1], &[9, 0, 0], &[1, 0, 1, 0]] {
            assert!(s.delivered(2, b).is_empty());
        }
        // A departed handle gets nothing.
        let m = EvsMcast {
            groups: vec![g("a")],
            data: b"x".to_vec(),
        }
        .encode();
        assert_eq!(s.delivered(2, &m).len(), 1);
        s.disconnected(1);
        assert!(s.delivered(2, &m).is_empty());
    }
}
