//! UDP under the Totem core: multicast (`transport: udp`) or unicast to every
//! member (`transport: udpu`), ring 0 only.
//!
//! Sockets: one bound to the ring's local address and `mcastport` sends
//! everything and receives what is addressed to this node (tokens; with udpu,
//! everything). With multicast a second one, bound to the group and the same
//! port with `SO_REUSEADDR` (so several executives on one host can share
//! it), receives the group's traffic. Multicast loop is on: the core drops
//! its own packets, and it is what lets nodes on one host hear each other.
//! openais also bound `mcastport - 1` for sending; one socket is enough here.
//!
//! Every datagram goes through a [`Codec`] (the secauth seam) and through
//! [`Peers`], which maps Totem node ids to addresses.

use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use ais_totem::{Dest, NodeId};
use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::codec::Codec;
use super::netif;
use super::peers::{sender_of, Learned, Peers, Reach};
use crate::config::{self, Transport as TransportKind};

/// Receive buffers hold the largest UDP payload; the core keeps its own
/// datagrams within `netmtu - 96`, but a peer with a larger netmtu must not
/// be truncated into garbage.
pub const RECV_BUFFER: usize = 65536;

/// Socket buffer sizes asked for (the kernel caps them at rmem_max/wmem_max):
/// a burst of a full window must not be dropped by the kernel.
const SOCKET_BUFFER: usize = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Multicast { group: IpAddr, ttl: u8 },
    Unicast { members: Vec<IpAddr> },
}

/// Ring 0 as the transport needs it, resolved against this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// The address bound (see [`netif`]).
    pub local: IpAddr,
    /// The interface it is on.
    pub ifname: String,
    pub port: u16,
    pub mode: Mode,
}

impl TransportConfig {
    /// From `totem { }`. Returns remarks worth a warning beside the result.
    pub fn from_settings(totem: &config::Totem) -> io::Result<(TransportConfig, Vec<String>)> {
        let mut remarks = Vec::new();
        let iface = totem
            .interfaces
            .first()
            .ok_or_else(|| io::Error::other("totem has no interface"))?;
        if totem.interfaces.len() > 1 {
            remarks.push(format!(
                "only ring 0 is used: the redundant ring protocol is not implemented ({} interfaces configured)",
                totem.interfaces.len()
            ));
        }
        let (local, ifa, why) = netif::resolve(iface.bindnetaddr)?;
        remarks.extend(why);
        let mode = match totem.transport {
            TransportKind::Udp => Mode::Multicast {
                // The reader insists on a group with transport udp.
                group: iface
                    .mcastaddr
                    .ok_or_else(|| io::Error::other("transport udp needs mcastaddr"))?,
                ttl: iface.ttl,
            },
            TransportKind::Udpu => Mode::Unicast {
                members: iface.members.iter().map(|m| m.memberaddr).collect(),
            },
        };
        Ok((
            TransportConfig {
                local,
                ifname: ifa.ifname,
                port: iface.mcastport,
                mode,
            },
            remarks,
        ))
    }

    /// How `Dest::All` is reached.
    pub fn reach(&self) -> Reach {
        match &self.mode {
            Mode::Multicast { group, .. } => Reach::Group(SocketAddr::new(*group, self.port)),
            Mode::Unicast { members } => {
                Reach::Members(members.iter().map(|a| SocketAddr::new(*a, self.port)).collect())
            }
        }
    }

    /// The interface index, for IPv6 (scope and multicast interface).
    fn ifindex(&self) -> io::Result<u32> {
        nix::net::if_::if_nametoindex(self.ifname.as_str()).map_err(io::Error::from)
    }
}

/// The sockets, bound but not yet registered with tokio: they are opened
/// before the process detaches so a bind failure reaches the terminal.
#[derive(Debug)]
pub struct Sockets {
    main: std::net::UdpSocket,
    group: Option<std::net::UdpSocket>,
}

fn new_socket(addr: &SocketAddr) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(*addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    // Best effort: the kernel's limits win.
    let _ = s.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = s.set_send_buffer_size(SOCKET_BUFFER);
    s.set_nonblocking(true)?;
    Ok(s)
}

fn ctx(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn is_link_local_v6(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80)
}

