//! Attack paths, choke points and recommendations, through the real binary: exact answers on
//! hand-built scenarios (`tests/scenarios/paths/`), agreement with Monte Carlo where it is
//! checkable, and smoke tests on the shipped scenarios.

mod common;
use common::{f, run_json, set, ztsim};
use serde_json::Value;

const DIAMOND: &str = "tests/scenarios/paths/diamond.yaml";
const DIAMOND_WITHOUT_A: &str = "tests/scenarios/paths/diamond-without-saas-a.yaml";
const CHAIN: &str = "tests/scenarios/paths/chain.yaml";

fn json_of(args: &[&str]) -> Value {
    let out = ztsim().args(args).arg("--json").output().expect("runs");
    assert!(
        out.status.success(),
        "ztsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// The plan stores probabilities as f32: the exact value a step carries.
fn p32(x: f32) -> f64 {
    x as f64
}

fn steps(path: &Value) -> Vec<(String, String, String, String, f64)> {
    path["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["from"].as_str().unwrap().to_string(),
                s["to"].as_str().unwrap().to_string(),
                s["relation"].as_str().unwrap_or("-").to_string(),
                s["technique"].as_str().unwrap_or("-").to_string(),
                s["p"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn diamond_most_likely_path_is_exact() {
    let r = json_of(&["paths", DIAMOND, "-k", "5", "--trials", "0"]);
    let t = &r["targets"][0];
    assert_eq!(t["id"], "bkt");
    let paths = t["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 2, "exactly two routes: {paths:#?}");

    let a = &paths[0];
    assert_eq!(a["rank"], 1);
    assert_eq!(a["entry"], "u");
    let sa = steps(a);
    assert_eq!(
        sa.iter()
            .map(|s| (s.0.as_str(), s.1.as_str(), s.2.as_str(), s.3.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("u", "saas-a", "role_on", "T1078.004"),
            ("saas-a", "bkt", "reads", "T1530"),
        ]
    );
    assert!(close(sa[0].4, p32(0.9), 1e-12) && close(sa[1].4, p32(0.9), 1e-12));
    let pa = f(a, "probability");
    assert!(close(pa, p32(0.9) * p32(0.9), 1e-9), "{pa}");
    assert!(close(pa, 0.81, 1e-6));
    // One try per step in this scenario: nothing to add for retries.
    assert!(close(f(a, "probability_with_retries"), pa, 1e-12));

    let b = &paths[1];
    assert_eq!(b["rank"], 2);
    let sb = steps(b);
    assert_eq!(
        sb.iter()
            .map(|s| (s.0.as_str(), s.1.as_str(), s.2.as_str(), s.3.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("u", "saas-b", "role_on", "T1078"),
            ("saas-b", "bkt", "hosted_on", "T1005"),
        ]
    );
    let pb = f(b, "probability");
    assert!(close(pb, p32(0.5) * p32(1.0), 1e-9), "{pb}");
    assert!(pa > pb);
    // Technique names come from the ATT&CK catalog.
    assert_eq!(a["steps"][1]["technique_name"], "Data from Cloud Storage");
}

#[test]
fn diamond_by_expected_time_is_sorted() {
    let r = json_of(&["paths", DIAMOND, "--by", "time", "--trials", "0"]);
    assert_eq!(r["ranked_by"], "time");
    let hours: Vec<f64> = r["targets"][0]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| f(p, "expected_hours"))
        .collect();
    assert_eq!(hours.len(), 2);
    assert!(hours[0] <= hours[1], "{hours:?}");
}

#[test]
fn chain_path_probability_matches_its_monte_carlo_frequency() {
    let r = json_of(&["paths", CHAIN, "-k", "3", "--trials", "4000"]);
    let t = &r["targets"][0];
    assert_eq!(t["id"], "ws-3");
    let paths = t["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1, "a chain has one path: {paths:#?}");
    let p = &paths[0];
    let want = p32(0.8) * p32(0.7) * p32(0.8) * p32(0.7);
    assert!(close(f(p, "probability"), want, 1e-9));
    let hops: Vec<(String, String)> = steps(p).into_iter().map(|s| (s.1, s.3)).collect();
    assert_eq!(
        hops,
        [
            ("ws-1", "T1068"),
            ("u-1", "T1003.001"),
            ("ws-2", "T1550.002"),
            ("u-2", "T1003.001"),
            ("ws-3", "T1550.002"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // The only way in: every trial that reached ws-3 took exactly this path.
    let taken = &p["mc_taken"];
    let (lo, hi) = (f(taken, "ci95.0"), f(taken, "ci95.1"));
    assert!(lo <= want && want <= hi, "{want} not in [{lo}, {hi}]");
    assert_eq!(f(taken, "successes"), f(&t["mc_reached"], "successes"));
    assert_eq!(f(&t["mc_other_routes"], "successes"), 0.0);
    // Prefix shares fall step by step: 1, 0.8, 0.56, 0.448, 0.3136.
    let prefix: Vec<f64> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mc_prefix"].as_f64().unwrap())
        .collect();
    assert_eq!(prefix[0], 1.0);
    for (x, want) in prefix.iter().zip([1.0, 0.8, 0.56, 0.448, 0.3136]) {
        assert!(close(*x, want, 0.03), "{prefix:?}");
    }
}

#[test]
fn shipped_scenario_top_five_paths_are_consistent() {
    let r = json_of(&[
        "paths",
        "scenarios/hybrid-cloud.yaml",
        "-k",
        "5",
        "--trials",
        "300",
    ]);
    let tries = f(&r, "tries") as i32;
    let targets = r["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for t in targets {
        let paths = t["paths"].as_array().unwrap();
        assert!(!paths.is_empty() && paths.len() <= 5, "{}", t["id"]);
        let mut last = f64::INFINITY;
        for p in paths {
            let prob = f(p, "probability");
            assert!(prob <= last + 1e-12, "not sorted");
            last = prob;
            let st = p["steps"].as_array().unwrap();
            assert_eq!(st.last().unwrap()["to"], t["id"]);
            let prod: f64 = st.iter().map(|s| s["p"].as_f64().unwrap()).product();
            assert!(close(prob, prod, 1e-12));
            let retries: f64 = st
                .iter()
                .map(|s| 1.0 - (1.0 - s["p"].as_f64().unwrap()).powi(tries))
                .product();
            assert!(close(f(p, "probability_with_retries"), retries, 1e-12));
            // Each step leaves where the last one arrived (network steps need no source).
            for w in st.windows(2) {
                assert!(
                    w[1]["from"] == w[0]["to"] || w[1]["kind"] == "network",
                    "broken chain {w:?}"
                );
            }
            // Taking a path needs every step of it to succeed: the Monte Carlo share
            // cannot exceed that chance (with the attacker's tries), up to noise.
            let taken = &p["mc_taken"];
            assert!(f(taken, "ci95.0") <= f(p, "probability_with_retries") + 1e-9);
            assert!(f(taken, "probability") <= f(&p["mc_route"], "probability") + 1e-12);
        }
    }
    // The table renders too.
    let out = ztsim()
        .args([
            "paths",
            "scenarios/hybrid-cloud.yaml",
            "-k",
            "5",
            "--trials",
            "50",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Target db-customers") && text.contains("#5 from"),
        "{text}"
    );
}

#[test]
fn removing_the_top_choke_point_drops_p_as_a_plain_run_does() {
    let n = 3000;
    let r = json_of(&["chokepoints", DIAMOND, "--trials", &n.to_string()]);
    // The minimum node cut is the two apps; removing it leaves no way in.
    let mut cut: Vec<&str> = r["min_node_cut"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    cut.sort_unstable();
    assert_eq!(cut, ["saas-a", "saas-b"]);
    for c in r["cut_checks"].as_array().unwrap() {
        assert_eq!(f(c, "p_without"), 0.0, "{c}");
    }
    // The top choke point is route A (the app, or one of its two relations: the same cut).
    let top = &r["ranking"][0];
    let items = top["items"].as_array().unwrap();
    assert!(
        items.iter().any(|i| i.as_str().unwrap().contains("saas-a")),
        "{top}"
    );
    let delta = f(top, "delta.mean");
    // Analytically 0.5 - 0.905.
    assert!(close(delta, -0.405, 0.04), "{delta}");

    // The same removal as a scenario variant, by a plain `ztsim run`.
    let trials = n.to_string();
    let full = run_json(DIAMOND, &["--trials", &trials]);
    let without = run_json(DIAMOND_WITHOUT_A, &["--trials", &trials]);
    let pf = f(set(&full, "none"), "crown_jewel.probability");
    let pw = f(set(&without, "none"), "crown_jewel.probability");
    // Same seed, same estate, same plan: the baseline is the run's own number.
    assert!(close(f(&r["baseline"], "probability"), pf, 1e-12));
    // The variant compiles to another attack graph (other random numbers): compare within
    // the noise of two independent runs.
    let nf = n as f64;
    let se = (pf * (1.0 - pf) / nf + pw * (1.0 - pw) / nf).sqrt();
    assert!(
        close(pw - pf, delta, 3.0 * se),
        "run: {pw} - {pf} = {}, chokepoints: {delta} (se {se})",
        pw - pf
    );
    assert!(close(
        f(top, "p_without"),
        pw,
        3.0 * (pw * (1.0 - pw) / nf).sqrt() * 1.5
    ));
}

#[test]
fn recommend_prints_a_ranked_plan_and_draws_the_frontier() {
    let dir = std::env::temp_dir().join(format!("ztsim-recommend-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = ztsim()
        .args([
            "recommend",
            "scenarios/flat-ad.yaml",
            "--from",
            "traditional",
            "--budget",
            "5",
            "--trials",
            "40",
            "--metric",
            "crown-jewel",
            "--plot",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Recommended additions to `traditional`"),
        "{text}"
    );
    assert!(text.contains("│ 1 "), "no ranked step: {text}");

    let rec: Value =
        serde_json::from_slice(&std::fs::read(dir.join("recommendation.json")).unwrap()).unwrap();
    let steps = rec["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    let mut spent = 0.0;
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["step"].as_u64().unwrap() as usize, i + 1);
        spent += f(s, "cost");
        assert!(close(f(s, "cumulative_cost"), spent, 1e-9));
        assert!(f(s, "gain.mean") > 0.0);
    }
    assert!(spent <= 5.0 + 1e-9);

    let svg = std::fs::read_to_string(dir.join("frontier.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("traditional"));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(dir.join("frontier.png")).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(info.width >= 800 && info.height >= 500);
    let px = &buf[..info.buffer_size()];
    let non_white = px.chunks(3).filter(|c| c != &[255, 255, 255]).count();
    let total = (info.width * info.height) as usize;
    assert!(
        non_white * 100 > total,
        "chart is blank: {non_white} of {total}"
    );
    let mut colours: Vec<&[u8]> = px.chunks(3).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 10, "chart has {} colours", colours.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_assets_are_usage_errors() {
    for args in [
        ["paths", DIAMOND, "--to", "nope"],
        ["paths", DIAMOND, "--from", "nope"],
        ["chokepoints", DIAMOND, "--to", "nope"],
    ] {
        let out = ztsim().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("`nope`"));
    }
}

#[test]
fn paths_from_an_owned_asset() {
    // Owning saas-b (user-level access, as a start asset) leaves only its hosting step: but
    // T1005 needs admin, so there is no path from it; from u the diamond is unchanged.
    let r = json_of(&["paths", DIAMOND, "--from", "saas-b", "--trials", "0"]);
    let entries: Vec<&str> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    // `--from` replaces the entries: the internet, with no entry vector left, is none.
    assert_eq!(entries, ["saas-b"]);
    assert!(r["targets"][0]["paths"].as_array().unwrap().is_empty());
    let r = json_of(&["paths", DIAMOND, "--from", "u", "--trials", "200"]);
    let paths = r["targets"][0]["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 2);
    assert!(close(
        f(&paths[0], "probability"),
        p32(0.9) * p32(0.9),
        1e-9
    ));
}
