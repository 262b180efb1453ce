//! The engine's acceptance tests: small hand-checkable scenarios with exact answers, and
//! reproducibility across thread counts and runs. All drive the real binary.

mod common;
use common::{f, run_json, set, ztsim};

#[test]
fn certain_chain_is_fully_compromised_in_every_trial() {
    let s = run_json("tests/scenarios/chain.yaml", &["--trials", "300"]);
    let none = set(&s, "none");
    // 5 workstations + 5 users + the segment they share.
    assert_eq!(f(none, "blast_radius.min"), 11.0);
    assert_eq!(f(none, "blast_radius.max"), 11.0);
    assert_eq!(f(none, "by_kind.workstation"), 5.0);
    assert_eq!(f(none, "by_kind.user"), 5.0);
}

#[test]
fn impossible_chain_stops_at_the_entry() {
    let s = run_json("tests/scenarios/chain-zero.yaml", &["--trials", "300"]);
    let none = set(&s, "none");
    // Only the start workstation and its segment.
    assert_eq!(f(none, "blast_radius.max"), 2.0);
    assert_eq!(f(none, "by_kind.workstation"), 1.0);
    assert_eq!(f(none, "by_kind.user"), 0.0);
}

#[test]
fn segmentation_of_the_only_path_stops_the_attacker_at_the_border() {
    let s = run_json("tests/scenarios/segmented.yaml", &["--trials", "300"]);
    let none = set(&s, "none");
    let seg = set(&s, "seg");
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert_eq!(f(seg, "crown_jewel.probability"), 0.0);
    // ws-1, its user and the office segment; nothing in the vault.
    assert_eq!(f(seg, "blast_radius.max"), 3.0);
    assert_eq!(f(seg, "by_pillar.data"), 0.0);
    assert_eq!(f(seg, "by_kind.server"), 0.0);
}

#[test]
fn mfa_cuts_phishing_driven_blast_radius() {
    let s = run_json("tests/scenarios/phish.yaml", &["--trials", "4000"]);
    let none = set(&s, "none");
    let mfa = set(&s, "mfa");
    // Every user phished with certainty: 3 users, the app and 3 mailboxes.
    assert_eq!(f(none, "blast_radius.min"), 7.0);
    assert!(f(mfa, "blast_radius.ci95.1") < f(none, "blast_radius.ci95.0"));
    // P(CEO mailbox) = 1 - (1 - 0.1)^2 with MFA push (e = 0.9) on the two users who read it.
    let lo = s["control_sets"][1]["crown_jewel"]["ci95"][0]
        .as_f64()
        .unwrap();
    let hi = s["control_sets"][1]["crown_jewel"]["ci95"][1]
        .as_f64()
        .unwrap();
    assert!(lo < 0.19 && 0.19 < hi, "0.19 not in [{lo}, {hi}]");
}

#[test]
fn detection_and_isolation_shortens_time_to_containment() {
    let s = run_json("tests/scenarios/contain.yaml", &["--trials", "1000"]);
    let none = set(&s, "none");
    let edr = set(&s, "edr");
    assert!(f(edr, "contained.probability") > f(none, "contained.probability") + 0.5);
    let p50 = edr["time_to_contain_hours"]["p50"]
        .as_f64()
        .expect("EDR contains most trials");
    assert!(p50 < 24.0, "{p50}");
    match none["time_to_contain_hours"]["p50"].as_f64() {
        None => {}
        Some(n) => assert!(n > p50),
    }
    assert!(f(edr, "blast_radius.mean") < f(none, "blast_radius.mean"));
}

