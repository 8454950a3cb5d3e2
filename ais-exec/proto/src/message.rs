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

/// A payload of one integer field: `$name($t)`, written with the [`Writer`] method `$f`
/// and read with the [`Reader`] method of the same name (ids, times, limits).
#[macro_export]
macro_rules! int_message {
    ($(#[$meta:meta])* $name:ident($t:ty), $f:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $t);

        impl $crate::message::Message for $name {
            fn put(&self, w: &mut $crate::codec::Writer) -> Result<(), $crate::codec::EncodeError> {
                w.$f(self.0);
                Ok(())
            }
            fn get(r: &mut $crate::codec::Reader<'_>) -> Result<Self, $crate::codec::DecodeError> {
                Ok($name(r.$f()?))
            }
        }
    };
}

/// Encodes `m`, decodes it back, and checks that every cut and one byte more fail (the
/// round-trip and truncation test of every service's messages).
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
