//! The C side of a CLM handle: how the boundary kit's lifecycle reaches it.

use crate::boundary::lifecycle::Library;
use crate::boundary::Code;
use crate::boundary::{version, Failure};
use crate::clm_client::{self as client, Callbacks, ClmHandle, HANDLES};
use crate::runtime::{Connection, DispatchMode, HandleTable};
use std::ops::RangeInclusive;

/// libSaClm's handles.
pub struct Clm;

impl Library for Clm {
    type State = ClmHandle;

    fn handles() -> &'static HandleTable<ClmHandle> {
        &HANDLES
    }

    fn connection(state: &ClmHandle) -> &Connection {
        &state.conn
    }

    fn dispatch(_handle: u64, state: &ClmHandle, mode: DispatchMode) -> Result<(), Code> {
        client::dispatch(state, mode)
    }
}

/// The calls of B.01.01 to B.03.01 (saClmClusterTrack, saClmClusterNodeGet,
/// saClmClusterNotificationFree, saClmResponse): handles of saClmInitialize[_3].
pub const B01_CALLS: RangeInclusive<u8> = 1..=3;
/// The `_4` calls of B.04.01: handles of saClmInitialize_4.
pub const B04_CALLS: RangeInclusive<u8> = 4..=4;

/// The major version a handle was initialised for, as far as the calls go: a
/// saClmInitialize or saClmInitialize_3 handle has the B.01 calls, a saClmInitialize_4
/// handle the `_4` ones (whatever minor or lower major it asked for: the callbacks it gave
/// have the B.04 shapes).
pub fn major(h: &ClmHandle) -> u8 {
    match h.callbacks {
        Callbacks::B01 { .. } => 1,
        Callbacks::B04 { .. } => 4,
    }
}

/// `SA_AIS_ERR_VERSION` unless the handle's version defines the call.
pub fn require(h: &ClmHandle, calls: RangeInclusive<u8>) -> Result<(), Failure> {
    version::require(major(h), calls)
}
