//! EVS's one cluster message: a multicast to a list of groups. Layout
//! (big-endian):
//!
//! ```text
//! kind u8 (1), group count u16, the groups (32 bytes each), data length u32, data
//! ```
//!
//! The sending node is the Totem sender, so it is not repeated.

use ais_proto::evs::{Group, GROUP_LEN, MAX_GROUPS};

const MCAST: u8 = 1;

/// A message for every handle that joined at least one of `groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvsMcast {
    pub groups: Vec<Group>,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadMsg(pub &'static str);

/// Bytes of an encoded message with `groups` groups and `data` bytes.
pub fn encoded_len(groups: usize, data: usize) -> usize {
    1 + 2 + groups * GROUP_LEN + 4 + data
}

impl EvsMcast {
    /// At most [`MAX_GROUPS`] groups and `u32::MAX` bytes (callers check before encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(encoded_len(self.groups.len(), self.data.len()));
        v.push(MCAST);
        v.extend_from_slice(&(self.groups.len() as u16).to_be_bytes());
        for g in &self.groups {
            v.extend_from_slice(g);
        }
        v.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
        v.extend_from_slice(&self.data);
        v
    }

    pub fn decode(b: &[u8]) -> Result<EvsMcast, BadMsg> {
        let mut r = b;
        let mut take = |n: usize| -> Result<&[u8], BadMsg> {
            if r.len() < n {
                return Err(BadMsg("truncated"));
            }
            let (h, t) = r.split_at(n);
            r = t;
            Ok(h)
        };
        if take(1)? != [MCAST] {
            return Err(BadMsg("unknown kind"));
        }
        let n = u16::from_be_bytes([take(1)?[0], take(1)?[0]]) as usize;
        if n > MAX_GROUPS {
            return Err(BadMsg("group count"));
        }
        // The count is bounded above, and the bytes must be present before the
        // list is allocated.
        let keys = take(n * GROUP_LEN)?;
        let groups = keys
            .chunks_exact(GROUP_LEN)
            .map(|k| {
                let mut g = [0u8; GROUP_LEN];
                g.copy_from_slice(k);
                g
            })
            .collect();
        let len = take(4)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let data = take(len)?.to_vec();
        if !r.is_empty() {
            return Err(BadMsg("trailing bytes"));
        }
        Ok(EvsMcast { groups, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Group {
        [b; GROUP_LEN]
    }

    #[test]
    fn round_trips_and_every_truncation_fails() {
        for m in [
            EvsMcast {
                groups: vec![key(1), key(2)],
                data: b"hello".to_vec(),
            },
            EvsMcast {
                groups: vec![],
                data: vec![],
            },
        ] {
            let b = m.encode();
            assert_eq!(b.len(), encoded_len(m.groups.len(), m.data.len()));
            assert_eq!(EvsMcast::decode(&b), Ok(m.clone()));
            for n in 0..b.len() {
                assert!(EvsMcast::decode(&b[..n]).is_err(), "cut at {n}");
            }
            let mut long = b.clone();
            long.push(0);
            assert_eq!(EvsMcast::decode(&long), Err(BadMsg("trailing bytes")));
        }
    }

    #[test]
    fn bad_kinds_counts_and_noise_are_refused_without_panic() {
        assert_eq!(EvsMcast::decode(&[2, 0, 0, 0, 0, 0, 0]), Err(BadMsg("unknown kind")));
        assert_eq!(EvsMcast::decode(&[MCAST, 0xFF, 0xFF]), Err(BadMsg("group count")));
        // A data length far beyond the bytes present.
        assert_eq!(
            EvsMcast::decode(&[MCAST, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(BadMsg("truncated"))
        );
        let mut x = 0x2545_F491_u32;
        for len in 0..300 {
            let b: Vec<u8> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    if i == 0 {
                        MCAST
                    } else {
                        (x % 4) as u8
                    }
                })
                .collect();
            if let Ok(m) = EvsMcast::decode(&b) {
                assert_eq!(m.encode(), b);
            }
        }
    }
}
