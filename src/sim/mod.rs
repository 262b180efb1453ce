//! The simulation: one engine for batch Monte Carlo and for step-by-step tabletop play.
//!
//! The estate lives in its own World ([`crate::world`]) and is compiled once into arrays
//! ([`crate::estate`]); an engine never copies it. A trial's dynamic state lives in the
//! engine's small World as the [`Trial`] resource, and a [`Schedule`] of chained systems
//! advances one tick: every event due in a time window (batch: a slice of the horizon;
//! tabletop: one attacker action or a duration), then records the timeline. In tabletop
//! mode, [`Engine::mirror_into`] mirrors compromise and containment onto the estate World's
//! own entities as components, so the model a trainer edits is the one that shows the play.

#![deny(clippy::disallowed_methods, clippy::disallowed_macros)] // the core does no I/O

pub mod engine;
pub mod evict;
pub mod external;
pub mod state;

pub use state::{EndReason, Halt, Happening, JournalEntry, TrialState};

use crate::estate::{Estate, NodeId};
use crate::plan::ControlPlan;
use crate::rng::TrialKey;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Mirrored in tabletop mode: the attacker holds this asset.
#[derive(Component, Clone, Debug)]
#[component(storage = "SparseSet")]
pub struct Compromised {
    /// The [`crate::estate::bits`] the attacker holds on it now (0 once contained or
    /// revoked).
    pub bits: u8,
}

/// Mirrored in tabletop mode: the defender contained this asset.
#[derive(Component, Clone, Debug)]
#[component(storage = "SparseSet")]
pub struct Contained;

/// The trial being played: estate, control plan, luck and state.
#[derive(Resource)]
pub struct Trial {
    /// The compiled estate played on.
    pub est: Arc<Estate>,
    /// The control plan in force.
    pub plan: Arc<ControlPlan>,
    /// The master seed; with the trial index it gives `key`.
    pub seed: u64,
    /// The trial's key: every random draw of the trial is a pure function of it.
    pub key: TrialKey,
    /// The trial's dynamic state.
    pub st: TrialState,
}

impl Trial {
    /// Whether the attacker knows node `n` now (it is public, was learnt of, or swept;
    /// always, for an attacker that does not discover).
    #[inline]
    pub fn knows(&self, n: crate::estate::NodeId) -> bool {
        engine::knows(&self.ctx(), &self.st, n)
    }

    /// The engine's view of the trial and its mutable state, borrowed together.
    pub fn parts(&mut self) -> (engine::Ctx<'_>, &mut TrialState) {
        let cx = engine::Ctx {
            est: &self.est,
            plan: &self.plan,
            key: self.key,
            certain: false,
        };
        (cx, &mut self.st)
    }

    /// The engine's context for this trial (estate, plan, key; not the certain mode).
    pub fn ctx(&self) -> engine::Ctx<'_> {
        engine::Ctx {
            est: &self.est,
            plan: &self.plan,
            key: self.key,
            certain: false,
        }
    }
}

/// What the next schedule run should cover.
#[derive(Resource, Clone, Copy, Debug)]
pub struct Tick {
    /// Process events up to this time (hours).
    pub until: f64,
    /// Stop after this many finished attack steps (tabletop `step`).
    pub max_actions: Option<u32>,
    /// Steps finished by the last run.
    pub actions_done: u32,
    /// Record a timeline sample at the end of this tick (batch).
    pub sample: bool,
}

/// Present in tabletop mode: the trial's changes are kept for [`Engine::mirror_into`].
#[derive(Resource, Default)]
pub struct Mirroring;

fn advance_system(mut trial: ResMut<Trial>, mut tick: ResMut<Tick>) {
    let (cx, st) = trial.parts();
    tick.actions_done = engine::advance(&cx, st, tick.until, tick.max_actions);
}

fn timeline_system(mut trial: ResMut<Trial>, tick: Res<Tick>) {
    if tick.sample {
        let c = trial.st.m.compromised;
        trial.st.m.timeline.push(c);
    }
}

fn clear_changed_system(mut trial: ResMut<Trial>) {
    trial.st.changed.clear();
}

