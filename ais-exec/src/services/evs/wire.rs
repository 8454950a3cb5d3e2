//! EVS's one cluster message, in the services' cluster codec ([`codec`]): a
//! multicast to a list of groups.
//!
//! ```text
//! version, kind MCAST, group count u16, the groups (32 bytes each), data length u32, data
//! ```
//!
//! The sending node is the Totem sender, so it is not repeated.

use crate::services::codec::{self, DecodeError};
use ais_proto::evs::{Group, GROUP_LEN, MAX_GROUPS};

const MCAST: u8 = 1;

/// A message for every handle that joined at least one of `groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvsMcast {
    pub groups: Vec<Group>,
    pub data: Vec<u8>,
}

/// Bytes of an encoded message with `groups` groups and `data` bytes.
pub fn encoded_len(groups: usize, data: usize) -> usize {
    2 + 2 + groups * GROUP_LEN + 4 + data
}

impl EvsMcast {
    /// At most [`MAX_GROUPS`] groups and `u32::MAX` bytes (callers check before encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = codec::writer(MCAST);
        w.u16(self.groups.len() as u16);
        for g in &self.groups {
            w.bytes(g);
        }
        let _ = w.blob(&self.data);
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<EvsMcast, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        if kind != MCAST {
            return Err(DecodeError::Invalid("EVS message kind"));
        }
        let n = r.u16()? as usize;
        if n > MAX_GROUPS {
            return Err(DecodeError::Invalid("group count"));
        }
        // The count is bounded above, and the bytes must be present before the
        // list is allocated.
        let keys = r.bytes(n * GROUP_LEN)?;
        let groups = keys
            .chunks_exact(GROUP_LEN)
            .map(|k| {
                let mut g = [0u8; GROUP_LEN];
                g.copy_from_slice(k);
                g
            })
            .collect();
        let data = r.blob()?.to_vec();
        r.finish()?;
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
            assert_eq!(EvsMcast::decode(&long), Err(DecodeError::Trailing(1)));
        }
    }

    #[test]
    fn bad_kinds_counts_and_noise_are_refused_without_panic() {
        let v = codec::VERSION;
        assert_eq!(
            EvsMcast::decode(&[v, 2, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::Invalid("EVS message kind"))
        );
        assert_eq!(
            EvsMcast::decode(&[v, MCAST, 0xFF, 0xFF]),
            Err(DecodeError::Invalid("group count"))
        );
        // A data length far beyond the bytes present.
        assert!(matches!(
            EvsMcast::decode(&[v, MCAST, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(DecodeError::Truncated { .. })
        ));
        let mut x = 0x2545_F491_u32;
        for len in 0..300 {
            let b: Vec<u8> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    match i {
                        0 => codec::VERSION,
                        1 => MCAST,
                        _ => (x % 4) as u8,
                    }
                })
                .collect();
            if let Ok(m) = EvsMcast::decode(&b) {
                assert_eq!(m.encode(), b);
            }
        }
    }
}
