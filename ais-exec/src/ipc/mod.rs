//! The IPC server: where the client libraries reach the executive.
//!
//! [`serve`] binds the socket (`AIS_IPC_SOCKET`, `@ais` by default) and runs one task per
//! connection on the current tokio runtime. Those tasks own sockets only; the services'
//! state belongs to the daemon's single ordering task (ARCHITECTURE.md, principle 2), which
//! receives every [`Event`] from one `mpsc` channel, in order per connection:
//!
//! ```text
//! Connected(Client)          once both sockets of a handle are up
//! Request(Request) ...       each with a Responder that answers on the request socket
//! Disconnected{conn, ..}     at once when the client closes or dies (socket EOF)
//! ```
//!
//! and answers without blocking: [`Responder::respond`] and [`Client::callback`] queue a
//! frame for the connection's writer task and return.
//!
//! Wiring it into the daemon (inside its tokio runtime):
//!
//! ```no_run
//! # async fn f(settings: ais_exec::config::Settings) -> std::io::Result<()> {
//! use ais_exec::ipc::{self, AccessPolicy, IpcConfig, SocketName};
//! // The services' ids and versions; their router takes the events.
//! let versions = vec![(ais_exec::ipc::ServiceId::CLM, ais_exec::ipc::AisVersion::new(b'B', 1, 1))];
//! let access = AccessPolicy::from_config(&settings.aisexec.group, &settings.uidgid)
//!     .map_err(std::io::Error::other)?;
//! let socket = SocketName::from_env().map_err(std::io::Error::other)?;
//! let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
//! let _server = ipc::serve(IpcConfig::new(socket, access, versions), tx)?;
//! loop {
//!     tokio::select! {
//!         Some(ev) = rx.recv() => { /* router.on_request(.., ev) */ let _ = ev; }
//!         // ... totem input, timers, signals ...
//!     }
//! }
//! # }
//! ```
//!
//! Frames and the handshake are `ais-proto`'s. Access control: [`access`].
//!
//! Client limits (aisexec(8), CLIENT LIMITS). The socket is abstract, so any local
//! account can connect, and a permitted client can be broken or hostile; nothing it
//! sends or fails to read is held without a bound, and a client past one is disconnected
//! (logged once) while the others carry on:
//!
//! - Before the credential check a connection costs a handshake: its first frame is read
//!   under [`ais_proto::Limits::handshake`] (a header claiming more is refused unread), at
//!   most [`IpcConfig::handshake_connections`] are in their handshake at once (a new one
//!   closes the oldest), for [`IpcConfig::handshake_timeout`]; their log lines are
//!   rate-limited (`admission`).
//! - At most [`IpcConfig::window`] requests per connection between "read" and "response
//!   written". While [`IpcConfig::response_pause_bytes`] of responses wait to be written,
//!   its requests are not read; past [`IpcConfig::response_queue_bytes`], or paused for
//!   [`IpcConfig::response_stall`], it is disconnected.
//! - At most [`IpcConfig::callback_queue_bytes`] of callbacks not yet written
//!   ([`Client::callback`] then says [`CallbackError::Full`] and the service decides).
//! - [`IpcConfig::total_queue_bytes`] for responses and callbacks of all connections
//!   together: past it, a connection that already has some waiting is refused more.
//! - `NO_REPLY` requests are held to the credit window ([`ais_proto::credit`],
//!   [`IpcConfig::credit_window`]) counted from [`Client::credit`]: a client that sends
//!   past it is disconnected before the request reaches its service.
//!
//! What a connection held is freed when it goes, and the allocator is made to give it
//! back to the system (`release`).

pub mod access;
mod admission;
mod conn;
pub mod echo;
mod io;
mod release;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit};
use tokio::task::JoinHandle;

pub use access::{AccessPolicy, Allowed, Denied, PeerCred};
pub use ais_proto::{AisVersion, ServiceId, SocketName};

use ais_proto::{flags, status, Header, Kind, HEADER_LEN};