/// Per-trial results, compact: one row of `trials.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialOutcome {
    /// The trial's index.
    pub trial: u32,
    /// Assets compromised at any time in the trial (the blast radius).
    pub compromised: u32,
    /// Their total business value.
    pub value: f64,
    /// Assets compromised per asset kind, indexed by `AssetKind::index`.
    pub by_kind: Vec<u32>,
    /// Records on the compromised assets.
    pub records_exposed: u64,
    /// Records on the assets data was exfiltrated from.
    pub records_exfiltrated: u64,
    /// Devices and other non-data assets encrypted (T1486).
    pub encrypted: u32,
    /// Data stores destroyed (T1490).
    pub backups_destroyed: u32,
    /// Hours until the first crown jewel fell; `None`: none fell.
    pub crown_jewel_hours: Option<f64>,
    /// Hours until the first node of the plan's `watch` set fell (Tier Zero for `ztsim
    /// whatif`); `None`: none fell, or the plan watches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_hours: Option<f64>,
    /// Hours until the first foothold; `None`: none was taken.
    pub first_foothold_hours: Option<f64>,
    /// Hours from the first foothold to the first lateral one; `None`: no lateral move.
    pub breakout_hours: Option<f64>,
    /// Hours until the first detection; `None`: nothing was detected.
    pub detect_hours: Option<f64>,
    /// Hours until the attacker held no live asset, if it held none at the end; `None`: not
    /// contained.
    pub contain_hours: Option<f64>,
    /// Assets compromised when the defender first contained the attacker's last live asset;
    /// `None`: never.
    pub blast_at_contain: Option<u32>,
    /// Hours until the attacker first held no live asset by the defender's doing (its first
    /// intrusion evicted), whatever came after; `None`: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evict_hours: Option<f64>,
    /// Hours until the first detection of a step taken from inside (see
    /// `Metrics::first_inside_detect_at`); `None`: none was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inside_detect_hours: Option<f64>,
    /// Hours until the first asset that counts fell (initial access); `None`: none did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_compromise_hours: Option<f64>,
    /// Hours until the first device was encrypted or backup destroyed; `None`: none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_hours: Option<f64>,
    /// Hours until data was first exfiltrated; `None`: none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exfil_hours: Option<f64>,
    /// Tries of attack steps started.
    pub steps_attempted: u32,
    /// Tries that succeeded.
    pub steps_succeeded: u32,
    /// Attack edges examined (see `Metrics::edges_examined`).
    pub edges_examined: u64,
    /// The clock when the trial ended, in hours (at most the horizon).
    pub end_hours: f64,
    /// Why it ended.
    pub end: EndReason,
    /// Assets compromised at evenly spaced times from 0 to the horizon (points + 1 samples;
    /// after an early end, the last value repeated).
    pub timeline: Vec<u32>,
    /// (technique index, successes) for techniques that succeeded at least once.
    pub techniques: Vec<(u16, u32)>,
    /// Hosts held with administrator (root, SYSTEM) rights at some time; the other
    /// compromised hosts were held as a user only.
    #[serde(default)]
    pub admin: u32,
    /// Hosts held as a user only (never with administrator rights).
    #[serde(default)]
    pub user_only: u32,
    /// Assets (identities aside) the attacker knew at the end: public, or discovered by
    /// scans, directory enumeration and what compromised assets point at.
    #[serde(default)]
    pub discovered: u32,
    /// Of those, the ones it knew but never compromised.
    #[serde(default)]
    pub known_not_compromised: u32,
    /// What its tries cost (score units).
    #[serde(default)]
    pub cost: f64,
    /// Value gained minus cost: a reinforcement-learning style return.
    #[serde(default)]
    pub score: f64,
    /// (node, attack edge that first compromised it), in order of compromise; kept only
    /// when the engine is asked to (attack-path analysis), empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<(u32, u32)>,
}

