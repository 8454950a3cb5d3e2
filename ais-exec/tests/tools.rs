//! What every program of ais-exec does when its standard output is closed, and what the
//! tools that talk to the executive say when it refuses them.

mod common;

use common::*;
use std::os::fd::OwnedFd;
use std::process::{Command, Output, Stdio};

const CFGTOOL: &str = env!("CARGO_BIN_EXE_ais-cfgtool");
const CPGTOOL: &str = env!("CARGO_BIN_EXE_ais-cpgtool");
const KEYGEN: &str = env!("CARGO_BIN_EXE_ais-keygen");

/// A pipe whose reader has gone: a write to it fails with EPIPE (Rust programs ignore
/// SIGPIPE), as for `ais-cfgtool -h | true` once `true` has exited.
fn closed_stdout() -> Stdio {
    let (reader, writer): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

fn run_with_closed_stdout(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(closed_stdout())
        .stderr(Stdio::piped())
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn assert_quiet(what: &str, out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{what}: {err}");
    assert_eq!(out.status.code(), Some(0), "{what}: {err}");
    assert!(err.is_empty(), "{what} wrote to stderr: {err}");
}

/// `ais-cfgtool -h | true` panicked with a backtrace; every program exits quietly with
/// status 0 instead, as a filter whose reader went away does.
#[test]
fn every_program_exits_quietly_when_stdout_is_closed() {
    for (bin, args) in [
        (AISEXEC, &["-h"][..]),
        (AISEXEC, &["-v"][..]),
        (CFGTOOL, &["-h"][..]),
        (CPGTOOL, &["-h"][..]),
        (KEYGEN, &["-h"][..]),
    ] {
        let out = run_with_closed_stdout(Command::new(bin).args(args));
        assert_quiet(&format!("{bin} {args:?}"), &out);
    }

    // The tools' real output, from a running executive.
    let dir = TempDir::new("tools-stdout");
    let node = single_node(&dir);
    for (bin, args) in [(CFGTOOL, &["-s"][..]), (CPGTOOL, &[][..]), (CPGTOOL, &["-n"][..])] {
        let out = run_with_closed_stdout(Command::new(bin).args(args).env("AIS_IPC_SOCKET", &node.socket));
        assert_quiet(&format!("{bin} {args:?}"), &out);
    }

    // ais-keygen's report of the key it wrote.
    let key = dir.path().join("authkey");
    let out = run_with_closed_stdout(Command::new(KEYGEN).arg("-k").arg(&key));
    assert_quiet("ais-keygen -k", &out);
    assert!(key.exists());
}

/// An unprivileged user the executive refuses (not root, not in its group, not in
/// `uidgid`) is told so, how to be allowed and which socket was tried, not "is aisexec
/// running?" (which is for nothing listening). Runs each tool as `nobody` through
/// setpriv(1), so it needs root; the runtime's side of it is tested without root against
/// a fake executive (`ais-client`, `a_refusal_is_told_apart_from_nothing_listening`).
#[test]
fn a_refused_user_is_told_how_to_be_allowed() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to run the tools as another user");
        return;
    }
    let Ok(setpriv) = which("setpriv") else {
        eprintln!("skipped: no setpriv(1)");
        return;
    };
    let dir = TempDir::new("tools-refused");
    let node = single_node(&dir);
    for (bin, args) in [(CFGTOOL, &["-s"][..]), (CPGTOOL, &[][..])] {
        let out = Command::new(&setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin)
            .args(args)
            .env("AIS_IPC_SOCKET", &node.socket)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bin}: {err}");
        for needed in ["refused access", "root", "group `ais`", "uidgid", node.socket.as_str()] {
            assert!(err.contains(needed), "{bin}: {needed:?} missing from: {err}");
        }
        assert!(!err.contains("is aisexec running?"), "{bin}: {err}");
    }
    // And as root, where nothing listens: the other message, naming the socket.
    let nobody = "@ais-test-tools-nobody-listens";
    for bin in [CFGTOOL, CPGTOOL] {
        let out = Command::new(bin)
            .args(if bin == CFGTOOL { &["-s"][..] } else { &[][..] })
            .env("AIS_IPC_SOCKET", nobody)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bin}: {err}");
        assert!(
            err.contains("is aisexec running?") && err.contains(nobody),
            "{bin}: {err}"
        );
    }
}

/// A program on PATH.
fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}
