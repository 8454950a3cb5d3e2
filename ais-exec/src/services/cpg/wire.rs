//! CPG's cluster messages, in the services' cluster codec ([`codec`]):
//! version, kind, then per kind:
//!
//! ```text
//! JOIN / LEAVE / PROCDOWN   group (u8 length + up to 128 bytes), pid u32
//! MCAST                     group, pid u32, data (u32 length + bytes)
//! JOINLIST                  count u32, then (group, pid u32) per entry
//! ```
//!
//! The sending node is the Totem sender, so it is not repeated.

use crate::services::codec::{self, DecodeError, Reader};
pub use ais_proto::cpg::MAX_GROUP;

const JOIN: u8 = 1;
const LEAVE: u8 = 2;
const PROCDOWN: u8 = 3;
const MCAST: u8 = 4;
const JOINLIST: u8 = 5;

pub type Group = Vec<u8>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpgMsg {
    Join {
        group: Group,
        pid: u32,
    },
    Leave {
        group: Group,
        pid: u32,
    },
    /// The process died without leaving.
    ProcDown {
        group: Group,
        pid: u32,
    },
    Mcast {
        group: Group,
        pid: u32,
        data: Vec<u8>,
    },
    /// The sender's own processes and their groups, after a configuration change.
    JoinList(Vec<(Group, u32)>),
}

fn group(r: &mut Reader<'_>) -> Result<Group, DecodeError> {
    let g = codec::short(r)?;
    if g.is_empty() || g.len() > MAX_GROUP {
        return Err(DecodeError::Invalid("group name length"));
    }
    Ok(g.to_vec())
}

impl CpgMsg {
    /// Group names must be 1..=128 bytes (callers check before encoding).
    pub fn encode(&self) -> Vec<u8> {
        let kind = match self {
            CpgMsg::Join { .. } => JOIN,
            CpgMsg::Leave { .. } => LEAVE,
            CpgMsg::ProcDown { .. } => PROCDOWN,
            CpgMsg::Mcast { .. } => MCAST,
            CpgMsg::JoinList(_) => JOINLIST,
        };
        let mut w = codec::writer(kind);
        // Lengths were bounded by the callers: nothing here can fail.
        match self {
            CpgMsg::Join { group, pid } | CpgMsg::Leave { group, pid } | CpgMsg::ProcDown { group, pid } => {
                let _ = codec::put_short(&mut w, group);
                w.u32(*pid);
            }
            CpgMsg::Mcast { group, pid, data } => {
                let _ = codec::put_short(&mut w, group);
                w.u32(*pid);
                let _ = w.blob(data);
            }
            CpgMsg::JoinList(entries) => {
                let _ = w.count(entries.len());
                for (g, pid) in entries {
                    let _ = codec::put_short(&mut w, g);
                    w.u32(*pid);
                }
            }
        }
        w.into_vec()
    }

    pub fn decode(b: &[u8]) -> Result<CpgMsg, DecodeError> {
        let (kind, mut r) = codec::open(b)?;
        let msg = match kind {
            k @ (JOIN | LEAVE | PROCDOWN) => {
                let group = group(&mut r)?;
                let pid = r.u32()?;
                match k {
                    JOIN => CpgMsg::Join { group, pid },
                    LEAVE => CpgMsg::Leave { group, pid },
                    _ => CpgMsg::ProcDown { group, pid },
                }
            }
            MCAST => {
                let group = group(&mut r)?;
                let pid = r.u32()?;
                let data = r.blob()?.to_vec();
                CpgMsg::Mcast { group, pid, data }
            }
            JOINLIST => {
                // Each entry takes at least 6 bytes: counts the rest cannot hold are refused.
                let n = r.count(6)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let g = group(&mut r)?;
                    entries.push((g, r.u32()?));
                }
                CpgMsg::JoinList(entries)
            }
            _ => return Err(DecodeError::Invalid("CPG message kind")),
        };
        r.finish()?;
        Ok(msg)
    }
}

/// One message of each kind (tests and fuzz seeds).
#[cfg(test)]
pub(crate) fn samples() -> Vec<CpgMsg> {
    let g = b"group-a".to_vec();
    vec![
        CpgMsg::Join {
            group: g.clone(),
            pid: 10,
        },
        CpgMsg::Leave {
            group: g.clone(),
            pid: 10,
        },
        CpgMsg::ProcDown {
            group: g.clone(),
            pid: 11,
        },
        CpgMsg::Mcast {
            group: g.clone(),
            pid: 10,
            data: vec![1, 2, 3],
        },
        CpgMsg::JoinList(vec![(g.clone(), 10), (b"b".to_vec(), 12)]),
        CpgMsg::JoinList(vec![]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips_and_every_truncation_fails() {
        for m in samples() {
            let b = m.encode();
            assert_eq!(CpgMsg::decode(&b), Ok(m.clone()));
            for n in 0..b.len() {
                assert!(CpgMsg::decode(&b[..n]).is_err(), "{m:?} cut at {n}");
            }
        }
    }

    #[test]
    fn bad_names_counts_and_garbage_are_refused_without_panic() {
        let v = codec::VERSION;
        assert_eq!(
            CpgMsg::decode(&[v, JOIN, 0, 0, 0, 0, 1]),
            Err(DecodeError::Invalid("group name length")),
            "empty group name"
        );
        assert!(matches!(
            CpgMsg::decode(&[v, JOINLIST, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(DecodeError::CountTooLarge { .. })
        ));
        let mut x = 77u32;
        for len in 0..3000usize {
            let v: Vec<u8> = (0..len % 90)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x % 7) as u8
                })
                .collect();
            let _ = CpgMsg::decode(&v);
        }
    }
}
