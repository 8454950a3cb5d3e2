//! Every running timer of the node, ordered by deadline: each operation is
//! O(log n) in the number of timers, so 100,000 on one handle cost no more
//! per call than a few.
//!
//! Times are `SaTimeT` nanoseconds of the wall clock the caller passes in;
//! nothing here reads a clock.

use ais_proto::status;
use ais_proto::tmr::{Attributes, MAX_TIMERS_PER_HANDLE, TIME_ABSOLUTE, TIME_DURATION};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;

/// One running timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer<C> {
    pub owner: C,
    /// As the application gave them (saTmrTimerAttributesGet returns them).
    pub attributes: Attributes,
    pub data: u64,
    /// The next expiration, wall clock.
    pub deadline: i64,
    /// Expirations since the timer was started or rescheduled.
    pub count: u64,
}

impl<C> Timer<C> {
    fn periodic(&self) -> bool {
        self.attributes.period > 0
    }
}

/// An expiration to report: the timer, its data and its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry<C> {
    pub owner: C,
    pub id: u64,
    pub data: u64,
    pub count: u64,
}

/// The first deadline of `a` asked at wall time `wall`, or the status that refuses it
/// (saTmrTimerStart's INVALID_PARAM cases: an unknown time type, a negative time or
/// period, a zero duration, an absolute time not in the future).
pub fn first_deadline(a: &Attributes, wall: i64) -> Result<i64, u32> {
    if a.initial < 0 || a.period < 0 {
        return Err(status::INVALID_PARAM);
    }
    match a.time_type {
        TIME_DURATION if a.initial > 0 => Ok(wall.saturating_add(a.initial)),
        TIME_ABSOLUTE if a.initial > wall => Ok(a.initial),
        _ => Err(status::INVALID_PARAM),
    }
}

/// The node's timers.
pub struct Timers<C> {
    by_id: HashMap<u64, Timer<C>>,
    /// (deadline, id): the order timers expire in; equal deadlines by start order.
    queue: BTreeSet<(i64, u64)>,
    by_owner: HashMap<C, HashSet<u64>>,
    next_id: u64,
}

impl<C: Copy + Eq + Hash> Default for Timers<C> {
    fn default() -> Self {
        Timers {
            by_id: HashMap::new(),
            queue: BTreeSet::new(),
            by_owner: HashMap::new(),
            next_id: 1,
        }
    }
}

impl<C: Copy + Eq + Hash> Timers<C> {
    /// `owner`'s timer `id`, if it is running.
    pub fn get(&self, owner: C, id: u64) -> Option<&Timer<C>> {
        self.by_id.get(&id).filter(|t| t.owner == owner)
    }

    /// Starts a timer at wall time `wall`: its id, or the status refusing it.
    pub fn start(&mut self, owner: C, attributes: Attributes, data: u64, wall: i64) -> Result<u64, u32> {
        let deadline = first_deadline(&attributes, wall)?;
        let mine = self.by_owner.entry(owner).or_default();
        if mine.len() >= MAX_TIMERS_PER_HANDLE {
            return Err(status::NO_RESOURCES);
        }
        let id = self.next_id;
        self.next_id += 1;
        mine.insert(id);
        self.queue.insert((deadline, id));
        self.by_id.insert(
            id,
            Timer {
                owner,
                attributes,
                data,
                deadline,
                count: 0,
            },
        );
        Ok(id)
    }

    /// New attributes for a running timer, from wall time `wall`; its count starts again.
    /// A single-event timer stays one, and a periodic one periodic
    /// (saTmrTimerReschedule: INVALID_PARAM otherwise).
    pub fn reschedule(&mut self, owner: C, id: u64, attributes: Attributes, wall: i64) -> Result<(), u32> {
        let Some(t) = self.by_id.get_mut(&id).filter(|t| t.owner == owner) else {
            return Err(status::NOT_EXIST);
        };
        let deadline = first_deadline(&attributes, wall)?;
        if (attributes.period > 0) != t.periodic() {
            return Err(status::INVALID_PARAM);
        }
        self.queue.remove(&(t.deadline, id));
        self.queue.insert((deadline, id));
        t.attributes = attributes;
        t.deadline = deadline;
        t.count = 0;
        Ok(())
    }

    /// Stops a timer: its data.
    pub fn cancel(&mut self, owner: C, id: u64) -> Result<u64, u32> {
        if self.get(owner, id).is_none() {
            return Err(status::NOT_EXIST);
        }
        Ok(self.remove(id).map_or(0, |t| t.data))
    }

    /// Skips a periodic timer's next expiration; a single-event timer cannot be skipped
    /// (NOT_EXIST, as openais and OpenSAF answer).
    pub fn skip(&mut self, owner: C, id: u64) -> Result<(), u32> {
        let Some(t) = self.by_id.get_mut(&id).filter(|t| t.owner == owner && t.periodic()) else {
            return Err(status::NOT_EXIST);
        };
        self.queue.remove(&(t.deadline, id));
        t.deadline = t.deadline.saturating_add(t.attributes.period);
        self.queue.insert((t.deadline, id));
        Ok(())
    }

