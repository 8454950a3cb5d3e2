#![no_main]
//! Any byte string as an IPC byte stream: frames split off it re-encode to the same bytes,
//! and nothing panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ais_proto::fuzzing::decode_frames(data));
