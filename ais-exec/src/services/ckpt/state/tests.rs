use super::*;
use crate::services::testkit;

/// One node's replica as the sync engine drives it: the checkpoints, and
/// what their deliveries and rounds produced.
struct Replica {
    state: CkptState,
    outcomes: Vec<Outcome>,
    remaps: Vec<(Uid, Uid)>,
    dropped: Vec<CkptMsg>,
    changes: Vec<Change>,
}

impl Replica {
    fn new(me: NodeId) -> Replica {
        Replica {
            state: CkptState::new(me),
            outcomes: Vec::new(),
            remaps: Vec::new(),
            dropped: Vec::new(),
            changes: Vec::new(),
        }
    }

    fn absorb(&mut self, a: Applied) {
        self.outcomes.extend(a.outcomes);
        self.remaps.extend(a.remaps);
        self.changes.extend(a.changes);
    }
}

impl std::ops::Deref for Replica {
    type Target = CkptState;
    fn deref(&self) -> &CkptState {
        &self.state
    }
}

impl std::ops::DerefMut for Replica {
    fn deref_mut(&mut self) -> &mut CkptState {
        &mut self.state
    }
}

/// The replica as a service of the shared harness (kept apart so that the
/// tests call the state's own `tick`).
mod as_service {
    use super::*;
    use crate::ipc::{AisVersion, ServiceId};
    use crate::services::contract::{Handling, Held, HostView, Output, Service};

    impl Service<u8> for Replica {
        fn id(&self) -> ServiceId {
            ServiceId::CKPT
        }
        fn version(&self) -> AisVersion {
            AisVersion::new(b'B', 2, 3)
        }
        fn disconnected(&mut self, _: u8) -> Output<u8> {
            Vec::new()
        }
        fn request(&mut self, _: u8, _: u16, _: &[u8], _: &dyn HostView) -> Handling<u8> {
            Handling::status(status::NOT_SUPPORTED)
        }
        fn delivered(&mut self, sender: NodeId, data: &[u8], now: u64) -> Output<u8> {
            let m = CkptMsg::decode(data).expect("a checkpoint message");
            let a = self.state.deliver(sender, m, now);
            self.absorb(a);
            Vec::new()
        }
        fn replicated(&self) -> bool {
            true
        }
        fn sync_init(&mut self, round: &Round<'_>) -> Vec<Vec<u8>> {
            self.state.sync_init(round)
        }
        fn sync_receive(&mut self, sender: NodeId, piece: &[u8]) {
            self.state.sync_receive(sender, piece);
        }
        fn sync_activate(&mut self, now: u64) -> Output<u8> {
            let a = self.state.sync_activate(now);
            self.absorb(a);
            Vec::new()
        }
        fn sync_abort(&mut self) -> Held {
            self.state.sync_abort();
            Held::Drop
        }
        fn held_dropped(&mut self, sender: NodeId, data: &[u8]) -> Output<u8> {
            if sender == self.state.me {
                self.dropped.push(CkptMsg::decode(data).expect("a checkpoint message"));
            }
            Vec::new()
        }
    }
}

/// A few replicas over the shared in-process cluster (the real sync engine
/// on every node, one agreed order; a node's multicast reaches the members
/// of its ring).
struct Cluster {
    kit: testkit::Cluster<Replica, u8>,
    outcomes: BTreeMap<NodeId, Vec<Outcome>>,
    remaps: BTreeMap<NodeId, Vec<(Uid, Uid)>>,
    dropped: BTreeMap<NodeId, Vec<CkptMsg>>,
    changes: BTreeMap<NodeId, Vec<Change>>,
    req: u64,
}

impl std::ops::Deref for Cluster {
    type Target = testkit::Cluster<Replica, u8>;
    fn deref(&self) -> &Self::Target {
        &self.kit
    }
}

impl std::ops::DerefMut for Cluster {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.kit
    }
}

impl Cluster {
    fn new(ids: &[NodeId]) -> Cluster {
        let mut kit = testkit::Cluster::new(ids, Replica::new);
        kit.now = 1_000;
        let mut c = Cluster {
            kit,
            outcomes: BTreeMap::new(),
            remaps: BTreeMap::new(),
            dropped: BTreeMap::new(),
            changes: BTreeMap::new(),
            req: 100,
        };
        c.configure(ids);
        c
    }

    /// A regular configuration of `members` (a new ring), without running it.
    fn start_config(&mut self, members: &[NodeId]) {
        let ring = RingId {
            rep: *members.iter().min().unwrap(),
            seq: self.kit.ring_seq() + 4,
        };
        self.kit.start_ring(ring, members);
        self.collect();
    }

    fn configure(&mut self, members: &[NodeId]) {
        self.start_config(members);
        self.run();
    }

    fn run(&mut self) {
        self.kit.run();
        self.collect();
    }

    /// Moves what each replica produced into the cluster's records.
    fn collect(&mut self) {
        for (id, r) in self.kit.nodes.iter_mut() {
            self.outcomes.entry(*id).or_default().extend(r.outcomes.drain(..));
            self.remaps.entry(*id).or_default().extend(r.remaps.drain(..));
            self.dropped.entry(*id).or_default().extend(r.dropped.drain(..));
            self.changes.entry(*id).or_default().extend(r.changes.drain(..));
        }
    }

    /// Queues `msg` from `sender` (to the members of its ring).
    fn send(&mut self, sender: NodeId, msg: CkptMsg) {
        self.kit.multicast(sender, msg.encode().unwrap());
    }

    fn next_req(&mut self) -> u64 {
        self.req += 1;
        self.req
    }

