//! ais-clmtool against a running executive, with an application tracking the
//! steps of CLM B.04.01's administrative operations: it rejects the first lock,
//! accepts the next, sees the node leave (COMPLETED, LEFT) and come back on unlock.

mod common;

use ais_client::clm::{self, Clm, ClmEvent, B0401};
use ais_client::DispatchMode;
use common::*;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLMTOOL: &str = env!("CARGO_BIN_EXE_ais-clmtool");
const T: Duration = Duration::from_secs(10);

const LEFT: u32 = 3;
const JOINED: u32 = 2;

fn open(socket: &str) -> Clm {
    let name = ais_proto::SocketName::parse(socket).unwrap();
    let end = Instant::now() + T;
    loop {
        match Clm::open_at(&name, B0401) {
            Ok(c) => return c,
            Err(_) if Instant::now() < end => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("open CLM: {e}"),
        }
    }
}

fn tool(socket: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(CLMTOOL)
        .args(args)
        .env("AIS_IPC_SOCKET", socket)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A step the application saw: the step and (change, node id, member) of each entry.
type Step = (u32, Vec<(u32, u32, bool)>);

#[test]
fn clmtool_lock_is_validated_started_completed_and_undone_by_unlock() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED clmtool test: administrative operations need root");
        return;
    }
    let dir = TempDir::new("clmtool");
    let node = single_node(&dir);
    let socket = node.socket.clone();
    let tracker = open(&socket);
    let end = Instant::now() + T;
    let me = loop {
        match tracker.node_get(clm::LOCAL_NODE_ID, T) {
            Ok(n) => break n.node_id,
            Err(_) if Instant::now() < end => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("node get: {e}"),
        }
    };
    tracker
        .track_start(
            clm::TRACK_CHANGES_ONLY | clm::TRACK_VALIDATE_STEP | clm::TRACK_START_STEP,
            false,
        )
        .unwrap();

    // The application: rejects the first validation, accepts everything after.
    let seen: Arc<Mutex<Vec<Step>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let app = {
        let (seen, stop) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut rejected = false;
            while !stop.load(Ordering::Relaxed) {
                let mut todo = Vec::new();
                tracker
                    .dispatch(DispatchMode::One, |e| {
                        if let ClmEvent::Step { step, list } = e {
                            let items = list
                                .items
                                .iter()
                                .map(|n| (n.change, n.node.node_id, n.node.member))
                                .collect();
                            seen.lock().unwrap().push((step.step, items));
                            if step.invocation != 0 {
                                todo.push((step.step, step.invocation));
                            }
                        }
                    })
                    .ok();
                for (s, inv) in todo {
                    let answer = if s == clm::STEP_VALIDATE && !rejected {
                        rejected = true;
                        clm::RESPONSE_REJECTED
                    } else {
                        clm::RESPONSE_OK
                    };
                    tracker.response(inv, answer).unwrap();
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            tracker
        })
    };

    let id = me.to_string();
    let (code, text) = tool(&socket, &["lock", &id]);
    assert_eq!(code, Some(1), "the first lock is rejected: {text}");
    assert!(text.contains("refused"), "{text}");
    let (code, text) = tool(&socket, &["lock", &id, "-t", "5"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = tool(&socket, &["lock", &id]);
    assert_eq!(code, Some(1), "already locked: {text}");
    let probe = open(&socket);
    assert!(!probe.node_get(me, T).unwrap().member, "the locked node is no member");
    let (code, text) = tool(&socket, &["unlock", &id]);
    assert_eq!(code, Some(0), "{text}");
    assert!(probe.node_get(me, T).unwrap().member);
    assert_eq!(tool(&socket, &["unlock"]).0, Some(2));
    assert_eq!(tool(&socket, &["freeze", &id]).0, Some(2));
    assert_eq!(tool(&socket, &["lock", "no-such-node"]).0, Some(1));

    let end = Instant::now() + T;
    while seen.lock().unwrap().len() < 6 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    app.join().unwrap();
    let steps: Vec<u32> = seen.lock().unwrap().iter().map(|s| s.0).collect();
    assert_eq!(
        steps,
        vec![
            clm::STEP_VALIDATE,
            clm::STEP_ABORTED,
            clm::STEP_VALIDATE,
            clm::STEP_START,
            clm::STEP_COMPLETED,
            clm::STEP_COMPLETED
        ]
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[4].1, vec![(LEFT, me, false)]);
    assert_eq!(seen[5].1, vec![(JOINED, me, true)]);
}
