//! The C ABI of the AIS libraries.
//!
//! One staticlib holds every service's exported functions; `mk/ffi.mk` links each C library
//! (`libSaClm.so.3`, ...) from it with a version script that exports only that library's
//! functions, and `--gc-sections` drops the rest.
//!
//! - `types`: the `#[repr(C)]` types and constants of the SA Forum headers, from which
//!   `include/*.h` are generated.
//! - `boundary`: the kit every exported function is written with (panic guard, argument
//!   checks, library memory, lifecycle, versions, timeouts, handle tags).
//! - `clm`, `ckpt`, `cpg`, `evs`: one folder per library, with its exported `extern "C"`
//!   functions, its C-side state (handle tables, C callbacks) over its typed client in
//!   `ais-client`, and its tests.
//! - `handles`: the table of `SaXxxHandleT` values every library keeps.
//!
//! The connection to the executive, the requests and the decoding of what comes back are
//! the crate `ais-client`'s; this crate turns C arguments into them and results back.

pub mod boundary;
pub mod ckpt;
// The library memory the clients once kept is in `boundary::memory` now; their own
// bookkeeping of it is unused until they move out of this crate.
#[allow(dead_code)]
mod ckpt_client;
pub mod clm;
#[allow(dead_code)]
mod clm_client;
pub mod cpg;
#[allow(dead_code)]
mod cpg_client;
pub mod evs;
mod evs_client;
mod handles;
pub mod types;

/// What the libraries use of the client runtime, with the handle table beside it.
mod runtime {
    pub use crate::handles::HandleTable;
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
