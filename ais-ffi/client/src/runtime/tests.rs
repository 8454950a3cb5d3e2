//! The runtime against a fake executive made of plain sockets: the cases the real server
//! never produces (silence, garbage, a close at the worst moment). The runtime against
//! the real server is tested in `ais-exec` (`ipc::tests`).

use std::io::{Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ais_proto::{status, AisVersion, Attached, Handshake, Header, Limits, ServiceId, SocketName, Welcome, HEADER_LEN};

use super::{Connection, DispatchMode, OpenFailure};
use crate::Error;

fn listener() -> (UnixListener, SocketName) {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "ais-runtime-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let l = UnixListener::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    (l, SocketName::Abstract(name.into_bytes()))
}

fn read_frame(mut s: &UnixStream) -> Handshake {
    let mut h = [0u8; HEADER_LEN];
    s.read_exact(&mut h).unwrap();
    let h = Header::decode(&h, &Limits::default()).unwrap();
    let mut p = vec![0u8; h.len as usize];
    s.read_exact(&mut p).unwrap();
    Handshake::decode(&h, &p).unwrap()
}

/// Plays the executive's side of the handshake, then hands both sockets to `then`.
fn fake_executive(then: impl FnOnce(UnixStream, UnixStream) + Send + 'static) -> SocketName {
    let (l, name) = listener();
    thread::spawn(move || {
        let (req, _) = l.accept().unwrap();
        let Handshake::Hello(h) = read_frame(&req) else {
            panic!("no hello")
        };
        let w = Welcome {
            service: h.service,
            conn_id: 1,
            cookie: 2,
            protocol_version: 1,
            max_payload: 4096,
            version: h.version,
        };
        (&req).write_all(&Handshake::Welcome(w).encode()).unwrap();
        let (disp, _) = l.accept().unwrap();
        let Handshake::Attach(a) = read_frame(&disp) else {
            panic!("no attach")
        };
        assert_eq!((a.conn_id, a.cookie), (1, 2));
        (&disp)
            .write_all(&Handshake::Attached(Attached { service: h.service }).encode())
            .unwrap();
        then(req, disp);
    });
    name
}

const V: AisVersion = AisVersion::new(b'B', 1, 1);

#[test]
fn a_silent_executive_is_try_again_not_a_hang() {
    // Connections complete in the listen backlog; nobody ever answers.
    let (_l, name) = listener();
    let t0 = Instant::now();
    let e = Connection::open_at(&name, ServiceId::CLM, V, Duration::from_millis(200)).err();
    assert_eq!(e.map(|e| e.error), Some(Error::TryAgain));
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[test]
fn garbage_from_the_executive_is_a_library_error() {
    let (l, name) = listener();
    thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let _ = s.write_all(&[0x55; 64]);
        thread::sleep(Duration::from_millis(500));
    });
    let e = Connection::open_at(&name, ServiceId::CLM, V, Duration::from_secs(2)).err();
    assert_eq!(e.map(|e| e.error), Some(Error::Library));

    // After the handshake: a response that is not one.
    let name = fake_executive(|req, _disp| {
        let mut b = [0u8; 64];
        let _ = (&req).read(&mut b);
        let _ = (&req).write_all(b"HTTP/1.0 200 OK\r\n\r\n and then some more bytes");
        thread::sleep(Duration::from_millis(500));
    });
    let c = Connection::open_at(&name, ServiceId::CLM, V, Duration::from_secs(2)).unwrap();
    assert_eq!(c.call(1, b"x", Some(Duration::from_secs(2))), Err(Error::Library));
    assert_eq!(c.call(1, b"x", None), Err(Error::Library));
}

