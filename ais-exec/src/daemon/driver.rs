//! The ordering task: the one place on a node where the Totem instance and
//! the services live (ARCHITECTURE.md, principle 2).
//!
//! It selects over the network, the core's next timer, submissions and
//! requests from local tasks, and the shutdown signal. After every call into
//! the core it drains [`Totem::poll_output`] in order: ring sequence numbers
//! to the store (off the runtime thread, awaited before the next output),
//! datagrams to the transport, deliveries and configuration changes, in
//! agreed order, first to the [`ServiceHost`] (synchronously, on this task)
//! and then to subscribers.
//!
//! Runtime: the executive runs on a current_thread tokio runtime. All the
//! work that must be ordered happens on this task anyway; a second worker
//! thread would only add cross-thread wake-ups to every datagram and
//! delivery, which is the latency that matters (REFERENCE.md's corosync
//! figure is 37 µs for ordered self-delivery on two vCPUs). I/O tasks (IPC
//! connections) are cheap to run beside it on the same thread; if their
//! framing ever shows up as the bottleneck the runtime can become a small
//! multi-thread one without changing this module, since everything here is
//! `Send`.

use std::convert::Infallible;
use std::sync::Arc;

use ais_totem::{
    ConfChange, ConfKind, Delivery, GatherReason, Guarantee, NodeId, Output, RingId, State, Stats, Time, Totem,
    MAX_MESSAGE_SIZE,
};
use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;

use super::conflog;
use super::ringseq::RingSeqStore;
use super::transport::Transport;
use super::wakeup::Wakeup;

/// Submissions queued between local tasks and the ordering task. Each may be
/// up to 1 MiB, so this bounds the memory as much as the count; beyond it
/// `try_submit` answers `TryAgain` and `submit` waits.
pub const SUBMIT_QUEUE: usize = 256;
/// Requests to the service host queued before senders wait.
pub const REQUEST_QUEUE: usize = 1024;
/// Events a subscriber may fall behind by before it sees `Lagged`.
pub const EVENT_QUEUE: usize = 4096;

/// The core's clock: nanoseconds since the driver started, on tokio's
/// monotonic clock (which tests may pause).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    pub fn new() -> Clock {
        Clock { start: Instant::now() }
    }

    pub fn now(&self) -> Time {
        // u64 nanoseconds last 584 years.
        self.start.elapsed().as_nanos() as Time
    }

    /// The instant a core time stands for.
    pub fn instant(&self, t: Time) -> Instant {
        self.start + std::time::Duration::from_nanos(t)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// What the ordering task hands on, in agreed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterEvent {
    Deliver(Delivery),
    ConfChange(ConfChange),
}

/// The installed ring, as local tasks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub local: NodeId,
    pub ring_id: RingId,
    /// Sorted.
    pub members: Vec<NodeId>,
    /// False until the first regular configuration is installed.
    pub installed: bool,
}

/// Why a submission was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// Larger than [`MAX_MESSAGE_SIZE`]: it never will be.
    TooLarge,
    /// The queues are full: `SA_AIS_ERR_TRY_AGAIN`.
    TryAgain,
    /// The executive is shutting down.
    Stopped,
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SubmitError::TooLarge => "message larger than 1 MiB",
            SubmitError::TryAgain => "queue full, try again",
            SubmitError::Stopped => "the executive is stopping",
        })
    }
}

impl std::error::Error for SubmitError {}

impl From<ais_totem::SubmitError> for SubmitError {
    fn from(e: ais_totem::SubmitError) -> Self {
        match e {
            ais_totem::SubmitError::TooLarge => SubmitError::TooLarge,
            ais_totem::SubmitError::QueueFull => SubmitError::TryAgain,
        }
    }
}

/// A snapshot for tools (`ais-cfgtool`) and tests.
#[derive(Debug, Clone)]
pub struct Status {
    pub node_id: NodeId,
    pub state: State,
    pub ring_id: RingId,
    pub members: Vec<NodeId>,
    pub stats: Stats,
    /// Submitted messages the core has not sent yet.
    pub queued: usize,
    /// Times a submission had to wait for room in the core's send queue.
    pub submissions_parked: u64,
    /// The core's one-line description of itself.
    pub describe: String,
}

/// What services see of the ordering task while it calls them.
pub struct HostCtx<'a> {
    totem: &'a mut Totem,
    now: Time,
    membership: &'a Membership,
    dropped: super::codec::Dropped,
}

