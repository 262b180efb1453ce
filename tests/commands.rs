//! The commands around the simulator: shell completions, the manual page and the maturity
//! presets (`ztsim controls presets`).

mod common;

use common::ztsim;

fn stdout_of(args: &[&str]) -> String {
    let o = ztsim().args(args).output().expect("runs");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

#[test]
fn completions_cover_every_shell_and_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for sub in ["run", "whatif", "import", "tabletop", "completions"] {
            assert!(script.contains(sub), "{shell}: no `{sub}`");
        }
    }
    let o = ztsim()
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_manual_page_has_a_section_per_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH ztsim 1"),
        "{}",
        &page[..200]
    );
    for sub in ["run", "whatif", "import", "export", "controls", "man"] {
        assert!(
            page.contains(&format!(".TH ztsim-{sub} 1")),
            "no page for {sub}"
        );
    }
}

#[test]
fn presets_list_their_resolved_controls_by_pillar() {
    let text = stdout_of(&["controls", "presets"]);
    for p in ["traditional", "initial", "advanced", "optimal"] {
        assert!(text.contains(&format!("{p}: ")), "{p} missing:\n{text}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&stdout_of(&["controls", "presets", "--json"])).expect("JSON");
    let preset = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))["controls_by_pillar"]
            .clone()
    };
    // traditional: email protection and MFA for 30% of users.
    assert_eq!(
        preset("traditional")["identities"],
        serde_json::json!(["C01 (30%)"])
    );
    // initial extends traditional: MFA for everyone now, half the users on compliant devices.
    let ids = preset("initial")["identities"].to_string();
    assert!(
        ids.contains("\"C01\"") && ids.contains("C04 (50%)"),
        "{ids}"
    );
    // optimal ends with automated disruption.
    assert!(preset("optimal").to_string().contains("C35"));
}

#[test]
fn profiles_print_names_as_scenario_files_write_them() {
    let text = stdout_of(&["profiles"]);
    for name in [
        "greedy_value",
        "shortest_time",
        "exploit_public",
        "valid_accounts",
    ] {
        assert!(text.contains(name), "no `{name}`:\n{text}");
    }
    assert!(!text.contains("greedyvalue") && !text.contains("exploitpublic"));
}

/// Widest line of `text`, in characters (box drawing is one character, three bytes).
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn tables_fit_100_columns_without_a_terminal_and_keep_every_set() {
    // Twelve sets (traditional's ablation) would make a 900-character line unsplit.
    let ablation = |columns: Option<&str>| {
        let mut c = ztsim();
        c.args([
            "compare",
            "scenarios/flat-ad.yaml",
            "--ablate",
            "traditional",
        ])
        .args(["-c", "none", "-n", "20"]);
        match columns {
            Some(w) => c.env("COLUMNS", w),
            None => c.env_remove("COLUMNS"),
        };
        let out = c.output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let text = ablation(None);
    assert!(widest(&text) <= 100, "{} columns:\n{text}", widest(&text));
    for set in ["none", "traditional", "traditional - C01", "+C01"] {
        assert!(text.contains(set), "no `{set}`:\n{text}");
    }
    // A wider terminal (COLUMNS) gets wider panels.
    let wide = ablation(Some("220"));
    assert!(
        widest(&wide) > 100 && widest(&wide) <= 220,
        "{}",
        widest(&wide)
    );
}

#[test]
fn plain_tables_are_tab_separated_rows() {
    let text = stdout_of(&[
        "run",
        "scenarios/flat-ad.yaml",
        "-c",
        "none",
        "-c",
        "initial",
        "-n",
        "10",
        "--plain",
    ]);
    assert!(text.contains("metric\tnone\tinitial\n"), "{text}");
    assert!(!text.contains('│'), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("P(crown jewel)"))
        .expect("a P(crown jewel) row");
    assert_eq!(row.split('\t').count(), 3, "{row}");
}

#[test]
fn status_lines_and_progress_stay_off_stdout_and_out_of_pipes() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = ztsim()
        .args([
            "run",
            "scenarios/flat-ad.yaml",
            "-c",
            "none",
            "-n",
            "10",
            "-o",
        ])
        .arg(d.path())
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains("wrote") && !stdout.contains("attack steps/s"),
        "{stdout}"
    );
    assert!(
        stderr.contains("wrote") && stderr.contains("attack steps/s"),
        "{stderr}"
    );
    // stderr is a pipe here: no progress bar frames.
    assert!(!stderr.contains('░') && !stderr.contains('\r'), "{stderr}");
    assert!(d.path().join("summary.json").is_file());
}

#[test]
fn a_dash_reads_standard_input_and_writes_standard_output() {
    let scenario = std::fs::read("scenarios/flat-ad.yaml").expect("scenario");
    let out = ztsim()
        .args(["validate", "-"])
        .write_stdin(scenario.clone())
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<stdin>: valid"));
    let out = ztsim()
        .args(["export", "-", "--format", "dot", "-o", "-"])
        .write_stdin(scenario)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("digraph"));
    // A broken scenario on stdin is located as <stdin>:line:column.
    let out = ztsim()
        .args(["validate", "-"])
        .write_stdin("name: x\nassets: [{id: a, kind: bogus}]\n")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:2:"));
}

#[test]
fn the_input_limits_are_out_of_the_short_help() {
    let short = stdout_of(&["run", "-h"]);
    assert!(!short.contains("--max-assets"), "{short}");
    let long = stdout_of(&["run", "--help"]);
    assert!(long.contains("Input limits") && long.contains("--max-assets"));
}