/// A bevy_ecs world holding one estate, and the schedule that plays trials on it. One per
/// worker thread; reused across trials.
pub struct Engine {
    /// The engine's own World: the [`Trial`] and [`Tick`] resources.
    pub world: World,
    schedule: Schedule,
    /// Trials (of this engine) in which each node was compromised.
    pub node_hits: Vec<u32>,
    /// Trials (of this engine) in which the attacker discovered each node (public nodes,
    /// known from the start, are not counted); [`engine::KnownHits::per_node`] expands it.
    pub known_hits: engine::KnownHits,
    /// Record which edge first compromised each node (for attack paths).
    pub keep_parents: bool,
    /// Trials (of this engine) in which an attack step (or a FREE edge) derived from each
    /// relation entity succeeded.
    pub relation_hits: foldhash::HashMap<Entity, u32>,
    /// Scratch: the relations of one trial's successes.
    relations_won: Vec<Entity>,
}

impl Engine {
    /// An engine for `est` under `plan`, with master seed `seed`; call
    /// [`Engine::begin`] or [`Engine::run_trial`] to play.
    pub fn new(est: Arc<Estate>, plan: Arc<ControlPlan>, seed: u64) -> Engine {
        let mut world = World::new();
        let st = TrialState::new(&est);
        world.insert_resource(Trial {
            key: TrialKey::new(seed, 0),
            est,
            plan,
            seed,
            st,
        });
        world.insert_resource(Tick {
            until: 0.0,
            max_actions: None,
            actions_done: 0,
            sample: false,
        });
        let mut schedule = Schedule::default();
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.add_systems(
            (
                advance_system,
                timeline_system,
                clear_changed_system.run_if(not(resource_exists::<Mirroring>)),
            )
                .chain(),
        );
        let n = world.resource::<Trial>().est.nodes.len();
        Engine {
            world,
            schedule,
            node_hits: vec![0; n],
            known_hits: engine::KnownHits::default(),
            keep_parents: false,
            relation_hits: Default::default(),
            relations_won: Vec::new(),
        }
    }

    /// The trial being played.
    pub fn trial(&self) -> &Trial {
        self.world.resource::<Trial>()
    }

