//! Runs the ctest-generated comparison (see build.rs); fails on any mismatch.
//!
//! ctest expands `ais-ffi/src/types/mod.rs` as a crate of its own, then compiles a C file that
//! includes the committed headers (`include/saAis.h`, `include/saClm.h`, `include/saCkpt.h`,
//! `include/saTmr.h`, `include/saEvt.h`, `include/saLck.h`, `include/saMsg.h`, `include/corosync/corotypes.h`, `include/corosync/cpg.h`, `include/corosync/evs.h`) and
//! reports, for every type, alias, struct field and constant declared there, its size,
//! alignment, signedness, offset, field type and value; this program compares them with
//! Rust's.
//!
//! (The package has no library target on purpose: build-script link flags then reach this
//! test, which is what links the C side in.)

// The generated code is not ours to lint.
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals, unused_imports)]
#![allow(clippy::all)]

use ais_ffi::types::ais::*;
use ais_ffi::types::ckpt::*;
use ais_ffi::types::clm::*;
use ais_ffi::types::corotypes::*;
use ais_ffi::types::cpg::*;
use ais_ffi::types::evs::*;
use ais_ffi::types::evt::*;
use ais_ffi::types::lck::*;
use ais_ffi::types::msg::*;
use ais_ffi::types::tmr::*;

include!(concat!(env!("OUT_DIR"), "/layout.rs"));
