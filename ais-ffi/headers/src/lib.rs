//! Generates `include/saAis.h`, `include/saClm.h`, ... from the ais-ffi sources with cbindgen.
//!
//! cbindgen renders the structs, typedefs, constants and prototypes. It cannot see the C
//! enums, which `sa_enums!` in ais-ffi declares as integer types plus constants (a Rust enum
//! would make out-of-range values from C undefined behaviour); this crate renders them from
//! the list the same macro invocation records, as `typedef enum { ... } SaXxxT;`, and
//! cbindgen places that text after the includes. The layout test then checks each constant
//! against the compiled header.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ais_ffi::types::{self, CEnum};

/// One generated header.
pub struct Header {
    /// File name under `include/`.
    pub name: &'static str,
    /// The include guard (the SA Forum header's own, for programs that test it).
    pub guard: &'static str,
    /// One-line description for the header comment.
    pub title: &'static str,
    /// `#include "..."` lines (other generated headers).
    pub includes: &'static [&'static str],
    /// `#include <...>` lines.
    pub sys_includes: &'static [&'static str],
    /// Sources cbindgen reads, relative to `ais-ffi/`.
    pub sources: &'static [&'static str],
    /// The C enums the header declares.
    pub enums: fn() -> &'static [CEnum],
    /// How structs are declared: `typedef struct {...} T;` (the SA Forum headers) or
    /// `typedef struct T {...} T;` (corosync's, whose programs write `struct cpg_name`).
    pub style: Style,
    /// C text placed after the declarations: macros and inline helpers Rust cannot
    /// declare.
    pub trailer: &'static str,
}

/// The struct declaration style of a header.
#[derive(Clone, Copy, Debug)]
pub enum Style {
    /// `typedef struct { ... } T;`
    Typedef,
    /// `typedef struct T { ... } T;`: `struct T` and `T` both work.
    TagAndTypedef,
}

