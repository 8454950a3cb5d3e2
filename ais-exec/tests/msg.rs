//! MSG through three executives (127.0.0.1, .2, .3), through the client runtime
//! the libraries use: a queue opened on node 1 receives from senders on the
//! two others in priority order; its opener's node killed with SIGKILL, the
//! queue is opened on a survivor with every acknowledged message, in order.

mod common;

use ais_client::runtime::Connection;
use ais_proto::msg::{self as m, Message};
use ais_proto::status;
use ais_proto::ServiceId;
use common::*;
use nix::sys::signal::Signal;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);
const Q: &[u8] = b"safMq=failover";

use common::call_retrying as call;

fn open(c: &Connection, create: bool) -> u32 {
    let o = m::Open {
        name: Q.to_vec(),
        attributes: create.then_some(m::Attributes {
            flags: 0,
            size: [1 << 16; 4],
            retention: 60_000_000_000,
        }),
        flags: if create { m::OPEN_CREATE } else { 0 },
        invocation: None,
    };
    call(c, m::OPEN, &o.encode().unwrap()).0
}

fn send(c: &Connection, priority: u8, data: &[u8]) -> u32 {
    let s = m::Send {
        destination: Q.to_vec(),
        invocation: None,
        body: m::Body {
            priority,
            data: data.to_vec(),
            ..m::Body::default()
        },
    };
    call(c, m::SEND, &s.encode().unwrap()).0
}

fn get(c: &Connection) -> (u32, Vec<u8>) {
    let g = m::Get {
        name: Q.to_vec(),
        room: u64::MAX,
        timeout: 0,
    };
    let (st, p) = call(c, m::GET, &g.encode().unwrap());
    (st, m::Got::decode(&p).map(|g| g.body.data).unwrap_or_default())
}

#[test]
fn senders_on_two_nodes_a_receiver_on_the_third_and_failover_after_kill() {
    let addrs = vec!["127.0.0.1", "127.0.0.2", "127.0.0.3"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED msg multi-node test: {why}");
            return;
        }
    };
    let dir = TempDir::new("msg");
    let mut nodes: Vec<Node> = (0..3)
        .map(|i| {
            let conf = dir.path().join(format!("n{i}.conf"));
            std::fs::write(&conf, udpu_config(addrs[i], port, &addrs, 500)).unwrap();
            let run = dir.path().join(format!("run{i}"));
            std::fs::create_dir_all(&run).unwrap();
            Node::start(&format!("n{i}"), &conf, &run)
        })
        .collect();
    let logs = |n: &[Node]| n.iter().map(Node::log).collect::<Vec<_>>().join("\n");
    for n in &nodes {
        assert!(n.lines.wait_for(0, T, regular_config(3)).is_some(), "{}", logs(&nodes));
    }
    let c: Vec<Connection> = nodes.iter().map(|n| n.connect(ServiceId::MSG, m_version())).collect();
    assert_eq!(open(&c[0], true), status::OK, "{}", logs(&nodes));
    // A second opener anywhere is BUSY (B.03.01 3.6.1).
    assert_eq!(open(&c[1], false), m::err::BUSY);

    // Node 2 sends low priority, node 3 high; the receiver gets high first.
    for i in 0..3u8 {
        assert_eq!(send(&c[1], 3, &[b'l', i]), status::OK);
        assert_eq!(send(&c[2], 0, &[b'h', i]), status::OK);
    }
    let got: Vec<Vec<u8>> = (0..6).map(|_| get(&c[0]).1).collect();
    let want: Vec<Vec<u8>> = [b"h\0", b"h\x01", b"h\x02", b"l\0", b"l\x01", b"l\x02"]
        .iter()
        .map(|d| d.to_vec())
        .collect();
    assert_eq!(got, want);

    // Acknowledged messages survive the opener's node.
    for i in 0..20u8 {
        assert_eq!(send(&c[1 + (i as usize % 2)], 1, &[b'm', i]), status::OK);
    }
    drop(c);
    nodes[0].signal(Signal::SIGKILL);
    assert!(nodes[0].wait_exit(T).is_some());
    let survivor = nodes[1].connect(ServiceId::MSG, m_version());
    let mut opened = status::TRY_AGAIN;
    for _ in 0..100 {
        opened = open(&survivor, false);
        if opened != m::err::BUSY {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(opened, status::OK, "{}", logs(&nodes));
    let got: Vec<Vec<u8>> = (0..20).map(|_| get(&survivor).1).collect();
    let want: Vec<Vec<u8>> = (0..20u8).map(|i| vec![b'm', i]).collect();
    assert_eq!(got, want);
    assert_eq!(get(&survivor).0, status::TIMEOUT);
}

fn m_version() -> ais_proto::AisVersion {
    ais_proto::AisVersion::new(b'B', 3, 1)
}
