//! Property tests: random valid estates and control sets keep the engine's invariants.
//!
//! A generated case is a `Scenario` built in code: a few segments with random reachability,
//! assets of random kinds with attributes that apply to their kind, random relations (kept
//! when validation accepts their kinds, i.e. `relation_kinds`), random start assets and
//! entry vectors, random technique overrides, and a control set of random catalog ids.
//! Each property then compiles the estate once and plays trials on it:
//!
//! - the blast radius never exceeds the number of assets that count in it;
//! - every node a trial compromised is in `reachable_set` under the same plan;
//! - outcomes are identical with 1 and 2 worker threads;
//! - adding a control that only removes edges does not raise the mean blast radius beyond
//!   Monte Carlo error (paired on common random numbers);
//! - no trial ends after its horizon.
//!
//! The first property found two bugs in the reachability analysis (fixed in
//! `src/sim/engine.rs`; the shrunk case is kept in `properties.proptest-regressions` and two
//! hand-written scenarios in the last test).
//!
//! Case counts are kept small so the file runs in well under a minute in a debug build;
//! `PROPTEST_CASES=500 cargo test --release --test properties` runs a longer search.

use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use ztsim::controls::resolve_set;
use ztsim::limits::Limits;
use ztsim::montecarlo::{RunOptions, run_sets};
use ztsim::pipeline::Prepared;
use ztsim::plan;
use ztsim::scenario::{LoadedScenario, Scenario, validate};
use ztsim::sim::Engine;
use ztsim::sim::engine::reachable_set;

const KINDS: &[&str] = &[
    "user",
    "admin",
    "service_account",
    "guest",
    "group",
    "workstation",
    "laptop",
    "server",
    "mobile",
    "iot",
    "byod",
    "saas",
    "onprem_app",
    "api",
    "identity_provider",
    "remote_access",
    "database",
    "file_share",
    "bucket",
    "mailbox",
    "domain_controller",
    "hypervisor",
    "cluster",
    "cloud_subscription",
];
const IDENTITIES: &[&str] = &["user", "admin", "service_account", "guest", "group"];
const DEVICES: &[&str] = &["workstation", "laptop", "server", "mobile", "iot", "byod"];
const APPS: &[&str] = &[
    "saas",
    "onprem_app",
    "api",
    "identity_provider",
    "remote_access",
];
const DATA: &[&str] = &["database", "file_share", "bucket", "mailbox"];
const RELATIONS: &[&str] = &[
    "member_of",
    "admin_to",
    "has_session",
    "can_rdp",
    "can_psremote",
    "can_ssh",
    "can_log_on",
    "role_on",
    "reads",
    "writes",
    "hosted_on",
    "trusts",
];
const PROTOCOLS: &[&str] = &["smb", "rdp", "winrm", "ssh", "https", "sql", "any"];
const ENTRY: &[&str] = &[
    "phishing",
    "exploit_public",
    "valid_accounts",
    "external_remote",
];
const PROFILES: &[&str] = &["opportunistic", "ransomware", "apt", "insider"];
const MFA: &[&str] = &["none", "sms", "otp", "push", "phishing_resistant"];

/// The random choices behind one estate; turned into a scenario by [`build`].
#[derive(Clone, Debug)]
struct Gen {
    segments: usize,
    reach: Vec<(usize, usize, usize, bool)>,
    /// (kind index, segment choice, attribute seed bits, a probability)
    assets: Vec<(usize, usize, u32, f64)>,
    relations: Vec<(usize, usize, usize, bool)>,
    start: Vec<usize>,
    entry: Vec<usize>,
    profile: Option<usize>,
    techniques: Vec<(usize, f64, f64, f64)>,
    horizon: f64,
    controls: Vec<usize>,
    removes: Vec<usize>,
}

fn gen_strategy() -> impl Strategy<Value = Gen> {
    (
        1usize..4,
        prop::collection::vec((0usize..8, 0usize..8, 0usize..7, any::<bool>()), 0..5),
        prop::collection::vec(
            (0usize..KINDS.len(), 0usize..8, any::<u32>(), 0.0f64..1.0),
            2..22,
        ),
        prop::collection::vec(
            (
                0usize..RELATIONS.len(),
                0usize..64,
                0usize..64,
                any::<bool>(),
            ),
            0..40,
        ),
        prop::collection::vec(0usize..64, 0..3),
        prop::collection::vec(0usize..ENTRY.len(), 0..4),
        prop::option::of(0usize..PROFILES.len()),
        prop::collection::vec(
            (0usize..1000, 0.0f64..1.0, 0.05f64..200.0, 0.0f64..1.0),
            0..4,
        ),
        24.0f64..2000.0,
        prop::collection::vec(0usize..1000, 0..5),
        prop::collection::vec(0usize..1000, 1..4),
    )
        .prop_map(
            |(
                segments,
                reach,
                assets,
                relations,
                start,
                entry,
                profile,
                techniques,
                horizon,
                controls,
                removes,
            )| Gen {
                segments,
                reach,
                assets,
                relations,
                start,
                entry,
                profile,
                techniques,
                horizon,
                controls,
                removes,
            },
        )
}

