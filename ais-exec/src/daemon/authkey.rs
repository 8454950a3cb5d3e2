//! The cluster key (`/etc/ais/authkey`, `$OPENAIS_TOTEM_AUTHKEY_FILE`), read
//! at startup when `totem.secauth` is on.
//!
//! The file holds 128 to 4096 bytes (what `ais-keygen` writes) and must be
//! private to its owner: a key others can read authenticates nothing, so a
//! mode with any group or other bit is refused rather than warned about. It
//! must be a regular file (a symbolic link to one is followed): a FIFO would
//! block the start until someone writes to it, and a directory or a device
//! has no key to give.

use std::fmt;
use std::fs::FileType;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
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
    /// Not a regular file: what it is instead.
    NotRegular(PathBuf, &'static str),
}

/// What a file that is not a regular file is, for the message.
fn kind_of(t: FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
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
            KeyError::NotRegular(p, kind) => write!(
                f,
                "authkey {} is {kind}: it must be a regular file of {MIN_LEN} to {MAX_LEN} bytes (ais-keygen makes one)",
                p.display()
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// Reads and checks the key at `path`.
pub fn load(path: &Path) -> Result<AuthKey, KeyError> {
    let not_found = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => KeyError::Missing(path.into()),
        _ => KeyError::Io(path.into(), e),
    };
    // The type first, before opening: opening a FIFO for reading blocks
    // until a writer comes.
    let before = std::fs::metadata(path).map_err(not_found)?;
    if !before.is_file() {
        return Err(KeyError::NotRegular(path.into(), kind_of(before.file_type())));
    }
    // Non-blocking, should it have been swapped for a FIFO since; reads of a
    // regular file ignore the flag.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(not_found)?;
    // Checked again on the open file, so it is the file read that was checked.
    let meta = file.metadata().map_err(|e| KeyError::Io(path.into(), e))?;
    if !meta.is_file() {
        return Err(KeyError::NotRegular(path.into(), kind_of(meta.file_type())));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(KeyError::Mode(path.into(), meta.mode()));
    }
    if meta.len() < MIN_LEN as u64 || meta.len() > MAX_LEN as u64 {
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

    /// `load` on another thread, so that a call that blocks fails the test
    /// instead of hanging it.
    fn load_within(path: &Path, limit: std::time::Duration) -> Option<Result<AuthKey, KeyError>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(load(&p));
        });
        rx.recv_timeout(limit).ok()
    }

    #[test]
    fn only_a_regular_file_is_a_key() {
        let dir = std::env::temp_dir().join(format!("ais-authkey-kind-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A FIFO nobody writes to: opening it for reading would block forever.
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let e = load_within(&fifo, std::time::Duration::from_secs(5))
            .expect("a FIFO must not block the start")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&fifo.display().to_string()) && e.contains("is a FIFO") && e.contains("regular file"),
            "{e}"
        );
        // A directory is not a key of "4096 bytes".
        let sub = dir.join("keydir");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).unwrap();
        let e = load(&sub).unwrap_err().to_string();
        assert!(
            e.contains(&sub.display().to_string()) && e.contains("is a directory") && e.contains("regular file"),
            "{e}"
        );
        assert!(!e.contains("is 4096 bytes"), "a directory has no size to report: {e}");
        // A symbolic link to a regular key is followed.
        let key = write(&dir, "key", 200, 0o400);
        let link = dir.join("link");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        assert_eq!(load(&link).unwrap().bytes().len(), 200);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
