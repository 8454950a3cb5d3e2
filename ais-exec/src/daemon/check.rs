//! `aisexec -t`: reads and checks the configuration and the cluster key as a start
//! would, without binding, writing or locking anything, and says what would run.
//! Exit status 0 when a start would get past them, 1 otherwise (corosync's `-t`).

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use super::options::CmdLine;
use super::{crypto, plan, run_dir, transport::Mode, Plan};
use crate::config::{self, Settings};
use crate::ipc::SocketName;

/// Runs the check for `cmd`'s configuration; warnings and the failure on stderr, the
/// summary on stdout.
pub fn run(cmd: &CmdLine) -> ExitCode {
    let path = cmd.config.clone().unwrap_or_else(config::main_config_path);
    match check(&path) {
        Ok((warnings, summary)) => {
            for w in warnings {
                eprintln!("aisexec: warning: {w}");
            }
            crate::tool_output::print("aisexec", &summary);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("aisexec: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The warnings and the summary, or why a start would fail.
fn check(path: &Path) -> Result<(Vec<String>, String), String> {
    let (settings, warnings) = Settings::load_file(path).map_err(|e| e.to_string())?;
    let mut warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    let plan = plan(&settings).map_err(|e| e.to_string())?;
    if let Some((key, _)) = &plan.authkey {
        crypto::Sealed::new(key.bytes()).map_err(|e| format!("datagram security: {e}"))?;
    } else {
        warnings.push("totem.secauth is off: datagrams are not authenticated and are sent in the clear".into());
    }
    warnings.extend(plan.remarks.iter().cloned());
    let socket = SocketName::from_env().map_err(|e| e.to_string())?;
    Ok((warnings, summary(path, &settings, &plan, &socket, &run_dir())))
}

/// What would run, one fact a line.
fn summary(path: &Path, settings: &Settings, plan: &Plan, socket: &SocketName, dir: &Path) -> String {
    let t = &plan.transport;
    let mut s = format!("{}: configuration ok\n", path.display());
    let _ = writeln!(s, "node id      {} ({:#x})", plan.node_id, plan.node_id);
    let _ = writeln!(
        s,
        "ring 0       {}:{} on {}, {}",
        t.local,
        t.port,
        t.ifname,
        match &t.mode {
            Mode::Multicast { group, .. } => format!("udp to group {group}"),
            Mode::Unicast { members } => format!("udpu to {} members", members.len()),
        }
    );
    match &plan.authkey {
        Some((key, key_path)) => {
            let _ = writeln!(
                s,
                "secauth      on, key {} ({} bytes)",
                key_path.display(),
                key.bytes().len()
            );
        }
        None => s.push_str("secauth      off\n"),
    }
    if !settings.nodes.is_empty() {
        let _ = writeln!(s, "nodes        {} configured", settings.nodes.len());
    }
    let _ = writeln!(
        s,
        "state        {} (ring sequence file ringid_{})",
        dir.display(),
        plan.node_id
    );
    let _ = writeln!(s, "IPC socket   {socket}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_unicast_ring() {
        let text = "totem {\n\tsecauth: off\n\ttransport: udpu\n\tinterface {\n\t\tbindnetaddr: 127.0.0.1\n\
                    \t\tmcastport: 5405\n\t\tmember {\n\t\t\tmemberaddr: 127.0.0.1\n\t\t}\n\t}\n}\n";
        let (settings, _) = Settings::from_str(text, "t.conf").unwrap();
        let plan = plan(&settings).unwrap();
        let s = summary(
            Path::new("/etc/ais/openais.conf"),
            &settings,
            &plan,
            &SocketName::parse("@ais").unwrap(),
            Path::new("/var/lib/ais"),
        );
        assert!(s.starts_with("/etc/ais/openais.conf: configuration ok\n"), "{s}");
        assert!(s.contains("node id      2130706433 (0x7f000001)\n"), "{s}");
        assert!(
            s.contains("ring 0       127.0.0.1:5405 on lo, udpu to 1 members\n"),
            "{s}"
        );
        assert!(s.contains("secauth      off\n"), "{s}");
        assert!(
            s.contains("state        /var/lib/ais (ring sequence file ringid_2130706433)\n"),
            "{s}"
        );
        assert!(s.ends_with("IPC socket   @ais\n"), "{s}");
    }
}
