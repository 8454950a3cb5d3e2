//! EVS through the executive: two aisexec on 127.0.0.1 and 127.0.0.2, handles
//! on each (through the client runtime the C library uses) in different
//! groups: multicasts to the joined groups and to named groups reach exactly
//! the handles that joined one of them, in the same order on both nodes; the
//! membership; a configuration change when a node stops.

mod common;

use ais_client::runtime::{Connection, DispatchMode};
use ais_proto::evs::{self as msg, ConfChg, Deliver, Group, Mcast, Membership, GROUP_LEN};
use ais_proto::{status, AisVersion, ServiceId};
use common::*;
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);
const N1: u32 = 0x7f00_0001;
const N2: u32 = 0x7f00_0002;

fn g(name: &str) -> Group {
    let mut k = [0u8; GROUP_LEN];
    k[..name.len()].copy_from_slice(name.as_bytes());
    k
}

fn groups(names: &[&str]) -> Vec<Group> {
    names.iter().map(|n| g(n)).collect()
}

fn join(c: &Connection, names: &[&str]) {
    let r = c
        .call(msg::JOIN, &msg::encode_groups(&groups(names)), Some(T))
        .expect("join");
    assert_eq!(r.status, status::OK);
}

/// Multicasts (to `to`, or to the joined groups), retrying under back-pressure.
fn mcast(c: &Connection, to: Option<&[&str]>, data: &[u8]) {
    let list = to.map(groups);
    let id = if list.is_some() {
        msg::MCAST_GROUPS
    } else {
        msg::MCAST_JOINED
    };
    let prefix = Mcast::prefix(2, list.as_deref(), data.len()).unwrap();
    let end = Instant::now() + T;
    loop {
        match c.try_post(id, &[&prefix, data]) {
            Ok(()) => return,
            Err(e) if e == ais_client::Error::TryAgain && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("mcast: {e}"),
        }
    }
}

enum Cb {
    Conf(ConfChg),
    Msg(u32, Vec<u8>),
}

