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
