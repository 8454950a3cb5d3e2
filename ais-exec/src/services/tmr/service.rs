//! The TMR service as the executive runs it: every request is answered at
//! once from the node's timer table ([`Timers`]); expirations become
//! EXPIRED callbacks on the owner's dispatch channel. No cluster messages.

use super::timers::Timers;
use crate::ipc::{AisVersion, ServiceId};
use crate::services::clock::WallClock;
use crate::services::contract::{Effect, Handling, HostView, Reply, RingId, Service};
use crate::services::registry::Setup;
use ais_proto::status;
use ais_proto::tmr::{self as msg, Data, Expired, Reschedule, Start, Started, Time, TimerId};
use ais_proto::Message;
use std::hash::Hash;

pub type NodeId = u32;

pub struct TmrService<C> {
    timers: Timers<C>,
    /// `SaTimeT` now (CLOCK_REALTIME nanoseconds); replaced in tests.
    wall: WallClock,
}

impl<C: Copy + Eq + Hash> Default for TmrService<C> {
    fn default() -> Self {
        TmrService {
            timers: Timers::default(),
            wall: WallClock::default(),
        }
    }
}

impl<C: Copy + Eq + Hash> TmrService<C> {
    pub fn new() -> TmrService<C> {
        TmrService::default()
    }

    /// Replaces the `SaTimeT` clock (tests).
    pub fn set_wall_clock(&mut self, f: impl Fn() -> i64 + Send + Sync + 'static) {
        self.wall = WallClock::new(f);
    }

    /// This service as the registry builds it.
    pub fn from_setup(s: &Setup) -> Self {
        let mut svc = TmrService::new();
        svc.wall = s.wall.clone();
        svc
    }

    fn answer(&mut self, conn: C, msg_id: u16, payload: &[u8]) -> Result<Vec<u8>, u32> {
        let bad = |_| status::INVALID_PARAM;
        let wall = self.wall.now();
        let encoded = |m: &dyn Fn() -> Result<Vec<u8>, ais_proto::EncodeError>| m().map_err(|_| status::LIBRARY);
        match msg_id {
            msg::START => {
                let s = Start::decode(payload).map_err(bad)?;
                let id = self.timers.start(conn, s.attributes, s.data, wall)?;
                encoded(&|| Started { id, call_time: wall }.encode())
            }
            msg::RESCHEDULE => {
                let r = Reschedule::decode(payload).map_err(bad)?;
                self.timers.reschedule(conn, r.id, r.attributes, wall)?;
                encoded(&|| Time(wall).encode())
            }
            _ => {
                let TimerId(id) = TimerId::decode(payload).map_err(bad)?;
                match msg_id {
                    msg::CANCEL => {
                        let data = self.timers.cancel(conn, id)?;
                        encoded(&|| Data(data).encode())
                    }
                    msg::SKIP => self.timers.skip(conn, id).map(|()| Vec::new()),
                    msg::REMAINING => {
                        let t = self.timers.get(conn, id).ok_or(status::NOT_EXIST)?;
                        let left = t.deadline.saturating_sub(wall).max(0);
                        encoded(&|| Time(left).encode())
                    }
                    msg::ATTRIBUTES => {
                        let t = self.timers.get(conn, id).ok_or(status::NOT_EXIST)?;
                        encoded(&|| t.attributes.encode())
                    }
                    _ => Err(status::NOT_SUPPORTED),
                }
            }
        }
    }
}

impl<C: Copy + Eq + Hash + Send> Service<C> for TmrService<C> {
    fn id(&self) -> ServiceId {
        ServiceId::TMR
    }

    fn version(&self) -> AisVersion {
        AisVersion::new(b'A', 1, 1)
    }

    /// The handle's timers die with it (saTmrFinalize, or its process died).
    fn disconnected(&mut self, conn: C) -> Vec<Effect<C>> {
        self.timers.drop_owner(conn);
        Vec::new()
    }

    fn request(&mut self, conn: C, msg_id: u16, payload: &[u8], _: &dyn HostView) -> Handling<C> {
        match self.answer(conn, msg_id, payload) {
            Ok(payload) => Handling::reply(Reply {
                status: status::OK,
                payload,
            }),
            Err(st) => Handling::status(st),
        }
    }

    /// TMR has no cluster messages.
    fn delivered(&mut self, _: NodeId, _: &[u8], _: u64) -> Vec<Effect<C>> {
        Vec::new()
    }

    fn configuration(&mut self, _: RingId, _: &[NodeId], _: u64) -> Vec<Effect<C>> {
        Vec::new()
    }

    /// The expirations due by the wall clock, in deadline order.
    fn tick(&mut self, _now: u64) -> Vec<Effect<C>> {
        let wall = self.wall.now();
        self.timers
            .expire(wall)
            .into_iter()
            .map(|e| Effect::Callback {
                conn: e.owner,
                msg: msg::EXPIRED,
                status: status::OK,
                payload: Expired {
                    id: e.id,
                    data: e.data,
                    count: e.count,
                }
                .encode()
                .unwrap_or_default(),
            })
            .collect()
    }

