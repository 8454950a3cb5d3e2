//! The executive's logger: a `log` backend that writes what `logging { }`
//! asks for to stderr, a file and syslog.
//!
//! Every part of the executive logs through the `log` macros with a subsystem
//! as target (`log::info!(target: "TOTEM", ...)`); a target that is a module
//! path is shown as its last segment. Lines look like openais's:
//! `[TOTEM] entering OPERATIONAL state`, prefixed with a UTC timestamp when
//! `timestamp: on`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};
use nix::syslog::{Facility, LogFlags, Priority, Severity};

use crate::config::{Logging, SyslogFacility};

/// What to log where, taken from `logging { }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub to_stderr: bool,
    /// The file to append to, when `to_file` is on.
    pub file: Option<PathBuf>,
    /// The syslog facility, when `to_syslog` is on.
    pub syslog: Option<SyslogFacility>,
    /// Debug messages of every subsystem.
    pub debug: bool,
    /// Subsystems (upper case) whose debug messages are wanted anyway.
    pub debug_subsys: Vec<String>,
    pub timestamp: bool,
    /// Prefix messages with the source file and line (`fileline: on`).
    pub fileline: bool,
}

impl LogConfig {
    pub fn from_settings(l: &Logging) -> LogConfig {
        LogConfig {
            to_stderr: l.to_stderr,
            // The config reader insists on a logfile when to_file is on.
            file: if l.to_file { l.logfile.clone() } else { None },
            syslog: l.to_syslog.then_some(l.syslog_facility),
            debug: l.debug,
            debug_subsys: l
                .logger_subsys
                .iter()
                .filter(|s| s.debug)
                .map(|s| s.subsys.to_ascii_uppercase())
                .collect(),
            timestamp: l.timestamp,
            fileline: l.fileline,
        }
    }

    /// Only stderr, info and up: for the time before the configuration is
    /// read and for tools.
    pub fn stderr_only() -> LogConfig {
        LogConfig {
            to_stderr: true,
            file: None,
            syslog: None,
            debug: false,
            debug_subsys: Vec::new(),
            timestamp: false,
            fileline: false,
        }
    }
}

struct Logger {
    cfg: LogConfig,
    file: Option<Mutex<File>>,
}

/// Installs the logger (once per process). The log file is opened here, so
/// an unwritable one is reported before the daemon detaches.
pub fn init(cfg: LogConfig) -> io::Result<()> {
    let file = match &cfg.file {
        Some(path) => Some(Mutex::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
        )),
        None => None,
    };
    if let Some(facility) = cfg.syslog {
        // The ident must be 'static on Linux; LOG_PID because several
        // executives may share a syslog in tests.
        nix::syslog::openlog(
            Some(c"aisexec"),
            LogFlags::LOG_PID | LogFlags::LOG_NDELAY,
            nix_facility(facility),
        )
        .map_err(io::Error::from)?;
    }
    let max = if cfg.debug || !cfg.debug_subsys.is_empty() {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    log::set_boxed_logger(Box::new(Logger { cfg, file }))
        .map_err(|_| io::Error::other("a logger is already installed"))?;
    log::set_max_level(max);
    Ok(())
}

fn nix_facility(f: SyslogFacility) -> Facility {
    match f {
        SyslogFacility::Daemon => Facility::LOG_DAEMON,
        SyslogFacility::Local0 => Facility::LOG_LOCAL0,
        SyslogFacility::Local1 => Facility::LOG_LOCAL1,
        SyslogFacility::Local2 => Facility::LOG_LOCAL2,
        SyslogFacility::Local3 => Facility::LOG_LOCAL3,
        SyslogFacility::Local4 => Facility::LOG_LOCAL4,
        SyslogFacility::Local5 => Facility::LOG_LOCAL5,
        SyslogFacility::Local6 => Facility::LOG_LOCAL6,
        SyslogFacility::Local7 => Facility::LOG_LOCAL7,
    }
}

/// The subsystem shown for a target: itself, or a module path's last segment.
pub fn subsystem(target: &str) -> String {
    target.rsplit("::").next().unwrap_or(target).to_ascii_uppercase()
}