    /// Sends `msg` from `sender` to `to` (the members of its ring) and
    /// returns the sender's outcome for it.
    fn op(&mut self, sender: NodeId, to: &[NodeId], msg: CkptMsg) -> Outcome {
        let req = req_of(&msg);
        assert_eq!(self.kit.ring_of(sender), to, "node {sender}'s ring");
        self.send(sender, msg);
        self.run();
        let outs = self.outcomes.get_mut(&sender).unwrap();
        let i = outs.iter().position(|o| o.req == req).expect("an outcome");
        outs.remove(i)
    }

    fn open(&mut self, sender: NodeId, to: &[NodeId], name: &[u8], attrs: Option<CreationAttributes>) -> Outcome {
        let req = self.next_req();
        self.op(
            sender,
            to,
            CkptMsg::Open {
                req,
                name: name.to_vec(),
                attrs,
                create: attrs.is_some(),
            },
        )
    }

    fn create(&mut self, sender: NodeId, to: &[NodeId], name: &[u8], attrs: CreationAttributes) -> Uid {
        let o = self.open(sender, to, name, Some(attrs));
        assert_eq!(o.status, status::OK, "{o:?}");
        o.opened.unwrap().0
    }

    fn section(
        &mut self,
        sender: NodeId,
        to: &[NodeId],
        uid: Uid,
        id: Option<&[u8]>,
        data: &[u8],
        exp: i64,
    ) -> Outcome {
        let req = self.next_req();
        self.op(
            sender,
            to,
            CkptMsg::SectionCreate {
                req,
                uid,
                section: id.map(|s| s.to_vec()),
                expiration: exp,
                wall: 77,
                data: data.to_vec(),
            },
        )
    }

    fn write(&mut self, sender: NodeId, to: &[NodeId], uid: Uid, elems: &[(&[u8], u64, &[u8])]) -> (u32, u32) {
        let req = self.next_req();
        let o = self.op(
            sender,
            to,
            CkptMsg::Write {
                req,
                uid,
                wall: 88,
                elements: elems
                    .iter()
                    .map(|(s, off, d)| WriteElem {
                        section: s.to_vec(),
                        offset: *off,
                        data: d.to_vec(),
                    })
                    .collect(),
            },
        );
        (o.status, ErrorIndex::decode(&o.payload).unwrap().0)
    }

    fn close(&mut self, sender: NodeId, to: &[NodeId], uid: Uid) -> u32 {
        let req = self.next_req();
        self.op(sender, to, CkptMsg::Close { req, uid }).status
    }

    /// Every replica among `ids` holds the same checkpoints.
    fn assert_same(&self, ids: &[NodeId]) {
        let first = self.nodes[&ids[0]].checkpoints();
        for id in &ids[1..] {
            assert_eq!(
                self.nodes[id].checkpoints(),
                first,
                "node {id} differs from node {}",
                ids[0]
            );
            assert_eq!(self.nodes[id].names, self.nodes[&ids[0]].names);
        }
    }

    /// A section's data, read in as many responses as it takes.
    fn data(&self, node: NodeId, uid: Uid, id: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let (st, r) = self.nodes[&node].read(
                uid,
                &[ReadElement {
                    section: id.to_vec(),
                    offset: out.len() as u64,
                    size: u64::MAX,
                }],
            );
            assert_eq!(st, status::OK);
            out.extend_from_slice(&r.elements[0].data);
            if r.elements[0].more == 0 {
                return out;
            }
        }
    }
}

fn req_of(m: &CkptMsg) -> u64 {
    match m {
        CkptMsg::Open { req, .. }
        | CkptMsg::Close { req, .. }
        | CkptMsg::Unlink { req, .. }
        | CkptMsg::RetentionSet { req, .. }
        | CkptMsg::ActiveReplicaSet { req, .. }
        | CkptMsg::SectionCreate { req, .. }
        | CkptMsg::SectionDelete { req, .. }
        | CkptMsg::ExpirationSet { req, .. }
        | CkptMsg::Write { req, .. }
        | CkptMsg::Overwrite { req, .. }
        | CkptMsg::Synchronize { req, .. } => *req,
        _ => 0,
    }
}

fn attrs(max_sections: u32, max_section_size: u64) -> CreationAttributes {
    CreationAttributes {
        creation_flags: p::WR_ALL_REPLICAS,
        checkpoint_size: max_sections as u64 * max_section_size,
        retention_duration: 1_000_000,
        max_sections,
        max_section_size,
        max_section_id_size: 16,
    }
}

const ALL: &[NodeId] = &[1, 2, 3];

/// B.02.03 §3.6.1: creation attributes are checked; checkpointSize may be
/// smaller than maxSections * maxSectionSize but not larger (as openais).
#[test]
fn creation_attributes_are_checked() {
    let ok = attrs(4, 100);
    assert_eq!(check_attributes(&ok), Ok(()));
    let smaller = CreationAttributes {
        checkpoint_size: 10,
        ..ok
    };
    assert_eq!(check_attributes(&smaller), Ok(()));
    for bad in [
        CreationAttributes {
            checkpoint_size: 401,
            ..ok
        },
        CreationAttributes { max_sections: 0, ..ok },
        CreationAttributes {
            creation_flags: 0,
            ..ok
        },
        CreationAttributes {
            creation_flags: p::WR_ALL_REPLICAS | p::WR_ACTIVE_REPLICA,
            ..ok
        },
        CreationAttributes {
            creation_flags: p::WR_ACTIVE_REPLICA | 0x100,
            ..ok
        },
        CreationAttributes {
            retention_duration: -1,
            ..ok
        },
    ] {
        assert_eq!(check_attributes(&bad), Err(status::INVALID_PARAM), "{bad:?}");
    }
    // u32 * u64 does not overflow the check.
    let huge = CreationAttributes {
        max_sections: u32::MAX,
        max_section_size: u64::MAX,
        checkpoint_size: u64::MAX,
        ..ok
    };
    assert_eq!(check_attributes(&huge), Ok(()));
}

