//! What a sweep leaves on disk. Each finished cell is checkpointed at once as one small JSON
//! file, `DIR/cells/cNNNNNNNN.json`, written atomically: it holds the spec hash, the cell's
//! definition and its rows of `cells.csv` and `trials.csv` as text. The final tables are
//! assembled from these files alone, in cell order, so a run that was interrupted and
//! resumed, or split into shards and merged, writes the same bytes as one uninterrupted run.
//! `manifest.json` records the spec, its hash, the seeds and the layout of the tables;
//! wall-clock timings live only under its `timings` key.

use super::spec::Spec;
use super::tidy;
use crate::error::{Error, Result};
use crate::output::{ensure_dir, write_atomic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Format tag written into checkpoints and manifests.
pub(crate) const FORMAT: &str = "ztsim-sweep/1";

/// One finished cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format tag (`ztsim-sweep/1`); a checkpoint with another is redone.
    pub format: String,
    /// Hash of the spec and its scenarios when the cell ran.
    pub spec_hash: String,
    /// Index of the cell in the spec's fixed order.
    pub cell: usize,
    /// The cell's definition in canonical text.
    pub key: String,
    /// Its `cells.csv` row.
    pub row: String,
    /// Its `trials.csv` rows.
    pub trials: String,
}

pub(crate) fn cells_dir(dir: &Path) -> PathBuf {
    dir.join("cells")
}

pub(crate) fn checkpoint_path(dir: &Path, cell: usize) -> PathBuf {
    cells_dir(dir).join(format!("c{cell:08}.json"))
}

fn json_err(path: &Path, e: serde_json::Error) -> Error {
    Error::Usage(format!("{}: {e}", path.display()))
}

pub(crate) fn write_checkpoint(dir: &Path, c: &Checkpoint) -> Result<()> {
    let path = checkpoint_path(dir, c.cell);
    let mut bytes = serde_json::to_vec(c).map_err(|e| json_err(&path, e))?;
    bytes.push(b'\n');
    write_atomic(&path, &bytes)
}

/// The lock file that keeps two sweeps from writing into one directory at once.
pub(crate) const LOCK_FILE: &str = ".ztsim.lock";

/// Creates `dir` if needed and takes an exclusive lock on `dir/.ztsim.lock` for as long as
/// the returned file is open. A second sweep or merge into the same directory is refused
/// with a clear error instead of silently replacing the first one's results. The lock is
/// released by the operating system when the process ends, however it ends; the empty file
/// stays and is harmless.
pub(crate) fn lock_dir(dir: &Path) -> Result<std::fs::File> {
    ensure_dir(dir)?;
    let path = dir.join(LOCK_FILE);
    let werr = |cause: std::io::Error| Error::Write {
        path: path.clone(),
        cause,
    };
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(werr)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Usage(format!(
            "{} is in use by another ztsim sweep or merge (it holds {}): wait for it to finish, or choose another --out",
            dir.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(werr(e)),
    }
}

fn is_temporary(name: &str) -> bool {
    name.starts_with(".ztsim-") && name.ends_with(".tmp")
}

/// Removes temporary files an interrupted atomic write left in `dir`.
fn remove_temporaries(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        if is_temporary(&e.file_name().to_string_lossy()) {
            std::fs::remove_file(e.path()).map_err(|cause| Error::Write {
                path: e.path(),
                cause,
            })?;
        }
    }
    Ok(())
}

/// The checkpoints under `dir/cells`, by cell. Leftovers of interrupted writes are removed
/// first; a checkpoint that cannot be read is reported in `unreadable` (and will be redone).
pub(crate) struct Scan {
    pub cells: BTreeMap<usize, Checkpoint>,
    pub unreadable: Vec<PathBuf>,
}

