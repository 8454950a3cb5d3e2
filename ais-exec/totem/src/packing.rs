//! Packing application messages into frames and reassembling them.
//!
//! A frame's payload is a sequence of chunks:
//!
//! ```text
//! 0x01 WHOLE     len u16 | data
//! 0x02 FRAGMENT  msg_no u32 | total u32 | offset u32 | len u16 | data
//! ```
//!
//! Many small messages share a frame; a message larger than what is left of
//! a frame is cut into fragments carried by the sender's next frames. All
//! chunks of a frame share its delivery guarantee.

use crate::config::MAX_MESSAGE_SIZE;
use crate::types::{Guarantee, SubmitError};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::VecDeque;

const TAG_WHOLE: u8 = 1;
const TAG_FRAGMENT: u8 = 2;
const WHOLE_HEADER: usize = 3;
const FRAGMENT_HEADER: usize = 15;
/// A fragment is never cut smaller than this (except a message's tail), so
/// that frames are not wasted on slivers.
const MIN_FRAGMENT: usize = 64;

struct Pending {
    data: Bytes,
    guarantee: Guarantee,
    msg_no: u32,
    /// Bytes already sent (fragmented messages only).
    offset: usize,
}

/// The messages a node has submitted and not yet put into frames.
pub struct SendQueue {
    queue: VecDeque<Pending>,
    bytes: usize,
    max_bytes: usize,
    max_messages: usize,
    next_msg_no: u32,
}

impl SendQueue {
    pub fn new(max_bytes: usize, max_messages: usize) -> SendQueue {
        SendQueue {
            queue: VecDeque::new(),
            bytes: 0,
            max_bytes: max_bytes.max(MAX_MESSAGE_SIZE),
            max_messages: max_messages.max(1),
            next_msg_no: 1,
        }
    }

