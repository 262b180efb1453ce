//! The library's errors as Python exceptions. A scenario's problems arrive as
//! `ScenarioError` (a `ValueError`) carrying every diagnostic and the first error's file,
//! line, column and field; usage errors (an unknown control set or profile, a bad option) as
//! `UsageError` (a `ValueError`); unreadable or unwritable files as `OSError`.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    _native,
    ZtsimError,
    PyException,
    "Base class of ztsim's own errors."
);
create_exception!(
    _native,
    ScenarioError,
    PyValueError,
    "An input file is invalid: `.diagnostics` lists every problem; `.file`, `.line`, `.column` and `.field` locate the first error."
);
create_exception!(
    _native,
    UsageError,
    PyValueError,
    "A request that cannot be honoured: an unknown control set or profile, a bad option."
);

/// One problem found in an input file, located.
#[pyclass(frozen, get_all, module = "ztsim._native")]
#[derive(Clone)]
pub struct Diagnostic {
    /// The file, as named.
    pub file: String,
    /// `"error"` or `"warning"`.
    pub severity: String,
    /// The field path, e.g. `relations[3].to` (empty: the whole document).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// A suggestion, or None.
    pub hint: Option<String>,
    /// 1-based line (0: unknown).
    pub line: usize,
    /// 1-based column (0: unknown).
    pub column: usize,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic({}:{}:{}: {}: {}: {})",
            self.file, self.line, self.column, self.severity, self.field, self.message
        )
    }

    fn __str__(&self) -> String {
        self.render()
    }
}

impl Diagnostic {
    /// From the library's diagnostic about `file`.
    pub fn from_lib(file: &str, d: &ztsim::error::Diagnostic) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            severity: if d.is_error() { "error" } else { "warning" }.to_string(),
            field: d.path.clone(),
            message: d.message.clone(),
            hint: d.hint.clone(),
            line: d.line,
            column: d.column,
        }
    }

    fn render(&self) -> String {
        let mut s = format!(
            "{}:{}:{}: {}: {}: {}",
            self.file,
            self.line,
            self.column,
            self.severity,
            if self.field.is_empty() {
                "(document)"
            } else {
                &self.field
            },
            self.message
        );
        if let Some(h) = &self.hint {
            s.push_str(&format!(" (hint: {h})"));
        }
        s
    }
}

/// The library's error as a Python exception.
pub fn to_py(py: Python<'_>, e: ztsim::Error) -> PyErr {
    match e {
        ztsim::Error::Invalid(d) => scenario_error(py, &d),
        ztsim::Error::Read { .. } | ztsim::Error::Write { .. } => PyOSError::new_err(e.to_string()),
        ztsim::Error::UnknownControlSet { .. } | ztsim::Error::Usage(_) => {
            UsageError::new_err(e.to_string())
        }
        ztsim::Error::Catalog(_) | ztsim::Error::NoChromium(_) | ztsim::Error::Chromium(_) => {
            ZtsimError::new_err(e.to_string())
        }
    }
}

/// A `ScenarioError` with its diagnostics and the first error's location as attributes.
fn scenario_error(py: Python<'_>, d: &ztsim::error::Diagnostics) -> PyErr {
    let err = ScenarioError::new_err(d.to_string());
    let items: Vec<Diagnostic> = d
        .items
        .iter()
        .map(|x| Diagnostic::from_lib(&d.file, x))
        .collect();
    let first = d.items.iter().find(|x| x.is_error()).or(d.items.first());
    let v = err.value(py);
    let set = || -> PyResult<()> {
        v.setattr("file", &d.file)?;
        v.setattr("line", first.map_or(0, |x| x.line))?;
        v.setattr("column", first.map_or(0, |x| x.column))?;
        v.setattr("field", first.map_or("", |x| x.path.as_str()))?;
        v.setattr("diagnostics", items)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}