pub(crate) fn scan(dir: &Path, clean: bool) -> Result<Scan> {
    let cd = cells_dir(dir);
    if clean {
        remove_temporaries(dir)?;
        remove_temporaries(&cd)?;
    }
    let mut out = Scan {
        cells: BTreeMap::new(),
        unreadable: Vec::new(),
    };
    let Ok(entries) = std::fs::read_dir(&cd) else {
        return Ok(out);
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Some(num) = name.strip_prefix('c').and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        let Ok(index) = num.parse::<usize>() else {
            continue;
        };
        let parsed = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Checkpoint>(&b).ok())
            .filter(|c| c.cell == index && c.format == FORMAT);
        match parsed {
            Some(c) => {
                out.cells.insert(index, c);
            }
            None => out.unreadable.push(path),
        }
    }
    Ok(out)
}

/// One scenario of the sweep, as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// The scenario's label in the tables.
    pub label: String,
    /// Generator seed, for a generated scenario; `None` for a file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scenario_seed: Option<u64>,
    /// FNV-1a of the scenario's text (of its JSON, for a generated one).
    pub source_hash: String,
}

/// One parameter axis of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisInfo {
    /// Parameter name, as in the spec.
    pub name: String,
    /// The values as written in `cells.csv` (text, so that they read back exactly).
    pub values: Vec<String>,
}

/// The seeds a sweep used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seeds {
    /// The spec's master seed.
    pub master: u64,
    /// `common`: every cell's trials use the master seed (trial i of every cell sees the
    /// same luck); `per-cell`: the `seed` column of cells.csv is derived from the master
    /// seed and the cell's definition.
    pub mode: String,
    /// Generator seeds of generated scenarios, in scenario order.
    pub generator: Vec<u64>,
}

/// Which shard of a sharded sweep a directory holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Index of the shard, from 0.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

/// An output table, with what it takes to check it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Data rows (header excluded).
    pub rows: usize,
    /// FNV-1a of the file's bytes, hex.
    pub fnv1a: String,
}

/// Column names of the output tables, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Columns {
    /// Columns of `cells.csv`.
    pub cells: Vec<String>,
    /// Columns of `trials.csv`.
    pub trials: Vec<String>,
}

/// Wall-clock facts of the invocations that produced the directory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Seconds of the invocation that wrote this manifest.
    pub seconds: f64,
    /// One entry per `sweep` invocation whose cells are here (for a merge: every shard's).
    pub runs: Vec<RunTiming>,
}

/// Wall-clock facts of one `sweep` invocation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTiming {
    /// `I/N` for a shard, empty for a whole run.
    pub shard: String,
    /// Cells this invocation played.
    pub cells_run: usize,
    /// Cells found already checkpointed and kept.
    pub cells_resumed: usize,
    /// Trials this invocation played.
    pub trials_run: u64,
    /// Wall time of the invocation, in seconds.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Trials played per second of wall time.
    pub trials_per_second: f64,
    /// Start time, in seconds since the Unix epoch.
    pub started_unix: u64,
}

/// `manifest.json`: what a sweep directory holds and how it was made. Written last, so a directory
/// with a manifest is complete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format tag (`ztsim-sweep/1`).
    pub format: String,
    /// Version of ztsim that wrote the directory.
    pub ztsim_version: String,
    /// Hash of the spec and its scenarios; results of different specs never mix.
    pub spec_hash: String,
    /// The spec's `name`, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Cells in the whole sweep (all shards).
    pub cells: usize,
    /// Trials played per cell.
    pub trials_per_cell: u32,
    /// Master seed, seed mode and generator seeds.
    pub seeds: Seeds,
    /// The scenario axis, in order.
    pub scenarios: Vec<ScenarioInfo>,
    /// The control-set axis, in order.
    pub controls: Vec<String>,
    /// The attacker-profile axis, in order (`(scenario)` for a scenario's own attacker).
    pub profiles: Vec<String>,
    /// The parameter axes, in order.
    pub parameters: Vec<AxisInfo>,
    /// Column names of the output tables.
    pub columns: Columns,
    /// Present in a shard's directory only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<ShardInfo>,
    /// Output tables by file name, with row counts and hashes.
    pub outputs: BTreeMap<String, FileInfo>,
    /// The spec file's text.
    pub spec_text: String,
    /// Wall-clock timings; the only part that differs between runs of the same spec.
    pub timings: Timings,
}

