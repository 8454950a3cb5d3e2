//! The IPC path end to end: the server in-process on a unique abstract socket, with the
//! echo service, driven by the libraries' client runtime (`ais_client::runtime`) from other
//! threads, and by hand-made clients that misbehave. Child processes (this test binary
//! re-run as one ignored test) stand in for a client that is killed and for a client of
//! another uid.

use std::io::{Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream as StdStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ais_client::runtime::{Connection, DispatchMode};
use ais_client::Error;
use ais_proto::{echo as op, status, Handshake, Header, Hello, Kind, Writer, HEADER_LEN};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::echo::{self, EchoEvent, EchoService};
use super::*;

const T: Duration = Duration::from_secs(5);

/// A server on its own thread and current-thread runtime, as the daemon will run it.
struct TestServer {
    socket: SocketName,
    events: Receiver<EchoEvent>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

fn unique_name() -> SocketName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    SocketName::parse(format!("@ais-ipc-test-{}-{n}", std::process::id())).unwrap()
}

impl TestServer {
    fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    fn start_with(tune: impl FnOnce(&mut IpcConfig) + Send + 'static) -> TestServer {
        TestServer::start_at(unique_name(), tune)
    }

    fn start_at(socket: SocketName, tune: impl FnOnce(&mut IpcConfig) + Send + 'static) -> TestServer {
        let (obs_tx, events) = std::sync::mpsc::channel();
        let (stop, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let name = socket.clone();
        let thread = thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let mut services = EchoService::with_observer(obs_tx);
                let mut cfg = IpcConfig::new(name, AccessPolicy::default(), vec![(ServiceId::ECHO, echo::VERSION)]);
                tune(&mut cfg);
                let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
                let server = match serve(cfg, tx) {
                    Ok(s) => s,
                    Err(e) => return ready_tx.send(Err(e)).unwrap(),
                };
                ready_tx.send(Ok(())).unwrap();
                loop {
                    tokio::select! {
                        ev = rx.recv() => match ev {
                            Some(ev) => services.handle(ev),
                            None => break,
                        },
                        _ = &mut stop_rx => break,
                    }
                }
                drop(server);
            });
            // Dropping the runtime drops every connection task and closes their sockets.
        });
        ready.recv().unwrap().unwrap();
        TestServer {
            socket,
            events,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn open(&self) -> Connection {
        Connection::open_at(&self.socket, ServiceId::ECHO, echo::VERSION, T).unwrap()
    }

    /// Waits for the echo service to see `want`.
    fn expect(&self, want: impl Fn(&EchoEvent) -> bool, within: Duration) -> Option<EchoEvent> {
        let end = Instant::now() + within;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) if want(&e) => return Some(e),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn blob(n: u32, b: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(n).blob(b).unwrap();
    w.into_vec()
}

#[test]
fn echo_round_trips_and_statuses() {
    let s = TestServer::start();
    let c = s.open();
    assert_eq!(c.version(), echo::VERSION);
    for n in [0usize, 1, 24, 1000, 100_000, c.max_payload() as usize] {
        let p: Vec<u8> = (0..n).map(|i| (i * 7 + n) as u8).collect();
        let r = c.call(op::ECHO, &p, None).unwrap();
        assert_eq!((r.msg, r.status, r.payload.len()), (op::ECHO, status::OK, n));
        assert!(r.payload == p, "payload of {n} bytes differs");
    }
    let big = vec![0u8; c.max_payload() as usize + 1];
    assert_eq!(c.call(op::ECHO, &big, None), Err(Error::TooBig));
    assert_eq!(c.call(op::STATUS, &12u32.to_le_bytes(), None).unwrap().status, 12);
    assert_eq!(c.call(op::DROP, b"", None).unwrap().status, status::LIBRARY);
    assert_eq!(c.call(999, b"", None).unwrap().status, status::NOT_SUPPORTED);
    // The connection is still fine after all that.
    assert_eq!(c.call(op::ECHO, b"still here", None).unwrap().payload, b"still here");
}

#[test]
fn concurrent_calls_get_their_own_responses() {
    let s = TestServer::start();
    let c = Arc::new(s.open());
    let threads: Vec<_> = (0..6u32)
        .map(|t| {
            let c = c.clone();
            thread::spawn(move || {
                for i in 0..300u32 {
                    let tag = format!("thread {t} call {i}").into_bytes();
                    // Some responses are held back, so they overtake each other.
                    let r = if i % 10 == t % 10 {
                        c.call(op::DELAY, &blob((i * 3 + t) % 7, &tag), Some(T)).unwrap()
                    } else {
                        c.call(op::ECHO, &tag, Some(T)).unwrap()
                    };
                    assert_eq!(r.status, status::OK);
                    assert_eq!(r.payload, tag, "thread {t} got another call's response");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_timed_out_call_leaves_the_connection_usable() {
    let s = TestServer::start();
    let c = s.open();
    let t0 = Instant::now();
    let r = c.call(op::DELAY, &blob(400, b"late"), Some(Duration::from_millis(50)));
    assert_eq!(r, Err(Error::Timeout));
    assert!(t0.elapsed() < Duration::from_millis(350), "{:?}", t0.elapsed());
    // The late response arrives while this call waits; it must not be taken for this one.
    let r = c.call(op::DELAY, &blob(600, b"mine"), Some(T)).unwrap();
    assert_eq!(r.payload, b"mine");
    assert_eq!(c.call(op::ECHO, b"x", Some(T)).unwrap().payload, b"x");
}

/// Whether the selection object becomes readable within `ms`.
fn dispatch_ready(c: &Connection, ms: u16) -> bool {
    let mut fds = [PollFd::new(c.selection_fd(), PollFlags::POLLIN)];
    poll(&mut fds, PollTimeout::from(ms)).unwrap() > 0
}

#[test]
fn the_selection_object_is_readable_exactly_while_callbacks_are_pending() {
    let s = TestServer::start();
    let c = s.open();
    assert!(!dispatch_ready(&c, 50), "readable with nothing pending");
    let r = c.call(op::CALLBACKS, &blob(3, b"cb"), Some(T)).unwrap();
    assert_eq!(r.status, status::OK);
    let mut got = Vec::new();
    for left in (0..3).rev() {
        assert!(dispatch_ready(&c, 1000), "not readable with {} pending", left + 1);
        c.dispatch(DispatchMode::One, |cb| {
            got.push((cb.msg, cb.status, cb.payload.to_vec()))
        })
        .unwrap();
        assert_eq!(got.len(), 3 - left);
    }
    assert!(got.iter().all(|g| *g == (op::CALLBACK, status::OK, b"cb".to_vec())));
    assert!(!dispatch_ready(&c, 100), "readable after every callback ran");
    // ONE and ALL with nothing pending return at once.
    c.dispatch(DispatchMode::One, |_| panic!("no callback is pending"))
        .unwrap();
    c.dispatch(DispatchMode::All, |_| panic!("no callback is pending"))
        .unwrap();

    c.call(op::CALLBACKS, &blob(5, b"all"), Some(T)).unwrap();
    let mut n = 0;
    let end = Instant::now() + T;
    while n < 5 && Instant::now() < end {
        dispatch_ready(&c, 100);
        c.dispatch(DispatchMode::All, |cb| {
            assert_eq!(cb.payload, b"all");
            n += 1;
        })
        .unwrap();
    }
    assert_eq!(n, 5);
    assert!(!dispatch_ready(&c, 50));
}

#[test]
fn finalize_ends_a_blocking_dispatch_and_every_later_call() {
    let s = TestServer::start();
    let c = Arc::new(s.open());
    let seen = Arc::new(AtomicUsize::new(0));
    let d = {
        let (c, seen) = (c.clone(), seen.clone());
        thread::spawn(move || {
            let r = c.dispatch(DispatchMode::Blocking, |_| {
                seen.fetch_add(1, Ordering::SeqCst);
            });
            (r, Instant::now())
        })
    };
    c.call(op::CALLBACKS, &blob(2, b"b"), Some(T)).unwrap();
    let end = Instant::now() + T;
    while seen.load(Ordering::SeqCst) < 2 && Instant::now() < end {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "the blocking dispatch ran the callbacks"
    );
    thread::sleep(Duration::from_millis(50));
    let t0 = Instant::now();
    c.finalize();
    let (r, ended) = d.join().unwrap();
    assert_eq!(r, Ok(()));
    assert!(ended.duration_since(t0) < Duration::from_secs(1));
    assert_eq!(c.call(op::ECHO, b"", None), Err(Error::BadHandle));
    assert_eq!(c.dispatch(DispatchMode::All, |_| {}), Err(Error::BadHandle));
    let conn = ConnId(c.conn_id());
    assert!(s.expect(|e| *e == EchoEvent::Disconnected(conn), T).is_some());
}

#[test]
fn finalize_ends_a_call_waiting_in_another_thread() {
    let s = TestServer::start();
    let c = Arc::new(s.open());
    let waiter = {
        let c = c.clone();
        thread::spawn(move || c.call(op::DELAY, &blob(5000, b""), None))
    };
    thread::sleep(Duration::from_millis(100));
    c.finalize();
    assert_eq!(waiter.join().unwrap(), Err(Error::BadHandle));
}

/// Sends `frame` on a fresh socket and returns everything the server wrote back until it
/// closed (or 2 s passed).
fn raw_exchange(socket: &SocketName, frame: &[u8]) -> Vec<u8> {
    let s = raw_connect(socket);
    (&s).write_all(frame).unwrap();
    read_to_close(&s)
}

fn raw_connect(socket: &SocketName) -> StdStream {
    let SocketName::Abstract(n) = socket else {
        unreachable!()
    };
    let s = StdStream::connect_addr(&SocketAddr::from_abstract_name(n).unwrap()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s
}

/// Everything until EOF; panics if the server does not close within the read timeout.
fn read_to_close(mut s: &StdStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the server did not close the connection");
    out
}

fn refused_status(bytes: &[u8]) -> Option<u32> {
    let h = Header::decode(bytes, &Default::default()).ok()?;
    (h.kind == Kind::Refused).then_some(h.status)
}

#[test]
fn misbehaving_clients_are_disconnected_and_others_carry_on() {
    let s = TestServer::start();
    let good = s.open();
    let check = |what: &str| {
        let r = good.call(op::ECHO, what.as_bytes(), Some(T)).unwrap();
        assert_eq!(r.payload, what.as_bytes(), "after {what}");
    };

    // Not our protocol at all: closed without a word.
    assert_eq!(raw_exchange(&s.socket, b"GET / HTTP/1.0\r\n\r\n"), b"");
    check("garbage");

    // Our magic, another version: a Refused(VERSION) the other side can read, then close.
    let mut v2 = Handshake::Hello(Hello {
        service: ServiceId::ECHO,
        protocol_version: 2,
        pid: 1,
        version: echo::VERSION,
    })
    .encode();
    v2[4] = 2;
    assert_eq!(refused_status(&raw_exchange(&s.socket, &v2)), Some(status::VERSION));
    check("version 2");

    // An oversized length in the very first header: rejected from the header alone.
    let huge = Header {
        len: u32::MAX,
        ..Header::new(Kind::Hello, ServiceId::ECHO)
    }
    .encode();
    assert_eq!(raw_exchange(&s.socket, &huge), b"");
    check("oversized hello");

    // A proper handshake by hand, then an oversized request: the connection is dropped
    // and the service is told.
    let (req, disp, conn) = raw_handshake(&s.socket);
    assert!(s
        .expect(|e| matches!(e, EchoEvent::Connected(c, _) if c.0 == conn), T)
        .is_some());
    let over = Header {
        len: ais_proto::DEFAULT_MAX_PAYLOAD + 1,
        request_id: 1,
        ..Header::new(Kind::Request, ServiceId::ECHO)
    };
    (&req).write_all(&over.encode()).unwrap();
    assert_eq!(read_to_close(&req), b"");
    assert_eq!(read_to_close(&disp), b"");
    assert!(s.expect(|e| *e == EchoEvent::Disconnected(ConnId(conn)), T).is_some());
    check("oversized request");

    // A request for another service on an ECHO connection.
    let (req, _disp, _) = raw_handshake(&s.socket);
    let wrong = Header {
        request_id: 1,
        ..Header::new(Kind::Request, ServiceId::CLM)
    };
    (&req).write_all(&wrong.encode()).unwrap();
    assert_eq!(read_to_close(&req), b"");
    check("wrong service");

    // A dispatch socket with a made-up cookie.
    let attach = Handshake::Attach(ais_proto::Attach {
        service: ServiceId::ECHO,
        conn_id: 1,
        cookie: 42,
    });
    assert_eq!(
        refused_status(&raw_exchange(&s.socket, &attach.encode())),
        Some(status::ACCESS)
    );
    check("bad cookie");

    // Connects and says nothing: dropped after the handshake timeout, the others unaffected.
    drop(raw_connect(&s.socket));
    check("silent client");
}

/// Hello on one socket, Attach on another, by hand; returns both and the connection id.
fn raw_handshake(socket: &SocketName) -> (StdStream, StdStream, u64) {
    let req = raw_connect(socket);
    let hello = Handshake::Hello(Hello {
        service: ServiceId::ECHO,
        protocol_version: 1,
        pid: std::process::id(),
        version: echo::VERSION,
    });
    (&req).write_all(&hello.encode()).unwrap();
    let mut b = [0u8; HEADER_LEN + 25];
    (&req).read_exact(&mut b).unwrap();
    let h = Header::decode(&b, &Default::default()).unwrap();
    let Ok(Handshake::Welcome(w)) = Handshake::decode(&h, &b[HEADER_LEN..]) else {
        panic!("no welcome")
    };
    let disp = raw_connect(socket);
    let attach = Handshake::Attach(ais_proto::Attach {
        service: ServiceId::ECHO,
        conn_id: w.conn_id,
        cookie: w.cookie,
    });
    (&disp).write_all(&attach.encode()).unwrap();
    let mut a = [0u8; HEADER_LEN];
    (&disp).read_exact(&mut a).unwrap();
    assert_eq!(Header::decode(&a, &Default::default()).unwrap().kind, Kind::Attached);
    (req, disp, w.conn_id)
}

#[test]
fn refusals_carry_the_right_error() {
    let s = TestServer::start();
    let open = |svc, v| Connection::open_at(&s.socket, svc, v, T).err();
    assert_eq!(
        open(ServiceId::CKPT, echo::VERSION).map(|e| e.error),
        Some(Error::NotSupported)
    );
    let ours = Some(echo::VERSION);
    let too_new = AisVersion::new(b'A', 2, 0);
    assert_eq!(
        open(ServiceId::ECHO, too_new).map(|e| (e.error, e.version)),
        Some((Error::Version, ours))
    );
    let other_release = AisVersion::new(b'B', 1, 1);
    assert_eq!(
        open(ServiceId::ECHO, other_release).map(|e| (e.error, e.version)),
        Some((Error::Version, ours))
    );
    assert_eq!(open(ServiceId::ECHO, AisVersion::new(b'A', 1, 0)), None);
}

#[test]
fn callbacks_queue_is_bounded() {
    let s = TestServer::start_with(|c| c.callback_queue_bytes = 1000);
    let c = s.open();
    // 100 callbacks of ~130 bytes are queued in one step, before the writer runs.
    let r = c.call(op::CALLBACKS, &blob(100, &[7u8; 100]), Some(T)).unwrap();
    assert_eq!(r.status, status::NO_RESOURCES);
    // What was queued is delivered; the connection still works.
    let mut n = 0;
    while dispatch_ready(&c, 200) {
        c.dispatch(DispatchMode::All, |_| n += 1).unwrap();
    }
    assert!((1..100).contains(&n), "{n}");
    assert_eq!(c.call(op::ECHO, b"ok", Some(T)).unwrap().payload, b"ok");
}

#[test]
fn an_executive_that_goes_away_gives_clean_errors() {
    let mut s = TestServer::start();
    let c = Arc::new(s.open());
    let d = {
        let c = c.clone();
        thread::spawn(move || c.dispatch(DispatchMode::Blocking, |_| {}))
    };
    thread::sleep(Duration::from_millis(50));
    s.stop();
    assert_eq!(d.join().unwrap(), Err(Error::Library));
    assert_eq!(c.call(op::ECHO, b"x", Some(T)), Err(Error::Library));
    assert_eq!(c.call(op::ECHO, b"x", None), Err(Error::Library));
    assert_eq!(c.post(op::ECHO, b"x"), Err(Error::Library));
    // The selection object says "look at me" for good, and dispatch says why.
    assert!(dispatch_ready(&c, 0));
    assert_eq!(c.dispatch(DispatchMode::All, |_| {}), Err(Error::Library));
    // And a new handle: nobody there.
    let e = Connection::open_at(&s.socket, ServiceId::ECHO, echo::VERSION, T).err();
    assert_eq!(e.map(|e| e.error), Some(Error::TryAgain));
}

#[test]
fn a_filesystem_socket_replaces_a_stale_one_and_is_not_stolen() {
    let dir = std::env::temp_dir().join(format!("ais-ipc-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ais.sock");
    // A socket file nobody listens on, as a crashed executive leaves it.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let name = SocketName::Path(path.clone());
    let s = TestServer::start_at(name.clone(), |_| {});
    let c = Connection::open_at(&name, ServiceId::ECHO, echo::VERSION, T).unwrap();
    assert_eq!(c.call(op::ECHO, b"path", Some(T)).unwrap().payload, b"path");
    // A second executive on the same path must fail, not take it over.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt.block_on(async {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        serve(IpcConfig::new(name.clone(), AccessPolicy::default(), vec![]), tx).err()
    });
    assert_eq!(err.map(|e| e.kind()), Some(std::io::ErrorKind::AddrInUse));
    assert_eq!(c.call(op::ECHO, b"still", Some(T)).unwrap().payload, b"still");
    // Not a socket: left alone.
    let file = dir.join("plain");
    std::fs::write(&file, b"data").unwrap();
    let err = rt.block_on(async {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        serve(
            IpcConfig::new(SocketName::Path(file.clone()), AccessPolicy::default(), vec![]),
            tx,
        )
        .err()
    });
    assert!(err.is_some());
    assert_eq!(std::fs::read(&file).unwrap(), b"data");
    drop(c);
    drop(s);
    assert!(!path.exists(), "the server removes its socket at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- child processes ----

const CHILD_ENV: &str = "AIS_IPC_TEST_CHILD";

/// Runs this test binary as a child executing only `test` (an ignored test that acts only
/// when `CHILD_ENV` is set).
fn child(test: &str, socket: &SocketName) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, socket.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

fn child_socket() -> Option<SocketName> {
    std::env::var(CHILD_ENV).ok().map(|s| SocketName::parse(s).unwrap())
}

/// Child: opens a handle, reports its connection id, then waits to be killed.
#[test]
#[ignore = "helper run as a child process by a_killed_client_is_disconnected_within_a_second"]
fn child_holds_a_handle() {
    let Some(socket) = child_socket() else { return };
    let c = Connection::open_at(&socket, ServiceId::ECHO, echo::VERSION, T).unwrap();
    println!("CONN {}", c.conn_id());
    std::io::stdout().flush().unwrap();
    thread::sleep(Duration::from_secs(60));
}

/// Child: tries to open a handle and reports the outcome.
#[test]
#[ignore = "helper run as a child process by the access tests"]
fn child_tries_to_open() {
    let Some(socket) = child_socket() else { return };
    match Connection::open_at(&socket, ServiceId::ECHO, echo::VERSION, T) {
        Ok(_) => println!("OPENED"),
        Err(e) => println!("REFUSED {}", e.error.code()),
    }
}

/// The text after `marker` on the first line of the child's output that has it (libtest
/// prints its own words around the test's).
fn find_marker(out: &mut impl Read, marker: &str) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        let more = out.read(&mut b).unwrap_or(0) == 1;
        if !more || b[0] == b'\n' {
            let text = String::from_utf8_lossy(&line).into_owned();
            if let Some(i) = text.find(marker) {
                return Some(text[i + marker.len()..].trim().to_owned());
            }
            if !more {
                return None;
            }
            line.clear();
        } else {
            line.push(b[0]);
        }
    }
}

#[test]
fn a_killed_client_is_disconnected_within_a_second() {
    let s = TestServer::start();
    let mut kid = child("ipc::tests::child_holds_a_handle", &s.socket).spawn().unwrap();
    let said = find_marker(kid.stdout.as_mut().unwrap(), "CONN ");
    let conn: u64 = said.as_deref().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        let _ = kid.kill();
        panic!("child said {said:?}")
    });
    assert!(s
        .expect(|e| matches!(e, EchoEvent::Connected(c, _) if c.0 == conn), T)
        .is_some());
    let t0 = Instant::now();
    kid.kill().unwrap();
    let seen = s.expect(|e| *e == EchoEvent::Disconnected(ConnId(conn)), T);
    let took = t0.elapsed();
    let _ = kid.wait();
    assert!(seen.is_some(), "no Disconnected for the killed client");
    assert!(took < Duration::from_secs(1), "Disconnected after {took:?}");
}

/// The decision function is tested with synthetic credentials in `access`; this is the
/// real thing: a child running as `nobody` is refused unless its uid is configured.
#[test]
fn another_uid_is_refused_unless_configured() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED another_uid_is_refused_unless_configured: needs root to run a child as another uid");
        return;
    }
    use std::os::unix::process::CommandExt;
    const NOBODY: u32 = 65534;
    let run = |s: &TestServer| {
        let out = child("ipc::tests::child_tries_to_open", &s.socket)
            .uid(NOBODY)
            .gid(NOBODY)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        ["OPENED", "REFUSED"]
            .iter()
            .find_map(|m| text.find(m).map(|i| text[i..].lines().next().unwrap_or("").to_owned()))
    };
    let no_group = || AccessPolicy {
        group: Some("ais-test-no-such-group".into()),
        ..AccessPolicy::default()
    };
    let refusing = TestServer::start_with(move |c| c.access = no_group());
    assert_eq!(
        run(&refusing).as_deref(),
        Some(format!("REFUSED {}", status::ACCESS).as_str())
    );
    // Root still gets in.
    refusing.open();
    let allowing = TestServer::start_with(move |c| {
        c.access = AccessPolicy {
            uids: vec![NOBODY],
            ..no_group()
        };
    });
    assert_eq!(run(&allowing).as_deref(), Some("OPENED"));
    let seen = allowing.expect(|e| matches!(e, EchoEvent::Connected(_, cred) if cred.uid == NOBODY), T);
    assert!(seen.is_some(), "the service sees the child's uid");
}

// ---- measurement ----

/// The round trip of a minimal request: client runtime → server → echo service → back.
/// Prints p50/p99 over 100k calls; run with
/// `cargo test --release -p ais-exec ipc::tests::round_trip_latency -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test"]
fn round_trip_latency() {
    let s = TestServer::start();
    let c = Arc::new(s.open());
    for (payload, timeout) in [(0usize, None), (64, None), (64, Some(T)), (1024, None)] {
        let p = vec![1u8; payload];
        for _ in 0..5_000 {
            c.call(op::ECHO, &p, timeout).unwrap();
        }
        let mut t: Vec<u64> = (0..100_000)
            .map(|_| {
                let t0 = Instant::now();
                c.call(op::ECHO, &p, timeout).unwrap();
                t0.elapsed().as_nanos() as u64
            })
            .collect();
        t.sort_unstable();
        let pct = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)] as f64 / 1000.0;
        println!(
            "round trip, {payload:>4}-byte payload, timeout {:<5}: p50 {:.1} us  p99 {:.1} us  p99.9 {:.1} us  ({} calls)",
            if timeout.is_some() { "yes" } else { "no" },
            pct(0.50),
            pct(0.99),
            pct(0.999),
            t.len()
        );
    }
    // Several threads on one handle: throughput with pipelining.
    let start = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            thread::spawn(move || {
                for _ in 0..25_000 {
                    c.call(op::ECHO, b"", None).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("4 threads on one handle: {:.0} calls/s", 100_000.0 / secs);
}

// ---- client limits (aisexec(8), CLIENT LIMITS) ----

/// A request frame with `flags`, written by hand.
fn raw_request(msg: u16, flags: u16, request_id: u32, payload: &[u8]) -> Vec<u8> {
    let h = Header {
        msg,
        flags,
        request_id,
        len: payload.len() as u32,
        ..Header::new(Kind::Request, ServiceId::ECHO)
    };
    let mut f = h.encode().to_vec();
    f.extend_from_slice(payload);
    f
}

#[test]
fn a_first_frame_claiming_more_than_a_handshake_is_refused_unread() {
    let s = TestServer::start_with(|c| c.handshake_timeout = Duration::from_secs(30));
    let claim = Header {
        len: 1 << 20,
        ..Header::new(Kind::Hello, ServiceId::ECHO)
    };
    // Closed at once, not after the handshake deadline and not waiting for the MiB.
    let t0 = Instant::now();
    assert!(raw_exchange(&s.socket, &claim.encode()).is_empty());
    assert!(t0.elapsed() < Duration::from_secs(2));
    s.open();
}

#[test]
fn beyond_the_handshake_limit_the_oldest_connection_in_its_handshake_is_closed() {
    let s = TestServer::start_with(|c| {
        c.handshake_connections = 2;
        c.handshake_timeout = Duration::from_secs(30);
    });
    let first = raw_connect(&s.socket);
    let second = raw_connect(&s.socket);
    // Let the server take both before the third arrives.
    thread::sleep(Duration::from_millis(200));
    let third = raw_connect(&s.socket);
    assert!(read_to_close(&first).is_empty(), "the oldest is closed");
    for silent in [&second, &third] {
        silent.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let r = (&*silent).read(&mut [0u8; 8]);
        assert!(r.is_err(), "a newer one is kept: {r:?}");
    }
    // A client that completes its handshake takes a place only while it does.
    let c = s.open();
    assert_eq!(c.call(op::ECHO, b"ok", Some(T)).unwrap().payload, b"ok");
}

#[test]
fn a_client_past_its_credit_window_is_disconnected() {
    let s = TestServer::start_with(|c| c.credit_window = 1000);
    let (req, _disp, conn) = raw_handshake(&s.socket);
    assert!(s
        .expect(|e| matches!(e, EchoEvent::Connected(c, _) if c.0 == conn), T)
        .is_some());
    // Within the window (the echo service grants no credit): kept.
    for _ in 0..2 {
        (&req)
            .write_all(&raw_request(op::ECHO, flags::NO_REPLY, 0, &[1; 500]))
            .unwrap();
    }
    (&req).write_all(&raw_request(op::ECHO, 0, 7, b"still here")).unwrap();
    let mut h = [0u8; HEADER_LEN];
    (&req).read_exact(&mut h).unwrap();
    assert_eq!(Header::decode(&h, &Default::default()).unwrap().request_id, 7);
    (&req).read_exact(&mut [0u8; 10]).unwrap();
    // One byte past it: disconnected.
    (&req)
        .write_all(&raw_request(op::ECHO, flags::NO_REPLY, 0, &[1]))
        .unwrap();
    assert!(s.expect(|e| *e == EchoEvent::Disconnected(ConnId(conn)), T).is_some());
}

/// Pipelines `n` echo requests of `size` bytes without reading a response, from a
/// thread (the server stops reading them); returns how many went out.
fn pipeline_without_reading(req: &StdStream, n: u32, size: usize) -> thread::JoinHandle<u32> {
    let req = req.try_clone().unwrap();
    req.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
    thread::spawn(move || {
        let f = raw_request(op::ECHO, 0, 1, &vec![3u8; size]);
        (0..n).take_while(|_| (&req).write_all(&f).is_ok()).count() as u32
    })
}

/// A client pipelines 1024 echo requests of 64 KiB (64 MiB of responses, far past what
/// the socket buffers hold) and reads none: asserts that it is disconnected, and returns
/// the server and how many requests went out.
fn a_client_that_does_not_read(tune: impl FnOnce(&mut IpcConfig) + Send + 'static) -> (TestServer, u32) {
    let s = TestServer::start_with(tune);
    let (req, _disp, conn) = raw_handshake(&s.socket);
    let sent = pipeline_without_reading(&req, 1024, 64 << 10);
    assert!(
        s.expect(|e| *e == EchoEvent::Disconnected(ConnId(conn)), T).is_some(),
        "not disconnected"
    );
    let sent = sent.join().unwrap();
    (s, sent)
}

#[test]
fn a_client_that_does_not_read_its_responses_is_disconnected_past_the_bound() {
    // Read on (no pause) until the bound is passed.
    let (s, sent) = a_client_that_does_not_read(|c| {
        c.response_pause_bytes = usize::MAX;
        c.response_queue_bytes = 512 << 10;
        c.response_stall = Duration::from_secs(60);
    });
    assert!(sent < 1024, "the server closed it");
    let good = s.open();
    assert_eq!(good.call(op::ECHO, b"ok", Some(T)).unwrap().payload, b"ok");
}

#[test]
fn a_client_paused_for_its_unread_responses_is_disconnected_after_the_stall() {
    a_client_that_does_not_read(|c| {
        c.response_pause_bytes = 1;
        c.response_queue_bytes = usize::MAX;
        c.response_stall = Duration::from_millis(300);
    });
}

#[test]
fn all_clients_together_are_bounded() {
    let (s, _) = a_client_that_does_not_read(|c| {
        c.response_pause_bytes = usize::MAX;
        c.response_queue_bytes = usize::MAX;
        c.total_queue_bytes = 1 << 20;
    });
    // The totals came back with the connection: another client is served.
    let c = s.open();
    let big = vec![9u8; 512 << 10];
    assert_eq!(c.call(op::ECHO, &big, Some(T)).unwrap().payload, big);
}

/// A client whose callbacks are full, disconnected by its service: every later callback
/// says `Closed` and its backlog reads 0, so the service, which logs on `Full` and on a
/// backlog that stays high, says it once (openais logs a dropped library connection once).
#[test]
fn a_disconnected_slow_reader_is_reported_full_once() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let conn = Arc::new(ConnState::new(ConnId(1), ServiceId::ECHO));
    let totals = Arc::new(Totals::new(usize::MAX));
    let outbox = |limit| Arc::new(Outbox::new(tx.clone(), limit, 1 << 20, conn.clone(), totals.clone()));
    let client = Client {
        inner: Arc::new(ClientInner {
            cred: PeerCred {
                pid: None,
                uid: 0,
                gid: 0,
            },
            version: echo::VERSION,
            callbacks: outbox(1000),
            responses: outbox(1000),
            conn: conn.clone(),
        }),
    };
    let cb = || client.callback(op::CALLBACK, status::OK, Bytes::from_static(&[0; 400]));
    let results: Vec<_> = (0..4).map(|_| cb()).collect();
    assert_eq!(
        results,
        [Ok(()), Ok(()), Err(CallbackError::Full), Err(CallbackError::Full)]
    );
    assert!(client.callback_backlog() > 800);
    client.disconnect();
    assert_eq!(cb(), Err(CallbackError::Closed));
    assert_eq!(client.callback_backlog(), 0, "a closing connection is nobody's backlog");
    assert!(conn.is_closing());
    assert_eq!(totals.queued.load(Ordering::Relaxed), 848);
    client.inner.callbacks.discard();
    assert_eq!(totals.queued.load(Ordering::Relaxed), 0, "what it held is counted back");
}
