//! The C ABI of the AIS libraries.
//!
//! One staticlib holds every service's exported functions; `mk/ffi.mk` links each C library
//! (`libSaClm.so.3`, ...) from it with a version script that exports only that library's
//! functions, and `--gc-sections` drops the rest.
//!
//! - `types`: the `#[repr(C)]` types and constants of the SA Forum headers, from which
//!   `include/*.h` are generated.
//! - `boundary`: the kit every exported function is written with (panic guard and the one
//!   conversion of `ais_client::Error` into C codes, argument checks, library memory,
//!   lifecycle, versions, timeouts, the handle table and its tags).
//! - `clm`, `ckpt`, `cpg`, `evs`: one folder per library: its exported `extern "C"`
//!   functions (`mod.rs`), its handle tables and how the kit reaches them (`state`), its
//!   C-side state (C callbacks, versions, requests) over its typed client in `ais-client`
//!   (`client`), and its tests.
//!
//! The connection to the executive, the requests and the decoding of what comes back are
//! the crate `ais-client`'s; this crate turns C arguments into them and results back.

pub mod boundary;
pub mod ckpt;
pub mod clm;
pub mod cpg;
pub mod evs;
pub mod evt;
pub mod lck;
pub mod msg;
pub mod tmr;
pub mod types;

/// What the libraries use of the client runtime, with the handle table beside it.
mod runtime {
    pub use crate::boundary::handles::HandleTable;
    pub use ais_client::runtime::*;
}

#[cfg(test)]
mod tests {
    use crate::types::{ais, corotypes};

    /// `ais_client::Error` carries the numbers and names of `SaAisErrorT` as the header
    /// declares them, and corosync's `cs_error_t` numbers are the same.
    #[test]
    fn the_client_error_enum_is_sa_ais_error_t() {
        let sa = ais::c_enums().iter().find(|e| e.name == "SaAisErrorT").unwrap();
        for v in sa.variants.iter().filter(|v| v.name != "SA_AIS_OK") {
            let code = v.value;
            let e = ais_client::Error::from_code(code).unwrap();
            assert_eq!((e.code(), e.name()), (code, v.name));
        }
        assert_eq!(ais_client::Error::from_code(ais::SA_AIS_OK), None);
        assert_eq!(
            ais_client::Error::from_code(corotypes::CS_ERR_TOO_MANY_GROUPS).map(u32::from),
            Some(corotypes::CS_ERR_TOO_MANY_GROUPS)
        );
    }
}
