//! The command line of `aisexec`: `-f`, `-c FILE`, `-t`, `-h`/`--help`,
//! `-v`/`--version`, with getopt(3)'s habits (flags may be grouped, `-cFILE` and
//! `-c FILE` both work, `--` ends the options), parsed by lexopt.

use lexopt::Arg::{Long, Short, Value};
use std::ffi::OsString;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: aisexec [-f] [-c FILE]
       aisexec -t [-c FILE]
       aisexec -h | --help | -v | --version

  -f             stay in the foreground (do not become a daemon)
  -c FILE        read FILE instead of $OPENAIS_MAIN_CONFIG_FILE or /etc/ais/openais.conf
  -t             check the configuration and the key, print what would run, exit 0 or 1
  -h, --help     print this help and exit
  -v, --version  print the version and exit
";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CmdLine {
    pub foreground: bool,
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(CmdLine),
    /// `-t`: check the configuration (and the key) and say what would run.
    Check(CmdLine),
    Help,
    Version,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Action, String> {
    let mut cmd = CmdLine::default();
    let mut check = false;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('f') => cmd.foreground = true,
            Short('t') => check = true,
            // Help and version end the parse, as getopt users do.
            Short('h') => return Ok(Action::Help),
            Short('v') => return Ok(Action::Version),
            Long(name) => {
                let name = name.to_string();
                // `--help=x` is a mistake worth saying.
                if parser.optional_value().is_some() {
                    return Err(format!("option '--{name}' takes no value"));
                }
                return match name.as_str() {
                    "help" => Ok(Action::Help),
                    "version" => Ok(Action::Version),
                    _ => Err(format!("unknown option '--{name}'")),
                };
            }
            Short('c') => {
                let file = parser.value().map_err(|_| "option -c needs a file name")?;
                if file.is_empty() {
                    return Err("option -c needs a file name".into());
                }
                cmd.config = Some(PathBuf::from(file));
            }
            Short(other) => return Err(format!("unknown option '-{other}'")),
            Value(extra) => return Err(format!("unexpected argument '{}'", extra.to_string_lossy())),
        }
    }
    Ok(if check { Action::Check(cmd) } else { Action::Run(cmd) })
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

    /// openais's and corosync's daemons answer --help and --version; -t is corosync's
    /// configuration test mode.
    #[test]
    fn long_options_and_check() {
        assert_eq!(p(&["--help"]), Ok(Action::Help));
        assert_eq!(p(&["--version"]), Ok(Action::Version));
        assert_eq!(p(&["-f", "--help"]), Ok(Action::Help));
        assert_eq!(
            p(&["-t", "-c", "/x.conf"]),
            Ok(Action::Check(CmdLine {
                foreground: false,
                config: Some(PathBuf::from("/x.conf"))
            }))
        );
        assert_eq!(
            p(&["-tc/y.conf"]).unwrap(),
            Action::Check(CmdLine {
                foreground: false,
                config: Some("/y.conf".into())
            })
        );
        assert!(p(&["--bogus"]).unwrap_err().contains("--bogus"));
        assert!(p(&["--help=x"]).is_err());
        assert!(p(&["-t", "x"]).unwrap_err().contains("'x'"));
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
