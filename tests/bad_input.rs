//! Bad-input corpus: every file in `tests/bad/` is a small broken scenario (one error kind
//! each, said in its leading comment). `ztsim validate` must reject it with exit code 2 and a
//! `FILE:LINE:COLUMN: error: PATH: MESSAGE` diagnostic on the right line, for the right field,
//! without panicking; `ztsim run` must reject it too and write nothing. The two `warn-*` files
//! are valid scenarios whose objective can never be reached: exit 0 and a `warning:`.
//!
//! Cases marked `#[ignore]` state the behaviour we want; the binary does not (yet) do it.
//! Run them with `cargo test --test bad_input -- --ignored`.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// One expected diagnostic: the line it is reported on, its field path (the reported path
/// must be this path or a child of it) and a piece of its message.
type Expect = (usize, &'static str, &'static str);

struct Case {
    file: &'static str,
    /// Every diagnostic that must be reported, all in a single run.
    expect: &'static [Expect],
}

/// The table: file name, then the expected (line, field path, message substring) triples.
/// Generates `CASES` and one `#[test]` per file, so that a case can be ignored on its own.
macro_rules! corpus {
    ($(
        $(#[$meta:meta])*
        $test:ident: $file:literal => [$(($line:literal, $path:literal, $msg:literal)),+ $(,)?];
    )*) => {
        const CASES: &[Case] = &[$(Case { file: $file, expect: &[$(($line, $path, $msg)),+] }),*];
        $(
            $(#[$meta])*
            #[test]
            fn $test() {
                check_validate(&Case { file: $file, expect: &[$(($line, $path, $msg)),+] });
            }
        )*
    };
}

corpus! {
    // --- syntax ---
    // Syntax errors name the document, not a field: the parser stops before any field.
    yaml_syntax_indent: "yaml-syntax-indent.yaml" => [(14, "", "YAML syntax error")];
    yaml_syntax_indent_key: "yaml-syntax-indent-key.yaml" => [(13, "", "did not find expected '-'")];
    yaml_syntax_overindent: "yaml-syntax-overindent.yaml" => [(13, "", "mapping values are not allowed")];
    // The parser notices the unclosed `{` of line 9 only where the next block starts; the
    // hint points the reader upwards.
    yaml_syntax_unclosed: "yaml-syntax-unclosed.yaml" => [(11, "", "only valid inside a block")];
    json_syntax: "json-syntax.json" => [(8, "assets", "trailing comma")];
    duplicate_key: "duplicate-key.yaml" => [(13, "assets[1]", "duplicate key: kind")];
    not_utf8: "not-utf8.yaml" => [(9, "", "UTF-8")];

    // --- document shape ---
    empty_file: "empty.yaml" => [(1, "", "file is empty")];
    comment_only: "comment-only.yaml" => [(1, "", "no content")];
    list_not_mapping: "list-not-mapping.yaml" => [(3, "", "must be a mapping")];

    // --- structure: fields, kinds, types ---
    unknown_top_field: "unknown-top-field.yaml" => [(16, "simulations", "unknown field `simulations`")];
    unknown_asset_field: "unknown-asset-field.yaml" => [(14, "assets[1].segmnt", "unknown field `segmnt`")];
    json_unknown_field: "json-unknown-field.json" => [(10, "relations[0].typ", "unknown field `typ`")];
    unknown_asset_kind: "unknown-asset-kind.yaml" => [(8, "assets[0].kind", "unknown variant `workstaton`")];
    wrong_type: "wrong-type.yaml" => [(14, "assets[1].value", "invalid type: string \"lots\"")];
    missing_kind: "missing-kind.yaml" => [(10, "assets[1]", "missing field `kind`")];

    // --- semantics ---
    unknown_ref: "unknown-ref.yaml" => [(14, "relations[1].to", "unknown id `srv-2`")];
    duplicate_id: "duplicate-id.yaml" => [(14, "assets[2].id", "duplicate id `ws-1`")];
    duplicate_id_after_broken: "duplicate-id-after-broken.yaml" => [(6, "assets[0].kind", "unknown variant `bogus`"), (8, "assets[2].id", "first defined at assets[1].id")];
    prob_out_of_range: "prob-out-of-range.yaml" => [(13, "assets[1].exploitable", "outside [0, 1]")];
    negative_horizon: "negative-horizon.yaml" => [(17, "simulation.horizon_hours", "-5")];
    negative_mean_hours: "negative-mean-hours.yaml" => [(17, "techniques[1].mean_hours", "negative")];
    coverage_out_of_range: "coverage-out-of-range.yaml" => [(21, "control_sets[1].controls[1].coverage", "outside [0, 1]")];
    unknown_control: "unknown-control.yaml" => [(19, "control_sets[0].controls[1].id", "unknown control `C99`")];
    field_not_for_kind: "field-not-for-kind.yaml" => [(10, "assets[0].mfa", "does not apply to a workstation")];
    relation_wrong_kinds: "relation-wrong-kinds.yaml" => [
        (12, "relations[0].from", "`u-1` is a user and `ws-1` is a workstation"),
    ];
    unknown_technique: "unknown-technique.yaml" => [(16, "techniques[1].id", "unknown technique `T9999.001`")];
    nan_probability: "nan-probability.yaml" => [(13, "assets[1].exploitable", "not a finite number")];
    inf_horizon: "inf-horizon.yaml" => [(16, "simulation.horizon_hours", "inf")];
    inf_value: "inf-value.yaml" => [(13, "assets[1].value", "not a finite number")];
    tier_7: "tier-7.yaml" => [(12, "assets[1].tier", "tier 7")];
    unknown_profile: "unknown-profile.yaml" => [(12, "attacker.profile", "unknown attacker profile `nation_state`")];

    // --- several errors at once: every one must be reported in the same run ---
    multi_error: "multi-error.yaml" => [
        (12, "assets[0].mfa", "does not apply"),
        (18, "assets[2].exploitable", "outside [0, 1]"),
        (19, "assets[3].tier", "tier 7"),
        (23, "relations[1].to", "unknown id `srv-9`"),
        (24, "relations[2].from", "`adm-1`"),
    ];
    multi_error_mixed: "multi-error-mixed.yaml" => [
        (16, "assets[1].segmnt", "unknown field"),
        (19, "assets[3].kind", "unknown variant `databse`"),
        (23, "relations[1].to", "unknown id `srv-9`"),
        (28, "techniques[0].mean_hours", "negative"),
    ];
}

/// Valid files that must raise exactly this warning (line, field path, message substring).
const WARN_CASES: &[(&str, Expect)] = &[
    (
        "warn-unreachable.yaml",
        (
            24,
            "attacker.objectives[1]",
            "objective `db` cannot be reached",
        ),
    ),
    (
        "warn-unreachable-crown-jewel.yaml",
        (
            14,
            "assets[4].crown_jewel",
            "objective `db` cannot be reached",
        ),
    ),
];

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn ztsim() -> Command {
    let mut cmd = Command::cargo_bin("ztsim").expect("the ztsim binary is built");
    cmd.current_dir(ROOT).env_remove("RUST_BACKTRACE");
    cmd
}

/// One rendered diagnostic: `FILE:LINE:COLUMN: SEVERITY: PATH: MESSAGE`.
#[derive(Debug)]
struct Diag {
    line: usize,
    column: usize,
    severity: String,
    path: String,
    message: String,
}

/// Parses the diagnostics of `file` out of stderr (hint lines and the count line are skipped).
fn diagnostics(stderr: &str, file: &str) -> Vec<Diag> {
    let prefix = format!("{file}:");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let mut it = rest.splitn(5, ':');
            let line = it.next()?.trim().parse().ok()?;
            let column = it.next()?.trim().parse().ok()?;
            let severity = it.next()?.trim().to_string();
            let path = it.next()?.trim().to_string();
            let message = it.next()?.trim().to_string();
            let path = if path == "(document)" {
                String::new()
            } else {
                path
            };
            Some(Diag {
                line,
                column,
                severity,
                path,
                message,
            })
        })
        .collect()
}

