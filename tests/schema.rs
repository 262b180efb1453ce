//! `ztsim schema`: the JSON Schema editors use. It is the committed docs/scenario.schema.json,
//! every shipped and test scenario passes it, and structurally broken scenarios fail it.

mod common;

use common::ztsim;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> serde_json::Value {
    let out = ztsim().arg("schema").output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("a valid JSON Schema")
}

/// A scenario file as JSON (YAML files through serde-saphyr, as ztsim reads them).
fn instance(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("readable");
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).expect("JSON")
    } else {
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("directory") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            // Tabletop exercises are scripts, not scenarios.
            if p.file_name().is_some_and(|n| n != "exercises") {
                scenario_files(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "json") {
            out.push(p);
        }
    }
}

#[test]
fn the_committed_schema_is_what_ztsim_prints() {
    let committed = root().join("docs/scenario.schema.json");
    let out = ztsim().arg("schema").output().expect("runs");
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    if std::env::var_os("ZTSIM_BLESS").is_some() {
        std::fs::write(&committed, &printed).expect("written");
    }
    let on_disk = std::fs::read_to_string(&committed).expect("docs/scenario.schema.json");
    assert_eq!(
        printed, on_disk,
        "docs/scenario.schema.json is stale: `ztsim schema -o docs/scenario.schema.json` (or ZTSIM_BLESS=1)"
    );
}

#[test]
fn every_shipped_and_test_scenario_passes_the_schema() {
    let v = validator();
    let mut files = Vec::new();
    scenario_files(&root().join("scenarios"), &mut files);
    scenario_files(&root().join("tests/scenarios"), &mut files);
    assert!(files.len() >= 40, "found only {} scenarios", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let errors: Vec<String> = v
            .iter_errors(&instance(f))
            .take(3)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{}: {}", f.display(), errors.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn structurally_broken_scenarios_fail_the_schema() {
    let v = validator();
    for (file, why) in [
        ("tests/bad/missing-kind.yaml", "an asset without its kind"),
        (
            "tests/bad/unknown-asset-kind.yaml",
            "a kind that does not exist",
        ),
        (
            "tests/bad/wrong-type.yaml",
            "a string where a number belongs",
        ),
        (
            "tests/bad/unknown-top-field.yaml",
            "a top-level field that does not exist",
        ),
    ] {
        assert!(
            !v.is_valid(&instance(&root().join(file))),
            "{file} ({why}) passed the schema"
        );
    }
}

#[test]
fn schema_writes_a_file_with_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("s.json");
    ztsim().args(["schema", "-o"]).arg(&f).assert().success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&f).expect("written")).expect("JSON");
    assert_eq!(v["title"], "ztsim scenario");
}
