//! The CPG service as the executive runs it: client requests become ordered
//! cluster messages; ordered messages become configuration-change and
//! delivery callbacks for the local members. No I/O here.

use super::state::{CpgState, Event, Member, NodeId};
use super::wire::{CpgMsg, Group};
use ais_proto::cpg::{self as msg, Address, ConfChg, IterEntry, TotemConf};
use ais_proto::{Reader, Writer};
use std::collections::HashMap;
use std::hash::Hash;

use crate::ipc::{AisVersion, ServiceId};
use crate::services::contract::{Effect, FlowGroup, Handling, Held, HostView, Peer, Reply, RingId, Round, Service};
use ais_proto::status;

/// One library handle: its process and the group it joined.
struct Conn {
    pid: u32,
    group: Option<Group>,
    /// Its leave was requested: no PROCDOWN when it goes away.
    left: bool,
    /// `CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF`: the current ring is reported
    /// once the handle's join is delivered, before any later ring change.
    initial_totem_conf: bool,
    totem_conf_sent: bool,
}

pub struct CpgService<C> {
    me: NodeId,
    state: CpgState,
    conns: HashMap<C, Conn>,
    /// The current regular ring, for `TOTEM_CONFCHG` callbacks.
    ring: TotemConf,
}

fn address(m: &Member, reason: u32) -> Address {
    Address {
        node: m.node,
        pid: m.pid,
        reason,
    }
}

impl<C: Copy + Eq + Hash + Send> CpgService<C> {
    pub fn new(me: NodeId) -> CpgService<C> {
        CpgService {
            me,
            state: CpgState::new(me),
            conns: HashMap::new(),
            ring: TotemConf::default(),
        }
    }

