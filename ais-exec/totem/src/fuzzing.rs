//! Bodies of the fuzz targets (`fuzz/`), kept here so a stable-Rust test can
//! run them too. Each must return normally on every input.

use crate::packing::{Assembly, Chunks};
use crate::wire::Packet;
use crate::{Options, Totem, TotemConfig};
use bytes::Bytes;

/// Decodes one datagram; anything decoded must re-encode to the same bytes
/// (the format has exactly one encoding), and the payload of a data frame is
/// parsed as chunks.
pub fn decode_datagram(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(p) = Packet::decode(&bytes) {
        assert_eq!(p.encode(), bytes, "decode/encode is not the identity");
        if let crate::wire::Body::Mcast(m) = p.body {
            let mut a = Assembly::default();
            for c in Chunks::new(m.payload) {
                let _ = a.push(c);
            }
        }
    }
}

/// Feeds a node a sequence of datagrams cut from `data` (a length byte, then
/// that many bytes), with its clock advancing and its timers firing between
/// them; whatever it outputs is drained.
pub fn node_input(data: &[u8]) {
    let cfg = TotemConfig::default();
    let mut t = match Totem::new(cfg, 7, 0, Options::default(), 0) {
        Ok(t) => t,
        Err(_) => return,
    };
    let mut now = 0u64;
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize).min(tail.len());
        let (dgram, tail) = tail.split_at(n);
        rest = tail;
        now += (len as u64 % 16) * 10_000_000;
        t.handle_datagram(now, &Bytes::copy_from_slice(dgram));
        if t.next_timeout().is_some_and(|d| d <= now) {
            t.handle_timeout(now);
        }
        if len % 7 == 0 {
            let _ = t.submit(now, Bytes::copy_from_slice(dgram), crate::Guarantee::Agreed);
        }
        while t.poll_output().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Body, Join, Token};
    use crate::RingId;

    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Valid packets with single bytes changed reach deep into the decoder
    /// and the state machine; plain noise covers the rest.
    #[test]
    fn fuzz_bodies_survive_mutated_and_random_inputs() {
        let seeds: Vec<Vec<u8>> = vec![
            Packet {
                sender: 3,
                ring_id: RingId { rep: 3, seq: 8 },
                body: Body::Join(Join {
                    ring_seq: 8,
                    proc_set: vec![3, 7],
                    fail_set: vec![],
                }),
            }
            .encode()
            .to_vec(),
            Packet {
                sender: 3,
                ring_id: RingId { rep: 3, seq: 8 },
                body: Body::Token(Token {
                    token_seq: 2,
                    seq: 5,
                    aru: 4,
                    aru_id: 3,
                    fcc: 1,
                    backlog: 0,
                    recovery_pending: 0,
                    rtr: vec![5],
                }),
            }
            .encode()
            .to_vec(),
        ];
        for (k, s) in seeds.iter().enumerate() {
            for i in 0..s.len() {
                for v in [0u8, 1, 2, 0x7F, 0xFF] {
                    let mut m = s.clone();
                    m[i] = v;
                    decode_datagram(&m);
                    let mut framed = vec![m.len() as u8];
                    framed.extend_from_slice(&m);
                    framed.extend(std::iter::once(s.len() as u8).chain(s.iter().copied()));
                    node_input(&framed);
                }
            }
            for n in 0..300u64 {
                let r = noise(n * 31 + k as u64, (n as usize * 7) % 400);
                decode_datagram(&r);
                node_input(&r);
            }
        }
    }
}
