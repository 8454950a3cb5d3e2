//! A hostile or broken local client against aisexec's IPC server (aisexec(8),
//! CLIENT LIMITS). The socket is abstract, so any local account can connect:
//! these tests play the attacker with raw sockets against one executive on
//! 127.0.0.1 and check, from its /proc/<pid>/status, that its resident memory
//! stays within the documented bounds, that it comes back once the attacker is
//! gone, and that a well-behaved client keeps working meanwhile.
//!
//! They test bounds, not timing: every wait is for a state (a socket closed,
//! memory back under a line), with a generous deadline.

mod common;

use std::io::{self, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ais_proto::ckpt::{self as ckpt, Message};
use ais_proto::{cpg, flags, status, AisVersion, Attach, Handshake, Header, Hello, Kind, Limits, ServiceId, Writer};
use ais_proto::{HEADER_LEN, PROTOCOL_VERSION};
use common::*;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

const T: Duration = Duration::from_secs(10);
const MIB: u64 = 1 << 20;
const CKPT_VERSION: AisVersion = AisVersion::new(b'B', 2, 3);
const NO_VERSION: AisVersion = AisVersion::new(0, 0, 0);
const NOBODY: u32 = 65534;

/// Memory an idle executive may keep after the attack is over, above what it
/// had before it: allocator pages pinned by a few small live allocations made
/// meanwhile, a grown table or two (measured: 1.5 to 9 MiB).
const SETTLED_SLACK: u64 = 16 * MIB;

/// One executive alone on 127.0.0.1.
struct Single {
    _dir: TempDir,
    node: Node,
}

fn single(tag: &str) -> Option<Single> {
    let dir = TempDir::new(tag);
    let port = match free_port(&["127.0.0.1"]) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED {tag}: {why}");
            return None;
        }
    };
    let conf = dir.path().join("n.conf");
    std::fs::write(&conf, udpu_config("127.0.0.1", port, &["127.0.0.1"], 500)).unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let node = Node::start(tag, &conf, &run);
    assert!(node.lines.wait_for(0, T, regular_config(1)).is_some(), "{}", node.log());
    Some(Single { _dir: dir, node })
}

/// VmRSS of `pid`, in bytes.
fn rss(pid: nix::unistd::Pid) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the executive's status");
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS kB");
    kib * 1024
}

fn mib(b: u64) -> f64 {
    b as f64 / MIB as f64
}

/// The most memory the executive held while sampling for `d`.
fn peak_rss(node: &Node, d: Duration) -> u64 {
    let end = Instant::now() + d;
    let mut peak = 0;
    while Instant::now() < end {
        peak = peak.max(rss(node.pid()));
        std::thread::sleep(Duration::from_millis(20));
    }
    peak
}

/// Asserts that the executive's memory comes back under `line` within `T`.
fn comes_back_under(node: &Node, line: u64, what: &str) {
    let end = Instant::now() + T;
    let mut now = rss(node.pid());
    while now > line && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        now = rss(node.pid());
    }
    eprintln!("{what}: RSS {:.1} MiB", mib(now));
    assert!(now <= line, "{what}: memory did not come back: {:.1} MiB", mib(now));
}

// ---- a raw client: the wire protocol by hand, no library ----

fn connect(socket: &str) -> io::Result<UnixStream> {
    let name = socket.strip_prefix('@').expect("an abstract socket name");
    UnixStream::connect_addr(&SocketAddr::from_abstract_name(name)?)
}

fn send_frame(s: &mut UnixStream, mut h: Header, payload: &[u8]) -> io::Result<()> {
    h.len = payload.len() as u32;
    let mut f = h.encode().to_vec();
    f.extend_from_slice(payload);
    s.write_all(&f)
}

fn read_frame(s: &mut UnixStream) -> io::Result<(Header, Vec<u8>)> {
    let mut hb = [0u8; HEADER_LEN];
    s.read_exact(&mut hb)?;
    let h = Header::decode(&hb, &Limits::new(ais_proto::HARD_MAX_PAYLOAD))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e}")))?;
    let mut p = vec![0; h.len as usize];
    s.read_exact(&mut p)?;
    Ok((h, p))
}

/// Both sockets of a handle opened by hand.
struct Raw {
    req: UnixStream,
    disp: UnixStream,
    conn: u64,
    service: ServiceId,
}

