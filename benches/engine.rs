//! Criterion benchmarks of the engine (see BENCHMARKS.md for figures and how to run them).
//!
//! - `compile`: load (parse + validate) and compile a generated estate into its attack graph.
//! - `trials`: attack steps attempted per second, one thread, under `none` and `optimal`.
//! - `kernel`: the reference kernel: the simplest randomized traversal of the same compiled
//!   graph with the same probabilities (CSR, a fast seeded generator, one coin flip per edge
//!   tried): the practical speed limit the engine is held to.
//! - `entry`: a trial whose attacker can do nothing, on estates of every size: the fixed
//!   cost of a trial.
//! - `parallel`: batch Monte Carlo on 1 and 2 threads.
//! - `random_graph`: the engine and the kernel, in the same run, on the random directed
//!   graph of issue 17 (10,000 accounts, mean out-degree 10, p = 0.15): trials per second.
//! - `episode`: the step-by-step interface the Python environments drive
//!   (`sim::external::Episode`) on `tests/scenarios/env-random.yaml`, a uniform choice
//!   among the steps on offer, episodes begun anew as they end: decisions per second.
//! - `incremental`: a one-asset edit to the estate's World and the recompile of only the
//!   edges it touches, beside a full compile of the same World.
//!
//! `cargo test --benches` runs each once on small estates (a smoke test); `cargo bench`
//! measures 1k-100k assets, and `ZTSIM_BENCH_FULL=1 cargo bench` adds 1,000,000.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use ztsim::controls::{Catalog, resolve_set};
use ztsim::estate::{self, Estate};
use ztsim::generate::{GeneratorParams, generate};
use ztsim::limits::Limits;
use ztsim::montecarlo::{RunOptions, run_sets};
use ztsim::pipeline::Prepared;
use ztsim::plan::{self, ControlPlan};
use ztsim::scenario::Scenario;
use ztsim::sim::Engine;

fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn sizes() -> Vec<usize> {
    if !measuring() {
        vec![1_000, 10_000]
    } else if std::env::var_os("ZTSIM_BENCH_FULL").is_some() {
        vec![1_000, 10_000, 100_000, 1_000_000]
    } else {
        vec![1_000, 10_000, 100_000]
    }
}

struct Fixture {
    scenario: Scenario,
    json: String,
    estate: Arc<Estate>,
    none: Arc<ControlPlan>,
    optimal: Arc<ControlPlan>,
    /// The same assets with the attacker stuck on an isolated device.
    stuck: Arc<Estate>,
    /// The same estate with an attacker that knows everything (no discovery), and its
    /// `none` plan: what discovery costs.
    omniscient: (Arc<Estate>, Arc<ControlPlan>),
}

fn fixture(n: usize) -> &'static Fixture {
    static CACHE: OnceLock<std::sync::Mutex<Vec<(usize, &'static Fixture)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap();
    if let Some((_, f)) = c.iter().find(|(k, _)| *k == n) {
        return f;
    }
    let scenario = generate(&GeneratorParams {
        assets: n,
        seed: 1,
        ..GeneratorParams::default()
    });
    let json = serde_json::to_string(&scenario).unwrap();
    let estate = Arc::new(estate::compile(&scenario));
    let catalog = Catalog::builtin().unwrap();
    let none = Arc::new(plan::build(
        &estate,
        &resolve_set("none", &[], &catalog).unwrap(),
        1,
    ));
    let optimal = Arc::new(plan::build(
        &estate,
        &resolve_set("optimal", &[], &catalog).unwrap(),
        1,
    ));
    // The same assets with nothing to move along: no relations, no reachability between
    // segments, nothing facing the internet, no entry vectors. The attacker starts on one
    // device and can do nothing but try a local escalation: the fixed cost of a trial.
    // (Clearing less is not enough: in a generated estate the internet and any domain-joined
    // device lead somewhere.)
    let mut s2 = scenario.clone();
    s2.relations.clear();
    s2.reachability.clear();
    for a in &mut s2.assets {
        a.exposed.clear();
        a.internet_facing = None;
        a.exploitable = None;
    }
    s2.segments.push(ztsim::scenario::SegmentDef {
        id: "bench-island".into(),
        ..Default::default()
    });
    s2.assets.push(
        serde_json::from_str(
            r#"{"id": "bench-isolated", "kind": "iot", "segment": "bench-island"}"#,
        )
        .unwrap(),
    );
    s2.attacker.entry = Some(Vec::new());
    s2.attacker.start = vec!["bench-isolated".into()];
    let stuck = Arc::new(estate::compile(&s2));
    let mut s3 = scenario.clone();
    s3.attacker.discovery = Some(false);
    let all_known = Arc::new(estate::compile(&s3));
    let all_known_none = Arc::new(plan::build(
        &all_known,
        &resolve_set("none", &[], &catalog).unwrap(),
        1,
    ));
    let f: &'static Fixture = Box::leak(Box::new(Fixture {
        scenario,
        json,
        estate,
        none,
        optimal,
        stuck,
        omniscient: (all_known, all_known_none),
    }));
    c.push((n, f));
    f
}

