//! ais-cfgtool: shows the local executive's ring.
//!
//!   ais-cfgtool -s    ring id, state, members and counters
//!
//! It talks to the executive `AIS_IPC_SOCKET` names (default `@ais`).

use ais_client::cfg::Cfg;
use ais_exec::{tool_args, tool_output};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: ais-cfgtool -s
  -s             print the ring: id, state, members, counters
  -h, --help     this help
  -v, --version  print the version
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = tool_args::answer("ais-cfgtool", USAGE, &args) {
        return code;
    }
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["-s"] => status(),
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn status() -> ExitCode {
    // The error says whether nothing listens, the executive refused us (and how to be
    // allowed), or it did not answer, and names the socket.
    let cfg = match Cfg::open() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ais-cfgtool: {e}");
            return ExitCode::FAILURE;
        }
    };
    let s = match cfg.ring_status(Duration::from_secs(5)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ais-cfgtool: asking the executive for the ring failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = format!("Local node ID {}\nRING ID 0\n", s.node_id);
    out += &format!("\tid\t= {}.{}\n", s.ring_rep, s.ring_seq);
    out += &format!("\tstate\t= {}\n", s.state);
    let members: Vec<String> = s.members.iter().map(u32::to_string).collect();
    out += &format!("\tmembers\t= {} ({})\n", s.members.len(), members.join(" "));
    for (name, value) in &s.counters {
        out += &format!("\t{name}\t= {value}\n");
    }
    tool_output::print("ais-cfgtool", &out);
    ExitCode::SUCCESS
}
