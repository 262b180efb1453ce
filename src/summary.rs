//! Statistics over a run: per control set, the distributions, proportions and survival
//! curves users read, as one serializable [`Summary`] (the `--json` output and
//! `summary.json`). Computed sequentially from outcomes in trial order, so the bytes do not
//! depend on the thread count; wall-clock timing lives apart, under `timing`.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

use crate::estate::Estate;
use crate::model::{AssetKind, Pillar};
use crate::montecarlo::SetRun;
use crate::stats::{self, Distribution, Proportion};
use crate::techniques::TechniqueCatalog;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything a run reports: the scenario, the attacker and, per control set, the
/// statistics users read. Serialized as `summary.json` and the `--json` output.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    /// Version of ztsim that produced the summary.
    pub ztsim_version: String,
    /// Scenario name (its `name:` field).
    pub scenario: String,
    /// Path of the scenario file, as given.
    pub scenario_file: String,
    /// FNV-1a of the scenario text, hex.
    pub scenario_hash: String,
    /// Master seed the trials were drawn from.
    pub seed: u64,
    /// Trials per control set.
    pub trials: u32,
    /// Simulated time per trial, in hours; later events are censored.
    pub horizon_hours: f64,
    /// Assets and segments that count in the blast radius (not groups or the internet).
    pub assets: usize,
    /// Attack edges in the compiled estate.
    pub attack_edges: usize,
    /// The attacker profile after the scenario's overrides.
    pub attacker: crate::attacker::Profile,
    /// The published figures the run's default numbers were calibrated to (ids of
    /// data/calibration.yaml; see `ztsim calibrate`); empty when it rests on none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibrated_to: Vec<String>,
    /// One entry per control set, in run order.
    pub control_sets: Vec<SetSummary>,
    /// Wall-clock timing; the only part that changes from run to run.
    pub timing: Timing,
}

/// Wall-clock cost of a run (kept apart so the statistics stay byte-identical across runs).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timing {
    /// Wall time spent simulating, all sets.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time of each control set, in seconds, in run order.
    pub per_set_seconds: Vec<f64>,
    /// Attack steps attempted per second of wall time, all sets.
    pub steps_per_second: f64,
}

/// A control of a set, as resolved for the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ControlEntry {
    /// Control id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Fraction in [0, 1] of the in-scope assets covered.
    pub coverage: f64,
    /// Assets the control covers in this estate.
    pub covered_assets: usize,
}

/// Median and 90th percentile of a time over the trials where it was observed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quantiles {
    /// Median, in hours; `None` when no trial observed it.
    pub p50: Option<f64>,
    /// 90th percentile, in hours; `None` when no trial observed it.
    pub p90: Option<f64>,
}

/// Time to an event (crown jewel, detection, containment) from a Kaplan–Meier curve, so trials that
/// never see the event still count.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimeToEvent {
    /// Median time in hours; `None` when fewer than half the trials see the event by the horizon.
    pub p50: Option<f64>,
    /// 90th percentile in hours; `None` when fewer than 90% see it by the horizon.
    pub p90: Option<f64>,
    /// Trials in which the event happened before the horizon.
    pub events: usize,
    /// Kaplan–Meier survival (share of trials without the event yet) as [hours, share].
    pub survival: Vec<[f64; 2]>,
}

/// Mean compromised-asset count over time, sampled at evenly spaced points from 0 to the horizon.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timeline {
    /// Sample times, in hours.
    pub hours: Vec<f64>,
    /// Mean assets compromised at each sample time.
    pub mean: Vec<f64>,
    /// Lower end of the 95% interval of the mean, per sample.
    pub ci95_lo: Vec<f64>,
    /// Upper end of the 95% interval of the mean, per sample.
    pub ci95_hi: Vec<f64>,
}

/// How much work the engine did for a set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Work {
    /// Attack steps attempted, all trials.
    pub steps_attempted: u64,
    /// Attack steps that succeeded, all trials.
    pub steps_succeeded: u64,
    /// Mean attack steps attempted per trial.
    pub steps_per_trial: f64,
    /// Attack edges the engine examined, usable or not (frontier entries, stream
    /// positions, free edges): the work comparable with the benchmark's reference kernel.
    #[serde(default)]
    pub edges_examined: u64,
}

