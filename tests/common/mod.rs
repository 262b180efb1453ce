//! Helpers shared by the integration tests: run the real binary and read its JSON.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

pub fn ztsim() -> Command {
    Command::cargo_bin("ztsim").expect("binary built")
}

/// Runs `ztsim run FILE ARGS... --json` and returns the parsed summary.
pub fn run_json(file: &str, args: &[&str]) -> Value {
    command_json("run", file, args)
}

/// Runs `ztsim COMMAND FILE ARGS... --json` and returns the parsed output; panics with
/// stderr when it fails.
pub fn command_json(command: &str, file: &str, args: &[&str]) -> Value {
    let out = ztsim()
        .arg(command)
        .arg(file)
        .args(args)
        .arg("--json")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "ztsim {command} {file} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// The summary of one control set by name.
pub fn set<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["control_sets"]
        .as_array()
        .expect("control_sets")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no control set {name}"))
}

pub fn f(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for part in path.split('.') {
        cur = match part.parse::<usize>() {
            Ok(i) => &cur[i],
            Err(_) => &cur[part],
        };
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {cur}"))
}
