//! The C ABI of the AIS libraries.
//!
//! One staticlib holds every service's exported functions; `mk/ffi.mk` links each C library
//! (`libSaClm.so.3`, ...) from it with a version script that exports only that library's
//! functions, and `--gc-sections` drops the rest.
//!
//! - `types`: the `#[repr(C)]` types and constants of the SA Forum headers, from which
//!   `include/*.h` are generated.
//! - `clm`, `ckpt`, `cpg`, `evs`, ...: the exported `extern "C"` functions of each library.
//! - `runtime`: the client runtime they share (connection to the executive, handles).

pub mod ckpt;
mod ckpt_client;
#[cfg(test)]
mod ckpt_tests;
pub mod clm;
mod clm_client;
pub mod cpg;
mod cpg_client;
pub mod evs;
mod evs_client;
mod guard;
pub mod runtime;
pub mod types;
