//! JSON scenario text → validate → compile (`Prepared::from_str`), as `ztsim validate` and
//! `ztsim run` do. Must never panic, whatever the input; errors are rendered like the CLI's.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::pipeline::Prepared;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Prepared::from_str(text, "f.json", &common::limits()) {
        Ok(p) => {
            for w in &p.loaded.warnings {
                let _ = w.render("f.json");
            }
        }
        Err(e) => common::render(&e),
    }
});
