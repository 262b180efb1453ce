//! One AzureHound file through the importer, as `ztsim import azurehound FILE` does: the
//! envelope checked, the items mapped to assets and relations, the scenario rendered and
//! loaded back (the CLI refuses to write a scenario that does not load).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::import::azurehound;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file("azurehound.json", data);
    match azurehound::import(&path, &azurehound::Options::default()) {
        Ok((draft, report)) => common::finish_and_load(draft, report),
        Err(e) => common::render(&e),
    }
});
