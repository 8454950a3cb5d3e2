//! One executive per IPC socket: a pid file in the state directory, locked with
//! flock(2) for the life of the process.
//!
//! A second `aisexec` for the same socket would otherwise fail on a port or socket
//! already bound, with a message that names neither the other process nor the socket.
//! The lock is the open file's, so it needs no cleaning after a crash (the kernel drops
//! it with the last descriptor) and it passes to the daemon across fork(2); the file
//! holds the pid of its holder, written again once the process has detached.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use ais_proto::SocketName;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// The lock file of the executive serving `socket` in `dir`: `aisexec.pid` for the
/// default socket `@ais`, else `aisexec-NAME.pid` with NAME the socket name made a file
/// name (several executives on one host, each on its own socket, may share `dir`).
pub fn path(dir: &Path, socket: &SocketName) -> PathBuf {
    let shown = socket.to_string();
    if shown == "@ais" {
        return dir.join("aisexec.pid");
    }
    let name: String = shown
        .trim_start_matches('@')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    dir.join(format!("aisexec-{name}.pid"))
}

/// Why the lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it; its pid as its file says, if readable.
    Running {
        pid: Option<u32>,
        path: PathBuf,
        socket: String,
    },
    /// The directory or the file could not be made or opened.
    Io { path: PathBuf, error: io::Error },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Running { pid, path, socket } => {
                f.write_str("aisexec is already running")?;
                if let Some(pid) = pid {
                    write!(f, " (pid {pid})")?;
                }
                write!(f, " on IPC socket {socket} (lock {})", path.display())
            }
            LockError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

/// A held lock; dropping it (or exiting) releases it.
#[derive(Debug)]
pub struct PidLock {
    file: Flock<File>,
    path: PathBuf,
}

impl PidLock {
    /// Takes the lock of the executive serving `socket` in `dir` (created if missing)
    /// and writes this process's pid into it.
    pub fn acquire(dir: &Path, socket: &SocketName) -> Result<PidLock, LockError> {
        PidLock::acquire_at(&path(dir, socket), &socket.to_string())
    }

    fn acquire_at(path: &Path, socket: &str) -> Result<PidLock, LockError> {
        let io_error = |error| LockError::Io {
            path: path.to_path_buf(),
            error,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| LockError::Io {
                path: dir.to_path_buf(),
                error,
            })?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_error)?;
        let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(f) => f,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let mut text = String::new();
                let pid = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse().ok());
                return Err(LockError::Running {
                    pid,
                    path: path.to_path_buf(),
                    socket: socket.to_string(),
                });
            }
            Err((_, e)) => return Err(io_error(e.into())),
        };
        let mut lock = PidLock {
            file,
            path: path.to_path_buf(),
        };
        lock.record_pid().map_err(io_error)?;
        Ok(lock)
    }

    /// Writes this process's pid (again: after daemonizing it is another).
    pub fn record_pid(&mut self) -> io::Result<()> {
        let f: &mut File = &mut self.file;
        f.set_len(0)?;
        f.rewind()?;
        writeln!(f, "{}", std::process::id())?;
        f.flush()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ais-pidlock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn file_names() {
        let d = Path::new("/var/lib/ais");
        assert_eq!(path(d, &SocketName::parse("@ais").unwrap()), d.join("aisexec.pid"));
        assert_eq!(
            path(d, &SocketName::parse("@ais-test-1-/tmp/x").unwrap()),
            d.join("aisexec-ais-test-1-_tmp_x.pid")
        );
        assert_eq!(
            path(d, &SocketName::parse("/run/ais.sock").unwrap()),
            d.join("aisexec-_run_ais.sock.pid")
        );
    }

    #[test]
    fn second_holder_is_told_the_first_ones_pid_and_socket() {
        let dir = temp_dir("second").join("sub");
        let socket = SocketName::parse("@ais-lock-test").unwrap();
        let first = PidLock::acquire(&dir, &socket).unwrap();
        assert_eq!(first.path(), dir.join("aisexec-ais-lock-test.pid"));
        assert_eq!(
            std::fs::read_to_string(first.path()).unwrap(),
            format!("{}\n", std::process::id())
        );
        // flock(2) locks belong to open files: a second open in this process conflicts
        // as another process's would.
        match PidLock::acquire(&dir, &socket) {
            Err(e @ LockError::Running { pid: Some(pid), .. }) => {
                assert_eq!(pid, std::process::id());
                assert_eq!(
                    e.to_string(),
                    format!(
                        "aisexec is already running (pid {pid}) on IPC socket @ais-lock-test (lock {})",
                        dir.join("aisexec-ais-lock-test.pid").display()
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        // Another socket is another executive.
        let other = PidLock::acquire(&dir, &SocketName::parse("@ais-lock-test-2").unwrap()).unwrap();
        drop((first, other));
        let again = PidLock::acquire(&dir, &socket).unwrap();
        drop(again);
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn unusable_directory_is_an_io_error() {
        let dir = temp_dir("file");
        std::fs::create_dir_all(&dir).unwrap();
        let not_a_dir = dir.join("file");
        std::fs::write(&not_a_dir, b"").unwrap();
        match PidLock::acquire(&not_a_dir, &SocketName::parse("@ais").unwrap()) {
            Err(LockError::Io { path, .. }) => assert_eq!(path, not_a_dir),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
