//! The version rules every library applies.
//!
//! - Initialize: the release code matches, the major version is neither 0 (no such
//!   version) nor above ours ([`accepts`]); the supported version is always written back.
//! - Each call belongs to the spec versions that define it: a call made on a handle
//!   initialised for a version without it (a B.01 call on a B.04 handle, a `_4` call on a
//!   B.01 handle) is `SA_AIS_ERR_VERSION`, checked before the arguments ([`require`]).

use std::ops::RangeInclusive;

use super::call::Failure;
use crate::types::ais::{SaVersionT, SA_AIS_ERR_VERSION};
use ais_proto::AisVersion;

/// A version, as C writes `{'B', 1, 1}`.
pub const fn sa_version(release: u8, major: u8, minor: u8) -> SaVersionT {
    SaVersionT {
        releaseCode: release,
        majorVersion: major,
        minorVersion: minor,
    }
}

/// Whether a request for `requested` can be served by our `ours`.
pub fn accepts(requested: &SaVersionT, ours: &SaVersionT) -> bool {
    let v = |s: &SaVersionT| AisVersion::new(s.releaseCode, s.majorVersion, s.minorVersion);
    requested.majorVersion != 0 && AisVersion::accepts(v(ours), v(requested))
}

/// A call defined for the major versions `defined` made on a handle of major `handle`.
pub fn require(handle: u8, defined: RangeInclusive<u8>) -> Result<(), Failure> {
    if !defined.contains(&handle) {
        return Err(Failure(SA_AIS_ERR_VERSION));
    }
    Ok(())
}

/// A call defined from release `major.minor` on (B.02.03's CKPT track calls) made on a
/// handle of version `handle`.
pub fn require_at_least(handle: &SaVersionT, major: u8, minor: u8) -> Result<(), Failure> {
    if (handle.majorVersion, handle.minorVersion) < (major, minor) {
        return Err(Failure(SA_AIS_ERR_VERSION));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sa_version as v;
    use super::*;

    #[test]
    fn major_zero_is_no_version() {
        let ours = v(b'B', 4, 1);
        assert!(accepts(&v(b'B', 1, 1), &ours));
        assert!(accepts(&v(b'B', 4, 9), &ours));
        assert!(!accepts(&v(b'B', 0, 0), &ours));
        assert!(!accepts(&v(b'B', 0, 1), &ours));
        assert!(!accepts(&v(b'B', 5, 1), &ours));
        assert!(!accepts(&v(b'A', 1, 1), &ours));
    }

    #[test]
    fn a_call_needs_a_handle_of_a_version_defining_it() {
        assert_eq!(require(1, 1..=3), Ok(()));
        assert_eq!(require(4, 1..=3), Err(Failure(SA_AIS_ERR_VERSION)));
        assert_eq!(require(1, 4..=4), Err(Failure(SA_AIS_ERR_VERSION)));
        assert_eq!(require_at_least(&v(b'B', 2, 3), 2, 3), Ok(()));
        assert_eq!(require_at_least(&v(b'B', 2, 1), 2, 3), Err(Failure(SA_AIS_ERR_VERSION)));
        assert_eq!(require_at_least(&v(b'B', 1, 1), 2, 3), Err(Failure(SA_AIS_ERR_VERSION)));
    }
}
