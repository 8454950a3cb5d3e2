use super::*;
use std::collections::{BTreeMap, VecDeque};

type Svc = CkptService<u8, u32>;

/// Two executives (nodes 1 and 2) with Totem's agreed order as one queue.
/// Responders are numbers; the replies they get are collected.
struct Net {
    svcs: BTreeMap<NodeId, Svc>,
    queue: VecDeque<(NodeId, Vec<u8>)>,
    replies: BTreeMap<u32, Reply>,
    callbacks: Vec<(NodeId, u8, u16, u32, Vec<u8>)>,
    next_token: u32,
}

impl Net {
    fn new() -> Net {
        let mut n = Net {
            svcs: [1, 2].into_iter().map(|id| (id, Svc::new(id))).collect(),
            queue: VecDeque::new(),
            replies: BTreeMap::new(),
            callbacks: Vec::new(),
            next_token: 0,
        };
        for s in n.svcs.values_mut() {
            s.set_wall_clock(|| 1_000);
        }
        let ring = RingId { rep: 1, seq: 4 };
        for id in [1, 2] {
            let out = n.svcs.get_mut(&id).unwrap().configuration(ring, &[1, 2], 0);
            n.take(id, out);
        }
        n.run();
        n
    }

    fn take(&mut self, node: NodeId, out: Output<u8, u32>) {
        for e in out.effects {
            self.effect(node, e);
        }
        for (t, r) in out.replies {
            self.replies.insert(t, r);
        }
    }

    fn effect(&mut self, node: NodeId, e: Effect<u8>) {
        match e {
            Effect::Multicast(d) => self.queue.push_back((node, d)),
            Effect::Callback {
                conn,
                msg,
                status,
                payload,
            } => self.callbacks.push((node, conn, msg, status, payload)),
        }
    }

    fn run(&mut self) {
        while let Some((sender, d)) = self.queue.pop_front() {
            for id in [1, 2] {
                let out = self.svcs.get_mut(&id).unwrap().delivered(sender, &d, 0);
                self.take(id, out);
            }
        }
    }

    /// A request from `conn` on `node`, run to its reply.
    fn call(&mut self, node: NodeId, conn: u8, msg: u16, payload: &[u8]) -> Reply {
        match self.svcs.get_mut(&node).unwrap().request(conn, msg, payload) {
            Handling::Reply(r, fx) => {
                for e in fx {
                    self.effect(node, e);
                }
                self.run();
                r
            }
            Handling::Multicast { data, req, accepted } => {
                self.queue.push_back((node, data));
                self.next_token += 1;
                let t = self.next_token;
                let svc = self.svcs.get_mut(&node).unwrap();
                match accepted {
                    Some(r) => {
                        svc.submitted(req, None);
                        self.run();
                        r
                    }
                    None => {
                        svc.submitted(req, Some(t));
                        self.run();
                        self.replies.remove(&t).expect("a reply once delivered")
                    }
                }
            }
        }
    }

    fn open(&mut self, node: NodeId, conn: u8, name: &[u8], attrs: Option<p::CreationAttributes>) -> (u32, u64) {
        let flags = p::OPEN_READ | p::OPEN_WRITE | if attrs.is_some() { p::OPEN_CREATE } else { 0 };
        let o = p::Open {
            name: name.to_vec(),
            attrs,
            open_flags: flags,
        };
        let r = self.call(node, conn, p::OPEN, &o.encode().unwrap());
        let id = p::Opened::decode(&r.payload).map_or(0, |o| o.ckpt_id);
        (r.status, id)
    }
}

fn attrs() -> p::CreationAttributes {
    p::CreationAttributes {
        creation_flags: p::WR_ALL_REPLICAS,
        checkpoint_size: 1000,
        retention_duration: 0,
        max_sections: 4,
        max_section_size: 250,
        max_section_id_size: 8,
    }
}

fn enc<M: Message>(m: M) -> Vec<u8> {
    m.encode().unwrap()
}