fn technique_ids() -> Vec<String> {
    ztsim::techniques::TechniqueCatalog::builtin()
        .list
        .iter()
        .map(|t| t.id.clone())
        .collect()
}

fn control_ids() -> Vec<String> {
    ztsim::controls::Catalog::builtin()
        .expect("catalog")
        .controls
        .iter()
        .map(|c| c.id.clone())
        .collect()
}

/// The scenario for `g`, as the JSON a user could have written (so it goes through the
/// same serde types), minus the relations validation rejects.
fn build(g: &Gen) -> Scenario {
    let seg_ids: Vec<String> = (0..g.segments).map(|i| format!("seg{i}")).collect();
    let mut all_segs = seg_ids.clone();
    all_segs.push("internet".into());
    let segments: Vec<Value> = seg_ids.iter().map(|s| json!({"id": s})).collect();
    let reach: Vec<Value> = g
        .reach
        .iter()
        .map(|&(f, t, p, bi)| {
            json!({
                "from": all_segs[f % all_segs.len()],
                "to": seg_ids[t % seg_ids.len()],
                "protocols": [PROTOCOLS[p]],
                "bidirectional": bi,
            })
        })
        .collect();
    let mut assets = Vec::new();
    let mut crown = false;
    for (i, &(k, s, bits, p)) in g.assets.iter().enumerate() {
        let kind = KINDS[k];
        let mut a = json!({"id": format!("a{i}"), "kind": kind, "name": format!("Asset {i}")});
        let bit = |n: u32| bits >> n & 1 == 1;
        if IDENTITIES.contains(&kind) {
            a["tier"] = json!(bits % 3);
            if kind != "group" {
                a["mfa"] = json!(MFA[(bits >> 3) as usize % MFA.len()]);
                a["weak_password"] = json!(bit(6));
            }
        } else {
            a["segment"] = json!(seg_ids[s % seg_ids.len()]);
        }
        if DEVICES.contains(&kind) {
            a["edr"] = json!(bit(7));
            a["unique_local_admin"] = json!(bit(8));
            a["managed"] = json!(bit(9));
            if bit(10) {
                a["exploitable"] = json!(p);
            }
            if bit(11) {
                a["exposed"] = json!([PROTOCOLS[(bits >> 12) as usize % 6]]);
            }
        }
        if APPS.contains(&kind) {
            a["internet_facing"] = json!(bit(13));
            if bit(14) {
                a["exploitable"] = json!(p);
            }
        }
        if DATA.contains(&kind) {
            a["records"] = json!(bits % 100_000);
            if bit(15) || !crown {
                a["crown_jewel"] = json!(true);
                crown = true;
            }
        }
        assets.push(a);
    }
    let n = g.assets.len();
    let mut relations: Vec<Value> = g
        .relations
        .iter()
        .filter(|&&(_, f, t, _)| f % n != t % n)
        .map(|&(r, f, t, eligible)| {
            let mut v = json!({
                "type": RELATIONS[r],
                "from": format!("a{}", f % n),
                "to": format!("a{}", t % n),
            });
            if eligible && RELATIONS[r] == "admin_to" {
                v["eligible"] = json!(true);
            }
            v
        })
        .collect();
    let techs = technique_ids();
    let mut seen = std::collections::HashSet::new();
    let techniques: Vec<Value> = g
        .techniques
        .iter()
        .filter(|t| seen.insert(t.0 % techs.len()))
        .map(|&(t, p, h, noise)| {
            json!({"id": techs[t % techs.len()], "p": p, "mean_hours": h, "noise": noise})
        })
        .collect();
    let mut attacker = json!({
        "start": g.start.iter().map(|&i| format!("a{}", i % n)).collect::<std::collections::BTreeSet<_>>(),
    });
    if !g.entry.is_empty() {
        let e: std::collections::BTreeSet<&str> = g.entry.iter().map(|&i| ENTRY[i]).collect();
        attacker["entry"] = json!(e);
    }
    if let Some(p) = g.profile {
        attacker["profile"] = json!(PROFILES[p]);
    }
    let ids = control_ids();
    let set: std::collections::BTreeSet<&str> = g
        .controls
        .iter()
        .map(|&i| ids[i % ids.len()].as_str())
        .collect();
    let removed: std::collections::BTreeSet<&str> = g
        .removes
        .iter()
        .map(|&i| techs[i % techs.len()].as_str())
        .collect();
    let doc = json!({
        "name": "generated",
        "segments": segments,
        "reachability": reach,
        "assets": assets,
        "relations": relations.clone(),
        "attacker": attacker,
        "techniques": techniques,
        "controls": [{
            "id": "X-REMOVE",
            "name": "removes random techniques",
            "effects": [{"kind": "remove", "techniques": removed}],
        }],
        "control_sets": [
            {"name": "base", "controls": set},
            {"name": "base-plus-remove", "controls": set.iter().copied().chain(["X-REMOVE"]).collect::<Vec<_>>()},
        ],
        "simulation": {"trials": 100, "horizon_hours": g.horizon, "seed": 11},
    });
    let mut s: Scenario = serde_json::from_value(doc).expect("generated scenario decodes");
    // Drop the random relations that validation rejects (wrong kinds at either end),
    // then everything left must validate.
    let limits = Limits::default();
    let bad: std::collections::HashSet<usize> = validate(&s, &limits)
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| {
            let rest = d.path.strip_prefix("relations[")?;
            rest.split(']').next()?.parse().ok()
        })
        .collect();
    if !bad.is_empty() {
        relations = relations
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !bad.contains(i))
            .map(|(_, r)| r)
            .collect();
        s.relations = serde_json::from_value(Value::Array(relations)).expect("relations");
    }
    let errors: Vec<String> = validate(&s, &limits)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "generator made an invalid scenario: {errors:?}"
    );
    s
}

