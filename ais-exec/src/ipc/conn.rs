//! One task per accepted socket: the handshake, then (on a request socket) the read loop,
//! with a writer task per socket.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ais_proto::{
    status, AisVersion, Attach, Attached, FrameError, Handshake, Hello, Kind, Limits, Refused, ServiceId, Welcome,
    PROTOCOL_VERSION,
};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::time::timeout;

use super::access::SystemUserDb;
use super::admission::{Admission, RateLimitedLog, Ticket};
use super::io::{closed, write_all, write_batch, FrameReader, ReadError};
use super::release::Activity;
use super::{
    Client, ClientInner, ConnId, ConnState, Event, IpcConfig, Outbox, Outgoing, PeerCred, Request, Responder, Totals,
    REQUEST_FLAGS,
};

/// State every connection task shares (none of it service state).
pub(super) struct Shared {
    pub(super) config: IpcConfig,
    pub(super) limits: Limits,
    /// The connections that have not passed the credential check yet.
    pub(super) admission: Arc<Admission>,
    /// Bytes waiting to be written to all connections together.
    pub(super) totals: Arc<Totals>,
    pub(super) logs: Logs,
    /// Counted for [`release`](super::release).
    pub(super) activity: Arc<Activity>,
    pub(super) events: mpsc::Sender<Event>,
    pub(super) next_conn: AtomicU64,
    /// Request sockets waiting for their dispatch socket, by connection id.
    pub(super) pending: Mutex<HashMap<u64, PendingAttach>>,
    /// Keys the cookie generator (SipHash with the process's random keys).
    pub(super) cookie_key: std::collections::hash_map::RandomState,
}

pub(super) struct PendingAttach {
    cookie: u64,
    cred: PeerCred,
    service: ServiceId,
    tx: oneshot::Sender<UnixStream>,
}

impl Shared {
    fn service_version(&self, s: ServiceId) -> Option<AisVersion> {
        self.config.services.iter().find(|(id, _)| *id == s).map(|(_, v)| *v)
    }

    fn cookie(&self, conn: ConnId) -> u64 {
        self.cookie_key.hash_one((conn.0, Instant::now(), std::process::id()))
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u64, PendingAttach>> {
        // Nothing panics while holding it; recover the map rather than propagate a poison.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Log lines about what anybody who can connect may cause at will, each rate-limited.
pub(super) struct Logs {
    accept: RateLimitedLog,
    handshake: RateLimitedLog,
    refused: RateLimitedLog,
}

impl Default for Logs {
    fn default() -> Logs {
        let every = Duration::from_secs(10);
        Logs {
            accept: RateLimitedLog::new(Duration::from_secs(1)),
            handshake: RateLimitedLog::new(every),
            refused: RateLimitedLog::new(every),
        }
    }
}

/// Appended to a rate-limited line: how many it stands for.
struct Times(u64);

impl std::fmt::Display for Times {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 | 1 => Ok(()),
            n => write!(f, " ({n} times since the last report)"),
        }
    }
}

/// Who is at the other end, for log lines.
struct Who(PeerCred);

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.pid {
            Some(p) => write!(f, "pid {p}")?,
            None => write!(f, "pid ?")?,
        }
        write!(f, " uid {} gid {}", self.0.uid, self.0.gid)
    }
}

