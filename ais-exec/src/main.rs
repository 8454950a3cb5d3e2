//! aisexec: the AIS executive. See aisexec(8).

use std::process::ExitCode;

use ais_exec::config::{self, Settings};
use ais_exec::daemon;
use ais_exec::daemon::check;
use ais_exec::daemon::logging::{self, LogConfig};
use ais_exec::daemon::options::{self, Action, USAGE};
use ais_exec::daemon::pidlock::{LockError, PidLock};
use ais_exec::ipc::{self, AccessPolicy, IpcConfig, SocketName};
use ais_exec::services::clm::node::NodeInfo;
use ais_exec::services::registry;
use ais_exec::{tool_args, tool_output};
use ais_totem::NodeId;
use tokio::signal::unix::{signal, SignalKind};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// See Cargo.toml: large buffers are reused instead of mapped afresh each time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status for a bad command line (getopt programs' usual 2).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cmd = match options::parse(std::env::args_os().skip(1)) {
        Ok(Action::Run(cmd)) => cmd,
        Ok(Action::Check(cmd)) => return check::run(&cmd),
        Ok(Action::Help) => {
            tool_output::print("aisexec", USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Action::Version) => {
            tool_output::print("aisexec", &tool_args::version_line("aisexec"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!("aisexec: {e}\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    // A setuid executive would hand root to whoever can run it: it reads
    // files and environment variables chosen by the caller.
    let (uid, euid) = (nix::unistd::getuid(), nix::unistd::geteuid());
    let (gid, egid) = (nix::unistd::getgid(), nix::unistd::getegid());
    if uid != euid || gid != egid {
        eprintln!(
            "aisexec: refusing to run setuid or setgid (uid {uid}, effective uid {euid}, gid {gid}, effective gid {egid})"
        );
        return ExitCode::FAILURE;
    }

    let path = cmd.config.clone().unwrap_or_else(config::main_config_path);
    let (settings, warnings) = match Settings::load_file(&path) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("aisexec: {e}");
            return ExitCode::FAILURE;
        }
    };

    let log_cfg = LogConfig::from_settings(&settings.logging);
    let to_stderr = log_cfg.to_stderr;
    if let Err(e) = logging::init(log_cfg) {
        eprintln!("aisexec: logging: {e}");
        return ExitCode::FAILURE;
    }
    // Say it on the terminal too when the log does not go there: this is
    // still before the process detaches.
    let report = |level: log::Level, msg: &str| {
        log::log!(target: "MAIN", level, "{msg}");
        if !to_stderr {
            eprintln!("aisexec: {msg}");
        }
    };
    for w in &warnings {
        report(log::Level::Warn, &w.to_string());
    }

    log::info!(target: "MAIN", "AIS Executive Service {VERSION} starting (configuration {})", path.display());
    if !settings.totem.secauth {
        report(
            log::Level::Warn,
            "totem.secauth is off: datagrams are not authenticated and are sent in the clear",
        );
    }

    // One executive per IPC socket: a second one is told about the first before it
    // collides with its ports and socket.
    let socket = match SocketName::from_env() {
        Ok(s) => s,
        Err(e) => {
            report(log::Level::Error, &format!("can't start: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let mut lock = match PidLock::acquire(&daemon::run_dir(), &socket) {
        Ok(l) => l,
        Err(e @ LockError::Running { .. }) => {
            log::error!(target: "MAIN", "{e}");
            if !to_stderr {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
        Err(e) => {
            report(
                log::Level::Error,
                &format!("can't start: state directory (ring sequence store, pid lock): {e}"),
            );
            return ExitCode::FAILURE;
        }
    };

    let prepared = match daemon::prepare(&settings) {
        Ok(p) => p,
        Err(e) => {
            report(log::Level::Error, &format!("can't start: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let t = &prepared.transport;
    log::info!(
        target: "NET",
        "node id {} ({:#x}), ring 0 on {}:{} ({}), transport {}, ring sequence in {}",
        prepared.node_id,
        prepared.node_id,
        t.local,
        t.port,
        t.ifname,
        match t.mode {
            daemon::transport::Mode::Multicast { group, .. } => format!("udp to group {group}"),
            daemon::transport::Mode::Unicast { ref members } => format!("udpu to {} members", members.len()),
        },
        prepared.store.path().display()
    );

    if !cmd.foreground {
        // The classic way (fork, setsid, fork, chdir /, stdio to /dev/null),
        // before any thread exists; the sockets and files opened above stay
        // open in the child.
        if let Err(e) = nix::unistd::daemon(false, false) {
            report(log::Level::Error, &format!("can't become a daemon: {e}"));
            return ExitCode::FAILURE;
        }
        // The lock passed to the daemon with its open file; the pid in it is now this one.
        if let Err(e) = lock.record_pid() {
            log::warn!(target: "MAIN", "{}: can't record the pid: {e}", lock.path().display());
        }
    }

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            log::error!(target: "MAIN", "can't start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(prepared, settings, socket));
    log::logger().flush();
    drop(lock);
    code
}

async fn run(prepared: daemon::Prepared, settings: Settings, socket: SocketName) -> ExitCode {
    // Installed before the ring starts, so a signal never finds the default
    // action (which would kill the executive without a leave).
    let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            log::error!(target: "MAIN", "can't handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let node: NodeId = prepared.node_id;
    let me = local_record(&prepared, &settings);
    log::info!(target: "CLM", "this node: {} ({}), booted at {} s", me.name, me.address, me.boot_timestamp / 1_000_000_000);
    let access = match AccessPolicy::from_config("ais", &settings.uidgid) {
        Ok(a) => a,
        Err(e) => {
            log::error!(target: "MAIN", "can't start: uidgid: {e}");
            return ExitCode::FAILURE;
        }
    };
    let router = registry::router(&registry::Setup {
        quorum: settings.quorum_config(),
        ckpt: settings.checkpoint.limits(),
        evt: ais_exec::services::evt::delivery::DeliveryQueue {
            size: settings.event.delivery_queue_size as usize,
            resume: settings.event.delivery_queue_resume as usize,
        },
        ..registry::Setup::new(me)
    });
    let versions = router.versions();
    let (driver, handle) = match daemon::start(prepared, &settings, router) {
        Ok(x) => x,
        Err(e) => {
            log::error!(target: "MAIN", "can't start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ipc_config = IpcConfig::new(socket, access, versions);
    let _server = match ipc::serve(ipc_config, handle.request_sender()) {
        Ok(s) => {
            log::info!(target: "IPC", "clients connect on {}", s.socket());
            s
        }
        Err(e) => {
            log::error!(target: "MAIN", "can't start the IPC server: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::spawn(daemon::notify::ready_when_installed(handle.watch_membership()));
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        log::info!(target: "MAIN", "{name} received");
        daemon::notify::stopping();
        handle.shutdown();
    });
    // The pid after daemonizing: what to signal.
    log::info!(
        target: "MAIN",
        "AIS Executive Service: started and ready to provide service (node {node}, pid {}).",
        std::process::id()
    );
    driver.run().await;
    log::info!(target: "MAIN", "AIS Executive exiting.");
    ExitCode::SUCCESS
}

/// This node's CLM record: its node id, the address it binds, its name (from
/// a `nodes { node { } }` entry, else the host name) and the time it booted.
fn local_record(prepared: &daemon::Prepared, settings: &Settings) -> NodeInfo {
    let addr = prepared.transport.local;
    let configured = settings
        .nodes
        .iter()
        .find(|n| n.nodeid == prepared.node_id)
        .and_then(|n| n.name.clone());
    let name = configured
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| addr.to_string());
    NodeInfo::new(prepared.node_id, addr, &name, boot_time_ns(), 0)
}

/// When the system booted, in nanoseconds since the epoch (now less uptime).
fn boot_time_ns() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|u| u.parse::<f64>().ok()))
        .unwrap_or(0.0);
    // Whole seconds, as openais reported it: stable across reads.
    ((now.as_secs_f64() - uptime).floor() as i64) * 1_000_000_000
}
