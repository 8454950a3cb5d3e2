//! Which local address a ring binds to.
//!
//! `bindnetaddr` names a network (192.168.1.0) or an address. openais bound
//! the address of the interface whose network contains it; a host address
//! that is not one of the interface's own (127.0.0.2 on `lo`, whose address is
//! 127.0.0.1/8) is used as it is when the kernel lets us bind it, which is
//! how several nodes share one machine in tests.

use std::io;
use std::net::{IpAddr, UdpSocket};

/// One address of a local interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    pub ifname: String,
    pub addr: IpAddr,
    pub netmask: Option<IpAddr>,
    pub up: bool,
}

/// How `bindnetaddr` matched the local addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// It is one of this host's addresses.
    Exact(LocalAddr),
    /// It is the network address of an interface's subnet: bind that
    /// interface's address.
    Network(LocalAddr),
    /// A host address inside an interface's subnet that is not the
    /// interface's own: bind it as written if the kernel allows it, else the
    /// interface's address.
    InSubnet { requested: IpAddr, iface: LocalAddr },
}

impl Selection {
    pub fn iface(&self) -> &LocalAddr {
        match self {
            Selection::Exact(a) | Selection::Network(a) | Selection::InSubnet { iface: a, .. } => a,
        }
    }
}

/// This host's interface addresses (IPv4 and IPv6), from getifaddrs(3).
pub fn local_addresses() -> io::Result<Vec<LocalAddr>> {
    use nix::net::if_::InterfaceFlags;
    let mut out = Vec::new();
    for ifa in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        let ip = |s: &Option<nix::sys::socket::SockaddrStorage>| -> Option<IpAddr> {
            let s = s.as_ref()?;
            if let Some(v4) = s.as_sockaddr_in() {
                return Some(IpAddr::V4(v4.ip()));
            }
            s.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
        };
        let Some(addr) = ip(&ifa.address) else { continue };
        out.push(LocalAddr {
            netmask: ip(&ifa.netmask),
            up: ifa.flags.contains(InterfaceFlags::IFF_UP),
            ifname: ifa.interface_name,
            addr,
        });
    }
    Ok(out)
}

/// `addr` with the bits `mask` clears cleared; None across families.
fn masked(addr: IpAddr, mask: IpAddr) -> Option<IpAddr> {
    match (addr, mask) {
        (IpAddr::V4(a), IpAddr::V4(m)) => Some(IpAddr::V4((u32::from(a) & u32::from(m)).into())),
        (IpAddr::V6(a), IpAddr::V6(m)) => Some(IpAddr::V6((u128::from(a) & u128::from(m)).into())),
        _ => None,
    }
}

/// Matches `bindnet` against the local addresses: an exact address first,
/// then a subnet (interfaces that are up first, then in getifaddrs order).
pub fn select(bindnet: IpAddr, addrs: &[LocalAddr]) -> Option<Selection> {
    if let Some(a) = addrs.iter().find(|a| a.addr == bindnet) {
        return Some(Selection::Exact(a.clone()));
    }
    let in_subnet = |a: &&LocalAddr| {
        a.netmask
            .and_then(|m| Some(masked(a.addr, m)? == masked(bindnet, m)?))
            .unwrap_or(false)
    };
    let found = addrs
        .iter()
        .filter(|a| a.up)
        .find(in_subnet)
        .or_else(|| addrs.iter().find(in_subnet))?;
    let is_network = found.netmask.and_then(|m| masked(bindnet, m)) == Some(bindnet);
    Some(if is_network {
        Selection::Network(found.clone())
    } else {
        Selection::InSubnet {
            requested: bindnet,
            iface: found.clone(),
        }
    })
}

