//! Runs seeded cluster scenarios against the Totem core and checks extended
//! virtual synchrony on each.
//!
//! ```text
//! cargo run --release --example totem-sim -- --seeds N [--nodes MIN..MAX] [--seed S] [--first S] [-v]
//! ```
//!
//! Prints one reproduction line per failure and ends with `N passed, M
//! failed`; exits 1 if any failed.

use ais_totem_sim::run_seed;
use std::process::exit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

fn usage() -> ! {
    eprintln!("usage: totem-sim --seeds N [--nodes MIN..MAX] [--seed S] [--first S] [--jobs J] [-v]");
    exit(2)
}

fn main() {
    let mut seeds: u64 = 100;
    let mut first: u64 = 1;
    let mut single: Option<u64> = None;
    let mut nodes = (2usize, 16usize);
    let mut verbose = false;
    let mut jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--seeds" => seeds = val().parse().unwrap_or_else(|_| usage()),
            "--seed" => single = Some(val().parse().unwrap_or_else(|_| usage())),
            "--first" => first = val().parse().unwrap_or_else(|_| usage()),
            "--jobs" => jobs = val().parse().unwrap_or_else(|_| usage()),
            "--nodes" => {
                let v = val();
                let (lo, hi) = match v.split_once("..") {
                    Some((a, b)) => (a.parse(), b.parse()),
                    None => (v.parse(), v.parse()),
                };
                match (lo, hi) {
                    (Ok(lo), Ok(hi)) if lo >= 1 && hi >= lo && hi <= 256 => nodes = (lo, hi),
                    _ => usage(),
                }
            }
            "-v" | "--verbose" => verbose = true,
            _ => usage(),
        }
    }
    let list: Vec<u64> = match single {
        Some(s) => vec![s],
        None => (first..first + seeds).collect(),
    };
    let next = AtomicU64::new(0);
    let failed = Mutex::new(Vec::new());
    let passed = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(&seed) = list.get(k) else { break };
                let o = run_seed(seed, nodes.0, nodes.1);
                if verbose {
                    println!(
                        "seed {seed}: {} nodes, {} events, {} submitted, {} delivered, {:.1} s simulated, ring after heal {:?} ms ({:.1} tokens), {}",
                        o.nodes,
                        o.events,
                        o.submitted,
                        o.delivered,
                        o.sim_time as f64 / 1e9,
                        o.formed_after.map(|t| t / 1_000_000),
                        o.formed_after.map(|t| t as f64 / o.token as f64).unwrap_or(f64::NAN),
                        if o.violations.is_empty() { "ok" } else { "FAILED" }
                    );
                }
                if o.violations.is_empty() {
                    passed.fetch_add(1, Ordering::Relaxed);
                } else {
                    println!(
                        "FAIL: cargo run --release --example totem-sim -- --seed {seed} --nodes {}..{}  # {} nodes: {}{}",
                        nodes.0,
                        nodes.1,
                        o.nodes,
                        o.violations[0],
                        if o.violations.len() > 1 { format!(" (+{} more)", o.violations.len() - 1) } else { String::new() }
                    );
                    if single.is_some() || verbose {
                        for v in &o.violations {
                            println!("  {v}");
                        }
                    }
                    failed.lock().unwrap().push(seed);
                }
            });
        }
    });
    let f = failed.lock().unwrap().len();
    println!("{} passed, {} failed", passed.load(Ordering::Relaxed), f);
    exit(if f > 0 { 1 } else { 0 });
}
