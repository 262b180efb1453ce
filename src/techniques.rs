//! The ATT&CK technique catalog ztsim's attack steps use, as embedded data
//! (`data/techniques.yaml`). ATT&CK ids, names, tactics and mitigations: MITRE ATT&CK
//! v18.1, (c) The MITRE Corporation. Success probability, time and noise are ztsim's
//! defaults, overridable per scenario.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One ATT&CK technique with ztsim's default numbers for a step that uses it.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Technique {
    /// ATT&CK id (`T1566.002`).
    pub id: String,
    /// ATT&CK name.
    pub name: String,
    /// ATT&CK tactic (`initial-access`, `lateral-movement`...).
    pub tactic: String,
    /// ATT&CK mitigation ids that address it.
    pub mitigations: Vec<String>,
    /// Base success probability of one attempt.
    pub p: f64,
    /// Mean hours one attempt takes.
    pub mean_hours: f64,
    /// Shape of the time one attempt takes (default exponential).
    #[serde(default)]
    pub dist: TimeDist,
    /// Log-normal shape parameter (standard deviation of the log), when `dist: lognormal`.
    #[serde(default)]
    pub sigma: Option<f64>,
    /// Probability an attempt is detected with no control in place.
    pub noise: f64,
    /// The move it makes, in words.
    #[serde(rename = "move")]
    pub movement: String,
    /// Published source of the numbers; `None` means they are ztsim assumptions.
    #[serde(default)]
    pub source: Option<String>,
    /// An assumption adjusted to published figures (`ztsim calibrate`): which, and the
    /// values before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrated_to: Option<Calibrated>,
}

/// The record of a calibrated assumption.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Calibrated {
    /// Ids of the figures of `data/calibration.yaml` it was fitted to.
    pub figures: Vec<String>,
    /// The values before calibration.
    pub was: Before,
}

/// A technique's numbers before calibration (only those that changed).
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Before {
    /// Success probability before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Mean hours before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_hours: Option<f64>,
    /// Noise before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
}

impl Calibrated {
    /// "dwell (noise was 0.3)".
    pub fn describe(&self) -> String {
        let mut was = Vec::new();
        for (k, v) in [
            ("p", self.was.p),
            ("mean_hours", self.was.mean_hours),
            ("noise", self.was.noise),
        ] {
            if let Some(v) = v {
                was.push(format!("{k} was {v}"));
            }
        }
        format!("{} ({})", self.figures.join(", "), was.join(", "))
    }
}

/// Distribution of the time one attempt takes, with the technique's mean.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TimeDist {
    /// Memoryless: MAL's time-to-compromise style, Exp(1/mean).
    #[default]
    Exponential,
    /// Heavy right tail (human delays: a phish opened days later); mean kept, shape `sigma`.
    Lognormal,
}

/// Index of a technique in the catalog; stable for a given ztsim version.
pub type TechId = u16;

/// The technique catalog, indexed by ATT&CK id.
pub struct TechniqueCatalog {
    /// Every technique; a [`TechId`] indexes this list.
    pub list: Vec<Technique>,
    index: HashMap<String, TechId>,
}

const EMBEDDED: &str = include_str!("../data/techniques.yaml");

impl TechniqueCatalog {
    /// The embedded catalog (`data/techniques.yaml`), parsed once.
    pub fn builtin() -> &'static TechniqueCatalog {
        static CATALOG: OnceLock<TechniqueCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The embedded file is checked by a unit test; failing here is a build defect.
            TechniqueCatalog::parse(EMBEDDED).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    pub(crate) fn parse(text: &str) -> Result<TechniqueCatalog> {
        let list: Vec<Technique> =
            serde_saphyr::from_str(text).map_err(|e| Error::Catalog(format!("techniques: {e}")))?;
        let index = list
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i as TechId))
            .collect();
        Ok(TechniqueCatalog { list, index })
    }

    pub(crate) fn id(&self, attack_id: &str) -> Option<TechId> {
        self.index.get(attack_id).copied()
    }

    /// The catalog index of a technique ztsim's own rules name; those are in the catalog by
    /// construction (unit-tested).
    pub fn must(&self, attack_id: &str) -> TechId {
        self.id(attack_id)
            .unwrap_or_else(|| panic!("technique {attack_id} missing from data/techniques.yaml"))
    }

    pub(crate) fn get(&self, id: TechId) -> &Technique {
        &self.list[id as usize]
    }

    /// Whether `pattern` (a technique id, or a parent id like `T1021`) names technique `id`.
    pub fn matches(&self, pattern: &str, id: TechId) -> bool {
        let t = &self.list[id as usize].id;
        t == pattern || (t.starts_with(pattern) && t.as_bytes().get(pattern.len()) == Some(&b'.'))
    }

    /// Whether a pattern names at least one catalog technique.
    pub fn known_pattern(&self, pattern: &str) -> bool {
        (0..self.list.len()).any(|i| self.matches(pattern, i as TechId))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_is_valid() {
        let c = TechniqueCatalog::builtin();
        assert!(c.list.len() >= 25);
        for t in &c.list {
            assert!((0.0..=1.0).contains(&t.p), "{}", t.id);
            assert!((0.0..=1.0).contains(&t.noise), "{}", t.id);
            assert!(t.mean_hours >= 0.0, "{}", t.id);
            assert!(t.id.starts_with('T'));
        }
        assert!(c.matches("T1021", c.must("T1021.002")));
        // Calibration adjusts assumptions only, to figures that exist.
        let cal = crate::calibrate::file::builtin().expect("calibration file");
        for t in &c.list {
            if let Some(k) = &t.calibrated_to {
                assert!(t.source.is_none(), "{} is sourced but calibrated", t.id);
                assert!(!k.figures.is_empty(), "{}", t.id);
                for f in &k.figures {
                    assert!(
                        cal.file.figures.iter().any(|g| &g.id == f),
                        "{}: no figure `{f}` in data/calibration.yaml",
                        t.id
                    );
                }
            }
        }
        assert!(!c.matches("T1021.00", c.must("T1021.002")));
        assert!(c.known_pattern("T1550"));
    }
}
