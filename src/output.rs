//! Writing files safely: every output is written to a temporary file in the target
//! directory and renamed into place, so a reader (or a crash) sees the old file or the
//! complete new one, never half of one. Names from a scenario are untrusted: text for the
//! terminal loses its control characters, and CSV cells their spreadsheet formulas.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary file in the same directory renamed into
/// place, so readers see the old file or the whole new one. The file is created with mode
/// 0666 less the process umask, like any other program's output (see [`write_atomic_mode`]).
///
/// A target that exists and is not a regular file or a directory (a character device such
/// as `/dev/null`, a FIFO, `/dev/stdout`) is written directly instead: renaming over it
/// would replace the device or pipe with a regular file. A symbolic link is followed: the
/// link stays and its target is written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o666)
}

/// [`write_atomic`] with the permission bits the temporary file is created with (`mode`,
/// less the umask, on unix). `0o600` keeps a file private whatever the umask.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let werr = |cause: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        cause,
    };
    // `-` is standard output, as for every Unix tool that writes a file.
    if path == Path::new("-") {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        return out.write_all(bytes).and_then(|_| out.flush()).map_err(werr);
    }
    // A symbolic link (`/dev/stdout` -> `/proc/self/fd/1` -> a file or a pipe) is written
    // through: the link stays, and its target is replaced or written in place.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && let Ok(target) = std::fs::canonicalize(path)
        && target != path
    {
        return write_atomic_mode(&target, bytes, mode);
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(werr(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a directory",
            )));
        }
        if !meta.is_file() {
            return write_direct(path, bytes).map_err(werr);
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ztsim-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    // The temporary is removed when `tmp` drops on any error below.
    let mut tmp = builder.tempfile_in(&dir).map_err(werr)?;
    tmp.write_all(bytes).map_err(werr)?;
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
}

/// Writes to a device or pipe in place: no temporary, no rename, no truncation (devices and
/// pipes have nothing to truncate).
fn write_direct(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// Ignores SIGXFSZ, so that a write over the file-size limit (`ulimit -f`) fails with an
/// error ztsim reports ("cannot write PATH: File too large") and its temporary file is
/// removed, instead of the signal killing the process silently. Call once at startup.
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code; it is
    // called at startup, before any thread is spawned.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Creates an output directory (and parents), with a clear error when it cannot.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|cause| Error::Write {
        path: dir.to_path_buf(),
        cause,
    })
}

/// Removes control characters (ANSI escapes included) before text reaches a terminal.
pub fn terminal_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Prefixes a quote to cells a spreadsheet would read as a formula.
pub fn csv_safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Writes `value` as pretty-printed JSON to `path`, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> crate::error::Result<()> {
    let json = serde_json::to_vec_pretty(value)
        .map_err(|e| crate::error::Error::Usage(format!("json: {e}")))?;
    write_atomic(path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporaries() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn neutralises_untrusted_names() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("alice"), "alice");
        assert!(!terminal_safe("x\u{1b}[31mred").contains('\u{1b}'));
    }
}
