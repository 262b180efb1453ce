//! YAML scenario text → compile → a few trials under `none`, every scenario set and a preset,
//! checking the engine's invariants on whatever valid estate the fuzzer finds: no panic, no
//! trial past its horizon, no blast radius above the number of assets, nothing compromised
//! that the reachability analysis says cannot be reached. Then the reports are rendered.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use ztsim::pipeline::Prepared;
use ztsim::sim::Engine;
use ztsim::sim::engine::reachable_set;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Prepared::from_str(text, "f.yaml", &common::limits()) else {
        return;
    };
    let est = p.estate.clone();
    let horizon = est.horizon_hours;
    // The blast radius counts every node that counts (assets but groups, and segments).
    let assets = est.counted_assets();
    assert!(assets <= p.loaded.scenario.assets.len() + p.loaded.scenario.segments.len());
    let mut sets = p.default_sets();
    sets.push("advanced".into());
    for name in &sets {
        let Ok(plans) = p.plans(std::slice::from_ref(name), 7) else {
            continue;
        };
        let plan = plans[0].clone();
        let reach = reachable_set(&est, &plan);
        let mut engine = Engine::new(Arc::clone(&est), plan, 7);
        engine.keep_parents = true;
        for i in 0..3 {
            let o = engine.run_trial(i, 8);
            assert!(
                o.end_hours <= horizon,
                "trial ran to {} past its horizon {horizon}",
                o.end_hours
            );
            assert!(
                o.compromised as usize <= assets,
                "{} compromised of {assets} counted assets",
                o.compromised
            );
            for n in engine.trial().st.ever.ones() {
                assert!(reach.contains(n), "node {n} compromised but not reachable");
            }
        }
    }
    let opt = ztsim::montecarlo::RunOptions {
        trials: 2,
        seed: 3,
        threads: 1,
        timeline_points: 4,
        keep_parents: false,
    };
    if let Ok((summary, runs)) = p.simulate(&sets, &opt) {
        let _ = ztsim::report::summary_table(&summary);
        let _ = ztsim::report::trials_csv(&runs);
        let _ = serde_json::to_string(&summary);
    }
});
