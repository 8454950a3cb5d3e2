//! A deterministic cluster simulator for the Totem core and a checker of
//! extended virtual synchrony. Every run is a function of its seed; a failing
//! seed is a one-line reproduction:
//!
//! ```text
//! cargo run --release --example totem-sim -- --seed S --nodes N..N
//! ```

pub mod checker;
pub mod history;
pub mod net;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod timeline;

pub use checker::{check, Violation};
pub use scenario::Scenario;
pub use sim::{run, Outcome};

/// Runs one seed, turning a panic inside the protocol into a failure.
pub fn run_seed(seed: u64, min_nodes: usize, max_nodes: usize) -> Outcome {
    let sc = Scenario::from_seed(seed, min_nodes, max_nodes);
    let n = sc.node_ids.len();
    match std::panic::catch_unwind(|| run(&sc)) {
        Ok(o) => o,
        Err(e) => {
            let msg = panic_message(&*e);
            Outcome {
                seed,
                nodes: n,
                violations: vec![Violation {
                    property: 0,
                    detail: format!("panicked: {msg}"),
                }],
                events: 0,
                delivered: 0,
                submitted: 0,
                rings_formed: 0,
                sim_time: 0,
                formed_after: None,
                token: 1,
            }
        }
    }
}

/// What a caught panic said.
pub fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}