/// What [`serve`] needs.
#[derive(Clone, Debug)]
pub struct IpcConfig {
    pub socket: SocketName,
    pub access: AccessPolicy,
    /// The services clients may open, with the AIS version each supports (0.0.0 for CPG,
    /// EVS, CFG). A `Hello` for any other is refused with `SA_AIS_ERR_NOT_SUPPORTED`.
    pub services: Vec<(ServiceId, AisVersion)>,
    /// Largest payload accepted or sent (clamped to [`ais_proto::HARD_MAX_PAYLOAD`]).
    pub max_payload: u32,
    /// Requests per connection between being read and their response being written.
    pub window: usize,
    /// Bytes of callbacks per connection queued but not yet written.
    pub callback_queue_bytes: usize,
    /// How long a client has to complete each half of the handshake.
    pub handshake_timeout: Duration,
    /// Connections at once that have not yet passed the credential check; a new one
    /// beyond that closes the oldest (aisexec(8), CLIENT LIMITS).
    pub handshake_connections: usize,
    /// Bytes of responses per connection not yet written at which the server stops
    /// reading that connection's requests (back-pressure).
    pub response_pause_bytes: usize,
    /// Bytes of responses per connection not yet written past which it is disconnected.
    pub response_queue_bytes: usize,
    /// How long a connection may stay paused with no response written before it is
    /// disconnected.
    pub response_stall: Duration,
    /// Bytes of responses and callbacks of all connections together not yet written;
    /// past it, a connection that already has some waiting is disconnected.
    pub total_queue_bytes: usize,
    /// Payload bytes of `NO_REPLY` requests a connection may have sent beyond its last
    /// credit ([`ais_proto::credit::WINDOW`]); one that sends more is disconnected.
    pub credit_window: u64,
}

impl IpcConfig {
    /// A configuration with the default limits (aisexec(8), CLIENT LIMITS).
    pub fn new(socket: SocketName, access: AccessPolicy, services: Vec<(ServiceId, AisVersion)>) -> IpcConfig {
        IpcConfig {
            socket,
            access,
            services,
            max_payload: ais_proto::DEFAULT_MAX_PAYLOAD,
            window: 256,
            // The last resort against a client that stopped reading: flow control
            // (services::flow) holds senders back at 4 MiB of unread callbacks, and
            // a reader's backlog can only pass that by what was credited before
            // (8 MiB per local sender), the core's queue and remote senders.
            callback_queue_bytes: 256 << 20,
            handshake_timeout: Duration::from_secs(5),
            // A handshake takes well under a millisecond: 64 at once is a burst of
            // programs starting, not a queue.
            handshake_connections: 64,
            // A library call waits for its response, so a client has at most one per
            // thread waiting (1 MiB at most each); only a client that pipelines
            // requests and does not read comes near these.
            response_pause_bytes: 2 << 20,
            response_queue_bytes: 8 << 20,
            response_stall: Duration::from_secs(10),
            total_queue_bytes: 128 << 20,
            credit_window: ais_proto::credit::WINDOW,
        }
    }
}

/// A connection (one library handle), unique for the executive's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn {}", self.0)
    }
}

/// What the IPC server tells the ordering task.
#[derive(Debug)]
pub enum Event {
    /// A handle was opened; keep the [`Client`] to send it callbacks.
    Connected(Client),
    /// A request; answer through its [`Responder`] (now or later, e.g. once ordered).
    Request(Request),
    /// The client closed the handle or died: drop its resources.
    Disconnected { conn: ConnId, service: ServiceId },
}

/// One request frame.
#[derive(Debug)]
pub struct Request {
    pub conn: ConnId,
    pub service: ServiceId,
    /// The operation (service-defined).
    pub msg: u16,
    /// Header flags ([`ais_proto::flags`]).
    pub flags: u16,
    pub payload: Bytes,
    pub responder: Responder,
}