impl Raw {
    fn open(socket: &str, service: ServiceId, version: AisVersion) -> Raw {
        let mut req = connect(socket).expect("connect");
        let hello = Handshake::Hello(Hello {
            service,
            protocol_version: PROTOCOL_VERSION.into(),
            pid: std::process::id(),
            version,
        });
        req.write_all(&hello.encode()).unwrap();
        let (h, p) = read_frame(&mut req).expect("a Welcome");
        let Ok(Handshake::Welcome(w)) = Handshake::decode(&h, &p) else {
            panic!("no Welcome: {h:?}");
        };
        let mut disp = connect(socket).expect("connect");
        let attach = Handshake::Attach(Attach {
            service,
            conn_id: w.conn_id,
            cookie: w.cookie,
        });
        disp.write_all(&attach.encode()).unwrap();
        let (h, p) = read_frame(&mut disp).expect("Attached");
        assert!(matches!(Handshake::decode(&h, &p), Ok(Handshake::Attached(_))));
        Raw {
            req,
            disp,
            conn: w.conn_id,
            service,
        }
    }

    fn send(&mut self, msg: u16, flags: u16, request_id: u32, payload: &[u8]) -> io::Result<()> {
        let h = Header {
            msg,
            flags,
            request_id,
            ..Header::new(Kind::Request, self.service)
        };
        send_frame(&mut self.req, h, payload)
    }

    /// A request and its response (credit frames skipped).
    fn call(&mut self, msg: u16, payload: &[u8]) -> (u32, Vec<u8>) {
        self.send(msg, 0, 1, payload).expect("send");
        loop {
            let (h, p) = read_frame(&mut self.req).expect("a response");
            if h.msg == msg && h.request_id == 1 {
                return (h.status, p);
            }
        }
    }

    /// Whether the executive closed the handle within `d` (the dispatch socket
    /// reaches its end; callbacks queued before are read and dropped).
    fn closed_within(&mut self, d: Duration) -> bool {
        let end = Instant::now() + d;
        let mut buf = vec![0u8; 1 << 16];
        while Instant::now() < end {
            self.disp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
            match self.disp.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(_) => return true,
            }
        }
        false
    }

    /// Whether the executive has closed the handle, without reading anything.
    fn hung_up(&self) -> bool {
        use std::os::fd::AsFd;
        let mut fds = [PollFd::new(self.disp.as_fd(), PollFlags::empty())];
        let _ = poll(&mut fds, PollTimeout::ZERO);
        fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLHUP))
    }
}

/// A well-behaved client: opens a CFG handle through the libraries' runtime and
/// asks for the ring's status.
fn well_behaved_call(node: &Node) {
    let c = node.connect(ServiceId::CFG, NO_VERSION);
    let (st, _) = call_retrying(&c, ais_proto::cfg::RING_STATUS, &[]);
    assert_eq!(st, status::OK, "a well-behaved client is answered\n{}", node.log());
}

// ---- item: before the credential check ----

/// Opens `n` connections that each send only a header claiming a 1 MiB payload.
/// Errors are expected (the executive closes what it will not keep) and ignored.
fn claim_without_sending(socket: &str, n: usize) -> Vec<UnixStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let Ok(mut s) = connect(socket) else { continue };
        let h = Header {
            len: MIB as u32,
            ..Header::new(Kind::Hello, ServiceId::CLM)
        };
        let _ = s.write_all(&h.encode());
        held.push(s);
    }
    held
}

/// Connections the attacker opens; each claims 1 MiB, 512 MiB together.
const CLAIMS: usize = 512;
/// What they may cost before the credential check (aisexec(8), CLIENT LIMITS:
/// at most 64 connections in their handshake, each at most a handshake frame).
const PREAUTH_BOUND: u64 = 16 * MIB;

