//! Tabletop mode: narration, injects, control changes, undo/rewind by replay, determinism,
//! scripted exercises and their error reports. Drives the real binary through standard
//! input and --script (plus one library-level check of the full trial state).

mod common;
use common::ztsim;
use serde_json::Value;
use std::path::Path;

const FLAT: &str = "scenarios/flat-ad.yaml";
const CHAIN: &str = "tests/scenarios/chain.yaml";
const MFA: &str = "tests/scenarios/tabletop-mfa.yaml";

/// Runs `ztsim tabletop SCENARIO ARGS...` with `input` on standard input; returns stdout.
fn play(scenario: &str, args: &[&str], input: &str) -> String {
    let out = ztsim()
        .arg("tabletop")
        .arg(scenario)
        .args(args)
        .write_stdin(input)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "ztsim tabletop {scenario} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The JSON printed by the last `state` command of a session's output.
fn last_state(out: &str) -> Value {
    let line = out
        .lines()
        .rev()
        .find(|l| l.starts_with("{\""))
        .unwrap_or_else(|| panic!("no state in:\n{out}"));
    serde_json::from_str(line).expect("state JSON")
}

fn steps(state: &Value) -> &Vec<Value> {
    state["steps"].as_array().expect("steps")
}

/// Whether a line starts with a `T+HH:MM` time.
fn has_time(l: &str) -> bool {
    let Some(rest) = l.strip_prefix("T+") else {
        return false;
    };
    let Some((h, m)) = rest.split_once(':') else {
        return false;
    };
    !h.is_empty()
        && h.chars().all(|c| c.is_ascii_digit())
        && m.len() >= 2
        && m[..2].chars().all(|c| c.is_ascii_digit())
}

/// Output from the first occurrence of `marker` on.
fn from<'a>(out: &'a str, marker: &str) -> &'a str {
    let i = out
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in:\n{out}"));
    &out[i..]
}

#[test]
fn narration_names_times_techniques_and_assets() {
    let ransomware = ["--profile", "ransomware", "--trial", "13"];
    let god = play(
        FLAT,
        &[&ransomware[..], &["--god-view"]].concat(),
        // Thirty steps: this trial's first alert comes after the attacker's discovery.
        "step 30\n",
    );
    let steps: Vec<&str> = god
        .lines()
        .filter(|l| l.contains("The attacker ") && l.contains("[T1"))
        .collect();
    assert!(steps.len() >= 20, "expected 20 narrated steps:\n{god}");
    for l in &steps {
        // `T+HH:MM  TAG  The attacker ... [Txxxx(.yyy) Name]: success|failed (rule ID)`
        assert!(has_time(l), "no time: {l}");
        assert!(
            (l.contains("]: success (rule ") || l.contains("]: failed (rule ")) && l.ends_with(')'),
            "{l}"
        );
    }
    // Display names with ids, ATT&CK ids and names.
    assert!(
        god.contains("[T1566.002 Spearphishing Link]")
            || god.contains("[T1566.001 Spearphishing Attachment]"),
        "{god}"
    );
    assert!(
        god.contains("(u-") || god.contains("(ws-") || god.contains("(hd-"),
        "{god}"
    );
    assert!(god.contains("(no alert)"), "god view shows unseen steps");
    assert!(
        god.contains("-- blast radius "),
        "turn footer with the blast radius"
    );

    // The trainer view shows alerts only, never an unseen step.
    let trainer = play(FLAT, &ransomware, "step 30\nalerts\n");
    assert!(!trainer.contains("(no alert)"), "{trainer}");
    let alerts: Vec<&str> = trainer.lines().filter(|l| l.contains("ALERT")).collect();
    assert!(!alerts.is_empty(), "{trainer}");
    for a in &alerts {
        assert!(
            god.contains(a),
            "the trainer's alert is god view's alert: {a}"
        );
        assert!(a.contains("[T1"), "alerts carry the technique: {a}");
    }
    assert!(trainer.contains("-- blast radius "), "{trainer}");
}