/// The way back to the client for one request.
///
/// Dropping it without [`respond`](Responder::respond) answers `SA_AIS_ERR_LIBRARY` (and
/// logs it), so a service bug cannot leave a client waiting forever. A request sent with
/// `NO_REPLY` gets no response either way.
pub struct Responder {
    conn: ConnId,
    service: ServiceId,
    msg: u16,
    request_id: u32,
    no_reply: bool,
    out: Arc<Outbox>,
    // The request's slot in the connection's window, freed once the response is written.
    permit: Option<OwnedSemaphorePermit>,
    answered: bool,
}

impl Responder {
    pub fn conn(&self) -> ConnId {
        self.conn
    }

    /// Whether the client waits for a response (the request had no `NO_REPLY` flag).
    pub fn expects_reply(&self) -> bool {
        !self.no_reply
    }

    /// Answers with `status` (an `SaAisErrorT`) and `payload`, echoing the request's `msg`.
    pub fn respond(mut self, status: u32, payload: impl Into<Bytes>) {
        self.answered = true;
        self.send(status, payload.into());
    }

    fn send(&mut self, status: u32, payload: Bytes) {
        if self.no_reply {
            return;
        }
        let header = Header {
            msg: self.msg,
            request_id: self.request_id,
            status,
            ..Header::new(Kind::Response, self.service)
        };
        // A closed connection has nobody to answer.
        if self.out.push(header, payload, self.permit.take(), true) == Err(CallbackError::Full) {
            let (queued, total) = self.out.backlog();
            if self.out.conn.close() {
                log::warn!(
                    "ipc: {} ({}) does not read its responses ({} KiB waiting, {} KiB for all clients); disconnecting",
                    self.conn,
                    self.service,
                    queued >> 10,
                    total >> 10
                );
            }
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        // A connection that is gone has nobody to answer (services drop such requests on
        // `Disconnected`); only a live one is worth the warning.
        if !self.answered && !self.no_reply && !self.out.conn.is_closing() {
            log::warn!(
                "ipc: {} ({}) request {} (msg {}) dropped unanswered; answering SA_AIS_ERR_LIBRARY",
                self.conn,
                self.service,
                self.request_id,
                self.msg
            );
            self.send(status::LIBRARY, Bytes::new());
        }
    }
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("conn", &self.conn)
            .field("request_id", &self.request_id)
            .field("no_reply", &self.no_reply)
            .finish()
    }
}

/// The ordering task's handle on a connection: its identity, and its dispatch socket.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    cred: PeerCred,
    version: AisVersion,
    callbacks: Arc<Outbox>,
    responses: Arc<Outbox>,
    conn: Arc<ConnState>,
}

/// Why a callback was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackError {
    /// The client is not reading its dispatch socket and its queue is at its limit (or
    /// all clients' together are at theirs). The service decides; once it calls
    /// [`Client::disconnect`], later callbacks say [`Closed`](CallbackError::Closed), so
    /// it has one `Full` to log.
    Full,
    /// The connection is gone or going (its `Disconnected` is on the way, or already
    /// delivered).
    Closed,
}

impl Client {
    pub fn conn(&self) -> ConnId {
        self.inner.conn.id
    }

    pub fn service(&self) -> ServiceId {
        self.inner.conn.service
    }

    /// The peer's credentials (SO_PEERCRED at connect time).
    pub fn cred(&self) -> PeerCred {
        self.inner.cred
    }

    /// The AIS version the client asked for in its `Hello`.
    pub fn version(&self) -> AisVersion {
        self.inner.version
    }

    /// Queues a callback frame on the dispatch socket; `status` is the `SaAisErrorT` the
    /// callback reports (e.g. the `error` of `saClmClusterNodeGetCallback`), `OK` if none.
    pub fn callback(&self, msg: u16, status: u32, payload: impl Into<Bytes>) -> Result<(), CallbackError> {
        let header = Header {
            msg,
            status,
            ..Header::new(Kind::Callback, self.inner.conn.service)
        };
        self.inner.callbacks.push(header, payload.into(), None, true)
    }

