//! The timer service (TMR A.01.01), the executive side.
//!
//! Timers are node-local, as openais kept them: nothing is replicated and no
//! cluster message is sent. Each handle's timers live here, in one
//! deadline-ordered table, and die with the handle. Deadlines are
//! `CLOCK_REALTIME` nanoseconds (`SaTimeT`), the clock absolute timers are
//! defined against; the driver's monotonic `now` only says when to look again.
//!
//! - [`timers`]: the table: start, reschedule, cancel, skip, expiry in
//!   deadline order, O(log n) each.
//! - [`service`]: client requests in, expiration callbacks out.

pub mod service;
pub mod timers;
