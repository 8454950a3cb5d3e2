//! The services under the seeded cluster simulator (`ais-service-sim`):
//! 300 seeds of 2 to 5 nodes with loss, partitions, pauses, crashes and
//! restarts, CKPT, CPG and CLM clients on every node. A failure prints the
//! command that replays it:
//! `cargo run --release --example service-sim -- --seed S --nodes 2..5`.

use ais_service_sim::{run_seed, Outcome, Property};

const SEEDS: u64 = 300;

fn runs() -> Vec<Outcome> {
    (1..=SEEDS).map(|seed| run_seed(seed, 2, 5)).collect()
}

/// The failures among `outcomes` of the properties `which`, one replay line each.
fn failures(outcomes: &[Outcome], which: &[Property]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|o| {
            let bad: Vec<String> = o
                .violations
                .iter()
                .filter(|v| which.contains(&v.property) || v.detail.starts_with("panicked"))
                .map(|v| v.to_string())
                .collect();
            (!bad.is_empty()).then(|| {
                format!(
                    "cargo run --release --example service-sim -- --seed {} --nodes 2..5   # {}",
                    o.seed, bad[0]
                )
            })
        })
        .collect()
}

/// Every request is answered at most once, by the node it was sent to; what
/// the API acknowledges once ordered (CKPT open, section create, write,
/// overwrite, unlink) is answered OK only after its message was delivered on
/// that node; nothing is sent to a connection that is gone; with quorum
/// configured (every third seed), nothing is acknowledged in a partition that
/// was not quorate; no service or protocol panics.
#[test]
fn three_hundred_seeds_answer_once_from_the_origin_after_ordering_and_only_to_open_connections() {
    let outcomes = runs();
    let requests: usize = outcomes.iter().map(|o| o.requests).sum();
    assert!(
        requests > SEEDS as usize * 50,
        "the clients asked too little: {requests}"
    );
    let bad = failures(
        &outcomes,
        &[
            Property::AnsweredTwice,
            Property::AnsweredElsewhere,
            Property::AckedUnordered,
            Property::ClosedConn,
            Property::UnquorateAck,
        ],
    );
    assert!(bad.is_empty(), "{} seeds failed:\n{}", bad.len(), bad.join("\n"));
}

/// Members of the final configuration hold the same replicated state, and
/// an acknowledged CKPT write that a survivor delivered is read back.
///
/// Ignored while CKPT and CPG fail it (all with `--nodes 2..7` but the
/// first):
/// 1. CKPT's merge rule keeps, of two copies of a checkpoint, the one of the
///    side whose old ring had the lowest representative, so what the other
///    side acknowledged is gone from every replica (seed 128 with `--nodes
///    2..5`: a write acknowledged in a ring of three nodes is lost when node
///    41, cut off alone with its own copy, merges back);
/// 2. after some merges one node counts a different number of its own
///    references to a checkpoint than the others (seeds 74, 144, 282, 647,
///    780, 1137, 1964);
/// 3. CPG's groups diverge when a node was cut off into a ring of its own
///    while the others formed none without it: what it applied alone the
///    others never see, and they keep its old members because the regular
///    member set did not change (seed 1006).
///
/// Run it with `--ignored`.
#[test]
#[ignore = "CKPT's merge rule loses acknowledged writes, CKPT's reference counts and CPG's groups can diverge; see the comment"]
fn three_hundred_seeds_keep_replicas_equal_and_acknowledged_writes() {
    let bad = failures(&runs(), &[Property::Digest, Property::WriteLost]);
    assert!(bad.is_empty(), "{} seeds failed:\n{}", bad.len(), bad.join("\n"));
}