/// saCkptCheckpointOpen: NOT_EXIST without CREATE, EXIST with CREATE and
/// other attributes (the retention duration aside, as openais compares),
/// references counted per node on every replica.
#[test]
fn open_create_exist_and_not_exist() {
    let mut c = Cluster::new(ALL);
    assert_eq!(c.open(2, ALL, b"a", None).status, status::NOT_EXIST);
    let uid = c.create(1, ALL, b"a", attrs(2, 10));
    assert_eq!(uid.node, 1);
    let o = c.open(2, ALL, b"a", None);
    assert_eq!((o.status, o.opened.map(|x| x.0)), (status::OK, Some(uid)));
    let same_but_retention = CreationAttributes {
        retention_duration: 5,
        ..attrs(2, 10)
    };
    assert_eq!(c.open(3, ALL, b"a", Some(same_but_retention)).status, status::OK);
    assert_eq!(c.open(3, ALL, b"a", Some(attrs(3, 10))).status, status::EXIST);
    for id in ALL {
        let ck = c.nodes[id].checkpoint(uid).unwrap();
        assert_eq!(ck.refs, BTreeMap::from([(1, 1), (2, 1), (3, 1)]));
        assert_eq!(ck.attrs.retention_duration, 1_000_000, "an open does not change it");
    }
    c.assert_same(ALL);
}

/// B.02.03 §3.4.1: with maxSections 1 the default section exists from the
/// start and no other can be created (EXIST, as openais).
#[test]
fn default_section_when_max_sections_is_one() {
    let mut c = Cluster::new(ALL);
    let uid = c.create(1, ALL, b"d", attrs(1, 10));
    assert_eq!(
        c.section(1, ALL, uid, Some(b"x"), b"", p::TIME_END).status,
        status::EXIST
    );
    assert_eq!(c.write(2, ALL, uid, &[(b"", 0, b"hello")]), (status::OK, 0));
    assert_eq!(c.data(3, uid, b""), b"hello");
    let req = c.next_req();
    let o = c.op(
        1,
        ALL,
        CkptMsg::SectionDelete {
            req,
            uid,
            section: vec![],
        },
    );
    assert_eq!(o.status, status::INVALID_PARAM, "the default section can't be deleted");
    let st = c.nodes[&2].status(uid).unwrap();
    assert_eq!((st.number_of_sections, st.memory_used), (1, 5));
    c.assert_same(ALL);
}

/// saCkptSectionCreate's errors (openais order) and generated ids, unique
/// and the same on every replica.
#[test]
fn section_create_errors_and_generated_ids() {
    let mut c = Cluster::new(ALL);
    let a = CreationAttributes {
        checkpoint_size: 25,
        max_section_id_size: 3,
        ..attrs(4, 10)
    };
    let uid = c.create(1, ALL, b"s", a);
    assert_eq!(
        c.section(1, ALL, uid, Some(b"abcd"), b"", p::TIME_END).status,
        status::INVALID_PARAM
    );
    assert_eq!(
        c.section(1, ALL, uid, Some(b"a"), &[0; 11], p::TIME_END).status,
        status::INVALID_PARAM,
        "initial data over maxSectionSize"
    );
    assert_eq!(
        c.section(1, ALL, uid, Some(b""), b"", p::TIME_END).status,
        status::INVALID_PARAM
    );
    let o = c.section(2, ALL, uid, Some(b"a"), b"0123456789", p::TIME_END);
    assert_eq!(SectionIdReply::decode(&o.payload).unwrap().section, b"a");
    assert_eq!(
        c.section(1, ALL, uid, Some(b"a"), b"", p::TIME_END).status,
        status::EXIST
    );
    // Generated ids: "1", then "2" ("1" taken by the user is skipped).
    assert_eq!(c.section(3, ALL, uid, Some(b"1"), b"", p::TIME_END).status, status::OK);
    let g = c.section(1, ALL, uid, None, b"0123456789", p::TIME_END);
    assert_eq!(SectionIdReply::decode(&g.payload).unwrap().section, b"2");
    assert_eq!(
        c.section(1, ALL, uid, None, b"012345", p::TIME_END).status,
        p::ERR_NO_SPACE,
        "25 bytes of checkpointSize"
    );
    let g = c.section(2, ALL, uid, None, b"", p::TIME_END);
    assert_eq!(SectionIdReply::decode(&g.payload).unwrap().section, b"4");
    assert_eq!(
        c.section(1, ALL, uid, Some(b"z"), b"", p::TIME_END).status,
        p::ERR_NO_SPACE,
        "maxSections 4"
    );
    c.assert_same(ALL);
}

/// saCkptCheckpointWrite: all or nothing, the erroneous index names the
/// first element at fault (NOT_EXIST for a missing section, INVALID_PARAM past
/// maxSectionSize, NO_SPACE past checkpointSize); a gap reads as zeros.
#[test]
fn vectored_write_is_atomic_and_names_the_erroneous_element() {
    let mut c = Cluster::new(ALL);
    let a = CreationAttributes {
        checkpoint_size: 30,
        ..attrs(4, 20)
    };
    let uid = c.create(1, ALL, b"w", a);
    c.section(1, ALL, uid, Some(b"a"), b"", p::TIME_END);
    c.section(1, ALL, uid, Some(b"b"), b"", p::TIME_END);
    assert_eq!(
        c.write(2, ALL, uid, &[(b"a", 0, b"xx"), (b"nope", 0, b"y")]),
        (status::NOT_EXIST, 1)
    );
    assert_eq!(
        c.write(2, ALL, uid, &[(b"a", 15, b"123456")]),
        (status::INVALID_PARAM, 0)
    );
    assert_eq!(
        c.write(2, ALL, uid, &[(b"a", u64::MAX, b"1")]),
        (status::INVALID_PARAM, 0)
    );
    assert_eq!(
        c.write(
            2,
            ALL,
            uid,
            &[(b"a", 0, &[1; 20]), (b"b", 0, &[2; 10]), (b"b", 10, b"z")]
        ),
        (p::ERR_NO_SPACE, 2)
    );
    assert!(c.data(3, uid, b"a").is_empty(), "nothing of a failed write is applied");
    assert_eq!(
        c.write(2, ALL, uid, &[(b"a", 3, b"cd"), (b"a", 0, b"ab")]),
        (status::OK, 0)
    );
    assert_eq!(c.data(1, uid, b"a"), b"ab\0cd");
    let req = c.next_req();
    let o = c.op(
        3,
        ALL,
        CkptMsg::Overwrite {
            req,
            uid,
            wall: 9,
            section: b"a".to_vec(),
            data: b"new".to_vec(),
        },
    );
    assert_eq!(o.status, status::OK);
    assert_eq!(c.data(2, uid, b"a"), b"new");
    assert_eq!(
        c.nodes[&2].checkpoint(uid).unwrap().sections[&b"a".to_vec()].last_update,
        9
    );
    c.assert_same(ALL);
}

