//! The `aisexec` command line, configuration errors and startup failures,
//! and daemonizing.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs aisexec to completion (every case here exits by itself quickly; a
/// bug that lets one run on is killed after a bound).
fn aisexec(args: &[&str], env: &[(&str, &Path)]) -> Output {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    use std::io::Read;
    let mut cmd = Command::new(AISEXEC);
    // An IPC socket of its own: tests run in parallel on one machine.
    cmd.args(args)
        .env_remove("OPENAIS_MAIN_CONFIG_FILE")
        .env(
            "AIS_IPC_SOCKET",
            format!(
                "@ais-cli-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        )
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("aisexec {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn version_and_help() {
    let v = aisexec(&["-v"], &[]);
    assert!(v.status.success());
    assert_eq!(
        text(&v.stdout),
        format!("aisexec (ais-exec) {}\n", env!("CARGO_PKG_VERSION"))
    );
    let h = aisexec(&["-h"], &[]);
    assert!(h.status.success());
    assert!(text(&h.stdout).contains("-c FILE"));
}

#[test]
fn bad_command_line() {
    let o = aisexec(&["-x"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("unknown option '-x'") && err.contains("usage:"), "{err}");
    let o = aisexec(&["-c"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn invalid_config_names_file_line_and_key() {
    let dir = TempDir::new("cli-bad");
    let path = dir.path().join("openais.conf");
    std::fs::write(
        &path,
        "totem {\n\ttoken: 300\n\ttoken_retransmit: 400\n\tinterface {\n\t\tbindnetaddr: 127.0.0.1\n\
         \t\tmcastaddr: 239.255.1.1\n\t}\n}\n",
    )
    .unwrap();
    let o = aisexec(&["-f", "-c", path.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let want = format!("{}:3: totem.token_retransmit: must be less than token", path.display());
    assert!(err.contains(&want), "{err}");
}

#[test]
fn config_file_from_environment_and_option() {
    let dir = TempDir::new("cli-env");
    let missing_env = dir.path().join("from-env.conf");
    let missing_opt = dir.path().join("from-option.conf");
    let o = aisexec(&["-f"], &[("OPENAIS_MAIN_CONFIG_FILE", &missing_env)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains(&format!("{}: can't read", missing_env.display())),
        "{}",
        text(&o.stderr)
    );
    // -c wins over the variable.
    let o = aisexec(
        &["-f", "-c", missing_opt.to_str().unwrap()],
        &[("OPENAIS_MAIN_CONFIG_FILE", &missing_env)],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains(&format!("{}: can't read", missing_opt.display())));
}

#[test]
fn warnings_then_a_startup_failure() {
    let dir = TempDir::new("cli-warn");
    let path = dir.path().join("openais.conf");
    // An address in no local network (documentation ranges first; some test
    // machines sit in one of them). secauth off must be warned about. The
    // only member is loopback: nothing may leave the machine even if the
    // executive started.
    let here = ais_exec::daemon::netif::local_addresses().unwrap();
    let Some(foreign) = ["203.0.113.77", "198.51.100.77", "192.0.2.77", "10.254.253.77"]
        .into_iter()
        .find(|a| ais_exec::daemon::netif::select(a.parse().unwrap(), &here).is_none())
    else {
        eprintln!("SKIPPED warnings_then_a_startup_failure: every candidate address is local here");
        return;
    };
    std::fs::write(
        &path,
        format!(
            "totem {{\n\tbogus: 1\n\tsecauth: off\n\ttransport: udpu\n\tinterface {{\n\t\tbindnetaddr: {foreign}\n\
             \t\tmember {{\n\t\t\tmemberaddr: 127.0.0.1\n\t\t}}\n\t}}\n}}\nlogging {{\n\tto_syslog: no\n}}\n"
        ),
    )
    .unwrap();
    let o = aisexec(&["-f", "-c", path.to_str().unwrap()], &[("AIS_RUN_DIR", dir.path())]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{}:2: unknown key 'totem.bogus' ignored", path.display())),
        "{err}"
    );
    assert!(err.contains("secauth is off: datagrams are not authenticated"), "{err}");
    assert!(
        err.contains(&format!("no local interface has an address in bindnetaddr {foreign}")),
        "{err}"
    );
}

#[test]
fn port_in_use_and_unwritable_run_dir() {
    let port = match free_port(&["127.0.0.1"]) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED port_in_use_and_unwritable_run_dir: {why}");
            return;
        }
    };
    let dir = TempDir::new("cli-port");
    let path = dir.path().join("openais.conf");
    std::fs::write(&path, udpu_config("127.0.0.1", port, &["127.0.0.1"], 300)).unwrap();

    let squatter = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let o = aisexec(&["-f", "-c", path.to_str().unwrap()], &[("AIS_RUN_DIR", dir.path())]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("bind 127.0.0.1:{port}")), "{err}");
    drop(squatter);

    // A file where the state directory should be.
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let o = aisexec(&["-f", "-c", path.to_str().unwrap()], &[("AIS_RUN_DIR", &not_a_dir)]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("ring sequence store"), "{err}");
}

/// Kills a pid on drop unless it is known to be gone.
struct PidGuard(Option<Pid>);

impl Drop for PidGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0 {
            let _ = kill(p, Signal::SIGKILL);
        }
    }
}

/// Whether `p` still runs. A daemon's parent is init (or a subreaper that
/// may not reap at once), so an exited one can linger as a zombie.
fn alive(p: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{p}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => !matches!(
            stat.rsplit(')').next().and_then(|r| r.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(_) => false,
    }
}

#[test]
fn without_f_it_becomes_a_daemon() {
    let port = match free_port(&["127.0.0.1"]) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED without_f_it_becomes_a_daemon: {why}");
            return;
        }
    };
    let dir = TempDir::new("cli-daemon");
    let log = dir.path().join("aisexec.log");
    let path = dir.path().join("openais.conf");
    let conf = udpu_config("127.0.0.1", port, &["127.0.0.1"], 300).replace(
        "\tto_stderr: yes\n",
        &format!("\tto_stderr: yes\n\tto_file: yes\n\tlogfile: {}\n", log.display()),
    );
    std::fs::write(&path, conf).unwrap();

    // The parent returns at once with 0; the daemon goes on.
    let o = aisexec(&["-c", path.to_str().unwrap()], &[("AIS_RUN_DIR", dir.path())]);
    assert!(o.status.success(), "{}", text(&o.stderr));

    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("started and ready")) {
            let pid: i32 = line
                .rsplit("pid ")
                .next()
                .unwrap()
                .trim_end_matches(").")
                .parse()
                .unwrap();
            break Pid::from_raw(pid);
        }
        assert!(Instant::now() < deadline, "no ready line in the log:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut guard = PidGuard(Some(pid));
    assert!(alive(pid));
    assert_ne!(pid.as_raw() as u32, std::process::id());
    // A ring of its own is formed and logged to the file.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("Regular configuration of 1 members")
    {
        assert!(Instant::now() < deadline, "no ring formed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // It detached from our stderr: nothing of the ring reached it.
    assert!(!text(&o.stderr).contains("Regular configuration"));

    kill(pid, Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "daemon still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    guard.0 = None;
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("AIS Executive exiting."));
}

/// IPv6: a node on ::1 (with the node id IPv6 needs) forms a ring of its own
/// and leaves cleanly.
#[test]
fn ipv6_loopback_single_node() {
    let port = match std::net::UdpSocket::bind("[::1]:0") {
        Ok(s) => s.local_addr().unwrap().port(),
        Err(e) => {
            eprintln!("SKIPPED ipv6_loopback_single_node: ::1 is not bindable here ({e})");
            return;
        }
    };
    let dir = TempDir::new("cli-v6");
    let path = dir.path().join("openais.conf");
    std::fs::write(
        &path,
        format!(
            "totem {{\n\tsecauth: off\n\tnodeid: 66\n\ttransport: udpu\n\tinterface {{\n\t\tbindnetaddr: ::1\n\
             \t\tmcastport: {port}\n\t\tmember {{\n\t\t\tmemberaddr: ::1\n\t\t}}\n\t}}\n}}\n\
             logging {{\n\tto_stderr: yes\n\tto_syslog: no\n\tfileline: on\n}}\n"
        ),
    )
    .unwrap();
    let mut n = Node::start("::1", &path, dir.path());
    assert!(
        n.lines
            .wait_for(0, Duration::from_secs(20), regular_config(1))
            .is_some(),
        "{}",
        n.log()
    );
    let lines = n.lines.all();
    assert!(
        lines.iter().any(|l| l.contains("r(0) ip(::1) nodeid 66")),
        "{}",
        n.log()
    );
    // fileline: on puts the source position before the message.
    assert!(
        lines
            .iter()
            .any(|l| l.contains(".rs:") && l.contains(": CLM CONFIGURATION CHANGE")),
        "{}",
        n.log()
    );
    assert!(dir.path().join("ringid_66").exists());
    n.signal(Signal::SIGTERM);
    assert!(n.wait_exit(Duration::from_secs(10)).expect("exit").success());
}
