//! The frame: a fixed 24-byte header, then `len` bytes of payload.
//!
//! | offset | size | field        | meaning                                                        |
//! |-------:|-----:|--------------|----------------------------------------------------------------|
//! | 0      | 4    | `magic`      | `"oAIS"` (6F 41 49 53)                                          |
//! | 4      | 1    | `version`    | [`PROTOCOL_VERSION`] (1)                                       |
//! | 5      | 1    | `kind`       | [`Kind`]: Hello 1, Welcome 2, Refused 3, Attach 4, Attached 5, Request 6, Response 7, Callback 8 |
//! | 6      | 2    | `service`    | [`ServiceId`]                                                  |
//! | 8      | 2    | `msg`        | the operation within the service (service-defined; 0 in the handshake) |
//! | 10     | 2    | `flags`      | [`flags`]; unknown bits are rejected                           |
//! | 12     | 4    | `request_id` | chosen by the client, echoed in the response; 0 otherwise      |
//! | 16     | 4    | `status`     | `SaAisErrorT` of a Response, a Refused, or a Callback (the error an AIS callback carries); 0 otherwise |
//! | 20     | 4    | `len`        | payload bytes that follow, at most [`Limits::max_payload`]     |
//!
//! All integers are little-endian. Both ends of the socket are always on the same host, and
//! every platform the product targets (x86-64, aarch64) is little-endian, so encoding and
//! decoding are plain loads and stores; the order is still spelled out (`to_le_bytes`), so a
//! big-endian host would be correct, merely not free.
//!
//! The first five bytes (magic and version) keep their meaning in every future version, so
//! either side can always tell "not ours" from "ours, but another version" and answer the
//! latter with a `Refused` carrying `SA_AIS_ERR_VERSION`.

use core::fmt;

/// The first four bytes of every frame.
pub const MAGIC: [u8; 4] = *b"oAIS";
/// The only version this code speaks.
pub const PROTOCOL_VERSION: u8 = 1;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 24;
/// Default payload limit: a 1 MiB CPG/EVS message plus room for its group name and
/// per-message fields.
pub const DEFAULT_MAX_PAYLOAD: u32 = (1 << 20) + 4096;
/// No configuration can raise the limit above this.
pub const HARD_MAX_PAYLOAD: u32 = 64 << 20;

/// Which service a connection (and every frame on it) belongs to.
///
/// A newtype rather than an enum: a frame may name any value, and the decoder must be able
/// to carry it to the place that refuses it.
///
/// | range           | use                                                   |
/// |-----------------|-------------------------------------------------------|
/// | 0               | never valid                                           |
/// | 1 ..= 10        | CLM, CKPT, EVT, LCK, MSG, TMR, AMF, CPG, EVS, CFG      |
/// | 11 ..= 0xFEFF   | reserved for future services                           |
/// | 0xFF00 ..= 0xFFFE | reserved for tests ([`ServiceId::ECHO`] = 0xFF00)   |
/// | 0xFFFF          | never valid                                           |
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub u16);

impl ServiceId {
    pub const CLM: ServiceId = ServiceId(1);
    pub const CKPT: ServiceId = ServiceId(2);
    pub const EVT: ServiceId = ServiceId(3);
    pub const LCK: ServiceId = ServiceId(4);
    pub const MSG: ServiceId = ServiceId(5);
    pub const TMR: ServiceId = ServiceId(6);
    pub const AMF: ServiceId = ServiceId(7);
    pub const CPG: ServiceId = ServiceId(8);
    pub const EVS: ServiceId = ServiceId(9);
    pub const CFG: ServiceId = ServiceId(10);
    /// The echo service: only for tests and benchmarks of the IPC path.
    pub const ECHO: ServiceId = ServiceId(0xFF00);

    /// The name used in log lines.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "CLM",
            2 => "CKPT",
            3 => "EVT",
            4 => "LCK",
            5 => "MSG",
            6 => "TMR",
            7 => "AMF",
            8 => "CPG",
            9 => "EVS",
            10 => "CFG",
            0xFF00 => "ECHO",
            11..=0xFEFF => "reserved",
            0xFF01..=0xFFFE => "test",
            _ => "invalid",
        }
    }
}

impl fmt::Debug for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "reserved" | "test" | "invalid" => write!(f, "service {}", self.0),
            n => f.write_str(n),
        }
    }
}