fn preauth_attack(tag: &str, as_nobody: bool) {
    let Some(s) = single(tag) else { return };
    let node = &s.node;
    well_behaved_call(node);
    let before = rss(node.pid());

    let (held, kid) = if as_nobody {
        let mut kid = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_claims_without_sending", "--ignored", "--nocapture"])
            .env(CHILD_ENV, &node.socket)
            .uid(NOBODY)
            .gid(NOBODY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the attacker");
        let mut out = kid.stdout.take().unwrap();
        let mut said = Vec::new();
        let mut b = [0u8; 1];
        while !String::from_utf8_lossy(&said).contains("CLAIMED") && out.read(&mut b).unwrap_or(0) == 1 {
            said.push(b[0]);
        }
        assert!(
            String::from_utf8_lossy(&said).contains("CLAIMED"),
            "the attacker did not run"
        );
        (Vec::new(), Some(kid))
    } else {
        (claim_without_sending(&node.socket, CLAIMS), None)
    };
    let peak = peak_rss(node, Duration::from_secs(2));
    // The executive keeps answering meanwhile.
    well_behaved_call(node);
    eprintln!(
        "{tag}: RSS before {:.1} MiB, peak with {CLAIMS} connections claiming 1 MiB {:.1} MiB",
        mib(before),
        mib(peak)
    );
    assert!(
        peak <= before + PREAUTH_BOUND,
        "{CLAIMS} header-only connections took aisexec from {:.1} to {:.1} MiB (bound +{} MiB)",
        mib(before),
        mib(peak),
        PREAUTH_BOUND / MIB
    );
    drop(held);
    if let Some(mut kid) = kid {
        let _ = kid.kill();
        let _ = kid.wait();
    }
    comes_back_under(
        node,
        before + SETTLED_SLACK,
        &format!("{tag}: once the attacker is gone"),
    );
    well_behaved_call(node);
}

#[test]
fn preauth_header_claims_cost_only_a_handshake_as_root() {
    preauth_attack("preauth-root", false);
}

#[test]
fn preauth_header_claims_cost_only_a_handshake_as_nobody() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED preauth_header_claims_cost_only_a_handshake_as_nobody: needs root to run a child as nobody");
        return;
    }
    preauth_attack("preauth-nobody", true);
}

const CHILD_ENV: &str = "AIS_HOSTILE_CHILD_SOCKET";

/// Child (as nobody): opens the connections, says so, holds them until its
/// parent closes stdin or kills it.
#[test]
#[ignore = "helper run as a child process by preauth_header_claims_cost_only_a_handshake_as_nobody"]
fn child_claims_without_sending() {
    let Ok(socket) = std::env::var(CHILD_ENV) else { return };
    let held = claim_without_sending(&socket, CLAIMS);
    println!("CLAIMED {}", held.len());
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    drop(held);
}

#[test]
fn a_connection_that_sends_nothing_is_closed_at_the_handshake_deadline() {
    let Some(s) = single("preauth-deadline") else { return };
    let mut c = connect(&s.node.socket).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let t0 = Instant::now();
    // The executive says nothing and closes: the read ends.
    let n = c.read(&mut [0u8; 64]).unwrap_or(0);
    assert_eq!(n, 0);
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "closed after {:?}",
        t0.elapsed()
    );
}

// ---- item: replies never read ----

const SECTION: usize = 1000 << 10;
/// Handles of the attacker and reads of a 1000 KiB section each sends, never
/// reading a reply: 1.2 GB of replies.
const HANDLES: usize = 4;
const READS: usize = 300;
/// aisexec(8), CLIENT LIMITS: a client with more than this of unread replies is
/// disconnected.
const REPLY_BOUND: u64 = 8 * MIB;
/// The bound counts payload bytes; the buffer that holds an encoded reply may have up
/// to twice its length allocated (a vector grown by doubling), and touched.
const BUFFER_OVERHEAD: u64 = 2;

fn ckpt_open(c: &mut Raw, name: &[u8], attrs: Option<ckpt::CreationAttributes>) -> u64 {
    let flags = ckpt::OPEN_READ | ckpt::OPEN_WRITE | if attrs.is_some() { ckpt::OPEN_CREATE } else { 0 };
    let o = ckpt::Open {
        name: name.to_vec(),
        attrs,
        open_flags: flags,
    };
    let end = Instant::now() + T;
    loop {
        let (st, p) = c.call(ckpt::OPEN, &o.encode().unwrap());
        if st == status::TRY_AGAIN && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        assert_eq!(st, status::OK, "open");
        return ckpt::Opened::decode(&p).expect("Opened").ckpt_id;
    }
}

fn read_request(id: u64) -> Vec<u8> {
    ckpt::Read {
        ckpt_id: id,
        elements: vec![ckpt::ReadElement {
            section: b"big".to_vec(),
            offset: 0,
            size: u64::MAX,
        }],
    }
    .encode()
    .unwrap()
}