    /// A client request (the sync engine has answered TRY_AGAIN to those
    /// that change the groups while they re-synchronise).
    fn answer(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> (Reply, Vec<Effect<C>>) {
        let reply = Reply::status;
        let Some(c) = self.conns.get_mut(&conn) else {
            return (reply(status::INVALID_PARAM), Vec::new());
        };
        let mut r = Reader::new(payload);
        match msg_id {
            msg::JOIN => {
                let Ok(group) = msg::group(&mut r) else {
                    return (reply(status::INVALID_PARAM), Vec::new());
                };
                if c.group.is_some() && !c.left {
                    return (reply(status::EXIST), Vec::new());
                }
                c.group = Some(group.clone());
                c.left = false;
                (
                    reply(status::OK),
                    vec![Effect::Multicast(CpgMsg::Join { group, pid: c.pid }.encode())],
                )
            }
            msg::LEAVE => {
                let Ok(group) = msg::group(&mut r) else {
                    return (reply(status::INVALID_PARAM), Vec::new());
                };
                if c.group.as_ref() != Some(&group) || c.left {
                    return (reply(status::NOT_EXIST), Vec::new());
                }
                c.left = true;
                (
                    reply(status::OK),
                    vec![Effect::Multicast(CpgMsg::Leave { group, pid: c.pid }.encode())],
                )
            }
            msg::MCAST => {
                let Ok(data) = r.blob() else {
                    return (reply(status::INVALID_PARAM), Vec::new());
                };
                let (Some(group), false) = (c.group.clone(), c.left) else {
                    return (reply(status::NOT_EXIST), Vec::new());
                };
                let m = CpgMsg::Mcast {
                    group,
                    pid: c.pid,
                    data: data.to_vec(),
                };
                (reply(status::OK), vec![Effect::Multicast(m.encode())])
            }
            msg::MEMBERSHIP_GET => {
                let Ok(group) = msg::group(&mut r) else {
                    return (reply(status::INVALID_PARAM), Vec::new());
                };
                let list: Vec<Address> = self.state.members(&group).iter().map(|m| address(m, 0)).collect();
                (
                    Reply {
                        status: status::OK,
                        payload: msg::encode_members(&list),
                    },
                    Vec::new(),
                )
            }
            msg::MODEL => {
                let (Ok(flags), Ok(())) = (r.u32(), r.finish()) else {
                    return (reply(status::INVALID_PARAM), Vec::new());
                };
                if flags & !msg::MODEL_INITIAL_TOTEM_CONF != 0 {
                    return (reply(status::INVALID_PARAM), Vec::new());
                }
                c.initial_totem_conf = flags & msg::MODEL_INITIAL_TOTEM_CONF != 0;
                (reply(status::OK), Vec::new())
            }
            msg::ITERATE => {
                let Ok(kind) = r.u32() else {
                    return (reply(status::INVALID_PARAM), Vec::new());
                };
                let one = match kind {
                    msg::ITERATION_ONE_GROUP => match msg::group(&mut r) {
                        Ok(g) => Some(g),
                        Err(_) => return (reply(status::INVALID_PARAM), Vec::new()),
                    },
                    msg::ITERATION_NAME_ONLY | msg::ITERATION_ALL => None,
                    _ => return (reply(status::INVALID_PARAM), Vec::new()),
                };
                let mut list = Vec::new();
                for (g, members) in self.state.groups() {
                    if members.is_empty() || one.as_ref().is_some_and(|o| o != g) {
                        continue;
                    }
                    if kind == msg::ITERATION_NAME_ONLY {
                        list.push(IterEntry {
                            group: g.clone(),
                            node: 0,
                            pid: 0,
                        });
                        continue;
                    }
                    list.extend(members.iter().map(|m| IterEntry {
                        group: g.clone(),
                        node: m.node,
                        pid: m.pid,
                    }));
                }
                (
                    Reply {
                        status: status::OK,
                        payload: msg::encode_iteration(&list),
                    },
                    Vec::new(),
                )
            }
            msg::LOCAL_GET => {
                let mut w = Writer::new();
                w.u32(self.me);
                (
                    Reply {
                        status: status::OK,
                        payload: w.into_vec(),
                    },
                    Vec::new(),
                )
            }
            _ => (reply(status::NOT_SUPPORTED), Vec::new()),
        }
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for CpgService<C> {
    fn digest(&self) -> Option<u64> {
        self.state.digest()
    }

    fn id(&self) -> ServiceId {
        ServiceId::CPG
    }

    fn version(&self) -> AisVersion {
        AisVersion::new(0, 0, 0)
    }

    /// A handle was opened by process `peer.pid`.
    fn connected(&mut self, conn: C, peer: Peer) -> Vec<Effect<C>> {
        let pid = peer.pid;
        self.conns.insert(
            conn,
            Conn {
                pid,
                group: None,
                left: false,
                initial_totem_conf: false,
                totem_conf_sent: false,
            },
        );
        Vec::new()
    }

    /// The local handles that are members of a group, with the group:
    /// their callbacks must keep up with the group's senders.
    fn flow_receivers(&self) -> Vec<(C, FlowGroup)> {
        self.conns
            .iter()
            .filter(|(_, c)| !c.left)
            .filter_map(|(k, c)| Some((*k, c.group.clone()?)))
            .collect()
    }

    /// The group a handle sends to, if it joined one.
    fn flow_group(&self, conn: C) -> Option<FlowGroup> {
        self.conns.get(&conn).filter(|c| !c.left).and_then(|c| c.group.clone())
    }

    /// A handle went away: a member that did not leave is PROCDOWN.
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        match self.conns.remove(&conn) {
            Some(Conn {
                pid,
                group: Some(group),
                left: false,
                ..
            }) => {
                vec![Effect::Multicast(CpgMsg::ProcDown { group, pid }.encode())]
            }
            _ => Vec::new(),
        }
    }

    /// A regular configuration (ring `ring_rep`/`ring_seq`): report the ring
    /// to every handle (a library without a totem callback ignores it).
    fn configuration(&mut self, ring: RingId, members: &[NodeId], _now: u64) -> Vec<Effect<C>> {
        self.ring = TotemConf {
            ring_rep: ring.rep,
            ring_seq: ring.seq,
            members: members.to_vec(),
        };
        let payload = self.ring.encode();
        let mut out = Vec::new();
        for (c, conn) in self.conns.iter_mut() {
            conn.totem_conf_sent = true;
            out.push(Effect::Callback {
                conn: *c,
                msg: msg::TOTEM_CONFCHG,
                status: status::OK,
                payload: payload.clone(),
            });
        }
        out
    }

    /// A CPG message delivered in agreed order.
    fn delivered(&mut self, sender: NodeId, data: &[u8], _now: u64) -> Vec<Effect<C>> {
        let Ok(m) = CpgMsg::decode(data) else { return Vec::new() };
        let events = self.state.deliver(sender, m);
        self.callbacks(events)
    }

    fn replicated(&self) -> bool {
        true
    }

    /// Joins and leaves wait for the groups to settle; a join or leave the
    /// handle could not make anyway is answered by the request itself.
    /// Multicasts are held by the engine, not refused.
    fn needs_sync(&self, conn: C, msg_id: u16, payload: &[u8]) -> bool {
        let (Some(c), Ok(group)) = (self.conns.get(&conn), msg::group(&mut Reader::new(payload))) else {
            return false;
        };
        match msg_id {
            msg::JOIN => c.group.is_none() || c.left,
            msg::LEAVE => c.group.as_ref() == Some(&group) && !c.left,
            _ => false,
        }
    }

    /// This node's own processes and their groups.
    fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
        vec![self.state.sync_init(round.members).encode()]
    }

    fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
        if let Ok(m) = CpgMsg::decode(piece) {
            self.state.sync_receive(sender, m);
        }
    }

