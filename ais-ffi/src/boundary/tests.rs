//! Checks over the sources: every exported function runs in `ffi_call`, and every handle
//! table uses a tag of `tags`.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    files.sort();
    files
}

fn is_no_mangle(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::Path(p) => p.is_ident("no_mangle"),
        // #[unsafe(no_mangle)]
        syn::Meta::List(l) => l.path.is_ident("unsafe") && l.tokens.to_string() == "no_mangle",
        _ => false,
    })
}

/// Whether a body is exactly `ffi_call(<closure>)` (or `boundary::ffi_call(...)`).
fn runs_in_ffi_call(block: &syn::Block) -> bool {
    let [syn::Stmt::Expr(syn::Expr::Call(call), None)] = block.stmts.as_slice() else {
        return false;
    };
    let syn::Expr::Path(f) = call.func.as_ref() else {
        return false;
    };
    f.path.segments.last().is_some_and(|s| s.ident == "ffi_call")
        && call.args.len() == 1
        && matches!(call.args[0], syn::Expr::Closure(_))
}

/// Exported functions of `items` (and of inline modules), with whether they are wrapped.
fn exported(items: &[syn::Item], out: &mut Vec<(String, bool)>) {
    for item in items {
        match item {
            syn::Item::Fn(f) if is_no_mangle(&f.attrs) => {
                out.push((f.sig.ident.to_string(), runs_in_ffi_call(&f.block)));
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    exported(inner, out);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn every_exported_function_runs_in_ffi_call() {
    let mut found = Vec::new();
    for path in all_sources() {
        let text = std::fs::read_to_string(&path).expect("read source");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut fns = Vec::new();
        exported(&file.items, &mut fns);
        found.extend(fns.into_iter().map(|(name, ok)| (path.display().to_string(), name, ok)));
    }
    // Every symbol the version scripts export is one of them.
    let mut exported_names = Vec::new();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("version-scripts");
    for entry in std::fs::read_dir(scripts).expect("read version-scripts") {
        let text = std::fs::read_to_string(entry.expect("dir entry").path()).expect("read map");
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_suffix(';') {
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    exported_names.push(name.to_string());
                }
            }
        }
    }
    assert!(exported_names.len() >= 70, "{exported_names:?}");
    for name in &exported_names {
        assert!(
            found.iter().any(|(_, n, _)| n == name),
            "{name} is exported but not found"
        );
    }
    let bare: Vec<_> = found
        .iter()
        .filter(|(_, _, ok)| !ok)
        .map(|(p, n, _)| format!("{p}: {n}"))
        .collect();
    assert!(bare.is_empty(), "not wrapped in ffi_call: {bare:#?}");
}

#[test]
fn the_check_sees_a_bare_function() {
    let wrapped: syn::File =
        syn::parse_str("#[no_mangle] pub extern \"C\" fn a() -> u32 { ffi_call(|| Ok(())) }").unwrap();
    let bare: syn::File = syn::parse_str("#[no_mangle] pub extern \"C\" fn b() -> u32 { let x = 1; x }").unwrap();
    let other: syn::File = syn::parse_str("#[no_mangle] pub extern \"C\" fn c() -> u32 { guard(|| 1) }").unwrap();
    for (file, ok) in [(wrapped, true), (bare, false), (other, false)] {
        let mut fns = Vec::new();
        exported(&file.items, &mut fns);
        assert_eq!(fns.len(), 1);
        assert_eq!(fns[0].1, ok, "{}", fns[0].0);
    }
}

#[test]
fn every_handle_table_uses_a_tag_of_its_own() {
    use super::tags::ALL;
    let mut values: Vec<u16> = ALL.iter().map(|&(_, t)| t).collect();
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), ALL.len(), "two tables share a tag");
    // Every static table in the sources carries one of these tags.
    let mut tables = 0;
    for path in all_sources() {
        let text = std::fs::read_to_string(&path).expect("read source");
        let statics = text.lines().filter(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            l.starts_with("static") && l.contains("HandleTable::new(")
        });
        for line in statics {
            let arg = line
                .split("HandleTable::new(")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .unwrap_or("");
            let arg = arg.trim();
            let value = if let Some(hex) = arg.strip_prefix("0x") {
                u16::from_str_radix(hex, 16).ok()
            } else if let Some(name) = arg.strip_prefix("tags::") {
                ALL.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
            } else {
                arg.parse().ok()
            };
            let known = value.is_some_and(|v| ALL.iter().any(|&(_, t)| t == v));
            // Tables inside tests use tags of their own.
            let in_test = path.ends_with("handles.rs");
            assert!(
                in_test || known,
                "{}: {line}: tag not in boundary::tags",
                path.display()
            );
            tables += usize::from(!in_test);
        }
    }
    assert_eq!(tables, ALL.len(), "every tag names one table");
}
