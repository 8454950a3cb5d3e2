//! One subscriber's delivery queue: the events waiting for its library to pull them,
//! highest priority first, bounded as openais bounded it (`event { delivery_queue_size;
//! delivery_queue_resume }`).
//!
//! When the queue is full it overflows: the subscriber is owed one lost-event event
//! (`SA_EVT_EVENTID_LOST`, delivered before anything else), and until it has drained
//! below the resume mark an arriving event is kept only by dropping a queued one of lower
//! priority (the newest of the lowest); otherwise it is dropped itself. So the queue never
//! holds more than its size, and a subscriber that stops reading holds up nobody.

use ais_proto::evt::{Event, LOWEST_PRIORITY, MAX_QUEUE_BYTES};
use std::collections::VecDeque;
use std::sync::Arc;

/// The bounds of every subscriber's queue: openais.conf's `event { delivery_queue_size;
/// delivery_queue_resume }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryQueue {
    pub size: usize,
    pub resume: usize,
}

impl Default for DeliveryQueue {
    /// openais's defaults.
    fn default() -> DeliveryQueue {
        DeliveryQueue {
            size: 1000,
            resume: 500,
        }
    }
}

/// One queued delivery: the event for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub open_id: u32,
    pub sub_id: u32,
    pub event: Arc<Event>,
}

const LEVELS: usize = LOWEST_PRIORITY as usize + 1;

#[derive(Debug, Default)]
pub struct Queue {
    levels: [VecDeque<Entry>; LEVELS],
    len: usize,
    /// What the queued events hold (an event queued for several subscriptions of the
    /// connection is counted each time: a bound, not an exact figure).
    bytes: usize,
    /// Dropping since the queue was last full: nothing enters unless it evicts.
    overflow: bool,
    /// The lost-event event owed, for this subscription (open id, subscription id).
    lost: Option<(u32, u32)>,
    /// An AVAILABLE callback is outstanding (the library will pull).
    pub notified: bool,
}

/// What [`Queue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// An event was dropped (the new one, or a queued one of lower priority).
    Dropped,
}