/// One line as written to stderr and the file (without the newline).
pub fn format_line(timestamp: Option<SystemTime>, level: Level, subsys: &str, message: &str) -> String {
    let mut line = String::with_capacity(message.len() + 40);
    if let Some(t) = timestamp {
        line.push_str(&format_utc(t));
        line.push(' ');
    }
    line.push_str(&format!("[{subsys:<5}] "));
    match level {
        Level::Error => line.push_str("error: "),
        Level::Warn => line.push_str("warning: "),
        Level::Info => {}
        Level::Debug | Level::Trace => line.push_str("debug: "),
    }
    line.push_str(message);
    line
}

/// `2026-11-22T18:49:08.123Z`. UTC, because the local zone needs the tz
/// database and a dependency for one timestamp.
pub fn format_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day): H. Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl Logger {
    fn wanted(&self, level: Level, subsys: &str) -> bool {
        match level {
            Level::Error | Level::Warn | Level::Info => true,
            Level::Debug => self.cfg.debug || self.cfg.debug_subsys.iter().any(|s| s == subsys),
            Level::Trace => false,
        }
    }
}

impl Log for Logger {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= Level::Info || self.wanted(m.level(), &subsystem(m.target()))
    }

    fn log(&self, record: &Record<'_>) {
        let subsys = subsystem(record.target());
        if !self.wanted(record.level(), &subsys) {
            return;
        }
        let message = match (self.cfg.fileline, record.file(), record.line()) {
            (true, Some(file), Some(line)) => format!("{file}:{line}: {}", record.args()),
            _ => record.args().to_string(),
        };
        if self.cfg.to_stderr || self.file.is_some() {
            let ts = self.cfg.timestamp.then(SystemTime::now);
            let mut line = format_line(ts, record.level(), &subsys, &message);
            line.push('\n');
            // A full disk or a closed stderr must not stop the executive.
            if self.cfg.to_stderr {
                let _ = io::stderr().lock().write_all(line.as_bytes());
            }
            if let Some(f) = &self.file {
                if let Ok(mut f) = f.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
        }
        if let Some(facility) = self.cfg.syslog {
            let severity = match record.level() {
                Level::Error => Severity::LOG_ERR,
                Level::Warn => Severity::LOG_WARNING,
                Level::Info => Severity::LOG_INFO,
                Level::Debug | Level::Trace => Severity::LOG_DEBUG,
            };
            let _ = nix::syslog::syslog(
                Priority::new(severity, nix_facility(facility)),
                &format!("[{subsys}] {message}"),
            );
        }
    }

    fn flush(&self) {
        if let Some(f) = &self.file {
            if let Ok(mut f) = f.lock() {
                let _ = f.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn subsystem_of_targets() {
        assert_eq!(subsystem("TOTEM"), "TOTEM");
        assert_eq!(subsystem("ais_exec::daemon::driver"), "DRIVER");
        assert_eq!(subsystem("clm"), "CLM");
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(format_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day in a century leap year) 12:34:56.789
        let t = UNIX_EPOCH + Duration::from_millis(951_827_696_789);
        assert_eq!(format_utc(t), "2000-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_459_748);
        assert_eq!(format_utc(t), "2026-11-23T18:49:08.000Z");
    }

    #[test]
    fn lines_carry_subsystem_and_level() {
        assert_eq!(
            format_line(None, Level::Info, "CLM", "New Configuration:"),
            "[CLM  ] New Configuration:"
        );
        assert_eq!(format_line(None, Level::Warn, "TOTEM", "x"), "[TOTEM] warning: x");
        let l = format_line(Some(UNIX_EPOCH), Level::Debug, "NET", "y");
        assert_eq!(l, "1970-01-01T00:00:00.000Z [NET  ] debug: y");
    }

    #[test]
    fn config_from_settings() {
        let (s, _) = crate::config::Settings::from_str(
            "totem {\ninterface {\nbindnetaddr: 127.0.0.1\nmcastaddr: 239.1.1.1\n}\n}\n\
             logging {\nto_stderr: yes\nto_syslog: no\nto_file: yes\nlogfile: /tmp/x.log\n\
             logger_subsys {\nsubsys: totem\ndebug: on\n}\n}\n",
            "t.conf",
        )
        .unwrap();
        let c = LogConfig::from_settings(&s.logging);
        assert!(c.to_stderr);
        assert_eq!(c.file, Some(PathBuf::from("/tmp/x.log")));
        assert_eq!(c.syslog, None);
        assert!(!c.debug);
        assert_eq!(c.debug_subsys, vec!["TOTEM".to_string()]);
    }
}