/// What a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// client → server, first frame on the request socket.
    Hello = 1,
    /// server → client: the request socket is accepted.
    Welcome = 2,
    /// server → client: refused (`status` says why); the server closes the socket.
    Refused = 3,
    /// client → server, first frame on the dispatch socket.
    Attach = 4,
    /// server → client: the dispatch socket is paired.
    Attached = 5,
    /// client → server on the request socket.
    Request = 6,
    /// server → client on the request socket, `request_id` as in the request.
    Response = 7,
    /// server → client on the dispatch socket.
    Callback = 8,
}

impl Kind {
    pub fn from_u8(v: u8) -> Option<Kind> {
        Some(match v {
            1 => Kind::Hello,
            2 => Kind::Welcome,
            3 => Kind::Refused,
            4 => Kind::Attach,
            5 => Kind::Attached,
            6 => Kind::Request,
            7 => Kind::Response,
            8 => Kind::Callback,
            _ => return None,
        })
    }
}

/// Header flag bits.
pub mod flags {
    /// On a Request: the client does not wait for a response and the server sends none
    /// (the "accepted" calls: `cpg_mcast_joined`, the `...Async` calls).
    pub const NO_REPLY: u16 = 0x0001;
    /// Every bit this version defines; a frame with any other bit set is rejected.
    pub const KNOWN: u16 = NO_REPLY;
}

/// Flow control of `NO_REPLY` requests, which get no response to wait for.
///
/// A client may have at most [`WINDOW`](credit::WINDOW) payload bytes of them sent and
/// not yet credited; beyond that its library answers `TRY_AGAIN` without sending. The
/// executive credits a connection with a frame of message id [`MSG`](credit::MSG) whose
/// payload is a `u64`: the total payload bytes of `NO_REPLY` requests it has taken from
/// that connection so far. It sends each credit twice: as a response with request id 0 on
/// the request socket (which the library reads while sending) and as a callback on the
/// dispatch socket (so a client waiting in poll(2) wakes up). It holds credits back while
/// the client, or another member of the group it sends to, is slow to read its callbacks.
pub mod credit {
    /// The message id of a credit frame; no service uses it.
    pub const MSG: u16 = 0xFFFF;
    /// Payload bytes of `NO_REPLY` requests a client may have outstanding.
    pub const WINDOW: u64 = 8 << 20;
    /// The executive credits once this much more was taken (a client blocked at the
    /// window has at least `WINDOW` minus one message outstanding, so this always comes).
    pub const BATCH: u64 = WINDOW / 8;
}

/// The size limit a decoder enforces, checked from the header before any payload is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_payload: u32,
}

impl Limits {
    /// A limit of `max_payload` bytes, clamped to [`HARD_MAX_PAYLOAD`].
    pub const fn new(max_payload: u32) -> Limits {
        let m = if max_payload > HARD_MAX_PAYLOAD {
            HARD_MAX_PAYLOAD
        } else {
            max_payload
        };
        Limits { max_payload: m }
    }

    /// The limit for a connection's first frame, which is a handshake
    /// ([`crate::handshake::MAX_HANDSHAKE_PAYLOAD`]).
    pub const fn handshake() -> Limits {
        Limits {
            max_payload: crate::handshake::MAX_HANDSHAKE_PAYLOAD,
        }
    }

    pub const fn max_payload(&self) -> u32 {
        self.max_payload
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::new(DEFAULT_MAX_PAYLOAD)
    }
}

/// A decoded header. `len` is the payload length; encoding writes it as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub service: ServiceId,
    pub msg: u16,
    pub flags: u16,
    pub request_id: u32,
    pub status: u32,
    pub len: u32,
}