/// `got` is the expected path or a field below it (`assets[1]` covers `assets[1].kind`).
fn path_matches(got: &str, want: &str) -> bool {
    want.is_empty()
        || got == want
        || got
            .strip_prefix(want)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The N of the final `FILE: N error(s)` line.
fn error_count(stderr: &str, file: &str) -> Option<usize> {
    let prefix = format!("{file}: ");
    stderr.lines().rev().find_map(|l| {
        l.strip_prefix(&prefix)?
            .strip_suffix(" error(s)")?
            .trim()
            .parse()
            .ok()
    })
}

/// Whether stdout says the file is valid (the word `valid` on its own, not `invalid`).
fn claims_valid(stdout: &str) -> bool {
    stdout
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("valid"))
}

fn no_panic() -> impl Predicate<str> {
    predicate::str::contains("panicked")
        .or(predicate::str::contains("RUST_BACKTRACE"))
        .not()
}

fn check_validate(case: &Case) {
    let file = format!("tests/bad/{}", case.file);
    let out = ztsim()
        .args(["validate", &file])
        .assert()
        .code(2)
        .stderr(no_panic());
    let output = out.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !claims_valid(&stdout),
        "{file}: stdout claims the file is valid:\n{stdout}"
    );

    let diags = diagnostics(&stderr, &file);
    assert!(!diags.is_empty(), "{file}: no diagnostics in:\n{stderr}");
    for d in &diags {
        assert!(
            d.line > 0 && d.column > 0,
            "{file}: diagnostic without a location (line {}, column {}): {d:?}\nstderr:\n{stderr}",
            d.line,
            d.column
        );
    }
    for &(line, path, msg) in case.expect {
        let at_line = format!("{file}:{line}:");
        assert!(
            predicate::str::contains(at_line.as_str()).eval(&stderr),
            "{file}: expected a diagnostic at line {line} (`{at_line}`), got:\n{stderr}"
        );
        assert!(
            predicate::str::contains(path).eval(&stderr),
            "{file}: expected field path `{path}` in:\n{stderr}"
        );
        let found = diags.iter().any(|d| {
            d.severity == "error"
                && d.line == line
                && path_matches(&d.path, path)
                && d.message.contains(msg)
        });
        assert!(
            found,
            "{file}: expected `{file}:{line}:_: error: {path}: ...{msg}...`, got:\n{stderr}"
        );
    }
    let count = error_count(&stderr, &file)
        .unwrap_or_else(|| panic!("{file}: no `{file}: N error(s)` line in:\n{stderr}"));
    assert!(
        count >= case.expect.len(),
        "{file}: {count} error(s) reported, expected at least {}:\n{stderr}",
        case.expect.len()
    );
}