#[test]
fn write_on_one_node_read_on_the_other() {
    let mut n = Net::new();
    n.svcs.get_mut(&1).unwrap().connected(10);
    n.svcs.get_mut(&2).unwrap().connected(20);
    let (st, id1) = n.open(1, 10, b"c", Some(attrs()));
    assert_eq!(st, status::OK);
    let sc = p::SectionCreate {
        ckpt_id: id1,
        section: Some(b"s".to_vec()),
        expiration_time: p::TIME_END,
        data: b"hi".to_vec(),
    };
    let r = n.call(1, 10, p::SECTION_CREATE, &enc(sc));
    assert_eq!(p::SectionIdReply::decode(&r.payload).unwrap().section, b"s");
    let w = p::Write {
        ckpt_id: id1,
        elements: vec![p::WriteElement {
            section: b"s".to_vec(),
            offset: 2,
            data: b" there".to_vec(),
        }],
    };
    let r = n.call(1, 10, p::WRITE, &enc(w));
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::OK, Ok(p::ErrorIndex(0)))
    );
    let (st, id2) = n.open(2, 20, b"c", None);
    assert_eq!(st, status::OK);
    let rd = p::Read {
        ckpt_id: id2,
        elements: vec![p::ReadElement {
            section: b"s".to_vec(),
            offset: 0,
            size: 100,
        }],
    };
    let r = n.call(2, 20, p::READ, &enc(rd));
    assert_eq!(r.status, status::OK);
    assert_eq!(p::ReadReply::decode(&r.payload).unwrap().elements[0].data, b"hi there");
    let r = n.call(2, 20, p::STATUS_GET, &enc(p::CkptId(id2)));
    let d = p::Descriptor::decode(&r.payload).unwrap();
    assert_eq!((d.number_of_sections, d.memory_used, d.attrs), (1, 8, attrs()));
    // Another connection can't use the id; after close nobody can.
    n.svcs.get_mut(&2).unwrap().connected(21);
    assert_eq!(
        n.call(2, 21, p::STATUS_GET, &enc(p::CkptId(id2))).status,
        status::BAD_HANDLE
    );
    assert_eq!(n.call(2, 20, p::CLOSE, &enc(p::CkptId(id2))).status, status::OK);
    assert_eq!(n.call(2, 20, p::CLOSE, &enc(p::CkptId(id2))).status, status::BAD_HANDLE);
    let uid = n.svcs[&1].state().by_name(b"c").unwrap();
    assert_eq!(
        n.svcs[&2].state().checkpoint(uid).unwrap().refs,
        BTreeMap::from([(1, 1)])
    );
}

#[test]
fn async_open_and_synchronize_answer_by_callback() {
    let mut n = Net::new();
    n.svcs.get_mut(&1).unwrap().connected(10);
    let oa = p::OpenAsync {
        invocation: 42,
        open: p::Open {
            name: b"a".to_vec(),
            attrs: Some(p::CreationAttributes {
                creation_flags: p::WR_ACTIVE_REPLICA,
                ..attrs()
            }),
            open_flags: p::OPEN_CREATE | p::OPEN_WRITE,
        },
    };
    assert_eq!(n.call(1, 10, p::OPEN_ASYNC, &enc(oa)).status, status::OK);
    let (node, conn, msg, st, payload) = n.callbacks.remove(0);
    assert_eq!((node, conn, msg, st), (1, 10, p::OPEN_CALLBACK, status::OK));
    let cb = p::OpenCallback::decode_with(st, &payload).unwrap();
    assert_eq!(cb.invocation, 42);
    let id = cb.opened.unwrap().ckpt_id;
    let s = p::SynchronizeAsync {
        invocation: 7,
        ckpt_id: id,
    };
    assert_eq!(n.call(1, 10, p::SYNCHRONIZE_ASYNC, &enc(s)).status, status::OK);
    let (_, _, msg, st, payload) = n.callbacks.remove(0);
    assert_eq!((msg, st), (p::SYNCHRONIZE_CALLBACK, status::OK));
    assert_eq!(p::SyncCallback::decode(&payload).unwrap().invocation, 7);
    assert_eq!(n.call(1, 10, p::SYNCHRONIZE, &enc(p::CkptId(id))).status, status::OK);
    // A failed asynchronous open is reported by its callback.
    let oa = p::OpenAsync {
        invocation: 43,
        open: p::Open {
            name: b"missing".to_vec(),
            attrs: None,
            open_flags: p::OPEN_READ,
        },
    };
    assert_eq!(n.call(1, 10, p::OPEN_ASYNC, &enc(oa)).status, status::OK);
    let (_, _, msg, st, payload) = n.callbacks.remove(0);
    assert_eq!((msg, st), (p::OPEN_CALLBACK, status::NOT_EXIST));
    assert_eq!(p::OpenCallback::decode_with(st, &payload).unwrap().opened, None);
}

