//! Cells: the cross product of a spec's axes, in a fixed order (scenario, then profile, then
//! control set, then each parameter axis in the order written, the last varying fastest).
//! A cell is named by its index in that order; its definition, seed and results are pure
//! functions of the spec.

use super::overrides::Target;
use super::spec::{SeedMode, Spec};

/// One cell of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Position in the spec's fixed cell order.
    pub index: usize,
    /// Index into [`Spec::scenarios`].
    pub scenario: usize,
    /// Index into [`Spec::profiles`].
    pub profile: usize,
    /// Index into the spec's control-set axis.
    pub controls: usize,
    /// One value per parameter axis.
    pub values: Vec<f64>,
}

/// What the runner needs to play one cell (a sweep cell or a sensitivity variant).
#[derive(Clone, Debug)]
pub struct Job {
    /// Position in the caller's list; the runner hands it back.
    pub index: usize,
    /// Index into the caller's list of scenario instances.
    pub scenario: usize,
    /// Attacker profile; `None` keeps the scenario's attacker.
    pub profile: Option<String>,
    /// Control-set name.
    pub controls: String,
    /// Parameter overrides applied to the cell, with their values.
    pub overrides: Vec<(Target, f64)>,
    /// Master seed of the cell's trials.
    pub seed: u64,
    /// Trials to play.
    pub trials: u32,
    /// A rare-event estimate to make besides the trials.
    pub estimate: Option<super::spec::EstimateSpec>,
}

impl Spec {
    /// Number of cells: the product of every axis' length (saturating).
    pub fn cell_count(&self) -> usize {
        self.scenarios
            .len()
            .saturating_mul(self.profiles.len())
            .saturating_mul(self.def.controls.len())
            .saturating_mul(
                self.axes
                    .iter()
                    .fold(1usize, |n, a| n.saturating_mul(a.values.len())),
            )
    }

    /// The cell at `index` (mixed-radix decoding of the index).
    pub fn cell(&self, index: usize) -> Cell {
        let mut rest = index;
        let mut values = vec![0.0; self.axes.len()];
        for (k, ax) in self.axes.iter().enumerate().rev() {
            let n = ax.values.len();
            values[k] = ax.values[rest % n];
            rest /= n;
        }
        let controls = rest % self.def.controls.len();
        rest /= self.def.controls.len();
        let profile = rest % self.profiles.len();
        rest /= self.profiles.len();
        Cell {
            index,
            scenario: rest,
            profile,
            controls,
            values,
        }
    }

    /// A canonical text of the cell's definition: what its results depend on besides the
    /// seed.
    pub fn cell_key(&self, c: &Cell) -> String {
        let sc = &self.scenarios[c.scenario];
        let mut s = format!(
            "scenario={}|scenario_seed={}|scenario_hash={:016x}|profile={}|controls={}|trials={}",
            sc.label,
            sc.scenario_seed.map(|x| x.to_string()).unwrap_or_default(),
            sc.source_hash,
            self.profiles[c.profile].as_deref().unwrap_or(""),
            self.def.controls[c.controls],
            self.def.trials
        );
        for (ax, v) in self.axes.iter().zip(&c.values) {
            s.push_str(&format!("|{}={v}", ax.name));
        }
        s
    }

    /// The master seed of a cell's trials: the spec's seed for every cell (common random
    /// numbers), or one derived from the spec seed and the cell's definition.
    pub fn cell_seed(&self, c: &Cell) -> u64 {
        match self.def.seeds {
            SeedMode::Common => self.def.seed,
            SeedMode::PerCell => {
                crate::rng::mix64(self.def.seed ^ crate::rng::fnv1a(self.cell_key(c).as_bytes()))
            }
        }
    }

    pub(crate) fn job(&self, c: &Cell) -> Job {
        Job {
            index: c.index,
            scenario: c.scenario,
            profile: self.profiles[c.profile].clone(),
            controls: self.def.controls[c.controls].clone(),
            overrides: self
                .axes
                .iter()
                .zip(&c.values)
                .map(|(a, v)| (a.target.clone(), *v))
                .collect(),
            seed: self.cell_seed(c),
            trials: self.def.trials,
            estimate: self.def.estimate.clone(),
        }
    }
}

/// Whether cell `index` belongs to shard `shard` of `count` (round robin, so every shard
/// gets a similar mix of scenarios and control sets).
pub fn in_shard(index: usize, shard: usize, count: usize) -> bool {
    count <= 1 || index % count == shard
}
