//! One SharpHound JSON file through the importer, as `ztsim import bloodhound FILE.json`
//! does: read into BloodHound's graph, map to assets and relations, render the scenario and
//! load it back (the CLI refuses to write a scenario that does not load). The first byte
//! picks the file name, so that files without `meta.type` are typed by their name.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::import::bloodhound;

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
    let opts = bloodhound::Options {
        // Bounded so that a decompression bomb is an error, not an out-of-memory kill.
        max_decompressed_bytes: 64 << 20,
        ..bloodhound::Options::default()
    };
    match bloodhound::import(path, &opts) {
        Ok((draft, report, _graph)) => common::finish_and_load(draft, report),
        Err(e) => common::render(&e),
    }
}
