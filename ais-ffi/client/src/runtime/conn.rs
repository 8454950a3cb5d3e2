//! One library handle's link to the executive: a request socket and a dispatch socket.

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ais_proto::{
    credit, flags, AisVersion, Attach, Handshake, Header, Hello, Kind, Limits, ServiceId, SocketName, Welcome,
    HEADER_LEN, PROTOCOL_VERSION,
};
use nix::errno::Errno;
use nix::poll::PollFlags;

use super::sys::{self, Recv, SendError};
use crate::Error;

/// How long each half of the handshake may take before `open` gives up.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// A response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub msg: u16,
    /// The service's `SaAisErrorT` for the call, as it came (`SA_AIS_OK` is 1).
    pub status: u32,
    pub payload: Vec<u8>,
}

impl Reply {
    /// The payload of a reply whose status is `SA_AIS_OK`, the error otherwise.
    pub fn ok(self) -> Result<Vec<u8>, Error> {
        Error::check(self.status).map(|()| self.payload)
    }
}

/// A callback frame, lent to the dispatch closure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Callback<'a> {
    pub msg: u16,
    /// The `SaAisErrorT` the callback reports, as it came (`SA_AIS_OK` is 1).
    pub status: u32,
    pub payload: &'a [u8],
}

/// `SaDispatchFlagsT`, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispatchMode {
    /// Run at most one pending callback.
    One,
    /// Run every pending callback.
    All,
    /// Run callbacks as they come until the handle is finalized.
    Blocking,
    /// Wait for one callback and run it (corosync's `CS_DISPATCH_ONE`).
    OneWaiting,
    /// Run one pending callback; [`Error::TryAgain`] when none is pending
    /// (corosync's `CS_DISPATCH_ONE_NONBLOCKING`).
    OneOrTryAgain,
}

impl DispatchMode {
    /// The mode of an `SaDispatchFlagsT` value (`SA_DISPATCH_ONE` 1, `_ALL` 2, `_BLOCKING`
    /// 3); `None` for a value the spec does not define (`SA_AIS_ERR_INVALID_PARAM`).
    pub fn from_flags(flags: u32) -> Option<DispatchMode> {
        match flags {
            1 => Some(DispatchMode::One),
            2 => Some(DispatchMode::All),
            3 => Some(DispatchMode::Blocking),
            _ => None,
        }
    }
}

/// Why opening a handle failed, beyond its SA Forum code: what a person reading a tool's
/// message needs to know (is anything listening, did it refuse me, or did it not answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenFailure {
    /// Nothing listens on the socket: no executive runs there (or it has not started yet).
    NotListening,
    /// The executive answered and refused the handle: [`Error::Access`] for the caller's
    /// credentials (or a socket file it may not open), [`Error::Version`] or
    /// [`Error::NotSupported`] for what it asked for.
    Refused,
    /// The executive accepted the connection but did not complete the handshake in time.
    NoAnswer,
    /// Anything else: a system call failed or the peer broke the protocol.
    Broken,
}

/// Why a handle could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenError {
    /// [`Error::TryAgain`] when no executive answers, [`Error::Access`] when it refuses
    /// the caller, [`Error::Version`] for a version it does not serve,
    /// [`Error::Library`] for anything unexpected.
    pub error: Error,
    pub failure: OpenFailure,
    /// The service's version as the executive reported it in a refusal, if it did.
    pub version: Option<AisVersion>,
    /// The socket tried.
    pub socket: SocketName,
}

impl OpenError {
    fn new(socket: &SocketName, error: Error, failure: OpenFailure) -> OpenError {
        OpenError {
            error,
            failure,
            version: None,
            socket: socket.clone(),
        }
    }
}