impl Manifest {
    pub(crate) fn new(spec: &Spec, shard: Option<ShardInfo>) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            ztsim_version: env!("CARGO_PKG_VERSION").into(),
            spec_hash: spec.hash.clone(),
            name: spec.def.name.clone(),
            cells: spec.cell_count(),
            trials_per_cell: spec.def.trials,
            seeds: Seeds {
                master: spec.def.seed,
                mode: spec.def.seeds.name().into(),
                generator: spec
                    .scenarios
                    .iter()
                    .filter_map(|s| s.scenario_seed)
                    .collect(),
            },
            scenarios: spec
                .scenarios
                .iter()
                .map(|s| ScenarioInfo {
                    label: s.label.clone(),
                    scenario_seed: s.scenario_seed,
                    source_hash: format!("{:016x}", s.source_hash),
                })
                .collect(),
            controls: spec.def.controls.clone(),
            profiles: spec
                .profiles
                .iter()
                .map(|p| p.clone().unwrap_or_else(|| "(scenario)".into()))
                .collect(),
            parameters: spec
                .axes
                .iter()
                .map(|a| AxisInfo {
                    name: a.name.clone(),
                    values: a.values.iter().map(|v| format!("{v}")).collect(),
                })
                .collect(),
            columns: Columns {
                cells: tidy::cell_columns(spec),
                trials: tidy::trial_columns(),
            },
            shard,
            outputs: BTreeMap::new(),
            spec_text: spec.text.clone(),
            timings: Timings::default(),
        }
    }

    pub(crate) fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|cause| Error::Read {
            path: path.clone(),
            cause,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| json_err(&path, e))
    }

    /// The manifest without what differs between runs of the same spec: timings, shard
    /// and the outputs (which depend on the shard).
    pub fn identity(&self) -> Manifest {
        Manifest {
            shard: None,
            outputs: BTreeMap::new(),
            timings: Timings::default(),
            ..self.clone()
        }
    }
}

/// Writes `cells.csv`, `trials.csv` and `manifest.json` into `dir` from the checkpoints of
/// `cells` (in that order), each atomically; the manifest last, so a directory with a
/// manifest is complete.
pub fn assemble(
    dir: &Path,
    mut manifest: Manifest,
    checkpoints: &BTreeMap<usize, Checkpoint>,
    cells: &[usize],
) -> Result<Manifest> {
    ensure_dir(dir)?;
    let mut cells_csv = tidy::record(&manifest.columns.cells)?.into_bytes();
    let mut trials_csv = tidy::record(&manifest.columns.trials)?.into_bytes();
    let mut trial_rows = 0;
    for i in cells {
        let c = checkpoints
            .get(i)
            .ok_or_else(|| Error::Usage(format!("internal: cell {i} has no checkpoint")))?;
        cells_csv.extend_from_slice(c.row.as_bytes());
        trials_csv.extend_from_slice(c.trials.as_bytes());
        trial_rows += c.trials.bytes().filter(|&b| b == b'\n').count();
    }
    write_atomic(&dir.join("cells.csv"), &cells_csv)?;
    write_atomic(&dir.join("trials.csv"), &trials_csv)?;
    let info = |bytes: &[u8], rows| FileInfo {
        rows,
        fnv1a: format!("{:016x}", crate::rng::fnv1a(bytes)),
    };
    manifest.outputs = BTreeMap::from([
        ("cells.csv".to_string(), info(&cells_csv, cells.len())),
        ("trials.csv".to_string(), info(&trials_csv, trial_rows)),
    ]);
    let mut json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| json_err(&dir.join("manifest.json"), e))?;
    json.push(b'\n');
    write_atomic(&dir.join("manifest.json"), &json)?;
    Ok(manifest)
}
