//! A tabletop exercise script (YAML) through `script::parse`, then, when it parses, checked
//! against a session on flat-ad.yaml and played to its end with the narration discarded, as
//! `ztsim tabletop SCENARIO --script FILE` does.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::pipeline::Prepared;
use ztsim::tabletop::command::Command;
use ztsim::tabletop::{Config, Session, play, script};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = common::limits();
    let sc = match script::parse(text, "exercise.yaml", &limits) {
        Ok(s) => s,
        Err(e) => return common::render(&e),
    };
    // Commands that write files are refused by the parser; never let a fuzzer write files
    // anyway, should that change.
    if sc.commands.iter().any(|c| {
        matches!(
            c,
            Command::Save(_) | Command::Export(_) | Command::Map(Some(_)) | Command::Load(_)
        )
    }) {
        return;
    }
    let prep =
        Prepared::from_str(common::SMALL_SCENARIO, "flat-ad.yaml", &limits).expect("scenario");
    let e = &sc.exercise;
    let cfg = Config {
        scenario: "flat-ad.yaml".into(),
        controls: e.controls.clone().unwrap_or_else(|| "none".into()),
        profile: e.profile.clone(),
        seed: e.seed.unwrap_or(1),
        trial: e.trial.unwrap_or(0),
    };
    let mut prep = prep;
    if let Some(p) = &cfg.profile
        && prep.set_profile(p).is_err()
    {
        return;
    }
    let Ok(mut s) = Session::new(prep, cfg) else {
        return;
    };
    if sc.validate(&s).is_err() {
        return;
    }
    s.exercise = Some(sc.info());
    let _ = s.intro();
    let mut sink = Vec::new();
    if let Err(e) = play::run_script(&mut s, &sc, &mut sink) {
        common::render(&e);
    }
    let _ = ztsim::tabletop::transcript::markdown(&s, None);
});