impl Queue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.lost.is_none()
    }

    fn lowest_queued(&self) -> Option<usize> {
        (0..LEVELS).rev().find(|&l| !self.levels[l].is_empty())
    }

    /// Queues `e` under a bound of `size` entries.
    pub fn push(&mut self, e: Entry, size: usize) -> Pushed {
        let level = (e.event.attributes.priority as usize).min(LEVELS - 1);
        let bytes = e.event.bytes();
        if !self.overflow && self.len < size && self.bytes + bytes <= MAX_QUEUE_BYTES {
            self.levels[level].push_back(e);
            self.len += 1;
            self.bytes += bytes;
            return Pushed::Queued;
        }
        if !self.overflow {
            self.overflow = true;
            self.lost = Some((e.open_id, e.sub_id));
        }
        match self.lowest_queued() {
            Some(low) if low > level => {
                if let Some(gone) = self.levels[low].pop_back() {
                    self.bytes -= gone.event.bytes();
                }
                // Kept only within the byte bound too.
                if self.bytes + bytes <= MAX_QUEUE_BYTES {
                    self.bytes += bytes;
                    self.levels[level].push_back(e);
                } else {
                    self.len -= 1;
                }
            }
            _ => {}
        }
        Pushed::Dropped
    }

    /// The next delivery: the lost-event event if owed, then the oldest event of the
    /// highest priority. `resume` ends an overflow once the queue is below it.
    pub fn pop(&mut self, resume: usize, now: i64) -> Option<Entry> {
        let out = if let Some((open_id, sub_id)) = self.lost.take() {
            Some(Entry {
                open_id,
                sub_id,
                event: Arc::new(Event::lost(now)),
            })
        } else {
            let level = (0..LEVELS).find(|&l| !self.levels[l].is_empty())?;
            let e = self.levels[level].pop_front()?;
            self.len -= 1;
            self.bytes -= e.event.bytes();
            Some(e)
        };
        if self.overflow && (self.len < resume || self.len == 0) {
            self.overflow = false;
        }
        out
    }

    /// Drops what waits for the subscriptions `gone` says (closed or unsubscribed).
    pub fn remove(&mut self, gone: impl Fn(&Entry) -> bool) {
        for l in &mut self.levels {
            l.retain(|e| !gone(e));
        }
        self.len = self.levels.iter().map(VecDeque::len).sum();
        self.bytes = self.levels.iter().flatten().map(|e| e.event.bytes()).sum();
        if let Some((open_id, sub_id)) = self.lost {
            let probe = Entry {
                open_id,
                sub_id,
                event: Arc::new(Event::default()),
            };
            if gone(&probe) {
                self.lost = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ais_proto::evt::{Attributes, EVENTID_LOST, LOST_EVENT_PATTERN};

    fn entry(id: u64, priority: u8) -> Entry {
        Entry {
            open_id: 1,
            sub_id: 7,
            event: Arc::new(Event {
                id,
                attributes: Attributes {
                    priority,
                    ..Attributes::default()
                },
                ..Event::default()
            }),
        }
    }

    fn ids(q: &mut Queue, resume: usize) -> Vec<u64> {
        std::iter::from_fn(|| q.pop(resume, 0)).map(|e| e.event.id).collect()
    }

    /// Within one subscriber, higher priority first where events wait (SAI-AIS-EVT
    /// 3.3.1 event priority), each priority in publish order.
    #[test]
    fn waiting_events_leave_highest_priority_first() {
        let mut q = Queue::default();
        for (id, p) in [(1, 3), (2, 1), (3, 3), (4, 0), (5, 1)] {
            assert_eq!(q.push(entry(id, p), 10), Pushed::Queued);
        }
        assert_eq!(ids(&mut q, 5), vec![4, 2, 5, 1, 3]);
        assert!(q.is_empty());
    }

    /// openais's delivery_queue_size/resume: on overflow one lost-event event
    /// (SA_EVT_EVENTID_LOST, pattern SA_EVT_LOST_EVENT) comes first; lowest priority is
    /// dropped first; nothing is queued past the size until below the resume mark.
    #[test]
    fn overflow_owes_one_lost_event_and_drops_lowest_priority_first() {
        let mut q = Queue::default();
        for id in 1..=4 {
            q.push(entry(id, 3), 4);
        }
        assert_eq!(q.push(entry(5, 3), 4), Pushed::Dropped, "full: the new low one goes");
        assert_eq!(
            q.push(entry(6, 0), 4),
            Pushed::Dropped,
            "a high one evicts the newest low one"
        );
        assert_eq!(q.len(), 4);
        let lost = q.pop(2, 9).unwrap();
        assert_eq!(lost.event.id, EVENTID_LOST);
        assert_eq!(lost.event.attributes.patterns, vec![LOST_EVENT_PATTERN.to_vec()]);
        assert_eq!(q.pop(2, 9).unwrap().event.id, 6);
        assert_eq!(
            q.push(entry(7, 3), 4),
            Pushed::Dropped,
            "still at the resume mark or above"
        );
        assert_eq!(q.pop(2, 9).unwrap().event.id, 1);
        assert_eq!(q.push(entry(8, 3), 4), Pushed::Dropped, "at the mark: still dropping");
        assert_eq!(q.pop(2, 9).unwrap().event.id, 2);
        assert_eq!(q.len(), 1, "below the resume mark of 2: accepting again");
        assert_eq!(q.push(entry(9, 3), 4), Pushed::Queued);
        assert_eq!(ids(&mut q, 2), vec![3, 9], "one lost event per overflow");
    }

    /// A queue holds at most MAX_QUEUE_BYTES whatever its event count: a subscriber of
    /// large events overflows before its size in events (aisexec(8), CLIENT LIMITS).
    #[test]
    fn the_queue_is_bounded_in_bytes_too() {
        let big = |id| Entry {
            open_id: 1,
            sub_id: 7,
            event: Arc::new(Event {
                id,
                attributes: Attributes {
                    priority: 3,
                    ..Attributes::default()
                },
                data: vec![0; 64 * 1024],
                ..Event::default()
            }),
        };
        let mut q = Queue::default();
        let mut queued = 0;
        for id in 0..1000 {
            if q.push(big(id), 1000) == Pushed::Queued {
                queued += 1;
            }
        }
        assert!(
            queued < 1000 && queued * (64 * 1024) <= MAX_QUEUE_BYTES,
            "{queued} queued"
        );
        assert!(queued * (64 * 1024 + 64) > MAX_QUEUE_BYTES - 64 * 1024 - 64);
        assert_eq!(q.pop(0, 0).unwrap().event.id, EVENTID_LOST);
    }

    #[test]
    fn closed_subscriptions_leave_the_queue() {
        let mut q = Queue::default();
        q.push(entry(1, 0), 1);
        q.push(entry(2, 0), 1);
        q.remove(|e| e.sub_id == 7);
        assert!(q.is_empty());
        assert_eq!(q.pop(0, 0), None);
    }
}
