//! CPG through the executive: two aisexec on 127.0.0.1 and 127.0.0.2, a
//! handle on each (through the client runtime the C library uses): join,
//! configuration changes, ordered delivery to every member, membership, and
//! NODEDOWN when a node stops.

mod common;

use ais_client::runtime::{Connection, DispatchMode};
use ais_proto::cpg::{self as msg, ConfChg};
use ais_proto::{AisVersion, Reader, ServiceId, Writer};
use common::*;
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(10);

fn group(name: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.name(name).unwrap();
    w.into_vec()
}

// Calls, retrying while the groups re-synchronise.
use common::call_retrying as call;

/// Waits for a callback that satisfies `want`, returning its payload.
fn expect(c: &Connection, want: impl Fn(u16, &[u8]) -> bool) -> Vec<u8> {
    let end = Instant::now() + T;
    while Instant::now() < end {
        let mut found = None;
        c.dispatch(DispatchMode::All, |cb| {
            if found.is_none() && want(cb.msg, cb.payload) {
                found = Some(cb.payload.to_vec());
            }
        })
        .expect("dispatch");
        if let Some(p) = found {
            return p;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no such callback within {T:?}");
}

fn confchg(members: usize) -> impl Fn(u16, &[u8]) -> bool {
    move |m, p| m == msg::CONFCHG && ConfChg::decode(p).is_ok_and(|c| c.members.len() == members)
}

#[test]
fn two_nodes_join_deliver_and_see_a_node_go() {
    let dir = TempDir::new("cpg");
    let addrs = ["127.0.0.1", "127.0.0.2"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED two_nodes_join_deliver_and_see_a_node_go: {why}");
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
    let open = |i: usize| nodes[i].0.connect(ServiceId::CPG, AisVersion::new(0, 0, 0));
    let (a, b) = (open(0), open(1));
    assert_eq!(call(&a, msg::JOIN, &group(b"grp")).0, 1);
    expect(&a, confchg(1));
    assert_eq!(
        call(&a, msg::JOIN, &group(b"other")).0,
        14,
        "one group per handle: EXIST"
    );
    assert_eq!(call(&b, msg::JOIN, &group(b"grp")).0, 1);
    let c = ConfChg::decode(&expect(&a, confchg(2))).unwrap();
    assert_eq!((c.joined[0].node, c.joined[0].reason), (0x7f000002, 1));

    let mut w = Writer::new();
    w.blob(b"hello").unwrap();
    assert_eq!(call(&b, msg::MCAST, w.as_slice()).0, 1);
    for h in [&a, &b] {
        let p = expect(h, |m, _| m == msg::DELIVER);
        let mut r = Reader::new(&p);
        assert_eq!(msg::group(&mut r).unwrap(), b"grp");
        assert_eq!(r.u32().unwrap(), 0x7f000002, "sent from node 2");
        r.u32().unwrap();
        assert_eq!(r.blob().unwrap(), b"hello");
    }
    let (s, p) = call(&a, msg::MEMBERSHIP_GET, &group(b"grp"));
    assert_eq!((s, msg::decode_members(&p).unwrap().len()), (1, 2));

    nodes[1].0.signal(Signal::SIGTERM);
    let c = ConfChg::decode(&expect(&a, confchg(1))).unwrap();
    assert_eq!((c.left[0].node, c.left[0].reason), (0x7f000002, 3), "NODEDOWN");
}

/// Back-pressure instead of unbounded queues: a member that floods multicasts without
/// reading its callbacks meets TRY_AGAIN (it is neither blocked nor disconnected), and
/// once it reads, every message it was allowed to send arrives, in order.
#[test]
fn a_flooding_member_that_does_not_read_meets_try_again_and_loses_nothing() {
    let dir = TempDir::new("cpg-flow");
    let addrs = ["127.0.0.1"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED a_flooding_member_that_does_not_read_meets_try_again_and_loses_nothing: {why}");
            return;
        }
    };
    let conf = dir.path().join("n0.conf");
    std::fs::write(&conf, udpu_config(addrs[0], port, &addrs, 500)).unwrap();
    let run = dir.path().join("run0");
    std::fs::create_dir_all(&run).unwrap();
    let node = Node::start("n0", &conf, &run);
    assert!(node.lines.wait_for(0, T, regular_config(1)).is_some(), "{}", node.log());
    let c = node.connect(ServiceId::CPG, AisVersion::new(0, 0, 0));
    assert_eq!(call(&c, msg::JOIN, &group(b"flood")).0, 1);
    expect(&c, confchg(1));

    // 64 KiB messages, numbered, until the executive holds the sender back.
    let body = vec![0x5a_u8; 64 << 10];
    let mut sent: u32 = 0;
    let end = Instant::now() + T;
    let held_back = loop {
        assert!(Instant::now() < end, "no back-pressure after {sent} messages");
        let n = sent.to_le_bytes();
        let len = ((n.len() + body.len()) as u32).to_le_bytes();
        match c.try_post(msg::MCAST, &[&len, &n, &body]) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(held_back, ais_client::Error::TryAgain);
    assert!(sent >= 16, "the window holds at least 16 such messages, {sent} sent");

    // Reading the callbacks lets it go on; everything arrives once, in order, and the
    // window opens again (one more message is accepted and delivered after the rest).
    let mut next: u32 = 0;
    let mut total = sent;
    let end = Instant::now() + T;
    while next < total || total == sent {
        assert!(Instant::now() < end, "{next} of {total} delivered");
        c.dispatch(DispatchMode::All, |cb| {
            if cb.msg != msg::DELIVER {
                return;
            }
            let mut r = Reader::new(cb.payload);
            msg::group(&mut r).unwrap();
            r.u32().unwrap();
            r.u32().unwrap();
            let data = r.blob().unwrap();
            assert_eq!(u32::from_le_bytes(data[..4].try_into().unwrap()), next, "in order");
            next += 1;
        })
        .expect("dispatch");
        if total == sent {
            let n = sent.to_le_bytes();
            let len = ((n.len() + body.len()) as u32).to_le_bytes();
            if c.try_post(msg::MCAST, &[&len, &n, &body]).is_ok() {
                total += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(next, sent + 1);
    assert!(!node.log().contains("disconnecting"), "{}", node.log());
}
