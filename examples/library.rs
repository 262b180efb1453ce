//! ztsim as a library: load a scenario, play two control sets on common random numbers
//! (trial i of both sets sees the same luck), and read the paired difference in mean
//! blast radius with its 95% interval, as `ztsim compare` reports it.
//!
//!     cargo run --example library

use std::path::Path;
use ztsim::compare::compare;
use ztsim::limits::Limits;
use ztsim::montecarlo::RunOptions;
use ztsim::pipeline::Prepared;

fn main() -> ztsim::Result<()> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hybrid-cloud.yaml");
    let prep = Prepared::from_file(&file, &Limits::default())?;
    let sim = &prep.loaded.scenario.simulation;
    let opt = RunOptions {
        trials: sim.trials,
        seed: sim.seed,
        threads: 0, // one per core; results do not depend on it
        timeline_points: 48,
        keep_parents: false,
    };
    let sets = ["none".to_string(), "optimal".to_string()];
    // Baseline: the first set. No ablation.
    let (report, _runs) = compare(&prep, &sets, None, None, &opt)?;
    for set in &report.summary.control_sets {
        println!(
            "{:>8}: mean blast radius {:.2} assets",
            set.name, set.blast_radius.mean
        );
    }
    let c = &report.comparisons[0];
    let d = &c.blast_radius_diff;
    println!(
        "{} - {}: {:+.2} assets, 95% CI [{:+.2}, {:+.2}], paired over {} trials",
        c.name, c.baseline, d.mean, d.ci95[0], d.ci95[1], d.n
    );
    Ok(())
}
