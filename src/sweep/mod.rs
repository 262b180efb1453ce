//! Sweeps: many cells (scenario × attacker profile × control set × parameter values), each
//! played for a number of trials, with tidy outputs, checkpoints, resume, shards and merge;
//! and one-at-a-time sensitivity analysis of the assumed parameters.
//!
//! - [`spec`]: the spec file (axes, trials, seed), parsed with located errors.
//! - [`cells`]: the cross product in a fixed order; a cell's seed and definition.
//! - [`overrides`]: how a parameter value reaches the catalog, the sets or the scenario.
//! - [`run`]: plays cells in parallel on one rayon pool.
//! - [`tidy`] and [`store`]: the rows of `cells.csv` and `trials.csv`, checkpoints per cell,
//!   the manifest, and assembling the final files from the checkpoints.
//! - [`sensitivity`]: ±r % on every assumed parameter, on common random numbers, ranked,
//!   with a tornado chart ([`tornado`]).
//!
//! docs/sweeps.md describes the spec format, the outputs and the choices behind them.

pub mod args;
pub mod cells;
pub mod overrides;
pub mod progress;
pub mod run;
pub mod sensitivity;
pub mod spec;
pub mod store;
pub mod tidy;
pub mod tornado;

pub use args::{MergeArgs, SensitivityArgs, SweepArgs};
pub use progress::{NoProgress, Progress, StderrProgress};
pub use spec::Spec;

use crate::error::{Error, Result};
use crate::limits::Limits;
use cells::in_shard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{Checkpoint, Manifest, RunTiming, ShardInfo, Timings};

/// What `ztsim sweep` does.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Path of the sweep spec file.
    pub spec: PathBuf,
    /// Output directory.
    pub out: PathBuf,
    /// Finish a sweep already in `out` instead of refusing a non-empty directory.
    pub resume: bool,
    /// (index, count).
    pub shard: Option<(usize, usize)>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Bounds on the input files.
    pub limits: Limits,
}

