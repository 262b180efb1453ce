//! Attackers and defenders: each profile shows its character, the defender matters, and
//! the policy engine decides access steps. All drive the real binary.

mod common;
use common::{f, run_json, set, ztsim};

fn profile(file: &str, p: &str, trials: &str) -> serde_json::Value {
    run_json(
        file,
        &["--controls", "none", "--profile", p, "--trials", trials],
    )
}

/// A Kaplan–Meier median in hours, infinite when fewer than half the trials saw the event
/// by the horizon (`null` in the JSON).
fn p50_or_never(set: &serde_json::Value, metric: &str) -> f64 {
    set[metric]["p50"].as_f64().unwrap_or(f64::INFINITY)
}

#[test]
fn ransomware_is_faster_louder_and_wider_than_the_apt() {
    let file = "scenarios/flat-ad.yaml";
    let rw = profile(file, "ransomware", "600");
    let apt = profile(file, "apt", "600");
    let (rw, apt) = (set(&rw, "none"), set(&apt, "none"));
    // More devices ...
    assert!(f(rw, "by_pillar.devices") > 2.0 * f(apt, "by_pillar.devices"));
    // ... faster: more compromised a day in (timeline point 2 of 48 over 720 h is 30 h).
    let day = 2;
    assert!(f(rw, &format!("timeline.mean.{day}")) > f(apt, &format!("timeline.mean.{day}")));
    // ... detected sooner (since calibration, fewer than half the APT's trials are
    // detected within the horizon: its median is "not reached", later than any time).
    assert!(p50_or_never(rw, "time_to_detect_hours") < p50_or_never(apt, "time_to_detect_hours"));
    // Ransomware encrypts; the APT never does.
    assert!(f(rw, "devices_encrypted.mean") > 1.0);
    assert_eq!(f(apt, "devices_encrypted.max"), 0.0);
}

#[test]
fn the_apt_reaches_its_data_with_fewer_noisy_steps() {
    let file = "scenarios/hybrid-cloud.yaml";
    let rw = profile(file, "ransomware", "600");
    let apt = profile(file, "apt", "600");
    let (rw, apt) = (set(&rw, "none"), set(&apt, "none"));
    assert!(f(apt, "crown_jewel.probability") > 0.8);
    assert!(f(apt, "work.steps_per_trial") * 3.0 < f(rw, "work.steps_per_trial"));
    // Fewer detections per trial: the APT is seen later, if at all.
    assert!(p50_or_never(apt, "time_to_detect_hours") > p50_or_never(rw, "time_to_detect_hours"));
    // It stops at its objective instead of spreading.
    assert!(f(apt, "blast_radius.mean") < f(rw, "blast_radius.mean") / 2.0);
}

#[test]
fn the_insider_needs_no_initial_access() {
    let s = profile("scenarios/hybrid-cloud.yaml", "insider", "400");
    let ins = set(&s, "none");
    let techniques = ins["techniques"].as_object().unwrap();
    for initial in ["T1566.001", "T1566.002", "T1190", "T1110.003", "T1133"] {
        assert!(
            !techniques.contains_key(initial),
            "insider used {initial}: {techniques:?}"
        );
    }
    assert!(
        f(ins, "blast_radius.min") >= 2.0,
        "starts with an identity and a device"
    );
    assert!(f(ins, "crown_jewel.probability") > 0.5);
}

#[test]
fn revoking_tokens_stops_token_replay_but_not_the_device_foothold() {
    let s = run_json("tests/scenarios/tokens.yaml", &["--trials", "200"]);
    let none = set(&s, "none");
    let revoke = set(&s, "revoke");
    assert_eq!(f(none, "crown_jewel.probability"), 1.0);
    assert_eq!(f(revoke, "crown_jewel.probability"), 0.0);
    assert_eq!(
        f(revoke, "by_kind.laptop"),
        1.0,
        "the laptop foothold stays"
    );
    assert_eq!(f(revoke, "by_kind.saas"), 0.0);
}

#[test]
fn movement_inside_an_implicit_trust_zone_meets_no_policy_check() {
    // The chain moves by hash and password over SMB/WinRM/RDP on a flat LAN: requiring
    // phishing-resistant MFA of every identity changes nothing.
    let s = run_json(
        "tests/scenarios/chain.yaml",
        &["--controls", "none", "--controls", "C02", "--trials", "200"],
    );
    assert_eq!(
        set(&s, "none")["blast_radius"],
        set(&s, "C02")["blast_radius"]
    );
}

#[test]
fn summary_carries_detection_containment_and_technique_counts() {
    let s = run_json("tests/scenarios/contain.yaml", &["--trials", "300"]);
    for cs in s["control_sets"].as_array().unwrap() {
        for k in ["time_to_detect_hours", "time_to_contain_hours"] {
            assert!(
                cs[k].get("p50").is_some() && cs[k].get("p90").is_some(),
                "{k}"
            );
        }
        let t = cs["techniques"].as_object().unwrap();
        assert!(t.contains_key("T1003.001") && t.keys().all(|k| k.starts_with('T')));
    }
}

#[test]
fn navigator_layer_is_valid_json_with_techniques() {
    let dir = std::env::temp_dir().join(format!("ztsim-nav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("layer.json");
    ztsim()
        .args([
            "run",
            "scenarios/flat-ad.yaml",
            "--trials",
            "100",
            "--navigator",
        ])
        .arg(&file)
        .assert()
        .success();
    let layer: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let techniques = layer["techniques"].as_array().unwrap();
    assert!(techniques.len() >= 25);
    assert!(
        techniques
            .iter()
            .all(|t| t["techniqueID"].is_string() && t["score"].is_number())
    );
    assert!(
        techniques
            .iter()
            .any(|t| t["score"].as_f64().unwrap() > 0.0)
    );
    assert_eq!(layer["domain"], "enterprise-attack");
}

#[test]
fn profiles_lists_the_four_built_in_attackers() {
    let out = ztsim().arg("profiles").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for p in ["opportunistic", "ransomware", "apt", "insider"] {
        assert!(text.contains(p), "{p}");
    }
}