/// saCkptCheckpointRead: readSize is what was read; an offset at the end
/// reads nothing, past it is INVALID_PARAM; a missing section NOT_EXIST with
/// its index; what does not fit the response is counted in `more`.
#[test]
fn reads_from_the_local_replica() {
    let mut c = Cluster::new(ALL);
    let big = (2 << 20) as u64;
    let uid = c.create(1, ALL, b"r", attrs(3, big));
    c.section(1, ALL, uid, Some(b"a"), b"hello", p::TIME_END);
    let el = |s: &[u8], offset, size| ReadElement {
        section: s.to_vec(),
        offset,
        size,
    };
    let n = &c.nodes[&3];
    let (st, r) = n.read(uid, &[el(b"a", 1, 3), el(b"a", 5, 10), el(b"a", 2, u64::MAX)]);
    assert_eq!(st, status::OK);
    let got: Vec<&[u8]> = r.elements.iter().map(|e| e.data.as_slice()).collect();
    assert_eq!(got, [&b"ell"[..], b"", b"llo"]);
    assert_eq!(n.read(uid, &[el(b"a", 0, 1), el(b"a", 6, 1)]).0, status::INVALID_PARAM);
    assert_eq!(n.read(uid, &[el(b"a", 0, 1), el(b"a", 6, 1)]).1.erroneous_index, 1);
    assert_eq!(n.read(uid, &[el(b"zz", 0, 1)]).0, status::NOT_EXIST);
    assert_eq!(n.read(uid, &[el(b"a", 0, big + 1)]).0, status::INVALID_PARAM);
    // A section larger than one response: the rest is counted in `more`.
    let chunk = vec![7u8; p::MAX_UPDATE_PAYLOAD - 100];
    c.section(1, ALL, uid, Some(b"big"), &chunk, p::TIME_END);
    c.write(1, ALL, uid, &[(b"big", chunk.len() as u64, &chunk)]);
    let (st, r) = c.nodes[&2].read(uid, &[el(b"big", 0, u64::MAX)]);
    assert_eq!(st, status::OK);
    let e = &r.elements[0];
    assert!(e.data.len() < 2 * chunk.len() && e.more > 0);
    assert_eq!(e.data.len() as u64 + e.more, 2 * chunk.len() as u64);
    assert!(r.encode().unwrap().len() <= p::MAX_READ_REPLY);
}

/// saCkptSectionIterationInitialize with every SaCkptSectionsChosenT.
#[test]
fn iteration_filters() {
    let mut c = Cluster::new(ALL);
    let uid = c.create(1, ALL, b"i", attrs(8, 10));
    c.section(1, ALL, uid, Some(b"f"), b"", p::TIME_END);
    c.section(1, ALL, uid, Some(b"t10"), b"", 10);
    c.section(1, ALL, uid, Some(b"t20"), b"", 20);
    let ids = |chosen, t| -> Vec<Vec<u8>> {
        c.nodes[&2]
            .iterate(uid, chosen, t, None)
            .unwrap()
            .sections
            .into_iter()
            .map(|d| d.section)
            .collect()
    };
    let v = |s: &[&[u8]]| s.iter().map(|x| x.to_vec()).collect::<Vec<_>>();
    assert_eq!(ids(p::SECTIONS_ANY, 0), v(&[b"f", b"t10", b"t20"]));
    assert_eq!(ids(p::SECTIONS_FOREVER, 0), v(&[b"f"]));
    assert_eq!(ids(p::SECTIONS_LEQ_EXPIRATION_TIME, 10), v(&[b"t10"]));
    assert_eq!(ids(p::SECTIONS_GEQ_EXPIRATION_TIME, 11), v(&[b"f", b"t20"]));
    assert_eq!(ids(p::SECTIONS_CORRUPTED, 0), Vec::<Vec<u8>>::new());
    assert_eq!(c.nodes[&2].iterate(uid, 0, 0, None), Err(status::INVALID_PARAM));
    assert_eq!(c.nodes[&2].iterate(uid, 6, 0, None), Err(status::INVALID_PARAM));
    let after = c.nodes[&2].iterate(uid, p::SECTIONS_ANY, 0, Some(b"f")).unwrap();
    assert_eq!(after.sections.len(), 2);
    assert!(after.complete);
}