/// The multi-error file reports at least 3 errors, and each of its paths, in one run.
/// (Also covered by `multi_error`; spelled out here because it is the point of the file.)
#[test]
fn multi_error_reports_every_error_at_once() {
    let file = "tests/bad/multi-error.yaml";
    let out = ztsim().args(["validate", file]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let count = error_count(&stderr, file).expect("an error count line");
    assert!(count >= 3, "only {count} error(s):\n{stderr}");
    for path in [
        "assets[0].mfa",
        "assets[2].exploitable",
        "assets[3].tier",
        "relations[1].to",
        "relations[2].from",
    ] {
        assert!(
            stderr.contains(&format!("error: {path}:")),
            "missing {path}:\n{stderr}"
        );
    }
}

/// `ztsim run` rejects every broken file the same way (exit 2, no panic, no results) and
/// creates no output directory.
#[test]
fn run_rejects_broken_files_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    for case in CASES {
        let file = format!("tests/bad/{}", case.file);
        let res = tmp.path().join("res");
        let out = ztsim()
            .args(["run", &file, "--trials", "5", "--threads", "1", "--out"])
            .arg(&res)
            .assert()
            .code(2)
            .stderr(no_panic())
            .stderr(predicate::str::contains(format!("{file}:")))
            .stderr(predicate::str::contains("error(s)"));
        let stdout = String::from_utf8_lossy(&out.get_output().stdout);
        assert!(
            !claims_valid(&stdout) && !stdout.contains("trials per set"),
            "{file}: `run` printed results:\n{stdout}"
        );
        assert!(
            !res.exists(),
            "{file}: `run --out` created {} for a broken file",
            res.display()
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{file}: `run` left files behind: {left:?}");
    }
}

#[test]
fn warnings_do_not_fail_validate() {
    for &(name, (line, path, msg)) in WARN_CASES {
        let file = format!("tests/bad/{name}");
        let out = ztsim()
            .args(["validate", &file])
            .assert()
            .success()
            .stderr(no_panic())
            .stderr(predicate::str::contains(": error:").not())
            .stdout(predicate::str::contains(format!("{file}: valid:")));
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        let diags = diagnostics(&stderr, &file);
        assert!(
            diags.iter().any(|d| d.severity == "warning"
                && d.line == line
                && d.column > 0
                && d.path == path
                && d.message.contains(msg)),
            "{file}: expected `{file}:{line}:_: warning: {path}: ...{msg}...`, got:\n{stderr}"
        );
    }
}

/// The warning files still run, and `--out` creates the directory for them: the check that
/// broken files leave no directory behind is not vacuous.
#[test]
fn warnings_do_not_fail_run() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    for &(name, (_, path, _)) in WARN_CASES {
        let file = format!("tests/bad/{name}");
        let res = tmp.path().join(name.replace('.', "-"));
        ztsim()
            .args(["run", &file, "--trials", "5", "--threads", "1", "--out"])
            .arg(&res)
            .assert()
            .success()
            .stderr(no_panic())
            .stderr(predicate::str::contains(format!("warning: {path}:")));
        assert!(
            res.join("summary.json").is_file(),
            "{file}: no summary.json"
        );
        assert!(res.join("trials.csv").is_file(), "{file}: no trials.csv");
    }
}

