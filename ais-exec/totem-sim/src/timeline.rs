//! The simulated clock's agenda: events by time, and among events of the
//! same time in the order they were scheduled (so a run is a function of
//! its seed).

use ais_totem::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Item<E> {
    time: Time,
    seq: u64,
    ev: E,
}

impl<E> PartialEq for Item<E> {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl<E> Eq for Item<E> {}
impl<E> PartialOrd for Item<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Item<E> {
    // Earliest first in a max-heap.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

pub struct Timeline<E> {
    seq: u64,
    heap: BinaryHeap<Item<E>>,
}

impl<E> Default for Timeline<E> {
    fn default() -> Self {
        Timeline {
            seq: 0,
            heap: BinaryHeap::new(),
        }
    }
}

impl<E> Timeline<E> {
    pub fn push(&mut self, time: Time, ev: E) {
        self.seq += 1;
        self.heap.push(Item {
            time,
            seq: self.seq,
            ev,
        });
    }

    /// The next event and its time.
    pub fn pop(&mut self) -> Option<(Time, E)> {
        self.heap.pop().map(|i| (i.time, i.ev))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