    /// Credits the client with `total` payload bytes of `NO_REPLY` requests taken so far
    /// ([`ais_proto::credit`]), on both its sockets. The connection holds the client to
    /// it: one that sends more than [`IpcConfig::credit_window`] beyond its last credit
    /// is disconnected.
    pub fn credit(&self, total: u64) {
        // Before the frames go out, so the client cannot act on a credit not yet counted.
        self.inner.conn.credited.fetch_max(total, Ordering::Relaxed);
        let payload = Bytes::copy_from_slice(&total.to_le_bytes());
        let h = |kind| Header {
            msg: ais_proto::credit::MSG,
            ..Header::new(kind, self.inner.conn.service)
        };
        // Never refused for size: a credit is what lets a backed-up client go on.
        let _ = self
            .inner
            .responses
            .push(h(Kind::Response), payload.clone(), None, false);
        let _ = self.inner.callbacks.push(h(Kind::Callback), payload, None, false);
    }

    /// Bytes of callbacks queued and not yet written to the client; 0 once the connection
    /// is closing (they will never be written).
    pub fn callback_backlog(&self) -> usize {
        if self.inner.conn.is_closing() {
            return 0;
        }
        self.inner.callbacks.queued.load(Ordering::Relaxed)
    }

    /// Closes the connection (e.g. a client that does not drain its callbacks); the usual
    /// `Disconnected` follows. From now on callbacks say [`CallbackError::Closed`].
    pub fn disconnect(&self) {
        self.inner.conn.close();
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("conn", &self.inner.conn.id)
            .field("service", &self.inner.conn.service)
            .field("cred", &self.inner.cred)
            .finish()
    }
}

/// What a connection's tasks and its [`Client`] share.
pub(crate) struct ConnState {
    id: ConnId,
    service: ServiceId,
    closing: AtomicBool,
    close: Notify,
    /// The last credit granted ([`Client::credit`]).
    credited: AtomicU64,
}

impl ConnState {
    fn new(id: ConnId, service: ServiceId) -> ConnState {
        ConnState {
            id,
            service,
            closing: AtomicBool::new(false),
            close: Notify::new(),
            credited: AtomicU64::new(0),
        }
    }

    fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Closes the connection; `true` for the first to ask (who logs why, so that it is
    /// said once).
    fn close(&self) -> bool {
        let first = !self.closing.swap(true, Ordering::Relaxed);
        self.close.notify_one();
        first
    }
}

/// Bytes queued for all connections together, and their bound.
pub(crate) struct Totals {
    queued: AtomicUsize,
    limit: usize,
}

impl Totals {
    fn new(limit: usize) -> Totals {
        Totals {
            queued: AtomicUsize::new(0),
            limit,
        }
    }
}

/// A frame on its way to a socket.
pub(crate) struct Outgoing {
    header: [u8; HEADER_LEN],
    payload: Bytes,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Outgoing {
    fn len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }
}

/// The queue in front of one socket's writer task, with its byte count.
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: AtomicUsize,
    limit: usize,
    max_payload: u32,
    conn: Arc<ConnState>,
    totals: Arc<Totals>,
    /// Notified when frames were written (a paused reader waits for it).
    progress: Notify,
}

impl Outbox {
    fn new(
        tx: mpsc::UnboundedSender<Outgoing>,
        limit: usize,
        max_payload: u32,
        conn: Arc<ConnState>,
        totals: Arc<Totals>,
    ) -> Outbox {
        Outbox {
            tx,
            queued: AtomicUsize::new(0),
            limit,
            max_payload,
            conn,
            totals,
            progress: Notify::new(),
        }
    }