/// Trials per batch: enough work to measure, few enough for big estates. At least 20, so
/// that one unusual trial (a domain-wide compromise) does not make the figure.
fn batch(n: usize) -> u64 {
    (200_000 / n as u64).clamp(20, 200)
}

fn bench_compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    for n in sizes() {
        let f = fixture(n);
        g.throughput(Throughput::Elements(f.scenario.assets.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("load_and_compile", n),
            &f.json,
            |b, json| {
                b.iter(|| {
                    black_box(
                        Prepared::from_str(json, "bench.json", &Limits::default())
                            .unwrap()
                            .estate
                            .edges
                            .len(),
                    )
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("compile_only", n), &f.scenario, |b, s| {
            b.iter(|| black_box(estate::compile(s).edges.len()))
        });
    }
    g.finish();
}

/// Plays `trials` trials on one engine, returning attack steps attempted and attack edges
/// examined.
fn play(engine: &mut Engine, trials: u64) -> (u64, u64) {
    (0..trials)
        .map(|i| engine.run_trial(i, 48))
        .fold((0, 0), |(s, x), o| {
            (s + o.steps_attempted as u64, x + o.edges_examined)
        })
}

fn bench_trials(c: &mut Criterion) {
    let mut g = c.benchmark_group("trials");
    g.sample_size(10);
    for n in sizes() {
        let f = fixture(n);
        for (name, plan) in [("none", &f.none), ("optimal", &f.optimal)] {
            let t = batch(n);
            let mut engine = Engine::new(f.estate.clone(), plan.clone(), 1);
            let (steps, examined) = play(&mut engine, t);
            g.throughput(Throughput::Elements(steps.max(1)));
            g.bench_function(BenchmarkId::new(format!("steps_{name}"), n), |b| {
                b.iter(|| black_box(play(&mut engine, t)))
            });
            // The same batch, counted in edges examined: the work the kernel counts.
            if name == "none" {
                // The same trials by an attacker that knows the estate: discovery's cost.
                let (est, plan) = &f.omniscient;
                let mut all_known = Engine::new(est.clone(), plan.clone(), 1);
                let (s3, _) = play(&mut all_known, t);
                g.throughput(Throughput::Elements(s3.max(1)));
                g.bench_function(BenchmarkId::new("steps_none_no_discovery", n), |b| {
                    b.iter(|| black_box(play(&mut all_known, t)))
                });
                g.throughput(Throughput::Elements(examined.max(1)));
                g.bench_function(BenchmarkId::new("edges_examined_none", n), |b| {
                    b.iter(|| black_box(play(&mut engine, t)))
                });
            }
        }
    }
    g.finish();
}

/// The reference kernel: an independent cascade over the compiled graph. Each trial
/// starts from the same nodes as the engine, tries every out-edge of every reached node
/// once with one coin flip against the same probability, and counts the edges tried.
struct Kernel {
    out_start: Vec<u32>,
    dst: Vec<u32>,
    p: Vec<f32>,
    start: Vec<u32>,
    seen: Vec<bool>,
    touched: Vec<u32>,
    stack: Vec<u32>,
}

impl Kernel {
    fn new(est: &Estate, plan: &ControlPlan) -> Kernel {
        let n = est.nodes.len();
        let mut out_start = vec![0u32; n + 1];
        let mut dst = Vec::new();
        let mut p = Vec::new();
        for u in 0..n {
            for e in est.out_edges(u as u32) {
                dst.push(est.edges[e].dst);
                p.push(plan.p[e]);
            }
            out_start[u + 1] = dst.len() as u32;
        }
        let mut start = vec![0u32];
        start.extend(est.start.iter().map(|(s, _)| *s));
        Kernel {
            out_start,
            dst,
            p,
            start,
            seen: vec![false; n],
            touched: Vec::new(),
            stack: Vec::new(),
        }
    }

    /// Nodes reached by the last trial (its start included).
    fn reached(&self) -> usize {
        self.touched.len()
    }

    fn trial(&mut self, seed: u64) -> u64 {
        // SplitMix64 inline: the fastest decent seeded generator.
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u32 << 24) as f32
        };
        for &t in &self.touched {
            self.seen[t as usize] = false;
        }
        self.touched.clear();
        for &s in &self.start {
            self.seen[s as usize] = true;
            self.touched.push(s);
            self.stack.push(s);
        }
        let mut tried = 0u64;
        while let Some(u) = self.stack.pop() {
            for e in self.out_start[u as usize] as usize..self.out_start[u as usize + 1] as usize {
                tried += 1;
                let v = self.dst[e];
                if !self.seen[v as usize] && next() < self.p[e] {
                    self.seen[v as usize] = true;
                    self.touched.push(v);
                    self.stack.push(v);
                }
            }
        }
        tried
    }
}

fn bench_kernel(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernel");
    g.sample_size(10);
    for n in sizes() {
        let f = fixture(n);
        let mut k = Kernel::new(&f.estate, &f.none);
        let t = batch(n);
        let tried: u64 = (0..t).map(|i| k.trial(i)).sum();
        g.throughput(Throughput::Elements(tried.max(1)));
        g.bench_function(BenchmarkId::new("edge_trials_none", n), |b| {
            b.iter(|| black_box((0..t).map(|i| k.trial(i)).sum::<u64>()))
        });
    }
    g.finish();
}

/// The issue's random directed graph as a scenario: `n` accounts, each with the
/// reset-password right over `degree` others on average (uniform random targets, a
/// seeded generator), every reset (T1098) succeeding with p, one try, no defender, no
/// discovery, a horizon no trial reaches; the attacker starts holding account 0. Every
/// relation is exactly one attack edge (password on the source grants password on the
/// target), so the engine and the kernel play the same independent cascade.
fn random_graph(n: usize, degree: usize, p: f64) -> Arc<Estate> {
    use std::fmt::Write;
    let mut state = 0x5eed_u64;
    let mut next = |m: usize| {
        state = ztsim::rng::mix64(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
        (state % m as u64) as usize
    };
    let mut y = String::from("name: random-graph\nsegments: []\nassets:\n");
    for i in 0..n {
        writeln!(y, "  - {{id: u{i}, kind: user, tier: 2, mfa: none}}").unwrap();
    }
    y.push_str("relations:\n");
    let mut seen = std::collections::HashSet::new();
    for i in 0..n {
        for _ in 0..degree {
            let j = next(n);
            if j != i && seen.insert((i, j)) {
                writeln!(y, "  - {{type: can_reset_password, from: u{i}, to: u{j}}}").unwrap();
            }
        }
    }
    write!(
        y,
        "attacker:\n  entry: []\n  start: [u0]\n  strategy: random\n  parallelism: 0\n  max_tries: 1\n  discovery: false\ntechniques:\n  - {{id: T1098, p: {p}, noise: 0}}\nsimulation:\n  horizon_hours: 1000000\n"
    )
    .unwrap();
    Prepared::from_str(&y, "random-graph.yaml", &Limits::default())
        .unwrap()
        .estate
}

/// ztsim and the kernel on the issue's random graph (10,000 nodes, mean out-degree 10,
/// p = 0.15), in the same run: trials per second of each.
fn bench_random_graph(c: &mut Criterion) {
    let mut g = c.benchmark_group("random_graph");
    g.sample_size(10);
    let n = if measuring() { 10_000 } else { 1_000 };
    let est = random_graph(n, 10, 0.15);
    let catalog = Catalog::builtin().unwrap();
    let none = Arc::new(plan::build(
        &est,
        &resolve_set("none", &[], &catalog).unwrap(),
        1,
    ));
    // Half the trials die out within a few steps, half take over the giant component:
    // each measurement plays the same 200 trials (20 made the two sides' mixes differ by
    // luck: one side's 20 could hold twice the other's cascades).
    let t = if measuring() { 200u64 } else { 20 };
    g.throughput(Throughput::Elements(t));
    let mut k = Kernel::new(&est, &none);
    let mut engine = Engine::new(est.clone(), none.clone(), 1);
    // Are the two playing the same cascade? Their share of trials that take off (reach
    // more than 1 % of the graph), the mean size of those, and the work per trial, side by
    // side (printed, not asserted: a diagnostic for BENCHMARKS.md).
    let probe = if measuring() { 1000u64 } else { 100 };
    let big = n / 100;
    let (mut k_big, mut k_size, mut k_tried) = (0u64, 0usize, 0u64);
    let (mut z_big, mut z_size, mut z_steps) = (0u64, 0u64, 0u64);
    for i in 0..probe {
        k_tried += k.trial(i);
        if k.reached() > big {
            k_big += 1;
            k_size += k.reached();
        }
        let o = engine.run_trial(i, 2);
        z_steps += o.steps_attempted as u64;
        if o.compromised as usize > big {
            z_big += 1;
            z_size += o.compromised as u64;
        }
    }
    let p = probe as f64;
    eprintln!(
        "random_graph n={n}, {probe} trials: kernel: {:.1} % take off, reaching {:.0} nodes, {:.0} edge trials per trial; ztsim: {:.1} % take off, compromising {:.0} assets, {:.0} attack steps per trial",
        100.0 * k_big as f64 / p,
        k_size as f64 / k_big.max(1) as f64,
        k_tried as f64 / p,
        100.0 * z_big as f64 / p,
        z_size as f64 / z_big.max(1) as f64,
        z_steps as f64 / p
    );
    g.bench_function(BenchmarkId::new("kernel_trials", n), |b| {
        b.iter(|| black_box((0..t).map(|i| k.trial(i)).sum::<u64>()))
    });
    g.bench_function(BenchmarkId::new("ztsim_trials", n), |b| {
        b.iter(|| black_box(play(&mut engine, t)))
    });
    g.finish();
}

/// Decisions per second of [`Episode`] with a uniform chooser (a cheap xorshift, so the
/// figure is the engine's): the Rust side of `ztsim.envs`' environments.
fn bench_episode(c: &mut Criterion) {
    use ztsim::sim::external::Episode;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/env-random.yaml"
    );
    let prep = Prepared::from_file(std::path::Path::new(path), &Limits::default()).unwrap();
    let est = prep.estate.clone();
    let none = prep.plan_on(&est, "none", 1).unwrap();
    let mut ep = Episode::new(est, none, 1);
    let (mut index, mut x) = (0u64, 0x2545_f491_4f6c_dd1d_u64);
    ep.begin(1, index);
    let steps = 10_000u64;
    let mut g = c.benchmark_group("episode");
    g.throughput(Throughput::Elements(steps));
    g.bench_function("uniform_decisions", |b| {
        b.iter(|| {
            for _ in 0..steps {
                if ep.ended().is_some() {
                    index += 1;
                    ep.begin(1, index);
                    continue;
                }
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let offered = ep.offered();
                let a = offered[(x % offered.len() as u64) as usize];
                black_box(ep.step(a as u64).unwrap());
            }
        })
    });
    g.finish();
}

fn bench_entry(c: &mut Criterion) {
    let mut g = c.benchmark_group("entry");
    for n in sizes() {
        let f = fixture(n);
        let catalog = Catalog::builtin().unwrap();
        let none = Arc::new(plan::build(
            &f.stuck,
            &resolve_set("none", &[], &catalog).unwrap(),
            1,
        ));
        let mut engine = Engine::new(f.stuck.clone(), none, 1);
        let mut i = 0;
        g.bench_function(BenchmarkId::new("trial_stuck_at_entry", n), |b| {
            b.iter(|| {
                i += 1;
                black_box(engine.run_trial(i, 48).steps_attempted)
            })
        });
    }
    g.finish();
}

fn bench_parallel(c: &mut Criterion) {
    let mut g = c.benchmark_group("parallel");
    g.sample_size(10);
    let f = fixture(10_000);
    let trials = if measuring() { 400 } else { 8 };
    g.throughput(Throughput::Elements(trials as u64));
    for threads in [1usize, 2] {
        let opt = RunOptions {
            trials,
            seed: 1,
            threads,
            timeline_points: 48,
            keep_parents: false,
        };
        g.bench_function(BenchmarkId::new("trials_none_10k", threads), |b| {
            b.iter(|| {
                black_box(
                    run_sets(&f.estate, std::slice::from_ref(&f.none), &opt)
                        .unwrap()
                        .len(),
                )
            })
        });
    }
    g.finish();
}

/// Two patches that undo each other, for an edit benchmark that can run forever: the
/// patched scenarios and the parsed patches.
fn edit_pair(s: &Scenario, a: &str, b: &str) -> [(ztsim::scenario::Patch, Scenario); 2] {
    let limits = Limits::default();
    let pa = ztsim::scenario::apply_patch_str(s, a, "a.yaml", &limits).unwrap();
    let pb = ztsim::scenario::apply_patch_str(&pa, b, "b.yaml", &limits).unwrap();
    [
        (serde_saphyr::from_str(a).unwrap(), pa),
        (serde_saphyr::from_str(b).unwrap(), pb),
    ]
}

fn bench_incremental(c: &mut Criterion) {
    use ztsim::estate::incremental::recompile;
    use ztsim::world::EstateWorld;
    let mut g = c.benchmark_group("incremental");
    g.sample_size(10);
    for n in sizes() {
        let f = fixture(n);
        // A workstation in the middle of the estate and a session on it.
        let ws = f
            .scenario
            .assets
            .iter()
            .filter(|a| a.kind == ztsim::model::AssetKind::Workstation)
            .nth(n / 40)
            .expect("a workstation")
            .id
            .clone();
        let session = f
            .scenario
            .relations
            .iter()
            .find(|r| r.from == ws && r.kind == ztsim::model::RelationKind::HasSession)
            .expect("a session")
            .clone();
        let attribute = edit_pair(
            &f.scenario,
            &format!("modify_assets:\n- {{id: {ws}, edr: true, patch_lag_days: 90}}\n"),
            &format!("modify_assets:\n- {{id: {ws}, edr: false, patch_lag_days: 30}}\n"),
        );
        let rel = format!("{{type: has_session, from: {ws}, to: {}}}", session.to);
        let relation = edit_pair(
            &f.scenario,
            &format!("remove_relations:\n- {rel}\n"),
            &format!("add_relations:\n- {rel}\n"),
        );
        let asset = edit_pair(
            &f.scenario,
            &format!(
                "add_assets:\n- {{id: ws-bench, kind: workstation, segment: {}}}\nadd_relations:\n- {{type: has_session, from: ws-bench, to: {}}}\n",
                f.scenario
                    .assets
                    .iter()
                    .find(|a| a.id == ws)
                    .and_then(|a| a.segment.clone())
                    .unwrap_or_default(),
                session.to
            ),
            "remove_assets: [ws-bench]\n",
        );
        for (name, pair) in [
            ("edit_attribute", &attribute),
            ("edit_relation", &relation),
            ("edit_asset", &asset),
        ] {
            let mut w = EstateWorld::from_scenario(&f.scenario);
            let mut est = estate::compile_world(&w, None);
            let mut i = 0;
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    let (p, patched) = &pair[i % 2];
                    i += 1;
                    let t = w.apply_patch(p, patched);
                    recompile(&mut est, &w, &t);
                    black_box(est.edges.len())
                })
            });
        }
        let w = EstateWorld::from_scenario(&f.scenario);
        g.bench_function(BenchmarkId::new("full_compile", n), |b| {
            b.iter(|| black_box(estate::compile_world(&w, None).edges.len()))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_incremental,
    bench_compile,
    bench_trials,
    bench_kernel,
    bench_entry,
    bench_parallel,
    bench_random_graph,
    bench_episode
);
criterion_main!(benches);
