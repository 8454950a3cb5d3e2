//! The `SaAisErrorT` values the protocol itself produces (`ais_client::Error` names them,
//! and its tests and `ais-ffi`'s check them against the C header). Service payloads may carry any.

pub const OK: u32 = 1;
pub const LIBRARY: u32 = 2;
pub const VERSION: u32 = 3;
pub const TIMEOUT: u32 = 5;
pub const TRY_AGAIN: u32 = 6;
pub const INVALID_PARAM: u32 = 7;
pub const NO_MEMORY: u32 = 8;
pub const BAD_HANDLE: u32 = 9;
pub const ACCESS: u32 = 11;
pub const NOT_EXIST: u32 = 12;
pub const EXIST: u32 = 14;
pub const NO_RESOURCES: u32 = 18;
pub const NOT_SUPPORTED: u32 = 19;
pub const FAILED_OPERATION: u32 = 21;
pub const BAD_FLAGS: u32 = 25;
pub const TOO_BIG: u32 = 26;
pub const NO_OP: u32 = 28;
pub const UNAVAILABLE: u32 = 31;