pub(super) async fn accept_loop(listener: UnixListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(handle(stream, shared.clone()));
            }
            Err(e) => {
                // EMFILE and the like: say so, give the system a moment, carry on.
                if let Some(n) = shared.logs.accept.hit() {
                    log::warn!("ipc: accept failed: {e}{}", Times(n));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn handle(mut stream: UnixStream, shared: Arc<Shared>) {
    // Until the peer has passed the credential check it may cost no more than a
    // handshake: a place among a bounded number, a buffer of one handshake frame (a
    // header claiming more is refused unread), for the handshake deadline at most.
    let ticket = shared.admission.admit();
    let cred = match stream.peer_cred() {
        Ok(c) => PeerCred {
            pid: c.pid(),
            uid: c.uid(),
            gid: c.gid(),
        },
        Err(e) => {
            log::warn!("ipc: no peer credentials ({e}); closing");
            return;
        }
    };
    let who = Who(cred);
    let mut reader = FrameReader::handshake();
    let first = tokio::select! {
        _ = ticket.evicted() => {
            log::debug!("ipc: {who}: closed in its handshake to make room for a newer connection");
            return;
        }
        r = timeout(shared.config.handshake_timeout, reader.next(&mut stream)) => r,
    };
    let (header, payload) = match first {
        Ok(Ok(Some(f))) => f,
        Ok(Ok(None)) => return,
        Err(_) => {
            if let Some(n) = shared.logs.handshake.hit() {
                log::info!(
                    "ipc: {who}: no handshake within {:?}; closing{}",
                    shared.config.handshake_timeout,
                    Times(n)
                );
            }
            return;
        }
        Ok(Err(ReadError::Frame(FrameError::UnsupportedVersion(v)))) => {
            if let Some(n) = shared.logs.handshake.hit() {
                log::warn!(
                    "ipc: {who}: protocol version {v} (we speak {PROTOCOL_VERSION}); refused{}",
                    Times(n)
                );
            }
            refuse(&stream, ServiceId(0), status::VERSION, AisVersion::default()).await;
            return;
        }
        Ok(Err(e)) => {
            if let Some(n) = shared.logs.handshake.hit() {
                log::warn!("ipc: {who}: bad handshake frame: {e}; closing{}", Times(n));
            }
            return;
        }
    };
    match Handshake::decode(&header, &payload) {
        Ok(Handshake::Hello(h)) => request_socket(stream, reader, ticket, cred, h, shared).await,
        Ok(Handshake::Attach(a)) => dispatch_socket(stream, reader, ticket, cred, a, shared).await,
        Ok(other) => {
            if let Some(n) = shared.logs.handshake.hit() {
                log::warn!("ipc: {who}: opened with {:?}; closing{}", other, Times(n));
            }
        }
        Err(e) => {
            if let Some(n) = shared.logs.handshake.hit() {
                log::warn!("ipc: {who}: bad {:?} frame: {e}; closing{}", header.kind, Times(n));
            }
        }
    }
}

/// Best effort: a refused client may already be gone or not reading.
async fn refuse(s: &UnixStream, service: ServiceId, error: u32, version: AisVersion) {
    let f = Handshake::Refused(Refused {
        service,
        error,
        version,
    })
    .encode();
    let _ = timeout(Duration::from_secs(1), write_all(s, &f)).await;
}

async fn request_socket(
    stream: UnixStream,
    handshake: FrameReader,
    ticket: Ticket,
    cred: PeerCred,
    hello: Hello,
    shared: Arc<Shared>,
) {
    let who = Who(cred);
    let service = hello.service;
    if hello.protocol_version != u16::from(PROTOCOL_VERSION) {
        log::warn!(
            "ipc: {who}: asks for protocol {} (we speak {PROTOCOL_VERSION}); refused",
            hello.protocol_version
        );
        return refuse(&stream, service, status::VERSION, AisVersion::default()).await;
    }

    let access = &shared.config.access;
    let verdict = match access.quick(&cred) {
        Some(v) => v,
        None => {
            let policy = access.clone();
            tokio::task::spawn_blocking(move || policy.decide(&cred, &SystemUserDb))
                .await
                .unwrap_or(Err(super::access::Denied))
        }
    };
    if verdict.is_err() {
        if let Some(n) = shared.logs.refused.hit() {
            log::warn!(
                "ipc: refused {service} connection from {who}: not root, not in group {:?}, not in uidgid{}",
                access.group.as_deref().unwrap_or("(none)"),
                Times(n)
            );
        }
        return refuse(&stream, service, status::ACCESS, AisVersion::default()).await;
    }
    // Authorised: what it may cost from now on is bounded per connection.
    drop(ticket);

    let Some(ours) = shared.service_version(service) else {
        log::info!("ipc: {who}: {service} is not served here; refused");
        return refuse(&stream, service, status::NOT_SUPPORTED, AisVersion::default()).await;
    };
    if !AisVersion::accepts(ours, hello.version) {
        log::info!(
            "ipc: {who}: {service} version {} requested, {ours} served; refused",
            hello.version
        );
        return refuse(&stream, service, status::VERSION, ours).await;
    }

    let conn = ConnId(shared.next_conn.fetch_add(1, Ordering::Relaxed));
    let cookie = shared.cookie(conn);
    let (tx, rx) = oneshot::channel();
    shared.pending().insert(
        conn.0,
        PendingAttach {
            cookie,
            cred,
            service,
            tx,
        },
    );
    let welcome = Handshake::Welcome(Welcome {
        service,
        conn_id: conn.0,
        cookie,
        protocol_version: PROTOCOL_VERSION.into(),
        max_payload: shared.limits.max_payload(),
        version: ours,
    });
    let attached = async {
        write_all(&stream, &welcome.encode()).await.ok()?;
        timeout(shared.config.handshake_timeout, rx).await.ok()?.ok()
    };
    let Some(dispatch) = attached.await else {
        shared.pending().remove(&conn.0);
        log::info!("ipc: {conn} ({who}): dispatch socket not attached; closing");
        return;
    };
    if handshake.buffered() != 0 {
        log::warn!("ipc: {conn} ({who}): sent requests before its handshake completed; closing");
        return;
    }
    drop(handshake);
    let mut reader = FrameReader::new(shared.limits);

    let (mut req_r, req_w) = stream.into_split();
    let (disp_r, disp_w) = dispatch.into_split();
    let state = Arc::new(ConnState::new(conn, service));
    let (rtx, rrx) = mpsc::unbounded_channel();
    let (ctx, crx) = mpsc::unbounded_channel();
    let max = shared.limits.max_payload();
    let outbox = |tx, limit| Arc::new(Outbox::new(tx, limit, max, state.clone(), shared.totals.clone()));
    let responses = outbox(rtx, shared.config.response_queue_bytes);
    let callbacks = outbox(ctx, shared.config.callback_queue_bytes);
    let writers = [
        tokio::spawn(writer(req_w, rrx, responses.clone())),
        tokio::spawn(writer(disp_w, crx, callbacks.clone())),
    ];
    let client = Client {
        inner: Arc::new(ClientInner {
            cred,
            version: hello.version,
            callbacks: callbacks.clone(),
            responses: responses.clone(),
            conn: state.clone(),
        }),
    };

    let reason = if shared.events.send(Event::Connected(client)).await.is_err() {
        "the executive is shutting down".to_string()
    } else {
        log::debug!("ipc: {conn} ({who}) opened {service} {}", hello.version);
        let window = Arc::new(Semaphore::new(shared.config.window.max(1)));
        serve_requests(&mut req_r, &disp_r, &mut reader, &state, &window, &responses, &shared).await
    };

    state.closing.store(true, Ordering::Relaxed);
    for w in writers {
        w.abort();
    }
    // The writers' queues go with them: the memory comes back now, and the totals say so.
    responses.discard();
    callbacks.discard();
    drop(reader);
    shared.activity.bump();
    let _ = shared.events.send(Event::Disconnected { conn, service }).await;
    log::debug!("ipc: {conn} ({who}) {service}: {reason}");
}

/// Reads requests until the client goes away; returns why it ended.
async fn serve_requests(
    req: &mut OwnedReadHalf,
    disp: &OwnedReadHalf,
    reader: &mut FrameReader,
    state: &ConnState,
    window: &Arc<Semaphore>,
    responses: &Arc<Outbox>,
    shared: &Shared,
) -> String {
    let (conn, service, close) = (state.id, state.service, &state.close);
    let config = &shared.config;
    // Payload bytes of NO_REPLY requests read, held against the credits granted.
    let mut posted: u64 = 0;
    loop {
        // Back-pressure: a client that does not read its responses gets no more read
        // from it; one that stays so gets disconnected.
        while responses.queued.load(Ordering::Relaxed) >= config.response_pause_bytes {
            tokio::select! {
                _ = close.notified() => return "closed by the executive".into(),
                r = closed(disp) => return r.into(),
                p = timeout(config.response_stall, responses.progress.notified()) => if p.is_err() {
                    let (queued, _) = responses.backlog();
                    if state.close() {
                        log::warn!(
                            "ipc: {conn} ({service}) has not read its responses for {:?} ({} KiB waiting); disconnecting",
                            config.response_stall,
                            queued >> 10
                        );
                    }
                    return "responses not read".into();
                },
            }
        }
        // The dispatch socket is watched in both waits, so a client that dies while its
        // window is full (say, requests parked on a lock) is still noticed at once.
        let permit = tokio::select! {
            _ = close.notified() => return "closed by the executive".into(),
            r = closed(disp) => return r.into(),
            p = window.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return "window closed".into(),
            },
        };
        let frame = tokio::select! {
            _ = close.notified() => return "closed by the executive".into(),
            r = closed(disp) => return r.into(),
            f = reader.next(req) => f,
        };
        let (h, payload) = match frame {
            Ok(Some(f)) => f,
            Ok(None) => return "closed".into(),
            Err(e) => {
                log::warn!("ipc: {conn} ({service}): bad frame: {e}; disconnecting");
                return format!("protocol error: {e}");
            }
        };
        if h.kind != Kind::Request || h.service != service || h.flags & !REQUEST_FLAGS != 0 {
            log::warn!(
                "ipc: {conn} ({service}): unexpected {:?} frame for {} (flags {:#x}); disconnecting",
                h.kind,
                h.service,
                h.flags
            );
            return "protocol error".into();
        }
        shared.activity.bump();
        let no_reply = h.flags & ais_proto::flags::NO_REPLY != 0;
        if no_reply {
            // The credit window is the executive's to enforce: a client past it is
            // disconnected here, before anything it sent past it reaches a service.
            posted += payload.len() as u64;
            let credited = state.credited.load(Ordering::Relaxed);
            if posted.saturating_sub(credited) > config.credit_window {
                if state.close() {
                    log::warn!(
                        "ipc: {conn} ({service}) sent {} bytes past its credit window of {} bytes; disconnecting",
                        posted - credited - config.credit_window,
                        config.credit_window
                    );
                }
                return "past its credit window".into();
            }
        }
        let responder = Responder {
            conn,
            service,
            msg: h.msg,
            request_id: h.request_id,
            no_reply,
            out: responses.clone(),
            permit: Some(permit),
            answered: false,
        };
        let request = Request {
            conn,
            service,
            msg: h.msg,
            flags: h.flags,
            payload,
            responder,
        };
        if shared.events.send(Event::Request(request)).await.is_err() {
            return "the executive is shutting down".into();
        }
    }
}

/// Writes what the outbox receives, many frames per system call when they queue up.
async fn writer(s: OwnedWriteHalf, mut rx: mpsc::UnboundedReceiver<Outgoing>, outbox: Arc<Outbox>) {
    const BATCH: usize = 64;
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let n: usize = batch.iter().map(Outgoing::len).sum();
        if let Err(e) = write_batch(&s, &batch).await {
            log::debug!("ipc: {}: write failed: {e}", outbox.conn.id);
            outbox.conn.close();
            return;
        }
        outbox.written(n);
        // Dropping the frames frees their window permits.
        batch.clear();
    }
}