/// Statistics of one control set over all trials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetSummary {
    /// Control set name.
    pub name: String,
    /// What the set stands for, in words.
    pub description: String,
    /// Controls in the set, with coverage.
    pub controls: Vec<ControlEntry>,
    /// Assets compromised by the end of a trial.
    pub blast_radius: Distribution,
    /// Sum of the business value of compromised assets.
    pub blast_radius_value: Distribution,
    /// Mean assets compromised per trial, by asset kind (kinds present in the estate).
    pub by_kind: BTreeMap<String, f64>,
    /// Mean assets compromised per trial, by pillar (every pillar listed).
    pub by_pillar: BTreeMap<String, f64>,
    /// Records of compromised data assets, per trial.
    pub records_exposed: Distribution,
    /// Records exfiltrated, per trial.
    pub records_exfiltrated: Distribution,
    /// Devices encrypted per trial (attackers that go for impact).
    pub devices_encrypted: Distribution,
    /// Backups destroyed per trial.
    pub backups_destroyed: Distribution,
    /// Share of trials in which a crown jewel was compromised.
    pub crown_jewel: Proportion,
    /// Hours to the first crown jewel.
    pub time_to_crown_jewel_hours: TimeToEvent,
    /// Hours to the first detection.
    pub time_to_detect_hours: TimeToEvent,
    /// Hours to containment of every foothold.
    pub time_to_contain_hours: TimeToEvent,
    /// Hours to the first eviction: the first time the attacker held nothing live by the
    /// defender's doing, whatever came after (a later re-entry is another intrusion).
    /// `None` in summaries written before it existed.
    #[serde(default)]
    pub time_to_evict_hours: Option<TimeToEvent>,
    /// Share of trials with at least one detection.
    pub detected: Proportion,
    /// Share of trials in which the attacker was contained.
    pub contained: Proportion,
    /// Share of trials in which the attacker was evicted at some time (see
    /// `time_to_evict_hours`). `None` in summaries written before it existed.
    #[serde(default)]
    pub evicted: Option<Proportion>,
    /// Hours from the first foothold to the second (eCrime "breakout time").
    pub breakout_hours: Quantiles,
    /// Assets compromised when containment happened, over the trials contained; `None` when no
    /// trial was.
    pub blast_radius_at_containment: Option<Distribution>,
    /// Engine work counters.
    pub work: Work,
    /// Successful steps by ATT&CK id, over all trials.
    pub techniques: BTreeMap<String, u64>,
    /// Trials per end reason (`horizon`, `exhausted`, `contained`, `objective`).
    pub end_reasons: BTreeMap<String, u64>,
    /// Compromised assets over time.
    pub timeline: Timeline,
    /// Share of trials in which each asset was compromised (assets hit at least once).
    pub asset_compromise_rate: BTreeMap<String, f64>,
    /// Share of trials in which an attack step over each relation succeeded (a step the
    /// relation's own rules derived, or its FREE edge such as a membership), keyed
    /// `KIND:FROM:TO` (relations used at least once; empty where not recorded, as in sweeps).
    #[serde(default)]
    pub relation_success_rate: BTreeMap<String, f64>,
    /// What the attacker held as administrator and as a user only, what it came to know,
    /// and its score.
    #[serde(default)]
    pub intrusion: Option<IntrusionSummary>,
}

/// Privilege, discovery and score: the intrusion model's per-trial metrics.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IntrusionSummary {
    /// Hosts held with administrator (root, SYSTEM) rights, per trial.
    pub admin_hosts: Distribution,
    /// Hosts held as a user only, per trial.
    pub user_only_hosts: Distribution,
    /// Share of trials with administrator rights on at least one host.
    pub any_admin: Proportion,
    /// Assets (identities aside) the attacker knew at the end, public ones included.
    pub discovered: Distribution,
    /// Of those, the ones it knew but never compromised.
    pub known_not_compromised: Distribution,
    /// What the attacker's tries cost (score units).
    pub cost: Distribution,
    /// Value gained minus cost (a reinforcement-learning style return).
    pub score: Distribution,
    /// Share of trials in which each asset that is not public was discovered.
    pub asset_discovery_rate: BTreeMap<String, f64>,
}

