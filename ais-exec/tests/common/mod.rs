//! Running `aisexec` processes on loopback addresses for tests.
//!
//! Each node gets its own 127.0.0.x address and the same port (udpu), a
//! config file written here, and `AIS_RUN_DIR` in a temporary directory.
//! Processes are killed when their `Node` is dropped, so a failing test
//! leaves nothing running; nothing is sent beyond 127.0.0.0/8.

#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub const AISEXEC: &str = env!("CARGO_BIN_EXE_aisexec");

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("aisexec-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A UDP port free on every one of `addrs`, or why there is none: the
/// addresses beyond 127.0.0.1 are missing on some systems (not Linux).
pub fn free_port(addrs: &[&str]) -> Result<u16, String> {
    for _ in 0..50 {
        let first = UdpSocket::bind((addrs[0], 0)).map_err(|e| format!("bind {}: {e}", addrs[0]))?;
        let port = first.local_addr().unwrap().port();
        let mut held = vec![first];
        let mut ok = true;
        for a in &addrs[1..] {
            match UdpSocket::bind((*a, port)) {
                Ok(s) => held.push(s),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    ok = false;
                    break;
                }
                Err(e) => return Err(format!("bind {a}:{port}: {e}")),
            }
        }
        if ok {
            return Ok(port);
        }
    }
    Err("no port free on all addresses after 50 tries".into())
}

/// An openais.conf for a udpu node at `addr` with the given members.
pub fn udpu_config(addr: &str, port: u16, members: &[&str], token_ms: u32) -> String {
    let mut s = format!(
        "totem {{\n\tversion: 2\n\tsecauth: off\n\ttransport: udpu\n\ttoken: {token_ms}\n\
         \tinterface {{\n\t\tringnumber: 0\n\t\tbindnetaddr: {addr}\n\t\tmcastport: {port}\n"
    );
    for m in members {
        s.push_str(&format!("\t\tmember {{\n\t\t\tmemberaddr: {m}\n\t\t}}\n"));
    }
    s.push_str("\t}\n}\nlogging {\n\tto_stderr: yes\n\tto_syslog: no\n\ttimestamp: on\n\tdebug: off\n}\n");
    s
}

/// One executive on 127.0.0.1 (udpu, 300 ms token) with its files in `dir`, started
/// and past its first regular configuration.
pub fn single_node(dir: &TempDir) -> Node {
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
    node
}

/// Calls, retrying for up to 10 s while the service answers TRY_AGAIN (it is
/// re-synchronising after a configuration change); returns status and payload.
pub fn call_retrying(c: &ais_client::runtime::Connection, m: u16, payload: &[u8]) -> (u32, Vec<u8>) {
    let t = Duration::from_secs(10);
    let end = Instant::now() + t;
    loop {
        let r = c.call(m, payload, Some(t)).expect("call");
        if r.status != ais_proto::status::TRY_AGAIN || Instant::now() > end {
            return (r.status, r.payload);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lines a process wrote to stderr, as they arrive.
#[derive(Clone, Default)]
pub struct Lines(Arc<(Mutex<Vec<String>>, Condvar)>);

impl Lines {
    pub fn len(&self) -> usize {
        self.0 .0.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<String> {
        self.0 .0.lock().unwrap().clone()
    }

    /// The index of the first line at or after `from` that satisfies `pred`,
    /// waiting up to `timeout` for it.
    pub fn wait_for(&self, from: usize, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<usize> {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &*self.0;
        let mut lines = lock.lock().unwrap();
        let mut seen = from;
        loop {
            if let Some(i) = lines.iter().skip(seen).position(|l| pred(l)) {
                return Some(seen + i);
            }
            seen = seen.max(lines.len());
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            lines = cv.wait_timeout(lines, deadline - now).unwrap().0;
        }
    }
}

/// One running aisexec.
pub struct Node {
    pub name: String,
    pub child: Option<Child>,
    pub lines: Lines,
    /// Its IPC socket (`AIS_IPC_SOCKET`).
    pub socket: String,
}

impl Node {
    /// Starts `aisexec -f -c <config>` with `AIS_RUN_DIR=run_dir` and an IPC
    /// socket of its own (several executives share this machine).
    pub fn start(name: &str, config: &Path, run_dir: &Path) -> Node {
        Node::start_env(name, config, run_dir, &[])
    }

    /// As [`Node::start`], with more environment variables.
    pub fn start_env(name: &str, config: &Path, run_dir: &Path, env: &[(&str, &Path)]) -> Node {
        let socket = format!("@ais-test-{}-{}-{name}", std::process::id(), run_dir.display());
        let mut child = Command::new(AISEXEC)
            .envs(env.iter().copied())
            .arg("-f")
            .arg("-c")
            .arg(config)
            .env("AIS_RUN_DIR", run_dir)
            .env("AIS_IPC_SOCKET", &socket)
            .env_remove("OPENAIS_MAIN_CONFIG_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn aisexec");
        let lines = Lines::default();
        let sink = lines.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let (lock, cv) = &*sink.0;
                lock.lock().unwrap().push(line);
                cv.notify_all();
            }
        });
        Node {
            name: name.into(),
            child: Some(child),
            lines,
            socket,
        }
    }

    /// Opens a handle of `service` on this executive through the libraries' client
    /// runtime.
    pub fn connect(
        &self,
        service: ais_proto::ServiceId,
        version: ais_proto::AisVersion,
    ) -> ais_client::runtime::Connection {
        let socket = ais_proto::SocketName::parse(self.socket.clone()).unwrap();
        ais_client::runtime::Connection::open_at(&socket, service, version, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("open {service} on {}: {e:?}", self.name))
    }

    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.as_ref().expect("running").id() as i32)
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.pid(), sig).expect("kill");
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The log so far, for failure messages.
    pub fn log(&self) -> String {
        format!("--- {} ---\n{}", self.name, self.lines.all().join("\n"))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The ring sequence of the last "Regular configuration of N members
/// installed on ring S" line at or after `from` whose N is `members`.
pub fn regular_config(members: usize) -> impl Fn(&str) -> bool {
    let needle = format!("Regular configuration of {members} members installed");
    move |l: &str| l.contains(&needle)
}

/// The ring sequence number a "Regular configuration ..." line names.
pub fn ring_of(line: &str) -> Option<u64> {
    let rest = line.split(" installed on ring ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}
