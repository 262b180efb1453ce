//! Draws BENCHMARKS.md's log-log chart of cost against estate size from criterion's saved
//! results (`cargo bench --bench engine` first):
//!
//!     cargo run --release --example scaling_plot -- [CRITERION_DIR] [OUT_DIR]
//!
//! Defaults: `target/criterion` and `docs/img`. Writes `scaling.png` and `scaling.svg`.
//! Each line is criterion's median time per operation: a whole load (parse, validate,
//! compile), a compile alone, a trial whose attacker is stuck at its start, one attack step
//! and one edge examined by the engine, and one edge trial of the reference kernel.

use anyhow::{Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use ztsim::plot::{Scaling, ScalingSeries, render_scaling, write_charts};

const SERIES: [(&str, &str, &str); 6] = [
    (
        "compile",
        "load_and_compile",
        "load + validate + compile (per estate)",
    ),
    ("compile", "compile_only", "compile only (per estate)"),
    (
        "entry",
        "trial_stuck_at_entry",
        "trial stuck at its start (per trial)",
    ),
    (
        "trials",
        "steps_none",
        "ztsim attack step, `none` (per step)",
    ),
    (
        "trials",
        "edges_examined_none",
        "ztsim edge examined, `none` (per edge)",
    ),
    (
        "kernel",
        "edge_trials_none",
        "reference kernel edge trial (per edge)",
    ),
];

fn read_json(p: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

/// `(assets, seconds per operation)` for every size criterion measured.
fn points(dir: &Path, group: &str, function: &str) -> Result<Vec<(f64, f64)>> {
    let base = dir.join(group).join(function);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&base) else {
        return Ok(out);
    };
    for entry in entries {
        let size_dir = entry?.path();
        let Some(assets) = size_dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<f64>().ok())
        else {
            continue;
        };
        let est = read_json(&size_dir.join("new/estimates.json"))?;
        let median_ns = est["median"]["point_estimate"]
            .as_f64()
            .with_context(|| format!("no median in {}", size_dir.display()))?;
        let bench = read_json(&size_dir.join("new/benchmark.json"))?;
        let per = bench["throughput"]["Elements"].as_f64().unwrap_or(1.0);
        let per = if group == "compile" { 1.0 } else { per };
        out.push((assets, median_ns * 1e-9 / per.max(1.0)));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(out)
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/criterion".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/img".into()));
    let mut series = Vec::new();
    for (group, function, name) in SERIES {
        let pts = points(&dir, group, function)?;
        if !pts.is_empty() {
            series.push(ScalingSeries {
                name: name.into(),
                points: pts,
            });
        }
    }
    anyhow::ensure!(
        !series.is_empty(),
        "no criterion results under {}: run `cargo bench --bench engine` first",
        dir.display()
    );
    let chart = render_scaling(&Scaling {
        title: "How ztsim's costs grow with estate size".into(),
        subtitle: "criterion medians, one thread, generated estates (seed 1); see BENCHMARKS.md"
            .into(),
        series,
    })?;
    for f in write_charts(&[chart], &out)? {
        println!("wrote {}", f.display());
    }
    Ok(())
}
