//! Opening a library handle: two sockets, one handshake each.
//!
//! ```text
//! request socket                          dispatch socket
//! C: Hello{proto, pid, version}  ──►
//!                                ◄──  S: Welcome{conn, cookie, proto, max, version}
//!                                          (or Refused{error, version}, then close)
//!                                         C: Attach{conn, cookie}  ──►
//!                                                              ◄──  S: Attached
//!                                                                    (or Refused, close)
//! C: Request ... ──►  ◄── S: Response ...             ◄── S: Callback ...
//! ```
//!
//! The dispatch socket is the application's selection object: the server writes only
//! callbacks to it, so it is readable exactly while a callback is pending. It proves it
//! belongs to the request socket by presenting the connection id and the random 64-bit
//! cookie of the `Welcome`; the server also requires the same peer credentials on both.
//!
//! Every handshake frame has `msg`, `flags` and `request_id` zero and names the service in
//! the header; only `Refused` has a non-zero `status` (its `SaAisErrorT`).
//!
//! | frame    | payload (little-endian)                                                          |
//! |----------|----------------------------------------------------------------------------------|
//! | Hello    | protocol_version u16, pid u32, version (release u8, major u8, minor u8) = 9 bytes |
//! | Welcome  | conn_id u64, cookie u64, protocol_version u16, max_payload u32, version (3) = 25 bytes |
//! | Refused  | version (3): the service's version, for `SA_AIS_ERR_VERSION` (0.0.0 if none)     |
//! | Attach   | conn_id u64, cookie u64 = 16 bytes                                                |
//! | Attached | empty                                                                             |

use crate::codec::{DecodeError, Reader, Writer};
use crate::frame::{encode_frame, Header, Kind, ServiceId};
use crate::status;

/// An AIS version (`SaVersionT`): release code (`'A'`, `'B'`), major, minor.
/// Services without one (CPG, EVS, CFG) use 0.0.0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AisVersion {
    pub release_code: u8,
    pub major: u8,
    pub minor: u8,
}

impl AisVersion {
    pub const fn new(release_code: u8, major: u8, minor: u8) -> AisVersion {
        AisVersion {
            release_code,
            major,
            minor,
        }
    }

    /// The AIS rule: the release code matches and the requested major version is not
    /// above `ours`.
    pub fn accepts(ours: AisVersion, requested: AisVersion) -> bool {
        requested.release_code == ours.release_code && requested.major <= ours.major
    }

    fn write(self, w: &mut Writer) {
        w.u8(self.release_code).u8(self.major).u8(self.minor);
    }

    fn read(r: &mut Reader<'_>) -> Result<AisVersion, DecodeError> {
        Ok(AisVersion {
            release_code: r.u8()?,
            major: r.u8()?,
            minor: r.u8()?,
        })
    }
}

impl core::fmt::Display for AisVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let rc = self.release_code;
        if rc.is_ascii_graphic() {
            write!(f, "{}.{}.{}", rc as char, self.major, self.minor)
        } else {
            write!(f, "{rc}.{}.{}", self.major, self.minor)
        }
    }
}

/// The largest payload of any handshake frame (a `Welcome`). A server reads a
/// connection's first frame under this limit ([`crate::Limits::handshake`]): before it
/// knows who is at the other end, a header claiming more is refused unread.
pub const MAX_HANDSHAKE_PAYLOAD: u32 = 25;

/// Client → server: open a handle of `service`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    pub service: ServiceId,
    /// The protocol version the client speaks (today [`crate::PROTOCOL_VERSION`]); a
    /// future server speaking several can choose by it.
    pub protocol_version: u16,
    /// The client's own idea of its pid; informational (the server trusts SO_PEERCRED).
    pub pid: u32,
    /// The AIS version the application asked for.
    pub version: AisVersion,
}