#[test]
fn argument_errors_are_answered_at_once() {
    let mut n = Net::new();
    n.svcs.get_mut(&1).unwrap().connected(10);
    let open = |name: &[u8], attrs, flags| {
        enc(p::Open {
            name: name.to_vec(),
            attrs,
            open_flags: flags,
        })
    };
    let cases = [
        (open(b"", None, p::OPEN_READ), status::INVALID_PARAM),
        (open(b"x", None, 0x80), status::BAD_FLAGS),
        (open(b"x", None, p::OPEN_CREATE), status::INVALID_PARAM),
        (open(b"x", Some(attrs()), p::OPEN_READ), status::INVALID_PARAM),
        (
            open(
                b"x",
                Some(p::CreationAttributes {
                    checkpoint_size: 1001,
                    ..attrs()
                }),
                p::OPEN_CREATE,
            ),
            status::INVALID_PARAM,
        ),
        (vec![1, 2, 3], status::INVALID_PARAM),
    ];
    for (payload, want) in cases {
        assert_eq!(n.call(1, 10, p::OPEN, &payload).status, want);
    }
    assert_eq!(n.call(1, 10, p::TRACK_STOP, &[]).status, status::NOT_EXIST);
    assert_eq!(n.call(1, 10, p::TRACK, &[1]).status, status::INVALID_PARAM);
    for m in [p::CHECKPOINT_TRACK, p::CHECKPOINT_TRACK_STOP] {
        assert_eq!(n.call(1, 10, m, &[]).status, status::INVALID_PARAM);
        assert_eq!(n.call(1, 10, m, &enc(p::CkptId(12345))).status, status::BAD_HANDLE);
    }
    assert_eq!(n.call(1, 10, 999, &[]).status, status::NOT_SUPPORTED);
    let (_, id) = n.open(1, 10, b"c", Some(attrs()));
    let big = p::Write {
        ckpt_id: id,
        elements: vec![p::WriteElement {
            section: vec![],
            offset: 0,
            data: vec![0; p::MAX_UPDATE_PAYLOAD],
        }],
    };
    let r = n.call(1, 10, p::WRITE, &enc(big));
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::TOO_BIG, Ok(p::ErrorIndex(0)))
    );
    let r = n.call(1, 10, p::READ, &[0]);
    assert_eq!(r.status, status::INVALID_PARAM);
    assert!(
        p::ReadReply::decode(&r.payload).is_ok(),
        "a read's error still carries its payload"
    );
    assert_eq!(
        n.call(1, 10, p::SYNCHRONIZE, &enc(p::CkptId(id))).status,
        p::ERR_BAD_OPERATION
    );
    let r = p::RetentionSet {
        ckpt_id: id,
        retention_duration: -5,
    };
    assert_eq!(n.call(1, 10, p::RETENTION_SET, &enc(r)).status, status::INVALID_PARAM);
}

#[test]
fn try_again_until_the_first_synchronisation() {
    let mut s = Svc::new(1);
    s.connected(1);
    let Handling::Reply(r, _) = s.request(1, p::STATUS_GET, &enc(p::CkptId(1))) else {
        panic!()
    };
    assert_eq!(r.status, status::TRY_AGAIN);
    let Handling::Reply(r, _) = s.request(1, p::WRITE, &[]) else {
        panic!()
    };
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::TRY_AGAIN, Ok(p::ErrorIndex(0)))
    );
}