impl Sockets {
    pub fn bind(cfg: &TransportConfig) -> io::Result<Sockets> {
        let local = match cfg.local {
            IpAddr::V6(v6) if is_link_local_v6(&cfg.local) => {
                SocketAddr::V6(SocketAddrV6::new(v6, cfg.port, 0, cfg.ifindex()?))
            }
            a => SocketAddr::new(a, cfg.port),
        };
        // No SO_REUSEADDR here: a second executive on the same address must
        // fail to start rather than share (and split) its traffic.
        let main = new_socket(&local)?;
        main.bind(&local.into())
            .map_err(|e| ctx(e, format_args!("bind {local}")))?;
        let group = match (&cfg.mode, cfg.local) {
            (Mode::Unicast { .. }, _) => None,
            (
                Mode::Multicast {
                    group: IpAddr::V4(g),
                    ttl,
                },
                IpAddr::V4(l),
            ) => {
                main.set_multicast_if_v4(&l)?;
                main.set_multicast_ttl_v4(u32::from(*ttl))?;
                main.set_multicast_loop_v4(true)?;
                let addr = SocketAddr::new(IpAddr::V4(*g), cfg.port);
                let s = new_socket(&addr)?;
                s.set_reuse_address(true)?;
                s.bind(&addr.into()).map_err(|e| ctx(e, format_args!("bind {addr}")))?;
                s.join_multicast_v4(g, &l)
                    .map_err(|e| ctx(e, format_args!("join {g} on {l} ({})", cfg.ifname)))?;
                Some(s)
            }
            (
                Mode::Multicast {
                    group: IpAddr::V6(g),
                    ttl,
                },
                IpAddr::V6(_),
            ) => {
                let index = cfg.ifindex()?;
                main.set_multicast_if_v6(index)?;
                main.set_multicast_hops_v6(u32::from(*ttl))?;
                main.set_multicast_loop_v6(true)?;
                let addr = SocketAddr::V6(SocketAddrV6::new(*g, cfg.port, 0, index));
                let s = new_socket(&addr)?;
                s.set_reuse_address(true)?;
                s.bind(&addr.into()).map_err(|e| ctx(e, format_args!("bind {addr}")))?;
                s.join_multicast_v6(g, index)
                    .map_err(|e| ctx(e, format_args!("join {g} on {}", cfg.ifname)))?;
                Some(s)
            }
            (Mode::Multicast { group, .. }, local) => {
                return Err(io::Error::other(format!(
                    "mcastaddr {group} and bind address {local} differ in family"
                )))
            }
        };
        Ok(Sockets {
            main: main.into(),
            group: group.map(Into::into),
        })
    }

    /// The address the main socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.main.local_addr()
    }
}

/// The transport as the driver uses it (inside the tokio runtime).
pub struct Transport {
    me: NodeId,
    main: UdpSocket,
    group: Option<UdpSocket>,
    peers: Peers,
    codec: Box<dyn Codec>,
    buf_main: Box<[u8]>,
    buf_group: Box<[u8]>,
    dests: Vec<SocketAddr>,
    send_errors: u64,
    recv_errors: u64,
    unknown_dest: u64,
    moves_logged: u32,
    /// Datagrams dropped because they are not Totem datagrams at all.
    not_totem: u64,
}

impl Transport {
    /// Registers the sockets with the current tokio runtime.
    pub fn new(me: NodeId, sockets: Sockets, peers: Peers, codec: Box<dyn Codec>) -> io::Result<Transport> {
        Ok(Transport {
            me,
            main: UdpSocket::from_std(sockets.main)?,
            group: sockets.group.map(UdpSocket::from_std).transpose()?,
            peers,
            codec,
            buf_main: vec![0; RECV_BUFFER].into_boxed_slice(),
            buf_group: vec![0; RECV_BUFFER].into_boxed_slice(),
            dests: Vec::new(),
            send_errors: 0,
            recv_errors: 0,
            unknown_dest: 0,
            moves_logged: 0,
            not_totem: 0,
        })
    }

    /// Datagrams dropped so far because they are not Totem's (the codec let
    /// them through: with secauth off it lets everything through).
    pub fn not_totem(&self) -> u64 {
        self.not_totem
    }

    /// What the datagram codec dropped (bad digest, replay) so far.
    pub fn dropped(&self) -> super::codec::Dropped {
        self.codec.dropped()
    }

    pub fn peers(&self) -> &Peers {
        &self.peers
    }

