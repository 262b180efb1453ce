//! The whole flow in library calls, for the CLI and for tests: scenario file → estate →
//! control plans → Monte Carlo → summary → files. Each step is its own module; this one
//! only strings them together.

use crate::controls::{Catalog, resolve_set};
use crate::error::{Diagnostic, Error, Result};
use crate::estate::{self, Estate};
use crate::limits::Limits;
use crate::montecarlo::{RunOptions, SetRun};
use crate::plan::{self, ControlPlan};
use crate::scenario::{
    LoadedScenario, apply_controls_files, load_scenario_str, locate_all, read_scenario_text,
};
use crate::summary::{Summary, summarize};
use std::path::Path;
use std::sync::Arc;

/// The embedded default scenario for `ztsim demo`.
pub const DEMO_SCENARIO: &str = include_str!("../scenarios/hybrid-cloud.yaml");

/// A scenario loaded, validated and compiled: everything needed to plan and run control
/// sets against it.
pub struct Prepared {
    /// The scenario as loaded, with its origin, hash and warnings.
    pub loaded: LoadedScenario,
    /// The estate's World, built from the scenario; the estate is compiled from it.
    pub world: crate::world::EstateWorld,
    /// The compiled estate (attack graph), shared with the engines.
    pub estate: Arc<Estate>,
    /// The control catalog with the scenario's definitions applied.
    pub catalog: Catalog,
}

impl Prepared {
    /// Loads, validates and compiles a scenario file (YAML or JSON).
    pub fn from_file(path: &Path, limits: &Limits) -> Result<Prepared> {
        Prepared::from_files::<&Path>(path, &[], limits)
    }

    /// A scenario file with controls files applied on top, in order (see
    /// [`crate::scenario::apply_controls_file`]).
    pub fn from_files<P: AsRef<Path>>(
        path: &Path,
        controls_files: &[P],
        limits: &Limits,
    ) -> Result<Prepared> {
        Prepared::from_files_patched(path, controls_files, None, limits)
    }

    /// As [`Prepared::from_files`], with a what-if patch applied to the estate first (see
    /// [`crate::scenario::apply_patch_str`]); the scenario file itself is never written.
    pub fn from_files_patched<P: AsRef<Path>>(
        path: &Path,
        controls_files: &[P],
        patch: Option<&Path>,
        limits: &Limits,
    ) -> Result<Prepared> {
        let text = read_scenario_text(path, limits)?;
        let mut loaded = load_scenario_str(&text, &crate::scenario::origin_of(path), limits)?;
        if let Some(pf) = patch {
            let ptext = read_scenario_text(pf, limits)?;
            loaded.scenario = crate::scenario::apply_patch_str(
                &loaded.scenario,
                &ptext,
                &pf.display().to_string(),
                limits,
            )?;
            // The outputs' scenario hash covers the patch too.
            let mut bytes = loaded.source_hash.to_le_bytes().to_vec();
            bytes.extend_from_slice(ptext.as_bytes());
            loaded.source_hash = crate::rng::fnv1a(&bytes);
        }
        apply_controls_files(&mut loaded, controls_files, limits)?;
        let mut p = Prepared::from_loaded(loaded)?;
        p.loaded.warnings = locate_all(&text, std::mem::take(&mut p.loaded.warnings));
        Ok(p)
    }

    /// Loads, validates and compiles scenario text; `origin` names it in diagnostics.
    pub fn from_str(text: &str, origin: &str, limits: &Limits) -> Result<Prepared> {
        let mut p = Prepared::from_loaded(load_scenario_str(text, origin, limits)?)?;
        p.loaded.warnings = locate_all(text, std::mem::take(&mut p.loaded.warnings));
        Ok(p)
    }

    /// Compiles a loaded scenario. Warnings it adds carry paths but no line numbers; use
    /// [`Prepared::from_str`] to have them located.
    pub fn from_loaded(mut loaded: LoadedScenario) -> Result<Prepared> {
        let catalog = Catalog::builtin()?.with_overrides(&loaded.scenario.controls);
        let world = crate::world::EstateWorld::from_scenario(&loaded.scenario);
        let estate = Arc::new(estate::compile_world(&world, None));
        let none = plan::build(&estate, &resolve_set("none", &[], &catalog)?, 0);
        let reach = crate::sim::engine::reachable_set(&estate, &none);
        for (i, &o) in estate.objectives.iter().enumerate() {
            if !reach.contains(o as usize) {
                let node = estate.node(o);
                let path = if loaded.scenario.attacker.objectives.is_empty() {
                    format!("assets[{}].crown_jewel", node.asset.unwrap_or(0))
                } else {
                    format!("attacker.objectives[{i}]")
                };
                loaded.warnings.push(
                    Diagnostic::warning(path, format!("objective `{}` cannot be reached from any entry point, even with no controls", node.id))
                        .with_hint("check entry vectors, reachability rules and the relations that lead to it"),
                );
            }
        }
        Ok(Prepared {
            loaded,
            world,
            estate,
            catalog,
        })
    }

