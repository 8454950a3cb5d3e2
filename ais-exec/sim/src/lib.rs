//! The AIS services under a seeded cluster simulator: every node runs the
//! real Totem core ([`ais_totem`]) and the real router and services of
//! [`ais_exec::services`] over a simulated network with the fault scenarios
//! of [`ais_totem_sim`]; seeded clients on every node use CKPT, CPG and CLM
//! through fake connections ([`fake`]); [`checker`] judges the run's
//! [`history`]. A failing seed is a one-line reproduction:
//!
//! ```text
//! cargo run --release --example service-sim -- --seed S --nodes A..B
//! ```
//!
//! A crate of its own, not a module of `ais-exec`: the executive does not
//! carry a simulator (nor depend on `ais-totem-sim`), and the simulator
//! reaches the services only through what the executive exports to any
//! host: the [`Service`](ais_exec::services::Service) trait, the generic
//! [`Router`](ais_exec::services::router::Router) and its I/O traits
//! ([`ais_exec::services::io`]). `ais-exec` runs it as a dev-dependency (its
//! `service-sim` example and the seeds in its tests).

pub mod checker;
pub mod ckpt;
pub mod evt;
pub mod fake;
pub mod history;
pub mod lck;
pub mod msg;
pub mod quorum;
pub mod sim;

pub use checker::{check, Property, Violation};
pub use sim::{run, Outcome};

/// Runs one seed, turning a panic inside the services or the protocol into
/// a failure of the run.
pub fn run_seed(seed: u64, min_nodes: usize, max_nodes: usize) -> Outcome {
    match std::panic::catch_unwind(|| run(seed, min_nodes, max_nodes)) {
        Ok(o) => o,
        Err(e) => {
            let msg = ais_totem_sim::panic_message(&*e);
            Outcome {
                seed,
                nodes: 0,
                violations: vec![Violation {
                    property: Property::Digest,
                    detail: format!("panicked: {msg}"),
                }],
                requests: 0,
                sim_time: 0,
            }
        }
    }
}
