//! ais-keygen: writes a new cluster key for `totem.secauth`.
//!
//! The key is random bytes from OpenSSL's CSPRNG (seeded by the kernel). It
//! is written to a temporary file created with mode 0400 in the same
//! directory and renamed into place, so the key is never readable by others,
//! not even for a moment, and a reader never sees half a key.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;

use ais_exec::daemon::authkey::{MAX_LEN, MIN_LEN};

const USAGE: &str = "usage: ais-keygen [-k FILE] [-s BYTES] [-f] [-h] [-v]
  -k FILE        where to write the key (default $OPENAIS_TOTEM_AUTHKEY_FILE or /etc/ais/authkey)
  -s BYTES       key size, 128 to 4096 (default 128)
  -f             replace an existing key
  -h, --help     this help
  -v, --version  print the version";

struct Opts {
    file: PathBuf,
    size: usize,
    force: bool,
}

enum Cmd {
    Help,
    Run(Opts),
}

fn parse(mut args: impl Iterator<Item = OsString>) -> Result<Cmd, String> {
    let mut o = Opts {
        file: ais_exec::config::authkey_path(),
        size: MIN_LEN,
        force: false,
    };
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("-h") | Some("--help") => return Ok(Cmd::Help),
            Some("-f") => o.force = true,
            Some("-k") => o.file = args.next().ok_or("-k needs a file")?.into(),
            Some("-s") => {
                let v = args.next().ok_or("-s needs a size")?;
                let v = v.to_str().ok_or("-s: not a number")?;
                o.size = v.parse().map_err(|_| format!("-s: '{v}' is not a number"))?;
                if !(MIN_LEN..=MAX_LEN).contains(&o.size) {
                    return Err(format!("-s: {} bytes; the size must be {MIN_LEN} to {MAX_LEN}", o.size));
                }
            }
            _ => return Err(format!("unknown argument '{}'", a.to_string_lossy())),
        }
    }
    Ok(Cmd::Run(o))
}

fn write_key(o: &Opts) -> Result<(), String> {
    let path = &o.file;
    if !o.force && std::fs::symlink_metadata(path).is_ok() {
        return Err(format!("{} exists; use -f to replace it", path.display()));
    }
    let mut key = vec![0u8; o.size];
    openssl::rand::rand_bytes(&mut key).map_err(|e| format!("random bytes: {e}"))?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        // create_new: never write through a file or link someone left there.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&tmp)?;
        f.write_all(&key)?;
        f.sync_all()?;
        if o.force {
            std::fs::rename(&tmp, path)
        } else {
            // A link fails if the name exists: no race with another writer.
            std::fs::hard_link(&tmp, path)?;
            std::fs::remove_file(&tmp)
        }
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(code) = ais_exec::tool_args::answer("ais-keygen", &format!("{USAGE}\n"), &args) {
        return code;
    }
    match parse(std::env::args_os().skip(1)) {
        Ok(Cmd::Help) => {
            ais_exec::tool_output::print("ais-keygen", &format!("{USAGE}\n"));
            ExitCode::SUCCESS
        }
        Ok(Cmd::Run(o)) => match write_key(&o) {
            Ok(()) => {
                let done = format!(
                    "wrote a {}-byte key to {} (mode 0400); copy it to every node\n",
                    o.size,
                    o.file.display()
                );
                ais_exec::tool_output::print("ais-keygen", &done);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ais-keygen: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("ais-keygen: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}
