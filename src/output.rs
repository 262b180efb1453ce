//! Writing files safely: every output is written to a temporary file in the target
//! directory and renamed into place, so a reader (or a crash) sees the old file or the
//! complete new one, never half of one. Names from a scenario are untrusted: text for the
//! terminal loses its control characters, and CSV cells their spreadsheet formulas.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary file in the same directory renamed into
/// place, so readers see the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let werr = |cause: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        cause,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".ztsim-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(werr)?;
    tmp.write_all(bytes).map_err(werr)?;
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
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