    /// The earliest deadline, moved from the wall clock onto the driver's monotonic one.
    fn next_deadline(&self, now: u64) -> Option<u64> {
        let left = self.timers.earliest()?.saturating_sub(self.wall.now()).max(0);
        Some(now.saturating_add(left as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_proto::tmr::{Attributes, TIME_ABSOLUTE, TIME_DURATION};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    struct NoHost;
    impl HostView for NoHost {
        fn ring_status(&self) -> ais_proto::cfg::RingStatus {
            ais_proto::cfg::RingStatus::default()
        }
    }

    fn service() -> (TmrService<u8>, Arc<AtomicI64>) {
        let clock = Arc::new(AtomicI64::new(1_000_000));
        let c = clock.clone();
        let mut s = TmrService::new();
        s.set_wall_clock(move || c.load(Ordering::SeqCst));
        (s, clock)
    }

    fn call(s: &mut TmrService<u8>, conn: u8, id: u16, payload: Vec<u8>) -> Reply {
        s.request(conn, id, &payload, &NoHost).now().0
    }

    fn start(s: &mut TmrService<u8>, conn: u8, a: Attributes, data: u64) -> Started {
        let r = call(s, conn, msg::START, Start { attributes: a, data }.encode().unwrap());
        assert_eq!(r.status, status::OK);
        Started::decode(&r.payload).unwrap()
    }

    fn rel(initial: i64, period: i64) -> Attributes {
        Attributes {
            time_type: TIME_DURATION,
            initial,
            period,
        }
    }

    /// saTmrTimerStart: callTime is the time the call was processed and a relative
    /// timer's deadline is callTime + duration; the callback carries id, data, count;
    /// the expired timer is NOT_EXIST.
    #[test]
    fn a_timer_expires_as_a_callback_to_its_handle() {
        let (mut s, clock) = service();
        let st = start(&mut s, 1, rel(500, 0), 42);
        assert_eq!(st.call_time, 1_000_000);
        assert_eq!(s.next_deadline(10), Some(510));
        let r = call(&mut s, 1, msg::REMAINING, TimerId(st.id).encode().unwrap());
        assert_eq!(Time::decode(&r.payload), Ok(Time(500)));
        clock.store(1_000_499, Ordering::SeqCst);
        assert!(s.tick(0).is_empty());
        clock.store(1_000_500, Ordering::SeqCst);
        let fx = s.tick(0);
        let want = Expired {
            id: st.id,
            data: 42,
            count: 1,
        };
        assert_eq!(
            fx,
            vec![Effect::Callback {
                conn: 1,
                msg: msg::EXPIRED,
                status: status::OK,
                payload: want.encode().unwrap()
            }]
        );
        assert_eq!(s.next_deadline(10), None);
        let r = call(&mut s, 1, msg::CANCEL, TimerId(st.id).encode().unwrap());
        assert_eq!(r.status, status::NOT_EXIST);
    }

    /// Timers belong to their handle: another one sees NOT_EXIST, and a handle's
    /// disconnect drops its timers (saTmrFinalize).
    #[test]
    fn timers_belong_to_their_handle_and_die_with_it() {
        let (mut s, clock) = service();
        let a = start(&mut s, 1, rel(10, 0), 1);
        let b = start(&mut s, 2, rel(20, 0), 2);
        for m in [msg::CANCEL, msg::SKIP, msg::REMAINING, msg::ATTRIBUTES] {
            assert_eq!(
                call(&mut s, 2, m, TimerId(a.id).encode().unwrap()).status,
                status::NOT_EXIST
            );
        }
        s.disconnected(1);
        clock.store(2_000_000, Ordering::SeqCst);
        let fx = s.tick(0);
        assert_eq!(fx.len(), 1);
        assert!(matches!(&fx[0], Effect::Callback { conn: 2, payload, .. }
            if Expired::decode(payload).unwrap().id == b.id));
    }

    /// saTmrTimerReschedule answers the new callTime; attributes and cancel's data.
    #[test]
    fn reschedule_attributes_and_cancel() {
        let (mut s, clock) = service();
        let st = start(&mut s, 1, rel(10_000, 0), 9);
        clock.store(1_000_100, Ordering::SeqCst);
        let abs = Attributes {
            time_type: TIME_ABSOLUTE,
            initial: 1_000_200,
            period: 0,
        };
        let r = call(
            &mut s,
            1,
            msg::RESCHEDULE,
            Reschedule {
                id: st.id,
                attributes: abs,
            }
            .encode()
            .unwrap(),
        );
        assert_eq!((r.status, Time::decode(&r.payload)), (status::OK, Ok(Time(1_000_100))));
        let r = call(&mut s, 1, msg::ATTRIBUTES, TimerId(st.id).encode().unwrap());
        assert_eq!(Attributes::decode(&r.payload), Ok(abs));
        assert_eq!(s.next_deadline(0), Some(100));
        let r = call(&mut s, 1, msg::CANCEL, TimerId(st.id).encode().unwrap());
        assert_eq!((r.status, Data::decode(&r.payload)), (status::OK, Ok(Data(9))));
        assert_eq!(s.next_deadline(0), None);
    }

    #[test]
    fn bad_requests_are_refused() {
        let (mut s, _) = service();
        assert_eq!(call(&mut s, 1, msg::START, vec![1, 2]).status, status::INVALID_PARAM);
        assert_eq!(call(&mut s, 1, msg::CANCEL, vec![]).status, status::INVALID_PARAM);
        assert_eq!(
            call(&mut s, 1, 77, TimerId(1).encode().unwrap()).status,
            status::NOT_SUPPORTED
        );
        let zero = Start {
            attributes: rel(0, 0),
            data: 0,
        };
        assert_eq!(
            call(&mut s, 1, msg::START, zero.encode().unwrap()).status,
            status::INVALID_PARAM
        );
    }
}