/// Server → client: the request socket is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Welcome {
    pub service: ServiceId,
    /// Names the connection in the server's logs and in [`Attach`].
    pub conn_id: u64,
    /// A random secret that [`Attach`] must present.
    pub cookie: u64,
    /// The protocol version the connection uses.
    pub protocol_version: u16,
    /// The largest payload the server accepts and sends on this connection.
    pub max_payload: u32,
    /// The service's AIS version (what `saXxxInitialize` writes back).
    pub version: AisVersion,
}

/// Server → client: the handle is not opened; `error` is an `SaAisErrorT` other than OK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub service: ServiceId,
    pub error: u32,
    /// The service's AIS version when the server knows the service, else 0.0.0.
    pub version: AisVersion,
}

/// Client → server, first frame on the dispatch socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attach {
    pub service: ServiceId,
    pub conn_id: u64,
    pub cookie: u64,
}

/// Server → client: the dispatch socket is paired; callbacks follow on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attached {
    pub service: ServiceId,
}

/// Any handshake frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handshake {
    Hello(Hello),
    Welcome(Welcome),
    Refused(Refused),
    Attach(Attach),
    Attached(Attached),
}

impl Handshake {
    pub fn service(&self) -> ServiceId {
        match self {
            Handshake::Hello(m) => m.service,
            Handshake::Welcome(m) => m.service,
            Handshake::Refused(m) => m.service,
            Handshake::Attach(m) => m.service,
            Handshake::Attached(m) => m.service,
        }
    }

