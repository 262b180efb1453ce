//! Typed errors of the library. The CLI wraps them in `anyhow` at the edge.

use std::fmt;
use std::path::PathBuf;

/// One problem found in an input file, located as precisely as the parser allows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Field path inside the document, e.g. `relations[3].to`.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    /// 1-based line and column; 0 when unknown.
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl Diagnostic {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            message: message.into(),
            hint: None,
            line: 0,
            column: 0,
        }
    }
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, message)
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    /// `file:line:column: error: field: message (hint: ...)`.
    pub fn render(&self, file: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let field = if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        };
        let mut s = format!(
            "{file}:{}:{}: {sev}: {field}: {}",
            self.line, self.column, self.message
        );
        if let Some(h) = &self.hint {
            s.push_str(&format!("\n    hint: {h}"));
        }
        s
    }
}

/// A list of diagnostics for one file, at least one of them an error.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostics {
    pub file: String,
    pub items: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.items.iter().filter(|d| d.is_error()).count();
        for d in &self.items {
            writeln!(f, "{}", d.render(&self.file))?;
        }
        write!(f, "{}: {errors} error(s)", self.file)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
    #[error("cannot write {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("unknown control set `{name}`: {hint}")]
    UnknownControlSet { name: String, hint: String },
    #[error("{0}")]
    Usage(String),
    #[error("internal catalog error: {0}")]
    Catalog(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
