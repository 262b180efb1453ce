//! Bytes as a SharpHound zip, through the importer (`ztsim import bloodhound X.zip`): entry
//! names, entry count and decompressed size limits, then each JSON entry as in
//! bloodhound_json.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::import::{self, bloodhound};

fuzz_target!(|data: &[u8]| {
    if !data.starts_with(b"PK") {
        return;
    }
    let path = common::scratch_file("collection.zip", data);
    let limits = common::limits();
    let opts = bloodhound::Options {
        max_decompressed_bytes: 64 << 20,
        max_zip_entries: 1000,
        ..bloodhound::Options::default()
    };
    let (draft, report, _graph) = match bloodhound::import(&path, &opts) {
        Ok(x) => x,
        Err(e) => return common::render(&e),
    };
    let done = match import::finish(draft, None, report, "fuzz.zip", &limits) {
        Ok(d) => d,
        Err(e) => return common::render(&e),
    };
    if let Err(e) = ztsim::pipeline::Prepared::from_str(&done.text, "out.yaml", &limits) {
        panic!(
            "the importer wrote a scenario that does not load:\n{e}\n---\n{}",
            done.text
        );
    }
});
