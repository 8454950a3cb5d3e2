//! ais-clmtool: the administrative operations of CLM B.04.01 on a cluster node.
//!
//!   ais-clmtool lock NODE [-t SECS]       take NODE out of the membership, if its
//!                                         trackers agree (the validate step)
//!   ais-clmtool shutdown NODE [-t SECS]   take NODE out; it cannot be refused
//!   ais-clmtool unlock NODE               let NODE be a member again
//!   ais-clmtool display [-c FILE]         print every node of the cluster as the XML
//!                                         SAFTest's DISPLAY_CLUSTER command gives
//!
//! NODE is a node id or a member's name. `-t` is how long the start step waits for the
//! trackers that prepare (default: the executive's, 10 s). It talks to the executive
//! `AIS_IPC_SOCKET` names (default `@ais`), which allows only root, waits for the outcome
//! and exits 0 when it is done, 1 when it was refused or failed, 2 on a usage error.

use ais_client::clm::{Clm, B0401};
use ais_client::clm::{ADMIN_LOCK, ADMIN_SHUTDOWN, ADMIN_UNLOCK};
use ais_client::Error;
use ais_exec::cluster_xml;
use ais_exec::config::{self, Settings};
use ais_exec::{tool_args, tool_output};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: ais-clmtool lock|unlock|shutdown NODE [-t SECONDS]
       ais-clmtool display [-c FILE]
  NODE  a node id or a member's name
  -t    how long the start step waits for the trackers (lock, shutdown)
  -c    the configuration whose nodes { } block lists the cluster's nodes
        (default $OPENAIS_MAIN_CONFIG_FILE or /etc/ais/openais.conf)
  -h, --help     this help
  -v, --version  print the version
";

/// A command line that makes sense.
#[derive(Debug, PartialEq, Eq)]
struct Command {
    operation: u32,
    verb: &'static str,
    node: String,
    supervision: Option<Duration>,
}

/// `display`'s command line: the configuration to read, if not the default one.
fn parse_display(args: &[&str]) -> Option<Option<PathBuf>> {
    match args {
        ["display"] => Some(None),
        ["display", "-c", file] if !file.is_empty() => Some(Some(PathBuf::from(file))),
        _ => None,
    }
}

fn parse(args: &[&str]) -> Option<Command> {
    let (verb, operation) = match *args.first()? {
        "lock" => ("lock", ADMIN_LOCK),
        "unlock" => ("unlock", ADMIN_UNLOCK),
        "shutdown" => ("shutdown", ADMIN_SHUTDOWN),
        _ => return None,
    };
    let (node, supervision) = match &args[1..] {
        [node] => (node, None),
        [node, "-t", secs] | ["-t", secs, node] if operation != ADMIN_UNLOCK => {
            let s: f64 = secs
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)?;
            (node, Some(Duration::from_secs_f64(s)))
        }
        _ => return None,
    };
    if node.is_empty() || node.starts_with('-') {
        return None;
    }
    Some(Command {
        operation,
        verb,
        node: node.to_string(),
        supervision,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Some(code) = tool_args::answer("ais-clmtool", USAGE, &args) {
        return code;
    }
    if let Some(config) = parse_display(&args) {
        return finish(display(config));
    }
    let Some(cmd) = parse(&args) else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    finish(run(&cmd))
}

fn finish(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(text) => {
            tool_output::print("ais-clmtool", &text);
            ExitCode::SUCCESS
        }
        Err(text) => {
            eprintln!("ais-clmtool: {text}");
            ExitCode::FAILURE
        }
    }
}

/// The cluster as SAFTest's DISPLAY_CLUSTER prints it: the configured nodes and the
/// members this node's CLM reports (see ais_exec::cluster_xml).
fn display(config: Option<PathBuf>) -> Result<String, String> {
    let path = config.unwrap_or_else(config::main_config_path);
    let (settings, _warnings) = Settings::load_file(&path).map_err(|e| e.to_string())?;
    let clm = Clm::open(B0401).map_err(|e| e.to_string())?;
    // TRY_AGAIN while this node's view forms.
    let end = Instant::now() + Duration::from_secs(10);
    let list = loop {
        match clm.members() {
            Ok(list) => break list,
            Err(Error::TryAgain) if Instant::now() < end => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("asking for the membership failed: {e}")),
        }
    };
    let members: Vec<_> = list.items.into_iter().map(|n| n.node).collect();
    Ok(cluster_xml::render(&cluster_xml::cluster(&settings.nodes, &members)))
}

fn run(cmd: &Command) -> Result<String, String> {
    let clm = Clm::open(B0401).map_err(|e| e.to_string())?;
    let node_id = resolve(&clm, &cmd.node)?;
    // TRY_AGAIN while the view forms or another operation runs.
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        match clm.admin(cmd.operation, node_id, cmd.supervision) {
            Ok(()) => return Ok(format!("node {node_id}: {} done\n", cmd.verb)),
            Err(Error::TryAgain) if Instant::now() < end => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(explain(cmd.verb, node_id, e)),
        }
    }
}

/// A node id as it is, or a member's name looked up in the membership.
fn resolve(clm: &Clm, node: &str) -> Result<u32, String> {
    if let Ok(id) = node.parse::<u32>() {
        return Ok(id);
    }
    let list = clm
        .members()
        .map_err(|e| format!("asking for the membership failed: {e}"))?;
    list.items
        .iter()
        .find(|n| n.node.name == node.as_bytes())
        .map(|n| n.node.node_id)
        .ok_or_else(|| format!("no member is named {node:?} (a locked node is no member: give its node id)"))
}

fn explain(verb: &str, node: u32, e: Error) -> String {
    match e {
        Error::FailedOperation => format!("node {node}: {verb} refused (a tracker rejected it or did not answer)"),
        Error::NoOp => format!("node {node}: {verb}: the node is already in that state"),
        Error::NotExist => format!("node {node}: no such node in the cluster"),
        Error::Access => format!("{verb}: only root may lock, unlock or shut down nodes"),
        e => format!("node {node}: {verb} failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_command_lines() {
        assert_eq!(parse_display(&["display"]), Some(None));
        assert_eq!(
            parse_display(&["display", "-c", "/x.conf"]),
            Some(Some(PathBuf::from("/x.conf")))
        );
        for bad in [
            &["display", "-c"][..],
            &["display", "-c", ""],
            &["display", "x"],
            &["lock", "1"],
        ] {
            assert_eq!(parse_display(bad), None, "{bad:?}");
        }
        assert_eq!(parse(&["display"]), None);
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            parse(&["lock", "2"]),
            Some(Command {
                operation: ADMIN_LOCK,
                verb: "lock",
                node: "2".into(),
                supervision: None
            })
        );
        let c = parse(&["shutdown", "node-b", "-t", "2.5"]).unwrap();
        assert_eq!(
            (c.operation, c.supervision),
            (ADMIN_SHUTDOWN, Some(Duration::from_millis(2500)))
        );
        assert_eq!(parse(&["lock", "-t", "1", "3"]).unwrap().node, "3");
        assert_eq!(parse(&["unlock", "3"]).unwrap().operation, ADMIN_UNLOCK);
        for bad in [
            &["unlock", "3", "-t", "1"][..],
            &["lock"],
            &["lock", "1", "2"],
            &["lock", "1", "-t", "0"],
            &["lock", "1", "-t", "x"],
            &["lock", "-x"],
            &["reset", "1"],
            &[],
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
