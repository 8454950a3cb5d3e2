//! The executive around the Totem core: the network, the ring sequence on
//! disk, logging, and the ordering task that owns the core and the services.
//!
//! Starting is split in two so that everything that can fail for a reason an
//! administrator must see (an address that is not local, a port in use, a
//! state directory that cannot be written) fails before the process detaches
//! from its terminal:
//!
//! 1. [`prepare`] (plain threads, before daemonizing): [`plan`] (read the
//!    key, resolve the bind address, choose the node id; also what `aisexec -t`
//!    checks), then bind the sockets and open the ring sequence file.
//! 2. [`start`] (inside the tokio runtime): create the core and the driver;
//!    the caller spawns or awaits [`Driver::run`] and hands the
//!    [`DaemonHandle`] to the IPC server and tools.

pub mod authkey;
pub mod check;
pub mod codec;
pub mod conflog;
pub mod crypto;
pub mod driver;
pub mod logging;
pub mod netif;
pub mod nodeid;
pub mod notify;
pub mod options;
pub mod peers;
pub mod pidlock;
pub mod ringseq;
pub mod transport;
pub mod wakeup;

use std::fmt;
use std::path::PathBuf;

use ais_totem::{NodeId, Options, Totem};

pub use codec::{Codec, Dropped, Plain};
pub use driver::{
    Clock, ClusterEvent, DaemonHandle, Driver, HostCtx, Membership, NoServices, ServiceHost, Status, SubmitError,
};
pub use ringseq::{run_dir, FileStore, MemoryStore, RingSeqStore};
pub use transport::{Sockets, Transport, TransportConfig};

use crate::config::Settings;

/// Why the executive could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Everything opened before the runtime starts.
#[derive(Debug)]
pub struct Prepared {
    pub node_id: NodeId,
    pub transport: TransportConfig,
    pub sockets: Sockets,
    pub store: FileStore,
    /// Where the ring sequence file lives (`$AIS_RUN_DIR` or /var/lib/ais).
    pub run_dir: PathBuf,
    /// The cluster key when `totem.secauth` is on.
    pub authkey: Option<authkey::AuthKey>,
}

/// What the executive would run with, found without binding or writing anything
/// (`aisexec -t` prints it).
#[derive(Debug)]
pub struct Plan {
    pub node_id: NodeId,
    pub transport: TransportConfig,
    /// Remarks worth a warning (an interface left unused, ...).
    pub remarks: Vec<String>,
    /// The cluster key and where it was read, when `totem.secauth` is on.
    pub authkey: Option<(authkey::AuthKey, PathBuf)>,
}

/// Reads the key (secauth on), resolves the bind address and chooses the node id.
pub fn plan(settings: &Settings) -> Result<Plan, StartError> {
    let authkey = if settings.totem.secauth {
        let path = crate::config::authkey_path();
        Some((authkey::load(&path).map_err(|e| StartError(e.to_string()))?, path))
    } else {
        None
    };
    let (transport, remarks) = TransportConfig::from_settings(&settings.totem).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrNotAvailable {
            // The address matches nothing here: a configuration error, placed
            // at the line to fix like those the reader finds.
            let line = settings.origin.bindnetaddr.first().copied().unwrap_or(0);
            StartError(
                settings
                    .origin
                    .error(line, "totem.interface.bindnetaddr", e.to_string())
                    .to_string(),
            )
        } else {
            StartError(format!("ring 0: {e}"))
        }
    })?;
    // The addresses a node list entry may name for this machine. When ring 0
    // binds an address that is no interface's own (several executives on one
    // host through 127.0.0.x), only that address is this node's: another
    // executive's entry names the interface's.
    let host: Vec<std::net::IpAddr> = match netif::local_addresses() {
        Ok(addrs) if addrs.iter().any(|a| a.addr == transport.local) => addrs.into_iter().map(|a| a.addr).collect(),
        _ => vec![transport.local],
    };
    let node_id = nodeid::for_this_node(settings, transport.local, &host).map_err(StartError)?;
    Ok(Plan {
        node_id,
        transport,
        remarks,
        authkey,
    })
}