/// The next callback, waiting up to `T`.
fn next(c: &Connection) -> Cb {
    let end = Instant::now() + T;
    loop {
        let mut got = None;
        c.dispatch(DispatchMode::One, |cb| {
            got = Some(match cb.msg {
                msg::CONFCHG => Cb::Conf(ConfChg::decode(cb.payload).expect("confchg")),
                msg::DELIVER => {
                    let d = Deliver::decode(cb.payload).expect("deliver");
                    Cb::Msg(d.node, d.data.to_vec())
                }
                m => panic!("unexpected callback {m}"),
            })
        })
        .expect("dispatch");
        if let Some(cb) = got {
            return cb;
        }
        assert!(Instant::now() < end, "no callback within {T:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn next_confchg(c: &Connection) -> ConfChg {
    match next(c) {
        Cb::Conf(c) => c,
        Cb::Msg(n, d) => panic!("a message from {n:#x} ({:?}) before the configuration change", d),
    }
}

/// The next `n` messages `c` receives, as (sender, text).
fn messages(c: &Connection, n: usize) -> Vec<(u32, String)> {
    (0..n)
        .map(|_| match next(c) {
            Cb::Msg(node, d) => (node, String::from_utf8(d).unwrap()),
            Cb::Conf(c) => panic!("configuration change {c:?} among the messages"),
        })
        .collect()
}

fn texts(v: &[(u32, String)]) -> Vec<String> {
    v.iter().map(|(_, t)| t.clone()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn two_nodes_deliver_to_exactly_the_joined_handles_in_one_order() {
    let dir = TempDir::new("evs");
    let addrs = ["127.0.0.1", "127.0.0.2"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED two_nodes_deliver_to_exactly_the_joined_handles_in_one_order: {why}");
            return;
        }
    };
    let mut nodes = Vec::new();
    for (i, a) in addrs.iter().enumerate() {
        let conf = dir.path().join(format!("n{i}.conf"));
        std::fs::write(&conf, udpu_config(a, port, &addrs, 500)).unwrap();
        let run = dir.path().join(format!("run{i}"));
        std::fs::create_dir_all(&run).unwrap();
        nodes.push((Node::start(&format!("n{i}"), &conf, &run), run));
    }
    for (n, _) in &nodes {
        assert!(n.lines.wait_for(0, T, regular_config(2)).is_some(), "{}", n.log());
    }
    let open = |i: usize| nodes[i].0.connect(ServiceId::EVS, AisVersion::new(0, 0, 0));
    // Node 1: a in "a", b in "b". Node 2: c in "a" and "b", d in "c".
    let (a, b, c, d) = (open(0), open(0), open(1), open(1));
    // Each handle is told the current configuration first.
    for h in [&a, &b, &c, &d] {
        let conf = next_confchg(h);
        assert_eq!(conf.members, vec![N1, N2]);
        assert!(conf.ring_seq > 0);
    }
    join(&a, &["a"]);
    join(&b, &["b"]);
    join(&c, &["a", "b"]);
    join(&d, &["c"]);

    mcast(&a, None, b"1 a joined");
    mcast(&c, None, b"2 c joined");
    mcast(&d, Some(&["a"]), b"3 d to a");
    mcast(&b, Some(&["c", "nobody"]), b"4 b to c");
    // Both nodes send at once to "a".
    for i in 0..40 {
        mcast(&a, None, format!("5 a {i}").as_bytes());
        mcast(&c, Some(&["a"]), format!("5 c {i}").as_bytes());
    }
    mcast(&d, Some(&["a", "b", "c"]), b"end");

    // Multicasts from different handles are ordered by the ring, not by when
    // this test posted them: each handle's set is checked, then the order.
    let got_a = messages(&a, 84);
    let got_b = messages(&b, 2);
    let got_c = messages(&c, 84);
    let got_d = messages(&d, 2);
    assert_eq!(sorted(texts(&got_b)), ["2 c joined", "end"]);
    assert_eq!(sorted(texts(&got_d)), ["4 b to c", "end"]);
    let from = |v: &[(u32, String)], t: &str| v.iter().find(|(_, x)| x == t).map(|(n, _)| *n);
    assert_eq!(from(&got_d, "4 b to c"), Some(N1));
    assert_eq!(from(&got_b, "2 c joined"), Some(N2));
    // a and c are both in "a": the same messages in the same order on both
    // nodes, each sender's own included; c is in "b" too, but that adds
    // nothing here.
    assert_eq!(got_a, got_c, "one order on both nodes");
    let mut want: Vec<String> = ["1 a joined", "2 c joined", "3 d to a", "end"]
        .map(String::from)
        .to_vec();
    want.extend((0..40).flat_map(|i| [format!("5 a {i}"), format!("5 c {i}")]));
    assert_eq!(sorted(texts(&got_a)), sorted(want));
    // Each sender's messages in the order sent.
    for who in ["a", "c"] {
        let seq: Vec<String> = texts(&got_a)
            .into_iter()
            .filter(|t| t.starts_with(&format!("5 {who} ")))
            .collect();
        let want: Vec<String> = (0..40).map(|i| format!("5 {who} {i}")).collect();
        assert_eq!(seq, want);
    }

    // Leaving: c no longer gets messages to "a". A message from one handle is
    // ordered after its earlier ones, so "end2" comes last to everyone.
    let r = c
        .call(msg::LEAVE, &msg::encode_groups(&groups(&["a"])), Some(T))
        .unwrap();
    assert_eq!(r.status, status::OK);
    let r = c
        .call(msg::LEAVE, &msg::encode_groups(&groups(&["a"])), Some(T))
        .unwrap();
    assert_eq!(r.status, status::NOT_EXIST);
    mcast(&a, None, b"6 after leave");
    mcast(&a, Some(&["a", "b", "c"]), b"end2");
    assert_eq!(texts(&messages(&a, 2)), ["6 after leave", "end2"]);
    for h in [&b, &c, &d] {
        assert_eq!(texts(&messages(h, 1)), ["end2"], "nothing else, nothing left over");
    }

    let r = a.call(msg::MEMBERSHIP_GET, &[], Some(T)).unwrap();
    assert_eq!(
        Membership::decode(&r.payload).unwrap(),
        Membership {
            local: N1,
            members: vec![N1, N2]
        }
    );
    let r = d.call(msg::MEMBERSHIP_GET, &[], Some(T)).unwrap();
    assert_eq!(Membership::decode(&r.payload).unwrap().local, N2);

    nodes[1].0.signal(Signal::SIGTERM);
    for h in [&a, &b] {
        let conf = next_confchg(h);
        assert_eq!((conf.members, conf.left, conf.joined), (vec![N1], vec![N2], vec![]));
        assert_eq!(conf.ring_rep, N1);
    }
    let r = b.call(msg::MEMBERSHIP_GET, &[], Some(T)).unwrap();
    assert_eq!(Membership::decode(&r.payload).unwrap().members, vec![N1]);
}
