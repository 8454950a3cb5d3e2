#![no_main]
//! Any byte string as a Totem datagram: decoding never panics, and what
//! decodes re-encodes to the same bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ais_totem::fuzzing::decode_datagram(data));