#[test]
fn a_disconnect_closes_and_a_late_open_is_given_back() {
    let mut n = Net::new();
    n.svcs.get_mut(&1).unwrap().connected(10);
    let (_, _id) = n.open(1, 10, b"c", Some(attrs()));
    let uid = n.svcs[&1].state().by_name(b"c").unwrap();
    n.svcs.get_mut(&2).unwrap().connected(20);
    n.open(2, 20, b"c", None);
    let fx = n.svcs.get_mut(&1).unwrap().disconnected(10);
    for e in fx {
        n.effect(1, e);
    }
    n.run();
    assert_eq!(
        n.svcs[&2].state().checkpoint(uid).unwrap().refs,
        BTreeMap::from([(2, 1)])
    );
    // An open whose client is gone before it is delivered gives its reference back.
    let Handling::Multicast { data, req, .. } = n.svcs.get_mut(&2).unwrap().request(
        20,
        p::OPEN,
        &enc(p::Open {
            name: b"c".to_vec(),
            attrs: None,
            open_flags: p::OPEN_READ,
        }),
    ) else {
        panic!()
    };
    n.svcs.get_mut(&2).unwrap().submitted(req, Some(99));
    let fx = n.svcs.get_mut(&2).unwrap().disconnected(20);
    n.queue.push_back((2, data));
    for e in fx {
        n.effect(2, e);
    }
    n.run();
    assert!(n.svcs[&1].state().checkpoint(uid).unwrap().refs.is_empty());
}

#[test]
fn a_refused_close_keeps_the_checkpoint_open() {
    let mut n = Net::new();
    n.svcs.get_mut(&1).unwrap().connected(10);
    let (_, id) = n.open(1, 10, b"c", Some(attrs()));
    let Handling::Multicast { req, .. } = n.svcs.get_mut(&1).unwrap().request(10, p::CLOSE, &enc(p::CkptId(id))) else {
        panic!()
    };
    n.svcs.get_mut(&1).unwrap().refused(req);
    assert_eq!(n.call(1, 10, p::STATUS_GET, &enc(p::CkptId(id))).status, status::OK);
}

/// The TRACK_CALLBACKs collected so far: (node, connection, callback).
fn track_callbacks(n: &mut Net) -> Vec<(NodeId, u8, p::TrackCallback)> {
    let all = std::mem::take(&mut n.callbacks);
    all.into_iter()
        .map(|(node, conn, msg, st, payload)| {
            assert_eq!((msg, st), (p::TRACK_CALLBACK, status::OK));
            (node, conn, p::TrackCallback::decode(&payload).unwrap())
        })
        .collect()
}

fn elem(section: &[u8], offset: u64, size: u64) -> p::TrackElement {
    p::TrackElement {
        section: section.to_vec(),
        offset,
        size,
    }
}

