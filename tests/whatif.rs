//! `ztsim whatif` end to end on tests/scenarios/whatif/chokepoint.yaml, where every step is
//! certain, so every answer is exact (the file's header derives them).

mod common;

use common::ztsim;
use serde_json::Value;

const CHOKE: &str = "tests/scenarios/whatif/chokepoint.yaml";

/// `ztsim whatif FILE ARGS... --json`, parsed; panics with stderr on failure.
fn whatif_json(file: &str, args: &[&str]) -> Value {
    common::command_json("whatif", file, args)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn removing_the_choke_point_drops_exposure_and_p_tier_zero_to_zero() {
    let r = whatif_json(
        CHOKE,
        &["--remove-edge", "admin_to:helpdesk:dc", "-c", "none"],
    );
    assert_eq!(r["tier_zero_source"], "built_in");
    assert_eq!(
        r["tier_zero"],
        serde_json::json!(["dc", "@domain:corp.local"])
    );
    let s = &r["sets"][0];
    assert_eq!(s["control_set"], "none");
    // Exposure: alice and bob of four principals, then nobody.
    assert_eq!(s["exposure"]["baseline"]["count"], 2);
    assert_eq!(s["exposure"]["baseline"]["of"], 4);
    assert_eq!(num(&s["exposure"]["baseline"]["share"]), 0.5);
    assert_eq!(num(&s["exposure"]["changed"]["share"]), 0.0);
    assert_eq!(num(&s["exposure"]["diff"]), -0.5);
    // Impact from the attacker (no Domain Users group): 8 of 10 assets, then ws-a, alice
    // and the segment only.
    assert_eq!(s["impact"]["baseline"]["count"], 8);
    assert_eq!(s["impact"]["changed"]["count"], 3);
    assert_eq!(s["impact"]["baseline"]["of"], 10);
    // P(Tier Zero): every trial, then none; the paired difference is -1 in every trial.
    assert_eq!(num(&s["p_tier_zero_baseline"]["probability"]), 1.0);
    assert_eq!(num(&s["p_tier_zero_changed"]["probability"]), 0.0);
    let d = &s["p_tier_zero_diff"];
    assert_eq!(num(&d["mean"]), -1.0);
    assert_eq!(d["ci95"], serde_json::json!([-1.0, -1.0]));
    assert_eq!(d["significant"], true);
    assert_eq!(s["time_changed"]["reached"], 0);
    assert_eq!(s["time_changed"]["censored"], 40);
    assert_eq!(s["time_baseline"]["censored"], 0);
}

#[test]
fn an_edge_no_path_to_tier_zero_uses_changes_nothing_in_any_trial() {
    let r = whatif_json(
        CHOKE,
        &["--remove-edge", "admin_to:carol:ws-d", "-c", "none"],
    );
    let s = &r["sets"][0];
    assert_eq!(num(&s["exposure"]["diff"]), 0.0);
    let d = &s["p_tier_zero_diff"];
    assert_eq!(num(&d["mean"]), 0.0);
    assert_eq!(d["ci95"], serde_json::json!([0.0, 0.0]));
    assert_eq!(d["significant"], false);
    // The times are random draws: equal medians, to the bit, mean the same draws.
    assert_eq!(
        s["time_baseline"]["median_hours_reached"],
        s["time_changed"]["median_hours_reached"]
    );
    assert_eq!(num(&s["time_median_diff"]["diff"]), 0.0);
    // ws-d is not Tier Zero, but the attacker did reach it with carol's hash.
    assert_eq!(s["impact"]["baseline"]["count"], 8);
    assert_eq!(s["impact"]["changed"]["count"], 7);
}

#[test]
fn a_disabled_account_is_no_longer_a_principal() {
    let r = whatif_json(CHOKE, &["--disable", "bob", "-c", "none", "-n", "5"]);
    let s = &r["sets"][0];
    assert_eq!(s["exposure"]["changed"]["count"], 1);
    assert_eq!(s["exposure"]["changed"]["of"], 3);
    assert_eq!(num(&s["p_tier_zero_diff"]["mean"]), 0.0);
    assert_eq!(r["changes"][0], "disable bob (and its relations)");
}

#[test]
fn impact_from_a_principal_and_marked_tier_zero() {
    let r = whatif_json(
        CHOKE,
        &[
            "--remove-edge",
            "admin_to:helpdesk:dc",
            "--from",
            "carol",
            "-n",
            "2",
        ],
    );
    assert_eq!(r["impact_from"], "carol");
    // carol: her workstation, her account, the segment, ws-d and dave's account (LSASS on ws-d).
    assert_eq!(r["sets"][0]["impact"]["baseline"]["count"], 5);
    // With ws-d marked Tier Zero, carol reaches it directly, alice and bob through the
    // domain (DCSync gives carol's hash), and dave sits at it (his session): 4 of 4. Without
    // carol's right only dave is left.
    let text = std::fs::read_to_string(CHOKE).expect("fixture").replace(
        "{id: ws-d, kind: workstation,",
        "{id: ws-d, tier_zero: true, kind: workstation,",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("marked.yaml");
    std::fs::write(&path, text).expect("write");
    let r = whatif_json(
        path.to_str().expect("utf-8"),
        &["--remove-edge", "admin_to:carol:ws-d", "-n", "2"],
    );
    assert_eq!(r["tier_zero_source"], "marked");
    assert_eq!(r["tier_zero"], serde_json::json!(["ws-d"]));
    let s = &r["sets"][0];
    assert_eq!(s["exposure"]["baseline"]["count"], 4);
    assert_eq!(s["exposure"]["changed"]["count"], 1);
}

#[test]
fn the_table_shows_both_arms_and_the_paired_interval() {
    let out = ztsim()
        .args(["whatif", CHOKE, "--remove-edge", "admin_to:helpdesk:dc"])
        // A wide terminal, so that each cell is on one line for the substring checks.
        .env("COLUMNS", "200")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "change: remove admin_to helpdesk -> dc",
        "Tier Zero (built-in list, 2): dc, @domain:corp.local",
        "50.0% (2/4)",
        "0.0% (0/4)",
        "-100.0 points [-100.0, -100.0]",
        "(0 reached, 40 censored)",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
}

#[test]
fn the_json_file_is_written_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("whatif.json");
    ztsim()
        .args([
            "whatif",
            CHOKE,
            "--remove-edge",
            "admin_to:helpdesk:dc",
            "-n",
            "3",
        ])
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("JSON");
    assert_eq!(v["trials"], 3);
}

/// Runs `ztsim whatif CHOKE ARGS...`, expects exit code 2 and returns stderr.
fn fails(args: &[&str]) -> String {
    let out = ztsim()
        .arg("whatif")
        .arg(CHOKE)
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "args {args:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout on failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_names_the_flag_and_exits_2() {
    let cases: [(&[&str], &str); 9] = [
        (
            &["--remove-edge", "adminto:helpdesk:dc"],
            "--remove-edge `adminto:helpdesk:dc`: unknown relation kind `adminto`; did you mean `admin_to`?",
        ),
        (
            &["--remove-edge", "admin_to:carol:dc"],
            "the scenario has no `admin_to` relation from `carol` to `dc`",
        ),
        (
            &["--remove-edge", "admin_to:helpdesk:dc1"],
            "no asset `dc1` in the scenario; did you mean `dc`?",
        ),
        (&["--remove-edge", "admin_to:dc"], "expected KIND:FROM:TO"),
        (
            &["--disable", "alcie"],
            "--disable `alcie`: no asset `alcie`",
        ),
        (&["--disable", "lan"], "`lan` is a segment"),
        (
            &["--disable", "alice"],
            "--disable `alice`: the change leaves the scenario invalid",
        ),
        (
            &["--disable", "dave", "--from", "carl"],
            "--from `carl`: no asset with this id; did you mean `carol`?",
        ),
        (&[], "nothing to compare"),
    ];
    for (args, want) in cases {
        let err = fails(args);
        assert!(err.contains(want), "args {args:?}: no `{want}` in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn tier_zero_must_be_a_bool() {
    let text = std::fs::read_to_string(CHOKE)
        .expect("fixture")
        .replace("{id: dc, kind:", "{id: dc, tier_zero: 3, kind:");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, text).expect("write");
    let out = ztsim().arg("validate").arg(&path).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tier_zero"));
}

#[test]
fn an_imported_collection_brings_its_tier_zero_and_domain_users() {
    let dir = tempfile::tempdir().expect("tempdir");
    let estate = dir.path().join("tiny.yaml");
    ztsim()
        .args([
            "import",
            "bloodhound",
            "tests/fixtures/sharphound/tiny",
            "-o",
        ])
        .arg(&estate)
        .assert()
        .success();
    let sid = |rid: &str| format!("S-1-5-21-1000-2000-3000-{rid}");
    let edge = format!("can_reset_password:{}:{}", sid("1101"), sid("1102"));
    let r = whatif_json(
        estate.to_str().expect("utf-8"),
        &["--remove-edge", &edge, "-c", "none", "-n", "3"],
    );
    assert_eq!(r["tier_zero_source"], "marked");
    let t0: Vec<&str> = r["tier_zero"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // The controller, Domain Admins and Domain Controllers (well-known SIDs), and the two
    // members of Domain Admins (bob, eve).
    for rid in ["1000", "512", "516", "1102", "1104"] {
        assert!(t0.contains(&sid(rid).as_str()), "{rid} not in {t0:?}");
    }
    assert_eq!(t0.len(), 5, "{t0:?}");
    assert_eq!(r["impact_from"], sid("513"));
}

#[test]
fn the_report_does_not_depend_on_the_thread_count() {
    let args = |t: &'static str| {
        [
            "--remove-edge",
            "has_session:ws-it-01:adm-it-manager",
            "-c",
            "none",
            "-c",
            "edr",
            "-n",
            "40",
            "-t",
            t,
        ]
    };
    let a = whatif_json("scenarios/flat-ad.yaml", &args("1"));
    let b = whatif_json("scenarios/flat-ad.yaml", &args("2"));
    assert_eq!(a, b);
    assert_eq!(a["sets"].as_array().map(Vec::len), Some(2));
}

/// The acceptance case on an imported estate: tests/fixtures/sharphound/chokepoint (its
/// README derives the answer) imported, then HELPDESK's ForceChangePassword on a Domain
/// Admin removed: exposure 2/4 -> 0/4 exactly, and P(Tier Zero) falls with a paired CI
/// that excludes 0 (phishing the Domain Admin directly remains).
#[test]
fn whatif_on_an_imported_estate_drops_exposure_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let estate = dir.path().join("shop.yaml");
    let o = ztsim()
        .args([
            "import",
            "bloodhound",
            "tests/fixtures/sharphound/chokepoint",
            "-o",
        ])
        .arg(&estate)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = |rid: &str| format!("S-1-5-21-70-80-90-{rid}");
    let edge = format!("can_reset_password:{}:{}", d("1300"), d("1500"));
    let r = whatif_json(
        estate.to_str().unwrap(),
        &["--remove-edge", &edge, "-c", "none", "-n", "200"],
    );
    let s = &r["sets"][0];
    assert_eq!(s["exposure"]["baseline"]["count"], 2);
    assert_eq!(s["exposure"]["baseline"]["of"], 4);
    assert_eq!(s["exposure"]["changed"]["count"], 0);
    assert_eq!(num(&s["exposure"]["diff"]), -0.5);
    let diff = &s["p_tier_zero_diff"];
    assert!(num(&diff["mean"]) < 0.0);
    assert!(num(&diff["ci95"][1]) < 0.0, "{diff}");
    assert_eq!(diff["significant"], true);
}
