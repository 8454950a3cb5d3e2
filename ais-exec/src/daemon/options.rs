//! The command line of `aisexec`: `-f`, `-c FILE`, `-h`, `-v`, with
//! getopt(3)'s habits (flags may be grouped, `-cFILE` and `-c FILE` both
//! work, `--` ends the options).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: aisexec [-f] [-c FILE]
       aisexec -h | -v

  -f        stay in the foreground (do not become a daemon)
  -c FILE   read FILE instead of $OPENAIS_MAIN_CONFIG_FILE or /etc/ais/openais.conf
  -h        print this help and exit
  -v        print the version and exit
";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CmdLine {
    pub foreground: bool,
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(CmdLine),
    Help,
    Version,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Action, String> {
    let mut cmd = CmdLine::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            if let Some(extra) = args.next() {
                return Err(format!("unexpected argument '{}'", extra.to_string_lossy()));
            }
            break;
        }
        if bytes.len() < 2 || bytes[0] != b'-' {
            return Err(format!("unexpected argument '{}'", arg.to_string_lossy()));
        }
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'f' => cmd.foreground = true,
                b'h' => return Ok(Action::Help),
                b'v' => return Ok(Action::Version),
                b'c' => {
                    let file = if i + 1 < bytes.len() {
                        OsString::from_vec(bytes[i + 1..].to_vec())
                    } else {
                        args.next().ok_or("option -c needs a file name")?
                    };
                    if file.is_empty() {
                        return Err("option -c needs a file name".into());
                    }
                    cmd.config = Some(PathBuf::from(file));
                    break;
                }
                other => return Err(format!("unknown option '-{}'", char::from(other))),
            }
            i += 1;
        }
    }
    Ok(Action::Run(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Action, String> {
        parse(args.iter().map(OsString::from))
    }

    fn run(foreground: bool, config: Option<&str>) -> Result<Action, String> {
        Ok(Action::Run(CmdLine {
            foreground,
            config: config.map(PathBuf::from),
        }))
    }

    #[test]
    fn options() {
        assert_eq!(p(&[]), run(false, None));
        assert_eq!(p(&["-f"]), run(true, None));
        assert_eq!(p(&["-c", "/x.conf"]), run(false, Some("/x.conf")));
        assert_eq!(p(&["-c/x.conf", "-f"]), run(true, Some("/x.conf")));
        assert_eq!(p(&["-fc", "/x.conf"]), run(true, Some("/x.conf")));
        assert_eq!(p(&["-f", "--"]), run(true, None));
        assert_eq!(p(&["-h"]), Ok(Action::Help));
        assert_eq!(
            p(&["-f", "-v", "-x"]),
            Ok(Action::Version),
            "stops at -v like getopt users do"
        );
    }

    #[test]
    fn errors() {
        assert!(p(&["-x"]).unwrap_err().contains("-x"));
        assert!(p(&["-c"]).unwrap_err().contains("-c"));
        assert!(p(&["-c", ""]).is_err());
        assert!(p(&["file"]).unwrap_err().contains("file"));
        assert!(p(&["-"]).is_err());
        assert!(p(&["--", "x"]).is_err());
    }
}
