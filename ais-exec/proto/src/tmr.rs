//! The timer service's messages between `libSaTmr` and the executive (TMR A.01.01).
//!
//! Times are `SaTimeT`: signed nanoseconds, absolute ones since the epoch
//! (`CLOCK_REALTIME`). A timer's data is the application's pointer, carried as a `u64`
//! the executive never interprets.
//!
//! | msg | request | response |
//! |-----|---------|----------|
//! | [`START`] | [`Attributes`], data `u64` | [`Started`] |
//! | [`RESCHEDULE`] | timer `u64`, [`Attributes`] | call time `i64` |
//! | [`CANCEL`] | timer `u64` | data `u64` |
//! | [`SKIP`] | timer `u64` | empty |
//! | [`REMAINING`] | timer `u64` | remaining `i64` |
//! | [`ATTRIBUTES`] | timer `u64` | [`Attributes`] |
//!
//! Callback: [`EXPIRED`] ([`Expired`]).

use crate::codec::{DecodeError, EncodeError, Reader, Writer};
use crate::message::Message;

/// Request: [`Start`]. Response: [`Started`].
pub const START: u16 = 1;
/// Request: [`Reschedule`]. Response: [`Time`] (the call time).
pub const RESCHEDULE: u16 = 2;
/// Request: [`TimerId`]. Response: [`Data`].
pub const CANCEL: u16 = 3;
/// Request: [`TimerId`]. Response empty.
pub const SKIP: u16 = 4;
/// Request: [`TimerId`]. Response: [`Time`] (the time left).
pub const REMAINING: u16 = 5;
/// Request: [`TimerId`]. Response: [`Attributes`].
pub const ATTRIBUTES: u16 = 6;
/// Callback: [`Expired`].
pub const EXPIRED: u16 = 101;

/// `SA_TIME_ABSOLUTE`: the initial expiration time is a time since the epoch.
pub const TIME_ABSOLUTE: u32 = 1;
/// `SA_TIME_DURATION`: the initial expiration time is counted from the call.
pub const TIME_DURATION: u32 = 2;

/// Most timers one handle may have running (`SA_AIS_ERR_NO_RESOURCES` beyond): what a
/// client can make the executive hold is bounded (aisexec(8), CLIENT LIMITS).
pub const MAX_TIMERS_PER_HANDLE: usize = 1 << 18;

/// `SaTmrTimerAttributesT` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attributes {
    /// `SaTmrTimeTypeT` as the caller gave it (checked by the executive).
    pub time_type: u32,
    pub initial: i64,
    /// 0 for a single-event timer.
    pub period: i64,
}

impl Message for Attributes {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u32(self.time_type).i64(self.initial).i64(self.period);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Attributes {
            time_type: r.u32()?,
            initial: r.i64()?,
            period: r.i64()?,
        })
    }
}

/// START's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    pub attributes: Attributes,
    pub data: u64,
}

impl Message for Start {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        self.attributes.put(w)?;
        w.u64(self.data);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Start {
            attributes: Attributes::get(r)?,
            data: r.u64()?,
        })
    }
}

/// START's response: the new timer's id and the time the call was processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    pub id: u64,
    pub call_time: i64,
}

impl Message for Started {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.id).i64(self.call_time);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Started {
            id: r.u64()?,
            call_time: r.i64()?,
        })
    }
}

/// RESCHEDULE's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reschedule {
    pub id: u64,
    pub attributes: Attributes,
}

impl Message for Reschedule {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.id);
        self.attributes.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Reschedule {
            id: r.u64()?,
            attributes: Attributes::get(r)?,
        })
    }
}

/// A request naming one timer (CANCEL, SKIP, REMAINING, ATTRIBUTES).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerId(pub u64);

impl Message for TimerId {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.0);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TimerId(r.u64()?))
    }
}

/// A response of one `SaTimeT` (RESCHEDULE's call time, REMAINING's time left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub i64);

impl Message for Time {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.i64(self.0);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Time(r.i64()?))
    }
}

/// CANCEL's response: the timer's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data(pub u64);

impl Message for Data {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.0);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Data(r.u64()?))
    }
}

/// The EXPIRED callback: the timer, its data and its expiration count (expirations since
/// it was started or rescheduled, this one included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    pub id: u64,
    pub data: u64,
    pub count: u64,
}

impl Message for Expired {
    fn put(&self, w: &mut Writer) -> Result<(), EncodeError> {
        w.u64(self.id).u64(self.data).u64(self.count);
        Ok(())
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Expired {
            id: r.u64()?,
            data: r.u64()?,
            count: r.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::message::round_trip;

    #[test]
    fn every_message_round_trips_and_refuses_cuts() {
        let a = Attributes {
            time_type: TIME_ABSOLUTE,
            initial: 1_700_000_000_000_000_000,
            period: -1,
        };
        round_trip(a);
        round_trip(Start {
            attributes: a,
            data: u64::MAX,
        });
        round_trip(Started { id: 7, call_time: 42 });
        round_trip(Reschedule { id: 9, attributes: a });
        round_trip(TimerId(3));
        round_trip(Time(i64::MIN));
        round_trip(Data(0xdead_beef));
        round_trip(Expired {
            id: 1,
            data: 2,
            count: 3,
        });
    }

    #[test]
    fn the_time_types_are_the_headers() {
        // SaTmrTimeTypeT in SAI-AIS-TMR-A.01.01.
        assert_eq!((TIME_ABSOLUTE, TIME_DURATION), (1, 2));
    }
}