/// A message for a person: what happened, on which socket, and what to do about it.
impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.socket;
        match (self.failure, self.error) {
            (OpenFailure::NotListening, _) => write!(
                f,
                "can't reach the executive: nothing listens on socket {s}; is aisexec running? \
                 (if it listens on another socket, name it in AIS_IPC_SOCKET)"
            ),
            (OpenFailure::Refused, Error::Access) => write!(
                f,
                "the executive on socket {s} refused access to this process ({}); to be allowed, \
                 run as root, as a member of group `ais` (or the group `aisexec {{ group }}` names \
                 in openais.conf), or as a uid or gid listed in `uidgid {{ }}` of openais.conf",
                self.error
            ),
            (OpenFailure::Refused, e) => write!(f, "the executive on socket {s} refused the handle: {e}"),
            (OpenFailure::NoAnswer, _) => write!(
                f,
                "the executive on socket {s} accepted the connection but did not answer in time; \
                 it may be busy or stopped (SIGSTOP)"
            ),
            (OpenFailure::Broken, e) => write!(f, "connecting to the executive on socket {s} failed: {e}"),
        }
    }
}

impl std::error::Error for OpenError {}

/// The request side's shared state.
struct Calls {
    next_id: u32,
    /// Calls waiting for their response, by request id; `Some` once it arrived.
    waiting: HashMap<u32, Option<Reply>>,
    /// A thread is reading the request socket for everybody.
    reading: bool,
    /// Set for good once the connection failed or was finalized.
    dead: Option<Error>,
}

/// Bytes read from the request socket and not yet parsed; only the reading thread
/// touches it. Zeroed once, so reading into it needs no `unsafe`.
struct Inbox {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

const INBOX_SIZE: usize = 16 * 1024;

/// Bytes of callbacks a dispatch of them all reads at once.
const DISPATCH_CHUNK: usize = 64 * 1024;

/// A connection to the executive for one library handle.
///
/// Thread-safe: any number of threads may [`call`](Connection::call) at once (each
/// response finds its caller by request id, in whatever order the executive answers),
/// while others [`dispatch`](Connection::dispatch), and any thread may
/// [`finalize`](Connection::finalize), which ends every wait on the connection.
pub struct Connection {
    req: UnixStream,
    disp: UnixStream,
    welcome: Welcome,
    limits: Limits,
    /// Serialises frame writes on the request socket.
    writer: Mutex<()>,
    calls: Mutex<Calls>,
    arrived: Condvar,
    inbox: Mutex<Inbox>,
    /// Serialises frame reads on the dispatch socket (never held while a callback runs).
    dispatch_read: Mutex<()>,
    finalized: AtomicBool,
    /// Payload bytes of `NO_REPLY` requests sent, and the executive's credit for them
    /// ([`ais_proto::credit`]).
    posted: AtomicU64,
    credited: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing holding these locks panics midway through an update; a poisoned lock (a
    // panic elsewhere in the thread) is used as it is: the state is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    /// Opens a handle of `service` on the executive named by `AIS_IPC_SOCKET` (default
    /// `@ais`), asking for `version`.
    pub fn open(service: ServiceId, version: AisVersion) -> Result<Connection, OpenError> {
        let socket = match SocketName::from_env() {
            Ok(s) => s,
            Err(_) => {
                // An AIS_IPC_SOCKET no socket can have (too long): named as it was given.
                let given = std::env::var_os(ais_proto::SOCKET_ENV).unwrap_or_default();
                let socket = SocketName::Path(given.into());
                return Err(OpenError::new(&socket, Error::Library, OpenFailure::Broken));
            }
        };
        Connection::open_at(&socket, service, version, DEFAULT_HANDSHAKE_TIMEOUT)
    }

    /// As [`open`](Connection::open), on an explicit socket and handshake timeout.
    pub fn open_at(
        socket: &SocketName,
        service: ServiceId,
        version: AisVersion,
        handshake_timeout: Duration,
    ) -> Result<Connection, OpenError> {
        let (req, disp, welcome) = handshake(socket, service, version, handshake_timeout).map_err(|f| OpenError {
            error: f.error,
            failure: f.failure,
            version: f.version,
            socket: socket.clone(),
        })?;
        Ok(Connection {
            req,
            disp,
            limits: Limits::new(welcome.max_payload),
            welcome,
            writer: Mutex::new(()),
            calls: Mutex::new(Calls {
                next_id: 1,
                waiting: HashMap::new(),
                reading: false,
                dead: None,
            }),
            arrived: Condvar::new(),
            inbox: Mutex::new(Inbox {
                buf: vec![0; INBOX_SIZE],
                start: 0,
                end: 0,
            }),
            dispatch_read: Mutex::new(()),
            finalized: AtomicBool::new(false),
            posted: AtomicU64::new(0),
            credited: AtomicU64::new(0),
        })
    }

    /// The executive's name for this connection (its log lines use it).
    pub fn conn_id(&self) -> u64 {
        self.welcome.conn_id
    }

    /// The service's version, as the executive announced it.
    pub fn version(&self) -> AisVersion {
        self.welcome.version
    }

    /// The largest payload either side sends on this connection.
    pub fn max_payload(&self) -> u32 {
        self.limits.max_payload()
    }

    /// The selection object: the dispatch socket, readable exactly while a callback is
    /// pending (and, for good, once the executive has gone or the handle is finalized).
    pub fn selection_object(&self) -> RawFd {
        self.disp.as_raw_fd()
    }

    /// The selection object, borrowed (for polling it from Rust).
    pub fn selection_fd(&self) -> BorrowedFd<'_> {
        self.disp.as_fd()
    }

