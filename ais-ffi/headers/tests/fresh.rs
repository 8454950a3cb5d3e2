//! The committed headers must be exactly what the generator produces now.

#[test]
fn committed_headers_are_fresh() {
    let mut stale = Vec::new();
    for h in ais_ffi_headers::HEADERS {
        let fresh = ais_ffi_headers::generate(h).expect("cbindgen");
        let path = ais_ffi_headers::include_dir().join(h.name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            stale.push(h.name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale headers {stale:?}: run `make headers` (cargo run -p ais-ffi-headers) and commit"
    );
}