    /// The trial being played, mutably.
    pub fn trial_mut(&mut self) -> Mut<'_, Trial> {
        self.world.resource_mut::<Trial>()
    }

    /// Replaces the control plan for the trials begun from now on (mid-trial, use
    /// [`Engine::replan`]).
    pub fn set_plan(&mut self, plan: Arc<ControlPlan>) {
        self.trial_mut().plan = plan;
    }

    /// Resets the state and places the attacker for trial `index`.
    pub fn begin(&mut self, index: u64, journaling: bool) {
        let mut t = self.trial_mut();
        let t = &mut *t;
        t.key = TrialKey::new(t.seed, index);
        t.st.reset(index);
        t.st.journaling = journaling;
        let (cx, st) = t.parts();
        engine::start(&cx, st);
    }

    /// Resets the state and places the attacker for trial `index`, drawing from `key`
    /// rather than the key of (seed, index): a rare-event estimator's own streams.
    pub fn begin_keyed(&mut self, index: u64, key: TrialKey) {
        let mut t = self.trial_mut();
        let t = &mut *t;
        t.key = key;
        t.st.reset(index);
        let (cx, st) = t.parts();
        engine::start(&cx, st);
    }

    /// Switches the trial's key mid-run: every draw from now on comes from `key` (a
    /// split trial's copy continues on a fresh stream of its own).
    pub fn rekey(&mut self, key: TrialKey) {
        self.trial_mut().key = key;
    }

    /// Plays the trial on to its end (the horizon, or nothing left to do), or until
    /// `halt` is met; returns whether it halted. A halted trial resumes where it stopped
    /// on the next call. No timeline is kept.
    pub fn play(&mut self, halt: Option<Halt>) -> bool {
        let t = self.world.resource_mut::<Trial>().into_inner();
        let (cx, st) = t.parts();
        if st.ended.is_some() {
            return false;
        }
        st.halt = halt;
        st.halted = false;
        engine::advance(&cx, st, f64::INFINITY, None);
        st.halt = None;
        st.halted
    }

    /// One tick of the schedule: every event due up to `until`, or `max_actions` steps.
    pub fn tick(&mut self, until: f64, max_actions: Option<u32>, sample: bool) -> u32 {
        *self.world.resource_mut::<Tick>() = Tick {
            until,
            max_actions,
            actions_done: 0,
            sample,
        };
        self.schedule.run(&mut self.world);
        self.world.resource::<Tick>().actions_done
    }

    /// Applies a trainer's intervention at the current time.
    pub fn inject(&mut self, what: engine::Inject) {
        let t = self.world.resource_mut::<Trial>().into_inner();
        let (cx, st) = t.parts();
        engine::inject(&cx, st, what);
    }

    /// Switches the control plan mid-trial (a control enabled or disabled, a flow blocked)
    /// and lets the attacker see what changed.
    pub fn replan(&mut self, plan: Arc<ControlPlan>) {
        let t = self.world.resource_mut::<Trial>().into_inner();
        t.plan = plan;
        let (cx, st) = t.parts();
        engine::refresh(&cx, st);
    }

    /// Swaps in an estate changed mid-trial by an incremental recompile (with its plan): the
    /// state grows to fit, and the attacker sees what changed. Node and live edge indices
    /// are stable across such a recompile ([`crate::estate::incremental`]).
    pub fn set_estate(&mut self, est: Arc<Estate>, plan: Arc<ControlPlan>) {
        let t = self.world.resource_mut::<Trial>().into_inner();
        t.st.grow(&est);
        t.est = est;
        t.plan = plan;
        self.node_hits.resize(t.est.nodes.len(), 0);
        let (cx, st) = t.parts();
        engine::refresh(&cx, st);
    }

    /// Keeps the trial's changes for [`Engine::mirror_into`] (tabletop mode).
    pub fn mirror_status(&mut self) {
        self.world.insert_resource(Mirroring);
    }

    /// Mirrors what changed since the last call onto the estate World's entities:
    /// [`Compromised`] with the bits held, [`Contained`] once contained. `reset` first
    /// clears both from every entity (a new or replayed trial).
    pub fn mirror_into(&mut self, estate: &mut crate::world::EstateWorld, reset: bool) {
        let t = self.world.resource_mut::<Trial>().into_inner();
        let changed = std::mem::take(&mut t.st.changed);
        let world = &mut estate.world;
        if reset {
            for e in t.est.entities.iter().flatten() {
                if let Ok(mut ec) = world.get_entity_mut(*e) {
                    ec.remove::<(Compromised, Contained)>();
                }
            }
        }
        for n in changed {
            let Some(Some(e)) = t.est.entities.get(n as usize) else {
                continue;
            };
            let Ok(mut ec) = world.get_entity_mut(*e) else {
                continue;
            };
            let b = t.st.bits[n as usize];
            if b != 0 || t.st.ever.contains(n as usize) {
                ec.insert(Compromised { bits: b });
            }
            if t.st.contained.contains(n as usize) {
                ec.insert(Contained);
            }
        }
    }

    /// Plays trial `index` to its end in batch mode, with `points` + 1 timeline samples.
    pub fn run_trial(&mut self, index: u64, points: usize) -> TrialOutcome {
        self.begin(index, false);
        let horizon = self.trial().est.horizon_hours;
        let points = points.max(1);
        self.trial_mut().st.m.timeline.push(0);
        // The first sample (time zero) holds what the attacker starts with.
        let c = self.trial().st.m.compromised;
        self.trial_mut().st.m.timeline[0] = c;
        for i in 1..=points {
            let until = horizon * i as f64 / points as f64;
            self.tick(until, None, true);
            if self.trial().st.ended.is_some() {
                break;
            }
        }
        let trial = self.world.resource_mut::<Trial>().into_inner();
        let hits = &mut self.known_hits;
        let (cx, st) = trial.parts();
        st.m.discovered = engine::known_assets(&cx, st, hits);
        let last = *st.m.timeline.last().unwrap_or(&0);
        while st.m.timeline.len() < points + 1 {
            st.m.timeline.push(last);
        }
        if st.ended.is_none() {
            st.ended = Some(EndReason::Horizon);
        }
        let mut out = outcome(st, index as u32);
        if self.keep_parents {
            let mut seen = std::collections::HashSet::new();
            out.parents = st
                .touched
                .iter()
                .filter(|&&n| st.ever.contains(n as usize) && seen.insert(n))
                .map(|&n| (n, st.parent[n as usize]))
                .collect();
        }
        let mut seen: Vec<NodeId> = st
            .touched
            .iter()
            .copied()
            .filter(|&n| st.ever.contains(n as usize))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for n in seen {
            self.node_hits[n as usize] += 1;
        }
        let won = &mut self.relations_won;
        won.clear();
        won.extend(
            st.won
                .iter()
                .filter(|&&e| cx.est.edges[e as usize].relation.is_some())
                .map(|&e| cx.est.origins[e as usize].anchor),
        );
        won.sort_unstable();
        won.dedup();
        for a in won.iter() {
            *self.relation_hits.entry(*a).or_default() += 1;
        }
        out
    }
}

