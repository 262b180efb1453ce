//! Command-line arguments of `ztsim sweep`, `ztsim merge` and `ztsim sensitivity`.

use clap::Args;
use std::path::PathBuf;

/// `ztsim sweep`: the command-line arguments.
#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    /// Sweep spec (YAML or JSON); see docs/sweeps.md.
    pub spec: PathBuf,
    /// Output directory: cells.csv, trials.csv, manifest.json and cells/ (checkpoints).
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "DIR"
    )]
    pub out: PathBuf,
    /// Finish an interrupted sweep in DIR: cells already checkpointed are not run again.
    #[arg(long)]
    pub resume: bool,
    /// Run only shard I of --shard-count N (the cells whose index modulo N is I).
    #[arg(long, value_name = "I", requires = "shard_count")]
    pub shard_index: Option<usize>,
    /// Number of shards; combine their directories with `ztsim merge`.
    #[arg(long, value_name = "N", requires = "shard_index")]
    pub shard_count: Option<usize>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Print the number of cells (and of this shard's) and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Seconds between progress lines when standard error is not a terminal (0 to 86400; at least 0.1 is used).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = progress_interval)]
    pub progress_interval: f64,
}

impl SweepArgs {
    /// The shard as (index, count), when both flags are given.
    pub fn shard(&self) -> Option<(usize, usize)> {
        self.shard_index.zip(self.shard_count)
    }
}

/// `ztsim merge`: the command-line arguments.
#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// Shard output directories (each written by `ztsim sweep --shard-index I --shard-count N`).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Directory to write the merged sweep into.
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

/// `ztsim sensitivity`: the command-line arguments.
#[derive(Args, Debug, Clone)]
pub struct SensitivityArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Control set whose assumed parameters are varied (default: `initial`).
    #[arg(
        long = "controls",
        short = 'c',
        value_name = "SET",
        default_value = "initial"
    )]
    pub controls: String,
    /// A controls file applied on top of the scenario (repeatable, in order). See docs/controls.md.
    #[arg(long = "controls-file", value_name = "FILE")]
    pub controls_files: Vec<PathBuf>,
    /// Attacker profile, replacing the scenario's.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Relative change applied down and up to each parameter (0.5: ±50 %), clamped to its
    /// valid range.
    #[arg(long, default_value_t = 0.5)]
    pub range: f64,
    /// Trials per variant, at least 1 (default: the scenario's `simulation.trials`).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Master seed, shared by every variant (default: the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Write sensitivity.json and sensitivity.csv into DIR.
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "DIR"
    )]
    pub out: Option<PathBuf>,
    /// Draw the tornado chart into DIR (tornado.png and tornado.svg).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Parameters shown in the chart and the table (the most influential first); 0: all.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Parses `--progress-interval`: a finite number of seconds from 0 to one day (a larger
/// or non-finite value cannot be a `Duration`).
fn progress_interval(s: &str) -> std::result::Result<f64, String> {
    let x: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if x.is_finite() && (0.0..=86_400.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!(
            "{s} seconds is out of range: give 0 to 86400 (one day)"
        ))
    }
}
