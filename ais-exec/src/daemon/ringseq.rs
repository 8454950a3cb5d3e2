//! The ring sequence number on disk: a node that restarts must never propose
//! or accept a ring identifier it used before. The Totem core does no I/O:
//! it asks for each new number with `Output::PersistRingSeq`, ahead of the
//! outputs that use it, and the driver stores it here before handling them.
//!
//! One small text file per node id, `ringid_<nodeid>`, holding the number in
//! decimal; replaced atomically (temporary file, fsync, rename, fsync of the
//! directory) so a crash leaves the old value or the new one, never a torn
//! one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ais_totem::NodeId;

/// Where the highest ring sequence number is kept across restarts.
pub trait RingSeqStore: Send + 'static {
    /// The highest ring sequence number saved so far (0 if none).
    fn load(&mut self) -> u64;
    /// Saves `seq` durably; called before the ring it names is used. May
    /// block (the driver calls it off the runtime thread).
    fn save(&mut self, seq: u64);
}

/// A store in memory, shared by its clones: for tests, where a "restart"
/// is a new instance over the same store.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore(Arc<AtomicU64>);

impl RingSeqStore for MemoryStore {
    fn load(&mut self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    fn save(&mut self, seq: u64) {
        self.0.fetch_max(seq, Ordering::Relaxed);
    }
}

/// Where the executive keeps its state when `AIS_RUN_DIR` is not set.
pub const DEFAULT_RUN_DIR: &str = "/var/lib/ais";

/// `$AIS_RUN_DIR`, or [`DEFAULT_RUN_DIR`] when it is unset or empty. Made
/// absolute: a daemon changes its directory to `/`.
pub fn run_dir() -> PathBuf {
    let dir = match std::env::var_os("AIS_RUN_DIR") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_RUN_DIR),
    };
    std::path::absolute(&dir).unwrap_or(dir)
}

/// A [`RingSeqStore`] on a file.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    /// The last value saved (or loaded): a failed save still never lets this
    /// run go backwards.
    current: u64,
    /// Saves that failed, for the driver to report (the trait cannot).
    failed_saves: u64,
    last_error: Option<String>,
}

impl FileStore {
    /// The store of `node` in `dir` (created if missing). The file is read
    /// now (missing or corrupt: 0, logged) and written back at once, so a
    /// directory the executive cannot write stops it at startup rather than
    /// at its first ring.
    pub fn open(dir: &Path, node: NodeId) -> io::Result<FileStore> {
        fs::create_dir_all(dir).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        let mut store = FileStore {
            path: dir.join(format!("ringid_{node}")),
            current: 0,
            failed_saves: 0,
            last_error: None,
        };
        store.current = match store.read() {
            Ok(Some(seq)) => {
                log::debug!(target: "TOTEM", "ring sequence {seq} read from {}", store.path.display());
                seq
            }
            Ok(None) => {
                log::info!(target: "TOTEM", "{} does not exist: starting from ring sequence 0", store.path.display());
                0
            }
            Err(reason) => {
                log::warn!(target: "TOTEM", "{reason}; counting it as 0");
                0
            }
        };
        store
            .write(store.current)
            .map_err(|e| io::Error::new(e.kind(), format!("can't write {}: {e}", store.path.display())))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many saves have failed so far, and the last reason.
    pub fn failures(&self) -> (u64, Option<&str>) {
        (self.failed_saves, self.last_error.as_deref())
    }

    /// Reads the file: `Ok(None)` when it does not exist, `Err` with a reason
    /// when it cannot be read or does not hold a number.
    pub fn read(&self) -> Result<Option<u64>, String> {
        match fs::read(&self.path) {
            Ok(bytes) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Some)
                .ok_or_else(|| format!("{}: not a ring sequence number", self.path.display())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.path.display())),
        }
    }

    /// Writes `seq` atomically.
    pub fn write(&self, seq: u64) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = self.path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            writeln!(f, "{seq}")?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        // The rename itself must reach the disk before the ring is used.
        File::open(dir)?.sync_all()
    }
}

impl RingSeqStore for FileStore {
    fn load(&mut self) -> u64 {
        self.current
    }

    fn save(&mut self, seq: u64) {
        self.current = self.current.max(seq);
        if let Err(e) = self.write(seq) {
            self.failed_saves += 1;
            let reason = format!("can't store ring sequence {seq} in {}: {e}", self.path.display());
            log::error!(target: "TOTEM", "{reason}");
            self.last_error = Some(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ais-ringseq-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip() {
        let dir = temp_dir("rt");
        let mut s = FileStore::open(&dir, 0x7f000001).unwrap();
        assert_eq!(s.path(), dir.join("ringid_2130706433"));
        assert_eq!(s.load(), 0, "a missing file counts as 0");
        s.save(12);
        assert_eq!(fs::read_to_string(s.path()).unwrap(), "12\n");
        // A new instance (a restart) sees it.
        let mut again = FileStore::open(&dir, 0x7f000001).unwrap();
        assert_eq!(again.load(), 12);
        again.save(u64::MAX - 3);
        assert_eq!(FileStore::open(&dir, 0x7f000001).unwrap().load(), u64::MAX - 3);
        assert!(!dir.join("ringid_2130706433.tmp").exists(), "no temporary file left");
        assert_eq!(again.failures().0, 0);
        // Another node id has its own file.
        assert_eq!(FileStore::open(&dir, 2).unwrap().load(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_files_count_as_zero() {
        let dir = temp_dir("corrupt");
        let path = dir.join("ringid_5");
        fs::create_dir_all(&dir).unwrap();
        for junk in [&b""[..], b"abc\n", b"-4\n", b"\xff\xfe", b"18446744073709551616\n"] {
            fs::write(&path, junk).unwrap();
            let mut s = FileStore::open(&dir, 5).unwrap();
            assert_eq!(s.load(), 0, "{junk:?} is not a number");
            // And it is written back as a number.
            assert_eq!(s.read(), Ok(Some(0)));
        }
        // Whitespace around a number is fine (an editor's newline).
        fs::write(&path, " 40 \n").unwrap();
        assert_eq!(FileStore::open(&dir, 5).unwrap().load(), 40);
        fs::write(&path, "x").unwrap();
        assert!(FileStore::open(&dir, 5).unwrap().read().unwrap() == Some(0));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_directory_fails_at_open() {
        let dir = temp_dir("unwritable");
        fs::create_dir_all(&dir).unwrap();
        // A directory where the file should be: the write back fails, even as root.
        fs::create_dir(dir.join("ringid_6")).unwrap();
        fs::write(dir.join("ringid_6").join("x"), b"").unwrap();
        let e = FileStore::open(&dir, 6).unwrap_err();
        assert!(e.to_string().contains("ringid_6"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_saves_are_counted() {
        let dir = temp_dir("fail");
        let mut s = FileStore::open(&dir, 9).unwrap();
        // The file replaced by a non-empty directory: the rename fails.
        fs::remove_file(s.path()).unwrap();
        fs::create_dir(s.path()).unwrap();
        fs::write(s.path().join("x"), b"").unwrap();
        s.save(8);
        let (n, why) = s.failures();
        assert_eq!(n, 1);
        assert!(why.unwrap().contains("can't store ring sequence 8"));
        // This run still never goes back.
        assert_eq!(s.load(), 8);
        fs::remove_dir_all(&dir).unwrap();
    }
}
