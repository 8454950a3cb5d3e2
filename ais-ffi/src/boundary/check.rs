//! Argument checks: a pointer, slice or name the API needs and the caller got wrong is
//! `SA_AIS_ERR_INVALID_PARAM` (`CS_ERR_INVALID_PARAM`, the same number), never a crash.
//!
//! The checks see what C lets a library see: NULL, lengths and sizes. A pointer that is not
//! NULL is trusted to point where the header says (the API contract).

use super::call::Failure;
use crate::types::ais::{SaNameT, SaSizeT, SA_AIS_ERR_INVALID_PARAM, SA_MAX_NAME_LENGTH};

/// The caller got an argument wrong.
pub const INVALID: Failure = Failure(SA_AIS_ERR_INVALID_PARAM);

/// `p` as a reference; NULL is invalid.
///
/// # Safety
/// A non-NULL `p` points to a valid `T` for `'a`.
pub unsafe fn arg<'a, T>(p: *const T) -> Result<&'a T, Failure> {
    p.as_ref().ok_or(INVALID)
}

/// `p` as a place to write a result to; NULL is invalid.
///
/// # Safety
/// A non-NULL `p` points to a valid, writable `T` for `'a`, not aliased meanwhile.
pub unsafe fn out<'a, T>(p: *mut T) -> Result<&'a mut T, Failure> {
    p.as_mut().ok_or(INVALID)
}

/// NULL is invalid.
pub fn non_null<T>(p: *const T) -> Result<(), Failure> {
    if p.is_null() {
        return Err(INVALID);
    }
    Ok(())
}

/// `len` elements at `p`; NULL is allowed only for none.
///
/// # Safety
/// A non-NULL `p` points to `len` valid elements for `'a`.
pub unsafe fn slice<'a, T>(p: *const T, len: usize) -> Result<&'a [T], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    non_null(p)?;
    Ok(std::slice::from_raw_parts(p, len))
}

/// A size the caller gives as `SaSizeT` as a `usize` (it cannot be larger than memory).
pub fn size(s: SaSizeT) -> Result<usize, Failure> {
    usize::try_from(s).map_err(|_| INVALID)
}

/// An `SaNameT`'s bytes: 1 to `SA_MAX_NAME_LENGTH` of them.
pub fn sa_name(name: &SaNameT) -> Result<&[u8], Failure> {
    let len = name.length as usize;
    if len == 0 || len > SA_MAX_NAME_LENGTH {
        return Err(INVALID);
    }
    Ok(&name.value[..len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    #[test]
    fn null_is_invalid_and_anything_else_is_passed_on() {
        let mut x = 5u32;
        unsafe {
            assert_eq!(arg(null::<u32>()), Err(INVALID));
            assert_eq!(out(null_mut::<u32>()).err(), Some(INVALID));
            assert_eq!(*arg(&x as *const u32).unwrap(), 5);
            *out(&mut x as *mut u32).unwrap() = 6;
            assert_eq!(x, 6);
            assert_eq!(slice(null::<u8>(), 0), Ok(&[][..]));
            assert_eq!(slice(null::<u8>(), 1), Err(INVALID));
            assert_eq!(slice([1u8, 2].as_ptr(), 2), Ok(&[1u8, 2][..]));
        }
    }

    #[test]
    fn names_have_one_to_256_bytes() {
        let mut n = SaNameT {
            length: 0,
            value: [b'a'; SA_MAX_NAME_LENGTH],
        };
        assert_eq!(sa_name(&n), Err(INVALID));
        n.length = 3;
        assert_eq!(sa_name(&n), Ok(&b"aaa"[..]));
        n.length = SA_MAX_NAME_LENGTH as u16;
        assert_eq!(sa_name(&n).map(<[u8]>::len), Ok(SA_MAX_NAME_LENGTH));
        n.length = SA_MAX_NAME_LENGTH as u16 + 1;
        assert_eq!(sa_name(&n), Err(INVALID));
    }
}