    /// Queues a frame; with `enforce_limit`, refuses it (`Full`) when this socket's queue,
    /// or all connections' together, would pass its bound, unless this socket has nothing
    /// waiting (so one frame always goes, whatever its size).
    fn push(
        &self,
        mut header: Header,
        mut payload: Bytes,
        permit: Option<OwnedSemaphorePermit>,
        enforce_limit: bool,
    ) -> Result<(), CallbackError> {
        if self.conn.is_closing() {
            return Err(CallbackError::Closed);
        }
        if payload.len() > self.max_payload as usize {
            // The client would reject the frame and lose the stream; answer an error
            // instead of a response it cannot take, and drop such a callback.
            log::error!(
                "ipc: {}-byte {:?} frame exceeds the {}-byte limit; not sent",
                payload.len(),
                header.kind,
                self.max_payload
            );
            if header.kind != Kind::Response {
                return Err(CallbackError::Full);
            }
            header.status = status::NO_RESOURCES;
            payload = Bytes::new();
        }
        header.len = payload.len() as u32;
        let frame = Outgoing {
            header: header.encode(),
            payload,
            _permit: permit,
        };
        let n = frame.len();
        let before = self.queued.fetch_add(n, Ordering::Relaxed);
        let all_before = self.totals.queued.fetch_add(n, Ordering::Relaxed);
        let over = before + n > self.limit || all_before + n > self.totals.limit;
        if enforce_limit && over && before > 0 {
            self.unqueue(n);
            return Err(CallbackError::Full);
        }
        self.tx.send(frame).map_err(|_| {
            self.unqueue(n);
            CallbackError::Closed
        })
    }

    /// Takes up to `n` bytes off the counts, never below zero: bytes that the
    /// connection's end discarded are not also counted as written.
    fn unqueue(&self, n: usize) {
        let taken = match self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| Some(q - q.min(n)))
        {
            Ok(q) | Err(q) => q.min(n),
        };
        self.totals.queued.fetch_sub(taken, Ordering::Relaxed);
    }

    fn written(&self, n: usize) {
        self.unqueue(n);
        self.progress.notify_one();
    }

    /// The connection ended: what is still queued will never be written (its frames go
    /// with the writer task).
    fn discard(&self) {
        self.unqueue(usize::MAX);
    }

    /// This socket's bytes waiting, and all connections' together.
    fn backlog(&self) -> (usize, usize) {
        (
            self.queued.load(Ordering::Relaxed),
            self.totals.queued.load(Ordering::Relaxed),
        )
    }
}

/// The running server; dropping it (or [`shutdown`](IpcServer::shutdown)) stops accepting
/// and removes a filesystem socket. Open connections carry on until they close.
pub struct IpcServer {
    socket: SocketName,
    accept: JoinHandle<()>,
    release: JoinHandle<()>,
    path: Option<PathBuf>,
}

impl IpcServer {
    /// Where it listens.
    pub fn socket(&self) -> &SocketName {
        &self.socket
    }

    pub fn shutdown(self) {}
}

impl Drop for IpcServer {
    fn drop(&mut self) {
        self.accept.abort();
        self.release.abort();
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Binds `config.socket` and starts accepting on the current tokio runtime; every
/// [`Event`] goes to `events`. Must be called from within a runtime (an error otherwise).
///
/// A filesystem socket left over by a dead executive is removed first; one that another
/// executive still answers on is an `AddrInUse` error, and so is an abstract name in use.
pub fn serve(config: IpcConfig, events: mpsc::Sender<Event>) -> std::io::Result<IpcServer> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(std::io::Error::other("ipc::serve called outside a tokio runtime"));
    }
    let (listener, path) = io::bind(&config.socket)?;
    let socket = config.socket.clone();
    log::info!("ipc: listening on {socket}");
    let shared = Arc::new(conn::Shared {
        limits: ais_proto::Limits::new(config.max_payload),
        admission: Arc::new(admission::Admission::new(config.handshake_connections)),
        totals: Arc::new(Totals::new(config.total_queue_bytes)),
        logs: conn::Logs::default(),
        activity: Arc::default(),
        config,
        events,
        next_conn: AtomicU64::new(1),
        pending: Mutex::new(Default::default()),
        cookie_key: std::collections::hash_map::RandomState::new(),
    });
    let release = tokio::spawn(release::release_loop(shared.activity.clone()));
    let accept = tokio::spawn(conn::accept_loop(listener, shared));
    Ok(IpcServer {
        socket,
        accept,
        release,
        path,
    })
}

/// `flags` a request may carry; the server rejects others before they reach a service.
pub(crate) const REQUEST_FLAGS: u16 = flags::NO_REPLY;
