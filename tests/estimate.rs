//! `ztsim estimate`: rare-event probabilities on hand-checkable scenarios with exact answers
//! (tests/scenarios/estimate/), the coverage of each method's intervals over 200 independent
//! repetitions (in-process, through the library), the work saved against crude Monte Carlo,
//! agreement with crude on a shipped scenario, and bad input.

mod common;
use common::*;
use serde_json::Value;

const DIR: &str = "tests/scenarios/estimate";

fn estimate(file: &str, target: &str, args: &[&str]) -> Value {
    let mut all = vec!["-c", "none", "--target", target];
    all.extend_from_slice(args);
    command_json("estimate", file, &all)
}

fn ci(v: &Value) -> (f64, f64) {
    (f(v, "ci95.0"), f(v, "ci95.1"))
}

/// The run reached the precision asked for and its interval holds the exact answer.
fn assert_exact(v: &Value, truth: f64) {
    let (lo, hi) = ci(v);
    assert_eq!(v["stop"], "precision", "{v}");
    assert!(
        lo <= truth && truth <= hi,
        "{truth} not in [{lo}, {hi}]: {v}"
    );
    assert!(f(v, "rel_error") <= f(v, "rel_error_requested"), "{v}");
}

#[test]
fn series_chains_of_4_5_6_steps_give_1e_minus_k() {
    for k in [4, 5, 6] {
        let file = format!("{DIR}/chain-{k}.yaml");
        let target = format!("asset:ws-{}", k + 1);
        let v = estimate(&file, &target, &[]);
        assert_exact(&v, 10f64.powi(-k));
        // Crude Monte Carlo would be unaffordable: auto chose importance sampling.
        assert_eq!(v["method"], "is", "{v}");
    }
}

#[test]
fn series_chain_by_splitting() {
    let v = estimate(
        &format!("{DIR}/chain-5.yaml"),
        "asset:ws-6",
        &["--method", "splitting"],
    );
    assert_exact(&v, 1e-5);
    assert_eq!(v["method"], "splitting");
}

#[test]
fn three_disjoint_paths_by_both_methods() {
    let truth = 1.0 - (1.0 - 1e-5f64).powi(3);
    for m in ["is", "splitting"] {
        let v = estimate(
            &format!("{DIR}/three-paths.yaml"),
            "asset:tgt",
            &["--method", m],
        );
        assert_exact(&v, truth);
    }
}

#[test]
fn detection_racing_the_attacker_matches_the_hand_derivation() {
    // 0.1 x 0.1 x (0.5 + 0.5 x 1/2): see the scenario's header.
    for m in ["crude", "is", "splitting"] {
        let v = estimate(
            &format!("{DIR}/race.yaml"),
            "asset:ws-3",
            &["--method", m, "--rel-error", "0.1"],
        );
        assert_exact(&v, 0.0075);
    }
}

#[test]
fn at_1e_minus_5_the_rare_methods_need_50_times_less_work_than_crude() {
    for m in ["is", "splitting"] {
        let v = estimate(
            &format!("{DIR}/chain-5.yaml"),
            "asset:ws-6",
            &["--method", m],
        );
        assert_eq!(v["stop"], "precision");
        let ratio = f(&v, "crude.work_ratio");
        // Crude's need, from its own measured steps per trial, over all this run's steps
        // (pilot, tuning and replays included).
        let crude = f(&v, "crude.steps");
        let ours = f(&v, "work.steps");
        assert!((ratio - crude / ours).abs() < 1e-6 * ratio);
        assert!(ratio >= 50.0, "{m}: work ratio {ratio}");
    }
}

#[test]
fn agrees_with_crude_monte_carlo_on_a_shipped_scenario_with_a_stronger_defender() {
    let args = |m: &'static str, r: &'static str| {
        vec![
            "-c",
            "optimal",
            "--controls-file",
            "tests/controls-files/strong-defender.yaml",
            "--target",
            "crown-jewel",
            "--method",
            m,
            "--rel-error",
            r,
        ]
    };
    let crude = command_json("estimate", "scenarios/flat-ad.yaml", &args("crude", "0.25"));
    let is = command_json("estimate", "scenarios/flat-ad.yaml", &args("is", "0.15"));
    let (pc, pi) = (f(&crude, "probability"), f(&is, "probability"));
    assert!((3e-4..3e-3).contains(&pc), "P should be about 1e-3: {pc}");
    let half = |v: &Value| (f(v, "ci95.1") - f(v, "ci95.0")) / 2.0;
    assert!(
        (pc - pi).abs() <= half(&crude) + half(&is),
        "crude {crude} vs is {is}"
    );
}

#[test]
fn an_unreachable_target_is_an_exact_zero_at_once() {
    let v = estimate("tests/scenarios/chain-zero.yaml", "asset:ws-5", &[]);
    assert_eq!(v["stop"], "exact");
    assert_eq!(f(&v, "probability"), 0.0);
    assert_eq!(f(&v, "work.trials"), 0.0, "no trial played: {v}");
    let why = v["exact_reason"].as_str().unwrap();
    assert!(why.contains("no attack path reaches"), "{why}");
    let text = ztsim()
        .args(["estimate", "tests/scenarios/chain-zero.yaml", "-c", "none"])
        .args(["--target", "asset:ws-5"])
        .output()
        .unwrap();
    assert!(text.status.success());
    let out = String::from_utf8(text.stdout).unwrap();
    assert!(out.contains("0 (exact)"), "{out}");
}