/// What a sweep did.
#[derive(Clone, Debug)]
pub struct SweepReport {
    /// Cells in the whole sweep.
    pub cells_total: usize,
    /// Cells of this shard (all of them when not sharded).
    pub cells_mine: usize,
    /// Cells played by this invocation.
    pub cells_run: usize,
    /// Cells found already checkpointed and kept.
    pub cells_resumed: usize,
    /// Trials played by this invocation.
    pub trials_run: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// The manifest written into the output directory.
    pub manifest: Manifest,
    /// Checkpoints that could not be read and were redone.
    pub redone: Vec<PathBuf>,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn shard_of(shard: Option<(usize, usize)>) -> Result<(usize, usize)> {
    let (i, n) = shard.unwrap_or((0, 1));
    if n == 0 || i >= n {
        return Err(Error::Usage(format!(
            "--shard-index must be below --shard-count (got {i} of {n})"
        )));
    }
    Ok((i, n))
}

/// The cells a shard owns, in order.
pub fn shard_cells(spec: &Spec, shard: Option<(usize, usize)>) -> Result<Vec<usize>> {
    let (i, n) = shard_of(shard)?;
    Ok((0..spec.cell_count())
        .filter(|&c| in_shard(c, i, n))
        .collect())
}

/// Runs (or, with `resume`, finishes) a sweep and writes its outputs into `o.out`.
pub fn run_sweep(o: &SweepOptions, spec: &Spec, progress: &dyn Progress) -> Result<SweepReport> {
    let t0 = Instant::now();
    let started_unix = unix_now();
    let (si, sn) = shard_of(o.shard)?;
    let mine = shard_cells(spec, o.shard)?;
    let out = &o.out;
    let _lock = store::lock_dir(out)?;
    let had_manifest = out.join("manifest.json").exists();
    let scan = store::scan(out, o.resume)?;
    if !o.resume && (had_manifest || !scan.cells.is_empty() || !scan.unreadable.is_empty()) {
        return Err(Error::Usage(format!(
            "{} already holds a sweep ({} finished cells): pass --resume to finish it, or choose another --out",
            out.display(),
            scan.cells.len()
        )));
    }
    if had_manifest
        && let Ok(m) = Manifest::read(out)
        && m.spec_hash != spec.hash
    {
        return Err(different_spec(out, &m.spec_hash, &spec.hash));
    }
    for (i, c) in &scan.cells {
        if c.spec_hash != spec.hash {
            return Err(different_spec(out, &c.spec_hash, &spec.hash));
        }
        if *i >= spec.cell_count() || c.key != spec.cell_key(&spec.cell(*i)) {
            return Err(Error::Usage(format!(
                "{}: checkpoint of cell {i} does not match the spec's cell {i}",
                out.display()
            )));
        }
    }
    crate::output::ensure_dir(&store::cells_dir(out))?;
    let pending: Vec<cells::Job> = mine
        .iter()
        .filter(|i| !scan.cells.contains_key(i))
        .map(|&i| spec.job(&spec.cell(i)))
        .collect();
    let on_done = |f: run::Finished| -> Result<()> {
        let cell = spec.cell(f.job.index);
        let c = Checkpoint {
            format: store::FORMAT.into(),
            spec_hash: spec.hash.clone(),
            cell: cell.index,
            key: spec.cell_key(&cell),
            row: tidy::cell_row(
                spec,
                &cell,
                f.job.seed,
                f.estate,
                &f.summary,
                &f.outcomes,
                f.estimate.as_ref(),
            )?,
            trials: tidy::trial_rows(cell.index, &f.outcomes)?,
        };
        store::write_checkpoint(out, &c)
    };
    let stats = run::run_jobs(&spec.scenarios, &pending, o.threads, progress, &on_done)?;
    // The outputs come from the files on disk, whatever this invocation ran.
    let done = store::scan(out, false)?;
    let missing: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|i| !done.cells.contains_key(i))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "internal: {} cells have no checkpoint after the run (first: {})",
            missing.len(),
            missing[0]
        )));
    }
    let shard = (sn > 1).then_some(ShardInfo {
        index: si,
        count: sn,
    });
    let mut manifest = Manifest::new(spec, shard);
    let seconds = t0.elapsed().as_secs_f64();
    manifest.timings = Timings {
        seconds,
        runs: vec![RunTiming {
            shard: if sn > 1 {
                format!("{si}/{sn}")
            } else {
                String::new()
            },
            cells_run: pending.len(),
            cells_resumed: mine.len() - pending.len(),
            trials_run: stats.trials,
            seconds: stats.seconds,
            threads: stats.threads,
            trials_per_second: if stats.seconds > 0.0 {
                stats.trials as f64 / stats.seconds
            } else {
                0.0
            },
            started_unix,
        }],
    };
    let manifest = store::assemble(out, manifest, &done.cells, &mine)?;
    Ok(SweepReport {
        cells_total: spec.cell_count(),
        cells_mine: mine.len(),
        cells_run: pending.len(),
        cells_resumed: mine.len() - pending.len(),
        trials_run: stats.trials,
        seconds: t0.elapsed().as_secs_f64(),
        threads: stats.threads,
        manifest,
        redone: scan.unreadable,
    })
}

fn different_spec(dir: &Path, theirs: &str, ours: &str) -> Error {
    Error::Usage(format!(
        "{} holds results of a different spec (spec hash {theirs}; this spec and its scenarios hash to {ours}): use another --out",
        dir.display()
    ))
}

/// What a merge did.
#[derive(Clone, Debug)]
pub struct MergeReport {
    /// Shard directories merged.
    pub inputs: usize,
    /// Cells in the merged result.
    pub cells: usize,
    /// The merged manifest.
    pub manifest: Manifest,
}

