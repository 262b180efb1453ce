//! Bytes as a SharpHound zip, through the importer (`ztsim import bloodhound X.zip`): entry
//! names, entry count and decompressed size limits, then each JSON entry as in
//! bloodhound_json.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::import::bloodhound;

fuzz_target!(|data: &[u8]| {
    if !data.starts_with(b"PK") {
        return;
    }
    let path = common::scratch_file("collection.zip", data);
    let opts = bloodhound::Options {
        max_decompressed_bytes: 64 << 20,
        max_zip_entries: 1000,
        ..bloodhound::Options::default()
    };
    match bloodhound::import(&path, &opts) {
        Ok((draft, report, _graph)) => common::finish_and_load(draft, report),
        Err(e) => common::render(&e),
    }
});