async fn dispatch_socket(
    stream: UnixStream,
    reader: FrameReader,
    ticket: Ticket,
    cred: PeerCred,
    attach: Attach,
    shared: Arc<Shared>,
) {
    let who = Who(cred);
    // Checked before removal, so a wrong guess cannot cancel somebody else's handshake.
    let entry = {
        let mut pending = shared.pending();
        match pending.get(&attach.conn_id) {
            Some(p) if p.cookie == attach.cookie && p.cred == cred && p.service == attach.service => {
                pending.remove(&attach.conn_id)
            }
            _ => None,
        }
    };
    let Some(entry) = entry else {
        if let Some(n) = shared.logs.refused.hit() {
            log::warn!(
                "ipc: {who}: dispatch socket for conn {} with a wrong cookie or credentials; refused{}",
                attach.conn_id,
                Times(n)
            );
        }
        return refuse(&stream, attach.service, status::ACCESS, AisVersion::default()).await;
    };
    drop(ticket);
    if reader.buffered() != 0 {
        log::warn!("ipc: {who}: sent data after Attach; closing");
        return;
    }
    let ok = Handshake::Attached(Attached {
        service: attach.service,
    })
    .encode();
    if write_all(&stream, &ok).await.is_ok() {
        // The request socket's task takes it from here; if it gave up meanwhile, the
        // stream drops and closes.
        let _ = entry.tx.send(stream);
    }
}
