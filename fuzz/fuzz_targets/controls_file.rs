//! A controls file (`--controls-file`: control overrides, new controls, control sets,
//! technique overrides) merged into a shipped scenario, validated, then compiled and every
//! set it names resolved and planned, as `ztsim run SCENARIO --controls-file FILE` does.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use ztsim::pipeline::Prepared;
use ztsim::scenario::{LoadedScenario, apply_controls_file, load_scenario_str};

fn base() -> &'static LoadedScenario {
    static S: OnceLock<LoadedScenario> = OnceLock::new();
    S.get_or_init(|| {
        let text = include_str!("../../tests/scenarios/controls/phish-signin.yaml");
        load_scenario_str(text, "phish-signin.yaml", &common::limits()).expect("ships valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = common::limits();
    let mut loaded = base().clone();
    if let Err(e) = apply_controls_file(&mut loaded.scenario, text, "c.yaml", &limits) {
        return common::render(&e);
    }
    let prep = match Prepared::from_loaded(loaded) {
        Ok(p) => p,
        Err(e) => return common::render(&e),
    };
    let names = prep.default_sets();
    if let Err(e) = prep.plans(&names, 1) {
        common::render(&e);
    }
});
