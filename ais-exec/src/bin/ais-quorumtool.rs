//! ais-quorumtool: shows the local executive's quorum (votequorum(5)).
//!
//!   ais-quorumtool -s    quorate or not, votes, expected votes, members
//!
//! Exit status as corosync-quorumtool's: 0 quorate (or no quorum { }
//! section), 1 on error, 2 not quorate. It talks to the executive
//! `AIS_IPC_SOCKET` names (default `@ais`).

use ais_client::cfg::Cfg;
use ais_exec::tool_output;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: ais-quorumtool -s\n  -s             print the quorum: quorate or not, votes, expected votes, members\n  -h, --help     this help\n  -v, --version  the version\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["-s"] => status(),
        ["-h"] | ["--help"] => {
            tool_output::print("ais-quorumtool", USAGE);
            ExitCode::SUCCESS
        }
        ["-v"] | ["--version"] => {
            tool_output::print(
                "ais-quorumtool",
                &format!("ais-quorumtool {}\n", env!("CARGO_PKG_VERSION")),
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

fn status() -> ExitCode {
    let cfg = match Cfg::open() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ais-quorumtool: {e}");
            return ExitCode::FAILURE;
        }
    };
    let s = match cfg.quorum_status(Duration::from_secs(5)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ais-quorumtool: asking the executive for the quorum failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = String::from("Quorum information\n------------------\n");
    out += &format!("Node ID:          {}\n", s.node_id);
    out += &format!("Ring ID:          {}.{}\n", s.ring_rep, s.ring_seq);
    if !s.configured {
        out += "Quorum provider:  none (no quorum { } section: every partition goes on)\n";
        tool_output::print("ais-quorumtool", &out);
        return ExitCode::SUCCESS;
    }
    out += "Quorum provider:  corosync_votequorum\n";
    out += &format!("Quorate:          {}\n", yes_no(s.quorate));
    out += "\nVotequorum information\n----------------------\n";
    out += &format!("Expected votes:   {}\n", s.expected_votes);
    out += &format!("Total votes:      {}\n", s.total_votes);
    out += &format!("Quorum:           {}", s.quorum);
    if !s.quorate {
        out += "  Activity blocked";
    }
    out += "\n";
    let mut flags = Vec::new();
    if s.quorate {
        flags.push("Quorate");
    }
    if s.two_node {
        flags.push("2Node");
    }
    if s.waiting_for_all {
        flags.push("WaitForAll");
    }
    out += &format!("Flags:            {}\n", flags.join(" "));
    out += "\nMembership information\n----------------------\n    Nodeid      Votes\n";
    for (node, votes) in &s.members {
        let me = if *node == s.node_id { " (local)" } else { "" };
        out += &format!("{node:>10} {votes:>10}{me}\n");
    }
    tool_output::print("ais-quorumtool", &out);
    if s.quorate {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
