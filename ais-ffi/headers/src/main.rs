//! `ais-ffi-headers`: writes the generated headers into `include/`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = ais_ffi_headers::include_dir();
    for h in ais_ffi_headers::HEADERS {
        let text = match ais_ffi_headers::generate(h) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{}: {e}", h.name);
                return ExitCode::FAILURE;
            }
        };
        let path = dir.join(h.name);
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                eprintln!("{}: {e}", parent.display());
                return ExitCode::FAILURE;
            }
        }
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
