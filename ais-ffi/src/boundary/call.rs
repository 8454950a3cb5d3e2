//! The one wrapper every exported function runs its body in.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::types::ais::{SaAisErrorT, SA_AIS_ERR_INVALID_PARAM, SA_AIS_ERR_LIBRARY, SA_AIS_OK};
use crate::types::corotypes::{cs_error_t, CS_ERR_INVALID_PARAM, CS_ERR_LIBRARY, CS_OK};

/// The error code an exported function returns: `SaAisErrorT` for the SA Forum libraries,
/// `cs_error_t` for CPG and EVS. Both are the C enum's integer type and corosync kept the
/// SA Forum values for the codes the kit itself produces (checked below), so one wrapper
/// serves both.
pub type Code = SaAisErrorT;

const _: () = assert!(
    SA_AIS_OK == CS_OK && SA_AIS_ERR_LIBRARY == CS_ERR_LIBRARY && SA_AIS_ERR_INVALID_PARAM == CS_ERR_INVALID_PARAM
);
const _: fn(cs_error_t) -> Code = |c| c;

/// Why an exported function stops early: the code it answers. Anything that yields a code
/// converts into it, so a body uses `?` on the runtime's and the clients' results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure(pub Code);

impl From<Code> for Failure {
    fn from(code: Code) -> Failure {
        Failure(code)
    }
}

// The client runtime's errors are the `SaAisErrorT` (and `cs_error_t`) values as an enum:
// here, and only here, they become the C code.

/// The C code of an `ais_client` error.
pub fn code(e: ais_client::Error) -> Code {
    e.code()
}

/// The C code of an `ais_client` result: OK, or its error's code.
pub fn code_of<T>(r: &Result<T, ais_client::Error>) -> Code {
    r.as_ref().map_or_else(|&e| code(e), |_| SA_AIS_OK)
}

impl From<ais_client::Error> for Failure {
    fn from(e: ais_client::Error) -> Failure {
        Failure(code(e))
    }
}

/// What a body returns: `Ok(())` is answered as OK.
pub type Outcome = Result<(), Failure>;

/// A call that answers with a status code (OK or an error) as an [`Outcome`].
pub fn status(code: Code) -> Outcome {
    if code == SA_AIS_OK {
        Ok(())
    } else {
        Err(Failure(code))
    }
}

/// Runs `body`: `Ok` is OK, an error its code, and a panic `SA_AIS_ERR_LIBRARY`
/// (`CS_ERR_LIBRARY`).
///
/// An unwind out of an `extern "C"` function aborts the host program, which the library must
/// never do. `AssertUnwindSafe` is sound here because nothing the body touched is looked at
/// again after a panic: the caller only sees the error code.
pub fn ffi_call(body: impl FnOnce() -> Outcome) -> Code {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => SA_AIS_OK,
        Ok(Err(Failure(code))) => code,
        Err(_) => SA_AIS_ERR_LIBRARY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ais::SA_AIS_ERR_BAD_HANDLE;

    #[test]
    fn passes_the_result_through() {
        assert_eq!(ffi_call(|| Ok(())), SA_AIS_OK);
        assert_eq!(ffi_call(|| Err(Failure(SA_AIS_ERR_BAD_HANDLE))), SA_AIS_ERR_BAD_HANDLE);
    }

    #[test]
    fn question_mark_converts_a_code() {
        fn lookup() -> Result<u64, Code> {
            Err(SA_AIS_ERR_BAD_HANDLE)
        }
        assert_eq!(
            ffi_call(|| {
                lookup()?;
                Ok(())
            }),
            SA_AIS_ERR_BAD_HANDLE
        );
        assert_eq!(ffi_call(|| status(SA_AIS_ERR_BAD_HANDLE)), SA_AIS_ERR_BAD_HANDLE);
    }

    #[test]
    fn a_client_error_becomes_its_c_code() {
        use ais_client::Error;
        assert_eq!(code_of(&Ok::<u8, Error>(1)), SA_AIS_OK);
        assert_eq!(code_of(&Err::<(), _>(Error::BadHandle)), SA_AIS_ERR_BAD_HANDLE);
        assert_eq!(
            ffi_call(|| {
                Err(Error::TryAgain)?;
                Ok(())
            }),
            crate::types::ais::SA_AIS_ERR_TRY_AGAIN
        );
    }

    #[test]
    fn a_panic_becomes_err_library() {
        assert_eq!(ffi_call(|| panic!("boom")), SA_AIS_ERR_LIBRARY);
    }
}
