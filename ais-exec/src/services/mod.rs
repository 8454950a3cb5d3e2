//! The AIS services as replicated state machines: each applies the totem
//! deliveries and configuration changes in agreed order, identically on every
//! node, and answers its local clients.

pub mod ckpt;
pub mod clm;
pub mod cpg;
pub mod evs;
pub mod host;

/// What a service asks its host (the ordering task) to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect<C> {
    /// Multicast this service message to every executive, in agreed order.
    Multicast(Vec<u8>),
    /// Send a callback frame on `conn`'s dispatch channel.
    Callback {
        conn: C,
        msg: u16,
        status: u32,
        payload: Vec<u8>,
    },
}

/// A reply to a request: the status for the frame header and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u32,
    pub payload: Vec<u8>,
}

impl Reply {
    /// A reply with a status and no payload.
    pub fn status(status: u32) -> Reply {
        Reply {
            status,
            payload: Vec::new(),
        }
    }
}