/// Combines shard directories into `out`: exactly the files one unsharded run writes (apart
/// from the manifest's timings). Refuses inputs from different specs, and incomplete sets.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeReport> {
    let t0 = Instant::now();
    if dirs.is_empty() {
        return Err(Error::Usage(
            "merge needs at least one shard directory".into(),
        ));
    }
    let mut manifests = Vec::new();
    for d in dirs {
        if !d.join("manifest.json").exists() {
            return Err(Error::Usage(format!(
                "{} has no manifest.json: that shard has not finished; run it again with --resume",
                d.display()
            )));
        }
        manifests.push(Manifest::read(d)?);
    }
    let base = manifests[0].identity();
    for (d, m) in dirs.iter().zip(&manifests).skip(1) {
        if m.spec_hash != base.spec_hash {
            return Err(Error::Usage(format!(
                "cannot merge: {} and {} come from different specs (spec hash {} vs {})",
                dirs[0].display(),
                d.display(),
                base.spec_hash,
                m.spec_hash
            )));
        }
        if m.identity() != base {
            return Err(Error::Usage(format!(
                "cannot merge: the manifests of {} and {} differ although their spec hashes match",
                dirs[0].display(),
                d.display()
            )));
        }
    }
    let mut cells: BTreeMap<usize, Checkpoint> = BTreeMap::new();
    for d in dirs {
        let scan = store::scan(d, false)?;
        if let Some(p) = scan.unreadable.first() {
            return Err(Error::Usage(format!(
                "{} cannot be read: run that shard again with --resume",
                p.display()
            )));
        }
        for (i, c) in scan.cells {
            if c.spec_hash != base.spec_hash || i >= base.cells {
                return Err(Error::Usage(format!(
                    "{}: cell {i} belongs to a different spec (spec hash {})",
                    d.display(),
                    c.spec_hash
                )));
            }
            if let Some(prev) = cells.get(&i) {
                if *prev != c {
                    return Err(Error::Usage(format!(
                        "cell {i} appears twice with different results (again in {})",
                        d.display()
                    )));
                }
                continue;
            }
            cells.insert(i, c);
        }
    }
    let missing: Vec<usize> = (0..base.cells).filter(|i| !cells.contains_key(i)).collect();
    if !missing.is_empty() {
        let first: Vec<String> = missing.iter().take(8).map(|i| i.to_string()).collect();
        return Err(Error::Usage(format!(
            "{} of {} cells are missing (cells {}{}): merge every shard (shard I of N holds the cells whose index modulo N is I)",
            missing.len(),
            base.cells,
            first.join(", "),
            if missing.len() > 8 { ", ..." } else { "" }
        )));
    }
    let _lock = store::lock_dir(out)?;
    if out.join("manifest.json").exists()
        && let Ok(m) = Manifest::read(out)
        && m.spec_hash != base.spec_hash
    {
        return Err(different_spec(out, &m.spec_hash, &base.spec_hash));
    }
    let existing = store::scan(out, true)?;
    if let Some((i, c)) = existing
        .cells
        .iter()
        .find(|(_, c)| c.spec_hash != base.spec_hash)
    {
        return Err(Error::Usage(format!(
            "{}: cell {i} there comes from a different spec (spec hash {})",
            out.display(),
            c.spec_hash
        )));
    }
    crate::output::ensure_dir(&store::cells_dir(out))?;
    for c in cells.values() {
        if existing.cells.get(&c.cell) != Some(c) {
            store::write_checkpoint(out, c)?;
        }
    }
    let mut manifest = base;
    manifest.timings = Timings {
        seconds: t0.elapsed().as_secs_f64(),
        runs: manifests
            .iter()
            .flat_map(|m| m.timings.runs.clone())
            .collect(),
    };
    let all: Vec<usize> = (0..manifest.cells).collect();
    let manifest = store::assemble(out, manifest, &cells, &all)?;
    Ok(MergeReport {
        inputs: dirs.len(),
        cells: all.len(),
        manifest,
    })
}