/// saCkptCheckpointUnlink frees the name at once; the data lives until the
/// last close, then is deleted on every node.
#[test]
fn unlink_frees_the_name_and_the_last_close_deletes() {
    let mut c = Cluster::new(ALL);
    let old = c.create(1, ALL, b"u", attrs(2, 10));
    c.open(2, ALL, b"u", None);
    let req = c.next_req();
    let o = c.op(
        3,
        ALL,
        CkptMsg::Unlink {
            req,
            name: b"u".to_vec(),
        },
    );
    assert_eq!(o.status, status::OK);
    let req = c.next_req();
    let o = c.op(
        3,
        ALL,
        CkptMsg::Unlink {
            req,
            name: b"u".to_vec(),
        },
    );
    assert_eq!(o.status, status::NOT_EXIST);
    assert_eq!(c.open(3, ALL, b"u", None).status, status::NOT_EXIST);
    let new = c.create(3, ALL, b"u", attrs(5, 5));
    assert_ne!(new, old);
    // The unlinked one refuses a retention change (BAD_OPERATION).
    let req = c.next_req();
    let o = c.op(
        1,
        ALL,
        CkptMsg::RetentionSet {
            req,
            uid: old,
            duration: 1,
        },
    );
    assert_eq!(o.status, p::ERR_BAD_OPERATION);
    assert_eq!(c.close(1, ALL, old), status::OK);
    assert!(c.nodes[&3].checkpoint(old).is_some());
    assert_eq!(c.close(2, ALL, old), status::OK);
    for id in ALL {
        assert!(c.nodes[id].checkpoint(old).is_none());
        assert_eq!(c.nodes[id].by_name(b"u"), Some(new));
    }
    c.assert_same(ALL);
}

/// The retention duration runs after the last close; the lowest node asks
/// for the deletion and every node applies it; a re-open in between cancels it.
#[test]
fn retention_deletes_cluster_wide_unless_reopened() {
    let mut c = Cluster::new(ALL);
    let uid = c.create(2, ALL, b"ret", attrs(2, 10));
    c.close(2, ALL, uid);
    assert!(
        {
            let now = c.now;
            c.nodes.get_mut(&1).unwrap().tick(now + 999_999, 0)
        }
        .is_empty(),
        "not yet"
    );
    assert!(
        {
            let now = c.now;
            c.nodes.get_mut(&2).unwrap().tick(now + 5_000_000, 0)
        }
        .is_empty(),
        "only the lowest node asks"
    );
    let asked = {
        let now = c.now;
        c.nodes.get_mut(&1).unwrap().tick(now + 1_000_000, 0)
    };
    assert_eq!(asked.len(), 1);
    assert!(
        {
            let now = c.now;
            c.nodes.get_mut(&1).unwrap().tick(now + 2_000_000, 0)
        }
        .is_empty(),
        "asked once"
    );
    // Re-opened before the expiry is ordered: the expiry is void.
    c.open(3, ALL, b"ret", None);
    c.send(1, asked[0].clone());
    c.run();
    assert!(c.nodes[&2].checkpoint(uid).is_some());
    c.close(3, ALL, uid);
    assert_eq!(c.nodes[&1].next_deadline(c.now, 0), Some(c.now + 1_000_000));
    let asked = {
        let now = c.now;
        c.nodes.get_mut(&1).unwrap().tick(now + 1_000_000, 0)
    };
    for m in asked {
        c.send(1, m);
    }
    c.run();
    for id in ALL {
        assert!(c.nodes[id].checkpoint(uid).is_none());
        assert!(c.nodes[id].by_name(b"ret").is_none());
    }
}

/// A section whose expiration time has passed is deleted on every node.
#[test]
fn expired_sections_are_deleted_cluster_wide() {
    let mut c = Cluster::new(ALL);
    let uid = c.create(1, ALL, b"e", attrs(4, 10));
    c.section(1, ALL, uid, Some(b"soon"), b"x", 500);
    c.section(1, ALL, uid, Some(b"later"), b"y", 900);
    let req = c.next_req();
    c.op(
        2,
        ALL,
        CkptMsg::ExpirationSet {
            req,
            uid,
            section: b"later".to_vec(),
            expiration: p::TIME_END,
        },
    );
    assert_eq!(c.nodes[&1].next_deadline(0, 400), Some(100));
    // Node 2 describes its changes (a client tracks there), node 1 does not.
    c.nodes.get_mut(&2).unwrap().report_changes(true);
    let asked = c.nodes.get_mut(&1).unwrap().tick(0, 600);
    assert_eq!(asked.len(), 1);
    for m in asked {
        c.send(1, m);
    }
    c.run();
    for id in ALL {
        let ck = c.nodes[id].checkpoint(uid).unwrap();
        assert_eq!(ck.sections.keys().cloned().collect::<Vec<_>>(), vec![b"later".to_vec()]);
    }
    assert_eq!(c.nodes[&1].next_deadline(0, 10_000), None);
    c.assert_same(ALL);
    let deleted = Change {
        uid,
        elements: vec![TrackElement {
            section: b"soon".to_vec(),
            offset: 0,
            size: 0,
        }],
    };
    assert_eq!(c.changes[&2], vec![deleted]);
    assert!(c.changes[&1].is_empty());
}

/// A node that joins receives every checkpoint (large sections in chunks
/// under Totem's limit) before it answers; changes ordered meanwhile are
/// held and applied after, in order, on every node.
#[test]
fn a_joining_node_receives_every_checkpoint() {
    let mut c = Cluster::new(&[1, 2]);
    c.add_node(3, Replica::new(3));
    c.configure(&[3]);
    let uid = c.create(1, &[1, 2], b"big", attrs(2, 4 << 20));
    let blob: Vec<u8> = (0..(2 * (768 << 10) + 17)).map(|i| (i % 251) as u8).collect();
    c.section(
        1,
        &[1, 2],
        uid,
        Some(b"s"),
        &blob[..p::MAX_UPDATE_PAYLOAD - 200],
        p::TIME_END,
    );
    let rest = &blob[p::MAX_UPDATE_PAYLOAD - 200..];
    assert_eq!(
        c.write(2, &[1, 2], uid, &[(b"s", (p::MAX_UPDATE_PAYLOAD - 200) as u64, rest)]),
        (status::OK, 0)
    );
    c.close(1, &[1, 2], uid);
    let other = c.create(2, &[1, 2], b"small", attrs(1, 8));
    c.start_config(&[1, 2, 3]);
    // Deliver the first pieces, then a change ordered mid-sync, then the rest.
    for _ in 0..3 {
        c.step();
    }
    assert!(!c.nodes[&3].is_synced());
    assert!(c.queued_lens().iter().all(|&n| n < 1 << 20));
    let held = CkptMsg::Write {
        req: 9999,
        uid: other,
        wall: 1,
        elements: vec![WriteElem {
            section: vec![],
            offset: 0,
            data: b"held".to_vec(),
        }],
    };
    c.multicast_at(0, 2, held.encode().unwrap());
    c.run();
    for id in ALL {
        assert!(c.nodes[id].is_synced());
    }
    c.assert_same(ALL);
    assert!(c.data(3, uid, b"s") == blob, "the large section arrived whole");
    assert_eq!(c.data(3, other, b""), b"held");
    assert!(c.outcomes[&2].iter().any(|o| o.req == 9999 && o.status == status::OK));
    assert_eq!(c.nodes[&3].checkpoint(other).unwrap().refs, BTreeMap::from([(2, 1)]));
}

