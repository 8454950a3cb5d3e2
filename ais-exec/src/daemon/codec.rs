//! What a Totem datagram becomes on the wire, and back.
//!
//! The seam where `secauth` (authenticated encryption with the cluster key,
//! [`super::crypto::Sealed`]) sits: the transport seals every datagram it
//! sends and opens every one it receives, and knows nothing else about the
//! envelope. [`Plain`] sends the datagram as it is (secauth off); the core
//! keeps datagrams within `netmtu - TRANSPORT_OVERHEAD`, so a sealing codec
//! has room for its nonce and tag.

use bytes::Bytes;

pub trait Codec: Send {
    /// The datagram to send for `datagram`.
    fn seal(&mut self, datagram: Bytes) -> Bytes;
    /// The Totem datagram inside `wire`, or None to drop it (bad tag,
    /// wrong key, too short). Never panics on any input.
    fn open(&mut self, wire: &[u8]) -> Option<Bytes>;
    /// A name for the startup log.
    fn name(&self) -> &'static str;
    /// Datagrams `open` refused so far.
    fn dropped(&self) -> Dropped {
        Dropped::default()
    }
}

/// What a codec dropped, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Failed authentication (wrong key, tampered, truncated, not ours).
    pub bad: u64,
    /// Authentic but seen before, or older than the replay window.
    pub replayed: u64,
}

/// No envelope: the datagram is sent as the core made it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Plain;

impl Codec for Plain {
    fn seal(&mut self, datagram: Bytes) -> Bytes {
        datagram
    }
    fn open(&mut self, wire: &[u8]) -> Option<Bytes> {
        // One copy out of the receive buffer, which is reused.
        Some(Bytes::copy_from_slice(wire))
    }
    fn name(&self) -> &'static str {
        "none (datagrams are neither authenticated nor encrypted)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_the_identity() {
        let mut c = Plain;
        let d = Bytes::from_static(b"\x7a\x51\x01\x02abc");
        let w = c.seal(d.clone());
        assert_eq!(w, d);
        assert_eq!(c.open(&w), Some(d));
        assert_eq!(c.open(&[]), Some(Bytes::new()));
    }
}