    /// Sends one datagram of the core. Failures are logged, never fatal: to
    /// Totem a datagram lost here is a datagram lost on the network.
    pub async fn send(&mut self, dest: Dest, datagram: Bytes) {
        self.dests.clear();
        self.peers.destinations(dest, &mut self.dests);
        if self.dests.is_empty() {
            if let Dest::Node(id) = dest {
                self.unknown_dest += 1;
                if self.unknown_dest.is_power_of_two() {
                    log::warn!(target: "NET", "no address known for node {id}: datagram dropped ({} so far)", self.unknown_dest);
                }
            }
            return;
        }
        let wire = self.codec.seal(datagram);
        for i in 0..self.dests.len() {
            let to = self.dests[i];
            if let Err(e) = self.main.send_to(&wire, to).await {
                self.send_errors += 1;
                // Powers of two: the first failures in full, then fewer.
                if self.send_errors.is_power_of_two() {
                    log::warn!(target: "NET", "sending to {to}: {e} ({} send errors so far)", self.send_errors);
                }
            }
        }
    }

    /// The next Totem datagram from another node. Cancel safe (it only
    /// awaits `recv_from`), so the driver can select on it.
    pub async fn recv(&mut self) -> Bytes {
        loop {
            let Transport {
                main,
                group,
                buf_main,
                buf_group,
                ..
            } = self;
            let got = tokio::select! {
                r = main.recv_from(buf_main) => r.map(|(n, from)| (n, from, false)),
                r = async {
                    match group {
                        Some(g) => g.recv_from(buf_group).await,
                        None => std::future::pending().await,
                    }
                } => r.map(|(n, from)| (n, from, true)),
            };
            let (n, from, on_group) = match got {
                Ok(x) => x,
                Err(e) => {
                    self.recv_errors += 1;
                    if self.recv_errors.is_power_of_two() {
                        log::warn!(target: "NET", "receiving: {e} ({} receive errors so far)", self.recv_errors);
                    }
                    // Do not spin on an error that repeats at once.
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    continue;
                }
            };
            let wire = if on_group {
                &self.buf_group[..n]
            } else {
                &self.buf_main[..n]
            };
            let Some(datagram) = self.codec.open(wire) else {
                log::debug!(target: "NET", "dropped a datagram of {n} bytes from {from} (codec)");
                continue;
            };
            let Some(sender) = sender_of(&datagram) else {
                // Not Totem's (junk, another program on the port): counted,
                // for the driver to add to the core's `datagrams_rejected`,
                // the only trace such traffic leaves when secauth is off.
                self.not_totem += 1;
                log::debug!(target: "NET", "dropped {n} bytes from {from}: not a Totem datagram");
                continue;
            };
            if sender == self.me {
                continue; // our own multicast, looped back
            }
            match self.peers.learn(sender, from.ip()) {
                Learned::Same => {}
                Learned::New => log::debug!(target: "NET", "node {sender} is at {}", from.ip()),
                Learned::Moved(old) => {
                    // Twice the same id on two hosts would flip at every
                    // datagram: say it a few times, not forever.
                    self.moves_logged += 1;
                    if self.moves_logged <= 16 {
                        log::warn!(target: "NET", "node {sender} moved from {old} to {} (two nodes with one id?)", from.ip());
                    }
                }
            }
            return datagram;
        }
    }
}