/// Step 1: [`plan`], then bind and open (see the module documentation). Remarks
/// worth a warning are logged here.
pub fn prepare(settings: &Settings) -> Result<Prepared, StartError> {
    let Plan {
        node_id,
        transport,
        remarks,
        authkey,
    } = plan(settings)?;
    for r in remarks {
        log::warn!(target: "NET", "{r}");
    }
    let authkey = authkey.map(|(key, _)| key);
    let sockets = Sockets::bind(&transport).map_err(|e| StartError(format!("ring 0: {e}")))?;
    let dir = run_dir();
    let store = FileStore::open(&dir, node_id).map_err(|e| StartError(format!("ring sequence store: {e}")))?;
    Ok(Prepared {
        node_id,
        transport,
        sockets,
        store,
        run_dir: dir,
        authkey,
    })
}

/// Step 2: the core and the ordering task, with `host` as its services.
/// Must be called inside a tokio runtime (the sockets register with it).
pub fn start<H: ServiceHost>(
    prepared: Prepared,
    settings: &Settings,
    host: H,
) -> Result<(Driver<H>, DaemonHandle<H::Request>), StartError> {
    let Prepared {
        node_id,
        transport: tcfg,
        sockets,
        mut store,
        authkey,
        ..
    } = prepared;
    let peers = transport::peers_for(node_id, &tcfg, settings);
    let codec: Box<dyn Codec> = match &authkey {
        Some(key) => {
            Box::new(crypto::Sealed::new(key.bytes()).map_err(|e| StartError(format!("datagram security: {e}")))?)
        }
        None => Box::new(Plain),
    };
    log::info!(target: "NET", "datagram security: {}", codec.name());
    let transport = Transport::new(node_id, sockets, peers, codec).map_err(|e| StartError(format!("ring 0: {e}")))?;
    let clock = Clock::new();
    let opts = Options {
        seed: seed(node_id),
        ..Options::default()
    };
    let totem = Totem::new(
        settings.totem.protocol.clone(),
        node_id,
        store.load(),
        opts,
        clock.now(),
    )
    .map_err(|e| StartError(e.to_string()))?;
    Ok(Driver::new(totem, transport, host, clock, Box::new(store)))
}

/// The seed of the core's join-delay generator: it only has to differ
/// between nodes and runs (no security depends on it).
fn seed(node_id: NodeId) -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (u64::from(node_id) << 32) ^ u64::from(std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        Settings::from_str(text, "test.conf").unwrap().0
    }

    /// Every configuration error names the file and line to fix; an address
    /// that matches no interface of this host is one.
    #[test]
    fn a_bindnetaddr_matching_no_interface_names_its_line() {
        // Documentation networks (RFC 5737) and one private one: the first
        // that no interface of this host is in.
        let host = netif::local_addresses().unwrap();
        let Some(far) = ["198.51.100.77", "203.0.113.77", "192.0.2.77", "10.254.253.77"]
            .iter()
            .map(|a| a.parse::<std::net::IpAddr>().unwrap())
            .find(|a| netif::select(*a, &host).is_none())
        else {
            eprintln!("SKIPPED a_bindnetaddr_matching_no_interface_names_its_line: every candidate is local");
            return;
        };
        let s = settings(&format!(
            "totem {{\n\tsecauth: off\n\tinterface {{\n\t\tbindnetaddr: {far}\n\
             \t\tmcastaddr: 239.1.1.1\n\t}}\n}}\n"
        ));
        let e = prepare(&s).unwrap_err().to_string();
        assert!(
            e.starts_with("test.conf:4: totem.interface.bindnetaddr: ") && e.contains(&far.to_string()),
            "{e}"
        );
    }
}