/// After a partition heals (saCkpt(3), PARTITIONS): a checkpoint changed
/// as often on both sides keeps the copy of the side whose old ring had the
/// lowest representative; checkpoints present on one side only are kept;
/// references to a copy that lost go to the winner of the same name.
#[test]
fn merge_after_a_partition_keeps_the_lowest_ring_copy_on_a_tie_and_one_sided_checkpoints() {
    let mut c = Cluster::new(ALL);
    let shared = c.create(1, ALL, b"shared", attrs(1, 16));
    c.write(1, ALL, shared, &[(b"", 0, b"before")]);
    c.configure(&[1, 2]);
    c.configure(&[3]);
    // Both sides change the shared checkpoint; each creates one of its own;
    // both create one of the same name independently.
    c.write(2, &[1, 2], shared, &[(b"", 0, b"left!!")]);
    c.write(3, &[3], shared, &[(b"", 0, b"right!")]);
    let left = c.create(1, &[1, 2], b"left-only", attrs(1, 4));
    let right = c.create(3, &[3], b"right-only", attrs(1, 4));
    let dup_left = c.create(2, &[1, 2], b"dup", attrs(1, 4));
    let dup_right = c.create(3, &[3], b"dup", attrs(1, 4));
    c.write(2, &[1, 2], dup_left, &[(b"", 0, b"L")]);
    c.write(3, &[3], dup_right, &[(b"", 0, b"R")]);
    c.configure(ALL);
    c.assert_same(ALL);
    for id in ALL {
        let n = &c.nodes[id];
        assert!(n.checkpoint(left).is_some() && n.checkpoint(right).is_some());
        assert_eq!(n.by_name(b"dup"), Some(dup_left));
        assert!(n.checkpoint(dup_right).is_none());
    }
    assert_eq!(c.data(3, shared, b""), b"left!!");
    // Node 3's reference to its own "dup" now counts on the winner.
    assert_eq!(c.remaps[&3], vec![(dup_right, dup_left)]);
    assert_eq!(
        c.nodes[&1].checkpoint(dup_left).unwrap().refs,
        BTreeMap::from([(2, 1), (3, 1)])
    );
    assert_eq!(
        c.nodes[&1].checkpoint(shared).unwrap().refs,
        BTreeMap::from([(1, 1)]),
        "counted afresh from each node's own references"
    );
}

/// A node that leaves the ring has its references dropped on every remaining
/// node; an unlinked checkpoint it alone held is deleted, a linked one starts
/// its retention.
#[test]
fn a_node_failure_drops_its_references() {
    let mut c = Cluster::new(ALL);
    let kept = c.create(3, ALL, b"kept", attrs(1, 4));
    let gone = c.create(3, ALL, b"gone", attrs(1, 4));
    c.open(1, ALL, b"kept", None);
    let req = c.next_req();
    c.op(
        1,
        ALL,
        CkptMsg::Unlink {
            req,
            name: b"gone".to_vec(),
        },
    );
    c.close(1, ALL, kept);
    c.configure(&[1, 2]);
    for id in [1, 2] {
        let n = &c.nodes[&id];
        assert!(n.checkpoint(gone).is_none());
        assert!(n.checkpoint(kept).unwrap().refs.is_empty());
    }
    c.assert_same(&[1, 2]);
    assert_eq!(c.nodes[&1].next_deadline(c.now, 0), Some(c.now + 1_000_000));
}

/// A synchronisation cut short by another configuration change discards the
/// changes it held, on every node; each sender is told which of its own.
#[test]
fn an_interrupted_sync_discards_held_changes() {
    let mut c = Cluster::new(&[1, 2]);
    let uid = c.create(1, &[1, 2], b"x", attrs(1, 8));
    c.start_config(&[1, 2]);
    // Each node's round: its references, then its barrier.
    assert_eq!(c.queued_lens().len(), 4);
    let write = CkptMsg::Write {
        req: 5,
        uid,
        wall: 1,
        elements: vec![WriteElem {
            section: vec![],
            offset: 0,
            data: b"lost".to_vec(),
        }],
    };
    c.send(2, write);
    // Only node 1's part of the round and the write get through.
    c.step();
    c.step();
    c.lose_next();
    c.lose_next();
    c.step();
    c.collect();
    c.configure(&[1, 2]);
    assert!(c.data(1, uid, b"").is_empty());
    assert_eq!(c.dropped[&2].len(), 1);
    assert!(c.dropped[&1].is_empty());
    c.assert_same(&[1, 2]);
}

