//! The few socket calls the runtime makes, on raw descriptors, through nix (no `unsafe`
//! here). Every send carries MSG_NOSIGNAL: a write to a socket the executive closed must
//! come back as EPIPE, not as a SIGPIPE that kills the application.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{recv, sendmsg, MsgFlags};

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ready {
    Yes,
    TimedOut,
}

/// Waits until `fd` has one of `events` (or an error/hang-up, which the next call on it
/// reports), or until `deadline`.
pub(super) fn wait(fd: BorrowedFd<'_>, events: PollFlags, deadline: Option<Instant>) -> Result<Ready, Errno> {
    loop {
        let timeout = match deadline {
            None => PollTimeout::NONE,
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Ok(Ready::TimedOut);
                }
                // Round up: waking a little late is fine, spinning on 0 ms is not.
                let ms = (d - now).as_nanos().div_ceil(1_000_000);
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [PollFd::new(fd, events)];
        match poll(&mut fds, timeout) {
            Ok(0) => continue, // the loop re-checks the deadline
            Ok(_) => return Ok(Ready::Yes),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Why a send stopped.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum SendError {
    /// The deadline passed before anything was written: the stream is intact.
    TimedOut,
    /// The deadline passed in the middle of the frame: the stream is unusable.
    TimedOutMidFrame,
    Io(Errno),
}

/// Sends `parts` (one frame) completely. Without a deadline the socket's blocking mode
/// waits; with one, sends are non-blocking and poll waits for room.
pub(super) fn send_all(fd: BorrowedFd<'_>, parts: &[&[u8]], deadline: Option<Instant>) -> Result<(), SendError> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut flags = MsgFlags::MSG_NOSIGNAL;
    if deadline.is_some() {
        flags |= MsgFlags::MSG_DONTWAIT;
    }
    let mut done = 0;
    let mut iov: Vec<IoSlice<'_>> = Vec::with_capacity(parts.len());
    while done < total {
        iov.clear();
        let mut skip = done;
        for p in parts {
            if skip >= p.len() {
                skip -= p.len();
            } else {
                iov.push(IoSlice::new(&p[skip..]));
                skip = 0;
            }
        }
        match sendmsg::<()>(fd.as_raw_fd(), &iov, &[], flags, None) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => match wait(fd, PollFlags::POLLOUT, deadline).map_err(SendError::Io)? {
                Ready::Yes => {}
                Ready::TimedOut if done == 0 => return Err(SendError::TimedOut),
                Ready::TimedOut => return Err(SendError::TimedOutMidFrame),
            },
            Err(e) => return Err(SendError::Io(e)),
        }
    }
    Ok(())
}

/// What a receive produced.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Recv {
    Data(usize),
    /// The peer closed (or the socket was shut down).
    Eof,
    /// Nothing there (non-blocking) or the deadline passed.
    Nothing,
}

/// One receive into `buf`. `block`: wait for data (up to `deadline`, if any); otherwise
/// return [`Recv::Nothing`] at once when nothing is queued.
///
/// A blocking receive waits in poll(2) and then reads without blocking, even with no
/// deadline: measured here, that round trip is about 1.5 us faster than sleeping in
/// recv(2) itself, the extra system call notwithstanding.
///
/// Before sleeping, a blocking receive polls the socket without blocking for up to
/// [`spin_budget`]: a reply that comes within it is taken without the sleep and the
/// wake-up of an idle CPU, which cost more than the reply itself on one node.
pub(super) fn recv_some(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    block: bool,
    deadline: Option<Instant>,
) -> Result<Recv, Errno> {
    let spin = if block { spin_budget() } else { Duration::ZERO };
    if !spin.is_zero() {
        let until = Instant::now() + spin;
        let until = deadline.map_or(until, |d| d.min(until));
        loop {
            match recv(fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT) {
                Ok(0) if !buf.is_empty() => return Ok(Recv::Eof),
                Ok(n) => return Ok(Recv::Data(n)),
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
            if Instant::now() >= until {
                break;
            }
            std::hint::spin_loop();
        }
    }
    loop {
        if block && wait(fd, PollFlags::POLLIN, deadline)? == Ready::TimedOut {
            return Ok(Recv::Nothing);
        }
        let flags = MsgFlags::MSG_DONTWAIT;
        match recv(fd.as_raw_fd(), buf, flags) {
            Ok(0) if !buf.is_empty() => return Ok(Recv::Eof),
            Ok(n) => return Ok(Recv::Data(n)),
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) if !block => return Ok(Recv::Nothing),
            Err(Errno::EAGAIN) => {}
            Err(e) => return Err(e),
        }
    }
}

/// How long a blocking receive polls before it sleeps: `AIS_CLIENT_SPIN_US`
/// microseconds (0 turns it off), 50 by default, and none on a machine with one CPU,
/// where the spinning client would only keep the executive from running. Read once.
fn spin_budget() -> Duration {
    static BUDGET: OnceLock<Duration> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let us = std::env::var("AIS_CLIENT_SPIN_US")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_SPIN_US)
            .min(MAX_SPIN_US);
        if cpus < 2 {
            Duration::ZERO
        } else {
            Duration::from_micros(us)
        }
    })
}

const DEFAULT_SPIN_US: u64 = 50;
/// The most a setting may ask for: past this the wake-up is cheap beside the wait.
const MAX_SPIN_US: u64 = 1000;

/// Fills `buf` completely (blocking); `Ok(false)` if the stream ends first.
pub(super) fn recv_exact(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<bool, Errno> {
    let mut done = 0;
    while done < buf.len() {
        match recv(fd.as_raw_fd(), &mut buf[done..], MsgFlags::MSG_WAITALL) {
            Ok(0) => return Ok(false),
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