/// The outcome of the trial in `st`, numbered `trial` (`parents` left empty).
pub(crate) fn outcome(st: &TrialState, trial: u32) -> TrialOutcome {
    let m = &st.m;
    // Compromised assets are known (the attacker holds them); identities are not counted.
    let assets_held: u32 = crate::model::AssetKind::ALL
        .iter()
        .filter(|k| !k.is_identity() && **k != crate::model::AssetKind::Segment)
        .map(|k| m.by_kind[k.index()])
        .sum();
    TrialOutcome {
        admin: m.admin,
        user_only: m.hosts.saturating_sub(m.admin),
        discovered: m.discovered,
        known_not_compromised: m.discovered.saturating_sub(assets_held),
        cost: m.cost,
        score: m.value - m.cost,
        trial,
        compromised: m.compromised,
        value: m.value,
        by_kind: m.by_kind.clone(),
        records_exposed: m.records_exposed,
        records_exfiltrated: m.records_exfiltrated,
        encrypted: m.encrypted,
        backups_destroyed: m.backups_destroyed,
        crown_jewel_hours: m.crown_jewel_at,
        watch_hours: m.watch_at,
        first_foothold_hours: m.first_foothold_at,
        breakout_hours: match (m.first_foothold_at, m.first_lateral_at) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        },
        detect_hours: m.first_detect_at,
        contain_hours: if st.live_owned == 0 {
            m.contained_at
        } else {
            None
        },
        blast_at_contain: m.blast_at_contain,
        evict_hours: m.evicted_at,
        first_compromise_hours: m.first_compromise_at,
        inside_detect_hours: m.first_inside_detect_at,
        impact_hours: m.first_impact_at,
        exfil_hours: m.first_exfil_at,
        steps_attempted: m.steps_attempted,
        steps_succeeded: m.steps_succeeded,
        edges_examined: m.edges_examined,
        end_hours: st.now,
        end: st.ended.unwrap_or(EndReason::Horizon),
        timeline: m.timeline.clone(),
        techniques: m
            .tech_successes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (i as u16, *c))
            .collect(),
        parents: Vec::new(),
    }
}

/// The per-relation hit counts of a pool of engines, summed.
pub fn pooled_relation_hits(engines: &[Engine]) -> foldhash::HashMap<Entity, u32> {
    let mut hits: foldhash::HashMap<Entity, u32> = Default::default();
    for e in engines {
        for (a, n) in &e.relation_hits {
            *hits.entry(*a).or_default() += n;
        }
    }
    hits
}

/// The per-node hit counts of a pool of engines, summed: (compromised, discovered).
pub fn pooled_hits(engines: &[Engine], nodes: usize) -> (Vec<u32>, Vec<u32>) {
    let mut hits = vec![0u32; nodes];
    let mut known = vec![0u32; nodes];
    for e in engines {
        for (h, x) in hits.iter_mut().zip(&e.node_hits) {
            *h += x;
        }
        let per_node = e.known_hits.per_node(&e.trial().est);
        for (h, x) in known.iter_mut().zip(&per_node) {
            *h += x;
        }
    }
    (hits, known)
}
