//! `nodes { node { nodeid; name; ring0_addr } }` as corosync's nodelist: the
//! entry whose ring0_addr is this machine's address gives the executive its
//! node id, and CLM reports the entry's name for it; an explicit
//! `totem.nodeid` that disagrees stops the executive naming both lines.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ais_proto::clm::{ClusterNode, LOCAL_NODE_ID, NODE_GET};
use ais_proto::codec::{Reader, Writer};
use ais_proto::{status, AisVersion, ServiceId};
use common::*;

fn config(port: u16, totem_nodeid: Option<u32>) -> String {
    let base = udpu_config("127.0.0.1", port, &["127.0.0.1", "127.0.0.2"], 1000);
    let base = match totem_nodeid {
        Some(id) => base.replacen("\tsecauth: off\n", &format!("\tsecauth: off\n\tnodeid: {id}\n"), 1),
        None => base,
    };
    format!(
        "{base}nodes {{\n\tnode {{\n\t\tnodeid: 11\n\t\tname: alpha\n\t\tring0_addr: 127.0.0.1\n\t}}\n\
         \tnode {{\n\t\tnodeid: 12\n\t\tname: beta\n\t\tring0_addr: 127.0.0.2\n\t}}\n}}\n"
    )
}

#[test]
fn the_entry_of_this_machine_gives_its_id_and_name() {
    let port = match free_port(&["127.0.0.1"]) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED the_entry_of_this_machine_gives_its_id_and_name: {why}");
            return;
        }
    };
    let dir = TempDir::new("nodelist");
    let path = dir.path().join("openais.conf");
    std::fs::write(&path, config(port, None)).unwrap();
    let node = Node::start("alpha", &path, dir.path());
    assert!(
        node.lines
            .wait_for(0, Duration::from_secs(30), regular_config(1))
            .is_some(),
        "no ring\n{}",
        node.log()
    );
    let c = node.connect(ServiceId::CLM, AisVersion::new(b'B', 1, 1));
    let mut w = Writer::new();
    w.u32(LOCAL_NODE_ID);
    let (st, payload) = call_retrying(&c, NODE_GET, &w.into_vec());
    assert_eq!(st, status::OK, "{}", node.log());
    let me = ClusterNode::decode(&mut Reader::new(&payload)).unwrap();
    assert_eq!(
        (me.node_id, me.name.as_slice(), me.address.as_slice()),
        (11, &b"alpha"[..], &b"127.0.0.1"[..]),
        "{}",
        node.log()
    );
}

#[test]
fn a_disagreeing_totem_nodeid_stops_the_executive() {
    let dir = TempDir::new("nodelist-conflict");
    let path = dir.path().join("openais.conf");
    // The port is never bound: the node id is chosen first.
    let text = config(9, Some(7));
    std::fs::write(&path, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let mut child = Command::new(AISEXEC)
        .args(["-f", "-c"])
        .arg(&path)
        .env("AIS_RUN_DIR", dir.path())
        .env("AIS_IPC_SOCKET", format!("@ais-test-nodelist-{}", std::process::id()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // An executive that does not refuse the file runs on: stop it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let p = path.display();
    assert!(
        err.contains(&format!("{p}:{}: totem.nodeid: 7", line_of("nodeid: 7")))
            && err.contains(&format!("{p}:{}", line_of("nodeid: 11"))),
        "{err}"
    );
}
