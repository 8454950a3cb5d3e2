//! Seeded cluster scenarios under `cargo test`: 2,000 seeds over 2 to 16
//! nodes, plus a 64-node run, each checked for extended virtual synchrony
//! (see the checker's module documentation for the seven properties). Split
//! into shards so the test harness runs them in parallel.
//!
//! A failure prints the one-line reproduction for the example runner.

use ais_totem_sim::run_seed;

fn shard(first: u64, count: u64, min: usize, max: usize) {
    let mut failures = Vec::new();
    for seed in first..first + count {
        let o = run_seed(seed, min, max);
        if !o.violations.is_empty() {
            failures.push(format!(
                "cargo run --release --example totem-sim -- --seed {seed} --nodes {min}..{max}  # {}",
                o.violations[0]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} seeds failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

macro_rules! shards {
    ($($name:ident: $first:expr;)*) => {
        $(
            #[test]
            fn $name() {
                shard($first, 250, 2, 16);
            }
        )*
    };
}

shards! {
    seeds_0001_0250: 1;
    seeds_0251_0500: 251;
    seeds_0501_0750: 501;
    seeds_0751_1000: 751;
    seeds_1001_1250: 1001;
    seeds_1251_1500: 1251;
    seeds_1501_1750: 1501;
    seeds_1751_2000: 1751;
}

#[test]
fn sixty_four_nodes() {
    shard(100_001, 3, 64, 64);
}
