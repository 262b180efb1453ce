//! `ztsim run FILE --patch P.yaml`: what-if edits to the estate before simulating.

mod common;
use common::{f, run_json, ztsim};

#[test]
fn a_patch_that_removes_the_only_path_gives_p_crown_jewel_zero() {
    let with = run_json(
        "tests/scenarios/chain.yaml",
        &["--patch", "tests/patches/crown-ws5.yaml", "--trials", "200"],
    );
    let cj = f(&with["control_sets"][0], "crown_jewel.probability");
    assert!(cj > 0.5, "the patched-in crown jewel is reachable: {cj}");
    let cut = run_json(
        "tests/scenarios/chain.yaml",
        &["--patch", "tests/patches/cut-chain.yaml", "--trials", "200"],
    );
    assert_eq!(f(&cut["control_sets"][0], "crown_jewel.probability"), 0.0);
    // The outputs' scenario hash covers the patch.
    assert_ne!(with["scenario_hash"], cut["scenario_hash"]);
}

#[test]
fn patch_problems_are_located_in_the_patch_and_the_scenario_is_untouched() {
    let before = std::fs::read("tests/scenarios/chain.yaml").unwrap();
    let run = |patch: &str| {
        ztsim()
            .args([
                "run",
                "tests/scenarios/chain.yaml",
                "--trials",
                "5",
                "--patch",
                patch,
            ])
            .output()
            .expect("runs")
    };
    let out = run("tests/patches/bad-refs.yaml");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tests/patches/bad-refs.yaml:1:17: error: remove_assets[0]: no asset `ws-9`")
            && err.contains("did you mean `ws-1`?"),
        "{err}"
    );
    assert!(
        err.contains(
            "tests/patches/bad-refs.yaml:3:6: error: add_assets[0].id: `ws-1` already exists"
        ),
        "{err}"
    );
    let out = run("tests/patches/invalid-estate.yaml");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tests/patches/invalid-estate.yaml:2:16: error: modify_assets[0].segment: unknown id `nowhere`"),
        "{err}"
    );
    let out = run("tests/patches/missing.yaml");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("cannot read tests/patches/missing.yaml"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    assert_eq!(std::fs::read("tests/scenarios/chain.yaml").unwrap(), before);
}
