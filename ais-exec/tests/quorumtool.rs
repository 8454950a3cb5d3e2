//! ais-quorumtool against a running executive: without `quorum { }` it says
//! so and exits 0; one node of two expected votes is not quorate and the
//! tool exits 2, as corosync-quorumtool does.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const QUORUMTOOL: &str = env!("CARGO_BIN_EXE_ais-quorumtool");

fn status(socket: &str) -> (Option<i32>, String) {
    let out = Command::new(QUORUMTOOL)
        .arg("-s")
        .env("AIS_IPC_SOCKET", socket)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn quorumtool_without_a_quorum_section_says_so_and_exits_0() {
    let dir = TempDir::new("quorumtool-none");
    let node = single_node(&dir);
    let (code, text) = status(&node.socket);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Quorum provider:  none"), "{text}");
}

#[test]
fn quorumtool_one_of_two_expected_votes_is_not_quorate_exit_2() {
    let dir = TempDir::new("quorumtool-minority");
    let port = free_port(&["127.0.0.1"]).expect("a free port");
    let conf = dir.path().join("node.conf");
    let text = udpu_config("127.0.0.1", port, &["127.0.0.1"], 300)
        + "quorum {\n\tprovider: corosync_votequorum\n\texpected_votes: 2\n}\n";
    std::fs::write(&conf, text).unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let node = Node::start("n1", &conf, &run);
    assert!(
        node.lines
            .wait_for(0, Duration::from_secs(10), regular_config(1))
            .is_some(),
        "{}",
        node.log()
    );
    let (code, text) = status(&node.socket);
    assert_eq!(code, Some(2), "{text}");
    for want in [
        "Quorate:          No",
        "Expected votes:   2",
        "Total votes:      1",
        "Quorum:           2  Activity blocked",
        "2130706433          1 (local)",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    assert!(
        node.lines
            .wait_for(0, Duration::from_secs(5), |l| l
                .contains("not quorate: 1 of 2 expected votes"))
            .is_some(),
        "{}",
        node.log()
    );
}

#[test]
fn quorumtool_help_version_and_usage() {
    for arg in ["-h", "--help", "-v", "--version"] {
        let out = Command::new(QUORUMTOOL).arg(arg).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{arg}");
        assert!(!out.stdout.is_empty(), "{arg}");
    }
    let out = Command::new(QUORUMTOOL).arg("-q").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}
