//! ais-cpgtool: lists the local executive's process groups and their members.
//!
//!   ais-cpgtool       every group, with each member's pid and node id
//!   ais-cpgtool -n    the group names only
//!
//! It talks to the executive `AIS_IPC_SOCKET` names (default `@ais`), through the CPG
//! service's iteration, and shows the groups as that node knows them.

use ais_client::cpg::{Cpg, IterEntry, ITERATION_ALL, ITERATION_NAME_ONLY};
use ais_exec::{tool_args, tool_output};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: ais-cpgtool [-n]
  -n             print the group names only
  -h, --help     this help
  -v, --version  print the version
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = tool_args::answer("ais-cpgtool", USAGE, &args) {
        return code;
    }
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => list(false),
        ["-n"] => list(true),
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// A group name as text: printable ASCII as it is, other bytes as `\xNN`.
fn printable(name: &[u8]) -> String {
    name.iter()
        .map(|&b| match b {
            b'\\' => "\\\\".to_string(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

fn list(names_only: bool) -> ExitCode {
    // The error says whether nothing listens, the executive refused us (and how to be
    // allowed), or it did not answer, and names the socket.
    let cpg = match Cpg::open() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ais-cpgtool: {e}");
            return ExitCode::FAILURE;
        }
    };
    let kind = if names_only { ITERATION_NAME_ONLY } else { ITERATION_ALL };
    let entries = match cpg.iterate(kind, None, Some(Duration::from_secs(5))) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ais-cpgtool: asking the executive for its groups failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    tool_output::print("ais-cpgtool", &render(&entries, names_only));
    ExitCode::SUCCESS
}

/// The listing: a header, then each group's name followed by its members.
fn render(entries: &[IterEntry], names_only: bool) -> String {
    let mut out = String::new();
    if names_only {
        out.push_str("Group Name\n");
        for e in entries {
            out.push_str(&printable(&e.group));
            out.push('\n');
        }
        return out;
    }
    out.push_str(&format!("{:<32} {:>10} {:>12}\n", "Group Name", "PID", "Node ID"));
    let mut last: Option<&[u8]> = None;
    for e in entries {
        if last != Some(e.group.as_slice()) {
            out.push_str(&printable(&e.group));
            out.push('\n');
            last = Some(&e.group);
        }
        out.push_str(&format!("{:<32} {:>10} {:>12}\n", "", e.pid, e.node));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_listed_with_their_members_and_odd_bytes_escaped() {
        let e = |g: &[u8], node, pid| IterEntry {
            group: g.to_vec(),
            node,
            pid,
        };
        let text = render(&[e(b"a", 1, 10), e(b"a", 2, 20), e(b"b\x01", 1, 30)], false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert_eq!(lines[1], "a");
        assert!(lines[2].trim_start().starts_with("10 ") && lines[2].trim_end().ends_with(" 1"));
        assert_eq!(lines[4], "b\\x01");
        assert_eq!(render(&[e(b"a", 0, 0)], true), "Group Name\na\n");
    }
}
