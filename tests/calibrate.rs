//! `ztsim calibrate` in CI: every published figure of data/calibration.yaml must stay in
//! band at the file's own trial counts, a technique time changed enough must push a figure
//! out of band (and fail the command), and a broken calibration file must be reported with
//! its location. Drives the real binary.

mod common;
use common::ztsim;
use serde_json::Value;

fn calibrate(args: &[&str]) -> (i32, Value, String) {
    let out = ztsim()
        .arg("calibrate")
        .args(args)
        .arg("--json")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}); stderr: {stderr}"));
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn row<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["figure"]["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

/// The CI check: the defaults reproduce every published figure expected in band, and at the
/// file's trial counts each of them is decided (its value within band, not merely an
/// interval that still reaches it). A model change that moves a default out of band fails
/// here unless the figure's row changes with a reason.
#[test]
fn every_published_figure_is_in_band() {
    let (code, r, stderr) = calibrate(&[]);
    let rows = r["rows"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|x| x["figure"]["id"].as_str().unwrap())
        .collect();
    for need in [
        "breakout",
        "time-to-ad",
        "time-to-ransom",
        "time-to-exfil",
        "dwell",
        "evicted-share",
    ] {
        assert!(ids.contains(&need), "no figure {need}: {ids:?}");
    }
    for x in rows {
        let id = &x["figure"]["id"];
        let expect = x["figure"]["expect"].as_str().unwrap();
        let verdict = x["verdict"].as_str().unwrap();
        if expect == "in_band" {
            assert_eq!(
                verdict, "in_band",
                "{id}: ztsim {} [{}, {}] against band {}",
                x["ztsim"]["value"], x["ztsim"]["ci95"][0], x["ztsim"]["ci95"][1], x["band"]
            );
        } else {
            // A row out of band by design says why.
            assert!(
                x["figure"]["reason"].as_str().is_some_and(|s| s.len() > 20),
                "{id}"
            );
        }
        assert!(x["figure"]["published"]["source"].as_str().unwrap().len() > 5);
        assert!(x["figure"]["limits"].as_str().unwrap().len() > 5);
    }
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(r["failures"], 0);
}

/// Encryption made to take ten days a try (default 6 h), through a controls file's technique
/// override: the time-to-ransomware figures leave their bands, the command says so and exits 1.
#[test]
fn a_slower_technique_pushes_a_figure_out_of_band() {
    let (code, r, stderr) = calibrate(&[
        "--figure",
        "time-to-ransom",
        "--figure",
        "time-to-ransom-p10",
        "--trials",
        "300",
        "--controls-file",
        "tests/controls-files/slow-encryption.yaml",
    ]);
    assert_eq!(code, 1, "{stderr}");
    for id in ["time-to-ransom", "time-to-ransom-p10"] {
        let x = row(&r, id);
        assert_eq!(x["verdict"], "out_of_band", "{id}: {x}");
        assert_eq!(x["as_expected"], false);
        // Slower, not faster: the whole interval lies above the band.
        assert!(x["ztsim"]["ci95"][0].as_f64().unwrap() > x["band"][1].as_f64().unwrap());
    }
    assert_eq!(r["failures"], 2);
    assert!(
        stderr.contains("out of band: time-to-ransom, time-to-ransom-p10"),
        "{stderr}"
    );
    // The same figure with the defaults is in band: the override did it.
    let (code, r, _) = calibrate(&["--figure", "time-to-ransom", "--trials", "300"]);
    assert_eq!(code, 0);
    assert_eq!(row(&r, "time-to-ransom")["verdict"], "in_band");
}

/// The same through a calibration file whose run overrides the technique (`run.techniques`),
/// and the table (not JSON) names the verdict.
#[test]
fn a_calibration_run_override_shows_in_the_table() {
    let out = ztsim()
        .args([
            "calibrate",
            "--file",
            "tests/calibration/slow-encryption.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("OUT OF BAND"), "{text}");
    assert!(text.contains("1 out of band against expectation"), "{text}");
    let ok = ztsim()
        .args(["calibrate", "--file", "tests/calibration/good.yaml"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert!(
        String::from_utf8(ok.stdout)
            .unwrap()
            .contains("within band")
    );
}

#[test]
fn a_broken_calibration_file_is_located_and_exits_2() {
    for (file, needles) in [
        (
            "unknown-metric",
            vec![
                "unknown-metric.yaml:17:15",
                "figures[0].run.metric",
                "unknown variant `time_to_ransom`",
            ],
        ),
        (
            "missing-source",
            vec![
                "missing-source.yaml:11:7",
                "figures[0].published",
                "missing field `source`",
            ],
        ),
        (
            "negative-time",
            vec![
                "negative-time.yaml:23:7",
                "figures[0].band.low",
                "time -5 is out of range",
                "a time cannot be negative",
            ],
        ),
    ] {
        let out = ztsim()
            .args([
                "calibrate",
                "--file",
                &format!("tests/calibration/{file}.yaml"),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8(out.stderr).unwrap();
        for n in needles {
            assert!(err.contains(n), "{file}: `{n}` not in {err}");
        }
        assert!(out.stdout.is_empty());
    }
    // An unknown figure id is a usage error.
    let out = ztsim()
        .args(["calibrate", "--figure", "time-to-moon", "--trials", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("figures: breakout, time-to-ad"));
}

#[test]
fn plot_draws_published_against_simulated() {
    let dir = std::env::temp_dir().join(format!("ztsim-calplot-{}", std::process::id()));
    let out = ztsim()
        .args(["calibrate", "--trials", "200", "--plot"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(dir.join("calibration.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let svg = std::fs::read_to_string(dir.join("calibration.svg")).unwrap();
    for label in [
        "time to Active Directory",
        "dwell time to detection",
        "30 min",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--sensitivity` names the assumptions a figure depends on most: for the time to
/// ransomware, encryption's own time (T1486) is among them.
#[test]
fn sensitivity_names_the_assumptions_behind_a_figure() {
    let (code, r, _) = calibrate(&[
        "--figure",
        "time-to-ransom",
        "--trials",
        "100",
        "--sensitivity",
        "--top",
        "8",
    ]);
    assert_eq!(code, 0);
    let s = &r["sensitivity"][0];
    assert_eq!(s["id"], "time-to-ransom");
    let names: Vec<&str> = s["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"technique.T1486.mean_hours"), "{names:?}");
    // Sourced numbers are never varied.
    assert!(!names.iter().any(|n| n.starts_with("technique.T1068.")));
}
