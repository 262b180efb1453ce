//! Lines typed at the tabletop prompt: each line through `command::parse`, and the commands
//! that parse played on one session of flat-ad.yaml (defender and attacker injects, undo,
//! rewind, branches), as the interactive session does. Commands that read or write files
//! are parsed but not run.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ztsim::pipeline::Prepared;
use ztsim::tabletop::command::{self, Command};
use ztsim::tabletop::{Config, Session};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut cmds = Vec::new();
    for line in text.lines().take(64) {
        match command::parse(line) {
            Ok(Some(c)) => {
                let _ = c.to_string();
                cmds.push(c);
            }
            Ok(None) => {}
            Err(m) => {
                let _ = ztsim::report::terminal_safe(&m);
            }
        }
    }
    if cmds.is_empty() {
        return;
    }
    let prep = Prepared::from_str(common::SMALL_SCENARIO, "flat-ad.yaml", &common::limits())
        .expect("scenario");
    let cfg = Config {
        scenario: "flat-ad.yaml".into(),
        controls: "none".into(),
        profile: None,
        seed: 1,
        trial: 0,
    };
    let Ok(mut s) = Session::new(prep, cfg) else {
        return;
    };
    for c in cmds {
        if matches!(
            c,
            Command::Save(_)
                | Command::Export(_)
                | Command::Map(Some(_))
                | Command::Load(_)
                | Command::Quit
        ) {
            continue;
        }
        let r = s.run(c, None);
        let _ = ztsim::report::terminal_safe(&r.text);
    }
    let _ = ztsim::tabletop::transcript::markdown(&s, None);
});
