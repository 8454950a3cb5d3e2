//! secauth between `aisexec` processes on 127.0.0.1-3 (udpu): two nodes
//! sharing a key form a ring; a third with another key never joins and does
//! not disturb it. Also the startup checks of the key file.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

const ADDRS: [&str; 3] = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
const TOKEN_MS: u32 = 1000;
const FORM_BOUND: Duration = Duration::from_secs(40);

fn secauth_config(addr: &str, port: u16) -> String {
    udpu_config(addr, port, &ADDRS, TOKEN_MS).replace("secauth: off", "secauth: on")
}

fn write_key(dir: &Path, name: &str, fill: u8) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, (0..256u32).map(|i| (i as u8) ^ fill).collect::<Vec<_>>()).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
    p
}

#[test]
fn same_key_forms_a_ring_and_a_wrong_key_stays_out() {
    let port = match free_port(&ADDRS) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED same_key_forms_a_ring_and_a_wrong_key_stays_out: needs 127.0.0.1-3 ({why})");
            return;
        }
    };
    let dir = TempDir::new("secauth");
    let run_dir = dir.path().join("run");
    let good = write_key(dir.path(), "good.key", 0);
    let bad = write_key(dir.path(), "bad.key", 0x5a);
    let config = |a: &str| {
        let p = dir.path().join(format!("{a}.conf"));
        std::fs::write(&p, secauth_config(a, port)).unwrap();
        p
    };
    let logs = |nodes: &[&Node]| nodes.iter().map(|n| n.log()).collect::<Vec<_>>().join("\n");

    let key = "OPENAIS_TOTEM_AUTHKEY_FILE";
    let a = Node::start_env(ADDRS[0], &config(ADDRS[0]), &run_dir, &[(key, &good)]);
    let b = Node::start_env(ADDRS[1], &config(ADDRS[1]), &run_dir, &[(key, &good)]);
    for n in [&a, &b] {
        assert!(
            n.lines.wait_for(0, FORM_BOUND, regular_config(2)).is_some(),
            "{} never saw 2 members\n{}",
            n.name,
            logs(&[&a, &b])
        );
    }
    assert!(
        a.lines
            .all()
            .iter()
            .any(|l| l.contains("datagram security: AES-256-GCM")),
        "{}",
        a.log()
    );

    let marks = [a.lines.len(), b.lines.len()];
    let c = Node::start_env(ADDRS[2], &config(ADDRS[2]), &run_dir, &[(key, &bad)]);
    // The intruder's datagrams fail authentication at both members (logged,
    // rate limited) ...
    for (n, m) in [(&a, marks[0]), (&b, marks[1])] {
        assert!(
            n.lines
                .wait_for(m, Duration::from_secs(10), |l| l.contains("invalid digest"))
                .is_some(),
            "{} never reported the wrong key\n{}",
            n.name,
            logs(&[&a, &b, &c])
        );
    }
    // ... and for three token timeouts nothing changes: no new
    // configuration on either member, and the intruder only ever sees itself.
    std::thread::sleep(Duration::from_millis(3 * u64::from(TOKEN_MS)) + Duration::from_millis(500));
    for (n, m) in [(&a, marks[0]), (&b, marks[1])] {
        let changed: Vec<_> = n
            .lines
            .all()
            .into_iter()
            .skip(m)
            .filter(|l| l.contains("configuration of"))
            .collect();
        assert!(
            changed.is_empty(),
            "{} installed a configuration: {changed:?}\n{}",
            n.name,
            logs(&[&a, &b, &c])
        );
    }
    assert!(
        !c.lines
            .all()
            .iter()
            .any(|l| l.contains("configuration of 2") || l.contains("configuration of 3")),
        "the intruder joined\n{}",
        logs(&[&a, &b, &c])
    );
}

fn aisexec_exit(config: &Path, run_dir: &Path, key: &Path) -> (Option<i32>, String) {
    let o = Command::new(AISEXEC)
        .args(["-f", "-c"])
        .arg(config)
        .env("AIS_RUN_DIR", run_dir)
        .env("OPENAIS_TOTEM_AUTHKEY_FILE", key)
        .env(
            "AIS_IPC_SOCKET",
            format!("@ais-test-secauth-cli-{}", std::process::id()),
        )
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn bad_key_files_stop_aisexec() {
    let dir = TempDir::new("secauth-cli");
    let config = dir.path().join("openais.conf");
    // The port is never bound: the key is checked first.
    std::fs::write(&config, secauth_config("127.0.0.1", 9)).unwrap();
    let run_dir = dir.path();

    let missing = dir.path().join("missing");
    let (code, err) = aisexec_exit(&config, run_dir, &missing);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&missing.display().to_string()) && err.contains("ais-keygen"),
        "{err}"
    );

    let open = write_key(dir.path(), "open.key", 0);
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, err) = aisexec_exit(&config, run_dir, &open);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&open.display().to_string()) && err.contains("mode 0644"),
        "{err}"
    );

    let short = dir.path().join("short.key");
    std::fs::write(&short, [1u8; 64]).unwrap();
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o400)).unwrap();
    let (code, err) = aisexec_exit(&config, run_dir, &short);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is 64 bytes"), "{err}");
}

#[test]
fn keygen_writes_a_private_key_once() {
    let dir = TempDir::new("keygen");
    let key = dir.path().join("authkey");
    let keygen = env!("CARGO_BIN_EXE_ais-keygen");
    let run = |args: &[&str]| Command::new(keygen).args(args).output().unwrap();
    let k = key.to_str().unwrap();
    assert!(run(&["-k", k]).status.success());
    let meta = std::fs::metadata(&key).unwrap();
    assert_eq!((meta.permissions().mode() & 0o777, meta.len()), (0o400, 128));
    let first = std::fs::read(&key).unwrap();
    let o = run(&["-k", k]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("use -f"));
    assert!(run(&["-k", k, "-f", "-s", "4096"]).status.success());
    let second = std::fs::read(&key).unwrap();
    assert_eq!(second.len(), 4096);
    assert_ne!(&first[..], &second[..128]);
    assert_eq!(run(&["-s", "4097", "-k", k]).status.code(), Some(1));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
    // What it writes is what aisexec accepts.
    assert!(ais_exec::daemon::authkey::load(&key).is_ok());
}
