//! Bounds-checked encoding of payloads: fixed-width integers, raw bytes, length-prefixed
//! blobs, SaNameT-like names (`u16` length + at most 256 bytes) and element counts checked
//! against what is left before anything is allocated.
//!
//! A service message is a plain sequence of these; its decoder reads the fields in order
//! and ends with [`Reader::finish`], which rejects trailing bytes, so every message has
//! exactly one encoding.
//!
//! The byte order is a type parameter: the IPC protocol is little-endian ([`Le`], the
//! default: the libraries and the executive share a host), the executives' cluster
//! messages big-endian ([`Be`], see `ais-exec`'s service codec).

use core::fmt;
use core::marker::PhantomData;

/// A byte order for [`Reader`] and [`Writer`].
pub trait ByteOrder: Clone + Copy + fmt::Debug + Default + PartialEq + Eq {
    /// Big-endian (else little-endian).
    const BIG: bool;
}

/// Little-endian: the IPC protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Le;
impl ByteOrder for Le {
    const BIG: bool = false;
}

/// Big-endian (network order): the executives' cluster messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Be;
impl ByteOrder for Be {
    const BIG: bool = true;
}

/// The longest name (`SaNameT.value` holds 256 bytes).
pub const MAX_NAME_LEN: usize = 256;