    pub fn push(&mut self, data: Bytes, guarantee: Guarantee) -> Result<(), SubmitError> {
        if data.len() > MAX_MESSAGE_SIZE {
            return Err(SubmitError::TooLarge);
        }
        // An empty queue always takes one message, so a full-size message can
        // always be sent.
        if !self.queue.is_empty() && (self.bytes + data.len() > self.max_bytes || self.queue.len() >= self.max_messages)
        {
            return Err(SubmitError::QueueFull);
        }
        self.bytes += data.len();
        let msg_no = self.next_msg_no;
        self.next_msg_no = self.next_msg_no.wrapping_add(1);
        self.queue.push_back(Pending {
            data,
            guarantee,
            msg_no,
            offset: 0,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Bytes of the messages queued.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// About how many frames of `room` payload bytes the queue needs.
    pub fn frames_needed(&self, room: usize) -> u32 {
        if self.queue.is_empty() {
            return 0;
        }
        let per_msg = WHOLE_HEADER * self.queue.len();
        ((self.bytes + per_msg).div_ceil(room.max(1))).min(u32::MAX as usize) as u32
    }

    /// A message whose first fragments went out on a ring that has since been
    /// replaced is sent again from its start under a new number: receivers
    /// drop partial messages at every configuration change.
    pub fn restart_partial(&mut self) {
        if let Some(head) = self.queue.front_mut() {
            if head.offset > 0 {
                self.bytes += head.offset;
                head.offset = 0;
                head.msg_no = self.next_msg_no;
                self.next_msg_no = self.next_msg_no.wrapping_add(1);
            }
        }
    }

    /// The guarantee of the next frame, if anything is queued.
    pub fn next_guarantee(&self) -> Option<Guarantee> {
        self.queue.front().map(|p| p.guarantee)
    }

    /// Appends chunks to `buf` until `room` payload bytes are used, the queue
    /// is empty, or the next message asks for another guarantee.
    pub fn fill(&mut self, buf: &mut BytesMut, room: usize) {
        let Some(guarantee) = self.next_guarantee() else { return };
        let mut left = room;
        while let Some(head) = self.queue.front_mut() {
            if head.guarantee != guarantee {
                break;
            }
            let remaining = head.data.len() - head.offset;
            if head.offset == 0 && WHOLE_HEADER + remaining <= left {
                buf.put_u8(TAG_WHOLE);
                buf.put_u16(remaining as u16);
                buf.put_slice(&head.data);
                left -= WHOLE_HEADER + remaining;
                self.bytes -= remaining;
                self.queue.pop_front();
                continue;
            }
            // Start a message that would fit a frame of its own in the next
            // frame rather than cutting it.
            if head.offset == 0 && WHOLE_HEADER + remaining <= room && left < room {
                break;
            }
            if left < FRAGMENT_HEADER + MIN_FRAGMENT.min(remaining) {
                break;
            }
            let n = remaining.min(left - FRAGMENT_HEADER);
            buf.put_u8(TAG_FRAGMENT);
            buf.put_u32(head.msg_no);
            buf.put_u32(head.data.len() as u32);
            buf.put_u32(head.offset as u32);
            buf.put_u16(n as u16);
            buf.put_slice(&head.data[head.offset..head.offset + n]);
            head.offset += n;
            left -= FRAGMENT_HEADER + n;
            self.bytes -= n;
            if head.offset == head.data.len() {
                self.queue.pop_front();
            } else {
                break;
            }
        }
    }
}

/// One chunk of a frame's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    Whole(Bytes),
    Fragment {
        msg_no: u32,
        total: u32,
        offset: u32,
        data: Bytes,
    },
}

/// Iterates over the chunks of a payload; stops at the first malformed one
/// (a frame's payload is the same bytes on every node, so every node stops
/// at the same place).
pub struct Chunks {
    payload: Bytes,
    pos: usize,
}

impl Chunks {
    pub fn new(payload: Bytes) -> Chunks {
        Chunks { payload, pos: 0 }
    }
}

impl Iterator for Chunks {
    type Item = Chunk;
    fn next(&mut self) -> Option<Chunk> {
        let p = &self.payload;
        let rest = p.len().checked_sub(self.pos)?;
        if rest == 0 {
            return None;
        }
        let b = &p[self.pos..];
        match b[0] {
            TAG_WHOLE if rest >= WHOLE_HEADER => {
                let len = u16::from_be_bytes([b[1], b[2]]) as usize;
                if rest < WHOLE_HEADER + len {
                    self.pos = p.len();
                    return None;
                }
                let start = self.pos + WHOLE_HEADER;
                self.pos = start + len;
                Some(Chunk::Whole(p.slice(start..start + len)))
            }
            TAG_FRAGMENT if rest >= FRAGMENT_HEADER => {
                let msg_no = u32::from_be_bytes([b[1], b[2], b[3], b[4]]);
                let total = u32::from_be_bytes([b[5], b[6], b[7], b[8]]);
                let offset = u32::from_be_bytes([b[9], b[10], b[11], b[12]]);
                let len = u16::from_be_bytes([b[13], b[14]]) as usize;
                let end = offset as u64 + len as u64;
                if rest < FRAGMENT_HEADER + len || total as usize > MAX_MESSAGE_SIZE || end > total as u64 || len == 0 {
                    self.pos = p.len();
                    return None;
                }
                let start = self.pos + FRAGMENT_HEADER;
                self.pos = start + len;
                Some(Chunk::Fragment {
                    msg_no,
                    total,
                    offset,
                    data: p.slice(start..start + len),
                })
            }
            _ => {
                self.pos = p.len();
                None
            }
        }
    }
}

struct Partial {
    msg_no: u32,
    total: usize,
    data: BytesMut,
}

/// Reassembles one sender's fragmented messages. Frames reach it in agreed
/// order, so a fragment that does not continue the partial message exactly
/// means frames were lost in a configuration change: the partial is dropped.
#[derive(Default)]
pub struct Assembly {
    partial: Option<Partial>,
}

impl Assembly {
    /// Feeds one chunk; returns a message when one is complete.
    pub fn push(&mut self, chunk: Chunk) -> Option<Bytes> {
        match chunk {
            Chunk::Whole(data) => {
                self.partial = None;
                Some(data)
            }
            Chunk::Fragment {
                msg_no,
                total,
                offset,
                data,
            } => {
                if offset == 0 {
                    let mut buf = BytesMut::with_capacity(total as usize);
                    buf.put_slice(&data);
                    self.partial = Some(Partial {
                        msg_no,
                        total: total as usize,
                        data: buf,
                    });
                } else {
                    match &mut self.partial {
                        Some(p)
                            if p.msg_no == msg_no && p.total == total as usize && p.data.len() == offset as usize =>
                        {
                            p.data.put_slice(&data);
                        }
                        _ => {
                            self.partial = None;
                            return None;
                        }
                    }
                }
                let p = self.partial.as_ref()?;
                if p.data.len() == p.total {
                    return self.partial.take().map(|p| p.data.freeze());
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames_of(q: &mut SendQueue, room: usize) -> Vec<Bytes> {
        let mut out = Vec::new();
        while !q.is_empty() {
            let mut b = BytesMut::new();
            q.fill(&mut b, room);
            assert!(b.len() <= room, "frame of {} > room {room}", b.len());
            assert!(!b.is_empty(), "no progress");
            out.push(b.freeze());
        }
        out
    }

    fn unpack(frames: &[Bytes]) -> Vec<Bytes> {
        let mut a = Assembly::default();
        frames
            .iter()
            .flat_map(|f| Chunks::new(f.clone()).collect::<Vec<_>>())
            .filter_map(|c| a.push(c))
            .collect()
    }

    #[test]
    fn small_messages_share_frames_and_large_ones_are_fragmented() {
        let mut q = SendQueue::new(1 << 24, 1 << 20);
        let mut msgs = Vec::new();
        for i in 0..200u32 {
            let len = if i % 50 == 7 { 100_000 } else { 64 };
            let m = Bytes::from((0..len).map(|j| (i as usize * 7 + j) as u8).collect::<Vec<_>>());
            msgs.push(m.clone());
            q.push(m, Guarantee::Agreed).unwrap();
        }
        let frames = frames_of(&mut q, 1404);
        assert_eq!(unpack(&frames), msgs);
        // 196 small messages of 67 bytes each and 4 of 100 kB.
        let ideal = (196 * 67 + 4 * 100_000) / 1404;
        assert!(
            frames.len() < ideal + ideal / 10 + 10,
            "{} frames, ideal {ideal}",
            frames.len()
        );
    }

    #[test]
    fn a_full_size_message_round_trips() {
        let mut q = SendQueue::new(0, 0);
        let m = Bytes::from(vec![0xA5u8; MAX_MESSAGE_SIZE]);
        q.push(m.clone(), Guarantee::Safe).unwrap();
        assert_eq!(
            q.push(Bytes::from_static(b"x"), Guarantee::Safe),
            Err(SubmitError::QueueFull)
        );
        assert_eq!(unpack(&frames_of(&mut q, 1404)), vec![m]);
        let mut q = SendQueue::new(0, 0);
        assert_eq!(
            q.push(Bytes::from(vec![0; MAX_MESSAGE_SIZE + 1]), Guarantee::Safe),
            Err(SubmitError::TooLarge)
        );
    }

    #[test]
    fn guarantees_are_not_mixed_in_a_frame() {
        let mut q = SendQueue::new(1 << 20, 100);
        q.push(Bytes::from_static(b"a"), Guarantee::Agreed).unwrap();
        q.push(Bytes::from_static(b"b"), Guarantee::Safe).unwrap();
        assert_eq!(frames_of(&mut q, 1000).len(), 2);
    }

    #[test]
    fn a_lost_middle_fragment_drops_the_message_and_restart_resends_it() {
        let mut q = SendQueue::new(1 << 24, 100);
        let m = Bytes::from(vec![7u8; 5000]);
        q.push(m.clone(), Guarantee::Agreed).unwrap();
        let mut b = BytesMut::new();
        q.fill(&mut b, 1404);
        let first = b.split().freeze();
        q.restart_partial();
        let rest = frames_of(&mut q, 1404);
        // The receiver saw the first fragment of the old attempt, then the
        // whole new attempt: exactly one copy comes out.
        let mut all = vec![first];
        all.extend(rest.iter().cloned());
        assert_eq!(unpack(&all), vec![m.clone()]);
        // Without the first frame of the new attempt nothing is delivered.
        assert_eq!(unpack(&rest[1..]), Vec::<Bytes>::new());
    }

    #[test]
    fn malformed_payloads_stop_parsing_without_panic() {
        let mut x: u32 = 12345;
        for len in 0..3000usize {
            let v: Vec<u8> = (0..len % 200)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8 % 4
                })
                .collect();
            let mut a = Assembly::default();
            for c in Chunks::new(Bytes::from(v)) {
                let _ = a.push(c);
            }
        }
    }
}
