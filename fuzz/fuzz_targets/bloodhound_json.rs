//! One SharpHound JSON file through the importer, as `ztsim import bloodhound FILE.json`
//! does: read into BloodHound's graph, map to assets and relations, render the scenario and
//! load it back (the CLI refuses to write a scenario that does not load). The first byte
//! picks the file name, so that files without `meta.type` are typed by their name.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::import::{self, bloodhound};

const NAMES: [&str; 9] = [
    "20240101_users.json",
    "20240101_computers.json",
    "20240101_groups.json",
    "20240101_domains.json",
    "20240101_gpos.json",
    "20240101_ous.json",
    "20240101_containers.json",
    "20240101_certtemplates.json",
    "data.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    // Never take the zip path here: that is bloodhound_zip's job.
    if body.starts_with(b"PK") {
        return;
    }
    let name = NAMES[first as usize % NAMES.len()];
    let path = common::scratch_file(name, body);
    import_and_load(&path);
    let _ = std::fs::remove_file(&path);
});

fn import_and_load(path: &std::path::Path) {
    let limits = common::limits();
    let opts = bloodhound::Options {
        // Bounded so that a decompression bomb is an error, not an out-of-memory kill.
        max_decompressed_bytes: 64 << 20,
        ..bloodhound::Options::default()
    };
    let (draft, report, _graph) = match bloodhound::import(path, &opts) {
        Ok(x) => x,
        Err(e) => return common::render(&e),
    };
    let done = match import::finish(draft, None, report, "fuzz", &limits) {
        Ok(d) => d,
        Err(e) => return common::render(&e),
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
