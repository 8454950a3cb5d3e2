//! ais-cfgtool against a running executive.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const CFGTOOL: &str = env!("CARGO_BIN_EXE_ais-cfgtool");

#[test]
fn cfgtool_prints_the_ring_of_a_running_executive() {
    let dir = TempDir::new("cfgtool");
    let port = free_port(&["127.0.0.1"]).expect("a free port");
    let conf = dir.path().join("node.conf");
    std::fs::write(&conf, udpu_config("127.0.0.1", port, &["127.0.0.1"], 300)).unwrap();
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
    let socket = &node.socket;
    let out = Command::new(CFGTOOL)
        .arg("-s")
        .env("AIS_IPC_SOCKET", &socket)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Local node ID 2130706433"), "{text}");
    assert!(text.contains("state\t= operational"), "{text}");
    assert!(text.contains("members\t= 1 (2130706433)"), "{text}");
    assert!(text.contains("rings_formed\t= 1"), "{text}");
    assert!(text.contains("dropped_bad_digest\t= 0"), "{text}");

    let out = Command::new(CFGTOOL)
        .arg("-s")
        .env("AIS_IPC_SOCKET", "@ais-test-nobody-listens")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is aisexec running?"));
    let out = Command::new(CFGTOOL).arg("-q").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
