//! `transport: udp`: two executives on 127.0.0.1 and 127.0.0.2 form a ring
//! over IP multicast on the loopback interface, with ttl 0 so nothing can
//! leave the host.

mod common;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use common::*;
use nix::sys::signal::Signal;
use socket2::{Domain, Protocol, Socket, Type};

const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 77, 1);

/// Whether a datagram sent to GROUP through 127.0.0.1 comes back to a socket
/// that joined GROUP there (some kernels or sandboxes do not route multicast
/// on loopback).
fn loopback_multicast_works(port: u16) -> Result<(), String> {
    let err = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let rx = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| err("socket", e))?;
    rx.set_reuse_address(true).map_err(|e| err("SO_REUSEADDR", e))?;
    rx.bind(&SocketAddr::V4(SocketAddrV4::new(GROUP, port)).into())
        .map_err(|e| err("bind", e))?;
    rx.join_multicast_v4(&GROUP, &Ipv4Addr::LOCALHOST)
        .map_err(|e| err("join on lo", e))?;
    rx.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let tx = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| err("socket", e))?;
    tx.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .map_err(|e| err("bind", e))?;
    tx.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)
        .map_err(|e| err("IP_MULTICAST_IF", e))?;
    tx.set_multicast_ttl_v4(0).map_err(|e| err("ttl", e))?;
    tx.set_multicast_loop_v4(true).map_err(|e| err("loop", e))?;
    tx.send_to(b"probe", &SocketAddr::V4(SocketAddrV4::new(GROUP, port)).into())
        .map_err(|e| err("send", e))?;
    let rx: std::net::UdpSocket = rx.into();
    let mut buf = [0u8; 16];
    match rx.recv_from(&mut buf) {
        Ok((5, _)) => Ok(()),
        Ok((n, _)) => Err(format!("probe came back with {n} bytes")),
        Err(e) => Err(err("no probe came back", e)),
    }
}

fn config(addr: &str, port: u16) -> String {
    format!(
        "totem {{\n\tsecauth: off\n\ttoken: 5000\n\tinterface {{\n\t\tbindnetaddr: {addr}\n\
         \t\tmcastaddr: {GROUP}\n\t\tmcastport: {port}\n\t\tttl: 0\n\t}}\n}}\n\
         logging {{\n\tto_stderr: yes\n\tto_syslog: no\n\tdebug: on\n}}\n"
    )
}

#[test]
fn two_nodes_over_loopback_multicast() {
    let addrs = ["127.0.0.1", "127.0.0.2"];
    let port = match free_port(&addrs) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED two_nodes_over_loopback_multicast: needs 127.0.0.1-2 bindable ({why})");
            return;
        }
    };
    if let Err(why) = loopback_multicast_works(port) {
        eprintln!("SKIPPED two_nodes_over_loopback_multicast: multicast on loopback does not work here ({why})");
        return;
    }
    let dir = TempDir::new("mcast");
    let run_dir = dir.path().join("run");
    let mut nodes = Vec::new();
    for a in addrs {
        let path = dir.path().join(format!("{a}.conf"));
        std::fs::write(&path, config(a, port)).unwrap();
        nodes.push(Node::start(a, &path, &run_dir));
    }
    let logs = |nodes: &[Node]| nodes.iter().map(Node::log).collect::<Vec<_>>().join("\n");
    for n in &nodes {
        assert!(
            n.lines
                .wait_for(0, Duration::from_secs(40), regular_config(2))
                .is_some(),
            "{} never saw 2 members\n{}",
            n.name,
            logs(&nodes)
        );
    }
    // Both learned where the other is from its datagrams (the token is
    // unicast), and list it by address.
    for (n, other) in nodes.iter().zip(["127.0.0.2", "127.0.0.1"]) {
        assert!(
            n.lines
                .all()
                .iter()
                .any(|l| l.contains(&format!("r(0) ip({other}) nodeid"))),
            "{}\n{}",
            n.name,
            n.log()
        );
    }
    let mark = nodes[1].lines.len();
    nodes[0].signal(Signal::SIGTERM);
    assert!(
        nodes[1]
            .lines
            .wait_for(mark, Duration::from_secs(3), regular_config(1))
            .is_some(),
        "the leave did not reach the other node at once\n{}",
        logs(&nodes)
    );
    assert!(nodes[0].wait_exit(Duration::from_secs(5)).expect("exited").success());
}
