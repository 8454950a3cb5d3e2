#![no_main]
//! Any sequence of datagrams, timer expiries and submissions fed to a node:
//! the state machine never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ais_totem::fuzzing::node_input(data));