#[test]
fn a_response_for_another_request_is_not_taken() {
    use ais_proto::{encode_frame, Kind};
    let name = fake_executive(|req, _disp| {
        let mut h = [0u8; HEADER_LEN];
        (&req).read_exact(&mut h).unwrap();
        let h = Header::decode(&h, &Limits::default()).unwrap();
        let mut p = vec![0; h.len as usize];
        (&req).read_exact(&mut p).unwrap();
        // First a stray response (a timed-out call's, say), then the real one.
        let stray = Header {
            request_id: h.request_id + 100,
            status: 1,
            ..Header::new(Kind::Response, h.service)
        };
        let real = Header {
            request_id: h.request_id,
            status: 1,
            ..Header::new(Kind::Response, h.service)
        };
        (&req).write_all(&encode_frame(&stray, b"stray")).unwrap();
        (&req).write_all(&encode_frame(&real, b"real")).unwrap();
        thread::sleep(Duration::from_millis(500));
    });
    let c = Connection::open_at(&name, ServiceId::CLM, V, Duration::from_secs(2)).unwrap();
    let r = c.call(7, b"q", Some(Duration::from_secs(2))).unwrap();
    assert_eq!(r.payload, b"real");
}

const CHILD_ENV: &str = "AIS_RUNTIME_TEST_SIGPIPE_CHILD";

/// Writing to a connection the executive has closed must not kill the application with
/// SIGPIPE. The test harness ignores SIGPIPE, so the check runs in a child process that
/// restores the default action first.
#[test]
fn a_closed_executive_does_not_raise_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "runtime::tests::sigpipe_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        None,
        "the child was killed by signal {:?}",
        out.status.signal()
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}

#[test]
#[ignore = "helper run as a child process by a_closed_executive_does_not_raise_sigpipe"]
#[allow(unsafe_code)] // the crate's only unsafe: signal(2) in this test's child process
fn sigpipe_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: SIG_DFL installs no handler, and no other thread of this process is
    // touching signal dispositions.
    unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }.unwrap();
    // The executive accepts the handle, then closes both sockets at once.
    let name = fake_executive(|req, disp| drop((req, disp)));
    let c = Connection::open_at(&name, ServiceId::CLM, V, Duration::from_secs(2)).unwrap();
    // Wait until the close is visible (the selection object reports it), so the next
    // send meets a closed peer: EPIPE, which without MSG_NOSIGNAL is SIGPIPE.
    let mut fds = [nix::poll::PollFd::new(c.selection_fd(), nix::poll::PollFlags::POLLIN)];
    nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(2000u16)).unwrap();
    thread::sleep(Duration::from_millis(50));
    assert_eq!(c.post(1, b"into the void"), Err(Error::Library));
    assert_eq!(c.call(1, b"x", None), Err(Error::Library));
    assert_eq!(c.dispatch(DispatchMode::All, |_| {}), Err(Error::Library));
}

/// What aisexec sends a client whose credentials it refuses (`refuse` in the executive's
/// IPC connection code): a `Refused` frame carrying SA_AIS_ERR_ACCESS, then it closes. The
/// runtime tells that apart from nothing listening, so a tool can say how to be allowed.
#[test]
fn a_refusal_is_told_apart_from_nothing_listening() {
    use ais_proto::Refused;
    let (l, name) = listener();
    thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let Handshake::Hello(h) = read_frame(&s) else {
            panic!("no hello")
        };
        let r = Handshake::Refused(Refused {
            service: h.service,
            error: status::ACCESS,
            version: AisVersion::default(),
        });
        (&s).write_all(&r.encode()).unwrap();
    });
    let e = Connection::open_at(&name, ServiceId::CFG, V, Duration::from_secs(2)).unwrap_err();
    assert_eq!((e.error, e.failure), (Error::Access, OpenFailure::Refused));
    let text = e.to_string();
    for needed in ["refused access", "root", "group `ais`", "uidgid", &name.to_string()] {
        assert!(text.contains(needed), "{needed:?} missing from: {text}");
    }
    assert!(!text.contains("is aisexec running?"), "{text}");

    let (l, gone) = listener();
    drop(l);
    let e = Connection::open_at(&gone, ServiceId::CFG, V, Duration::from_secs(2)).unwrap_err();
    assert_eq!((e.error, e.failure), (Error::TryAgain, OpenFailure::NotListening));
    let text = e.to_string();
    assert!(
        text.contains("is aisexec running?") && text.contains(&gone.to_string()),
        "{text}"
    );
}