#[test]
fn bad_relative_errors_and_targets_exit_2_with_a_clear_message() {
    let file = format!("{DIR}/chain-4.yaml");
    let run = |args: &[&str]| {
        let out = ztsim()
            .args(["estimate", &file, "-c", "none"])
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    for r in ["0", "1", "-0.1", "1.5", "nan"] {
        let (code, err) = run(&["--target", "asset:ws-5", "--rel-error", r]);
        assert_eq!(code, Some(2), "{r}: {err}");
        assert!(err.contains("--rel-error"), "{r}: {err}");
    }
    for (t, says) in [
        ("crown", "unknown target"),
        ("crown-jewels", "did you mean `crown-jewel`"),
        ("blast>=0", "at least 1"),
        ("asset:nope", "no asset or segment `nope`"),
        ("asset:ws-05", "did you mean `ws-5`"),
        ("crown-jewel", "marks no asset"),
    ] {
        let (code, err) = run(&["--target", t]);
        assert_eq!(code, Some(2), "{t}: {err}");
        assert!(err.contains(says), "{t}: {err}");
    }
    let (code, err) = run(&["--target", "asset:ws-5", "--max-seconds", "0"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let file = format!("{DIR}/chain-4.yaml");
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("seconds");
        v["crude"].as_object_mut().unwrap().remove("seconds");
        v
    };
    for m in ["crude", "is", "splitting"] {
        let args = ["--method", m, "--rel-error", "0.3", "--pilot-trials", "300"];
        let one = strip(estimate(
            &file,
            "asset:ws-5",
            &[&args[..], &["-t", "1"]].concat(),
        ));
        let two = strip(estimate(
            &file,
            "asset:ws-5",
            &[&args[..], &["-t", "2"]].concat(),
        ));
        assert_eq!(one, two, "{m}");
    }
}

#[test]
fn a_step_budget_stops_the_run_and_says_so() {
    let v = estimate(
        &format!("{DIR}/chain-6.yaml"),
        "asset:ws-7",
        &["--method", "crude", "--max-steps", "20000"],
    );
    assert_eq!(v["stop"], "budget");
    assert!(v["rel_error"].is_null() || f(&v, "rel_error") > 0.1, "{v}");
}

/// Coverage: the 95% interval of `reps` independent estimates (seeds 1..=reps) holds the
/// exact answer in at least 90% of them.
fn coverage(file: &str, target: &str, truth: f64, opt: ztsim::estimate::Options) {
    let prep =
        ztsim::pipeline::Prepared::from_file(std::path::Path::new(file), &Default::default())
            .unwrap();
    let target = ztsim::estimate::Target::parse(target).unwrap();
    let reps = 200;
    let mut covered = 0;
    for seed in 1..=reps {
        let mut o = opt.clone();
        o.seed = seed;
        let e = prep.estimate("none", &target, &o, None).unwrap();
        if e.ci95[0] <= truth && truth <= e.ci95[1] {
            covered += 1;
        }
    }
    assert!(
        covered as f64 >= 0.9 * reps as f64,
        "{:?}: {covered}/{reps} intervals hold {truth}",
        opt.method
    );
}

#[test]
fn crude_intervals_cover_the_truth() {
    let mut o = ztsim::estimate::Options::new(0.3, ztsim::estimate::Method::Crude);
    o.pilot_trials = 500;
    coverage(&format!("{DIR}/chain-2.yaml"), "asset:ws-3", 0.01, o);
}

#[test]
fn importance_sampling_intervals_cover_the_truth() {
    let mut o = ztsim::estimate::Options::new(0.2, ztsim::estimate::Method::Is);
    o.pilot_trials = 200;
    coverage(&format!("{DIR}/chain-4.yaml"), "asset:ws-5", 1e-4, o);
}

#[test]
fn splitting_intervals_cover_the_truth() {
    let mut o = ztsim::estimate::Options::new(0.3, ztsim::estimate::Method::Splitting);
    o.pilot_trials = 100;
    o.particles = 50;
    coverage(&format!("{DIR}/chain-4.yaml"), "asset:ws-5", 1e-4, o);
}

#[test]
fn the_report_page_shows_the_estimate_on_a_log_scale() {
    let d = tempfile::tempdir().unwrap();
    let page = d.path().join("estimate.html");
    ztsim()
        .args([
            "estimate",
            &format!("{DIR}/chain-5.yaml"),
            "-c",
            "none",
            "--target",
            "asset:ws-6",
            "--report",
        ])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // P = 1e-5: the axis runs from 1e-7 (a decade below the interval) to 1e0, without
    // a script or a request.
    for want in [
        ">1e-7<",
        ">1e-5<",
        ">1e0<",
        "importance sampling",
        "Crude Monte Carlo, same precision",
    ] {
        assert!(html.contains(want), "{want} missing");
    }
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
}
