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
//!   functions, its C-side state and its tests.
//! - `runtime` and `*_client`: the client runtime and the per-service clients they use.

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
pub mod runtime;
pub mod types;
