//! The JSON Schema of the scenario format (`ztsim schema`), derived from the same serde
//! types that load scenarios, so the two cannot disagree. Editors use it for completion
//! and checking (VS Code's YAML extension: a `# yaml-language-server: $schema=...` line);
//! it checks structure only: references, ranges across fields and kinds are `validate`'s.

use crate::scenario::Scenario;

/// Where the committed copy of the schema lives in the repository.
pub const COMMITTED_PATH: &str = "docs/scenario.schema.json";

/// The scenario format's JSON Schema (draft 2020-12), as pretty JSON ending in a newline.
pub fn scenario_schema() -> String {
    let mut schema = schemars::schema_for!(Scenario);
    schema.insert(
        "title".into(),
        serde_json::Value::String("ztsim scenario".into()),
    );
    schema.insert(
        "description".into(),
        serde_json::Value::String(
            "An organisation's digital estate, its attacker and its control sets, as ztsim reads it (docs/scenario-format.md). Structure only: `ztsim validate` checks references and ranges."
                .into(),
        ),
    );
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_names_the_top_level_fields() {
        let v: serde_json::Value = serde_json::from_str(&scenario_schema()).unwrap();
        let props = v["properties"].as_object().expect("properties");
        for f in [
            "name",
            "assets",
            "relations",
            "segments",
            "attacker",
            "control_sets",
        ] {
            assert!(props.contains_key(f), "{f}");
        }
        assert_eq!(v["required"], serde_json::json!(["name", "assets"]));
    }
}
