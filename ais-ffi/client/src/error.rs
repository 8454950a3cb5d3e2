//! [`Error`]: what a call can fail with, as the SA Forum `SaAisErrorT` values (B.01.01 and
//! later; corosync's `cs_error_t` uses the same numbers). The executive sends these numbers
//! on the wire, and the C libraries hand them to C unchanged through [`Error::code`].

use std::fmt;

macro_rules! errors {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $name:literal, $text:literal; )+) => {
        /// An `SaAisErrorT` other than `SA_AIS_OK`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Error {
            $( $(#[doc = $doc])* $variant, )+
            /// A value no SA Forum version defines, kept as it came (the executive's
            /// services may send any).
            Other(u32),
        }

        impl Error {
            /// The `SaAisErrorT` value.
            pub const fn code(self) -> u32 {
                match self {
                    $( Error::$variant => $code, )+
                    Error::Other(c) => c,
                }
            }

            /// The error for an `SaAisErrorT` value; `None` for `SA_AIS_OK` (1).
            pub const fn from_code(code: u32) -> Option<Error> {
                match code {
                    1 => None,
                    $( $code => Some(Error::$variant), )+
                    c => Some(Error::Other(c)),
                }
            }

            /// The C name, `SA_AIS_ERR_...`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Error::$variant => $name, )+
                    Error::Other(_) => "SaAisErrorT",
                }
            }

            fn text(self) -> &'static str {
                match self {
                    $( Error::$variant => $text, )+
                    Error::Other(_) => "an error no SA Forum specification defines",
                }
            }
        }
    };
}

errors! {
    /// The library cannot be used anymore (the executive went away or broke the protocol).
    Library = 2, "SA_AIS_ERR_LIBRARY", "the library cannot be used anymore";
    Version = 3, "SA_AIS_ERR_VERSION", "version not supported";
    Init = 4, "SA_AIS_ERR_INIT", "a callback the call needs was not registered";
    Timeout = 5, "SA_AIS_ERR_TIMEOUT", "timed out";
    /// Not now: the executive is starting, busy or re-synchronising; try again.
    TryAgain = 6, "SA_AIS_ERR_TRY_AGAIN", "try again later";
    InvalidParam = 7, "SA_AIS_ERR_INVALID_PARAM", "invalid parameter";
    NoMemory = 8, "SA_AIS_ERR_NO_MEMORY", "out of memory";
    BadHandle = 9, "SA_AIS_ERR_BAD_HANDLE", "bad or finalized handle";
    Busy = 10, "SA_AIS_ERR_BUSY", "busy";
    /// The executive refused the caller.
    Access = 11, "SA_AIS_ERR_ACCESS", "access denied";
    NotExist = 12, "SA_AIS_ERR_NOT_EXIST", "does not exist";
    NameTooLong = 13, "SA_AIS_ERR_NAME_TOO_LONG", "name too long";
    Exist = 14, "SA_AIS_ERR_EXIST", "already exists";
    NoSpace = 15, "SA_AIS_ERR_NO_SPACE", "no space";
    Interrupt = 16, "SA_AIS_ERR_INTERRUPT", "interrupted";
    NameNotFound = 17, "SA_AIS_ERR_NAME_NOT_FOUND", "name not found";
    NoResources = 18, "SA_AIS_ERR_NO_RESOURCES", "out of resources";
    NotSupported = 19, "SA_AIS_ERR_NOT_SUPPORTED", "not supported";
    BadOperation = 20, "SA_AIS_ERR_BAD_OPERATION", "bad operation";
    FailedOperation = 21, "SA_AIS_ERR_FAILED_OPERATION", "operation failed";
    MessageError = 22, "SA_AIS_ERR_MESSAGE_ERROR", "message error";
    QueueFull = 23, "SA_AIS_ERR_QUEUE_FULL", "queue full";
    QueueNotAvailable = 24, "SA_AIS_ERR_QUEUE_NOT_AVAILABLE", "queue not available";
    BadFlags = 25, "SA_AIS_ERR_BAD_FLAGS", "bad flags";
    TooBig = 26, "SA_AIS_ERR_TOO_BIG", "too big";
    NoSections = 27, "SA_AIS_ERR_NO_SECTIONS", "no more sections";
    /// corosync's `CS_ERR_CONTEXT_NOT_FOUND` has the same number.
    NoOp = 28, "SA_AIS_ERR_NO_OP", "no operation";
    RepairPending = 29, "SA_AIS_ERR_REPAIR_PENDING", "repair pending";
    /// corosync's `CS_ERR_TOO_MANY_GROUPS` has the same number.
    NoBindings = 30, "SA_AIS_ERR_NO_BINDINGS", "no bindings";
    Unavailable = 31, "SA_AIS_ERR_UNAVAILABLE", "unavailable";
    CampaignErrorDetected = 32, "SA_AIS_ERR_CAMPAIGN_ERROR_DETECTED", "campaign error detected";
    CampaignProcFailed = 33, "SA_AIS_ERR_CAMPAIGN_PROC_FAILED", "campaign procedure failed";
    CampaignCanceled = 34, "SA_AIS_ERR_CAMPAIGN_CANCELED", "campaign canceled";
    CampaignFailed = 35, "SA_AIS_ERR_CAMPAIGN_FAILED", "campaign failed";
    CampaignSuspended = 36, "SA_AIS_ERR_CAMPAIGN_SUSPENDED", "campaign suspended";
    CampaignSuspending = 37, "SA_AIS_ERR_CAMPAIGN_SUSPENDING", "campaign suspending";
    AccessDenied = 38, "SA_AIS_ERR_ACCESS_DENIED", "access denied";
    NotReady = 39, "SA_AIS_ERR_NOT_READY", "not ready";
    Deployment = 40, "SA_AIS_ERR_DEPLOYMENT", "deployment error";
    /// openais's `SA_AIS_ERR_SECURITY` (corosync's `CS_ERR_SECURITY`).
    Security = 100, "SA_AIS_ERR_SECURITY", "security error";
}

