//! The IPC wire format between the AIS client libraries (`ais-ffi`) and the executive
//! (`aisexec`), shared by both sides and free of any runtime: no tokio, no sockets.
//!
//! - [`frame`]: the fixed 24-byte header every frame starts with, the frame kinds, the
//!   service ids and the size limit, checked before a payload is allocated.
//! - [`handshake`]: `Hello` / `Welcome` / `Refused` on the request socket, `Attach` /
//!   `Attached` pairing the dispatch socket with it.
//! - [`codec`]: the bounds-checked [`Reader`] and [`Writer`] service messages are written
//!   with, in either byte order.
//! - [`message`]: the [`Message`] trait: one IPC payload as a whole.
//! - [`addr`]: the socket name (`AIS_IPC_SOCKET`, `@name` for the abstract namespace).
//! - [`status`]: the `SaAisErrorT` numbers the protocol itself carries.
//! - [`cfg`]: the configuration service's messages (`ais-cfgtool`).
//! - [`clm`]: the cluster membership service's messages.
//! - [`ckpt`]: the checkpoint service's messages.
//! - [`cpg`]: the process group service's messages.
//! - [`evs`]: the extended virtual synchrony service's messages.
//! - [`evt`]: the event service's messages.
//! - [`tmr`]: the timer service's messages.
//! - [`lck`]: the lock service's messages.
//! - [`msg`]: the message service's messages.
//! - [`echo`]: the message ids of the test-only echo service.
//!
//! Every decoder here is total: any input gives a value or an error, never a panic, and
//! never an allocation sized by an unchecked length ([`fuzzing`] holds the fuzz bodies).

pub mod addr;
pub mod cfg;
pub mod ckpt;
pub mod clm;
pub mod codec;
pub mod cpg;
pub mod echo;
pub mod evs;
pub mod evt;
pub mod frame;
pub mod fuzzing;
pub mod handshake;
pub mod lck;
pub mod message;
pub mod msg;
pub mod status;
pub mod tmr;

pub use addr::{SocketName, DEFAULT_SOCKET, SOCKET_ENV};
pub use codec::{Be, ByteOrder, DecodeError, EncodeError, Le, Reader, Writer, MAX_NAME_LEN};
pub use frame::{
    credit, encode_frame, flags, split_frame, FrameError, Header, Kind, Limits, ServiceId, DEFAULT_MAX_PAYLOAD,
    HARD_MAX_PAYLOAD, HEADER_LEN, MAGIC, PROTOCOL_VERSION,
};
pub use handshake::{AisVersion, Attach, Attached, Handshake, Hello, Refused, Welcome, MAX_HANDSHAKE_PAYLOAD};
pub use message::Message;