#[test]
fn tracking_reports_changes_to_the_connections_that_track() {
    let mut n = Net::new();
    for (node, conn) in [(1, 10), (1, 11), (2, 20)] {
        n.svcs.get_mut(&node).unwrap().connected(conn);
    }
    let (_, a10) = n.open(1, 10, b"a", Some(attrs()));
    let (_, b10) = n.open(1, 10, b"b", Some(attrs()));
    let (_, a11) = n.open(1, 11, b"a", None);
    let (_, a20) = n.open(2, 20, b"a", None);
    // 11 tracks checkpoint "a" only; 20 (on the other node) tracks everything it has open.
    assert_eq!(
        n.call(1, 11, p::CHECKPOINT_TRACK, &enc(p::CkptId(a11))).status,
        status::OK
    );
    assert_eq!(n.call(2, 20, p::TRACK, &[]).status, status::OK);
    assert!(n.callbacks.is_empty());
    let sc = |id, s: &[u8], data: &[u8]| {
        enc(p::SectionCreate {
            ckpt_id: id,
            section: Some(s.to_vec()),
            expiration_time: p::TIME_END,
            data: data.to_vec(),
        })
    };
    assert_eq!(
        n.call(1, 10, p::SECTION_CREATE, &sc(a10, b"s", b"abc")).status,
        status::OK
    );
    let want = vec![elem(b"s", 0, 3)];
    assert_eq!(
        track_callbacks(&mut n),
        vec![
            (
                1,
                11,
                p::TrackCallback {
                    ckpt_id: a11,
                    elements: want.clone()
                }
            ),
            (
                2,
                20,
                p::TrackCallback {
                    ckpt_id: a20,
                    elements: want
                }
            ),
        ]
    );
    // A change to "b", which nobody tracks, reports nothing.
    assert_eq!(
        n.call(1, 10, p::SECTION_CREATE, &sc(b10, b"t", b"x")).status,
        status::OK
    );
    assert!(n.callbacks.is_empty());
    let w = p::Write {
        ckpt_id: a10,
        elements: vec![
            p::WriteElement {
                section: b"s".to_vec(),
                offset: 2,
                data: b"zz".to_vec(),
            },
            p::WriteElement {
                section: b"s".to_vec(),
                offset: 10,
                data: b"q".to_vec(),
            },
        ],
    };
    assert_eq!(n.call(1, 10, p::WRITE, &enc(w.clone())).status, status::OK);
    let cbs = track_callbacks(&mut n);
    assert_eq!(cbs.len(), 2);
    for (_, _, cb) in &cbs {
        assert_eq!(cb.elements, vec![elem(b"s", 2, 2), elem(b"s", 10, 1)]);
    }
    // A failed write reports nothing.
    let bad = p::Write {
        ckpt_id: a10,
        elements: vec![p::WriteElement {
            section: b"nope".to_vec(),
            offset: 0,
            data: b"x".to_vec(),
        }],
    };
    assert_eq!(n.call(1, 10, p::WRITE, &enc(bad)).status, status::NOT_EXIST);
    assert!(n.callbacks.is_empty());
    let o = p::Overwrite {
        ckpt_id: a10,
        section: b"s".to_vec(),
        data: b"12345".to_vec(),
    };
    assert_eq!(n.call(1, 10, p::OVERWRITE, &enc(o)).status, status::OK);
    let cbs = track_callbacks(&mut n);
    assert_eq!(cbs.len(), 2);
    assert!(cbs.iter().all(|(_, _, cb)| cb.elements == vec![elem(b"s", 0, 5)]));
    // "b" opened later by 20 is tracked too, but not an opening without READ.
    let (_, b20) = n.open(2, 20, b"b", None);
    let wo = p::Open {
        name: b"b".to_vec(),
        attrs: None,
        open_flags: p::OPEN_WRITE,
    };
    assert_eq!(n.call(2, 20, p::OPEN, &enc(wo)).status, status::OK);
    let del = p::SectionRef {
        ckpt_id: b10,
        section: b"t".to_vec(),
    };
    assert_eq!(n.call(1, 10, p::SECTION_DELETE, &enc(del)).status, status::OK);
    assert_eq!(
        track_callbacks(&mut n),
        vec![(
            2,
            20,
            p::TrackCallback {
                ckpt_id: b20,
                elements: vec![elem(b"t", 0, 0)]
            }
        )]
    );
    // After the stops, nothing; a second stop is NOT_EXIST.
    assert_eq!(
        n.call(1, 11, p::CHECKPOINT_TRACK_STOP, &enc(p::CkptId(a11))).status,
        status::OK
    );
    assert_eq!(
        n.call(1, 11, p::CHECKPOINT_TRACK_STOP, &enc(p::CkptId(a11))).status,
        status::NOT_EXIST
    );
    assert_eq!(n.call(2, 20, p::TRACK_STOP, &[]).status, status::OK);
    assert_eq!(n.call(2, 20, p::TRACK_STOP, &[]).status, status::NOT_EXIST);
    assert_eq!(n.call(1, 10, p::WRITE, &enc(w.clone())).status, status::OK);
    assert!(n.callbacks.is_empty());
    // A closed checkpoint id and a connection that went away track nothing.
    assert_eq!(
        n.call(1, 11, p::CHECKPOINT_TRACK, &enc(p::CkptId(a11))).status,
        status::OK
    );
    assert_eq!(n.call(1, 11, p::CLOSE, &enc(p::CkptId(a11))).status, status::OK);
    assert_eq!(n.call(2, 20, p::TRACK, &[]).status, status::OK);
    let fx = n.svcs.get_mut(&2).unwrap().disconnected(20);
    for e in fx {
        n.effect(2, e);
    }
    n.run();
    assert_eq!(n.call(1, 10, p::WRITE, &enc(w)).status, status::OK);
    assert!(n.callbacks.is_empty());
    assert!(n.svcs.values().all(|s| s.tracking.is_empty()));
}