/// A collocated checkpoint of an asynchronous option has no active replica
/// until saCkptActiveReplicaSet (NOT_EXIST meanwhile, as openais);
/// ActiveReplicaSet on another is BAD_OPERATION; Synchronize is BAD_OPERATION
/// for WR_ALL_REPLICAS.
#[test]
fn active_replica_and_synchronize() {
    let mut c = Cluster::new(ALL);
    let col = CreationAttributes {
        creation_flags: p::WR_ACTIVE_REPLICA | p::CHECKPOINT_COLLOCATED,
        ..attrs(1, 8)
    };
    let uid = c.create(1, ALL, b"col", col);
    assert_eq!(c.write(1, ALL, uid, &[(b"", 0, b"x")]).0, status::NOT_EXIST);
    assert_eq!(c.nodes[&2].status(uid), Err(status::NOT_EXIST));
    assert_eq!(sync_status(c.nodes[&2].checkpoint(uid).unwrap()), status::NOT_EXIST);
    let req = c.next_req();
    assert_eq!(c.op(2, ALL, CkptMsg::ActiveReplicaSet { req, uid }).status, status::OK);
    assert_eq!(c.write(1, ALL, uid, &[(b"", 0, b"x")]).0, status::OK);
    let req = c.next_req();
    assert_eq!(c.op(3, ALL, CkptMsg::Synchronize { req, uid }).status, status::OK);
    let all = c.create(1, ALL, b"all", attrs(1, 8));
    let req = c.next_req();
    assert_eq!(
        c.op(2, ALL, CkptMsg::ActiveReplicaSet { req, uid: all }).status,
        p::ERR_BAD_OPERATION
    );
    let req = c.next_req();
    assert_eq!(
        c.op(2, ALL, CkptMsg::Synchronize { req, uid: all }).status,
        p::ERR_BAD_OPERATION
    );
    c.assert_same(ALL);
}

/// Random section operations against a simple model (a map of sections):
/// create, delete, write, overwrite, expiration, read and iteration agree,
/// and two replicas fed the same messages stay equal.
#[test]
fn sections_and_iteration_match_a_model() {
    #[derive(Clone, Debug, PartialEq)]
    struct M {
        data: Vec<u8>,
        exp: i64,
    }
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..30 {
        let mut c = Cluster::new(&[1, 2]);
        let a = CreationAttributes {
            checkpoint_size: 200,
            max_section_id_size: 2,
            ..attrs(6, 40)
        };
        let uid = c.create(1, &[1, 2], b"m", a);
        let mut model: BTreeMap<Vec<u8>, M> = BTreeMap::new();
        let used = |m: &BTreeMap<Vec<u8>, M>| m.values().map(|s| s.data.len() as u64).sum::<u64>();
        for step in 0..150 {
            let id = vec![b'a' + rnd(8) as u8];
            let exp = [10, 20, 30, p::TIME_END][rnd(4) as usize];
            let data: Vec<u8> = (0..rnd(45)).map(|_| rnd(256) as u8).collect();
            let req = c.next_req();
            let ctx = format!("round {round} step {step}");
            match rnd(6) {
                0 => {
                    let want = if model.contains_key(&id) {
                        status::EXIST
                    } else if model.len() >= 6 {
                        p::ERR_NO_SPACE
                    } else if data.len() > 40 {
                        status::INVALID_PARAM
                    } else if used(&model) + data.len() as u64 > 200 {
                        p::ERR_NO_SPACE
                    } else {
                        status::OK
                    };
                    // openais order: NO_SPACE (full) first, then data size, then EXIST.
                    let want = if model.len() >= 6 {
                        p::ERR_NO_SPACE
                    } else if data.len() > 40 {
                        status::INVALID_PARAM
                    } else {
                        want
                    };
                    let o = c.op(
                        1,
                        &[1, 2],
                        CkptMsg::SectionCreate {
                            req,
                            uid,
                            section: Some(id.clone()),
                            expiration: exp,
                            wall: 0,
                            data: data.clone(),
                        },
                    );
                    assert_eq!(o.status, want, "{ctx}: create");
                    if want == status::OK {
                        model.insert(id, M { data, exp });
                    }
                }
                1 => {
                    let o = c.op(
                        2,
                        &[1, 2],
                        CkptMsg::SectionDelete {
                            req,
                            uid,
                            section: id.clone(),
                        },
                    );
                    let want = if model.remove(&id).is_some() {
                        status::OK
                    } else {
                        status::NOT_EXIST
                    };
                    assert_eq!(o.status, want, "{ctx}: delete");
                }
                2 => {
                    let off = rnd(30);
                    let (st, _) = c.write(1, &[1, 2], uid, &[(&id, off, &data)]);
                    let want = match model.get(&id) {
                        None => status::NOT_EXIST,
                        Some(_) if off + data.len() as u64 > 40 => status::INVALID_PARAM,
                        Some(s) => {
                            let grow = (off + data.len() as u64).saturating_sub(s.data.len() as u64);
                            if used(&model) + grow > 200 {
                                p::ERR_NO_SPACE
                            } else {
                                status::OK
                            }
                        }
                    };
                    assert_eq!(st, want, "{ctx}: write");
                    if want == status::OK {
                        let s = model.get_mut(&id).unwrap();
                        let end = off as usize + data.len();
                        if end > s.data.len() {
                            s.data.resize(end, 0);
                        }
                        s.data[off as usize..end].copy_from_slice(&data);
                    }
                }
                3 => {
                    let o = c.op(
                        2,
                        &[1, 2],
                        CkptMsg::Overwrite {
                            req,
                            uid,
                            wall: 0,
                            section: id.clone(),
                            data: data.clone(),
                        },
                    );
                    let want = match model.get(&id) {
                        None => status::NOT_EXIST,
                        Some(_) if data.len() > 40 => status::INVALID_PARAM,
                        Some(s) if used(&model) - s.data.len() as u64 + data.len() as u64 > 200 => p::ERR_NO_SPACE,
                        Some(_) => status::OK,
                    };
                    assert_eq!(o.status, want, "{ctx}: overwrite");
                    if want == status::OK {
                        model.get_mut(&id).unwrap().data = data;
                    }
                }
                4 => {
                    let o = c.op(
                        1,
                        &[1, 2],
                        CkptMsg::ExpirationSet {
                            req,
                            uid,
                            section: id.clone(),
                            expiration: exp,
                        },
                    );
                    let want = match model.get_mut(&id) {
                        None => status::NOT_EXIST,
                        Some(s) => {
                            s.exp = exp;
                            status::OK
                        }
                    };
                    assert_eq!(o.status, want, "{ctx}: expiration");
                }
                _ => {
                    let chosen = 1 + rnd(5) as u32;
                    let t = [5, 10, 20, 25, 30, p::TIME_END][rnd(6) as usize];
                    let page = c.nodes[&2].iterate(uid, chosen, t, None).unwrap();
                    let want: Vec<(Vec<u8>, u64, i64)> = model
                        .iter()
                        .filter(|(_, s)| match chosen {
                            p::SECTIONS_FOREVER => s.exp == p::TIME_END,
                            p::SECTIONS_LEQ_EXPIRATION_TIME => s.exp <= t,
                            p::SECTIONS_GEQ_EXPIRATION_TIME => s.exp >= t,
                            p::SECTIONS_CORRUPTED => false,
                            _ => true,
                        })
                        .map(|(k, s)| (k.clone(), s.data.len() as u64, s.exp))
                        .collect();
                    let got: Vec<(Vec<u8>, u64, i64)> = page
                        .sections
                        .iter()
                        .map(|d| (d.section.clone(), d.section_size, d.expiration_time))
                        .collect();
                    assert_eq!(got, want, "{ctx}: iterate {chosen} {t}");
                }
            }
            for (k, s) in &model {
                assert_eq!(&c.data(1, uid, k), &s.data, "{ctx}: read {k:?}");
            }
            let st = c.nodes[&1].status(uid).unwrap();
            assert_eq!(
                (st.number_of_sections as usize, st.memory_used),
                (model.len(), used(&model))
            );
        }
        c.assert_same(&[1, 2]);
    }
}

