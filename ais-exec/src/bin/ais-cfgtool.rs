//! ais-cfgtool: shows the local executive's ring.
//!
//!   ais-cfgtool -s    ring id, state, members and counters
//!
//! It talks to the executive `AIS_IPC_SOCKET` names (default `@ais`).

use ais_client::runtime::Connection;
use ais_proto::cfg::{RingStatus, RING_STATUS};
use ais_proto::{AisVersion, ServiceId};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: ais-cfgtool -s\n  -s  print the ring: id, state, members, counters\n  -h  this help\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["-s"] => status(),
        ["-h"] | ["--help"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn status() -> ExitCode {
    let conn = match Connection::open(ServiceId::CFG, AisVersion::new(0, 0, 0)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "ais-cfgtool: can't reach the executive (SaAisErrorT {}): is aisexec running?",
                e.error
            );
            return ExitCode::FAILURE;
        }
    };
    let reply = match conn.call(RING_STATUS, &[], Some(Duration::from_secs(5))) {
        Ok(r) if r.status == ais_proto::status::OK => r,
        Ok(r) => {
            eprintln!("ais-cfgtool: the executive answered SaAisErrorT {}", r.status);
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("ais-cfgtool: request failed (SaAisErrorT {e})");
            return ExitCode::FAILURE;
        }
    };
    let s = match RingStatus::decode(&reply.payload) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ais-cfgtool: malformed answer: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Local node ID {}", s.node_id);
    println!("RING ID 0");
    println!("\tid\t= {}.{}", s.ring_rep, s.ring_seq);
    println!("\tstate\t= {}", s.state);
    let members: Vec<String> = s.members.iter().map(u32::to_string).collect();
    println!("\tmembers\t= {} ({})", s.members.len(), members.join(" "));
    for (name, value) in &s.counters {
        println!("\t{name}\t= {value}");
    }
    ExitCode::SUCCESS
}
