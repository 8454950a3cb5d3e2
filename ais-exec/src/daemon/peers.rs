//! Where a Totem destination is on the network: the group or every member
//! for `Dest::All`, one address for `Dest::Node(id)`.
//!
//! Node ids come from the packets themselves: every Totem datagram carries
//! its sender's id in bytes 4..8 (big-endian), so the source address of what
//! a node sends tells where it is. The configuration seeds the table (member
//! addresses whose ids are derived from them, `nodes { node { } }` entries)
//! so a token can go out before a peer has spoken.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use ais_totem::wire::{HEADER_LEN, MAGIC};
use ais_totem::{Dest, NodeId};

/// The sender id of a Totem datagram, if it looks like one.
pub fn sender_of(datagram: &[u8]) -> Option<NodeId> {
    if datagram.len() < HEADER_LEN || u16::from_be_bytes([datagram[0], datagram[1]]) != MAGIC {
        return None;
    }
    let id = u32::from_be_bytes(datagram[4..8].try_into().ok()?);
    (id != 0).then_some(id)
}

/// How `Dest::All` reaches the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// One datagram to a multicast group.
    Group(SocketAddr),
    /// One datagram to each of these (the configured members but this node).
    Members(Vec<SocketAddr>),
}

/// What became of a `learn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learned {
    /// Already known at that address (the common case).
    Same,
    New,
    /// The id was known at another address, which it now replaces.
    Moved(IpAddr),
}

#[derive(Debug, Clone)]
pub struct Peers {
    me: NodeId,
    port: u16,
    reach: Reach,
    addrs: HashMap<NodeId, IpAddr>,
}

impl Peers {
    /// `local` is this node's own address: it is left out of `Members`.
    pub fn new(me: NodeId, local: IpAddr, port: u16, reach: Reach) -> Peers {
        let reach = match reach {
            Reach::Members(m) => {
                let mut out: Vec<SocketAddr> = Vec::with_capacity(m.len());
                for a in m {
                    if a.ip() != local && !out.contains(&a) {
                        out.push(a);
                    }
                }
                Reach::Members(out)
            }
            g => g,
        };
        let mut addrs = HashMap::new();
        addrs.insert(me, local);
        Peers { me, port, reach, addrs }
    }

    /// Adds a configured (id, address) pair unless the id is known already.
    pub fn seed(&mut self, id: NodeId, addr: IpAddr) {
        if id != self.me {
            self.addrs.entry(id).or_insert(addr);
        }
    }

    /// Records that `id` sent from `from`.
    pub fn learn(&mut self, id: NodeId, from: IpAddr) -> Learned {
        if id == self.me {
            return Learned::Same;
        }
        match self.addrs.insert(id, from) {
            None => Learned::New,
            Some(old) if old == from => Learned::Same,
            Some(old) => Learned::Moved(old),
        }
    }

    pub fn address_of(&self, id: NodeId) -> Option<IpAddr> {
        self.addrs.get(&id).copied()
    }

    /// Appends the addresses `dest` is sent to (nothing for an unknown node).
    pub fn destinations(&self, dest: Dest, out: &mut Vec<SocketAddr>) {
        match dest {
            Dest::All => match &self.reach {
                Reach::Group(g) => out.push(*g),
                Reach::Members(m) => out.extend_from_slice(m),
            },
            Dest::Node(id) if id == self.me => {}
            Dest::Node(id) => {
                if let Some(a) = self.addrs.get(&id) {
                    out.push(SocketAddr::new(*a, self.port));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }
    fn dests(p: &Peers, d: Dest) -> Vec<SocketAddr> {
        let mut v = Vec::new();
        p.destinations(d, &mut v);
        v
    }

    #[test]
    fn udpu_all_is_every_member_but_me() {
        let members = ["127.0.0.1:5405", "127.0.0.2:5405", "127.0.0.3:5405", "127.0.0.1:5405"]
            .map(sa)
            .to_vec();
        let p = Peers::new(0x7f000002, ip("127.0.0.2"), 5405, Reach::Members(members));
        assert_eq!(dests(&p, Dest::All), vec![sa("127.0.0.1:5405"), sa("127.0.0.3:5405")]);
    }

    #[test]
    fn multicast_all_is_the_group() {
        let p = Peers::new(1, ip("10.0.0.1"), 5405, Reach::Group(sa("239.192.0.1:5405")));
        assert_eq!(dests(&p, Dest::All), vec![sa("239.192.0.1:5405")]);
    }

    #[test]
    fn node_destinations_come_from_seeds_and_traffic() {
        let mut p = Peers::new(1, ip("10.0.0.1"), 6000, Reach::Group(sa("239.192.0.1:6000")));
        assert_eq!(dests(&p, Dest::Node(2)), vec![], "unknown node: nowhere");
        assert_eq!(dests(&p, Dest::Node(1)), vec![], "never to itself");
        p.seed(2, ip("10.0.0.2"));
        assert_eq!(dests(&p, Dest::Node(2)), vec![sa("10.0.0.2:6000")]);
        // What the node actually sends from wins over the seed.
        assert_eq!(p.learn(2, ip("10.0.0.22")), Learned::Moved(ip("10.0.0.2")));
        assert_eq!(dests(&p, Dest::Node(2)), vec![sa("10.0.0.22:6000")]);
        assert_eq!(p.learn(2, ip("10.0.0.22")), Learned::Same);
        // A later seed does not undo what was learned.
        p.seed(2, ip("10.0.0.2"));
        assert_eq!(p.address_of(2), Some(ip("10.0.0.22")));
        assert_eq!(p.learn(3, ip("10.0.0.3")), Learned::New);
        assert_eq!(dests(&p, Dest::Node(3)), vec![sa("10.0.0.3:6000")]);
        // Own id: never re-learned, never seeded.
        p.seed(1, ip("10.9.9.9"));
        assert_eq!(p.learn(1, ip("10.9.9.9")), Learned::Same);
        assert_eq!(p.address_of(1), Some(ip("10.0.0.1")));
    }

    #[test]
    fn sender_field() {
        let mut d = vec![0x7a, 0x51, 1, 3, 0x7f, 0, 0, 2];
        d.resize(HEADER_LEN, 0);
        assert_eq!(sender_of(&d), Some(0x7f000002));
        assert_eq!(sender_of(&d[..HEADER_LEN - 1]), None, "short");
        d[0] = 0;
        assert_eq!(sender_of(&d), None, "bad magic");
        d[0] = 0x7a;
        d[4] = 0;
        d[7] = 0;
        assert_eq!(sender_of(&d), None, "id 0");
        // A real packet from the core.
        let real = ais_totem::wire::Packet {
            sender: 42,
            ring_id: ais_totem::RingId { rep: 42, seq: 4 },
            body: ais_totem::wire::Body::Leave,
        }
        .encode();
        assert_eq!(sender_of(&real), Some(42));
    }
}