/// Why a header was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer than [`HEADER_LEN`] bytes (only from [`Header::decode`]; streams wait instead).
    Truncated,
    /// Not an AIS frame at all.
    BadMagic([u8; 4]),
    /// An AIS frame of a version this code does not speak.
    UnsupportedVersion(u8),
    UnknownKind(u8),
    UnknownFlags(u16),
    /// The announced payload exceeds the limit.
    TooLarge {
        len: u32,
        max: u32,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated => write!(f, "truncated header"),
            FrameError::BadMagic(m) => write!(f, "bad magic {m:02x?}"),
            FrameError::UnsupportedVersion(v) => {
                write!(f, "protocol version {v} (this side speaks {PROTOCOL_VERSION})")
            }
            FrameError::UnknownKind(k) => write!(f, "unknown frame kind {k}"),
            FrameError::UnknownFlags(b) => write!(f, "unknown flag bits {b:#06x}"),
            FrameError::TooLarge { len, max } => {
                write!(f, "payload of {len} bytes exceeds the limit of {max}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

impl Header {
    /// A header of `kind` for `service` with every other field zero.
    pub const fn new(kind: Kind, service: ServiceId) -> Header {
        Header {
            kind,
            service,
            msg: 0,
            flags: 0,
            request_id: 0,
            status: 0,
            len: 0,
        }
    }

    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4] = PROTOCOL_VERSION;
        b[5] = self.kind as u8;
        b[6..8].copy_from_slice(&self.service.0.to_le_bytes());
        b[8..10].copy_from_slice(&self.msg.to_le_bytes());
        b[10..12].copy_from_slice(&self.flags.to_le_bytes());
        b[12..16].copy_from_slice(&self.request_id.to_le_bytes());
        b[16..20].copy_from_slice(&self.status.to_le_bytes());
        b[20..24].copy_from_slice(&self.len.to_le_bytes());
        b
    }

    /// Decodes the header at the start of `buf` (which may hold more), checking magic,
    /// version, kind, flags and the payload length against `limits`.
    pub fn decode(buf: &[u8], limits: &Limits) -> Result<Header, FrameError> {
        let b: &[u8; HEADER_LEN] = match buf.get(..HEADER_LEN).and_then(|s| s.try_into().ok()) {
            Some(b) => b,
            None => return Err(FrameError::Truncated),
        };
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let magic = [b[0], b[1], b[2], b[3]];
        if magic != MAGIC {
            return Err(FrameError::BadMagic(magic));
        }
        if b[4] != PROTOCOL_VERSION {
            return Err(FrameError::UnsupportedVersion(b[4]));
        }
        let kind = Kind::from_u8(b[5]).ok_or(FrameError::UnknownKind(b[5]))?;
        let flags = u16_at(10);
        if flags & !flags::KNOWN != 0 {
            return Err(FrameError::UnknownFlags(flags));
        }
        let len = u32_at(20);
        if len > limits.max_payload() {
            return Err(FrameError::TooLarge {
                len,
                max: limits.max_payload(),
            });
        }
        Ok(Header {
            kind,
            service: ServiceId(u16_at(6)),
            msg: u16_at(8),
            flags,
            request_id: u32_at(12),
            status: u32_at(16),
            len,
        })
    }

    /// Header plus payload length.
    pub fn frame_len(&self) -> usize {
        HEADER_LEN + self.len as usize
    }
}

/// Splits the first complete frame off `buf`.
///
/// `Ok(None)`: not enough bytes yet (the header, once complete, has been validated, so
/// waiting for the rest is safe: it is within the limit). `Ok(Some((header, payload)))`:
/// the frame occupies `header.frame_len()` bytes of `buf`.
pub fn split_frame<'a>(buf: &'a [u8], limits: &Limits) -> Result<Option<(Header, &'a [u8])>, FrameError> {
    if buf.len() < HEADER_LEN {
        // Reject a wrong magic or version as soon as those bytes are there, so a peer
        // speaking something else is not left waiting for a header that never completes.
        let n = buf.len().min(5);
        if buf[..n.min(4)] != MAGIC[..n.min(4)] {
            let mut m = [0u8; 4];
            m[..n.min(4)].copy_from_slice(&buf[..n.min(4)]);
            return Err(FrameError::BadMagic(m));
        }
        if n == 5 && buf[4] != PROTOCOL_VERSION {
            return Err(FrameError::UnsupportedVersion(buf[4]));
        }
        return Ok(None);
    }
    let h = Header::decode(buf, limits)?;
    Ok(buf.get(HEADER_LEN..h.frame_len()).map(|p| (h, p)))
}