/// Every header, in dependency order.
pub const HEADERS: &[Header] = &[
    Header {
        name: "saAis.h",
        guard: "_SA_AIS_H",
        title: "SA Forum AIS common types (B.05.01, with openais additions)",
        includes: &[],
        // openais's saAis.h included it, and programs rely on that for uint32_t & co.
        sys_includes: &["stdint.h"],
        sources: &["src/types/ais.rs"],
        enums: types::ais::c_enums,
        style: Style::Typedef,
        trailer: "",
    },
    Header {
        name: "saClm.h",
        guard: "_SA_CLM_H",
        title: "SA Forum AIS Cluster Membership Service (B.01.01 and B.04.01)",
        includes: &["saAis.h"],
        sys_includes: &[],
        sources: &["src/types/clm.rs", "src/clm/mod.rs"],
        enums: types::clm::c_enums,
        style: Style::Typedef,
        trailer: "",
    },
    Header {
        name: "saCkpt.h",
        guard: "_SA_CKPT_H",
        title: "SA Forum AIS Checkpoint Service (B.01.01, B.02 and B.02.03)",
        includes: &["saAis.h"],
        // NULL, for SA_CKPT_DEFAULT_SECTION_ID.
        sys_includes: &["stddef.h"],
        sources: &["src/types/ckpt.rs", "src/ckpt/mod.rs"],
        enums: types::ckpt::c_enums,
        style: Style::Typedef,
        trailer: CKPT_TRAILER,
    },
    Header {
        name: "saTmr.h",
        guard: "_SA_TMR_H",
        title: "SA Forum AIS Timer Service (A.01.01)",
        includes: &["saAis.h"],
        sys_includes: &[],
        sources: &["src/types/tmr.rs", "src/tmr/mod.rs"],
        enums: types::tmr::c_enums,
        style: Style::Typedef,
        trailer: "",
    },
    Header {
        name: "saEvt.h",
        guard: "_SA_EVT_H",
        title: "SA Forum AIS Event Service (B.01.01 and B.03.01)",
        includes: &["saAis.h"],
        sys_includes: &[],
        sources: &["src/types/evt.rs", "src/evt/mod.rs"],
        enums: types::evt::c_enums,
        style: Style::Typedef,
        trailer: EVT_TRAILER,
    },
    Header {
        name: "saLck.h",
        guard: "_SA_LCK_H",
        title: "SA Forum AIS Lock Service (B.01.01 and B.03.01)",
        includes: &["saAis.h"],
        sys_includes: &[],
        sources: &["src/types/lck.rs", "src/lck/mod.rs"],
        enums: types::lck::c_enums,
        style: Style::Typedef,
        trailer: "",
    },
    Header {
        name: "saMsg.h",
        guard: "SAMSG_H_DEFINED",
        title: "SA Forum AIS Message Service (B.03.01)",
        includes: &["saAis.h"],
        sys_includes: &[],
        sources: &["src/types/msg.rs", "src/msg/mod.rs"],
        enums: types::msg::c_enums,
        style: Style::Typedef,
        trailer: "",
    },
    Header {
        name: "corosync/corotypes.h",
        guard: "COROTYPES_H_DEFINED",
        title: "types shared by the corosync-compatible client libraries (corosync 3)",
        includes: &[],
        // What corosync's corotypes.h includes, which programs rely on.
        sys_includes: &["stdint.h", "errno.h", "time.h", "sys/time.h"],
        sources: &["src/types/corotypes.rs"],
        enums: types::corotypes::c_enums,
        style: Style::Typedef,
        trailer: COROTYPES_TRAILER,
    },
    Header {
        name: "corosync/cpg.h",
        guard: "COROSYNC_CPG_H_DEFINED",
        title: "closed process groups, corosync 3's API (libcpg.so.4)",
        includes: &[],
        // corotypes.h as corosync spells it; netinet/in.h as corosync's cpg.h includes it;
        // sys/uio.h for struct iovec, stddef.h for size_t.
        sys_includes: &["netinet/in.h", "stddef.h", "sys/uio.h", "corosync/corotypes.h"],
        sources: &["src/types/cpg.rs", "src/cpg/mod.rs"],
        enums: types::cpg::c_enums,
        style: Style::TagAndTypedef,
        trailer: "",
    },
    Header {
        name: "corosync/evs.h",
        guard: "COROSYNC_EVS_H_DEFINED",
        title: "extended virtual synchrony, corosync 1.x's API (libevs.so.4)",
        includes: &[],
        // What corosync 1.x's evs.h includes; sys/uio.h for struct iovec, stddef.h for size_t.
        sys_includes: &[
            "inttypes.h",
            "netinet/in.h",
            "stddef.h",
            "sys/uio.h",
            "corosync/corotypes.h",
        ],
        sources: &["src/types/evs.rs", "src/evs/mod.rs"],
        enums: types::evs::c_enums,
        style: Style::TagAndTypedef,
        trailer: EVS_TRAILER,
    },
];

/// saCkpt.h's section id initializers.
const CKPT_TRAILER: &str = r#"
/* The default section (of a checkpoint with maxSections 1), and the id that asks
   saCkptSectionCreate to generate one: both {0, NULL}. */
#define SA_CKPT_DEFAULT_SECTION_ID {0, NULL}
#define SA_CKPT_GENERATED_SECTION_ID {0, NULL}
"#;

/// saEvt.h's string macro (cbindgen renders no string constants).
const EVT_TRAILER: &str = r#"
/* The pattern of the lost-event event (SA_EVT_EVENTID_LOST). */
#define SA_EVT_LOST_EVENT "SA_EVT_LOST_EVENT_PATTERN"
"#;

/// corotypes.h's macros and inline helpers.
const COROTYPES_TRAILER: &str = r#"
#define CS_MAX(x, y) (((x) > (y)) ? (x) : (y))

/* printf formats for node ids and ring ids (need <inttypes.h>). */
#define CS_PRI_NODE_ID "%" PRIu32
#define CS_PRI_NODE_ID_PADDED "%10" PRIu32
#define CS_PRI_RING_ID_SEQ "%" PRIx64
#define CS_PRI_RING_ID "%" PRIx32 ".%" PRIx64

