//! The services under the seeded cluster simulator ([`ais_service_sim`]).
//!
//! ```text
//! cargo run --release --example service-sim -- --seeds N [--nodes A..B] [--seed S]
//! ```
//!
//! Runs seeds 1..=N (or the one seed S), prints one reproduction line per
//! failing seed with what failed, and last `P passed, F failed`; exits 1 on
//! any failure.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: service-sim --seeds N [--nodes A..B] [--seed S]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut seeds: Option<u64> = None;
    let mut one: Option<u64> = None;
    let (mut min, mut max) = (2usize, 5usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let Some(v) = args.next() else { return usage() };
        match a.as_str() {
            "--seeds" => match v.parse() {
                Ok(n) => seeds = Some(n),
                Err(_) => return usage(),
            },
            "--seed" => match v.parse() {
                Ok(n) => one = Some(n),
                Err(_) => return usage(),
            },
            "--nodes" => {
                let parsed = v
                    .split_once("..")
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                match parsed {
                    Some((a, b)) if a >= 1 && a <= b => (min, max) = (a, b),
                    _ => return usage(),
                }
            }
            _ => return usage(),
        }
    }
    let list: Vec<u64> = match (one, seeds) {
        (Some(s), _) => vec![s],
        (None, Some(n)) => (1..=n).collect(),
        (None, None) => return usage(),
    };
    let (mut passed, mut failed) = (0, 0);
    for seed in list {
        let o = ais_service_sim::run_seed(seed, min, max);
        if o.violations.is_empty() {
            passed += 1;
        } else {
            failed += 1;
            // The first few say what failed; the seed replays the rest.
            let what: Vec<String> = o.violations.iter().take(3).map(|v| v.to_string()).collect();
            let more = match o.violations.len() {
                n if n > 3 => format!(" (and {} more)", n - 3),
                _ => String::new(),
            };
            println!(
                "cargo run --release --example service-sim -- --seed {seed} --nodes {min}..{max}   # {}{more}",
                what.join("; ")
            );
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
