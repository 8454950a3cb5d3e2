//! The cluster key (`/etc/ais/authkey`, `$OPENAIS_TOTEM_AUTHKEY_FILE`), read
//! at startup when `totem.secauth` is on.
//!
//! The file holds 128 to 4096 bytes (what `ais-keygen` writes) and must be
//! private to its owner: a key others can read authenticates nothing, so a
//! mode with any group or other bit is refused rather than warned about.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub const MIN_LEN: usize = 128;
pub const MAX_LEN: usize = 4096;

/// The key's bytes. Debug shows the length only.
#[derive(Clone)]
pub struct AuthKey(Vec<u8>);

impl AuthKey {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKey({} bytes)", self.0.len())
    }
}

#[derive(Debug)]
pub enum KeyError {
    Missing(PathBuf),
    Io(PathBuf, std::io::Error),
    Size(PathBuf, u64),
    Mode(PathBuf, u32),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Missing(p) => write!(
                f,
                "authkey {} does not exist (create one with ais-keygen and copy it to every node, \
                 or set totem.secauth: off)",
                p.display()
            ),
            KeyError::Io(p, e) => write!(f, "authkey {}: {e}", p.display()),
            KeyError::Size(p, n) => write!(
                f,
                "authkey {} is {n} bytes; it must be {MIN_LEN} to {MAX_LEN} bytes (ais-keygen makes one)",
                p.display()
            ),
            KeyError::Mode(p, m) => write!(
                f,
                "authkey {} has mode {:04o}: group and others must have no access (chmod 0400)",
                p.display(),
                m & 0o7777
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// Reads and checks the key at `path`.
pub fn load(path: &Path) -> Result<AuthKey, KeyError> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::Missing(path.into())),
        Err(e) => return Err(KeyError::Io(path.into(), e)),
    };
    // Checked on the open file, so it is the file read that was checked.
    let meta = file.metadata().map_err(|e| KeyError::Io(path.into(), e))?;
    if meta.mode() & 0o077 != 0 {
        return Err(KeyError::Mode(path.into(), meta.mode()));
    }
    if !meta.is_file() || meta.len() < MIN_LEN as u64 || meta.len() > MAX_LEN as u64 {
        return Err(KeyError::Size(path.into(), meta.len()));
    }
    let mut key = Vec::with_capacity(meta.len() as usize);
    // One byte more than allowed, to notice a file that grew meanwhile.
    (&mut file)
        .take(MAX_LEN as u64 + 1)
        .read_to_end(&mut key)
        .map_err(|e| KeyError::Io(path.into(), e))?;
    if key.len() < MIN_LEN || key.len() > MAX_LEN {
        return Err(KeyError::Size(path.into(), key.len() as u64));
    }
    Ok(AuthKey(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, name: &str, len: usize, mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, vec![7u8; len]).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn sizes_modes_and_absence() {
        let dir = std::env::temp_dir().join(format!("ais-authkey-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = write(&dir, "ok", 128, 0o400);
        assert_eq!(load(&ok).unwrap().bytes().len(), 128);
        let big = write(&dir, "big", 4096, 0o600);
        assert_eq!(load(&big).unwrap().bytes().len(), 4096);
        for (name, len) in [("short", 127), ("long", 4097), ("empty", 0)] {
            let p = write(&dir, name, len, 0o400);
            let e = load(&p).unwrap_err().to_string();
            assert!(
                e.contains(&p.display().to_string()) && e.contains(&format!("is {len} bytes")),
                "{e}"
            );
        }
        for mode in [0o440, 0o404, 0o600 | 0o020, 0o644] {
            let p = write(&dir, "open", 128, mode);
            let e = load(&p).unwrap_err().to_string();
            assert!(e.contains(&format!("mode {mode:04o}")) && e.contains("open"), "{e}");
            std::fs::remove_file(&p).unwrap();
        }
        let e = load(&dir.join("absent")).unwrap_err().to_string();
        assert!(e.contains("does not exist") && e.contains("ais-keygen"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
