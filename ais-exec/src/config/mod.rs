//! The executive's configuration: openais.conf and the paths of the files
//! beside it.
//!
//! Reading goes text → [`parse::Tree`] (lines, braces) → serde through
//! [`de::Deserializer`] into the file-shaped [`raw`] structs (unknown keys are
//! collected by `serde_ignored`) → [`resolve`] (defaults, derived timeouts,
//! cross-checks) → [`Settings`].

pub mod de;
pub mod parse;
mod raw;
mod resolve;
pub mod settings;

#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use settings::{
    AisExec, Amf, AmfMode, Checkpoint, ConfigError, Event, Interface, LoggerSubsys, Logging, Member, NodeEntry, Origin,
    Quorum, QuorumProvider, RrpMode, Settings, SyslogFacility, Totem, Transport, UidGid, VsfType, Warning,
    DEFAULT_MCASTPORT, MAX_INTERFACES,
};

/// Where openais.conf is read when `OPENAIS_MAIN_CONFIG_FILE` is not set.
pub const DEFAULT_MAIN_CONFIG_FILE: &str = "/etc/ais/openais.conf";
/// Where the cluster key is read when `OPENAIS_TOTEM_AUTHKEY_FILE` is not set.
pub const DEFAULT_AUTHKEY_FILE: &str = "/etc/ais/authkey";
/// Where amf.conf is read when `OPENAIS_AMF_CONFIG_FILE` is not set.
pub const DEFAULT_AMF_CONFIG_FILE: &str = "/etc/ais/amf.conf";

/// The variable's value, or the default when it is unset or empty (an empty
/// path is never what was meant).
fn path_from(value: Option<OsString>, default: &str) -> PathBuf {
    match value {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(default),
    }
}

/// openais.conf: `$OPENAIS_MAIN_CONFIG_FILE` or `/etc/ais/openais.conf`.
pub fn main_config_path() -> PathBuf {
    path_from(std::env::var_os("OPENAIS_MAIN_CONFIG_FILE"), DEFAULT_MAIN_CONFIG_FILE)
}

/// The authkey: `$OPENAIS_TOTEM_AUTHKEY_FILE` or `/etc/ais/authkey`.
pub fn authkey_path() -> PathBuf {
    path_from(std::env::var_os("OPENAIS_TOTEM_AUTHKEY_FILE"), DEFAULT_AUTHKEY_FILE)
}

/// amf.conf: `$OPENAIS_AMF_CONFIG_FILE` or `/etc/ais/amf.conf`.
pub fn amf_config_path() -> PathBuf {
    path_from(std::env::var_os("OPENAIS_AMF_CONFIG_FILE"), DEFAULT_AMF_CONFIG_FILE)
}

impl Settings {
    /// Reads openais.conf text. `file_name` is only used in messages. Returns
    /// the settings and the warnings (unknown keys, ignored keys) in line
    /// order; printing them is the caller's choice.
    #[allow(clippy::should_implement_trait)] // two arguments: not FromStr
    pub fn from_str(text: &str, file_name: &str) -> Result<(Settings, Vec<Warning>), ConfigError> {
        let tree = parse::Tree::parse(text).map_err(|e| ConfigError {
            file: file_name.to_owned(),
            line: e.line,
            key: e.key,
            message: e.message,
        })?;

        let mut ignored: Vec<Vec<(String, Option<usize>)>> = Vec::new();
        let raw: raw::RawSettings =
            serde_ignored::deserialize(de::Deserializer::new(&tree.entries), |path| ignored.push(steps(&path)))
                .map_err(|e| ConfigError {
                    file: file_name.to_owned(),
                    line: e.line,
                    key: (!e.path.is_empty()).then(|| e.path.clone()),
                    message: e.message,
                })?;

        let mut ctx = resolve::Ctx {
            file: file_name,
            tree: &tree,
            warnings: Vec::new(),
        };
        for path in &ignored {
            let steps: Vec<parse::Step<'_>> = path.iter().map(|(n, i)| (n.as_str(), *i)).collect();
            let key = path.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(".");
            // A key given twice is reported at each of its lines.
            for entry in tree.find(&steps) {
                ctx.warnings.push(Warning {
                    file: file_name.to_owned(),
                    line: entry.line,
                    message: format!("unknown key '{key}' ignored"),
                    key: key.clone(),
                });
            }
        }
        let settings = resolve::resolve(raw, &mut ctx)?;
        let mut warnings = ctx.warnings;
        warnings.sort_by_key(|w| w.line);
        Ok((settings, warnings))
    }

    /// Reads the file named by [`main_config_path`].
    pub fn load() -> Result<(Settings, Vec<Warning>), ConfigError> {
        Settings::load_file(&main_config_path())
    }

    /// Reads the given openais.conf.
    pub fn load_file(path: &Path) -> Result<(Settings, Vec<Warning>), ConfigError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: 0,
            key: None,
            message: format!("can't read the configuration: {e}"),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            ConfigError {
                file: file.clone(),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                key: None,
                message: "not valid UTF-8 text".into(),
            }
        })?;
        Settings::from_str(&text, &file)
    }
}

/// A serde_ignored path as tree steps: map keys, each with the index of the
/// repeated block it selects (a `Seq` step sits just below its key).
fn steps(path: &serde_ignored::Path<'_>) -> Vec<(String, Option<usize>)> {
    use serde_ignored::Path;
    let mut out = Vec::new();
    let mut index = None;
    let mut cur = path;
    loop {
        match cur {
            Path::Root => break,
            Path::Seq { parent, index: i } => {
                index = Some(*i);
                cur = parent;
            }
            Path::Map { parent, key } => {
                out.push((key.clone(), index.take()));
                cur = parent;
            }
            Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
                cur = parent;
            }
        }
    }
    out.reverse();
    out
}
