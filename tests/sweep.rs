//! `ztsim sweep`, `merge` and `sensitivity` through the real binary: a 100-cell sweep with
//! CIs, kill -9 and resume, four shards merged, refusals, located spec errors, and the
//! sensitivity ranking with its tornado chart.

mod common;

use common::ztsim;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn write_spec(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("spec.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

fn sweep(spec: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    ztsim()
        .arg("sweep")
        .arg(spec)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

fn ok(o: std::process::Output) -> std::process::Output {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Every file under `dir` (relative path → bytes), manifest.json left out.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                if rel != "manifest.json" {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    out
}

/// manifest.json without its timings.
fn manifest_identity(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("timings");
    m
}

fn assert_same_sweep(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (k, v) in &fa {
        assert!(
            v == &fb[k],
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert_eq!(manifest_identity(a), manifest_identity(b));
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

const HUNDRED: &str = "name: hundred
seed: 7
trials: 20
scenarios:
  - SCENARIO
controls: [none, traditional, initial, advanced, optimal]
profiles: [opportunistic, ransomware, apt, insider]
parameters:
  coverage.C01: 0..1 step 0.25
";

#[test]
fn a_hundred_cell_sweep_writes_one_row_per_cell_with_cis() {
    let d = tempfile::tempdir().unwrap();
    let spec = write_spec(
        d.path(),
        &HUNDRED.replace("SCENARIO", &scenario("flat-ad.yaml")),
    );
    let out = d.path().join("out");
    let o = ok(sweep(&spec, &out, &[]));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("100 cells"), "{stderr}");
    // Not a terminal: plain progress lines, ending with a "done" line.
    assert!(String::from_utf8_lossy(&o.stderr).contains("sweep: done, 100.0%"));
    let (head, rows) = csv(&out.join("cells.csv"));
    assert_eq!(rows.len(), 100);
    let col = |n: &str| {
        head.iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let f = |r: &Vec<String>, n: &str| r[col(n)].parse::<f64>().unwrap();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[col("cell")], i.to_string());
        assert!(f(r, "blast_radius_ci_lo") <= f(r, "blast_radius_mean"));
        assert!(f(r, "blast_radius_mean") <= f(r, "blast_radius_ci_hi"));
        let p = f(r, "p_crown_jewel");
        assert!(f(r, "p_crown_jewel_ci_lo") <= p && p <= f(r, "p_crown_jewel_ci_hi"));
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(r[col("trials")], "20");
    }
    // Every combination once.
    let defs: std::collections::HashSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[col("profile")].clone(),
                r[col("controls")].clone(),
                r[col("coverage.C01")].clone(),
            )
        })
        .collect();
    assert_eq!(defs.len(), 100);
    // Common random numbers: where coverage.C01 has no effect (`none` has no C01), every
    // coverage value gives the very same trials.
    let stats_of = |r: &Vec<String>| r[col("assets")..].to_vec();
    let none: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[col("controls")] == "none" && r[col("profile")] == "apt")
        .collect();
    assert_eq!(none.len(), 5);
    assert!(none.iter().all(|r| stats_of(r) == stats_of(none[0])));
    let (thead, trials) = csv(&out.join("trials.csv"));
    assert_eq!(thead[0], "cell");
    assert_eq!(trials.len(), 2000);
    let m = manifest_identity(&out);
    assert_eq!(m["cells"], 100);
    assert_eq!(m["seeds"]["mode"], "common");
    assert_eq!(std::fs::read_dir(out.join("cells")).unwrap().count(), 100);
}

/// A spec for the resume and shard tests, and its uninterrupted run (computed once).
const MEDIUM: &str = "name: medium
seed: 11
trials: 40
scenarios:
  - SCENARIO
controls: [traditional, initial, advanced]
profiles: [ransomware, apt]
parameters:
  coverage.C01: [0.3, 0.9]
  technique.T1110.003.p: [0.1, 0.5]
  control.C14.detection: 0.2..0.8 step 0.3
";

struct Baseline {
    _dir: tempfile::TempDir,
    spec: PathBuf,
    out: PathBuf,
}

fn baseline() -> &'static Baseline {
    static B: OnceLock<Baseline> = OnceLock::new();
    B.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let spec = write_spec(
            d.path(),
            &MEDIUM.replace("SCENARIO", &scenario("flat-ad.yaml")),
        );
        let out = d.path().join("whole");
        ok(sweep(&spec, &out, &["--threads", "2"]));
        Baseline { _dir: d, spec, out }
    })
}