    /// Drops every timer of `owner` (its handle is gone).
    pub fn drop_owner(&mut self, owner: C) {
        for id in self.by_owner.remove(&owner).unwrap_or_default() {
            if let Some(t) = self.by_id.remove(&id) {
                self.queue.remove(&(t.deadline, id));
            }
        }
    }

    fn remove(&mut self, id: u64) -> Option<Timer<C>> {
        let t = self.by_id.remove(&id)?;
        self.queue.remove(&(t.deadline, id));
        if let Some(ids) = self.by_owner.get_mut(&t.owner) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_owner.remove(&t.owner);
            }
        }
        Some(t)
    }

    /// The earliest deadline.
    pub fn earliest(&self) -> Option<i64> {
        self.queue.first().map(|(d, _)| *d)
    }

    /// Every expiration due at wall time `wall`, in deadline order. A single-event timer
    /// is gone after it; a periodic one moves on by its period. Periods that all passed
    /// before this call (the executive was late) make one expiration whose count includes
    /// them, at the place of the first.
    pub fn expire(&mut self, wall: i64) -> Vec<Expiry<C>> {
        let mut out = Vec::new();
        while let Some(&(deadline, id)) = self.queue.first() {
            if deadline > wall {
                break;
            }
            self.queue.pop_first();
            let Some(t) = self.by_id.get_mut(&id) else { continue };
            if t.periodic() {
                let period = t.attributes.period;
                let passed = ((wall - deadline) / period) as u64 + 1;
                t.count = t.count.saturating_add(passed);
                t.deadline = deadline.saturating_add(period.saturating_mul(passed as i64));
                self.queue.insert((t.deadline, id));
                out.push(Expiry {
                    owner: t.owner,
                    id,
                    data: t.data,
                    count: t.count,
                });
            } else {
                let (owner, data) = (t.owner, t.data);
                self.remove(id);
                out.push(Expiry {
                    owner,
                    id,
                    data,
                    count: 1,
                });
            }
        }
        out
    }

    /// How many timers `owner` has running.
    pub fn count_of(&self, owner: C) -> usize {
        self.by_owner.get(&owner).map_or(0, HashSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn rel(initial: i64, period: i64) -> Attributes {
        Attributes {
            time_type: TIME_DURATION,
            initial,
            period,
        }
    }

    fn abs(initial: i64, period: i64) -> Attributes {
        Attributes {
            time_type: TIME_ABSOLUTE,
            initial,
            period,
        }
    }

    /// saTmrTimerStart's INVALID_PARAM cases (SAI-AIS-TMR-A.01.01, and OpenSAF's
    /// StartDurationAndAbsoluteWithZeroTimeToExpiry for an absolute time not ahead).
    #[test]
    fn invalid_attributes_are_refused() {
        let wall = 1_000 * MS;
        for a in [
            Attributes {
                time_type: 0,
                initial: MS,
                period: 0,
            },
            Attributes {
                time_type: 3,
                initial: MS,
                period: 0,
            },
            rel(0, 0),
            rel(-MS, 0),
            rel(MS, -MS),
            abs(wall, 0),
            abs(wall - 1, MS),
        ] {
            assert_eq!(first_deadline(&a, wall), Err(status::INVALID_PARAM), "{a:?}");
        }
        assert_eq!(first_deadline(&rel(5, 0), wall), Ok(wall + 5));
        assert_eq!(first_deadline(&abs(wall + 1, 0), wall), Ok(wall + 1));
    }

    /// SaTmrTimerExpiredCallbackT: timers expire in deadline order, single-event ones once.
    #[test]
    fn timers_expire_in_deadline_order() {
        let mut t = Timers::<u8>::default();
        let c = t.start(1, rel(30, 0), 3, 0).unwrap();
        let a = t.start(1, rel(10, 0), 1, 0).unwrap();
        let b = t.start(2, abs(20, 0), 2, 0).unwrap();
        assert_eq!(t.earliest(), Some(10));
        assert!(t.expire(9).is_empty());
        let ids: Vec<_> = t.expire(30).iter().map(|e| (e.id, e.owner, e.data, e.count)).collect();
        assert_eq!(ids, vec![(a, 1, 1, 1), (b, 2, 2, 1), (c, 1, 3, 1)]);
        assert_eq!(t.earliest(), None);
        assert_eq!(t.cancel(1, a), Err(status::NOT_EXIST));
    }

    /// A periodic timer's count is the expirations since it started; periods passed
    /// before one expiry pass come as one expiration counting them all (OpenSAF's
    /// MultipleExpirationsBeforeCallback).
    #[test]
    fn periodic_counts_and_late_expirations() {
        let mut t = Timers::<u8>::default();
        let id = t.start(1, rel(10, 5), 0, 0).unwrap();
        assert_eq!(t.expire(10)[0].count, 1);
        assert_eq!(t.earliest(), Some(15));
        assert_eq!(t.expire(15)[0].count, 2);
        // 20, 25 and 30 all passed: one expiration counting 5; next at 35.
        let e = t.expire(32);
        assert_eq!((e.len(), e[0].id, e[0].count), (1, id, 5));
        assert_eq!(t.earliest(), Some(35));
        assert_eq!(t.get(1, id).unwrap().attributes, rel(10, 5));
    }

    /// saTmrPeriodicTimerSkip: the next expiration is skipped; single-event: NOT_EXIST.
    #[test]
    fn skip_moves_a_periodic_timer_by_one_period() {
        let mut t = Timers::<u8>::default();
        let p = t.start(1, rel(10, 100), 0, 0).unwrap();
        let s = t.start(1, rel(10, 0), 0, 0).unwrap();
        assert_eq!(t.skip(1, p), Ok(()));
        assert_eq!(t.get(1, p).unwrap().deadline, 110);
        assert_eq!(t.skip(1, s), Err(status::NOT_EXIST));
        assert_eq!(t.skip(2, p), Err(status::NOT_EXIST));
        let e = t.expire(110);
        assert_eq!(e.iter().map(|e| e.id).collect::<Vec<_>>(), vec![s, p]);
    }

    /// saTmrTimerReschedule: new attributes and deadline, id and data kept; a timer
    /// cannot change between single-event and periodic (OpenSAF's
    /// ReschedulePeriodicToSingleEvent, RescheduleSingleEventToPeriodic).
    #[test]
    fn reschedule_replaces_the_deadline() {
        let mut t = Timers::<u8>::default();
        let id = t.start(1, rel(1_000, 0), 7, 0).unwrap();
        assert_eq!(t.reschedule(1, id, rel(10, 0), 5), Ok(()));
        assert_eq!(t.earliest(), Some(15));
        assert_eq!(t.reschedule(1, id, rel(10, 10), 5), Err(status::INVALID_PARAM));
        assert_eq!(t.reschedule(1, id, rel(0, 0), 5), Err(status::INVALID_PARAM));
        assert_eq!(t.reschedule(2, id, rel(10, 0), 5), Err(status::NOT_EXIST));
        assert_eq!(t.get(1, id).unwrap().attributes, rel(10, 0));
        let e = t.expire(15);
        assert_eq!((e[0].id, e[0].data), (id, 7));
    }

    /// saTmrTimerCancel returns the data; the timer never expires. Timers die with their
    /// handle (saTmrFinalize).
    #[test]
    fn cancel_and_dropping_an_owner() {
        let mut t = Timers::<u8>::default();
        let a = t.start(1, rel(10, 0), 11, 0).unwrap();
        let b = t.start(1, rel(10, 10), 12, 0).unwrap();
        let c = t.start(2, rel(20, 0), 13, 0).unwrap();
        assert_eq!(t.cancel(2, a), Err(status::NOT_EXIST));
        assert_eq!(t.cancel(1, a), Ok(11));
        t.drop_owner(1);
        assert!(t.get(1, b).is_none());
        assert_eq!(t.count_of(1), 0);
        let e = t.expire(100);
        assert_eq!(e.iter().map(|e| e.id).collect::<Vec<_>>(), vec![c]);
    }

    /// 100,000 timers on one handle: each expires once, in order (the table is a
    /// BTreeSet, so this runs in well under a second).
    #[test]
    fn a_hundred_thousand_timers_expire_in_order() {
        let mut t = Timers::<u8>::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t.start(1, rel(1 + (x % 1_000_000) as i64, 0), x, 0).unwrap();
        }
        assert_eq!(t.count_of(1), 100_000);
        let mut last = 0;
        let mut n = 0;
        for wall in (0..=1_000_000).step_by(1_000) {
            for e in t.expire(wall) {
                let d = 1 + (e.data % 1_000_000) as i64;
                assert!(d >= last && d <= wall);
                last = d;
                n += 1;
            }
        }
        assert_eq!(n, 100_000);
        assert_eq!(t.count_of(1), 0);
    }

    #[test]
    fn a_handle_holds_a_bounded_number_of_timers() {
        let mut t = Timers::<u8>::default();
        for _ in 0..MAX_TIMERS_PER_HANDLE {
            t.start(1, rel(10, 0), 0, 0).unwrap();
        }
        assert_eq!(t.start(1, rel(10, 0), 0, 0), Err(status::NO_RESOURCES));
        assert!(t.start(2, rel(10, 0), 0, 0).is_ok());
    }
}
