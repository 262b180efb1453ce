//! Shared by the fuzz targets: the limits they run under, a scratch directory, and the
//! scenario the tabletop targets play.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use ztsim::limits::Limits;

/// The CLI's default limits: what a user running ztsim on an untrusted file gets.
pub fn limits() -> Limits {
    Limits::default()
}

/// A scratch directory for targets whose entry point reads files, created once per process
/// and removed at exit by the OS's temp cleaner (libFuzzer never returns normally).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::var_os("ZTSIM_FUZZ_SCRATCH")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let d = tempfile::Builder::new()
            .prefix("ztsim-fuzz-")
            .tempdir_in(base)
            .expect("scratch dir");
        d.keep()
    })
}

/// Writes `bytes` to `name` in the scratch directory and returns the path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch().join(name);
    std::fs::write(&p, bytes).expect("write scratch file");
    p
}

/// A small scenario with identities, devices, apps, data and a control set, for targets
/// that need one (tabletop sessions, overlays on an import).
pub const SMALL_SCENARIO: &str = include_str!("../../scenarios/flat-ad.yaml");

/// Runs an error's rendering (what the CLI prints), so formatting code is fuzzed too.
pub fn render(e: &ztsim::Error) {
    let s = e.to_string();
    let _ = ztsim::report::terminal_safe(&s);
}

/// What the CLI does with an importer's draft: finish it (validate, render), print the
/// report, and load the scenario text back; a scenario that does not load is a bug.
pub fn finish_and_load(draft: ztsim::import::Draft, report: ztsim::import::Report) {
    let limits = limits();
    let done = match ztsim::import::finish(draft, None, report, "fuzz", &limits) {
        Ok(d) => d,
        Err(e) => return render(&e),
    };
    for l in done.report.lines() {
        let _ = ztsim::report::terminal_safe(&l);
    }
    if let Err(e) = ztsim::pipeline::Prepared::from_str(&done.text, "out.yaml", &limits) {
        panic!(
            "the importer wrote a scenario that does not load:\n{e}\n---\n{}",
            done.text
        );
    }
}