#[test]
fn isolating_a_device_stops_movement_from_it() {
    // Where does the attacker go from ws-2 when nothing stops it?
    let free = last_state(&play(CHAIN, &[], "run until time 720\nstate\n"));
    let taken = steps(&free)
        .iter()
        .find(|s| s["dst"] == "ws-2" && s["success"] == true)
        .expect("ws-2 is compromised without intervention")["t"]
        .as_f64()
        .unwrap();
    let used = steps(&free)
        .iter()
        .find(|s| s["src"] == "ws-2" && s["success"] == true && s["t"].as_f64().unwrap() > taken)
        .expect("the attacker moves on from ws-2 without intervention")["t"]
        .as_f64()
        .unwrap();
    let at = (taken + used) / 2.0;
    let out = play(
        CHAIN,
        &[],
        &format!("run until time {at}\nisolate ws-2\nrun until time 720\nstate\n"),
    );
    assert!(
        out.contains("(ws-2) is isolated (contained)")
            || out.contains("ws-2 is isolated (contained)"),
        "{out}"
    );
    let st = last_state(&out);
    assert!(
        st["contained"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ws-2")),
        "{st}"
    );
    for s in steps(&st) {
        if s["src"] == "ws-2" && s["success"] == true {
            assert!(
                s["t"].as_f64().unwrap() <= at,
                "a successful step from isolated ws-2 after the isolation: {s}"
            );
        }
    }
}

#[test]
fn enabling_mfa_mid_exercise_blocks_the_next_password_sign_in() {
    // Without MFA: the phished password signs in and the mailbox falls.
    let base = play(MFA, &["--god-view"], "step\nrun until time 100\nstate\n");
    let st = last_state(&base);
    assert!(
        steps(&st)
            .iter()
            .any(|s| s["technique"] == "T1078.004" && s["success"] == true),
        "{base}"
    );
    assert!(
        st["ever"]
            .as_array()
            .unwrap()
            .contains(&Value::from("mbx-1"))
    );

    // The phish lands first (the slow step); the sign-in is then under way.
    let out = play(
        MFA,
        &["--god-view"],
        "step\nenable C01\nrun until time 100\nstate\n",
    );
    let first = out.split("> enable C01").next().unwrap();
    assert!(
        first.contains("[T1566.002 Spearphishing Link]: success"),
        "{out}"
    );
    assert!(
        !first.contains("T1078.004"),
        "the sign-in must not have finished yet:\n{out}"
    );
    assert!(
        out.contains("Control C01 (MFA (push, OTP, SMS)) is now on"),
        "{out}"
    );
    assert!(
        out.contains("as Alice Example (u-1) with its password [T1078.004 Cloud Accounts]: failed"),
        "{out}"
    );
    let st = last_state(&out);
    assert!(
        !steps(&st)
            .iter()
            .any(|s| s["technique"] == "T1078.004" && s["success"] == true),
        "{st}"
    );
    assert!(
        !st["ever"]
            .as_array()
            .unwrap()
            .contains(&Value::from("mbx-1")),
        "{st}"
    );
    assert_eq!(st["plan"], serde_json::json!(["C01"]));
}

const RANSOMWARE: [&str; 5] = ["--profile", "ransomware", "--trial", "13", "--god-view"];

#[test]
fn undo_restores_the_state_exactly() {
    let prefix = "step 20h\nisolate ws-acct-02\nenable C16\nstep 5\n";
    let after = "status\nstate\nstep 10h\nalerts\nmap\nstate\n";
    let fresh = play(FLAT, &RANSOMWARE, &format!("{prefix}{after}"));
    let undone = play(
        FLAT,
        &RANSOMWARE,
        &format!(
            "{prefix}step 3h\nreset adm-it-manager\nphish u-ceo\nstep 2\nundo\nundo\nundo\nundo\n{after}"
        ),
    );
    assert!(undone.contains("Undone: `step 3h`"), "{undone}");
    // Same status, same full state, and the same story afterwards.
    assert_eq!(from(&fresh, "> status"), from(&undone, "> status"));
    let a = last_state(&fresh);
    assert!(a["journal"].as_array().unwrap().len() > 50);
}

#[test]
fn rewind_restores_the_state_exactly() {
    let after = "status\nstate\nstep 6h\nalerts\nstate\n";
    // Back to the end of a command.
    let fresh = play(
        FLAT,
        &RANSOMWARE,
        &format!("step 20h\nisolate ws-acct-02\nstep 4h\n{after}"),
    );
    let rewound = play(
        FLAT,
        &RANSOMWARE,
        &format!(
            "step 20h\nisolate ws-acct-02\nstep 4h\ndisable hd-marco\nenable C01\nstep 10h\nrewind 24\n{after}"
        ),
    );
    assert!(rewound.contains("Rewound to T+24:00"), "{rewound}");
    assert_eq!(from(&fresh, "> status"), from(&rewound, "> status"));
    // Back into the middle of a command: the same as having stopped there.
    let fresh = play(
        FLAT,
        &RANSOMWARE,
        &format!("step 20h\nisolate ws-acct-02\nstep 2h\n{after}"),
    );
    let rewound = play(
        FLAT,
        &RANSOMWARE,
        &format!("step 20h\nisolate ws-acct-02\nstep 4h\nstep 8h\nrewind T+22:00\n{after}"),
    );
    assert_eq!(from(&fresh, "> status"), from(&rewound, "> status"));
    // Branches keep both lines; switching back replays the first exactly.
    let branched = play(
        FLAT,
        &RANSOMWARE,
        &format!(
            "step 20h\nisolate ws-acct-02\nstep 2h\nbranch other\nblock office\nstep 5h\nbranches\nswitch main\n{after}"
        ),
    );
    assert!(branched.contains("* other: 5 decision(s)"), "{branched}");
    assert_eq!(from(&fresh, "> status"), from(&branched, "> status"));
}

#[test]
fn undo_and_rewind_restore_every_part_of_the_trial_state() {
    use ztsim::tabletop::{Config, Session};
    let mut prep =
        ztsim::pipeline::Prepared::from_file(Path::new(FLAT), &ztsim::limits::Limits::default())
            .unwrap();
    prep.set_profile("ransomware").unwrap();
    let cfg = Config {
        scenario: FLAT.into(),
        controls: "none".into(),
        profile: Some("ransomware".into()),
        seed: 42,
        trial: 13,
    };
    let fingerprint = |s: &Session| {
        let st = s.state();
        (
            st.now,
            st.bits.clone(),
            st.contained.ones().collect::<Vec<_>>(),
            st.ever.ones().collect::<Vec<_>>(),
            st.ended,
            format!("{:?}", st.m),
            st.journal.clone(),
            st.live_owned,
        )
    };
    let mut fresh = Session::new(prep_clone(&prep), cfg.clone()).unwrap();
    for c in ["step 20h", "isolate ws-acct-02", "enable C16", "step 5"] {
        assert!(!fresh.execute(c).error, "{c}");
    }
    let want = fingerprint(&fresh);
    let mut s = Session::new(prep, cfg).unwrap();
    for c in ["step 20h", "isolate ws-acct-02", "enable C16", "step 5"] {
        s.execute(c);
    }
    let at = s.now();
    for c in ["step 3h", "reset adm-it-manager", "phish u-ceo", "step 2"] {
        assert!(!s.execute(c).error, "{c}");
    }
    assert_ne!(fingerprint(&s), want);
    for _ in 0..4 {
        assert!(!s.execute("undo").error);
    }
    assert_eq!(fingerprint(&s), want, "undo");
    s.execute("step 7h");
    s.execute("block office");
    assert!(!s.execute(&format!("rewind {at}")).error);
    assert_eq!(fingerprint(&s), want, "rewind");
    // And the futures agree too.
    for c in ["step 10h", "disable hd-marco", "step 4"] {
        fresh.execute(c);
        s.execute(c);
    }
    assert_eq!(fingerprint(&s), fingerprint(&fresh));
}

fn prep_clone(p: &ztsim::pipeline::Prepared) -> ztsim::pipeline::Prepared {
    let mut q = ztsim::pipeline::Prepared::from_loaded(p.loaded.clone()).unwrap();
    q.set_profile("ransomware").unwrap();
    q
}

#[test]
fn the_same_commands_give_byte_identical_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let input = "step 12h\nisolate ws-it-01\nenable C01\nrun until detection\nreset hd-marco\nstep 6\nundo\nstep 3h\nmap\nstatus\n";
    let mut outs = Vec::new();
    for i in 0..2 {
        let md = dir.path().join(format!("t{i}.md"));
        let out = play(
            FLAT,
            &[
                "--profile",
                "ransomware",
                "--trial",
                "13",
                "--transcript",
                md.to_str().unwrap(),
            ],
            &format!(
                "{input}export {}\n",
                dir.path().join(format!("x{i}")).display()
            ),
        );
        outs.push((out, std::fs::read(&md).unwrap()));
    }
    // The outputs differ only in the export directory name they echo.
    assert_eq!(outs[0].0.replace("x0", "x1"), outs[1].0);
    assert_eq!(outs[0].1, outs[1].1, "transcripts differ");
    for f in [
        "transcript.md",
        "map.svg",
        "blast-radius.svg",
        "session.yaml",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join("x0").join(f)).unwrap(),
            std::fs::read(dir.path().join("x1").join(f)).unwrap(),
            "{f} differs"
        );
    }
    let md = String::from_utf8(outs[0].1.clone()).unwrap();
    for part in [
        "## The trainer's decisions",
        "## Timeline",
        "## Outcome",
        "`isolate ws-it-01`",
        "**alert**",
    ] {
        assert!(md.contains(part), "transcript lacks {part}");
    }
    // A pipe gets no prompt and no colour.
    assert!(!outs[0].0.contains("\u{1b}["));
    assert!(!outs[0].0.contains("T+00:00> "));
}

