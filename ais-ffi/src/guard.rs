//! The one wrapper every exported function runs its body in.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::types::ais::{SaAisErrorT, SA_AIS_ERR_LIBRARY};

/// Runs `body`, turning a panic into `SA_AIS_ERR_LIBRARY`.
///
/// An unwind out of an `extern "C"` function aborts the host program, which the library must
/// never do. `AssertUnwindSafe` is sound here because nothing the body touched is looked at
/// again after a panic: the caller only sees the error code.
pub(crate) fn guard(body: impl FnOnce() -> SaAisErrorT) -> SaAisErrorT {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(SA_AIS_ERR_LIBRARY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ais::SA_AIS_OK;

    #[test]
    fn passes_the_result_through() {
        assert_eq!(guard(|| SA_AIS_OK), SA_AIS_OK);
    }

    #[test]
    fn a_panic_becomes_err_library() {
        assert_eq!(guard(|| panic!("boom")), SA_AIS_ERR_LIBRARY);
    }
}