/// tests/scenarios/evict.yaml with its `scoping` replaced, written to a temporary file.
fn evict_with_scoping(scoping: &str) -> String {
    let text = std::fs::read_to_string("tests/scenarios/evict.yaml").expect("scenario");
    let text = text.replace("  scoping: 1", &format!("  scoping: {scoping}"));
    let path = std::env::temp_dir().join(format!(
        "ztsim-test-evict-{scoping}-{}.yaml",
        std::process::id()
    ));
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn an_investigation_evicts_what_per_alert_containment_leaves() {
    // Scoping 1: every trial evicted, at detection + response + investigation, on average
    // 0.5 + 2 + 5 = 7.5 h (sd 5.4 h over 2,000 trials: standard error 0.12 h).
    let dir = tmp_out("evict");
    let s = run_json("tests/scenarios/evict.yaml", &["--out", &dir]);
    let none = set(&s, "none");
    assert_eq!(f(none, "evicted.probability"), 1.0);
    assert_eq!(f(none, "contained.probability"), 1.0);
    assert!(f(none, "time_to_evict_hours.p50") > f(none, "time_to_detect_hours.p50"));
    let csv = std::fs::read_to_string(format!("{dir}/trials.csv")).expect("trials.csv");
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "evict_hours").unwrap();
    let times: Vec<f64> = rows
        .map(|r| r.split(',').nth(col).unwrap().parse().unwrap())
        .collect();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    assert!((mean - 7.5).abs() < 0.5, "mean time to eviction {mean}");
    let _ = std::fs::remove_dir_all(&dir);

    // Scoping 0: containment of the detected step's two ends only; ws-quiet is never
    // touched, so no trial is evicted although every one is detected.
    let s = run_json(&evict_with_scoping("0"), &[]);
    let none = set(&s, "none");
    assert_eq!(f(none, "detected.probability"), 1.0);
    assert_eq!(f(none, "evicted.probability"), 0.0);
    assert!(none["time_to_evict_hours"]["p50"].is_null());

    // Scoping 0.5: the one host is found half the time: half the trials evicted.
    let s = run_json(&evict_with_scoping("0.5"), &[]);
    let p = set(&s, "none")["evicted"]["ci95"].clone();
    let (lo, hi) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    assert!(lo < 0.5 && 0.5 < hi, "0.5 not in [{lo}, {hi}]");
}

#[test]
fn detection_without_response_changes_no_trial() {
    let s = run_json(
        "tests/scenarios/detect-only.yaml",
        &["--trials", "500", "--out", &tmp_out("detect")],
    );
    let none = set(&s, "none");
    let watch = set(&s, "watch-only");
    assert!(f(watch, "detected.probability") > 0.99);
    assert_eq!(none["blast_radius"], watch["blast_radius"]);
    assert_eq!(none["timeline"], watch["timeline"]);
    // Trial by trial, on common random numbers.
    let csv = std::fs::read_to_string(format!("{}/trials.csv", tmp_out("detect"))).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let (a, b): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r[0] == "none");
    assert_eq!(a.len(), 500);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x[1..4], y[1..4]);
    }
}

fn tmp_out(tag: &str) -> String {
    let d = std::env::temp_dir().join(format!("ztsim-test-{tag}-{}", std::process::id()));
    d.display().to_string()
}

fn without_timing(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("timing");
    v
}

#[test]
fn results_do_not_depend_on_thread_count() {
    for file in ["scenarios/flat-ad.yaml", "scenarios/hybrid-cloud.yaml"] {
        let one = run_json(file, &["--trials", "300", "--threads", "1"]);
        let two = run_json(file, &["--trials", "300", "--threads", "2"]);
        assert_eq!(without_timing(one), without_timing(two), "{file}");
    }
}

#[test]
fn same_seed_gives_identical_trials_csv() {
    let (a, b) = (tmp_out("seed-a"), tmp_out("seed-b"));
    for d in [&a, &b] {
        ztsim()
            .args([
                "run",
                "scenarios/cloud-native.yaml",
                "--trials",
                "200",
                "--seed",
                "5",
                "--out",
                d,
            ])
            .assert()
            .success();
    }
    let x = std::fs::read(format!("{a}/trials.csv")).unwrap();
    let y = std::fs::read(format!("{b}/trials.csv")).unwrap();
    assert!(x.len() > 1000);
    assert_eq!(x, y);
    let other = tmp_out("seed-c");
    ztsim()
        .args([
            "run",
            "scenarios/cloud-native.yaml",
            "--trials",
            "200",
            "--seed",
            "6",
            "--out",
            &other,
        ])
        .assert()
        .success();
    assert_ne!(std::fs::read(format!("{other}/trials.csv")).unwrap(), x);
}

