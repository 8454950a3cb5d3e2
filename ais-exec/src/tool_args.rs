//! What aisexec and every tool beside it answer alike: `-h`/`--help` (the usage on
//! standard output, status 0) and `-v`/`--version` (`PROGRAM (ais-exec) VERSION`).

use crate::tool_output;
use std::process::ExitCode;

/// This package's version, as every program prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `PROGRAM (ais-exec) VERSION` and a newline.
pub fn version_line(program: &str) -> String {
    format!("{program} (ais-exec) {VERSION}\n")
}

/// Whether the command line is a request for help or the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    Help,
    Version,
}

/// A command line of exactly `-h`, `--help`, `-v` or `--version`.
pub fn common<S: AsRef<str>>(args: &[S]) -> Option<Common> {
    match args {
        [one] => match one.as_ref() {
            "-h" | "--help" => Some(Common::Help),
            "-v" | "--version" => Some(Common::Version),
            _ => None,
        },
        _ => None,
    }
}

/// Answers help or version requests for `program` (printing `usage` or the version
/// line); `None` when the command line asks something else.
pub fn answer<S: AsRef<str>>(program: &str, usage: &str, args: &[S]) -> Option<ExitCode> {
    match common(args)? {
        Common::Help => tool_output::print(program, usage),
        Common::Version => tool_output::print(program, &version_line(program)),
    }
    Some(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(common(&["-h"]), Some(Common::Help));
        assert_eq!(common(&["--help"]), Some(Common::Help));
        assert_eq!(common(&["-v"]), Some(Common::Version));
        assert_eq!(common(&["--version"]), Some(Common::Version));
        for other in [&["-s"][..], &[], &["-h", "x"], &["--verbose"], &["-hv"]] {
            assert_eq!(common(other), None, "{other:?}");
        }
        assert_eq!(version_line("ais-keygen"), format!("ais-keygen (ais-exec) {VERSION}\n"));
    }
}