/// The peers table for a node, seeded from the configuration: member
/// addresses (whose ids are their addresses when ids are derived) and the
/// `nodes { node { nodeid; ring0_addr } }` list.
pub fn peers_for(me: NodeId, cfg: &TransportConfig, settings: &config::Settings) -> Peers {
    let mut peers = Peers::new(me, cfg.local, cfg.port, cfg.reach());
    for n in &settings.nodes {
        peers.seed(n.nodeid, n.ring0_addr);
    }
    if settings.totem.nodeid.is_none() {
        let members = settings
            .totem
            .interfaces
            .first()
            .map(|i| i.members.as_slice())
            .unwrap_or_default();
        for m in members {
            if let Ok(id) = super::nodeid::from_address(m.memberaddr, settings.totem.clear_node_high_bit) {
                peers.seed(id, m.memberaddr);
            }
        }
    }
    peers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::daemon::codec::Plain;

    fn settings(text: &str) -> Settings {
        Settings::from_str(text, "test.conf").unwrap().0
    }

    #[test]
    fn udpu_config_and_seeds() {
        let s = settings(
            "totem {\ntransport: udpu\ninterface {\nbindnetaddr: 127.0.0.2\nmcastport: 7000\n\
             member {\nmemberaddr: 127.0.0.1\n}\nmember {\nmemberaddr: 127.0.0.2\n}\nmember {\nmemberaddr: 127.0.0.3\n}\n}\n}\n",
        );
        let (cfg, remarks) = TransportConfig::from_settings(&s.totem).unwrap();
        assert!(remarks.is_empty(), "{remarks:?}");
        assert_eq!(cfg.local, "127.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(cfg.port, 7000);
        assert_eq!(cfg.ifname, "lo");
        let me = 0x7f000002;
        let p = peers_for(me, &cfg, &s);
        let mut d = Vec::new();
        p.destinations(Dest::All, &mut d);
        assert_eq!(
            d,
            vec!["127.0.0.1:7000".parse().unwrap(), "127.0.0.3:7000".parse().unwrap()]
        );
        d.clear();
        p.destinations(Dest::Node(0x7f000003), &mut d);
        assert_eq!(
            d,
            vec!["127.0.0.3:7000".parse::<SocketAddr>().unwrap()],
            "derived ids are seeded"
        );
    }

    #[test]
    fn explicit_ids_are_not_guessed_from_members() {
        let s = settings(
            "totem {\ntransport: udpu\nnodeid: 10\ninterface {\nbindnetaddr: 127.0.0.1\n\
             member {\nmemberaddr: 127.0.0.1\n}\nmember {\nmemberaddr: 127.0.0.3\n}\n}\n}\n\
             nodes {\nnode {\nnodeid: 11\nring0_addr: 127.0.0.5\n}\n}\n",
        );
        let (cfg, _) = TransportConfig::from_settings(&s.totem).unwrap();
        let p = peers_for(10, &cfg, &s);
        assert_eq!(p.address_of(0x7f000003), None);
        assert_eq!(p.address_of(11), Some("127.0.0.5".parse().unwrap()));
    }

    #[test]
    fn multicast_config() {
        let s = settings(
            "totem {\ninterface {\nbindnetaddr: 127.0.0.0\nmcastaddr: 239.255.1.1\nmcastport: 6000\nttl: 3\n}\n}\n",
        );
        let (cfg, _) = TransportConfig::from_settings(&s.totem).unwrap();
        assert_eq!(
            cfg.local,
            "127.0.0.1".parse::<IpAddr>().unwrap(),
            "the network picks lo's address"
        );
        assert_eq!(
            cfg.mode,
            Mode::Multicast {
                group: "239.255.1.1".parse().unwrap(),
                ttl: 3
            }
        );
        assert_eq!(cfg.reach(), Reach::Group("239.255.1.1:6000".parse().unwrap()));
    }

    /// Two transports on loopback, udpu, exchanging datagrams: learning the
    /// peer, dropping non-Totem junk, and never sending to itself.
    #[test]
    fn udpu_round_trip_on_loopback() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let port = {
                // A free port on 127.0.0.1; the same port is then used on .2.
                let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                s.local_addr().unwrap().port()
            };
            let mk = |local: &str| {
                let local: IpAddr = local.parse().unwrap();
                TransportConfig {
                    local,
                    ifname: "lo".into(),
                    port,
                    mode: Mode::Unicast {
                        members: vec!["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()],
                    },
                }
            };
            let (c1, c2) = (mk("127.0.0.1"), mk("127.0.0.2"));
            let (a, b) = (0x7f000001, 0x7f000002);
            let mut t1 = Transport::new(
                a,
                Sockets::bind(&c1).unwrap(),
                Peers::new(a, c1.local, port, c1.reach()),
                Box::new(Plain),
            )
            .unwrap();
            let mut t2 = Transport::new(
                b,
                Sockets::bind(&c2).unwrap(),
                Peers::new(b, c2.local, port, c2.reach()),
                Box::new(Plain),
            )
            .unwrap();
            assert!(Sockets::bind(&c1).is_err(), "a second bind of the same address fails");

            // Junk first: dropped, the Totem datagram after it comes through.
            let junk = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            junk.send_to(b"hello", ("127.0.0.2", port)).unwrap();
            let pkt = ais_totem::wire::Packet {
                sender: a,
                ring_id: ais_totem::RingId { rep: a, seq: 4 },
                body: ais_totem::wire::Body::Leave,
            }
            .encode();
            t1.send(Dest::All, pkt.clone()).await;
            let got = tokio::time::timeout(std::time::Duration::from_secs(5), t2.recv())
                .await
                .unwrap();
            assert_eq!(got, pkt);
            assert_eq!(t2.peers().address_of(a), Some(c1.local));

            // And back, by node id.
            let back = ais_totem::wire::Packet {
                sender: b,
                ring_id: ais_totem::RingId { rep: b, seq: 8 },
                body: ais_totem::wire::Body::MergeDetect,
            }
            .encode();
            t2.send(Dest::Node(a), back.clone()).await;
            let got = tokio::time::timeout(std::time::Duration::from_secs(5), t1.recv())
                .await
                .unwrap();
            assert_eq!(got, back);
        });
    }
}