#[test]
fn replies_never_read_are_bounded_and_the_client_disconnected() {
    let Some(s) = single("unread-replies") else { return };
    let node = &s.node;
    let mut owner = Raw::open(&node.socket, ServiceId::CKPT, CKPT_VERSION);
    let attrs = ckpt::CreationAttributes {
        creation_flags: ckpt::WR_ALL_REPLICAS,
        checkpoint_size: 2 * SECTION as u64,
        retention_duration: 60_000_000_000,
        max_sections: 2,
        max_section_size: SECTION as u64,
        max_section_id_size: 16,
    };
    let id = ckpt_open(&mut owner, b"big", Some(attrs));
    let create = ckpt::SectionCreate {
        ckpt_id: id,
        section: Some(b"big".to_vec()),
        expiration_time: i64::MAX,
        data: vec![0x5a; SECTION],
    };
    assert_eq!(
        owner.call(ckpt::SECTION_CREATE, &create.encode().unwrap()).0,
        status::OK
    );
    let (st, p) = owner.call(ckpt::READ, &read_request(id));
    assert_eq!(st, status::OK);
    let expected = ckpt::ReadReply::decode(&p).expect("a read reply");
    assert_eq!(expected.elements[0].data.len(), SECTION);
    let before = rss(node.pid());

    let mut attackers: Vec<Raw> = (0..HANDLES)
        .map(|_| Raw::open(&node.socket, ServiceId::CKPT, CKPT_VERSION))
        .collect();
    let ids: Vec<u64> = attackers.iter_mut().map(|a| ckpt_open(a, b"big", None)).collect();
    let senders: Vec<_> = attackers
        .iter()
        .zip(&ids)
        .map(|(a, &id)| {
            let mut req = a.req.try_clone().unwrap();
            // The executive stops reading a client that does not read: give up then.
            req.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
            std::thread::spawn(move || {
                let r = read_request(id);
                for i in 0..READS {
                    let h = Header {
                        msg: ckpt::READ,
                        request_id: 100 + i as u32,
                        ..Header::new(Kind::Request, ServiceId::CKPT)
                    };
                    if send_frame(&mut req, h, &r).is_err() {
                        return i;
                    }
                }
                READS
            })
        })
        .collect();
    let peak = peak_rss(node, Duration::from_secs(3));
    // A well-behaved reader of the same section is answered meanwhile.
    let (st, p) = owner.call(ckpt::READ, &read_request(id));
    assert_eq!(st, status::OK);
    assert_eq!(ckpt::ReadReply::decode(&p).unwrap(), expected);
    let sent: Vec<usize> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    eprintln!(
        "unread replies: RSS before {:.1} MiB, peak {:.1} MiB ({HANDLES} handles sent {sent:?} reads of {} KiB)",
        mib(before),
        mib(peak),
        SECTION >> 10
    );
    assert!(
        peak <= before + HANDLES as u64 * REPLY_BOUND * BUFFER_OVERHEAD + 16 * MIB,
        "unread replies took aisexec from {:.1} to {:.1} MiB",
        mib(before),
        mib(peak)
    );
    for a in &mut attackers {
        assert!(
            a.closed_within(T),
            "{} never read a reply and was not disconnected",
            a.conn
        );
    }
    drop(attackers);
    comes_back_under(
        node,
        before + SETTLED_SLACK,
        "unread replies: once the attacker is gone",
    );
    assert_eq!(owner.call(ckpt::READ, &read_request(id)).0, status::OK);
}

// ---- item: credits are the executive's ----

fn group(name: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.name(name).unwrap();
    w.into_vec()
}

fn mcast(data: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.blob(data).unwrap();
    w.into_vec()
}

/// What the attacker multicasts without waiting for credit: 16 times the window.
const FLOOD: u64 = 16 * ais_proto::credit::WINDOW;