    /// The whole frame, header included.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(32);
        let mut status = 0;
        let kind = match *self {
            Handshake::Hello(h) => {
                w.u16(h.protocol_version).u32(h.pid);
                h.version.write(&mut w);
                Kind::Hello
            }
            Handshake::Welcome(m) => {
                w.u64(m.conn_id)
                    .u64(m.cookie)
                    .u16(m.protocol_version)
                    .u32(m.max_payload);
                m.version.write(&mut w);
                Kind::Welcome
            }
            Handshake::Refused(m) => {
                status = m.error;
                m.version.write(&mut w);
                Kind::Refused
            }
            Handshake::Attach(m) => {
                w.u64(m.conn_id).u64(m.cookie);
                Kind::Attach
            }
            Handshake::Attached(_) => Kind::Attached,
        };
        let header = Header {
            status,
            ..Header::new(kind, self.service())
        };
        encode_frame(&header, w.as_slice())
    }

    /// Decodes a handshake frame from its (already validated) header and payload.
    pub fn decode(header: &Header, payload: &[u8]) -> Result<Handshake, DecodeError> {
        if header.msg != 0 || header.flags != 0 || header.request_id != 0 {
            return Err(DecodeError::Invalid("handshake header field"));
        }
        let refused = header.kind == Kind::Refused;
        if refused != (header.status != 0) {
            return Err(DecodeError::Invalid("handshake status"));
        }
        if refused && header.status == status::OK {
            return Err(DecodeError::Invalid("refusal without an error"));
        }
        let service = header.service;
        let mut r = Reader::new(payload);
        let m = match header.kind {
            Kind::Hello => Handshake::Hello(Hello {
                service,
                protocol_version: r.u16()?,
                pid: r.u32()?,
                version: AisVersion::read(&mut r)?,
            }),
            Kind::Welcome => Handshake::Welcome(Welcome {
                service,
                conn_id: r.u64()?,
                cookie: r.u64()?,
                protocol_version: r.u16()?,
                max_payload: r.u32()?,
                version: AisVersion::read(&mut r)?,
            }),
            Kind::Refused => Handshake::Refused(Refused {
                service,
                error: header.status,
                version: AisVersion::read(&mut r)?,
            }),
            Kind::Attach => Handshake::Attach(Attach {
                service,
                conn_id: r.u64()?,
                cookie: r.u64()?,
            }),
            Kind::Attached => Handshake::Attached(Attached { service }),
            Kind::Request | Kind::Response | Kind::Callback => {
                return Err(DecodeError::Invalid("frame kind in a handshake"))
            }
        };
        r.finish()?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{split_frame, Limits, HEADER_LEN};

    pub(crate) fn samples() -> Vec<Handshake> {
        let v = AisVersion::new(b'B', 1, 1);
        let s = ServiceId::CLM;
        vec![
            Handshake::Hello(Hello {
                service: s,
                protocol_version: 1,
                pid: 4242,
                version: v,
            }),
            Handshake::Welcome(Welcome {
                service: s,
                conn_id: 17,
                cookie: 0x0123_4567_89AB_CDEF,
                protocol_version: 1,
                max_payload: 1 << 20,
                version: v,
            }),
            Handshake::Refused(Refused {
                service: s,
                error: status::ACCESS,
                version: v,
            }),
            Handshake::Attach(Attach {
                service: s,
                conn_id: 17,
                cookie: 99,
            }),
            Handshake::Attached(Attached { service: s }),
        ]
    }

    fn decode(frame: &[u8]) -> Result<Handshake, DecodeError> {
        let (h, p) = split_frame(frame, &Limits::default())
            .map_err(|_| DecodeError::Invalid("frame"))?
            .ok_or(DecodeError::Invalid("incomplete"))?;
        Handshake::decode(&h, p)
    }

    #[test]
    fn round_trips() {
        for m in samples() {
            let f = m.encode();
            assert_eq!(decode(&f), Ok(m));
        }
    }

    #[test]
    fn payload_sizes_are_as_documented() {
        let sizes: Vec<usize> = samples().iter().map(|m| m.encode().len() - HEADER_LEN).collect();
        assert_eq!(sizes, [9, 25, 3, 16, 0]);
        assert_eq!(sizes.iter().max().copied(), Some(MAX_HANDSHAKE_PAYLOAD as usize));
    }

    #[test]
    fn every_handshake_frame_passes_the_handshake_limit_and_a_claim_beyond_it_does_not() {
        for m in samples() {
            let f = m.encode();
            assert!(split_frame(&f, &Limits::handshake()).unwrap().is_some());
        }
        let big = Header {
            len: MAX_HANDSHAKE_PAYLOAD + 1,
            ..Header::new(Kind::Hello, ServiceId::CLM)
        };
        assert!(Header::decode(&big.encode(), &Limits::handshake()).is_err());
    }

    #[test]
    fn every_payload_truncation_is_rejected() {
        for m in samples() {
            let f = m.encode();
            let (h, p) = split_frame(&f, &Limits::default()).unwrap().unwrap();
            for n in 0..p.len() {
                assert!(
                    matches!(Handshake::decode(&h, &p[..n]), Err(DecodeError::Truncated { .. })),
                    "{m:?} cut at {n}"
                );
            }
            let mut long = p.to_vec();
            long.push(0);
            assert_eq!(Handshake::decode(&h, &long), Err(DecodeError::Trailing(1)));
        }
    }

    #[test]
    fn stray_header_fields_are_rejected() {
        let f = samples()[0].encode();
        let (h, p) = split_frame(&f, &Limits::default()).unwrap().unwrap();
        for bad in [
            Header { msg: 1, ..h },
            Header { request_id: 1, ..h },
            Header { status: 5, ..h },
            Header {
                kind: Kind::Request,
                ..h
            },
        ] {
            assert!(Handshake::decode(&bad, p).is_err(), "{bad:?}");
        }
        let r = samples()[2].encode();
        let (h, p) = split_frame(&r, &Limits::default()).unwrap().unwrap();
        assert!(Handshake::decode(&Header { status: 0, ..h }, p).is_err());
        assert!(Handshake::decode(
            &Header {
                status: status::OK,
                ..h
            },
            p
        )
        .is_err());
    }

    #[test]
    fn version_rule() {
        let ours = AisVersion::new(b'B', 1, 1);
        assert!(AisVersion::accepts(ours, AisVersion::new(b'B', 1, 0)));
        assert!(AisVersion::accepts(ours, AisVersion::new(b'B', 0, 9)));
        assert!(!AisVersion::accepts(ours, AisVersion::new(b'B', 2, 0)));
        assert!(!AisVersion::accepts(ours, AisVersion::new(b'A', 1, 1)));
        assert_eq!(ours.to_string(), "B.1.1");
    }
}
