//! `ztsim._native`: the Python extension module of ztsim. It mirrors the library, not the
//! CLI: scenarios are loaded, validated and run by the same library calls the CLI's
//! `pipeline` makes, and the environments step the one engine through
//! [`ztsim::sim::external::Episode`]. The pure-Python package `ztsim` wraps this module.

mod env;
mod errors;
mod scenario;
mod tools;
mod vector;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ZtsimError", py.get_type::<errors::ZtsimError>())?;
    m.add("ScenarioError", py.get_type::<errors::ScenarioError>())?;
    m.add("UsageError", py.get_type::<errors::UsageError>())?;
    m.add_class::<errors::Diagnostic>()?;
    m.add_class::<scenario::Scenario>()?;
    m.add_class::<scenario::RunResult>()?;
    m.add_class::<env::AttackerCore>()?;
    m.add_class::<vector::VectorCore>()?;
    m.add_function(wrap_pyfunction!(scenario::validate_text, m)?)?;
    m.add_function(wrap_pyfunction!(scenario::validate_file, m)?)?;
    tools::register(m)?;
    Ok(())
}