impl HostCtx<'_> {
    /// Submits a cluster message. Called from inside an event it is ordered
    /// after everything already submitted; `TryAgain` when the core's queue
    /// is full.
    pub fn submit(&mut self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        // The driver flushes after each batch of events, so a batch of
        // submissions shares token visits and frames.
        self.totem.submit_later(self.now, data, guarantee).map_err(Into::into)
    }

    pub fn node_id(&self) -> NodeId {
        self.totem.node_id()
    }

    /// The installed ring (as of the last regular configuration delivered).
    pub fn membership(&self) -> &Membership {
        self.membership
    }

    /// The core's clock, in nanoseconds since the driver started.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The protocol instance, read-only: its state, ring and counters (for
    /// the configuration service and its tools).
    pub fn totem(&self) -> &Totem {
        self.totem
    }

    /// Datagrams the security codec dropped (bad digest, replay).
    pub fn security_dropped(&self) -> super::codec::Dropped {
        self.dropped
    }
}

/// The services, as the ordering task drives them. Both calls run on the
/// ordering task, one at a time, so a service's state needs no lock; they
/// must not block.
pub trait ServiceHost: Send + 'static {
    /// What local tasks (IPC connections) send to the services.
    type Request: Send + 'static;
    /// A delivery or configuration change, in agreed order.
    fn on_event(&mut self, ctx: &mut HostCtx<'_>, event: &ClusterEvent);
    /// A request from a local task.
    fn on_request(&mut self, ctx: &mut HostCtx<'_>, request: Self::Request);
    /// Whether the host takes requests now. Called before each wait; a host
    /// that says no is asked again at least every millisecond (it may be
    /// waiting for room in the core's queue or for clients to read their
    /// callbacks), and meanwhile requests wait in the IPC sockets, where the
    /// clients see the back-pressure.
    fn ready(&mut self, _ctx: &mut HostCtx<'_>) -> bool {
        true
    }
    /// Whether the host wants `ready` called again within a millisecond even when
    /// nothing happens (it is holding something back that may clear on its own).
    fn recheck_soon(&self) -> bool {
        false
    }
    /// When the host next has something to do on its own (a service timer),
    /// on the core's clock: `ready` is called again by then.
    fn wake_at(&self, _now: Time) -> Option<Time> {
        None
    }
}

/// No services: the bare ring (what `aisexec` runs until services exist).
#[derive(Debug, Default)]
pub struct NoServices;

impl ServiceHost for NoServices {
    type Request = Infallible;
    fn on_event(&mut self, _: &mut HostCtx<'_>, _: &ClusterEvent) {}
    fn on_request(&mut self, _: &mut HostCtx<'_>, request: Infallible) {
        match request {}
    }
}

/// Requests run back to back before the core gets to send.
const REQUEST_BATCH: usize = 256;

struct Submit {
    data: Bytes,
    guarantee: Guarantee,
}

enum Control {
    Status(oneshot::Sender<Status>),
}

/// What local tasks hold to talk to the ordering task. Cheap to clone.
pub struct DaemonHandle<R> {
    node_id: NodeId,
    submits: mpsc::Sender<Submit>,
    requests: mpsc::Sender<R>,
    control: mpsc::Sender<Control>,
    events: broadcast::Sender<ClusterEvent>,
    membership: watch::Receiver<Membership>,
    shutdown: Arc<watch::Sender<bool>>,
}

impl<R> Clone for DaemonHandle<R> {
    fn clone(&self) -> Self {
        DaemonHandle {
            node_id: self.node_id,
            submits: self.submits.clone(),
            requests: self.requests.clone(),
            control: self.control.clone(),
            events: self.events.clone(),
            membership: self.membership.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

impl<R: Send + 'static> DaemonHandle<R> {
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// Queues a cluster message, waiting while the queues are full. `Ok`
    /// means it is queued for ordering; its delivery comes as an event.
    /// Messages from one handle are ordered in the order submitted.
    pub async fn submit(&self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        if data.len() > MAX_MESSAGE_SIZE {
            return Err(SubmitError::TooLarge);
        }
        self.submits
            .send(Submit { data, guarantee })
            .await
            .map_err(|_| SubmitError::Stopped)
    }

    /// Queues a cluster message or answers `TryAgain` at once: the call for
    /// library functions that only report "accepted".
    pub fn try_submit(&self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        if data.len() > MAX_MESSAGE_SIZE {
            return Err(SubmitError::TooLarge);
        }
        self.submits.try_send(Submit { data, guarantee }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SubmitError::TryAgain,
            mpsc::error::TrySendError::Closed(_) => SubmitError::Stopped,
        })
    }

    /// Hands a request to the service host (on the ordering task).
    /// Requests from all senders are handled in the order they were queued.
    pub async fn request(&self, request: R) -> Result<(), SubmitError> {
        self.requests.send(request).await.map_err(|_| SubmitError::Stopped)
    }

    /// Like [`DaemonHandle::request`], or `TryAgain` when the queue is full.
    pub fn try_request(&self, request: R) -> Result<(), SubmitError> {
        self.requests.try_send(request).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SubmitError::TryAgain,
            mpsc::error::TrySendError::Closed(_) => SubmitError::Stopped,
        })
    }

    /// The sender the ordering task reads requests from, for a producer
    /// that wants a plain `mpsc::Sender` (the IPC server's event channel).
    pub fn request_sender(&self) -> mpsc::Sender<R> {
        self.requests.clone()
    }

    /// Every delivery and configuration change from now on, in order. A
    /// subscriber that falls [`EVENT_QUEUE`] events behind gets `Lagged`
    /// and has lost events: what must see every event is a [`ServiceHost`].
    pub fn subscribe(&self) -> broadcast::Receiver<ClusterEvent> {
        self.events.subscribe()
    }

    /// The installed ring now.
    pub fn membership(&self) -> Membership {
        self.membership.borrow().clone()
    }

    /// The installed ring, with change notification.
    pub fn watch_membership(&self) -> watch::Receiver<Membership> {
        self.membership.clone()
    }

    /// The core's state, or None once the driver has stopped.
    pub async fn status(&self) -> Option<Status> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::Status(tx)).await.ok()?;
        rx.await.ok()
    }

    /// Asks the driver to leave the ring and stop (SIGTERM does this).
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