    /// Sends a request and waits for its response, at most `timeout` if given.
    ///
    /// Errors: `Error::Timeout` (the connection stays usable; a late response is
    /// discarded), `Error::TooBig` (payload over [`max_payload`](Self::max_payload)),
    /// `Error::BadHandle` (finalized), `Error::Library` (the executive went away
    /// or broke the protocol; the handle is unusable from then on).
    pub fn call(&self, msg: u16, payload: &[u8], timeout: Option<Duration>) -> Result<Reply, Error> {
        let deadline = timeout.map(|t| Instant::now().checked_add(t).unwrap_or_else(far_future));
        let id = {
            let mut c = lock(&self.calls);
            if let Some(e) = c.dead {
                return Err(e);
            }
            let mut id = c.next_id;
            // Skip 0 and ids still waiting (after 2^32 calls with one stuck in between).
            while id == 0 || c.waiting.contains_key(&id) {
                id = id.wrapping_add(1);
            }
            c.next_id = id.wrapping_add(1);
            c.waiting.insert(id, None);
            id
        };
        if let Err(e) = self.send(msg, 0, id, payload, deadline) {
            lock(&self.calls).waiting.remove(&id);
            return Err(e);
        }
        self.wait_reply(id, deadline)
    }

    /// Sends a request the executive answers with nothing (`NO_REPLY`): the "accepted"
    /// calls. Waits while the credit window is full ([`ais_proto::credit`]).
    pub fn post(&self, msg: u16, payload: &[u8]) -> Result<(), Error> {
        loop {
            match self.try_post(msg, &[payload]) {
                Err(Error::TryAgain) => self.pump(true)?,
                r => return r,
            }
        }
    }

