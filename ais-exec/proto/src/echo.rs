//! The echo service ([`crate::ServiceId::ECHO`]): message ids shared by the executive's test
//! implementation and the client tests. Not a product service.

/// Respond OK with the request's payload.
pub const ECHO: u16 = 1;
/// Payload `count: u32, blob`: push `count` [`CALLBACK`] frames carrying the blob on the
/// dispatch socket, then respond OK.
pub const CALLBACKS: u16 = 2;
/// The `msg` of the callbacks [`CALLBACKS`] pushes.
pub const CALLBACK: u16 = 3;
/// Payload `status: u32`: respond with that status and an empty payload.
pub const STATUS: u16 = 4;
/// Payload `millis: u32, blob`: respond OK with the blob after that many milliseconds.
pub const DELAY: u16 = 5;
/// Drop the request without responding (the server must answer SA_AIS_ERR_LIBRARY itself).
pub const DROP: u16 = 6;