/// The ordering task. Create it with [`Driver::new`], run it with
/// [`Driver::run`].
pub struct Driver<H: ServiceHost> {
    totem: Totem,
    transport: Transport,
    host: H,
    clock: Clock,
    /// Where the ring sequence numbers the core asks for are stored; out of
    /// the driver only while a save runs on the blocking pool.
    store: Option<Box<dyn RingSeqStore>>,
    submits: mpsc::Receiver<Submit>,
    requests: mpsc::Receiver<H::Request>,
    control: mpsc::Receiver<Control>,
    shutdown: watch::Receiver<bool>,
    // Kept so the shutdown channel never closes while the driver runs.
    _shutdown_tx: Arc<watch::Sender<bool>>,
    events: broadcast::Sender<ClusterEvent>,
    membership_tx: watch::Sender<Membership>,
    membership: Membership,
    /// A submission the core refused as full: retried after every call
    /// into the core, and while it waits no other submission is read, so
    /// back-pressure reaches `try_submit` as `TryAgain`.
    parked: Option<Submit>,
    parked_count: u64,
    last_state: State,
    /// How many of the transport's non-Totem datagrams were added to the
    /// core's `datagrams_rejected` so far.
    not_totem_counted: u64,
    /// What started the membership being formed (the first reason the core
    /// gave since the last regular configuration), logged with the result.
    gather_reason: Option<GatherReason>,
}

impl<H: ServiceHost> Driver<H> {
    /// `clock` must be the one `totem` was created with, and `store` the one
    /// its stored ring sequence number was read from.
    pub fn new(
        totem: Totem,
        transport: Transport,
        host: H,
        clock: Clock,
        store: Box<dyn RingSeqStore>,
    ) -> (Driver<H>, DaemonHandle<H::Request>) {
        let (submit_tx, submits) = mpsc::channel(SUBMIT_QUEUE);
        let (request_tx, requests) = mpsc::channel(REQUEST_QUEUE);
        // Status queries: few, from tools.
        let (control_tx, control) = mpsc::channel(16);
        let (events, _) = broadcast::channel(EVENT_QUEUE);
        // Nothing installed until a regular configuration comes out of the
        // core (a lone node's may already wait in its output queue).
        let membership = Membership {
            local: totem.node_id(),
            ring_id: RingId::default(),
            members: Vec::new(),
            installed: false,
        };
        let (membership_tx, membership_rx) = watch::channel(membership.clone());
        let (shutdown_tx, shutdown) = watch::channel(false);
        let shutdown_tx = Arc::new(shutdown_tx);
        let handle = DaemonHandle {
            node_id: totem.node_id(),
            submits: submit_tx,
            requests: request_tx,
            control: control_tx,
            events: events.clone(),
            membership: membership_rx,
            shutdown: shutdown_tx.clone(),
        };
        let last_state = totem.state();
        let driver = Driver {
            totem,
            transport,
            host,
            clock,
            store: Some(store),
            submits,
            requests,
            control,
            shutdown,
            _shutdown_tx: shutdown_tx,
            events,
            membership_tx,
            membership,
            parked: None,
            parked_count: 0,
            last_state,
            gather_reason: None,
            not_totem_counted: 0,
        };
        (driver, handle)
    }