pub(crate) fn summarize(
    est: &Estate,
    runs: &[SetRun],
    scenario_file: &str,
    scenario_hash: u64,
    seed: u64,
    threads: usize,
) -> Summary {
    let trials = runs.first().map_or(0, |r| r.outcomes.len()) as u32;
    let seconds: f64 = runs.iter().map(|r| r.seconds).sum();
    let steps: u64 = runs
        .iter()
        .flat_map(|r| &r.outcomes)
        .map(|o| o.steps_attempted as u64)
        .sum();
    Summary {
        ztsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: est.name.clone(),
        scenario_file: scenario_file.to_string(),
        scenario_hash: format!("{scenario_hash:016x}"),
        seed,
        trials,
        horizon_hours: est.horizon_hours,
        assets: est.counted_assets(),
        attack_edges: est.edges.len(),
        attacker: est.profile.clone(),
        calibrated_to: crate::calibrate::calibrated_figures(est),
        control_sets: runs.iter().map(|r| summarize_set(est, r)).collect(),
        timing: Timing {
            seconds,
            threads,
            per_set_seconds: runs.iter().map(|r| r.seconds).collect(),
            steps_per_second: if seconds > 0.0 {
                steps as f64 / seconds
            } else {
                0.0
            },
        },
    }
}

fn time_to_event(obs: &[Option<f64>], horizon: f64) -> TimeToEvent {
    let s = stats::kaplan_meier(obs, horizon);
    TimeToEvent {
        p50: s.quantile(0.5),
        p90: s.quantile(0.9),
        events: s.events,
        survival: s.points.iter().map(|&(t, v)| [t, v]).collect(),
    }
}

/// Each relation's share of `n` trials with a successful step over it, by `KIND:FROM:TO`
/// (two relations written alike share a key: the larger share).
fn relation_rates(est: &Estate, r: &SetRun, n: f64) -> BTreeMap<String, f64> {
    let mut rates = BTreeMap::new();
    for (anchor, hits) in &r.relation_hits {
        if let Some(&(from, to, kind)) = est.relation_ends.get(anchor) {
            let key = format!("{}:{}:{}", kind.name(), est.node(from).id, est.node(to).id);
            let slot = rates.entry(key).or_insert(0.0f64);
            *slot = slot.max(*hits as f64 / n);
        }
    }
    rates
}

