//! Typed errors of the library. The CLI wraps them in `anyhow` at the edge.

use std::fmt;
use std::path::PathBuf;

/// One problem found in an input file, located as precisely as the parser allows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Whether the problem stops the file from loading.
    pub severity: Severity,
    /// Field path inside the document, e.g. `relations[3].to`.
    pub path: String,
    /// What is wrong, in words (no Rust type names).
    pub message: String,
    /// A suggestion, such as the name the user probably meant; `None` when there is none.
    pub hint: Option<String>,
    /// 1-based line and column; 0 when unknown.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    /// A second place the problem involves (the earlier of two conflicting rules), as
    /// (field path, line, column); the location is filled in with the first's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Box<(String, usize, usize)>>,
}

/// How bad a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file is rejected.
    Error,
    /// Reported, but the file still loads.
    Warning,
}

impl Diagnostic {
    pub(crate) fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            message: message.into(),
            hint: None,
            line: 0,
            column: 0,
            related: None,
        }
    }
    pub(crate) fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, message)
        }
    }
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Names a second field the problem involves; it is located with the first.
    pub(crate) fn with_related(mut self, path: impl Into<String>) -> Self {
        self.related = Some(Box::new((path.into(), 0, 0)));
        self
    }
    /// Whether the severity is [`Severity::Error`].
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
        if let Some(r) = &self.related {
            let (path, line, column) = &**r;
            s.push_str(&format!("\n    see: {file}:{line}:{column}: {path}"));
        }
        if let Some(h) = &self.hint {
            s.push_str(&format!("\n    hint: {h}"));
        }
        s
    }
}

/// A list of diagnostics for one file, at least one of them an error.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostics {
    /// The file the diagnostics are about, as the user named it.
    pub file: String,
    /// Every problem found, in document order where known.
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

/// Everything that can go wrong in the library. The `Display` text is the message a user
/// sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// An input file was read but is not valid: every problem found, located.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// A file could not be written.
    #[error("cannot write {path}: {cause}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// A control-set name that is neither a set, a preset nor a list of control ids.
    #[error("unknown control set `{name}`: {hint}")]
    UnknownControlSet {
        /// The name asked for.
        name: String,
        /// What the user may have meant, or where the names are listed.
        hint: String,
    },
    /// A request that cannot be honoured (bad option, inconsistent inputs), with the reason.
    #[error("{0}")]
    Usage(String),
    /// A PDF was asked for, and no headless Chromium to print it with was found: the
    /// message says how to get one.
    #[error("{0}")]
    NoChromium(String),
    /// Headless Chromium ran but printed no PDF (it failed, timed out or wrote something
    /// else): what went wrong.
    #[error("printing the PDF with Chromium failed: {0}")]
    Chromium(String),
    /// The embedded catalogs failed to load: a bug in ztsim, not in the input.
    #[error("internal catalog error: {0}")]
    Catalog(String),
}

/// `Result` with the library's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