#[test]
fn a_sender_past_its_window_is_disconnected_and_members_do_not_pay() {
    let Some(s) = single("credit-window") else { return };
    let node = &s.node;
    let member = node.connect(ServiceId::CPG, NO_VERSION);
    assert_eq!(call_retrying(&member, cpg::JOIN, &group(b"g")).0, status::OK);
    let mut attacker = Raw::open(&node.socket, ServiceId::CPG, NO_VERSION);
    assert_eq!(attacker.call(cpg::JOIN, &group(b"g")).0, status::OK);
    let before = rss(node.pid());
    let log_from = node.lines.len();

    let mut req = attacker.req.try_clone().unwrap();
    req.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let flood = std::thread::spawn(move || {
        let m = mcast(&vec![7u8; 512 << 10]);
        let mut sent = 0u64;
        while sent < FLOOD {
            let h = Header {
                msg: cpg::MCAST,
                flags: flags::NO_REPLY,
                ..Header::new(Kind::Request, ServiceId::CPG)
            };
            if send_frame(&mut req, h, &m).is_err() {
                break;
            }
            sent += m.len() as u64;
        }
        sent
    });
    let peak = peak_rss(node, Duration::from_secs(3));
    let sent = flood.join().unwrap();
    eprintln!(
        "credit window: RSS before {:.1} MiB, peak {:.1} MiB (the attacker sent {:.1} MiB)",
        mib(before),
        mib(peak),
        mib(sent)
    );
    assert!(
        attacker.closed_within(T),
        "a sender past its window was not disconnected"
    );
    // What was forwarded within the window is held by the ordering core and waits for
    // two handles (the member's and the attacker's own), each buffer up to twice its
    // length: four windows, and a frame or two.
    assert!(
        peak <= before + 4 * ais_proto::credit::WINDOW + 16 * MIB,
        "a sender past its window took aisexec from {:.1} to {:.1} MiB",
        mib(before),
        mib(peak)
    );
    let conn = format!("conn {} ", attacker.conn);
    let said = node
        .lines
        .all()
        .iter()
        .skip(log_from)
        .filter(|l| l.contains(&conn) && l.contains("window"))
        .count();
    assert_eq!(said, 1, "the disconnection is logged once\n{}", node.log());

    // The member paid nothing: it is still connected, receives what was forwarded
    // within the window, and is answered.
    let mut delivered = 0u64;
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(500) {
        let mut n = 0;
        member
            .dispatch(ais_client::runtime::DispatchMode::All, |cb| {
                n += 1;
                if cb.msg == cpg::DELIVER {
                    delivered += cb.payload.len() as u64;
                }
            })
            .expect("the member is still connected");
        if n > 0 {
            quiet_since = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Credits stop once the member is 4 MiB behind (services::host); the attacker
    // got one window past its last credit, and nothing beyond.
    assert!(
        delivered < sent && delivered <= 2 * ais_proto::credit::WINDOW,
        "delivered {delivered} of {sent} bytes sent"
    );
    assert_eq!(call_retrying(&member, cpg::MEMBERSHIP_GET, &group(b"g")).0, status::OK);
    drop(attacker);
    // What the IPC server held comes back. The ordering core keeps the last frames it
    // sent until the token moves on, and an idle ring holds its token: those (within
    // the window, twice over for their copies) go with the next message.
    let core_holds = 2 * ais_proto::credit::WINDOW;
    comes_back_under(
        node,
        before + core_holds + SETTLED_SLACK,
        "credit window: once the attacker is gone",
    );
    member.post(cpg::MCAST, &mcast(b"and on")).unwrap();
    comes_back_under(node, before + SETTLED_SLACK, "credit window: once the ring moved on");
}

// ---- item: a slow reader's disconnection is logged once ----

#[test]
fn a_slow_readers_disconnection_is_logged_once() {
    let Some(s) = single("slow-reader") else { return };
    let node = &s.node;
    let mut slow = Raw::open(&node.socket, ServiceId::CPG, NO_VERSION);
    assert_eq!(slow.call(cpg::JOIN, &group(b"g")).0, status::OK);
    let sender = node.connect(ServiceId::CPG, NO_VERSION);
    assert_eq!(call_retrying(&sender, cpg::JOIN, &group(b"g")).0, status::OK);
    let m = mcast(&vec![1u8; 256 << 10]);
    let end = Instant::now() + Duration::from_secs(30);
    // The sender is held back once the slow member is behind, until the
    // executive gives up on that member.
    while !slow.hung_up() && Instant::now() < end {
        match sender.try_post(cpg::MCAST, &[&m]) {
            Ok(()) => {}
            Err(e) if e.code() == status::TRY_AGAIN => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("post: {e}"),
        }
    }
    let conn = format!("conn {} ", slow.conn);
    // Any other line would come right after the first.
    std::thread::sleep(Duration::from_millis(500));
    let said: Vec<String> = node
        .lines
        .all()
        .into_iter()
        .filter(|l| l.contains(&conn) && l.contains("disconnect"))
        .collect();
    assert_eq!(said.len(), 1, "logged {} times: {said:#?}", said.len());
}