fn checkpoints(out: &Path) -> usize {
    std::fs::read_dir(out.join("cells"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_sweep_killed_with_sigkill_resumes_to_the_same_bytes() {
    let b = baseline();
    let cells = 72;
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("killed");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ztsim"))
        .arg("sweep")
        .arg(&b.spec)
        .arg("--out")
        .arg(&out)
        .args(["--threads", "1", "--quiet"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while checkpoints(&out) < 4 && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = checkpoints(&out);
    assert!(done >= 4, "no checkpoint appeared");
    assert!(
        done < cells && !out.join("manifest.json").exists(),
        "the sweep finished before it could be killed ({done} cells)"
    );
    // Without --resume the directory is refused.
    let o = sweep(&b.spec, &out, &["--quiet"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    let o = ok(sweep(&b.spec, &out, &["--resume", "--quiet"]));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(&format!("{} resumed", done)), "{stderr}");
    assert_same_sweep(&out, &b.out);
    // Resuming a finished sweep redoes nothing and changes nothing.
    let o = ok(sweep(&b.spec, &out, &["--resume", "--quiet"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 run"));
    assert_same_sweep(&out, &b.out);
}

#[test]
fn four_shards_merged_equal_one_unsharded_run() {
    let b = baseline();
    let d = tempfile::tempdir().unwrap();
    // The four shards run at once, as a job array would, one thread each.
    let dirs: Vec<PathBuf> = (0..4)
        .map(|i| d.path().join(format!("shard-{i}")))
        .collect();
    let children: Vec<_> = dirs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("ztsim"))
                .arg("sweep")
                .arg(&b.spec)
                .arg("--out")
                .arg(out)
                .args(["--shard-index", &i.to_string(), "--shard-count", "4"])
                .args(["--threads", "1", "--quiet"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = ok(c.wait_with_output().unwrap());
        assert!(String::from_utf8_lossy(&o.stderr).contains("18 cells of 72"));
    }
    let merged = d.path().join("merged");
    let o = ztsim()
        .arg("merge")
        .args(&dirs)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    ok(o);
    assert_same_sweep(&merged, &b.out);
    // The merged manifest keeps each shard's timings.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["timings"]["runs"].as_array().unwrap().len(), 4);
    // Three shards of four are not enough.
    let o = ztsim()
        .arg("merge")
        .args(&dirs[..3])
        .arg("--out")
        .arg(d.path().join("partial"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("18 of 72 cells are missing"));
}

#[test]
fn merge_refuses_shards_of_different_specs() {
    let d = tempfile::tempdir().unwrap();
    let small = |seed: u32| {
        format!(
            "seed: {seed}\ntrials: 5\nscenarios: [{}]\ncontrols: [none, initial]\n",
            scenario("flat-ad.yaml")
        )
    };
    let a = d.path().join("a");
    let b = d.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let spec_a = write_spec(&a, &small(1));
    let spec_b = write_spec(&b, &small(2));
    let (sa, sb) = (d.path().join("sa"), d.path().join("sb"));
    let shard = |i: &'static str| ["--shard-index", i, "--shard-count", "2", "--quiet"];
    ok(sweep(&spec_a, &sa, &shard("0")));
    ok(sweep(&spec_b, &sb, &shard("1")));
    let o = ztsim()
        .arg("merge")
        .arg(&sa)
        .arg(&sb)
        .arg("--out")
        .arg(d.path().join("m"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("different specs") && err.contains("spec hash"),
        "{err}"
    );
    assert!(!d.path().join("m").join("cells.csv").exists());
    // A sweep into a directory of another spec is refused too.
    let o = sweep(&spec_b, &sa, &["--resume", "--quiet"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("different spec"));
}

#[test]
fn a_bad_spec_is_reported_with_line_and_field() {
    let d = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "trials: 10\nscenarios: [SCENARIO]\nparameters:\n  coverage.C01: 0..1 step -0.1\n",
            &[
                "spec.yaml:4:3: error: parameters.coverage.C01:",
                "step must be positive",
            ],
        ),
        (
            "seed: 3\ntrails: 10\nscenarios: [SCENARIO]\n",
            &[
                "spec.yaml:2:",
                "unknown field `trails`",
                "did you mean `trials`?",
            ],
        ),
        (
            "trials: 10\nscenarios: [SCENARIO]\ncontrols: [initial]\nparameters:\n  coverage.C01: [0.5]\n  control.C01.efficacity: [0.9]\n",
            &[
                "spec.yaml:6:3: error: parameters.control.C01.efficacity:",
                "control C01 has no parameter `efficacity`",
                "efficacy",
            ],
        ),
        (
            "trials: 10\nscenarios: [SCENARIO]\nparameters:\n  technique.T1566.002.p: [0.5, 1.5]\n",
            &[
                "spec.yaml:4:3: error: parameters.technique.T1566.002.p:",
                "1.5 is out of range",
            ],
        ),
        (
            "trials: 10\nscenarios: [SCENARIO]\nprofiles: [ransomware, hacker]\n",
            &[
                "spec.yaml:3:24: error: profiles[1]:",
                "unknown attacker profile `hacker`",
            ],
        ),
        (
            "trials: 10\nscenarios:\n  - SCENARIO\n  - missing.yaml\n",
            &[
                "spec.yaml:4:5: error: scenarios[1].file:",
                "cannot read `missing.yaml`",
            ],
        ),
        (
            "trials: 10\nscenarios: [SCENARIO]\ncontrols: [none, nonsense]\n",
            &[
                "spec.yaml:3:18: error: controls[1]:",
                "unknown control set `nonsense`",
            ],
        ),
        (
            "trials: 10\nscenarios: [SCENARIO]\nestimate: {target: everything}\n",
            &["spec.yaml:3:", "estimate.target:", "a target is"],
        ),
        (
            "trials: 10\nscenarios: [SCENARIO]\nestimate: {target: crown-jewel, rel_error: 1.5}\n",
            &["estimate.rel_error:", "between 0 and 1"],
        ),
        (
            "trials: 10\nscenarios:\n  - generate: {size: small, knobs: {mfa_shar: 0.5}}\n",
            &[
                "error: scenarios[0].generate.knobs.mfa_shar:",
                "did you mean `mfa_share`?",
            ],
        ),
    ];
    for (text, wants) in cases {
        let spec = write_spec(
            d.path(),
            &text.replace("SCENARIO", &scenario("flat-ad.yaml")),
        );
        let o = sweep(&spec, &d.path().join("out"), &[]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&o.stderr);
        for w in *wants {
            assert!(err.contains(w), "expected `{w}` in:\n{err}");
        }
    }
    assert!(!d.path().join("out").exists());
}

#[test]
fn sensitivity_ranks_assumed_parameters_and_draws_a_tornado() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("sens");
    let o = ok(ztsim()
        .arg("sensitivity")
        .arg(scenario("flat-ad.yaml"))
        .args([
            "--controls",
            "initial",
            "--trials",
            "40",
            "--json",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--plot")
        .arg(&out)
        .output()
        .unwrap());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let params = r["parameters"].as_array().unwrap();
    assert!(params.len() >= 10, "{} parameters", params.len());
    let swings: Vec<f64> = params
        .iter()
        .map(|p| p["blast_radius_swing"].as_f64().unwrap())
        .collect();
    assert!(
        swings.windows(2).all(|w| w[0] >= w[1]),
        "ranked: {swings:?}"
    );
    assert!(swings[0] > 0.0);
    for (i, p) in params.iter().enumerate() {
        assert_eq!(p["rank"], i + 1);
        let (lo, base, hi) = (
            p["low"].as_f64().unwrap(),
            p["base"].as_f64().unwrap(),
            p["high"].as_f64().unwrap(),
        );
        assert!(lo <= base && base <= hi && lo < hi, "{p}");
        let name = p["name"].as_str().unwrap();
        if name.ends_with(".p") || name.ends_with(".noise") || name.contains("efficacy") {
            assert!(
                (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi),
                "{p}"
            );
        }
    }
    let kinds: std::collections::HashSet<&str> =
        params.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains("control") && kinds.contains("technique"));
    // Sourced technique defaults are not varied.
    assert!(params.iter().all(|p| p["name"] != "technique.T1566.002.p"));
    let (_, rows) = csv(&out.join("sensitivity.csv"));
    assert_eq!(rows.len(), params.len());
    // The tornado chart: a PNG that decodes, with both bar colours on it.
    let png = std::fs::read(out.join("tornado.png")).unwrap();
    let dec = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    assert!(info.width >= 800 && info.height >= 300);
    let pixels = px.chunks(3).count();
    let ink = px.chunks(3).filter(|c| c != &[255, 255, 255]).count();
    assert!(
        ink * 50 > pixels,
        "chart is nearly blank: {ink} of {pixels}"
    );
    let near = |c: &[u8], t: [u8; 3]| c.iter().zip(t).all(|(a, b)| a.abs_diff(b) < 8);
    assert!(
        px.chunks(3).any(|c| near(c, [0x4E, 0x79, 0xA7])),
        "no low bars"
    );
    assert!(
        px.chunks(3).any(|c| near(c, [0xF2, 0x8E, 0x2B])),
        "no high bars"
    );
    // Text was drawn (the font registered): dark pixels exist outside the bars.
    assert!(px.chunks(3).filter(|c| c.iter().all(|&v| v < 0x40)).count() > 500);
    let svg = std::fs::read_to_string(out.join("tornado.svg")).unwrap();
    assert!(svg.contains("Mean blast radius") && svg.contains("P(crown jewel)"));
}

#[test]
fn cells_can_carry_a_rare_event_estimate() {
    // The four-hop chain of tests/scenarios/estimate/ (P(ws-5) = 1e-4 exactly) at two values
    // of a parameter that does not touch it: each cell's estimate holds the truth, and the
    // columns are there only because the spec asks.
    let d = tempfile::tempdir().unwrap();
    let chain = format!(
        "{}/tests/scenarios/estimate/chain-4.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let spec = write_spec(
        d.path(),
        &format!(
            "trials: 10\nscenarios: [{chain}]\nparameters:\n  coverage.C01: [0, 1]\nestimate: {{target: \"asset:ws-5\", rel_error: 0.2, method: splitting}}\n"
        ),
    );
    let out = d.path().join("out");
    ok(sweep(&spec, &out, &[]));
    let (head, rows) = csv(&out.join("cells.csv"));
    let col = |name: &str| head.iter().position(|h| h == name).expect(name);
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r[col("estimate_target")], "asset:ws-5");
        assert_eq!(r[col("estimate_method")], "splitting");
        assert_eq!(r[col("estimate_stop")], "precision");
        let lo: f64 = r[col("estimate_ci_lo")].parse().unwrap();
        let hi: f64 = r[col("estimate_ci_hi")].parse().unwrap();
        assert!(lo <= 1e-4 && 1e-4 <= hi, "[{lo}, {hi}]");
        assert!(r[col("estimate_rel_error")].parse::<f64>().unwrap() <= 0.2);
    }
    // A step budget, not a clock: the same spec gives the same bytes.
    let again = d.path().join("again");
    ok(sweep(&spec, &again, &[]));
    assert_eq!(
        std::fs::read(out.join("cells.csv")).unwrap(),
        std::fs::read(again.join("cells.csv")).unwrap()
    );
}
