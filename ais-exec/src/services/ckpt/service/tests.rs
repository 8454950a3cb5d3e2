use super::*;
use crate::services::contract::RingId;
use crate::services::testkit::{Callback, Cluster};
use std::collections::BTreeMap;

type Svc = CkptService<u8>;

/// Two executives (nodes 1 and 2) in one ring, their clocks at 1000.
type Net = Cluster<Svc, u8>;

fn net() -> Net {
    let mut n = Net::new(&[1, 2], |id| {
        let mut s = Svc::new(id);
        s.set_wall_clock(|| 1_000);
        s
    });
    n.configure_ring(RingId { rep: 1, seq: 4 }, &[1, 2]);
    n
}

fn open_ckpt(n: &mut Net, node: NodeId, conn: u8, name: &[u8], attrs: Option<p::CreationAttributes>) -> (u32, u64) {
    let flags = p::OPEN_READ | p::OPEN_WRITE | if attrs.is_some() { p::OPEN_CREATE } else { 0 };
    let o = p::Open {
        name: name.to_vec(),
        attrs,
        open_flags: flags,
    };
    let r = n.call(node, conn, p::OPEN, &o.encode().unwrap());
    let id = p::Opened::decode(&r.payload).map_or(0, |o| o.ckpt_id);
    (r.status, id)
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
    let mut n = net();
    n.connect(1, 10, 0);
    n.connect(2, 20, 0);
    let (st, id1) = open_ckpt(&mut n, 1, 10, b"c", Some(attrs()));
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
    let (st, id2) = open_ckpt(&mut n, 2, 20, b"c", None);
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
    n.connect(2, 21, 0);
    assert_eq!(
        n.call(2, 21, p::STATUS_GET, &enc(p::CkptId(id2))).status,
        status::BAD_HANDLE
    );
    assert_eq!(n.call(2, 20, p::CLOSE, &enc(p::CkptId(id2))).status, status::OK);
    assert_eq!(n.call(2, 20, p::CLOSE, &enc(p::CkptId(id2))).status, status::BAD_HANDLE);
    let uid = n.nodes[&1].state().by_name(b"c").unwrap();
    assert_eq!(
        n.nodes[&2].state().checkpoint(uid).unwrap().refs,
        BTreeMap::from([(1, 1)])
    );
}

#[test]
fn async_open_and_synchronize_answer_by_callback() {
    let mut n = net();
    n.connect(1, 10, 0);
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
    let Callback {
        node,
        conn,
        msg,
        status: st,
        payload,
    } = n.callbacks.remove(0);
    assert_eq!((node, conn, msg, st), (1, 10, p::OPEN_CALLBACK, status::OK));
    let cb = p::OpenCallback::decode_with(st, &payload).unwrap();
    assert_eq!(cb.invocation, 42);
    let id = cb.opened.unwrap().ckpt_id;
    let s = p::SynchronizeAsync {
        invocation: 7,
        ckpt_id: id,
    };
    assert_eq!(n.call(1, 10, p::SYNCHRONIZE_ASYNC, &enc(s)).status, status::OK);
    let Callback {
        msg,
        status: st,
        payload,
        ..
    } = n.callbacks.remove(0);
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
    let Callback {
        msg,
        status: st,
        payload,
        ..
    } = n.callbacks.remove(0);
    assert_eq!((msg, st), (p::OPEN_CALLBACK, status::NOT_EXIST));
    assert_eq!(p::OpenCallback::decode_with(st, &payload).unwrap().opened, None);
}

#[test]
fn argument_errors_are_answered_at_once() {
    let mut n = net();
    n.connect(1, 10, 0);
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
    let (_, id) = open_ckpt(&mut n, 1, 10, b"c", Some(attrs()));
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
    let mut n = Net::new(&[1], Svc::new);
    n.connect(1, 1, 0);
    let Handling::Now(r, _) = n.handle(1, 1, p::STATUS_GET, &enc(p::CkptId(1))) else {
        panic!()
    };
    assert_eq!(r.status, status::TRY_AGAIN);
    let Handling::Now(r, _) = n.handle(1, 1, p::WRITE, &[]) else {
        panic!()
    };
    assert_eq!(
        (r.status, p::ErrorIndex::decode(&r.payload)),
        (status::TRY_AGAIN, Ok(p::ErrorIndex(0)))
    );
}

#[test]
fn a_disconnect_closes_and_a_late_open_is_given_back() {
    let mut n = net();
    n.connect(1, 10, 0);
    let (_, _id) = open_ckpt(&mut n, 1, 10, b"c", Some(attrs()));
    let uid = n.nodes[&1].state().by_name(b"c").unwrap();
    n.connect(2, 20, 0);
    open_ckpt(&mut n, 2, 20, b"c", None);
    n.disconnect(1, 10);
    assert_eq!(
        n.nodes[&2].state().checkpoint(uid).unwrap().refs,
        BTreeMap::from([(2, 1)])
    );
    // An open whose client is gone before it is delivered gives its reference back.
    let Handling::Ordered { message: data, .. } = n.handle(
        2,
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
    let fx = n.node(2).disconnected(20);
    n.multicast(2, data);
    n.take(2, fx);
    n.run();
    assert!(n.nodes[&1].state().checkpoint(uid).unwrap().refs.is_empty());
}

#[test]
fn a_refused_close_keeps_the_checkpoint_open() {
    let mut n = net();
    n.connect(1, 10, 0);
    let (_, id) = open_ckpt(&mut n, 1, 10, b"c", Some(attrs()));
    let Handling::Ordered { token, .. } = n.handle(1, 10, p::CLOSE, &enc(p::CkptId(id))) else {
        panic!()
    };
    n.node(1).refused(token);
    assert_eq!(n.call(1, 10, p::STATUS_GET, &enc(p::CkptId(id))).status, status::OK);
}

/// The TRACK_CALLBACKs collected so far: (node, connection, callback).
fn track_callbacks(n: &mut Net) -> Vec<(NodeId, u8, p::TrackCallback)> {
    let all = std::mem::take(&mut n.callbacks);
    all.into_iter()
        .map(|cb| {
            assert_eq!((cb.msg, cb.status), (p::TRACK_CALLBACK, status::OK));
            let Callback {
                node, conn, payload, ..
            } = cb;
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
    let mut n = net();
    for (node, conn) in [(1, 10), (1, 11), (2, 20)] {
        n.connect(node, conn, 0);
    }
    let (_, a10) = open_ckpt(&mut n, 1, 10, b"a", Some(attrs()));
    let (_, b10) = open_ckpt(&mut n, 1, 10, b"b", Some(attrs()));
    let (_, a11) = open_ckpt(&mut n, 1, 11, b"a", None);
    let (_, a20) = open_ckpt(&mut n, 2, 20, b"a", None);
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
    let (_, b20) = open_ckpt(&mut n, 2, 20, b"b", None);
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
    n.disconnect(2, 20);
    assert_eq!(n.call(1, 10, p::WRITE, &enc(w)).status, status::OK);
    assert!(n.callbacks.is_empty());
    assert!(n.nodes.values().all(|s| s.tracking.is_empty()));
}