/// The address to bind for `bindnetaddr`, and the interface it is on; the
/// message explains a fallback worth a warning.
/// `AddrNotAvailable` says that it matches nothing here (the caller names the
/// configuration line).
pub fn resolve(bindnet: IpAddr) -> io::Result<(IpAddr, LocalAddr, Option<String>)> {
    let addrs = local_addresses()?;
    let sel = select(bindnet, &addrs).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("no local interface has an address in bindnetaddr {bindnet}"),
        )
    })?;
    Ok(match sel {
        Selection::Exact(a) | Selection::Network(a) => (a.addr, a, None),
        Selection::InSubnet { requested, iface } => {
            // Port 0: only asks whether the address is bindable here.
            if UdpSocket::bind((requested, 0)).is_ok() {
                (requested, iface, None)
            } else {
                let why = format!(
                    "bindnetaddr {requested} is not an address of this host; using {} of {} in the same network",
                    iface.addr, iface.ifname
                );
                (iface.addr, iface, Some(why))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn la(ifname: &str, addr: &str, mask: &str, up: bool) -> LocalAddr {
        LocalAddr {
            ifname: ifname.into(),
            addr: addr.parse().unwrap(),
            netmask: Some(mask.parse().unwrap()),
            up,
        }
    }

    fn host() -> Vec<LocalAddr> {
        vec![
            la("lo", "127.0.0.1", "255.0.0.0", true),
            la("eth0", "192.168.1.10", "255.255.255.0", true),
            la("eth1", "10.1.0.5", "255.255.0.0", false),
            la("eth2", "10.1.0.6", "255.255.0.0", true),
            la("lo", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            la("eth0", "fd00::10", "ffff:ffff:ffff:ffff::", true),
        ]
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn exact_address() {
        let h = host();
        assert_eq!(select(ip("192.168.1.10"), &h), Some(Selection::Exact(h[1].clone())));
        assert_eq!(
            select(ip("10.1.0.5"), &h),
            Some(Selection::Exact(h[2].clone())),
            "exact wins even if down"
        );
        assert_eq!(select(ip("fd00::10"), &h), Some(Selection::Exact(h[5].clone())));
    }

    #[test]
    fn network_address_picks_the_interface_address() {
        let h = host();
        assert_eq!(select(ip("192.168.1.0"), &h), Some(Selection::Network(h[1].clone())));
        assert_eq!(select(ip("127.0.0.0"), &h), Some(Selection::Network(h[0].clone())));
        // Interfaces that are up come first.
        assert_eq!(select(ip("10.1.0.0"), &h), Some(Selection::Network(h[3].clone())));
        assert_eq!(select(ip("fd00::"), &h), Some(Selection::Network(h[5].clone())));
    }

    #[test]
    fn host_address_in_a_subnet() {
        let h = host();
        assert_eq!(
            select(ip("127.0.0.2"), &h),
            Some(Selection::InSubnet {
                requested: ip("127.0.0.2"),
                iface: h[0].clone()
            })
        );
        assert_eq!(
            select(ip("192.168.1.77"), &h),
            Some(Selection::InSubnet {
                requested: ip("192.168.1.77"),
                iface: h[1].clone()
            })
        );
    }

    #[test]
    fn nothing_matches() {
        let h = host();
        assert_eq!(select(ip("172.16.0.0"), &h), None);
        assert_eq!(select(ip("fe80::1"), &h), None);
        let no_mask = [LocalAddr {
            ifname: "x".into(),
            addr: ip("1.2.3.4"),
            netmask: None,
            up: true,
        }];
        assert_eq!(select(ip("1.2.3.0"), &no_mask), None);
    }

    #[test]
    fn loopback_resolves_here() {
        // Every Linux host has 127.0.0.1/8 on lo, and the whole of 127/8 binds.
        let (a, iface, warn) = resolve(ip("127.0.0.1")).unwrap();
        assert_eq!((a, warn), (ip("127.0.0.1"), None));
        assert_eq!(iface.addr, ip("127.0.0.1"));
        let (a, _, warn) = resolve(ip("127.0.0.3")).unwrap();
        assert_eq!((a, warn), (ip("127.0.0.3"), None));
        let (a, _, _) = resolve(ip("127.0.0.0")).unwrap();
        assert_eq!(a, ip("127.0.0.1"));
    }
}