/// Why a payload did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The payload ended inside a field.
    Truncated { needed: usize, left: usize },
    /// A name longer than [`MAX_NAME_LEN`].
    NameTooLong(usize),
    /// A count whose elements could not fit in what is left.
    CountTooLarge { count: u64, left: usize },
    /// Bytes after the last field.
    Trailing(usize),
    /// A field with a value its message does not allow (`what` names it).
    Invalid(&'static str),
    /// A versioned message of a version this side does not know.
    UnknownVersion(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { needed, left } => {
                write!(f, "truncated: {needed} bytes needed, {left} left")
            }
            DecodeError::NameTooLong(n) => write!(f, "name of {n} bytes (at most {MAX_NAME_LEN})"),
            DecodeError::CountTooLarge { count, left } => {
                write!(f, "count {count} cannot fit in the {left} bytes left")
            }
            DecodeError::Trailing(n) => write!(f, "{n} trailing bytes"),
            DecodeError::Invalid(what) => write!(f, "invalid {what}"),
            DecodeError::UnknownVersion(v) => write!(f, "unknown version {v}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a value could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    NameTooLong(usize),
    /// A blob or count over `u32::MAX`.
    TooLong(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::NameTooLong(n) => write!(f, "name of {n} bytes (at most {MAX_NAME_LEN})"),
            EncodeError::TooLong(n) => write!(f, "length {n} does not fit in 32 bits"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Reads fields from the front of a payload.
#[derive(Clone, Debug)]
pub struct Reader<'a, O: ByteOrder = Le> {
    buf: &'a [u8],
    order: PhantomData<O>,
}

macro_rules! read_int {
    ($($name:ident: $t:ty),+) => {$(
        #[doc = concat!("A `", stringify!($t), "` in the reader's byte order.")]
        pub fn $name(&mut self) -> Result<$t, DecodeError> {
            let a = self.array()?;
            Ok(if O::BIG { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) })
        }
    )+};
}

impl<'a> Reader<'a> {
    /// A little-endian reader (the IPC protocol's).
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader::with_order(buf)
    }
}

impl<'a, O: ByteOrder> Reader<'a, O> {
    pub fn with_order(buf: &'a [u8]) -> Reader<'a, O> {
        Reader {
            buf,
            order: PhantomData,
        }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated {
                needed: n,
                left: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    read_int!(u16: u16, u32: u32, u64: u64, i32: i32, i64: i64);

    /// A boolean byte: 0 or 1, anything else is invalid.
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::Invalid("boolean")),
        }
    }

    /// A blob: `u32` length, then that many bytes.
    pub fn blob(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    /// A name: `u16` length (at most [`MAX_NAME_LEN`]), then that many bytes.
    pub fn name(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u16()? as usize;
        if n > MAX_NAME_LEN {
            return Err(DecodeError::NameTooLong(n));
        }
        self.bytes(n)
    }

    /// An element count (`u32`), checked against what is left: each element takes at least
    /// `min_elem_size` bytes (pass at least 1), so the result is safe to size an allocation
    /// with.
    pub fn count(&mut self, min_elem_size: usize) -> Result<usize, DecodeError> {
        let count = self.u32()? as u64;
        let need = count.saturating_mul(min_elem_size.max(1) as u64);
        if need > self.buf.len() as u64 {
            return Err(DecodeError::CountTooLarge {
                count,
                left: self.buf.len(),
            });
        }
        Ok(count as usize)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    /// Succeeds only if every byte was read.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.buf.len() {
            0 => Ok(()),
            n => Err(DecodeError::Trailing(n)),
        }
    }
}

/// Appends fields to a payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Writer<O: ByteOrder = Le> {
    buf: Vec<u8>,
    order: PhantomData<O>,
}

macro_rules! write_int {
    ($($name:ident: $t:ty),+) => {$(
        #[doc = concat!("A `", stringify!($t), "` in the writer's byte order.")]
        pub fn $name(&mut self, v: $t) -> &mut Writer<O> {
            if O::BIG {
                self.buf.extend_from_slice(&v.to_be_bytes());
            } else {
                self.buf.extend_from_slice(&v.to_le_bytes());
            }
            self
        }
    )+};
}

impl Writer {
    /// A little-endian writer (the IPC protocol's).
    pub fn new() -> Writer {
        Writer::default()
    }

    pub fn with_capacity(n: usize) -> Writer {
        Writer::with_order(n)
    }
}

impl<O: ByteOrder> Writer<O> {
    /// A writer of byte order `O` with room for `n` bytes.
    pub fn with_order(n: usize) -> Writer<O> {
        Writer {
            buf: Vec::with_capacity(n),
            order: PhantomData,
        }
    }

    write_int!(u8: u8, u16: u16, u32: u32, u64: u64, i32: i32, i64: i64);

    pub fn bool(&mut self, v: bool) -> &mut Writer<O> {
        self.u8(v as u8)
    }

    /// Raw bytes, no length (the reader must know how many).
    pub fn bytes(&mut self, b: &[u8]) -> &mut Writer<O> {
        self.buf.extend_from_slice(b);
        self
    }

    /// `u32` length, then the bytes.
    pub fn blob(&mut self, b: &[u8]) -> Result<&mut Writer<O>, EncodeError> {
        let n = u32::try_from(b.len()).map_err(|_| EncodeError::TooLong(b.len()))?;
        Ok(self.u32(n).bytes(b))
    }

    /// `u16` length (at most [`MAX_NAME_LEN`]), then the bytes.
    pub fn name(&mut self, b: &[u8]) -> Result<&mut Writer<O>, EncodeError> {
        if b.len() > MAX_NAME_LEN {
            return Err(EncodeError::NameTooLong(b.len()));
        }
        Ok(self.u16(b.len() as u16).bytes(b))
    }

    /// An element count as [`Reader::count`] reads it.
    pub fn count(&mut self, n: usize) -> Result<&mut Writer<O>, EncodeError> {
        let n = u32::try_from(n).map_err(|_| EncodeError::TooLong(n))?;
        Ok(self.u32(n))
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(0xAB)
            .u16(0xBEEF)
            .u32(7)
            .u64(u64::MAX - 1)
            .i32(-5)
            .i64(i64::MIN)
            .bool(true);
        w.blob(b"blob").unwrap().name(b"safNode=1").unwrap();
        w.count(2).unwrap().u16(1).u16(2).bytes(b"xy");
        w.into_vec()
    }

    fn read_sample(b: &[u8]) -> Result<(), DecodeError> {
        let mut r = Reader::new(b);
        assert_eq!(r.u8()?, 0xAB);
        assert_eq!(r.u16()?, 0xBEEF);
        assert_eq!(r.u32()?, 7);
        assert_eq!(r.u64()?, u64::MAX - 1);
        assert_eq!(r.i32()?, -5);
        assert_eq!(r.i64()?, i64::MIN);
        assert!(r.bool()?);
        assert_eq!(r.blob()?, b"blob");
        assert_eq!(r.name()?, b"safNode=1");
        let n = r.count(2)?;
        let v: Vec<u16> = (0..n).map(|_| r.u16()).collect::<Result<_, _>>()?;
        assert_eq!(v, [1, 2]);
        assert_eq!(r.bytes(2)?, b"xy");
        r.finish()
    }

    #[test]
    fn round_trip() {
        read_sample(&sample()).unwrap();
    }

    #[test]
    fn every_truncation_is_rejected() {
        let b = sample();
        for n in 0..b.len() {
            let e = read_sample(&b[..n]).unwrap_err();
            assert!(
                matches!(e, DecodeError::Truncated { .. } | DecodeError::CountTooLarge { .. }),
                "prefix {n}: {e}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut b = sample();
        b.push(0);
        assert_eq!(read_sample(&b), Err(DecodeError::Trailing(1)));
    }

    #[test]
    fn names_are_limited_to_256_bytes() {
        let long = [b'n'; MAX_NAME_LEN + 1];
        assert_eq!(Writer::new().name(&long).unwrap_err(), EncodeError::NameTooLong(257));
        let mut w = Writer::new();
        w.name(&long[..MAX_NAME_LEN]).unwrap();
        assert_eq!(Reader::new(w.as_slice()).name().unwrap().len(), MAX_NAME_LEN);
        // A forged length of 257 with the bytes present is still refused.
        let mut w = Writer::new();
        w.u16(257).bytes(&long);
        assert_eq!(Reader::new(w.as_slice()).name(), Err(DecodeError::NameTooLong(257)));
    }

    #[test]
    fn huge_lengths_fail_without_allocating() {
        // A blob claiming 4 GiB in an 8-byte payload: rejected by comparison, no allocation.
        let mut w = Writer::new();
        w.u32(u32::MAX).u32(0);
        assert!(matches!(
            Reader::new(w.as_slice()).blob(),
            Err(DecodeError::Truncated { .. })
        ));
        let mut r = Reader::new(w.as_slice());
        assert_eq!(
            r.count(1),
            Err(DecodeError::CountTooLarge {
                count: u32::MAX as u64,
                left: 4
            })
        );
        // A count of zero-sized elements is still bounded by one byte each.
        let mut w = Writer::new();
        w.u32(5).bytes(&[0; 4]);
        assert!(Reader::new(w.as_slice()).count(0).is_err());
    }

    #[test]
    fn big_endian_writes_network_order_and_reads_it_back() {
        let mut w = Writer::<Be>::with_order(16);
        w.u16(0x0102).u32(0x0304_0506).i64(-2);
        w.name(b"ab").unwrap();
        assert_eq!(
            w.as_slice(),
            [1, 2, 3, 4, 5, 6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0, 2, b'a', b'b']
        );
        let mut r = Reader::<Be>::with_order(w.as_slice());
        assert_eq!((r.u16(), r.u32(), r.i64()), (Ok(0x0102), Ok(0x0304_0506), Ok(-2)));
        assert_eq!(r.name(), Ok(&b"ab"[..]));
        assert_eq!(r.finish(), Ok(()));
        // The default order is little-endian (the IPC protocol's).
        let mut w = Writer::new();
        w.u16(0x0102);
        assert_eq!(w.as_slice(), [2, 1]);
    }

    #[test]
    fn bool_is_strict() {
        assert_eq!(Reader::new(&[2]).bool(), Err(DecodeError::Invalid("boolean")));
        assert_eq!(Reader::new(&[0]).bool(), Ok(false));
    }
}