    /// Runs until [`DaemonHandle::shutdown`], then leaves the ring (the
    /// others re-form at once instead of after a token timeout), sends the
    /// leave datagrams and returns the host.
    pub async fn run(mut self) -> H {
        // Whatever Totem::new produced (its first join) goes out first.
        self.drain().await;
        // Service deadlines to the microsecond (tokio's sleeps round up to 1 ms).
        let wakeup = Wakeup::new();
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            let deadline = self.totem.next_timeout().map(|t| self.clock.instant(t));
            let host_deadline = self.host.wake_at(self.clock.now()).map(|t| self.clock.instant(t));
            let ready = {
                let mut ctx = HostCtx {
                    totem: &mut self.totem,
                    now: self.clock.now(),
                    membership: &self.membership,
                    dropped: self.transport.dropped(),
                };
                self.host.ready(&mut ctx)
            };
            tokio::select! {
                _ = self.shutdown.changed() => continue,
                datagram = self.transport.recv() => {
                    let now = self.clock.now();
                    self.totem.handle_datagram(now, &datagram);
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    let now = self.clock.now();
                    self.totem.handle_timeout(now);
                }
                // These channels close only when every handle is gone; a
                // `None` then just disables the branch and the ring runs on.
                Some(s) = self.submits.recv(), if self.parked.is_none() => self.submit(s),
                _ = tokio::time::sleep(std::time::Duration::from_millis(1)), if !ready || self.host.recheck_soon() => {}
                _ = wakeup.until(host_deadline.unwrap_or_else(Instant::now)), if host_deadline.is_some() => {}
                Some(r) = self.requests.recv(), if ready => self.requests_batch(r),
                Some(c) = self.control.recv() => self.control(c),
            }
            self.count_not_totem();
            self.totem.flush(self.clock.now());
            self.retry_parked();
            self.drain().await;
        }
        log::info!(target: "TOTEM", "leaving the ring");
        self.totem.leave(self.clock.now());
        self.drain().await;
        self.host
    }

    /// Adds the datagrams the transport dropped as not Totem's since the last
    /// call to the core's `datagrams_rejected` (`ais-cfgtool -s`): with
    /// secauth off nothing else counts such traffic. After every wake-up, so
    /// a status query sees them even when no Totem datagram followed.
    fn count_not_totem(&mut self) {
        let n = self.transport.not_totem();
        if n > self.not_totem_counted {
            self.totem.count_rejected(n - self.not_totem_counted);
            self.not_totem_counted = n;
        }
    }

    /// Runs `first` and then whatever requests are already waiting, up to
    /// [`REQUEST_BATCH`] and while the host takes them: their multicasts then
    /// leave together at the next flush.
    fn requests_batch(&mut self, first: H::Request) {
        // A request may read the counters (the configuration service).
        self.count_not_totem();
        let mut next = Some(first);
        let mut n = 0;
        while let Some(r) = next.take() {
            let mut ctx = HostCtx {
                totem: &mut self.totem,
                now: self.clock.now(),
                membership: &self.membership,
                dropped: self.transport.dropped(),
            };
            self.host.on_request(&mut ctx, r);
            n += 1;
            if n >= REQUEST_BATCH || !self.host.ready(&mut ctx) {
                break;
            }
            next = self.requests.try_recv().ok();
        }
    }

    /// Hands `s` to the core; gives it back when the core's queue is full.
    fn offer(&mut self, s: Submit) -> Option<Submit> {
        let now = self.clock.now();
        match self.totem.submit(now, s.data.clone(), s.guarantee) {
            Ok(()) => None,
            Err(ais_totem::SubmitError::QueueFull) => Some(s),
            // The handle checks the size; nothing else is too large.
            Err(ais_totem::SubmitError::TooLarge) => {
                log::warn!(target: "TOTEM", "dropped a submission of {} bytes: too large", s.data.len());
                None
            }
        }
    }

    fn submit(&mut self, s: Submit) {
        self.parked = self.offer(s);
        if self.parked.is_some() {
            self.parked_count += 1;
        }
    }

    fn retry_parked(&mut self) {
        if let Some(s) = self.parked.take() {
            self.parked = self.offer(s);
        }
    }

    fn control(&mut self, c: Control) {
        self.count_not_totem();
        match c {
            Control::Status(reply) => {
                let (ring_id, members) = self.totem.ring();
                let _ = reply.send(Status {
                    node_id: self.totem.node_id(),
                    state: self.totem.state(),
                    ring_id,
                    members: members.to_vec(),
                    stats: self.totem.stats(),
                    queued: self.totem.queued(),
                    submissions_parked: self.parked_count,
                    describe: self.totem.describe(),
                });
            }
        }
    }

    /// Hands on everything the core produced (and whatever the services
    /// submit while handling it).
    async fn drain(&mut self) {
        // What the services submit while handling an output is flushed once
        // the outputs run dry, and its own outputs handled in turn.
        while let Some(out) = self.totem.poll_output().or_else(|| {
            self.totem.flush(self.clock.now());
            self.totem.poll_output()
        }) {
            match out {
                Output::PersistRingSeq(seq) => self.persist(seq).await,
                Output::Transmit { dest, data } => self.transport.send(dest, data).await,
                Output::Deliver(d) => self.dispatch(ClusterEvent::Deliver(d)),
                Output::Gather(why) => {
                    log::info!(target: "TOTEM", "gathering a new membership: {why}");
                    self.gather_reason.get_or_insert(why);
                }
                Output::ConfChange(c) => {
                    self.log_conf_change(&c);
                    if c.kind == ConfKind::Regular {
                        self.membership = Membership {
                            local: self.totem.node_id(),
                            ring_id: c.ring_id,
                            members: c.members.clone(),
                            installed: true,
                        };
                        self.membership_tx.send_replace(self.membership.clone());
                    }
                    self.dispatch(ClusterEvent::ConfChange(c));
                }
                Output::Received { .. } => {}
            }
        }
        let state = self.totem.state();
        if state != self.last_state {
            self.last_state = state;
            let name = match state {
                State::Operational => "OPERATIONAL",
                State::Gather => "GATHER",
                State::Commit => "COMMIT",
                State::Recovery => "RECOVERY",
            };
            log::debug!(target: "TOTEM", "entering {name} state: {}", self.totem.describe());
        }
    }

    /// Stores a ring sequence number and only then returns. Ordering: the
    /// core queues this request ahead of every output that uses the number
    /// (the commit token naming the new ring, its configuration change), and
    /// this task handles outputs one after another, awaiting this one; so
    /// nothing that uses the ring leaves the node or reaches a service before
    /// the number is durable, as when the core saved it itself. The fsyncs
    /// run on tokio's blocking pool, so the runtime thread (IPC connections)
    /// keeps running meanwhile; only this task waits.
    async fn persist(&mut self, seq: u64) {
        let Some(mut store) = self.store.take() else {
            log::error!(target: "TOTEM", "ring sequence {seq} not stored: the store was lost");
            return;
        };
        match tokio::task::spawn_blocking(move || {
            store.save(seq);
            store
        })
        .await
        {
            Ok(store) => self.store = Some(store),
            Err(e) => log::error!(target: "TOTEM", "storing ring sequence {seq}: {e}"),
        }
    }

    fn dispatch(&mut self, event: ClusterEvent) {
        let mut ctx = HostCtx {
            totem: &mut self.totem,
            now: self.clock.now(),
            membership: &self.membership,
            dropped: self.transport.dropped(),
        };
        self.host.on_event(&mut ctx, &event);
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(event);
        }
    }

    /// Called before `membership` is updated: it still holds the previous
    /// regular configuration.
    fn log_conf_change(&mut self, c: &ConfChange) {
        let peers = self.transport.peers();
        let lines = match c.kind {
            ConfKind::Regular => {
                let prev: &[NodeId] = if self.membership.installed {
                    &self.membership.members
                } else {
                    &[]
                };
                let c = conflog::against_previous(c, prev);
                log::info!(target: "TOTEM", "{}", conflog::formed(&c, self.gather_reason.take().as_ref()));
                conflog::lines(&c, &|id| peers.address_of(id))
            }
            ConfKind::Transitional => conflog::lines(c, &|id| peers.address_of(id)),
        };
        let level = match c.kind {
            ConfKind::Regular => log::Level::Info,
            ConfKind::Transitional => log::Level::Debug,
        };
        for line in lines {
            log::log!(target: "CLM", level, "{line}");
        }
    }
}