/* Nanoseconds from a monotonic clock where the system has one. */
static inline uint64_t cs_timestamp_get(void)
{
#if defined _POSIX_MONOTONIC_CLOCK && _POSIX_MONOTONIC_CLOCK >= 0
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * CS_TIME_NS_IN_SEC + (uint64_t)now.tv_nsec;
#else
  struct timeval now;
  gettimeofday(&now, 0);
  return (uint64_t)now.tv_sec * CS_TIME_NS_IN_SEC + (uint64_t)now.tv_usec * CS_TIME_NS_IN_USEC;
#endif
}

/* The name of an error, for messages. Inline here, so programs need no other library. */
static inline const char *cs_strerror(cs_error_t err)
{
  switch (err) {
  case CS_OK: return "success";
  case CS_ERR_LIBRARY: return "library error";
  case CS_ERR_VERSION: return "version error";
  case CS_ERR_INIT: return "initialization error";
  case CS_ERR_TIMEOUT: return "timeout";
  case CS_ERR_TRY_AGAIN: return "try again";
  case CS_ERR_INVALID_PARAM: return "invalid parameter";
  case CS_ERR_NO_MEMORY: return "no memory";
  case CS_ERR_BAD_HANDLE: return "bad handle";
  case CS_ERR_BUSY: return "busy";
  case CS_ERR_ACCESS: return "access denied";
  case CS_ERR_NOT_EXIST: return "does not exist";
  case CS_ERR_NAME_TOO_LONG: return "name too long";
  case CS_ERR_EXIST: return "already exists";
  case CS_ERR_NO_SPACE: return "insufficient space";
  case CS_ERR_INTERRUPT: return "interrupted";
  case CS_ERR_NAME_NOT_FOUND: return "name not found";
  case CS_ERR_NO_RESOURCES: return "no resources";
  case CS_ERR_NOT_SUPPORTED: return "not supported";
  case CS_ERR_BAD_OPERATION: return "bad operation";
  case CS_ERR_FAILED_OPERATION: return "failed operation";
  case CS_ERR_MESSAGE_ERROR: return "message error";
  case CS_ERR_QUEUE_FULL: return "queue full";
  case CS_ERR_QUEUE_NOT_AVAILABLE: return "queue not available";
  case CS_ERR_BAD_FLAGS: return "bad flags";
  case CS_ERR_TOO_BIG: return "too big";
  case CS_ERR_NO_SECTIONS: return "no sections";
  case CS_ERR_CONTEXT_NOT_FOUND: return "context not found";
  case CS_ERR_TOO_MANY_GROUPS: return "too many groups";
  case CS_ERR_SECURITY: return "security error";
  }
  return "unknown error";
}
"#;

/// evs.h's macros: corosync 1.x's address length, and the older EVS names of the
/// dispatch flags and errors that its corotypes.h kept (the same numbers).
const EVS_TRAILER: &str = r#"
#define TOTEMIP_ADDRLEN (sizeof(struct in6_addr))

#define evs_error_t cs_error_t
#define evs_dispatch_t cs_dispatch_flags_t
#define EVS_DISPATCH_ONE CS_DISPATCH_ONE
#define EVS_DISPATCH_ALL CS_DISPATCH_ALL
#define EVS_DISPATCH_BLOCKING CS_DISPATCH_BLOCKING
#define EVS_OK CS_OK
#define EVS_ERR_LIBRARY CS_ERR_LIBRARY
#define EVS_ERR_TIMEOUT CS_ERR_TIMEOUT
#define EVS_ERR_TRY_AGAIN CS_ERR_TRY_AGAIN
#define EVS_ERR_INVALID_PARAM CS_ERR_INVALID_PARAM
#define EVS_ERR_NO_MEMORY CS_ERR_NO_MEMORY
#define EVS_ERR_BAD_HANDLE CS_ERR_BAD_HANDLE
#define EVS_ERR_ACCESS CS_ERR_ACCESS
#define EVS_ERR_NOT_EXIST CS_ERR_NOT_EXIST
#define EVS_ERR_EXIST CS_ERR_EXIST
#define EVS_ERR_NOT_SUPPORTED CS_ERR_NOT_SUPPORTED
#define EVS_ERR_SECURITY CS_ERR_SECURITY
#define EVS_ERR_TOO_MANY_GROUPS CS_ERR_TOO_MANY_GROUPS
"#;

