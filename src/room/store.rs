//! The session journal: `session.jsonl` in the state directory. The first line is the
//! header (the exercise file and its hash, the tokens); each further line is one accepted
//! request, written and synced to disk before the request is answered. A restarted
//! server reads the header and replays the requests.
//!
//! A last line without its newline is a write the server was killed in the middle of: it
//! was never answered, so it is dropped (and the file cut back to the last full line).
//! Any other bad line is an error naming the file, the line and the field.

use super::Tokens;
use super::request::Request;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal's first line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Format version (1).
    pub ztsim_session: u32,
    /// The exercise file, as given when the session began.
    pub exercise: String,
    /// FNV-1a hash of the exercise file's bytes: a changed file cannot resume.
    pub exercise_hash: String,
    /// FNV-1a hash of the scenario file's bytes.
    pub scenario_hash: String,
    /// The tokens.
    pub tokens: Tokens,
}

/// An open journal, appended to.
pub struct Store {
    path: PathBuf,
    file: File,
}

/// Why a journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// I/O on the file.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        cause: std::io::Error,
    },
    /// A line that is not what it should be.
    #[error("{path}:{line}: {message}")]
    Bad {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong, naming the field.
        message: String,
    },
}

impl Store {
    /// The journal's path in a state directory.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join("session.jsonl")
    }

    /// Starts a new journal with `header` (the file must not exist).
    pub fn create(path: &Path, header: &Header) -> Result<Store, StoreError> {
        let io = |cause| StoreError::Io {
            path: path.display().to_string(),
            cause,
        };
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let mut line = serde_json::to_string(header).unwrap_or_default();
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Store {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Opens an existing journal: its header and requests, ready to append.
    pub fn open(path: &Path) -> Result<(Store, Header, Vec<Request>), StoreError> {
        let shown = path.display().to_string();
        let io = |cause| StoreError::Io {
            path: shown.clone(),
            cause,
        };
        let bytes = std::fs::read(path).map_err(io)?;
        // Cut a torn last line: it was never answered.
        let whole = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => 0,
        };
        let text = std::str::from_utf8(&bytes[..whole]).map_err(|e| StoreError::Bad {
            path: shown.clone(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            message: "not UTF-8".into(),
        })?;
        let (header, reqs) = parse(text, &shown)?;
        if whole < bytes.len() {
            let f = OpenOptions::new().write(true).open(path).map_err(io)?;
            f.set_len(whole as u64).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        let file = OpenOptions::new().append(true).open(path).map_err(io)?;
        Ok((
            Store {
                path: path.to_path_buf(),
                file,
            },
            header,
            reqs,
        ))
    }

    /// Appends a request and syncs it to disk.
    pub fn append(&mut self, req: &Request) -> Result<(), StoreError> {
        let mut line = serde_json::to_string(req).unwrap_or_default();
        line.push('\n');
        let r = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data());
        r.map_err(|cause| StoreError::Io {
            path: self.path.display().to_string(),
            cause,
        })
    }
}

/// Parses a journal's full lines.
fn parse(text: &str, path: &str) -> Result<(Header, Vec<Request>), StoreError> {
    let bad = |line: usize, message: String| StoreError::Bad {
        path: path.to_string(),
        line,
        message,
    };
    let mut lines = text.lines();
    let first = lines
        .next()
        .ok_or_else(|| bad(1, "empty journal: no header".into()))?;
    let header: Header = serde_json::from_str(first)
        .map_err(|e| bad(1, format!("the header is not a ztsim session header: {e}")))?;
    if header.ztsim_session != 1 {
        return Err(bad(
            1,
            format!(
                "ztsim_session: version {} is not supported (1 is)",
                header.ztsim_session
            ),
        ));
    }
    let mut reqs = Vec::new();
    for (i, l) in lines.enumerate() {
        let mut de = serde_json::Deserializer::from_str(l);
        let r: Request = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            bad(i + 2, format!("{field}: {}", e.inner()))
        })?;
        reqs.push(r);
    }
    Ok((header, reqs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::request::{FacCommand, What};

    fn header() -> Header {
        Header {
            ztsim_session: 1,
            exercise: "x.yaml".into(),
            exercise_hash: "1".into(),
            scenario_hash: "2".into(),
            tokens: Tokens {
                facilitator: "f".into(),
                seats: vec![("soc-1".into(), "s".into())],
            },
        }
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_back() {
        let d = tempfile::tempdir().unwrap();
        let p = Store::path_in(d.path());
        let mut s = Store::create(&p, &header()).unwrap();
        let req = Request {
            who: "facilitator".into(),
            id: "f-1".into(),
            what: What::Facilitator(FacCommand::Step),
        };
        s.append(&req).unwrap();
        drop(s);
        // A kill in the middle of the second append.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"who\":\"soc-1\",\"id\":\"x").unwrap();
        drop(f);
        let (_, h, reqs) = Store::open(&p).unwrap();
        assert_eq!(h, header());
        assert_eq!(reqs, vec![req]);
        assert!(std::fs::read_to_string(&p).unwrap().ends_with("}\n"));
    }

    #[test]
    fn a_bad_line_names_the_line_and_field() {
        let d = tempfile::tempdir().unwrap();
        let p = Store::path_in(d.path());
        drop(Store::create(&p, &header()).unwrap());
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"who\":\"soc-1\",\"id\":7,\"what\":{}}\n")
            .unwrap();
        drop(f);
        let e = Store::open(&p).err().unwrap().to_string();
        assert!(e.contains("session.jsonl:2: id:"), "{e}");
    }
}
