#![no_main]
//! Any byte string as the payload of every service message the libraries decode: what
//! decodes re-encodes to the same bytes, and nothing panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ais_proto::fuzzing::decode_service_payloads(data));