/// Every file in `tests/bad/` has a case, every case has a file, and every YAML file opens
/// with a comment saying what is wrong (except `empty.yaml`, which must stay empty; JSON files
/// say it in their `description`).
#[test]
fn corpus_and_table_agree() {
    let dir = Path::new(ROOT).join("tests/bad");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES
        .iter()
        .map(|c| c.file)
        .chain(WARN_CASES.iter().map(|w| w.0))
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed, "tests/bad/ and the case table differ");
    assert!(
        CASES.len() >= 18,
        "the corpus needs at least 18 broken files"
    );
    for name in &on_disk {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        if name == "empty.yaml" {
            assert!(bytes.is_empty(), "empty.yaml must be empty");
        } else if name.ends_with(".yaml") {
            assert!(bytes.starts_with(b"# "), "{name}: no leading comment");
        } else {
            assert!(
                String::from_utf8_lossy(&bytes).contains("\"description\""),
                "{name}: no description"
            );
        }
    }
}

/// A file that does not exist: a plain error, exit 1 (not 2: nothing was validated), no panic,
/// and the OS error said once.
#[test]
fn missing_file_is_reported_once() {
    let out = ztsim()
        .args(["validate", "tests/bad/does-not-exist.yaml"])
        .assert()
        .code(1)
        .stderr(no_panic())
        .stderr(predicate::str::contains("tests/bad/does-not-exist.yaml"));
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert_eq!(
        stderr.matches("os error 2").count(),
        1,
        "cause repeated:\n{stderr}"
    );
}