    /// Replaces the scenario's attacker profile (the scenario's explicit attacker fields
    /// still apply) and recompiles the estate, whose entry and impact steps depend on it.
    pub fn set_profile(&mut self, name: &str) -> Result<()> {
        self.estate = self.estate_for(Some(name))?;
        Ok(())
    }

    /// The estate compiled for attacker profile `profile` (the scenario's own when `None`),
    /// leaving this one as it is: what a step-by-step episode with another profile plays on.
    pub fn estate_for(&self, profile: Option<&str>) -> Result<Arc<Estate>> {
        match profile {
            None => Ok(self.estate.clone()),
            Some(name) if crate::attacker::Profile::builtin(name).is_none() => {
                Err(Error::Usage(format!(
                    "unknown attacker profile `{name}`; built-in profiles: {}",
                    crate::attacker::Profile::NAMES.join(", ")
                )))
            }
            Some(name) => Ok(Arc::new(estate::compile_world(&self.world, Some(name)))),
        }
    }

    /// Resolves control set `name` and plans it against `est` (this scenario's estate,
    /// possibly under another profile: [`Prepared::estate_for`]); `seed` draws coverage.
    pub fn plan_on(&self, est: &Estate, name: &str, seed: u64) -> Result<Arc<ControlPlan>> {
        let set = resolve_set(name, &self.loaded.scenario.control_sets, &self.catalog)?;
        Ok(Arc::new(plan::build(est, &set, seed)))
    }

    /// The control sets to run when the user names none: `none` and every set the
    /// scenario defines.
    pub fn default_sets(&self) -> Vec<String> {
        std::iter::once("none".to_string())
            .chain(
                self.loaded
                    .scenario
                    .control_sets
                    .iter()
                    .map(|s| s.name.clone()),
            )
            .collect()
    }

    /// Resolves each named control set (duplicates once) and plans it against the estate; `seed`
    /// draws coverage.
    pub fn plans(&self, names: &[String], seed: u64) -> Result<Vec<Arc<ControlPlan>>> {
        let mut seen = std::collections::HashSet::new();
        names
            .iter()
            .filter(|n| seen.insert(n.as_str()))
            .map(|n| {
                let set = resolve_set(n, &self.loaded.scenario.control_sets, &self.catalog)?;
                Ok(Arc::new(plan::build(&self.estate, &set, seed)))
            })
            .collect()
    }

    /// Plays `opt.trials` trials of every named set on common random numbers and summarizes
    /// them; also returns the raw runs, in the order named.
    pub fn simulate(&self, names: &[String], opt: &RunOptions) -> Result<(Summary, Vec<SetRun>)> {
        self.simulate_observed(names, opt, &crate::montecarlo::Unobserved)
    }

    /// [`Prepared::simulate`], with the trials watched by `obs` (a progress bar).
    pub fn simulate_observed(
        &self,
        names: &[String],
        opt: &RunOptions,
        obs: &dyn crate::montecarlo::Observer,
    ) -> Result<(Summary, Vec<SetRun>)> {
        let plans = self.plans(names, opt.seed)?;
        let runs = crate::montecarlo::run_sets_observed(&self.estate, &plans, opt, obs)?;
        let threads = if opt.threads == 0 {
            rayon::current_num_threads()
        } else {
            opt.threads
        };
        let summary = summarize(
            &self.estate,
            &runs,
            &self.loaded.origin,
            self.loaded.source_hash,
            opt.seed,
            threads,
        );
        Ok((summary, runs))
    }

    /// Estimates the probability of `target` under control set `set` to the precision of
    /// `opt` ([`crate::estimate`]), stopping after `max_seconds` of wall time if given:
    /// the clock is read here, not in the estimators.
    pub fn estimate(
        &self,
        set: &str,
        target: &crate::estimate::Target,
        opt: &crate::estimate::Options,
        max_seconds: Option<f64>,
    ) -> Result<crate::estimate::Estimate> {
        opt.check()?;
        let plan = self
            .plans(&[set.to_string()], opt.seed)?
            .pop()
            .ok_or_else(|| Error::Usage("no control set named".into()))?;
        let started = std::time::Instant::now();
        let keep_going = move || max_seconds.is_none_or(|m| started.elapsed().as_secs_f64() < m);
        let mut est = crate::estimate::estimate(
            &self.loaded.scenario,
            &self.estate,
            &plan,
            target,
            opt,
            &keep_going,
        )?;
        est.timed(started.elapsed().as_secs_f64());
        Ok(est)
    }
}
