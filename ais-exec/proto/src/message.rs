//! One IPC payload as a whole: how a message type is written and read with the
//! [`codec`](crate::codec), so that every message has one encoding and trailing bytes
//! are refused.

use crate::codec::{DecodeError, EncodeError, Reader, Writer};

/// Encoding and decoding of one whole payload.
pub trait Message: Sized {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError>;
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::new();
        self.put(&mut w)?;
        Ok(w.into_vec())
    }

    /// The whole payload: trailing bytes are refused.
    fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let v = Self::get(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

/// A test of one message type's encoding: it decodes back to itself, every cut of it
/// fails, and one byte more is refused as trailing.
#[cfg(test)]
pub(crate) fn round_trip<M: Message + PartialEq + std::fmt::Debug>(m: M) {
    let b = m.encode().unwrap();
    assert_eq!(M::decode(&b).unwrap(), m);
    for n in 0..b.len() {
        assert!(M::decode(&b[..n]).is_err(), "cut at {n}");
    }
    let mut long = b.clone();
    long.push(0);
    assert_eq!(M::decode(&long).unwrap_err(), DecodeError::Trailing(1));
}