/// One frame as bytes: `header` (its `len` replaced by the payload's) then `payload`.
///
/// The caller keeps payloads within its limits; a payload over `u32::MAX` bytes cannot be
/// expressed and is cut to the length the header says, which the peer then rejects as a
/// protocol error rather than misframing the stream.
pub fn encode_frame(header: &Header, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER_LEN + len as usize);
    out.extend_from_slice(&Header { len, ..*header }.encode());
    out.extend_from_slice(&payload[..len as usize]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            kind: Kind::Request,
            service: ServiceId::CKPT,
            msg: 0x1234,
            flags: flags::NO_REPLY,
            request_id: 0xDEAD_BEEF,
            status: 7,
            len: 3,
        }
    }

    #[test]
    fn header_layout_is_fixed() {
        let b = sample().encode();
        assert_eq!(
            b,
            [b'o', b'A', b'I', b'S', 1, 6, 2, 0, 0x34, 0x12, 1, 0, 0xEF, 0xBE, 0xAD, 0xDE, 7, 0, 0, 0, 3, 0, 0, 0]
        );
    }

    #[test]
    fn header_round_trips_for_every_kind() {
        for k in 1..=8u8 {
            let h = Header {
                kind: Kind::from_u8(k).unwrap(),
                ..sample()
            };
            assert_eq!(Header::decode(&h.encode(), &Limits::default()), Ok(h));
        }
        assert_eq!(Kind::from_u8(0), None);
        assert_eq!(Kind::from_u8(9), None);
    }

    #[test]
    fn every_truncation_is_rejected() {
        let f = encode_frame(&sample(), b"abc");
        for n in 0..HEADER_LEN {
            assert_eq!(Header::decode(&f[..n], &Limits::default()), Err(FrameError::Truncated));
        }
        for n in 0..f.len() {
            assert_eq!(split_frame(&f[..n], &Limits::default()), Ok(None), "prefix {n}");
        }
        let (h, p) = split_frame(&f, &Limits::default()).unwrap().unwrap();
        assert_eq!((h, p), (sample(), &b"abc"[..]));
    }

    #[test]
    fn bad_fields_are_rejected() {
        let l = Limits::default();
        let good = sample().encode();
        let mut b = good;
        b[0] = b'x';
        assert_eq!(Header::decode(&b, &l), Err(FrameError::BadMagic(*b"xAIS")));
        assert!(matches!(split_frame(&b[..1], &l), Err(FrameError::BadMagic(_))));
        let mut b = good;
        b[4] = 2;
        assert_eq!(Header::decode(&b, &l), Err(FrameError::UnsupportedVersion(2)));
        assert_eq!(split_frame(&b[..5], &l), Err(FrameError::UnsupportedVersion(2)));
        let mut b = good;
        b[5] = 99;
        assert_eq!(Header::decode(&b, &l), Err(FrameError::UnknownKind(99)));
        let mut b = good;
        b[11] = 0x80;
        assert_eq!(Header::decode(&b, &l), Err(FrameError::UnknownFlags(0x8001)));
    }

    #[test]
    fn oversized_lengths_are_rejected_from_the_header_alone() {
        let l = Limits::new(100);
        let h = Header { len: 101, ..sample() };
        // Only the header is present: the verdict must not need (or allocate) the payload.
        assert_eq!(
            split_frame(&h.encode(), &l),
            Err(FrameError::TooLarge { len: 101, max: 100 })
        );
        let h = Header {
            len: u32::MAX,
            ..sample()
        };
        assert!(matches!(
            Header::decode(&h.encode(), &Limits::default()),
            Err(FrameError::TooLarge { .. })
        ));
        assert_eq!(Limits::new(u32::MAX).max_payload(), HARD_MAX_PAYLOAD);
        let h = Header { len: 100, ..sample() };
        assert_eq!(split_frame(&h.encode(), &l), Ok(None));
    }

    #[test]
    fn split_takes_exactly_one_frame() {
        let mut s = encode_frame(&sample(), b"one");
        s.extend(encode_frame(
            &Header {
                request_id: 2,
                ..sample()
            },
            b"second",
        ));
        let (h, p) = split_frame(&s, &Limits::default()).unwrap().unwrap();
        assert_eq!(p, b"one");
        let rest = &s[h.frame_len()..];
        let (h2, p2) = split_frame(rest, &Limits::default()).unwrap().unwrap();
        assert_eq!((h2.request_id, p2), (2, &b"second"[..]));
        assert_eq!(h2.frame_len(), rest.len());
    }

    #[test]
    fn service_names() {
        assert_eq!(ServiceId::CFG.to_string(), "CFG");
        assert_eq!(ServiceId(500).to_string(), "service 500");
        assert_eq!(format!("{:?}", ServiceId::ECHO), "ECHO(65280)");
    }
}
