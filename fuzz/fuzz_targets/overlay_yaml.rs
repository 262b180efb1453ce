//! A BloodHound-import overlay (YAML: segments, placement, reachability, relations, control
//! sets) applied to the tiny SharpHound fixture's import, as
//! `ztsim import bloodhound DIR --overlay FILE` does, then the result loaded back.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use ztsim::import::{self, Draft, Overlay, Report, bloodhound};

fn fixture() -> &'static (Draft, Report) {
    static F: OnceLock<(Draft, Report)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/sharphound/tiny"
        );
        let (d, r, _) =
            bloodhound::import(std::path::Path::new(dir), &bloodhound::Options::default())
                .expect("the fixture imports");
        (d, r)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = common::limits();
    let overlay = match Overlay::from_str(text, "overlay.yaml", &limits) {
        Ok(o) => o,
        Err(e) => return common::render(&e),
    };
    let (draft, report) = fixture().clone();
    let done = match import::finish(draft, Some(&overlay), report, "tiny", &limits) {
        Ok(d) => d,
        Err(e) => return common::render(&e),
    };
    if let Err(e) = ztsim::pipeline::Prepared::from_str(&done.text, "out.yaml", &limits) {
        // An overlay can legitimately make the estate invalid (a relation to an unknown
        // asset...); what must not happen is a panic, and the error must render.
        common::render(&e);
    }
});
