//! Where the executive listens: `AIS_IPC_SOCKET`, `@name` for the Linux abstract namespace
//! (no file, no stale socket, gone with the process), anything else a filesystem path.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// The environment variable both sides read.
pub const SOCKET_ENV: &str = "AIS_IPC_SOCKET";
/// The socket used when the variable is unset or empty.
pub const DEFAULT_SOCKET: &str = "@ais";
/// `sun_path` is 108 bytes: a path needs its terminating NUL, an abstract name its leading
/// one.
const MAX_LEN: usize = 107;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum SocketName {
    /// An abstract socket; the name without the leading NUL (`@ais` → `ais`).
    Abstract(Vec<u8>),
    Path(PathBuf),
}

/// A socket name that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrError(pub String);

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddrError {}

impl SocketName {
    /// Parses the `AIS_IPC_SOCKET` syntax.
    pub fn parse(s: impl AsRef<OsStr>) -> Result<SocketName, AddrError> {
        let b = s.as_ref().as_bytes();
        let shown = String::from_utf8_lossy(b);
        if b.is_empty() || b == b"@" {
            return Err(AddrError(format!("empty socket name '{shown}'")));
        }
        if b.contains(&0) {
            return Err(AddrError(format!("socket name '{shown}' contains a NUL byte")));
        }
        let (name, abstract_) = match b.strip_prefix(b"@") {
            Some(n) => (n, true),
            None => (b, false),
        };
        if name.len() > MAX_LEN {
            return Err(AddrError(format!(
                "socket name '{shown}' is longer than {MAX_LEN} bytes"
            )));
        }
        Ok(if abstract_ {
            SocketName::Abstract(name.to_vec())
        } else {
            SocketName::Path(PathBuf::from(OsString::from_vec(name.to_vec())))
        })
    }

    /// `AIS_IPC_SOCKET`, or [`DEFAULT_SOCKET`] when it is unset or empty.
    pub fn from_env() -> Result<SocketName, AddrError> {
        match std::env::var_os(SOCKET_ENV) {
            Some(v) if !v.is_empty() => SocketName::parse(v).map_err(|e| AddrError(format!("{SOCKET_ENV}: {e}"))),
            _ => SocketName::parse(DEFAULT_SOCKET),
        }
    }
}

impl fmt::Display for SocketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketName::Abstract(n) => write!(f, "@{}", String::from_utf8_lossy(n)),
            SocketName::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl fmt::Debug for SocketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SocketName({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax() {
        assert_eq!(SocketName::parse("@ais"), Ok(SocketName::Abstract(b"ais".to_vec())));
        assert_eq!(
            SocketName::parse("/run/ais.sock"),
            Ok(SocketName::Path("/run/ais.sock".into()))
        );
        assert_eq!(SocketName::parse("rel/sock"), Ok(SocketName::Path("rel/sock".into())));
        assert!(SocketName::parse("").is_err());
        assert!(SocketName::parse("@").is_err());
        assert!(SocketName::parse("a\0b").is_err());
        assert!(SocketName::parse(format!("@{}", "x".repeat(107))).is_ok());
        assert!(SocketName::parse(format!("@{}", "x".repeat(108))).is_err());
        assert_eq!(SocketName::parse("@ais").unwrap().to_string(), "@ais");
    }
}
