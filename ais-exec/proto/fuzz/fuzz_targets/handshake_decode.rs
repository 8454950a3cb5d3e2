#![no_main]
//! Any byte string as a handshake payload of every kind: what decodes re-encodes to the
//! same frame, and nothing panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ais_proto::fuzzing::decode_handshake(data));
