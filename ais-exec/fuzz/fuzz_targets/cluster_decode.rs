#![no_main]
//! Any byte string as a cluster message of every service: what decodes re-encodes to the
//! same bytes, and no decoder or service panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ais_exec::services::fuzzing::decode_cluster_messages(data));