    /// Like [`post`](Self::post), with the payload in pieces, but never waits for credit:
    /// `Error::TryAgain` when the window is full (the executive is holding this
    /// client back until it, or a member it sends to, reads its callbacks).
    pub fn try_post(&self, msg: u16, parts: &[&[u8]]) -> Result<(), Error> {
        if let Some(e) = lock(&self.calls).dead {
            return Err(e);
        }
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > self.limits.max_payload() as usize {
            return Err(Error::TooBig);
        }
        let fits = || {
            let out = self.posted.load(Ordering::Relaxed) - self.credited.load(Ordering::Relaxed);
            out + len as u64 <= credit::WINDOW
        };
        if !fits() {
            // Credits may be waiting on the request socket.
            self.pump(false)?;
            if !fits() {
                return Err(Error::TryAgain);
            }
        }
        let header = Header {
            msg,
            flags: flags::NO_REPLY,
            request_id: 0,
            len: len as u32,
            ..Header::new(Kind::Request, self.welcome.service)
        }
        .encode();
        let mut frame: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        frame.push(&header);
        frame.extend_from_slice(parts);
        let _w = lock(&self.writer);
        // The executive always reads on (credits bound what it must buffer), so a
        // blocking send ends.
        match sys::send_all(self.req.as_fd(), &frame, None) {
            Ok(()) => {
                self.posted.fetch_add(len as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(_) => Err(self.fail(Error::Library)),
        }
    }

    /// Reads what the request socket holds (waiting for something if `block`), unless
    /// another thread is reading it already: responses go to their callers, credits
    /// are noted.
    fn pump(&self, block: bool) -> Result<(), Error> {
        let c = lock(&self.calls);
        if let Some(e) = c.dead {
            return Err(e);
        }
        if c.reading {
            if block {
                // The reader notes credits too; wait for it to hand over.
                let _ = self.arrived.wait_timeout(c, Duration::from_millis(10));
            }
            return Ok(());
        }
        let c = self.read_as_reader(c, None, block);
        match c.dead {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Takes the reader role (the caller checked it was free), reads the request socket
    /// (see [`read_responses`](Self::read_responses)), hands the responses to their
    /// callers and wakes them; returns the lock again.
    fn read_as_reader<'a>(
        &'a self,
        mut c: MutexGuard<'a, Calls>,
        deadline: Option<Instant>,
        block: bool,
    ) -> MutexGuard<'a, Calls> {
        c.reading = true;
        drop(c);
        let got = self.read_responses(deadline, block);
        let mut c = lock(&self.calls);
        c.reading = false;
        match got {
            Ok(replies) => {
                for (rid, r) in replies {
                    // A response nobody waits for (its call timed out) is dropped.
                    if let Some(slot) = c.waiting.get_mut(&rid) {
                        *slot = Some(r);
                    }
                }
            }
            Err(e) => {
                let e = if self.is_finalized() { Error::BadHandle } else { e };
                c.dead.get_or_insert(e);
            }
        }
        self.arrived.notify_all();
        c
    }

    /// Notes a credit frame's total.
    fn note_credit(&self, payload: &[u8]) -> bool {
        match <[u8; 8]>::try_from(payload) {
            Ok(b) => {
                self.credited.fetch_max(u64::from_le_bytes(b), Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    fn send(
        &self,
        msg: u16,
        flags: u16,
        request_id: u32,
        payload: &[u8],
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        if payload.len() > self.limits.max_payload() as usize {
            return Err(Error::TooBig);
        }
        let header = Header {
            msg,
            flags,
            request_id,
            len: payload.len() as u32,
            ..Header::new(Kind::Request, self.welcome.service)
        }
        .encode();
        let _w = lock(&self.writer);
        match sys::send_all(self.req.as_fd(), &[&header, payload], deadline) {
            Ok(()) => Ok(()),
            Err(SendError::TimedOut) => Err(Error::Timeout),
            Err(SendError::TimedOutMidFrame) | Err(SendError::Io(_)) => Err(self.fail(Error::Library)),
        }
    }

    /// Marks the connection dead (first cause wins) and wakes every waiter; returns the
    /// error callers should see.
    fn fail(&self, e: Error) -> Error {
        let e = if self.is_finalized() { Error::BadHandle } else { e };
        let mut c = lock(&self.calls);
        let e = *c.dead.get_or_insert(e);
        self.arrived.notify_all();
        e
    }

    /// Waits for response `id`. One waiting thread at a time reads the socket and hands
    /// every response it finds to its caller; the others sleep on the condition variable
    /// until theirs arrives or the reader role is free.
    fn wait_reply(&self, id: u32, deadline: Option<Instant>) -> Result<Reply, Error> {
        let mut c = lock(&self.calls);
        loop {
            if let Some(Some(_)) = c.waiting.get(&id) {
                return Ok(c.waiting.remove(&id).flatten().expect("checked above"));
            }
            if let Some(e) = c.dead {
                c.waiting.remove(&id);
                return Err(e);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                c.waiting.remove(&id);
                return Err(Error::Timeout);
            }
            if !c.reading {
                c = self.read_as_reader(c, deadline, true);
                continue;
            }
            c = match deadline {
                None => self.arrived.wait(c).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    self.arrived.wait_timeout(c, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }

    /// Reads the request socket until at least one complete response is buffered (or the
    /// deadline passes: then none), and returns all complete ones; credit frames are
    /// noted on the way. Without `block`, returns what is there now, maybe nothing.
    fn read_responses(&self, deadline: Option<Instant>, block: bool) -> Result<Vec<(u32, Reply)>, Error> {
        let mut inbox = lock(&self.inbox);
        let ib = &mut *inbox;
        let mut read_once = false;
        loop {
            let mut out = Vec::new();
            loop {
                let avail = &ib.buf[ib.start..ib.end];
                match ais_proto::split_frame(avail, &self.limits) {
                    Ok(Some((h, p))) => {
                        if h.kind != Kind::Response || h.service != self.welcome.service {
                            return Err(Error::Library);
                        }
                        if h.msg == credit::MSG && h.request_id == 0 {
                            if !self.note_credit(p) {
                                return Err(Error::Library);
                            }
                            ib.start += h.frame_len();
                            continue;
                        }
                        out.push((
                            h.request_id,
                            Reply {
                                msg: h.msg,
                                status: h.status,
                                payload: p.to_vec(),
                            },
                        ));
                        ib.start += h.frame_len();
                    }
                    Ok(None) => break,
                    Err(_) => return Err(Error::Library),
                }
            }
            if ib.start == ib.end {
                ib.start = 0;
                ib.end = 0;
                if ib.buf.len() > INBOX_SIZE {
                    ib.buf.truncate(INBOX_SIZE);
                    ib.buf.shrink_to_fit();
                }
            }
            if !out.is_empty() || (!block && read_once) {
                return Ok(out);
            }
            // Room for the whole pending frame (its header passed the limit check).
            let need = match Header::decode(&ib.buf[ib.start..ib.end], &self.limits) {
                Ok(h) => h.frame_len(),
                Err(_) => HEADER_LEN,
            };
            if ib.start > 0 && (ib.buf.len() - ib.start < need || ib.end == ib.buf.len()) {
                ib.buf.copy_within(ib.start..ib.end, 0);
                ib.end -= ib.start;
                ib.start = 0;
            }
            if ib.buf.len() < need {
                ib.buf.resize(need, 0);
            }
            read_once = true;
            match sys::recv_some(self.req.as_fd(), &mut ib.buf[ib.end..], block, deadline) {
                Ok(Recv::Data(n)) => ib.end += n,
                Ok(Recv::Nothing) => return Ok(Vec::new()), // deadline, or nothing there
                Ok(Recv::Eof) | Err(_) => return Err(Error::Library),
            }
        }
    }

    /// Runs pending callbacks through `f` as `mode` says.
    ///
    /// Returns `Ok` when done, including when a `Blocking` dispatch is ended by
    /// [`finalize`](Self::finalize); `Error::BadHandle` if the handle was finalized
    /// before; `Error::Library` once the executive has gone. `f` may call back into
    /// the connection, finalize included.
    pub fn dispatch(&self, mode: DispatchMode, mut f: impl FnMut(Callback<'_>)) -> Result<(), Error> {
        if self.is_finalized() {
            return Err(Error::BadHandle);
        }
        let waits = matches!(mode, DispatchMode::Blocking | DispatchMode::OneWaiting);
        loop {
            if waits {
                match sys::wait(self.disp.as_fd(), PollFlags::POLLIN, None) {
                    Ok(_) => {}
                    Err(_) => return self.dispatch_end(),
                }
            }
            if self.is_finalized() {
                return Ok(());
            }
            if matches!(mode, DispatchMode::All | DispatchMode::Blocking) {
                // Every callback there is, read in one go.
                let chunk = match self.callbacks_now() {
                    Ok(c) => c,
                    Err(()) => return self.dispatch_end(),
                };
                if chunk.is_empty() {
                    if mode == DispatchMode::All {
                        return Ok(());
                    }
                    continue;
                }
                let mut rest = &chunk[..];
                while !rest.is_empty() {
                    let Ok(Some((h, payload))) = ais_proto::split_frame(rest, &self.limits) else {
                        return Err(self.fail(Error::Library));
                    };
                    rest = &rest[h.frame_len()..];
                    if h.kind != Kind::Callback || h.service != self.welcome.service {
                        return Err(self.fail(Error::Library));
                    }
                    if h.msg == credit::MSG {
                        if !self.note_credit(payload) {
                            return Err(self.fail(Error::Library));
                        }
                        continue;
                    }
                    f(Callback {
                        msg: h.msg,
                        status: h.status,
                        payload,
                    });
                    if self.is_finalized() {
                        return Ok(());
                    }
                }
                continue;
            }
            match self.next_callback() {
                Ok(Some((h, payload))) if h.msg == credit::MSG => {
                    if !self.note_credit(&payload) {
                        return Err(self.fail(Error::Library));
                    }
                    // Not a callback of the application's: it does not count as one.
                    continue;
                }
                Ok(Some((h, payload))) => f(Callback {
                    msg: h.msg,
                    status: h.status,
                    payload: &payload,
                }),
                Ok(None) if waits => continue,
                Ok(None) if mode == DispatchMode::OneOrTryAgain => return Err(Error::TryAgain),
                Ok(None) => return Ok(()),
                Err(()) => return self.dispatch_end(),
            }
            if matches!(
                mode,
                DispatchMode::One | DispatchMode::OneWaiting | DispatchMode::OneOrTryAgain
            ) {
                return Ok(());
            }
        }
    }

    /// The result of a dispatch whose socket ended.
    fn dispatch_end(&self) -> Result<(), Error> {
        if self.is_finalized() {
            Ok(())
        } else {
            Err(self.fail(Error::Library))
        }
    }

    /// Takes the whole callback frames the dispatch socket holds now, up to about
    /// [`DISPATCH_CHUNK`] bytes, in one read, completing a frame the read cut (its rest
    /// follows: the executive writes whole frames). Empty when nothing is there; `Err`
    /// at end of stream or on a protocol error.
    fn callbacks_now(&self) -> Result<Vec<u8>, ()> {
        let _r = lock(&self.dispatch_read);
        let fd = self.disp.as_fd();
        let mut buf = vec![0u8; DISPATCH_CHUNK];
        let n = match sys::recv_some(fd, &mut buf, false, None) {
            Ok(Recv::Data(n)) => n,
            Ok(Recv::Nothing) => return Ok(Vec::new()),
            Ok(Recv::Eof) | Err(_) => return Err(()),
        };
        buf.truncate(n);
        let mut at = 0;
        while at < buf.len() {
            if buf.len() - at < HEADER_LEN {
                let have = buf.len();
                buf.resize(at + HEADER_LEN, 0);
                if !sys::recv_exact(fd, &mut buf[have..]).map_err(|_| ())? {
                    return Err(());
                }
            }
            let h = Header::decode(&buf[at..at + HEADER_LEN], &self.limits).map_err(|_| ())?;
            let end = at + h.frame_len();
            if end > buf.len() {
                let have = buf.len();
                buf.resize(end, 0);
                if !sys::recv_exact(fd, &mut buf[have..]).map_err(|_| ())? {
                    return Err(());
                }
            }
            at = end;
        }
        Ok(buf)
    }

    /// Takes one callback frame off the dispatch socket if one is there: exactly its
    /// bytes, so the socket stays readable while more are queued. `Err` at end of stream
    /// or on a protocol error.
    fn next_callback(&self) -> Result<Option<(Header, Vec<u8>)>, ()> {
        let _r = lock(&self.dispatch_read);
        let fd = self.disp.as_fd();
        let mut hdr = [0u8; HEADER_LEN];
        let n = match sys::recv_some(fd, &mut hdr, false, None) {
            Ok(Recv::Data(n)) => n,
            Ok(Recv::Nothing) => return Ok(None),
            Ok(Recv::Eof) | Err(_) => return Err(()),
        };
        // The executive writes whole frames, so the rest of one that has begun follows.
        if !sys::recv_exact(fd, &mut hdr[n..]).map_err(|_| ())? {
            return Err(());
        }
        let h = Header::decode(&hdr, &self.limits).map_err(|_| ())?;
        if h.kind != Kind::Callback || h.service != self.welcome.service {
            return Err(());
        }
        let mut payload = vec![0u8; h.len as usize];
        if !sys::recv_exact(fd, &mut payload).map_err(|_| ())? {
            return Err(());
        }
        Ok(Some((h, payload)))
    }

    /// Ends the connection: every call in progress returns `Error::BadHandle`, a
    /// blocking dispatch returns, and the executive sees the sockets close. Idempotent.
    /// The descriptors themselves close when the `Connection` is dropped, so a thread
    /// still inside a call never touches a reused descriptor number.
    pub fn finalize(&self) {
        if self.finalized.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.req.shutdown(std::net::Shutdown::Both);
        let _ = self.disp.shutdown(std::net::Shutdown::Both);
        let _ = self.fail(Error::BadHandle);
    }

    pub fn is_finalized(&self) -> bool {
        self.finalized.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("service", &self.welcome.service)
            .field("conn_id", &self.welcome.conn_id)
            .field("finalized", &self.is_finalized())
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.finalize();
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 86_400)
}

/// A failed handshake, before it is told which socket it was on.
struct Fail {
    error: Error,
    failure: OpenFailure,
    version: Option<AisVersion>,
}

impl Fail {
    fn new(error: Error, failure: OpenFailure) -> Fail {
        Fail {
            error,
            failure,
            version: None,
        }
    }

    fn broken() -> Fail {
        Fail::new(Error::Library, OpenFailure::Broken)
    }

    /// The executive's `Refused` frame.
    fn refused(r: &ais_proto::Refused) -> Fail {
        Fail {
            error: Error::from_code(r.error).unwrap_or(Error::Library),
            failure: OpenFailure::Refused,
            version: (r.version != AisVersion::default()).then_some(r.version),
        }
    }
}

/// Both halves of the handshake: Hello/Welcome on the request socket, then
/// Attach/Attached on the dispatch socket.
fn handshake(
    socket: &SocketName,
    service: ServiceId,
    version: AisVersion,
    timeout: Duration,
) -> Result<(UnixStream, UnixStream, Welcome), Fail> {
    let req = connect(socket)?;
    set_timeouts(&req, Some(timeout))?;
    let hello = Handshake::Hello(Hello {
        service,
        protocol_version: PROTOCOL_VERSION.into(),
        pid: std::process::id(),
        version,
    });
    send_handshake(&req, &hello, timeout)?;
    let welcome = match read_handshake(&req)? {
        Handshake::Welcome(w) if w.service == service => w,
        Handshake::Refused(r) => return Err(Fail::refused(&r)),
        _ => return Err(Fail::broken()),
    };
    if welcome.protocol_version != u16::from(PROTOCOL_VERSION) {
        return Err(Fail::broken());
    }

    let disp = connect(socket)?;
    set_timeouts(&disp, Some(timeout))?;
    let attach = Handshake::Attach(Attach {
        service,
        conn_id: welcome.conn_id,
        cookie: welcome.cookie,
    });
    send_handshake(&disp, &attach, timeout)?;
    match read_handshake(&disp)? {
        Handshake::Attached(a) if a.service == service => {}
        Handshake::Refused(r) => return Err(Fail::refused(&r)),
        _ => return Err(Fail::broken()),
    }
    set_timeouts(&req, None)?;
    set_timeouts(&disp, None)?;
    Ok((req, disp, welcome))
}

fn connect(socket: &SocketName) -> Result<UnixStream, Fail> {
    let r = match socket {
        SocketName::Abstract(n) => SocketAddr::from_abstract_name(n).and_then(|a| UnixStream::connect_addr(&a)),
        SocketName::Path(p) => UnixStream::connect(p),
    };
    r.map_err(|e| match Errno::from_raw(e.raw_os_error().unwrap_or(0)) {
        // No executive (yet): the caller may retry.
        Errno::ENOENT | Errno::ECONNREFUSED => Fail::new(Error::TryAgain, OpenFailure::NotListening),
        // It listens, but its backlog is full.
        Errno::EAGAIN => Fail::new(Error::TryAgain, OpenFailure::NoAnswer),
        // A socket file this process may not open.
        Errno::EACCES | Errno::EPERM => Fail::new(Error::Access, OpenFailure::Refused),
        _ => Fail::broken(),
    })
}

fn set_timeouts(s: &UnixStream, t: Option<Duration>) -> Result<(), Fail> {
    s.set_read_timeout(t)
        .and_then(|_| s.set_write_timeout(t))
        .map_err(|_| Fail::broken())
}

/// Writes a handshake frame; an executive that does not take it within `timeout` is
/// busy ([`Error::TryAgain`]).
fn send_handshake(s: &UnixStream, m: &Handshake, timeout: Duration) -> Result<(), Fail> {
    let f = m.encode();
    let deadline = Instant::now().checked_add(timeout);
    sys::send_all(s.as_fd(), &[&f], deadline).map_err(|e| match e {
        SendError::TimedOut | SendError::TimedOutMidFrame => Fail::new(Error::TryAgain, OpenFailure::NoAnswer),
        SendError::Io(_) => Fail::broken(),
    })
}

/// Reads one handshake frame (small: anything over 64 bytes of payload is a protocol
/// error). The socket's read timeout bounds the wait.
fn read_handshake(mut s: &UnixStream) -> Result<Handshake, Fail> {
    let err = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            Fail::new(Error::TryAgain, OpenFailure::NoAnswer)
        }
        _ => Fail::broken(),
    };
    let mut hdr = [0u8; HEADER_LEN];
    s.read_exact(&mut hdr).map_err(err)?;
    let h = Header::decode(&hdr, &Limits::new(64)).map_err(|_| Fail::broken())?;
    let mut payload = vec![0u8; h.len as usize];
    s.read_exact(&mut payload).map_err(err)?;
    Handshake::decode(&h, &payload).map_err(|_| Fail::broken())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_executive_is_try_again() {
        let s = SocketName::parse("@ais-runtime-test-nobody-listens").unwrap();
        let e = Connection::open_at(&s, ServiceId::ECHO, AisVersion::default(), Duration::from_secs(1)).err();
        assert_eq!(
            e,
            Some(OpenError {
                error: Error::TryAgain,
                failure: OpenFailure::NotListening,
                version: None,
                socket: s.clone(),
            })
        );
        let p = SocketName::parse("/nonexistent-dir/ais.sock").unwrap();
        let e = Connection::open_at(&p, ServiceId::ECHO, AisVersion::default(), Duration::from_secs(1)).err();
        assert_eq!(e.map(|e| e.error), Some(Error::TryAgain));
    }

    #[test]
    fn dispatch_flags() {
        assert_eq!(DispatchMode::from_flags(1), Some(DispatchMode::One));
        assert_eq!(DispatchMode::from_flags(2), Some(DispatchMode::All));
        assert_eq!(DispatchMode::from_flags(3), Some(DispatchMode::Blocking));
        assert_eq!(DispatchMode::from_flags(0), None);
        assert_eq!(DispatchMode::from_flags(4), None);
    }
}
