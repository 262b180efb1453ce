//! A sweep spec (YAML or JSON) through `Spec::from_str`, with scenario files resolved in a
//! directory holding one small scenario (`flat.yaml`), as `ztsim sweep --dry-run` does:
//! axes, ranges, control sets and profiles checked against the scenarios, cells counted
//! and sharded.
//!
//! Specs that ask for generated scenarios are skipped: generating an estate of the size a
//! spec asks for is the point of the feature, so its cost is the user's choice, not a bug.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn dir() -> &'static Path {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = common::scratch().join("sweep");
        std::fs::create_dir_all(&d).expect("dir");
        std::fs::write(d.join("flat.yaml"), common::SMALL_SCENARIO).expect("scenario");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains("generate") {
        return;
    }
    for origin in ["spec.yaml", "spec.json"] {
        match ztsim::sweep::Spec::from_str(text, origin, dir(), &common::limits()) {
            Ok(spec) => {
                let _ = spec.cell_count();
                let _ = ztsim::sweep::shard_cells(&spec, None);
                let _ = ztsim::sweep::shard_cells(&spec, Some((1, 3)));
            }
            Err(e) => common::render(&e),
        }
    }
});
