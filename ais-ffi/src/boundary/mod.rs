//! The C boundary kit every library's exported functions are written with.
//!
//! - [`call`]: `ffi_call`, the one wrapper each exported function runs its body in (no
//!   panic reaches C; the body returns a `Result` and uses `?`).
//! - [`check`]: pointer, slice and name checks answering INVALID_PARAM.
//! - [`memory`]: the registry of memory handed to the application (allocate, remember,
//!   free only if ours).
//! - [`per_handle`]: what the C layer keeps beside a handle.
//! - [`lifecycle`]: Initialize / SelectionObjectGet / Dispatch / Finalize, generic over the
//!   library.
//! - [`version`]: the version rules (Initialize's negotiation, which calls a handle's
//!   version has).
//! - [`timeout`]: the floor of synchronous calls' timeouts.
//! - [`handles`]: the handle table (`SaXxxHandleT` values to library state).
//! - [`tags`]: every handle table's tag.

pub mod call;
pub mod check;
pub mod handles;
pub mod lifecycle;
pub mod memory;
pub mod per_handle;
pub mod tags;
#[cfg(test)]
mod tests;
pub mod timeout;
pub mod version;

pub use call::{ffi_call, status, Code, Failure, Outcome};