#[test]
fn shipped_scenarios_run_and_report_every_required_field() {
    for file in [
        "scenarios/flat-ad.yaml",
        "scenarios/hybrid-cloud.yaml",
        "scenarios/cloud-native.yaml",
    ] {
        let out = ztsim()
            .args(["run", file, "--trials", "1000"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}");
        let table = String::from_utf8(out.stdout).unwrap();
        assert!(
            table.contains("blast radius") && table.contains("P(crown jewel)"),
            "{table}"
        );

        let s = run_json(file, &["--trials", "200"]);
        for k in ["scenario", "seed", "trials", "control_sets", "timing"] {
            assert!(!s[k].is_null(), "{file}: missing {k}");
        }
        assert!(s["timing"]["seconds"].is_number());
        for cs in s["control_sets"].as_array().unwrap() {
            assert!(cs["name"].is_string());
            for k in ["mean", "p50", "p90", "p99", "max"] {
                assert!(
                    cs["blast_radius"][k].is_number(),
                    "{file}: blast_radius.{k}"
                );
            }
            assert_eq!(cs["blast_radius"]["ci95"].as_array().unwrap().len(), 2);
            assert!(cs["by_kind"].is_object());
            assert!(cs["crown_jewel"]["probability"].is_number());
            assert_eq!(cs["crown_jewel"]["ci95"].as_array().unwrap().len(), 2);
            let t = &cs["time_to_crown_jewel_hours"];
            assert!(t.get("p50").is_some() && t.get("p90").is_some());
            assert!(cs["work"]["steps_attempted"].is_number());
        }
    }
}

#[test]
fn demo_runs_the_embedded_scenario() {
    let out = ztsim().args(["demo", "--trials", "200"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("blast radius"), "{text}");
}

#[test]
fn every_command_has_help_with_examples() {
    for cmd in ["run", "demo", "validate", "techniques", "controls"] {
        let out = ztsim().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("Example"),
            "{cmd}"
        );
    }
}

#[test]
fn unknown_control_set_is_a_clear_usage_error() {
    let out = ztsim()
        .args(["run", "tests/scenarios/chain.yaml", "--controls", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nope") && err.contains("none"), "{err}");
}

#[test]
fn techniques_lists_attack_ids_with_names() {
    let out = ztsim().arg("techniques").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let ids = text.lines().filter(|l| l.contains("│ T1")).count();
    assert!(ids >= 25, "{ids}");
    assert!(text.contains("Pass the Hash") && text.contains("MITRE"));
}

#[test]
fn internet_exposure_is_no_way_in_without_an_entry_vector() {
    let file = "tests/scenarios/no-entry-exposed.yaml";
    let s = run_json(file, &["--trials", "200"]);
    let none = set(&s, "none");
    // The isolated IoT device and its segment; the exposed portal and jump server untouched.
    assert_eq!(f(none, "blast_radius.max"), 2.0);
    assert_eq!(f(none, "by_kind.onprem_app"), 0.0);
    assert_eq!(f(none, "by_kind.server"), 0.0);
    // The same estate with exploitation from outside: both vulnerabilities always work.
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with-exploit.yaml");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("  entry: []"));
    std::fs::write(
        &with,
        text.replace("  entry: []", "  entry: [exploit_public]"),
    )
    .unwrap();
    let s = run_json(with.to_str().unwrap(), &["--trials", "200"]);
    let none = set(&s, "none");
    assert_eq!(f(none, "blast_radius.min"), 5.0);
    assert_eq!(f(none, "by_kind.onprem_app"), 1.0);
    assert_eq!(f(none, "by_kind.server"), 1.0);
}

/// Two trials give a Student-t interval (factor 12.7 for one degree of freedom, not 1.96)
/// and a note that intervals from fewer than 30 trials are rough.
#[test]
fn small_samples_get_student_t_intervals_and_a_note() {
    let args = ["--trials", "2", "--controls", "none"];
    let s = run_json("scenarios/flat-ad.yaml", &args);
    let br = &s["control_sets"][0]["blast_radius"];
    // Two values: sd = |max - min| / sqrt 2, so the half-width t * sd / sqrt 2 is
    // t * |max - min| / 2 (the summary rounds to three decimals).
    let g = |k: &str| br[k].as_f64().unwrap();
    let half = br["ci95"][1].as_f64().unwrap() - g("mean");
    assert!(
        (half - 12.706 * (g("max") - g("min")) / 2.0).abs() < 2e-3,
        "{br}"
    );
    // The table, not the JSON, carries the note (on stderr).
    let o = ztsim()
        .args(["run", "scenarios/flat-ad.yaml"])
        .args(args)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&o.stderr).contains("fewer than 30 trials"));
}