impl Error {
    /// `Ok` for `SA_AIS_OK`, the error otherwise: a reply's or a callback's status.
    pub const fn check(code: u32) -> Result<(), Error> {
        match Error::from_code(code) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.code(), self.text())
    }
}

impl std::error::Error for Error {}

/// The C libraries return the number.
impl From<Error> for u32 {
    fn from(e: Error) -> u32 {
        e.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_back_to_itself() {
        assert_eq!(Error::from_code(1), None);
        for code in 0..=200u32 {
            if let Some(e) = Error::from_code(code) {
                assert_eq!(e.code(), code);
                assert_eq!(Error::from_code(e.code()), Some(e));
            }
        }
        assert_eq!(Error::from_code(11), Some(Error::Access));
        assert_eq!(Error::from_code(29), Some(Error::RepairPending));
        assert_eq!(Error::from_code(99), Some(Error::Other(99)));
        assert_eq!(u32::from(Error::TryAgain), 6);
    }

    /// The numbers the protocol uses are the enum's.
    #[test]
    fn the_protocol_status_numbers_are_the_enums() {
        use ais_proto::status as s;
        let pairs = [
            (s::LIBRARY, Error::Library),
            (s::VERSION, Error::Version),
            (s::TIMEOUT, Error::Timeout),
            (s::TRY_AGAIN, Error::TryAgain),
            (s::INVALID_PARAM, Error::InvalidParam),
            (s::NO_MEMORY, Error::NoMemory),
            (s::BAD_HANDLE, Error::BadHandle),
            (s::ACCESS, Error::Access),
            (s::NOT_EXIST, Error::NotExist),
            (s::EXIST, Error::Exist),
            (s::NO_RESOURCES, Error::NoResources),
            (s::NOT_SUPPORTED, Error::NotSupported),
            (s::BAD_FLAGS, Error::BadFlags),
            (s::TOO_BIG, Error::TooBig),
        ];
        for (code, e) in pairs {
            assert_eq!(Error::from_code(code), Some(e));
        }
        assert_eq!(Error::check(s::OK), Ok(()));
    }

    #[test]
    fn display_names_the_c_value() {
        assert_eq!(Error::Access.to_string(), "SA_AIS_ERR_ACCESS (11): access denied");
        assert!(Error::Other(77).to_string().contains("(77)"));
    }
}
