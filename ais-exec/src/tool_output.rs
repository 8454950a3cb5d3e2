//! Standard output for aisexec's command line and the tools.
//!
//! Rust ignores SIGPIPE, so a write to a pipe whose reader has gone fails with EPIPE, and
//! `print!` turns that into a panic with a backtrace (`ais-cfgtool -h | true`). Here a
//! reader that stopped reading ends the program quietly with status 0, as a filter killed
//! by SIGPIPE would have finished its job; any other write error is reported on stderr
//! with status 1.

use std::io::{ErrorKind, Write};

/// Writes `text` to standard output and flushes it; exits the process as described above
/// if that fails. `program` prefixes the error message.
pub fn print(program: &str, text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(std::io::stderr(), "{program}: standard output: {e}");
        std::process::exit(1);
    }
}
