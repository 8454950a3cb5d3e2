//! Socket plumbing: binding, reading frames, writing batches of frames.
//!
//! After the handshake each socket is split: the connection task owns the read half, a
//! writer task the write half. Frames are read through `poll_read`, which (on epoll)
//! takes a short read as proof the socket is drained, saving the `EAGAIN` read a
//! `try_read` loop would make per request.

use std::io::{self, IoSlice};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{SocketAddr, UnixListener as StdListener, UnixStream as StdStream};
use std::path::{Path, PathBuf};

use ais_proto::{split_frame, FrameError, Header, Limits, SocketName, HEADER_LEN};
use bytes::Bytes;
use std::pin::Pin;
use std::task::Poll;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};

use super::Outgoing;

/// Binds the listener; for a path, also returns it (to remove at shutdown).
pub(super) fn bind(name: &SocketName) -> io::Result<(UnixListener, Option<PathBuf>)> {
    let (std, path) = match name {
        SocketName::Abstract(n) => (StdListener::bind_addr(&SocketAddr::from_abstract_name(n)?)?, None),
        SocketName::Path(p) => {
            remove_stale(p)?;
            let l = StdListener::bind(p)?;
            // Who may connect is decided from the peer's credentials, not file modes.
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o666))?;
            (l, Some(p.clone()))
        }
    };
    std.set_nonblocking(true)?;
    Ok((UnixListener::from_std(std)?, path))
}

/// Removes a socket file nobody listens on any more; refuses to touch anything else.
fn remove_stale(p: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", p.display()),
        ));
    }
    match StdStream::connect(p) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{}: another executive is listening", p.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            log::info!("ipc: removing stale socket {}", p.display());
            std::fs::remove_file(p)
        }
        Err(e) => Err(e),
    }
}

/// Why reading a frame failed.
#[derive(Debug)]
pub(super) enum ReadError {
    Frame(FrameError),
    /// The peer closed in the middle of a frame.
    Truncated,
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Frame(e) => write!(f, "{e}"),
            ReadError::Truncated => write!(f, "closed in the middle of a frame"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

const INITIAL_BUF: usize = 16 * 1024;

/// Reads frames from a stream into a reusable buffer (zeroed once, so reading into it
/// needs no unsafe code and no re-initialisation).
///
/// The buffer grows to the size a frame's header claims only once that header has
/// passed the limit; a connection's first frame is read under the handshake's limit, so
/// a stranger's claim costs nothing.
pub(super) struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    limits: Limits,
    /// The size the buffer goes back to when empty.
    initial: usize,
}

impl FrameReader {
    /// A reader for requests: frames up to `limits`.
    pub(super) fn new(limits: Limits) -> FrameReader {
        FrameReader::with_buffer(limits, INITIAL_BUF)
    }

    /// A reader for a connection's first frame: a handshake, no more.
    pub(super) fn handshake() -> FrameReader {
        let limits = Limits::handshake();
        FrameReader::with_buffer(limits, HEADER_LEN + limits.max_payload() as usize)
    }

    fn with_buffer(limits: Limits, initial: usize) -> FrameReader {
        FrameReader {
            buf: vec![0; initial],
            start: 0,
            end: 0,
            limits,
            initial,
        }
    }

    /// Bytes received but not yet returned as frames.
    pub(super) fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// The next frame; `Ok(None)` at a clean end of stream. Cancel-safe: all state lives in
    /// `self`, and a read completes in the poll that performs it.
    pub(super) async fn next<R: AsyncRead + Unpin>(&mut self, s: &mut R) -> Result<Option<(Header, Bytes)>, ReadError> {
        loop {
            let avail = &self.buf[self.start..self.end];
            let need = match split_frame(avail, &self.limits) {
                Err(e) => return Err(ReadError::Frame(e)),
                Ok(Some((h, p))) => {
                    let payload = Bytes::copy_from_slice(p);
                    self.start += h.frame_len();
                    if self.start == self.end {
                        self.reset();
                    }
                    return Ok(Some((h, payload)));
                }
                // The header (once complete) passed the limit, so this size is bounded.
                Ok(None) => match Header::decode(avail, &self.limits) {
                    Ok(h) => h.frame_len(),
                    Err(_) => HEADER_LEN,
                },
            };
            self.make_room(need);
            let buf = &mut self.buf[self.end..];
            let n = std::future::poll_fn(|cx| {
                let mut rb = ReadBuf::new(buf);
                match Pin::new(&mut *s).poll_read(cx, &mut rb) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match n {
                Ok(0) if self.start == self.end => return Ok(None),
                Ok(0) => return Err(ReadError::Truncated),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }

    /// Makes room after `start` for a frame of `need` bytes, with space to read into.
    fn make_room(&mut self, need: usize) {
        if self.start > 0 && (self.buf.len() - self.start < need || self.end == self.buf.len()) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
    }

    /// Empty: drop the space a big frame needed, back to the usual size.
    fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        if self.buf.len() > self.initial {
            self.buf.truncate(self.initial);
            self.buf.shrink_to_fit();
        }
    }
}

/// Writes all of `data`.
pub(super) async fn write_all(s: &UnixStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        s.writable().await?;
        match s.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes a batch of frames with as few `writev` calls as the socket allows.
pub(super) async fn write_batch(s: &OwnedWriteHalf, batch: &[Outgoing]) -> io::Result<()> {
    let total: usize = batch.iter().map(Outgoing::len).sum();
    let mut done = 0;
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(batch.len() * 2);
    while done < total {
        slices.clear();
        // Skip what was written already; slices of zero length are left out.
        let mut skip = done;
        for f in batch {
            for part in [&f.header[..], &f.payload[..]] {
                if skip >= part.len() {
                    skip -= part.len();
                } else {
                    slices.push(IoSlice::new(&part[skip..]));
                    skip = 0;
                }
            }
        }
        s.writable().await?;
        match s.try_write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Completes when the peer closes `s` (or sends anything: the dispatch socket carries
/// nothing from the client after its `Attach`, so data there is a protocol violation).
pub(super) async fn closed(s: &OwnedReadHalf) -> &'static str {
    let mut b = [0u8; 16];
    loop {
        if s.readable().await.is_err() {
            return "dispatch socket error";
        }
        match s.try_read(&mut b) {
            Ok(0) => return "closed",
            Ok(_) => return "sent data on its dispatch socket",
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return "dispatch socket error",
        }
    }
}
