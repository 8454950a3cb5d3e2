//! The one codec of the services' cluster messages (executive to executive,
//! through Totem). Every message is
//!
//! ```text
//! version u8 (= VERSION), kind u8, the kind's fields
//! ```
//!
//! after the router's service id. Fields are written with `ais-proto`'s
//! bounds-checked [`Reader`]/[`Writer`] in big-endian (network) order; a
//! decoder reads the fields in order and ends with `finish`, which refuses
//! trailing bytes, so every message has one encoding. Decoding never panics
//! and fails with [`DecodeError`]; a message of another version is refused
//! and logged (a newer executive in the ring).

use ais_proto::Be;

pub use ais_proto::{DecodeError, EncodeError};

/// The version of every service's cluster messages.
pub const VERSION: u8 = 1;

/// Reads the fields of a cluster message.
pub type Reader<'a> = ais_proto::Reader<'a, Be>;
/// Writes the fields of a cluster message.
pub type Writer = ais_proto::Writer<Be>;

/// A message of `kind`, its version and kind written.
pub fn writer(kind: u8) -> Writer {
    let mut w = versioned();
    w.u8(kind);
    w
}

/// A message with only its version written (its kind comes next).
pub fn versioned() -> Writer {
    let mut w = Writer::with_order(64);
    w.u8(VERSION);
    w
}

/// Opens a message: its kind and a reader over its fields.
pub fn open(b: &[u8]) -> Result<(u8, Reader<'_>), DecodeError> {
    let mut r = Reader::with_order(b);
    let version = r.u8()?;
    if version != VERSION {
        log::warn!(target: "SERV", "cluster message of version {version} refused (this executive speaks {VERSION})");
        return Err(DecodeError::UnknownVersion(version));
    }
    Ok((r.u8()?, r))
}

/// A short byte string: `u8` length, then the bytes.
pub fn put_short(w: &mut Writer, b: &[u8]) -> Result<(), EncodeError> {
    let n = u8::try_from(b.len()).map_err(|_| EncodeError::TooLong(b.len()))?;
    w.u8(n).bytes(b);
    Ok(())
}

/// Reads what [`put_short`] wrote.
pub fn short<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], DecodeError> {
    let n = r.u8()? as usize;
    r.bytes(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_starts_with_version_and_kind_and_other_versions_are_refused() {
        let mut w = writer(7);
        w.u32(0x0102_0304);
        put_short(&mut w, b"xy").unwrap();
        let b = w.into_vec();
        assert_eq!(b, [VERSION, 7, 1, 2, 3, 4, 2, b'x', b'y']);
        let (kind, mut r) = open(&b).unwrap();
        assert_eq!((kind, r.u32(), short(&mut r)), (7, Ok(0x0102_0304), Ok(&b"xy"[..])));
        assert_eq!(r.finish(), Ok(()));
        let mut other = b.clone();
        other[0] = VERSION + 1;
        assert_eq!(open(&other).err(), Some(DecodeError::UnknownVersion(VERSION + 1)));
        assert!(open(&[]).is_err() && open(&[VERSION]).is_err());
        assert_eq!(put_short(&mut writer(1), &[0; 256]), Err(EncodeError::TooLong(256)));
    }
}