    /// The groups are the union of the members' lists; NODEUP/NODEDOWN
    /// configuration changes to the local members.
    fn sync_activate(&mut self, _now: u64) -> Vec<Effect<C>> {
        let events = self.state.sync_activate();
        self.callbacks(events)
    }

    fn sync_abort(&mut self) -> Held {
        self.state.sync_abort();
        Held::Apply
    }

    /// A client request (the sync engine answers TRY_AGAIN to the joins and
    /// leaves that come while the groups re-synchronise).
    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        let (r, fx) = self.answer(conn, msg_id, payload);
        Handling::Now(r, fx)
    }
}

impl<C: Copy + Eq + Hash + Send> CpgService<C> {
    /// The callbacks that events of the groups cause for the local handles.
    fn callbacks(&mut self, events: Vec<Event>) -> Vec<Effect<C>> {
        let mut out = Vec::new();
        for e in events {
            let (group, recipients, frame_msg, payload) = match e {
                Event::ConfChange {
                    group,
                    members,
                    left,
                    joined,
                    recipients,
                } => {
                    let c = ConfChg {
                        group: group.clone(),
                        members: members.iter().map(|m| address(m, 0)).collect(),
                        left: left.iter().map(|(m, r)| address(m, *r as u32)).collect(),
                        joined: joined.iter().map(|(m, r)| address(m, *r as u32)).collect(),
                    };
                    (group, recipients, msg::CONFCHG, c.encode())
                }
                Event::Deliver {
                    group,
                    from,
                    data,
                    recipients,
                } => {
                    let mut w = Writer::with_capacity(16 + group.len() + data.len());
                    let _ = w.name(&group);
                    w.u32(from.node).u32(from.pid);
                    let _ = w.blob(&data);
                    (group, recipients, msg::DELIVER, w.into_vec())
                }
            };
            for (c, conn) in self.conns.iter_mut() {
                if recipients.contains(&conn.pid) && conn.group.as_deref() == Some(group.as_slice()) {
                    out.push(Effect::Callback {
                        conn: *c,
                        msg: frame_msg,
                        status: status::OK,
                        payload: payload.clone(),
                    });
                    // After the handle's own join: the ring it joined in.
                    if frame_msg == msg::CONFCHG && conn.initial_totem_conf && !conn.totem_conf_sent {
                        conn.totem_conf_sent = true;
                        out.push(Effect::Callback {
                            conn: *c,
                            msg: msg::TOTEM_CONFCHG,
                            status: status::OK,
                            payload: self.ring.encode(),
                        });
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testkit::Cluster;

    type Net = Cluster<CpgService<u8>, u8>;

    fn grp(name: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        let _ = w.name(name);
        w.into_vec()
    }

    /// A request on the one node, run as Totem would: its reply and the
    /// callbacks it caused.
    fn call(s: &mut Net, conn: u8, m: u16, payload: &[u8]) -> (Reply, Vec<(u8, u16, Vec<u8>)>) {
        let r = s.call(1, conn, m, payload);
        (r, cbs(s))
    }

    fn cbs(s: &mut Net) -> Vec<(u8, u16, Vec<u8>)> {
        s.take_callbacks()
            .into_iter()
            .map(|c| (c.conn, c.msg, c.payload))
            .collect()
    }

    #[test]
    fn join_mcast_membership_leave_and_procdown_through_requests() {
        let mut s = Net::new(&[1], CpgService::new);
        s.configure_ring(RingId { rep: 1, seq: 4 }, &[1]);
        s.connect(1, 7, 700);
        s.connect(1, 8, 800);
        let (r, cbs1) = call(&mut s, 7, msg::JOIN, &grp(b"g"));
        assert_eq!(r.status, status::OK);
        assert_eq!(cbs1.len(), 1);
        let c = ConfChg::decode(&cbs1[0].2).unwrap();
        assert_eq!((c.members.len(), c.joined[0].pid, c.joined[0].reason), (1, 700, 1));
        assert_eq!(s.handle(1, 7, msg::JOIN, &grp(b"h")).now().0.status, status::EXIST);
        assert_eq!(s.handle(1, 7, msg::JOIN, &[0, 0]).now().0.status, status::INVALID_PARAM);
        call(&mut s, 8, msg::JOIN, &grp(b"g"));
        let mut w = Writer::new();
        let _ = w.blob(b"hello");
        let (r, cbs1) = call(&mut s, 7, msg::MCAST, w.as_slice());
        assert_eq!(r.status, status::OK);
        assert_eq!(
            cbs1.iter().filter(|c| c.1 == msg::DELIVER).count(),
            2,
            "both members get it"
        );
        let (r, _) = s.handle(1, 7, msg::MEMBERSHIP_GET, &grp(b"g")).now();
        assert_eq!(msg::decode_members(&r.payload).unwrap().len(), 2);
        // 8 dies without leaving: PROCDOWN reaches 7.
        s.disconnect(1, 8);
        let cbs1 = cbs(&mut s);
        let c = ConfChg::decode(&cbs1[0].2).unwrap();
        assert_eq!((c.left[0].pid, c.left[0].reason), (800, 5));
        let (r, cbs1) = call(&mut s, 7, msg::LEAVE, &grp(b"g"));
        assert_eq!(r.status, status::OK);
        assert_eq!(
            ConfChg::decode(&cbs1[0].2).unwrap().left[0].reason,
            2,
            "the leaver hears LEAVE"
        );
        assert_eq!(s.handle(1, 7, msg::LEAVE, &grp(b"g")).now().0.status, status::NOT_EXIST);
        assert_eq!(
            s.handle(1, 7, msg::MCAST, w.as_slice()).now().0.status,
            status::NOT_EXIST
        );
        assert!(
            s.node(1).disconnected(7).is_empty(),
            "a member that left is not PROCDOWN"
        );
    }

    /// A message ordered mid-sync is held, so that no member hears from a
    /// process before the configuration change that announces it (the
    /// multi-node tests caught merged nodes delivering first). The sync
    /// engine holds it now; moved here from the state's tests.
    #[test]
    fn joins_during_a_sync_are_reported_once_it_completes_and_mcasts_follow_them() {
        let mut s = Net::new(&[1, 2], CpgService::new);
        s.configure_ring(RingId { rep: 1, seq: 4 }, &[1, 2]);
        s.connect(1, 1, 10);
        assert_eq!(s.call(1, 1, msg::JOIN, &grp(b"g")).status, status::OK);
        // New configuration: node 1's list (and barrier) arrive, then a join
        // from node 2, a multicast, then node 2's list.
        s.start_ring(RingId { rep: 1, seq: 8 }, &[1, 2]);
        s.take_callbacks();
        s.step();
        s.step();
        let g = b"g".to_vec();
        s.multicast_at(
            0,
            2,
            CpgMsg::Join {
                group: g.clone(),
                pid: 20,
            }
            .encode(),
        );
        let mcast = CpgMsg::Mcast {
            group: g,
            pid: 20,
            data: vec![7],
        };
        s.multicast_at(1, 2, mcast.encode());
        s.step();
        s.step();
        assert!(!s.is_synced(1));
        assert!(cbs(&mut s).is_empty(), "nothing before the sync completes");
        s.run();
        let ev = cbs(&mut s);
        let [(1, msg::CONFCHG, confchg), (1, msg::DELIVER, deliver)] = &ev[..] else {
            panic!("{ev:?}")
        };
        let c = ConfChg::decode(confchg).unwrap();
        assert_eq!(
            c.joined.iter().map(|a| (a.node, a.pid, a.reason)).collect::<Vec<_>>(),
            vec![(2, 20, 1)],
            "JOIN"
        );
        let mut r = Reader::new(deliver);
        assert_eq!(r.name().unwrap(), b"g");
        assert_eq!(
            (r.u32(), r.u32()),
            (Ok(2), Ok(20)),
            "from the joined process, to conn 1 (pid 10) alone"
        );
        assert!(s.is_synced(1));
    }
}