/// saCkpt(3), PARTITIONS: every applied change counts on every replica of a
/// checkpoint; at a merge the copy with more changes wins, whichever side
/// it comes from, so a checkpoint changed on one side only keeps that
/// side's changes (an acknowledged write is not lost to a side that did not
/// touch the checkpoint).
#[test]
fn merge_keeps_the_copy_with_more_changes() {
    let mut c = Cluster::new(ALL);
    let one_sided = c.create(1, ALL, b"one-sided", attrs(1, 16));
    let both = c.create(1, ALL, b"both", attrs(1, 16));
    c.write(1, ALL, one_sided, &[(b"", 0, b"before")]);
    let counted = c.nodes[&1].checkpoint(one_sided).unwrap().changes;
    assert_eq!(counted, 2, "the creation and one write");
    c.configure(&[1, 2]);
    c.configure(&[3]);
    // Only the side of node 3 (the higher representative) changes it.
    c.write(3, &[3], one_sided, &[(b"", 0, b"right!")]);
    // Both change this one, the right side twice.
    c.write(1, &[1, 2], both, &[(b"", 0, b"L")]);
    c.write(3, &[3], both, &[(b"", 0, b"R")]);
    c.write(3, &[3], both, &[(b"", 0, b"RR")]);
    // Created on both sides: the right one changed more.
    let dup_left = c.create(2, &[1, 2], b"dup", attrs(1, 4));
    let dup_right = c.create(3, &[3], b"dup", attrs(1, 4));
    c.write(3, &[3], dup_right, &[(b"", 0, b"R")]);
    c.configure(ALL);
    c.assert_same(ALL);
    for id in ALL {
        assert_eq!(c.data(*id, one_sided, b""), b"right!");
        assert_eq!(c.data(*id, both, b""), b"RR");
        assert_eq!(c.nodes[id].by_name(b"dup"), Some(dup_right));
        assert!(c.nodes[id].checkpoint(dup_left).is_none());
    }
    assert_eq!(c.nodes[&2].checkpoint(one_sided).unwrap().changes, counted + 1);
    // Every node reports the copies that lost, with what decided it.
    let losses = c.nodes.get_mut(&1).unwrap().take_losses();
    let lost: Vec<(&[u8], u64, u64)> = losses
        .iter()
        .map(|l| (l.name.as_slice(), l.winner.changes, l.loser.changes))
        .collect();
    assert_eq!(
        lost,
        vec![(&b"one-sided"[..], 3, 2), (&b"both"[..], 3, 2), (&b"dup"[..], 2, 1)]
    );
    assert!(losses
        .iter()
        .all(|l| l.winner.members == [3] && l.loser.members == [1, 2]));
    // Node 2's reference to its own "dup" now counts on the winner; every
    // node's references come from that node.
    assert_eq!(c.remaps[&2], vec![(dup_left, dup_right)]);
    assert_eq!(
        c.nodes[&1].checkpoint(dup_right).unwrap().refs,
        BTreeMap::from([(2, 1), (3, 1)])
    );
}

/// A round cut short makes its members sides of their own: each sends its
/// checkpoints at the next round, so members that came back from a
/// partition whose round never completed still merge alike.
#[test]
fn a_round_cut_short_by_a_partition_still_merges_alike() {
    let mut c = Cluster::new(ALL);
    let uid = c.create(1, ALL, b"x", attrs(1, 16));
    c.configure(&[3]);
    c.write(3, &[3], uid, &[(b"", 0, b"three")]);
    // Nodes 1 and 2 start a ring of their own, cut short at once.
    c.start_config(&[1, 2]);
    c.configure(ALL);
    c.assert_same(ALL);
    assert_eq!(c.data(1, uid, b""), b"three");
}