/// The `ais-ffi` crate directory.
pub fn ffi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The committed `include/` directory.
pub fn include_dir() -> PathBuf {
    ffi_dir().join("../include")
}

/// Renders C enums the way cbindgen renders its own items (2-space indent, `/** */` docs),
/// with no comma after the last enumerator, as in the SA Forum headers.
pub fn render_enums(enums: &[CEnum]) -> String {
    let mut out = String::new();
    for e in enums {
        out.push('\n');
        write_doc(&mut out, "", e.doc);
        out.push_str("typedef enum {\n");
        for (i, v) in e.variants.iter().enumerate() {
            write_doc(&mut out, "  ", v.doc);
            let comma = if i + 1 < e.variants.len() { "," } else { "" };
            let _ = writeln!(out, "  {} = {}{comma}", v.name, v.value);
        }
        let _ = writeln!(out, "}} {};", e.name);
    }
    out
}

fn write_doc(out: &mut String, indent: &str, doc: &[&str]) {
    if doc.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for line in doc {
        // `/// text` arrives as " text".
        let line = line.strip_prefix(' ').unwrap_or(line);
        let _ = writeln!(out, "{indent} *{}{line}", if line.is_empty() { "" } else { " " });
    }
    let _ = writeln!(out, "{indent} */");
}

/// The public structs, unions and type aliases a source file declares at its top level.
fn declared_types(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let public = |vis: &syn::Visibility| matches!(vis, syn::Visibility::Public(_));
    Ok(file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if public(&s.vis) => Some(s.ident.to_string()),
            syn::Item::Union(u) if public(&u.vis) => Some(u.ident.to_string()),
            syn::Item::Type(t) if public(&t.vis) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect())
}

/// Generates one header's text.
pub fn generate(h: &Header) -> Result<String, String> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(here.join("cbindgen.toml"))?;
    config.include_guard = Some(h.guard.to_string());
    config.header = Some(format!(
        "/*\n * {}: {}.\n *\n * Part of the openais-compatible AIS libraries (ais-ffi).\n */",
        h.name, h.title
    ));
    config.autogen_warning = Some(format!(
        "/* Generated by ais-ffi-headers from ais-ffi/{}; do not edit.\n   \
         Regenerate with `make headers`. */",
        h.sources.join(", ais-ffi/")
    ));
    config.includes = h.includes.iter().map(|s| s.to_string()).collect();
    config.sys_includes = h.sys_includes.iter().map(|s| s.to_string()).collect();
    config.after_includes = Some(render_enums((h.enums)()));
    if !h.trailer.is_empty() {
        // cbindgen puts its trailer after the include guard's #endif; this one belongs
        // inside, so the guard is written here instead.
        config.include_guard = None;
        let header = config.header.take().unwrap_or_default();
        config.header = Some(format!("{header}\n\n#ifndef {g}\n#define {g}", g = h.guard));
        config.trailer = Some(format!("{}\n#endif /* {} */", h.trailer, h.guard));
    }
    if let Style::TagAndTypedef = h.style {
        config.style = cbindgen::Style::Both;
    }
    // corosync's headers use size_t and struct iovec.
    config.usize_is_size_t = true;
    config.export.rename.insert("iovec".into(), "struct iovec".into());
    // cbindgen emits only the types functions reach; a header declares every type.
    for src in h.sources {
        config.export.include.extend(declared_types(&ffi_dir().join(src))?);
    }

    let mut builder = cbindgen::Builder::new().with_config(config);
    for src in h.sources {
        builder = builder.with_src(ffi_dir().join(src));
    }
    let mut out = Vec::new();
    builder.generate().map_err(|e| e.to_string())?.write(&mut out);
    Ok(String::from_utf8(out).expect("cbindgen writes UTF-8"))
}
