//! Generates the ctest layout check of ais-ffi's C types against the committed headers.

use std::path::Path;

fn main() {
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let include = ffi.join("../include");
    for watched in [ffi.join("src/types"), include.clone()] {
        println!("cargo:rerun-if-changed={}", watched.display());
    }

    let mut cfg = ctest::TestGenerator::new();
    cfg.include(&include)
        .header("saAis.h")
        .header("saClm.h")
        .header("saCkpt.h")
        .header("saTmr.h")
        .header("saEvt.h")
        .header("saLck.h")
        .header("saMsg.h")
        .header("corosync/corotypes.h")
        .header("corosync/cpg.h")
        .header("corosync/evs.h");
    // The SA Forum types are anonymous structs and unions named by typedef, so C knows them
    // as `SaNameT`, never `struct SaNameT`.
    cfg.rename_struct_ty(|ty| Some(ty.to_string()));
    cfg.rename_union_ty(|ty| Some(ty.to_string()));
    // The header generator's own bookkeeping, not C types.
    cfg.skip_struct(|s| matches!(s.ident(), "CEnum" | "CEnumVariant"));
    // The C enums are plain aliases here (`pub type SaBoolT = c_uint`), exactly as Rust holds
    // them: ctest then checks size, alignment and signedness of the C enum against c_uint,
    // and the value of every enumerator against its Rust constant.

    // ctest reads the types module as a crate root: it must stay free of other crates.
    ctest::generate_test(&mut cfg, ffi.join("src/types/mod.rs"), "layout.rs").expect("ctest generation");
}
