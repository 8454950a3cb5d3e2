//! ais-cpgtool against a running executive with a group member.

mod common;

use ais_proto::cpg as msg;
use ais_proto::{AisVersion, ServiceId, Writer};
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

const CPGTOOL: &str = env!("CARGO_BIN_EXE_ais-cpgtool");
const T: Duration = Duration::from_secs(10);

#[test]
fn cpgtool_lists_groups_with_their_members() {
    let dir = TempDir::new("cpgtool");
    let node = single_node(&dir);
    let socket = node.socket.clone();
    let c = node.connect(ServiceId::CPG, AisVersion::new(0, 0, 0));
    let mut w = Writer::new();
    w.name(b"tool-group").unwrap();
    let end = Instant::now() + T;
    loop {
        let r = c.call(msg::JOIN, w.as_slice(), Some(T)).unwrap();
        if r.status == ais_proto::status::OK {
            break;
        }
        assert!(Instant::now() < end, "join: {}", r.status);
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = std::process::id().to_string();
    // The join is ordered, then listed.
    let end = Instant::now() + T;
    let text = loop {
        let out = Command::new(CPGTOOL).env("AIS_IPC_SOCKET", &socket).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if text.contains("tool-group") || Instant::now() > end {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| *l == "tool-group").expect(&text);
    let member: Vec<&str> = lines[at + 1].split_whitespace().collect();
    assert_eq!(member, vec![pid.as_str(), "2130706433"], "{text}");

    let out = Command::new(CPGTOOL)
        .arg("-n")
        .env("AIS_IPC_SOCKET", &socket)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Group Name\ntool-group\n");
    let out = Command::new(CPGTOOL)
        .env("AIS_IPC_SOCKET", "@ais-test-nobody-listens")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is aisexec running?"));
    assert_eq!(Command::new(CPGTOOL).arg("-x").output().unwrap().status.code(), Some(2));
}