#[test]
fn map_writes_a_well_formed_svg_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("map.svg");
    let out = play(
        FLAT,
        &RANSOMWARE,
        &format!("step 30h\nisolate ws-it-01\nmap {}\n", svg.display()),
    );
    assert!(out.contains("[X] office") || out.contains("X ws-"), "{out}");
    assert!(out.contains("# ws-it-01"), "{out}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let mut r = quick_xml::Reader::from_str(&text);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed SVG: {e}"),
        }
    }
    assert!(text.contains("blast radius"));
    assert!(text.contains("ws-it-01"));
}

#[test]
fn save_and_load_replay_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    let made = play(
        FLAT,
        &RANSOMWARE,
        &format!(
            "step 20h\nisolate ws-acct-02\nstep 4h\nrewind 22\nenable C14 ws-it-01\nstep 2\nstate\nsave {}\n",
            file.display()
        ),
    );
    let loaded = play(
        FLAT,
        &["--god-view"],
        &format!("load {}\nstate\n", file.display()),
    );
    assert_eq!(last_state(&made), last_state(&loaded));
    // A saved session is an exercise script too.
    let out = ztsim()
        .args(["tabletop", FLAT, "--script", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("End of exercise"));
}

#[test]
fn the_shipped_exercises_run_to_completion() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, script) in [
        (FLAT, "scenarios/exercises/ransomware-night.yaml"),
        (
            "scenarios/hybrid-cloud.yaml",
            "scenarios/exercises/stolen-admin-token.yaml",
        ),
    ] {
        let md = dir.path().join("t.md");
        let out = ztsim()
            .args(["tabletop", scenario, "--script", script, "--transcript"])
            .arg(&md)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("End of exercise at T+"), "{stdout}");
        assert!(stdout.contains("  note: "), "facilitator notes are shown");
        let text = std::fs::read_to_string(&md).unwrap();
        assert!(text.contains("**Learning objectives**"), "{text}");
        assert!(text.contains("## Timeline"));
    }
}