fn summarize_set(est: &Estate, r: &SetRun) -> SetSummary {
    let o = &r.outcomes;
    let n = o.len().max(1) as f64;
    let h = est.horizon_hours;
    let f = |g: &dyn Fn(&crate::sim::TrialOutcome) -> f64| o.iter().map(g).collect::<Vec<f64>>();
    let mut by_kind = BTreeMap::new();
    let mut by_pillar: BTreeMap<String, f64> = Pillar::ALL
        .iter()
        .map(|p| (p.name().to_string(), 0.0))
        .collect();
    for k in AssetKind::ALL {
        if !k.counts_in_blast_radius() {
            continue;
        }
        let total: u64 = o.iter().map(|t| t.by_kind[k.index()] as u64).sum();
        if est.nodes.iter().any(|x| x.kind == *k && x.counts()) {
            by_kind.insert(k.name().to_string(), total as f64 / n);
        }
        *by_pillar.entry(k.pillar().name().to_string()).or_default() += total as f64 / n;
    }
    let tc = TechniqueCatalog::builtin();
    let mut techniques = BTreeMap::new();
    for t in o {
        for &(i, c) in &t.techniques {
            *techniques.entry(tc.get(i).id.clone()).or_insert(0u64) += c as u64;
        }
    }
    let mut end_reasons = BTreeMap::new();
    for t in o {
        *end_reasons.entry(t.end.name().to_string()).or_insert(0u64) += 1;
    }
    let points = o.first().map_or(0, |t| t.timeline.len());
    let mut tl = Timeline {
        hours: (0..points)
            .map(|i| {
                if points > 1 {
                    h * i as f64 / (points - 1) as f64
                } else {
                    0.0
                }
            })
            .collect(),
        mean: Vec::new(),
        ci95_lo: Vec::new(),
        ci95_hi: Vec::new(),
    };
    for i in 0..points {
        let m = stats::mean_ci(&f(&|t| t.timeline[i] as f64));
        tl.mean.push(m.mean);
        tl.ci95_lo.push(m.ci95[0]);
        tl.ci95_hi.push(m.ci95[1]);
    }
    let contained_at: Vec<f64> = o
        .iter()
        .filter_map(|t| t.blast_at_contain.map(|b| b as f64))
        .collect();
    let breakout: Vec<f64> = {
        let mut v: Vec<f64> = o.iter().filter_map(|t| t.breakout_hours).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let k = |pred: &dyn Fn(&crate::sim::TrialOutcome) -> bool| {
        o.iter().filter(|t| pred(t)).count() as u64
    };
    let attempted: u64 = o.iter().map(|t| t.steps_attempted as u64).sum();
    let mut asset_compromise_rate = BTreeMap::new();
    for (i, hits) in r.node_hits.iter().enumerate() {
        let node = &est.nodes[i];
        if *hits > 0 && node.counts() {
            asset_compromise_rate.insert(node.id.clone(), *hits as f64 / n);
        }
    }
    let relation_success_rate = relation_rates(est, r, n);
    SetSummary {
        name: r.plan.name.clone(),
        description: r.plan.set.description.clone(),
        controls: r
            .plan
            .set
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| ControlEntry {
                id: c.id.clone(),
                name: c.name.clone(),
                coverage: c.coverage,
                covered_assets: r.plan.covered_count(i),
            })
            .collect(),
        blast_radius: stats::distribution(&f(&|t| t.compromised as f64)),
        blast_radius_value: stats::distribution(&f(&|t| t.value)),
        by_kind,
        by_pillar,
        records_exposed: stats::distribution(&f(&|t| t.records_exposed as f64)),
        records_exfiltrated: stats::distribution(&f(&|t| t.records_exfiltrated as f64)),
        devices_encrypted: stats::distribution(&f(&|t| t.encrypted as f64)),
        backups_destroyed: stats::distribution(&f(&|t| t.backups_destroyed as f64)),
        crown_jewel: stats::wilson(k(&|t| t.crown_jewel_hours.is_some()), o.len() as u64),
        time_to_crown_jewel_hours: time_to_event(
            &o.iter().map(|t| t.crown_jewel_hours).collect::<Vec<_>>(),
            h,
        ),
        time_to_detect_hours: time_to_event(
            &o.iter().map(|t| t.detect_hours).collect::<Vec<_>>(),
            h,
        ),
        time_to_contain_hours: time_to_event(
            &o.iter().map(|t| t.contain_hours).collect::<Vec<_>>(),
            h,
        ),
        time_to_evict_hours: Some(time_to_event(
            &o.iter().map(|t| t.evict_hours).collect::<Vec<_>>(),
            h,
        )),
        detected: stats::wilson(k(&|t| t.detect_hours.is_some()), o.len() as u64),
        contained: stats::wilson(k(&|t| t.contain_hours.is_some()), o.len() as u64),
        evicted: Some(stats::wilson(
            k(&|t| t.evict_hours.is_some()),
            o.len() as u64,
        )),
        breakout_hours: Quantiles {
            p50: stats::quantile_sorted(&breakout, 0.5),
            p90: stats::quantile_sorted(&breakout, 0.9),
        },
        blast_radius_at_containment: if contained_at.is_empty() {
            None
        } else {
            Some(stats::distribution(&contained_at))
        },
        work: Work {
            steps_attempted: attempted,
            steps_succeeded: o.iter().map(|t| t.steps_succeeded as u64).sum(),
            steps_per_trial: attempted as f64 / n,
            edges_examined: o.iter().map(|t| t.edges_examined).sum(),
        },
        techniques,
        end_reasons,
        timeline: tl,
        asset_compromise_rate,
        relation_success_rate,
        intrusion: Some(intrusion(est, r)),
    }
}

fn intrusion(est: &Estate, r: &SetRun) -> IntrusionSummary {
    let o = &r.outcomes;
    let n = o.len().max(1) as f64;
    let f = |g: &dyn Fn(&crate::sim::TrialOutcome) -> f64| {
        stats::distribution(&o.iter().map(g).collect::<Vec<f64>>())
    };
    let mut asset_discovery_rate = BTreeMap::new();
    for (i, hits) in r.known_hits.iter().enumerate() {
        if *hits > 0 && est.nodes[i].counts() {
            asset_discovery_rate.insert(est.nodes[i].id.clone(), *hits as f64 / n);
        }
    }
    IntrusionSummary {
        admin_hosts: f(&|t| t.admin as f64),
        user_only_hosts: f(&|t| t.user_only as f64),
        any_admin: stats::wilson(
            o.iter().filter(|t| t.admin > 0).count() as u64,
            o.len() as u64,
        ),
        discovered: f(&|t| t.discovered as f64),
        known_not_compromised: f(&|t| t.known_not_compromised as f64),
        cost: f(&|t| t.cost),
        score: f(&|t| t.score),
        asset_discovery_rate,
    }
}