fn prepare(g: &Gen) -> Prepared {
    let scenario = build(g);
    // ZTSIM_PROP_DUMP=FILE writes each generated scenario there (the last one is the
    // failing case when a property fails), to replay it with `ztsim run FILE`.
    if let Some(f) = std::env::var_os("ZTSIM_PROP_DUMP") {
        std::fs::write(f, serde_json::to_vec_pretty(&scenario).unwrap()).unwrap();
    }
    let loaded = LoadedScenario {
        scenario,
        origin: "generated".into(),
        warnings: Vec::new(),
        source_hash: 0,
    };
    Prepared::from_loaded(loaded).expect("compiles")
}

fn opts(trials: u32, threads: usize) -> RunOptions {
    RunOptions {
        trials,
        seed: 5,
        threads,
        timeline_points: 12,
        keep_parents: false,
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 20,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Blast radius ≤ the assets that count in it (the summary's `assets`), every compromised node was reachable
    /// from an entry point under the same plan, and no trial outlives its horizon.
    #[test]
    fn trials_stay_inside_the_estate_the_reach_and_the_horizon(g in gen_strategy()) {
        let p = prepare(&g);
        let est = p.estate.clone();
        // What the blast radius counts: assets except groups, and declared segments (a
        // foothold in a segment counts, docs/scenario-format.md).
        let countable = est.counted_assets();
        let sc = &p.loaded.scenario;
        let groups = sc.assets.iter().filter(|a| !a.kind.counts_in_blast_radius()).count();
        prop_assert_eq!(countable, sc.assets.len() - groups + sc.segments.len());
        for name in ["none", "base", "base-plus-remove", "advanced"] {
            let set = resolve_set(name, &p.loaded.scenario.control_sets, &p.catalog).expect("set");
            let plan = Arc::new(plan::build(&est, &set, 5));
            let reach = reachable_set(&est, &plan);
            let mut engine = Engine::new(est.clone(), plan.clone(), 5);
            engine.keep_parents = true;
            for i in 0..25 {
                let o = engine.run_trial(i, 12);
                prop_assert!(o.compromised as usize <= countable,
                    "{name} trial {i}: {} compromised, {countable} countable assets", o.compromised);
                prop_assert!(o.end_hours <= est.horizon_hours,
                    "{name} trial {i}: ended at {} h, horizon {} h", o.end_hours, est.horizon_hours);
                prop_assert!(o.timeline.iter().all(|&c| c as usize <= countable));
                for n in engine.trial().st.ever.ones() {
                    prop_assert!(reach.contains(n),
                        "{name} trial {i}: node {} ({}) compromised but not reachable",
                        n, est.nodes[n].id);
                }
                for &(n, _) in &o.parents {
                    prop_assert!(reach.contains(n as usize));
                }
            }
        }
    }

    /// Outcomes do not depend on the number of worker threads.
    #[test]
    fn outcomes_do_not_depend_on_threads(g in gen_strategy()) {
        let p = prepare(&g);
        let names = vec!["none".to_string(), "base".to_string()];
        let plans = p.plans(&names, 5).expect("plans");
        let one = run_sets(&p.estate, &plans, &opts(60, 1)).expect("1 thread");
        let two = run_sets(&p.estate, &plans, &opts(60, 2)).expect("2 threads");
        for (a, b) in one.iter().zip(&two) {
            prop_assert_eq!(
                serde_json::to_value(&a.outcomes).unwrap(),
                serde_json::to_value(&b.outcomes).unwrap()
            );
            prop_assert_eq!(&a.node_hits, &b.node_hits);
        }
    }

    /// Removing edges does not raise the mean blast radius beyond Monte Carlo error.
    ///
    /// The two sets differ by one control whose only effects are `remove`. On common random
    /// numbers most trials are identical; a trial can still lose *more* under the stronger
    /// set, because the attacker's time and parallel slots that went into a removed edge go
    /// elsewhere, and an attempt that would have been detected (and led to containment) is
    /// never made. So the property is statistical: the mean paired difference must stay
    /// below three standard errors of the paired differences plus 2% of the base mean (the
    /// slack for the time-and-detection effects, which are real behaviour, not noise).
    #[test]
    fn removing_edges_does_not_raise_mean_blast_radius(g in gen_strategy()) {
        let p = prepare(&g);
        let names = vec!["base".to_string(), "base-plus-remove".to_string()];
        let plans = p.plans(&names, 5).expect("plans");
        let runs = run_sets(&p.estate, &plans, &opts(300, 0)).expect("runs");
        let a: Vec<f64> = runs[0].outcomes.iter().map(|o| o.compromised as f64).collect();
        let b: Vec<f64> = runs[1].outcomes.iter().map(|o| o.compromised as f64).collect();
        let n = a.len() as f64;
        let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
        let mean_d = d.iter().sum::<f64>() / n;
        let var = d.iter().map(|x| (x - mean_d).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt();
        let mean_a = a.iter().sum::<f64>() / n;
        prop_assert!(
            mean_d <= 3.0 * se + 0.02 * mean_a + 1e-9,
            "mean blast radius rose by {mean_d:.3} (SE {se:.3}) from {mean_a:.3} when removing edges"
        );
    }
}

/// The generator itself: it makes scenarios that validate and compile, of varied shape.
#[test]
fn generator_makes_valid_varied_scenarios() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut relations = 0;
    let mut edges = 0;
    for _ in 0..20 {
        let g = gen_strategy().new_tree(&mut runner).unwrap().current();
        let p = prepare(&g);
        relations += p.loaded.scenario.relations.len();
        edges += p.estate.edges.len();
    }
    assert!(
        relations > 20,
        "only {relations} relations survived validation"
    );
    assert!(edges > 100, "only {edges} attack edges");
}

/// The reachability analysis behind the "objective cannot be reached" warning explores
/// everything a trial could do. Two ways it once stopped short (found by the property
/// above): it stopped at the first objective for profiles that stop there (apt, insider),
/// and it started from one insider only, where each trial picks its own.
#[test]
fn reachability_is_not_cut_short_by_stopping_or_by_the_insider_pick() {
    let estate = |name: &str, attacker: &str| {
        format!(
            "name: {name}
segments: [{{id: s1}}, {{id: s2}}]
assets:
  - {{id: u1, kind: user}}
  - {{id: u2, kind: user}}
  - {{id: w1, kind: workstation, segment: s1}}
  - {{id: w2, kind: workstation, segment: s2}}
  - {{id: db1, kind: file_share, segment: s1, crown_jewel: true}}
  - {{id: db2, kind: file_share, segment: s2, crown_jewel: true}}
relations:
  - {{type: has_session, from: w1, to: u1}}
  - {{type: has_session, from: w2, to: u2}}
  - {{type: reads, from: u1, to: db1}}
  - {{type: reads, from: u2, to: db2}}
attacker: {attacker}
"
        )
    };
    let two_objectives = estate("two objectives", "{profile: apt, start: [w1, w2]}");
    let two_insiders = estate(
        "two insiders",
        "{profile: insider, stop_at_objective: false}",
    );
    for text in [two_objectives, two_insiders] {
        let p = Prepared::from_str(&text, "t.yaml", &Limits::default()).expect("valid");
        assert!(
            p.loaded.warnings.is_empty(),
            "false warnings: {:?}",
            p.loaded.warnings
        );
        // And trials do reach both objectives.
        let plans = p.plans(&["none".to_string()], 1).unwrap();
        let runs = run_sets(&p.estate, &plans, &opts(200, 1)).unwrap();
        for db in ["db1", "db2"] {
            let n = p.estate.nodes.iter().position(|x| x.id == db).unwrap();
            assert!(runs[0].node_hits[n] > 0, "{db} never reached");
        }
    }
}
