//! CPG's cluster messages. Layout (big-endian): kind u8, then per kind:
//!
//! ```text
//! JOIN / LEAVE / PROCDOWN   group (u8 length + up to 128 bytes), pid u32
//! MCAST                     group, pid u32, data (u32 length + bytes)
//! JOINLIST                  count u16, then (group, pid u32) per entry
//! ```
//!
//! The sending node is the Totem sender, so it is not repeated.

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadMsg(pub &'static str);

struct Rd<'a>(&'a [u8]);

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadMsg> {
        if self.0.len() < n {
            return Err(BadMsg("truncated"));
        }
        let (h, t) = self.0.split_at(n);
        self.0 = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8, BadMsg> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, BadMsg> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, BadMsg> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn group(&mut self) -> Result<Group, BadMsg> {
        let n = self.u8()? as usize;
        if n == 0 || n > MAX_GROUP {
            return Err(BadMsg("group name length"));
        }
        Ok(self.take(n)?.to_vec())
    }
}

fn put_group(v: &mut Vec<u8>, g: &[u8]) {
    v.push(g.len() as u8);
    v.extend_from_slice(g);
}

impl CpgMsg {
    /// Group names must be 1..=128 bytes (callers check before encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            CpgMsg::Join { group, pid } | CpgMsg::Leave { group, pid } | CpgMsg::ProcDown { group, pid } => {
                v.push(match self {
                    CpgMsg::Join { .. } => JOIN,
                    CpgMsg::Leave { .. } => LEAVE,
                    _ => PROCDOWN,
                });
                put_group(&mut v, group);
                v.extend_from_slice(&pid.to_be_bytes());
            }
            CpgMsg::Mcast { group, pid, data } => {
                v.push(MCAST);
                put_group(&mut v, group);
                v.extend_from_slice(&pid.to_be_bytes());
                v.extend_from_slice(&(data.len() as u32).to_be_bytes());
                v.extend_from_slice(data);
            }
            CpgMsg::JoinList(entries) => {
                v.push(JOINLIST);
                v.extend_from_slice(&(entries.len() as u16).to_be_bytes());
                for (g, pid) in entries {
                    put_group(&mut v, g);
                    v.extend_from_slice(&pid.to_be_bytes());
                }
            }
        }
        v
    }

    pub fn decode(b: &[u8]) -> Result<CpgMsg, BadMsg> {
        let mut r = Rd(b);
        let msg = match r.u8()? {
            k @ (JOIN | LEAVE | PROCDOWN) => {
                let group = r.group()?;
                let pid = r.u32()?;
                match k {
                    JOIN => CpgMsg::Join { group, pid },
                    LEAVE => CpgMsg::Leave { group, pid },
                    _ => CpgMsg::ProcDown { group, pid },
                }
            }
            MCAST => {
                let group = r.group()?;
                let pid = r.u32()?;
                let n = r.u32()? as usize;
                let data = r.take(n)?.to_vec();
                CpgMsg::Mcast { group, pid, data }
            }
            JOINLIST => {
                let n = r.u16()? as usize;
                // Each entry takes at least 6 bytes: refuse counts the rest cannot hold.
                if n * 6 > r.0.len() {
                    return Err(BadMsg("join list count"));
                }
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let g = r.group()?;
                    entries.push((g, r.u32()?));
                }
                CpgMsg::JoinList(entries)
            }
            _ => return Err(BadMsg("unknown kind")),
        };
        if !r.0.is_empty() {
            return Err(BadMsg("trailing bytes"));
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<CpgMsg> {
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
        assert!(CpgMsg::decode(&[JOIN, 0, 0, 0, 0, 1]).is_err(), "empty group name");
        assert!(CpgMsg::decode(&[JOINLIST, 0xFF, 0xFF]).is_err());
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
