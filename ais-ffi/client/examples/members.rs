//! Prints the cluster's membership as the local executive knows it, and with `--follow`
//! every change after it until interrupted: the CLM service used from Rust directly.
//!
//! ```sh
//! cargo run --release -p ais-client --example members [-- --follow]
//! ```
//!
//! It talks to the executive `AIS_IPC_SOCKET` names (default `@ais`). `make check` runs it
//! against a live executive (`mk/client.mk`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ais_client::clm::{self, Clm, ClmEvent, NotificationList};
use ais_client::{DispatchMode, Error};

fn main() -> ExitCode {
    let follow = std::env::args().skip(1).any(|a| a == "--follow");
    match run(follow) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("members: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(follow: bool) -> Result<(), Box<dyn std::error::Error>> {
    // An executive that is starting, or forming a new view, asks callers to try again.
    let clm = retry(|| Clm::open(clm::B0401), |e| e.error == Error::TryAgain)?;
    let view = retry(|| clm.members(), |e| *e == Error::TryAgain)?;
    print(&view);
    if follow {
        clm.track_start(clm::TRACK_CHANGES_ONLY, false)?;
        clm.dispatch(DispatchMode::Blocking, |event| {
            if let ClmEvent::Track { list, .. } = event {
                print(&list);
            }
        })?;
    }
    Ok(())
}

/// Calls `f` until it succeeds, fails otherwise than `again` says, or 10 s have passed.
fn retry<T, E>(mut f: impl FnMut() -> Result<T, E>, again: impl Fn(&E) -> bool) -> Result<T, E> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Err(e) if again(&e) && Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            r => return r,
        }
    }
}

fn print(view: &NotificationList) {
    println!("view {}: {} member(s)", view.view, view.members);
    for item in &view.items {
        let n = &item.node;
        // SaClmClusterChangesT.
        let change = match item.change {
            1 => "no change",
            2 => "joined",
            3 => "left",
            4 => "reconfigured",
            _ => "?",
        };
        println!(
            "  node {:>10}  {:<15} {:<20} {}",
            n.node_id,
            String::from_utf8_lossy(&n.address),
            String::from_utf8_lossy(&n.name),
            change
        );
    }
}
