//! The `ztsim generate` arguments, kept beside the knobs they expose so the two cannot drift.
//! The binary's `cli` does the I/O; [`GenerateArgs::params`] is the only logic here.

use super::params::{GeneratorParams, Knobs, Size};
use std::path::PathBuf;

/// The file format `ztsim generate` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    // `concat!` keeps these docs out of clap's `--help` (it reads literal doc strings only).
    #[doc = concat!("YAML, the format scenarios are usually written in.")]
    Yaml,
    #[doc = concat!("JSON, faster to load for very large estates.")]
    Json,
}

/// `ztsim generate`: the command-line arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct GenerateArgs {
    /// Size preset: small ≈ 50 assets, medium ≈ 1,000, large ≈ 100,000, huge ≈ 1,000,000.
    #[arg(long, value_enum, default_value = "medium")]
    pub size: Size,
    /// Target number of assets, instead of the preset's (segments and relations not counted).
    #[arg(long, value_name = "N")]
    pub assets: Option<usize>,
    /// Random seed; the same seed and knobs give a byte-identical file. Also the scenario's
    /// simulation seed.
    #[arg(long, short = 's', default_value_t = 1)]
    pub seed: u64,
    /// Output format. Default: json when FILE ends in .json, else yaml.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the scenario to FILE (atomically) instead of standard output.
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "FILE"
    )]
    pub output: Option<PathBuf>,
    /// Also write the estate's statistics (counts, degree distributions) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Do not print the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// The generator knobs as optional flags.
    #[command(flatten)]
    pub knobs: Knobs,
}

impl GenerateArgs {
    /// The generator parameters these arguments ask for, range-checked.
    pub fn params(&self) -> crate::Result<GeneratorParams> {
        let mut p = GeneratorParams::new(self.size, self.seed);
        if let Some(n) = self.assets {
            p.assets = n;
        }
        self.knobs.apply(&mut p);
        p.check().map_err(crate::Error::Usage)?;
        Ok(p)
    }

    /// The output format: as asked, else from the file's extension, else YAML.
    pub fn format(&self) -> Format {
        self.format.unwrap_or_else(|| match &self.output {
            Some(f)
                if f.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
            {
                Format::Json
            }
            _ => Format::Yaml,
        })
    }
}