#[test]
fn a_bad_script_is_reported_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "title: x\nsteps:\n  - {at: 1, do: \"step\"}\n  - {at: 2, do: \"isolat ws-it-01\"}\n",
            ":4:",
            "steps[1].do: unknown command `isolat`; did you mean `isolate`?",
        ),
        (
            "title: x\nsteps:\n  - at: 1\n    do: \"isolate ws-nope\"\n",
            ":4:",
            "steps[0].do: no asset `ws-nope` in this scenario",
        ),
        (
            "title: x\nsteps:\n  - {at: soon, do: \"step\"}\n",
            ":3:",
            "steps[0].at",
        ),
        (
            "title: x\nsteps:\n  - {at: 5, do: \"step\"}\n  - {at: 2, do: \"status\"}\n",
            ":4:",
            "steps[1].at: steps must be in time order",
        ),
        (
            "title: x\nstep:\n  - {at: 5, do: \"step\"}\n",
            ":2:",
            "unknown field `step`",
        ),
        (
            "title: x\nsteps:\n  - {at: 1, do: \"disable ws-it-01\"}\n",
            ":3:",
            "steps[0].do: `ws-it-01` is a workstation; this command needs an identity",
        ),
    ];
    for (i, (text, line, msg)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("bad{i}.yaml"));
        std::fs::write(&f, text).unwrap();
        let out = ztsim()
            .args(["tabletop", FLAT, "--script", f.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "case {i}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("bad{i}.yaml{line}")),
            "case {i}: {err}"
        );
        assert!(err.contains(msg), "case {i}: {err}");
    }
}

#[test]
fn mistakes_in_the_repl_are_explained_and_change_nothing() {
    let out = play(
        FLAT,
        &[],
        "isolate ws-nope\nphish ws-it-01\nenable C99\nrewind 5\nstep x\nundo\nstatus\n",
    );
    assert!(
        out.contains("error: no asset `ws-nope` in this scenario"),
        "{out}"
    );
    assert!(
        out.contains("error: `ws-it-01` is a workstation; this command needs a person's account"),
        "{out}"
    );
    assert!(out.contains("error: unknown control `C99`"), "{out}");
    assert!(out.contains("error: cannot rewind forward"), "{out}");
    assert!(out.contains("error: nothing to undo"), "{out}");
    assert!(out.contains("Commands logged: 0"), "{out}");
    let help = play(FLAT, &[], "help\n");
    for c in [
        "step",
        "run until",
        "isolate",
        "enable",
        "undo",
        "rewind",
        "branch",
        "export",
        "god",
    ] {
        assert!(help.contains(c), "help lacks {c}");
    }
}
