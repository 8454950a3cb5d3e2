//! Three `aisexec` processes on 127.0.0.1-3 (udpu): they form one ring; a
//! node stopped with SIGTERM leaves at once and exits 0; restarted, it joins
//! again with a ring sequence beyond the one it saved.

mod common;

use std::time::{Duration, Instant};

use common::*;
use nix::sys::signal::Signal;

const ADDRS: [&str; 3] = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];

/// The token timeout of this test. Deliberately long: the survivors must see
/// the stopped node go within LEAVE_BOUND, which only the leave datagram
/// can achieve; noticing a silent node takes a token timeout plus the
/// consensus timeout (5 s + 6 s). Forming rings does not wait for it.
const TOKEN_MS: u32 = 5000;
/// Wall-clock bound for the departure to be seen: generous (this is not a
/// timing test), but below TOKEN_MS.
const LEAVE_BOUND: Duration = Duration::from_secs(3);
/// Bound for rings to form: a few token timeouts, in case a datagram of the
/// membership protocol is lost on a loaded machine.
const FORM_BOUND: Duration = Duration::from_secs(40);

#[test]
fn three_nodes_leave_and_rejoin() {
    let port = match free_port(&ADDRS) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED three_nodes_leave_and_rejoin: needs 127.0.0.1-3 bindable ({why})");
            return;
        }
    };
    let dir = TempDir::new("ring");
    let run_dir = dir.path().join("run");
    let configs: Vec<_> = ADDRS
        .iter()
        .map(|a| {
            let path = dir.path().join(format!("{a}.conf"));
            std::fs::write(&path, udpu_config(a, port, &ADDRS, TOKEN_MS)).unwrap();
            path
        })
        .collect();

    // One after the other, each waiting for the ring to take in the last.
    // Three started in the same millisecond sometimes cost a token timeout
    // (5 s here): a node's commit token reaches a peer that has meanwhile
    // heard of the third node and refuses it, and the sender waits out the
    // token timeout in COMMIT, as corosync's membership protocol does.
    let logs = |nodes: &[Node]| nodes.iter().map(Node::log).collect::<Vec<_>>().join("\n");
    let mut nodes: Vec<Node> = Vec::new();
    for (i, (a, c)) in ADDRS.iter().zip(&configs).enumerate() {
        nodes.push(Node::start(a, c, &run_dir));
        for n in &nodes {
            assert!(
                n.lines.wait_for(0, FORM_BOUND, regular_config(i + 1)).is_some(),
                "{} never saw {} members\n{}",
                n.name,
                i + 1,
                logs(&nodes)
            );
        }
    }

    // Stop the second node.
    let marks: Vec<usize> = nodes.iter().map(|n| n.lines.len()).collect();
    let stopped_at = Instant::now();
    nodes[1].signal(Signal::SIGTERM);
    for i in [0, 2] {
        let n = &nodes[i];
        let left = n.lines.wait_for(marks[i], LEAVE_BOUND, regular_config(2));
        assert!(
            left.is_some(),
            "{} did not see the ring shrink to 2 within {LEAVE_BOUND:?} of SIGTERM\n{}",
            n.name,
            logs(&nodes)
        );
        // Reported against the previous ring: the stopped node is listed
        // under Members Left.
        let lines = n.lines.all();
        let block = &lines[marks[i]..=left.unwrap()];
        let left_at = block.iter().rposition(|l| l.contains("Members Left:")).unwrap();
        assert!(
            block[left_at + 1].contains("ip(127.0.0.2) nodeid 2130706434"),
            "{}: {block:#?}",
            n.name
        );
    }
    eprintln!(
        "departure seen by both survivors {:?} after SIGTERM",
        stopped_at.elapsed()
    );
    let status = nodes[1]
        .wait_exit(LEAVE_BOUND)
        .unwrap_or_else(|| panic!("no exit\n{}", logs(&nodes)));
    assert!(status.success(), "exit status {status:?}\n{}", logs(&nodes));
    assert!(nodes[1].lines.all().iter().any(|l| l.contains("SIGTERM received")));

    // The ring sequence it saved, which a restart must go beyond.
    let saved: u64 = std::fs::read_to_string(run_dir.join("ringid_2130706434"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(saved >= 8, "saved ring sequence {saved}");

    // Restart it: three again, everywhere.
    let marks: Vec<usize> = nodes.iter().map(|n| n.lines.len()).collect();
    nodes[1] = Node::start(ADDRS[1], &configs[1], &run_dir);
    let mut rings = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let from = if i == 1 { 0 } else { marks[i] };
        let at = n.lines.wait_for(from, FORM_BOUND, regular_config(3));
        let at = at.unwrap_or_else(|| panic!("{} never saw 3 members again\n{}", n.name, logs(&nodes)));
        rings.push(ring_of(&n.lines.all()[at]).unwrap());
    }
    assert!(
        rings.iter().all(|r| *r == rings[0]),
        "one ring for all three: {rings:?}"
    );
    assert!(
        rings[1] > saved,
        "restarted node's ring {} is not beyond its saved {saved}",
        rings[1]
    );
    let first = nodes[1]
        .lines
        .wait_for(0, Duration::ZERO, |l| l.contains("installed on ring"))
        .unwrap();
    let first_ring = ring_of(&nodes[1].lines.all()[first]).unwrap();
    assert!(
        first_ring > saved,
        "restarted node's first ring {first_ring} reuses a sequence <= {saved}"
    );

    // Clean shutdown of everyone: all exit 0.
    for n in &nodes {
        n.signal(Signal::SIGTERM);
    }
    for n in &mut nodes {
        let status = n.wait_exit(Duration::from_secs(10)).expect("exit after SIGTERM");
        assert!(status.success(), "{} exited with {status:?}", n.name);
    }
}
