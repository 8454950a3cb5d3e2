//! The command line every program shares (`-h`/`--help`, `-v`/`--version`), aisexec's
//! configuration check (`-t`, as corosync's) and its refusal to run twice on one socket.

mod common;

use common::*;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PROGRAMS: [&str; 5] = [
    AISEXEC,
    env!("CARGO_BIN_EXE_ais-cfgtool"),
    env!("CARGO_BIN_EXE_ais-cpgtool"),
    env!("CARGO_BIN_EXE_ais-clmtool"),
    env!("CARGO_BIN_EXE_ais-keygen"),
];

fn run(bin: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("OPENAIS_MAIN_CONFIG_FILE")
        .env_remove("OPENAIS_TOTEM_AUTHKEY_FILE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn name_of(bin: &str) -> &str {
    Path::new(bin).file_name().unwrap().to_str().unwrap()
}

/// `aisexec --help` answered "unknown option '--'": every program now prints its usage
/// for -h and --help and its version for -v and --version, on stdout, with status 0.
#[test]
fn every_program_answers_help_and_version() {
    for bin in PROGRAMS {
        let name = name_of(bin);
        for flag in ["-h", "--help"] {
            let o = run(bin, &[flag], &[]);
            assert_eq!(o.status.code(), Some(0), "{name} {flag}: {}", text(&o.stderr));
            let out = text(&o.stdout);
            assert!(out.starts_with(&format!("usage: {name}")), "{name} {flag}: {out}");
            assert!(
                out.contains("--version"),
                "{name} {flag} does not mention --version: {out}"
            );
            assert!(o.stderr.is_empty(), "{name} {flag}: {}", text(&o.stderr));
        }
        for flag in ["-v", "--version"] {
            let o = run(bin, &[flag], &[]);
            assert_eq!(o.status.code(), Some(0), "{name} {flag}: {}", text(&o.stderr));
            assert_eq!(
                text(&o.stdout),
                format!("{name} (ais-exec) {}\n", env!("CARGO_PKG_VERSION")),
                "{name} {flag}"
            );
        }
    }
    // A long option aisexec does not have is named as it was written.
    let o = run(AISEXEC, &["--frobnicate"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("unknown option '--frobnicate'"),
        "{}",
        text(&o.stderr)
    );
}

fn write_key(path: &Path, len: usize, mode: u32) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .unwrap();
    std::io::Write::write_all(&mut f, &vec![7u8; len]).unwrap();
}

/// `aisexec -t` reads and checks the configuration and the key as a start would, says
/// what would run, and binds, writes and locks nothing (corosync's `-t`).
#[test]
fn check_mode_says_what_would_run_and_touches_nothing() {
    let dir = TempDir::new("cli-check");
    // The ring's port is taken (the system picks it, so no other test can take it
    // first): a start would fail, a check binds nothing.
    let squatter = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let port = squatter.local_addr().unwrap().port();
    let conf = dir.path().join("openais.conf");
    std::fs::write(&conf, udpu_config("127.0.0.1", port, &["127.0.0.1"], 300)).unwrap();
    let run_dir = dir.path().join("state");

    let o = run(
        AISEXEC,
        &["-t", "-c", conf.to_str().unwrap()],
        &[("AIS_RUN_DIR", &run_dir)],
    );
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        out.starts_with(&format!("{}: configuration ok\n", conf.display())),
        "{out}"
    );
    assert!(out.contains("node id      2130706433 (0x7f000001)\n"), "{out}");
    assert!(
        out.contains(&format!("ring 0       127.0.0.1:{port} on lo, udpu to 1 members\n")),
        "{out}"
    );
    assert!(out.contains("secauth      off\n"), "{out}");
    assert!(out.contains("IPC socket   @ais\n"), "{out}");
    assert!(err.contains("warning: totem.secauth is off"), "{err}");
    assert!(!run_dir.exists(), "-t created the state directory");

    // secauth on: the key is read and checked.
    let secure = dir.path().join("secure.conf");
    std::fs::write(
        &secure,
        udpu_config("127.0.0.1", port, &["127.0.0.1"], 300).replace("secauth: off", "secauth: on"),
    )
    .unwrap();
    let key = dir.path().join("authkey");
    let o = run(
        AISEXEC,
        &["-t", "-c", secure.to_str().unwrap()],
        &[("OPENAIS_TOTEM_AUTHKEY_FILE", &key)],
    );
    assert_eq!(o.status.code(), Some(1), "no key yet: {}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains(&key.display().to_string()),
        "{}",
        text(&o.stderr)
    );
    write_key(&key, 128, 0o400);
    let o = run(
        AISEXEC,
        &["-t", "-c", secure.to_str().unwrap()],
        &[("OPENAIS_TOTEM_AUTHKEY_FILE", &key)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains(&format!("secauth      on, key {} (128 bytes)\n", key.display())),
        "{}",
        text(&o.stdout)
    );
    // A key others can read is refused, as at a start.
    let open_key = dir.path().join("open-key");
    write_key(&open_key, 128, 0o644);
    let o = run(
        AISEXEC,
        &["-t", "-c", secure.to_str().unwrap()],
        &[("OPENAIS_TOTEM_AUTHKEY_FILE", &open_key)],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));

    // An invalid configuration: status 1, the file and line named.
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "totem {\n\ttoken: 300\n\ttoken_retransmit: 400\n}\n").unwrap();
    let o = run(AISEXEC, &["-t", "-c", bad.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains(&format!("{}:3: totem.token_retransmit", bad.display())),
        "{}",
        text(&o.stderr)
    );
    assert!(o.stdout.is_empty());
}

/// A second aisexec on the socket of a running one says so, with the first one's pid
/// and the socket, instead of failing on a port already bound.
#[test]
fn second_instance_names_the_first_and_its_socket() {
    let dir = TempDir::new("cli-twice");
    let mut node = single_node(&dir);
    let run_dir = dir.path().join("run");
    let socket = std::ffi::OsString::from(&node.socket);
    let o = Command::new(AISEXEC)
        .args(["-f", "-c"])
        .arg(dir.path().join("node.conf"))
        .env("AIS_RUN_DIR", &run_dir)
        .env("AIS_IPC_SOCKET", &socket)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let pid = node.pid();
    assert!(
        err.contains(&format!(
            "aisexec is already running (pid {pid}) on IPC socket {}",
            node.socket
        )),
        "{err}"
    );
    assert!(!err.contains("bind"), "{err}");
    // The first one is unharmed and still holds the lock.
    node.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(node
        .wait_exit(std::time::Duration::from_secs(10))
        .is_some_and(|s| s.success()));
}
