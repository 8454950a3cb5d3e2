//! ais-cfgtool against a running executive.

mod common;

use common::*;
use std::process::Command;

const CFGTOOL: &str = env!("CARGO_BIN_EXE_ais-cfgtool");

#[test]
fn cfgtool_prints_the_ring_of_a_running_executive() {
    let dir = TempDir::new("cfgtool");
    let node = single_node(&dir);
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
