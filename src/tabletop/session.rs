//! A tabletop session: one trial of the batch engine, advanced under a trainer's control.
//!
//! A session is (scenario, control set, attacker profile, seed, trial index) plus the
//! ordered log of the commands that changed the trial, each with the simulated time it was
//! applied at. A trial is a pure function of these, so undo, rewind, branches and loading a
//! saved session all work by *replay*: build a fresh engine and apply the log again. Output
//! is returned as text; nothing here reads the terminal or touches a file (the commands
//! that do are run by [`super::play`]).

use super::command::{self, Command, StepArg, Until, fmt_time};
use super::narrate::{self, Line, Tag};
use crate::controls::{ControlSetDef, ControlUse, ResolvedSet, ScopeDef, resolve_set};
use crate::error::{Error, Result};
use crate::estate::{Estate, INTERNET, NodeId};
use crate::model::{AssetKind, Pillar};
use crate::pipeline::Prepared;
use crate::plan::{self, ControlPlan};
use crate::sim::engine::Inject;
use crate::sim::{EndReason, Engine, Happening, TrialState};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a session plays.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The scenario file as given (for the transcript and saved logs).
    pub scenario: String,
    /// Control set name: `none`, a scenario set, a preset, or ids joined with `+`.
    pub controls: String,
    /// Attacker profile replacing the scenario's, if any.
    pub profile: Option<String>,
    /// Master seed: with `trial`, it fixes every draw of the trial.
    pub seed: u64,
    /// Which trial of that seed is played (batch trial `trial` plays the same attacker).
    pub trial: u64,
}

/// One logged command: applied at `at` (the clock is first advanced there if it is
/// behind), with an optional facilitator note; `until` caps a clock command (a rewind cut
/// it there).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Simulated hours since the start at which the command was applied.
    pub at: f64,
    /// The command.
    pub cmd: Command,
    /// The facilitator's note for this moment; `None`: no note.
    pub note: Option<String>,
    /// Hours since the start a clock command (`step`, `run`) stops at; `None`: no cap.
    pub until: Option<f64>,
}

/// What applying one log entry did: its journal range and its lines that are not in the
/// journal, and the figures after it.
#[derive(Clone, Debug)]
struct Mark {
    /// Journal entries `from..mid` came from advancing the clock to the entry's time,
    /// `mid..to` from the command itself.
    from: usize,
    mid: usize,
    to: usize,
    /// The clock before the entry, and when the command itself took effect.
    before: f64,
    applied: f64,
    /// Lines from advancing the clock to the entry's time, and the command's own.
    adv: Vec<Line>,
    pre: Vec<Line>,
    post: Vec<Line>,
    now: f64,
}

/// The output of one command.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// What to show the trainer (may be empty).
    pub text: String,
    /// The command ends the session.
    pub quit: bool,
    /// The command failed; `text` holds the error message.
    pub error: bool,
}

impl Reply {
    pub(super) fn ok(text: String) -> Reply {
        Reply {
            text,
            ..Reply::default()
        }
    }
    pub(super) fn err(msg: impl Into<String>) -> Reply {
        Reply {
            text: format!("error: {}\n", msg.into()),
            error: true,
            quit: false,
        }
    }
}

/// Header of an exercise the session plays, for the transcript.
#[derive(Clone, Debug, Default)]
pub struct ExerciseInfo {
    /// The exercise's title.
    pub title: String,
    /// Who the exercise is for, as written in the script.
    pub audience: Option<String>,
    /// How long the exercise is meant to take, as written (free text).
    pub duration: Option<String>,
    /// Learning objectives, one per entry.
    pub objectives: Vec<String>,
    /// Notes for the facilitator, shown at the start.
    pub facilitator_notes: Option<String>,
    /// The script's path, as given.
    pub file: String,
}

/// A tabletop session: one trial played under a trainer's commands, with its log, its
/// branches and the control changes made along the way. See the module docs.
pub struct Session {
    prep: Prepared,
    /// What the session plays.
    pub cfg: Config,
    engine: Engine,
    plan: Arc<ControlPlan>,
    /// Controls the trainer enabled (by id, in order) and disabled.
    extra: Vec<(ControlUse, f64)>,
    without: Vec<(String, f64)>,
    log: Vec<Entry>,
    marks: Vec<Mark>,
    /// Journal entries of the starting position.
    start_to: usize,
    /// God view: replies show every attacker action, not only what the defenders see.
    pub god: bool,
    branch: String,
    branches: BTreeMap<String, Vec<Entry>>,
    /// The exercise being played, when the session runs a script (for the transcript).
    pub exercise: Option<ExerciseInfo>,
    crown_jewels: Vec<NodeId>,
    /// The scenario as loaded, once an `edit` has changed the estate: a rebuild (undo,
    /// rewind) starts from it again and replays the edits in the log.
    unedited: Option<crate::scenario::Scenario>,
}

/// Kinds of asset a command accepts.
#[derive(Clone, Copy)]
enum Want {
    Any,
    Identity,
    Human,
    Device,
    Segment,
    AppOrDevice,
    Foothold,
}

impl Want {
    fn accepts(self, k: AssetKind) -> bool {
        match self {
            Want::Any => k != AssetKind::Segment,
            Want::Identity => k.is_identity(),
            Want::Human => k.is_human(),
            Want::Device => k.is_device(),
            Want::Segment => true,
            Want::AppOrDevice => k.is_app() || k.is_device() || k.is_infra(),
            Want::Foothold => k.gives_foothold(),
        }
    }
    fn words(self) -> &'static str {
        match self {
            Want::Any => "an asset (not a segment)",
            Want::Identity => "an identity (user, admin, service account, guest or group)",
            Want::Human => "a person's account (user, admin or guest)",
            Want::Device => "a device",
            Want::Segment => "a segment (or an asset placed in one)",
            Want::AppOrDevice => "an application, device or infrastructure asset",
            Want::Foothold => "a device, remote-access gateway or infrastructure asset",
        }
    }
}

/// The crown jewels of an estate, by node.
fn crown_jewels_of(est: &Estate) -> Vec<NodeId> {
    (0..est.nodes.len() as NodeId)
        .filter(|&n| est.node(n).crown_jewel)
        .collect()
}

impl Session {
    /// A session on a prepared scenario (with the profile already applied).
    pub fn new(prep: Prepared, cfg: Config) -> Result<Session> {
        let set = resolve_set(
            &cfg.controls,
            &prep.loaded.scenario.control_sets,
            &prep.catalog,
        )?;
        let plan = Arc::new(plan::build(&prep.estate, &set, cfg.seed));
        let engine = Engine::new(prep.estate.clone(), plan.clone(), cfg.seed);
        let crown_jewels = crown_jewels_of(&prep.estate);
        let mut s = Session {
            prep,
            cfg,
            engine,
            plan,
            extra: Vec::new(),
            without: Vec::new(),
            log: Vec::new(),
            marks: Vec::new(),
            start_to: 0,
            god: false,
            branch: "main".into(),
            branches: BTreeMap::new(),
            exercise: None,
            crown_jewels,
            unedited: None,
        };
        s.rebuild()?;
        Ok(s)
    }

    /// The compiled estate being played (recompiled by `edit` commands).
    pub fn estate(&self) -> &Arc<Estate> {
        &self.prep.estate
    }

    /// The control catalog the session resolves control ids against.
    pub fn catalog(&self) -> &crate::controls::Catalog {
        &self.prep.catalog
    }

    /// The trial's current state.
    pub fn state(&self) -> &TrialState {
        &self.engine.trial().st
    }

    /// The simulated clock, in hours since the start.
    pub fn now(&self) -> f64 {
        self.state().now
    }

    /// The estate's World, with the trial's state mirrored onto its entities
    /// ([`crate::sim::Compromised`], [`crate::sim::Contained`]).
    pub fn world(&self) -> &crate::world::EstateWorld {
        &self.prep.world
    }

    /// The current branch's log: every command that changed the trial, in order.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// Every branch's name, the current one included, sorted.
    pub fn branch_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.branches.keys().cloned().collect();
        v.push(self.branch.clone());
        v.sort();
        v
    }

    /// A fresh engine at the start of the trial, with the session's base control set.
    fn rebuild(&mut self) -> Result<()> {
        if let Some(s) = self.unedited.take() {
            self.prep.world = crate::world::EstateWorld::from_scenario(&s);
            self.prep.estate = Arc::new(crate::estate::compile_world(
                &self.prep.world,
                self.cfg.profile.as_deref(),
            ));
            self.prep.loaded.scenario = s;
            self.crown_jewels = crown_jewels_of(&self.prep.estate);
        }
        self.extra.clear();
        self.without.clear();
        let set = resolve_set(
            &self.cfg.controls,
            &self.prep.loaded.scenario.control_sets,
            &self.prep.catalog,
        )?;
        self.plan = Arc::new(plan::build(&self.prep.estate, &set, self.cfg.seed));
        self.engine = Engine::new(self.prep.estate.clone(), self.plan.clone(), self.cfg.seed);
        self.engine.mirror_status();
        self.engine.begin(self.cfg.trial, true);
        self.engine.mirror_into(&mut self.prep.world, true);
        self.log.clear();
        self.marks.clear();
        self.start_to = self.state().journal.len();
        Ok(())
    }

    /// Rebuilds the trial and applies `entries` in order.
    pub fn replay(&mut self, entries: Vec<Entry>) -> std::result::Result<(), String> {
        self.rebuild().map_err(|e| e.to_string())?;
        for (i, e) in entries.into_iter().enumerate() {
            let shown = e.cmd.to_string();
            self.apply(e)
                .map_err(|m| format!("replay stopped at decision {} (`{shown}`): {m}", i + 1))?;
        }
        Ok(())
    }

    // ------------------------------------------------------------------ lookups

    /// Whether `id` names an asset (not a segment) of the scenario; else the message.
    pub fn asset_exists(&self, id: &str) -> std::result::Result<(), String> {
        self.node(id, Want::Any).map(|_| ())
    }

    fn node(&self, id: &str, want: Want) -> std::result::Result<NodeId, String> {
        let est = &self.prep.estate;
        let n = match est.index.get(id) {
            Some(&n) if est.node(n).virtual_kind.is_none() && n != INTERNET => n,
            _ => {
                let assets = est
                    .nodes
                    .iter()
                    .filter(|x| x.virtual_kind.is_none() && x.id != "internet")
                    .map(|x| x.id.as_str());
                return Err(crate::suggest::unknown_message(
                    &format!("no asset `{id}` in this scenario"),
                    crate::suggest::did_you_mean(id, assets),
                    None,
                ));
            }
        };
        let kind = est.node(n).kind;
        if !want.accepts(kind) {
            return Err(format!(
                "`{id}` is a {}; this command needs {}",
                kind.name(),
                want.words()
            ));
        }
        Ok(n)
    }

    fn ended(&self) -> Option<EndReason> {
        self.state().ended
    }

    fn end_words(r: EndReason, horizon: f64) -> String {
        match r {
            EndReason::Horizon => format!("the clock reached the horizon ({})", fmt_time(horizon)),
            EndReason::Exhausted => "the attacker has nothing left to try".into(),
            EndReason::Contained => "every foothold of the attacker is contained".into(),
            EndReason::Objective => "the attacker reached its objective and stopped".into(),
        }
    }

    fn current_uses_base(&self) -> Vec<String> {
        resolve_set(
            &self.cfg.controls,
            &self.prep.loaded.scenario.control_sets,
            &self.prep.catalog,
        )
        .map(|s| s.controls.into_iter().map(|c| c.id).collect())
        .unwrap_or_default()
    }

    /// Checks a command against the scenario (ids, kinds, controls) and the session's
    /// state, without changing anything.
    pub fn check(&self, cmd: &Command) -> std::result::Result<(), String> {
        self.check_static(cmd)?;
        let ended = self.ended();
        match cmd {
            Command::Run(Until::Time(h)) if *h < self.now() => Err(format!(
                "{} is already past (now {}); use `rewind` to go back",
                fmt_time(*h),
                fmt_time(self.now())
            )),
            c if c.is_logged()
                && !matches!(c, Command::Note(_))
                && ended == Some(EndReason::Horizon) =>
            {
                Err("the exercise reached its horizon; `undo` or `rewind` to play on".into())
            }
            Command::Enable { control, scope } => {
                if let Some((u, _)) = self.extra.iter().find(|(u, _)| &u.id == control) {
                    if scope.is_empty() && u.scope.is_none() {
                        return Err(format!("{control} is already enabled"));
                    }
                    if !scope.is_empty() && u.scope.is_none() {
                        return Err(format!(
                            "{control} is already enabled for its whole scope; `disable-control {control}` first to narrow it"
                        ));
                    }
                    return Ok(());
                }
                let in_base = self.current_uses_base().contains(control);
                let disabled = self.without.iter().any(|(w, _)| w == control);
                if in_base && !disabled {
                    return Err(format!(
                        "{control} is already enabled by control set `{}`; `disable-control {control}` first to change its scope",
                        self.cfg.controls
                    ));
                }
                Ok(())
            }
            Command::DisableControl(control) => {
                let active = self.extra.iter().any(|(u, _)| &u.id == control)
                    || self.current_uses_base().contains(control)
                        && !self.without.iter().any(|(w, _)| w == control);
                if active {
                    Ok(())
                } else {
                    Err(format!("{control} is not enabled"))
                }
            }
            Command::Rewind(t) if *t > self.now() => Err(format!(
                "cannot rewind forward to {} (now {}); use `step` or `run until time`",
                fmt_time(*t),
                fmt_time(self.now())
            )),
            Command::Switch(n) if n != &self.branch && !self.branches.contains_key(n) => {
                Err(format!("no branch `{n}`; `branches` lists them"))
            }
            Command::Branch(n) if n == &self.branch || self.branches.contains_key(n) => {
                Err(format!("branch `{n}` exists; `switch {n}` goes there"))
            }
            _ => Ok(()),
        }
    }

    /// The checks that depend only on the scenario: asset ids and kinds, control ids.
    pub fn check_static(&self, cmd: &Command) -> std::result::Result<(), String> {
        match cmd {
            Command::Isolate(x) => self.node(x, Want::Any).map(|_| ()),
            Command::Disable(x) | Command::Reset(x) | Command::Revoke(x) => {
                self.node(x, Want::Identity).map(|_| ())
            }
            Command::Block(x) => {
                let n = self.node(x, Want::Segment)?;
                if self.prep.estate.node(n).segment == INTERNET {
                    return Err(format!("`{x}` is not placed in a segment"));
                }
                Ok(())
            }
            Command::Phish(x) => self.node(x, Want::Human).map(|_| ()),
            Command::Exploit(x) => self.node(x, Want::AppOrDevice).map(|_| ()),
            Command::Foothold(x) => self.node(x, Want::Foothold).map(|_| ()),
            Command::Insider { identity, device } => {
                self.node(identity, Want::Identity)?;
                if let Some(d) = device {
                    self.node(d, Want::Device)?;
                }
                Ok(())
            }
            Command::Enable { control, scope } => {
                self.control(control)?;
                for s in scope {
                    if self
                        .prep
                        .estate
                        .index
                        .get(s)
                        .is_none_or(|&n| self.prep.estate.node(n).virtual_kind.is_some())
                    {
                        return Err(format!("no asset or segment `{s}` in this scenario"));
                    }
                }
                Ok(())
            }
            Command::DisableControl(control) => self.control(control).map(|_| ()),
            Command::Branch(n) | Command::Switch(n)
                if n.is_empty() || n.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Err("a branch name is one word".into())
            }
            _ => Ok(()),
        }
    }

    fn control(&self, id: &str) -> std::result::Result<String, String> {
        let c = self.prep.catalog.lookup(id)?;
        Ok(c.name.clone().unwrap_or_else(|| c.id.clone()))
    }

    // ------------------------------------------------------------------ the clock

    fn tick(&mut self, until: f64, max: Option<u32>) -> u32 {
        let done = self.engine.tick(until, max, false);
        self.engine.mirror_into(&mut self.prep.world, false);
        done
    }

    /// Whether time can still pass: the attack is under way, or it ended with nothing
    /// pending (then time passes without events). After the horizon or the attacker's
    /// objective, the clock stands still.
    pub fn clock_can_move(&self) -> bool {
        match self.ended() {
            None => true,
            Some(EndReason::Exhausted | EndReason::Contained) => self.state().events.is_empty(),
            Some(_) => false,
        }
    }

    /// Moves the clock to `target` (capped at the horizon), processing what happens.
    fn advance_to(&mut self, target: f64, post: &mut Vec<Line>) {
        let horizon = self.prep.estate.horizon_hours;
        let target = target.min(horizon);
        let now = self.now();
        if target <= now {
            return;
        }
        match self.ended() {
            None => {
                self.tick(target, None);
            }
            Some(EndReason::Exhausted | EndReason::Contained) if self.state().events.is_empty() => {
                // Nothing is pending: time simply passes.
                self.engine.trial_mut().st.now = target;
                post.push(Line::info(
                    target,
                    format!(
                        "The clock moves on to {}; the attacker does nothing",
                        fmt_time(target)
                    ),
                ));
            }
            Some(r) => post.push(Line::info(
                now,
                format!(
                    "Nothing happens: the attack is over ({})",
                    Self::end_words(r, horizon)
                ),
            )),
        }
    }

    /// Advances until `n` more attack steps have finished (or the cap, the horizon or the
    /// end). Returns the steps finished.
    fn run_actions(&mut self, n: u32, cap: f64, post: &mut Vec<Line>) -> u32 {
        let horizon = self.prep.estate.horizon_hours;
        if let Some(r) = self.ended() {
            post.push(Line::info(
                self.now(),
                format!(
                    "Nothing happens: the attack is over ({})",
                    Self::end_words(r, horizon)
                ),
            ));
            return 0;
        }
        let until = horizon.min(cap);
        if self.now() >= until {
            return 0;
        }
        let mut done = 0;
        // With nothing in flight, first let the attacker start what it can now, so that the
        // clock does not jump to the horizon when there is nothing to wait for.
        if self.state().events.is_empty() {
            let now = self.now();
            done += self.tick(now, Some(n));
        }
        if done < n && self.ended().is_none() && !self.state().events.is_empty() {
            done += self.tick(until, Some(n - done));
        }
        done
    }

    fn crown_jewels_taken(&self) -> usize {
        let st = self.state();
        self.crown_jewels
            .iter()
            .filter(|&&n| st.ever.contains(n as usize))
            .count()
    }

    /// `run until detection` / `run until crown-jewel`: one step at a time until `done`.
    fn run_until(&mut self, cap: f64, post: &mut Vec<Line>, what: Until) {
        let horizon = self.prep.estate.horizon_hours;
        let limit = horizon.min(cap);
        let alerts0 = self.state().m.detections;
        let jewels0 = self.crown_jewels_taken();
        if let Some(r) = self.ended() {
            post.push(Line::info(
                self.now(),
                format!(
                    "Nothing happens: the attack is over ({})",
                    Self::end_words(r, horizon)
                ),
            ));
            return;
        }
        // Each round processes at least one event or reaches the limit, so this ends; the
        // bound is a guard only.
        for _ in 0..10_000_000u32 {
            if self.ended().is_some() || self.now() >= limit {
                break;
            }
            let mut scratch = Vec::new();
            self.run_actions(1, cap, &mut scratch);
            let hit = match what {
                Until::Detection => self.state().m.detections > alerts0,
                _ => self.crown_jewels_taken() > jewels0,
            };
            if hit {
                post.push(Line::info(
                    self.now(),
                    match what {
                        Until::Detection => "Stopped: the defenders got a new alert".to_string(),
                        _ => "Stopped: a crown jewel fell (god view names it)".to_string(),
                    },
                ));
                return;
            }
        }
        let what = match what {
            Until::Detection => "No alert",
            _ => "No crown jewel fell",
        };
        let why = match self.ended() {
            Some(r) => Self::end_words(r, horizon),
            None => format!("stopped at {}", fmt_time(self.now())),
        };
        post.push(Line::info(self.now(), format!("{what}: {why}")));
    }

    // ------------------------------------------------------------------ controls

    fn tabletop_set(&self) -> std::result::Result<ResolvedSet, String> {
        let sets = &self.prep.loaded.scenario.control_sets;
        if self.extra.is_empty() && self.without.is_empty() {
            return resolve_set(&self.cfg.controls, sets, &self.prep.catalog)
                .map_err(|e| e.to_string());
        }
        let mut all = sets.clone();
        all.push(ControlSetDef {
            name: "@tabletop".into(),
            description: Some(format!(
                "{} as changed during the exercise",
                self.cfg.controls
            )),
            extends: Some(self.cfg.controls.clone()),
            controls: self.extra.iter().map(|(u, _)| u.clone()).collect(),
            without: self.without.iter().map(|(w, _)| w.clone()).collect(),
        });
        resolve_set("@tabletop", &all, &self.prep.catalog).map_err(|e| e.to_string())
    }

    fn replan(&mut self) -> std::result::Result<(), String> {
        let set = self.tabletop_set()?;
        let plan = Arc::new(plan::build(&self.prep.estate, &set, self.cfg.seed));
        self.plan = plan.clone();
        self.engine.replan(plan);
        Ok(())
    }

    /// Changes the estate mid-exercise: the edit goes to the scenario (checked as a patch),
    /// then to the World, whose touched edges alone are recompiled; the trial goes on.
    fn edit_estate(
        &mut self,
        x: &command::EstateEdit,
        post: &mut Vec<Line>,
    ) -> std::result::Result<(), String> {
        let patch = x.to_patch();
        let limits = crate::limits::Limits::default();
        let patched = crate::scenario::apply_patch(&self.prep.loaded.scenario, &patch, &limits)
            .map_err(|ds| {
                let msgs: Vec<String> = ds
                    .iter()
                    .map(|d| format!("{}: {}", d.path, d.message))
                    .collect();
                format!("`edit {x}`: {}", msgs.join("; "))
            })?;
        if self.unedited.is_none() {
            self.unedited = Some(self.prep.loaded.scenario.clone());
        }
        let touched = self.prep.world.apply_patch(&patch, &patched);
        self.prep.loaded.scenario = patched;
        let mut est = (*self.prep.estate).clone();
        crate::estate::incremental::recompile(&mut est, &self.prep.world, &touched);
        self.prep.estate = Arc::new(est);
        self.crown_jewels = crown_jewels_of(&self.prep.estate);
        let set = self.tabletop_set()?;
        let plan = Arc::new(plan::build(&self.prep.estate, &set, self.cfg.seed));
        self.plan = plan.clone();
        self.engine.set_estate(self.prep.estate.clone(), plan);
        post.push(Line::info(
            self.now(),
            format!("The facilitator changed the estate: {x}"),
        ));
        Ok(())
    }

    fn covered(&self, control: &str) -> usize {
        self.plan
            .set
            .controls
            .iter()
            .position(|c| c.id == control)
            .map(|i| self.plan.covered_count(i))
            .unwrap_or(0)
    }

    // ------------------------------------------------------------------ applying

    /// Applies one log entry: advances the clock to its time if behind, then runs the
    /// command; on success the entry joins the log.
    pub fn apply(&mut self, e: Entry) -> std::result::Result<(), String> {
        self.check_static(&e.cmd)?;
        if !e.cmd.is_logged() && !e.cmd.is_display() {
            return Err(format!("`{}` cannot be logged", e.cmd));
        }
        let cap = e.until.unwrap_or(f64::INFINITY);
        let from = self.state().journal.len();
        let before = self.now();
        let ended0 = self.ended();
        let mut adv = Vec::new();
        let mut pre = Vec::new();
        let mut post = Vec::new();
        if self.now() < e.at && self.clock_can_move() {
            self.advance_to(e.at.min(cap), &mut adv);
        }
        if let Err(m) = self.check(&e.cmd) {
            // A scripted entry whose moment has passed the end: report, do not fail.
            if self.ended() == Some(EndReason::Horizon) {
                pre.push(Line::info(self.now(), format!("Skipped `{}`: {m}", e.cmd)));
            } else {
                return Err(m);
            }
        } else {
            let mid = self.state().journal.len();
            let applied = self.now();
            self.exec(&e.cmd, cap, &mut pre, &mut post)?;
            // Injects change the trial without a tick: show them on the estate's entities.
            self.engine.mirror_into(&mut self.prep.world, false);
            if ended0.is_none()
                && let Some(r) = self.ended()
            {
                post.push(Line::info(
                    self.now(),
                    format!(
                        "The attack is over: {}",
                        Self::end_words(r, self.prep.estate.horizon_hours)
                    ),
                ));
            }
            let to = self.state().journal.len();
            let now = self.now();
            // The log keeps when the command really took effect (a script's time may have
            // passed already): replay is the same, and the log's times stay in order.
            self.log.push(Entry { at: applied, ..e });
            self.marks.push(Mark {
                from,
                mid,
                to,
                before,
                applied,
                adv,
                pre,
                post,
                now,
            });
            return Ok(());
        }
        let to = self.state().journal.len();
        let now = self.now();
        self.log.push(Entry { at: now, ..e });
        self.marks.push(Mark {
            from,
            mid: to,
            to,
            before,
            applied: now,
            adv,
            pre,
            post,
            now,
        });
        Ok(())
    }

    /// Runs the command of a log entry on the trial; `cap` bounds a clock command, `pre`
    /// and `post` take the lines to show before and after the journal's.
    fn exec(
        &mut self,
        cmd: &Command,
        cap: f64,
        pre: &mut Vec<Line>,
        post: &mut Vec<Line>,
    ) -> std::result::Result<(), String> {
        let now = self.now();
        match cmd {
            Command::Step(StepArg::Actions(n)) => {
                self.run_actions(*n, cap, post);
            }
            Command::Step(StepArg::Duration(d)) => {
                self.advance_to((now + d.hours()).min(cap), post);
            }
            Command::Run(Until::Time(h)) => self.advance_to(h.min(cap), post),
            Command::Run(w) => self.run_until(cap, post, *w),
            Command::Isolate(x) => {
                let n = self.node(x, Want::Any)?;
                let what = if self.prep.estate.node(n).kind.is_identity() {
                    Inject::Disable(n)
                } else {
                    Inject::Isolate(n)
                };
                self.contain_inject(what, n, post);
            }
            Command::Disable(x) => {
                let n = self.node(x, Want::Identity)?;
                self.contain_inject(Inject::Disable(n), n, post);
            }
            Command::Reset(x) => {
                let words = |l| {
                    format!(
                        "The defenders reset the credentials of {l} (passwords, hashes, tokens, sessions)"
                    )
                };
                self.announced_inject(
                    x,
                    Want::Identity,
                    Tag::Defender,
                    words,
                    Inject::ResetCredentials,
                    pre,
                )?;
            }
            Command::Revoke(x) => {
                let words = |l| format!("The defenders revoke the sessions and tokens of {l}");
                self.announced_inject(
                    x,
                    Want::Identity,
                    Tag::Defender,
                    words,
                    Inject::RevokeTokens,
                    pre,
                )?;
            }
            Command::Block(x) => self.block_segment(x, pre)?,
            Command::Phish(x) => {
                let words = |l| format!("Inject: {l} falls for a phish");
                self.announced_inject(x, Want::Human, Tag::Gain, words, Inject::Phish, pre)?;
            }
            Command::Exploit(x) => {
                let words = |l| format!("Inject: the attacker exploits {l}");
                self.announced_inject(
                    x,
                    Want::AppOrDevice,
                    Tag::Gain,
                    words,
                    Inject::Exploit,
                    pre,
                )?;
            }
            Command::Foothold(x) => {
                let words = |l| format!("Inject: the attacker gets a foothold on {l}");
                self.announced_inject(x, Want::Foothold, Tag::Gain, words, Inject::Foothold, pre)?;
            }
            Command::Insider { identity, device } => {
                let words = |l| format!("Inject: an insider acts as {l}");
                self.announced_inject(
                    identity,
                    Want::Identity,
                    Tag::Gain,
                    words,
                    Inject::Insider,
                    pre,
                )?;
                if let Some(d) = device {
                    let dn = self.node(d, Want::Device)?;
                    self.engine.inject(Inject::Foothold(dn));
                }
            }
            Command::Enable { control, scope } => self.enable_control(control, scope, post)?,
            Command::DisableControl(control) => self.disable_control(control, post)?,
            Command::Note(_) => {}
            Command::Edit(x) => self.edit_estate(x, post)?,
            c if c.is_display() => {}
            other => return Err(format!("`{other}` cannot be applied to the trial")),
        }
        Ok(())
    }

    /// Injects `inject` on the asset `target` (which must be what `want` accepts), announced
    /// by a line of `words` about its label.
    fn announced_inject(
        &mut self,
        target: &str,
        want: Want,
        tag: Tag,
        words: impl FnOnce(String) -> String,
        inject: fn(NodeId) -> Inject,
        pre: &mut Vec<Line>,
    ) -> std::result::Result<(), String> {
        let n = self.node(target, want)?;
        pre.push(Line {
            t: self.now(),
            tag,
            text: words(narrate::label(&self.prep.estate, n)),
        });
        self.engine.inject(inject(n));
        Ok(())
    }

    /// Cuts off the segment `target` is in (or is): every foothold held there is contained.
    fn block_segment(
        &mut self,
        target: &str,
        pre: &mut Vec<Line>,
    ) -> std::result::Result<(), String> {
        let n = self.node(target, Want::Segment)?;
        let seg = self.prep.estate.node(n).segment;
        pre.push(Line {
            t: self.now(),
            tag: Tag::Defender,
            text: format!(
                "The defenders cut off segment {}: every foothold held there now is contained",
                narrate::label(&self.prep.estate, seg)
            ),
        });
        self.engine.inject(Inject::BlockSegment(n));
        Ok(())
    }

    /// Turns `control` on (for the assets in `scope`, or everywhere) from now on.
    fn enable_control(
        &mut self,
        control: &str,
        scope: &[String],
        post: &mut Vec<Line>,
    ) -> std::result::Result<(), String> {
        let now = self.now();
        let name = self.control(control)?;
        self.without.retain(|(w, _)| w != control);
        let in_base = self.current_uses_base().iter().any(|c| c == control);
        if let Some((u, _)) = self.extra.iter_mut().find(|(u, _)| u.id == control) {
            if scope.is_empty() {
                u.scope = None;
            } else if let Some(sc) = &mut u.scope {
                for s in scope {
                    if !sc.ids.contains(s) {
                        sc.ids.push(s.clone());
                    }
                }
            }
        } else if !(in_base && scope.is_empty()) {
            let mut u = ControlUse::from_id(control);
            if !scope.is_empty() {
                u.scope = Some(ScopeDef {
                    ids: scope.to_vec(),
                    ..ScopeDef::default()
                });
            }
            self.extra.push((u, now));
        }
        self.replan()?;
        let whom = if scope.is_empty() {
            String::new()
        } else {
            format!(" for {}", scope.join(", "))
        };
        post.push(Line {
            t: now,
            tag: Tag::Defender,
            text: format!(
                "Control {control} ({name}) is now on{whom}: it covers {} asset(s)",
                self.covered(control)
            ),
        });
        Ok(())
    }

    /// Turns `control` off from now on.
    fn disable_control(
        &mut self,
        control: &str,
        post: &mut Vec<Line>,
    ) -> std::result::Result<(), String> {
        let now = self.now();
        let name = self.control(control)?;
        self.extra.retain(|(u, _)| u.id != control);
        if self.current_uses_base().iter().any(|c| c == control)
            && !self.without.iter().any(|(w, _)| w == control)
        {
            self.without.push((control.to_string(), now));
        }
        self.replan()?;
        post.push(Line {
            t: now,
            tag: Tag::Defender,
            text: format!("Control {control} ({name}) is now off"),
        });
        Ok(())
    }

    /// Isolates or disables `n`; says so when it already was (the journal says the rest).
    fn contain_inject(&mut self, what: Inject, n: NodeId, post: &mut Vec<Line>) {
        if self.state().contained.contains(n as usize) {
            post.push(Line {
                t: self.now(),
                tag: Tag::Defender,
                text: format!(
                    "{} is already contained",
                    narrate::label(&self.prep.estate, n)
                ),
            });
        } else {
            self.engine.inject(what);
        }
    }

    // ------------------------------------------------------------------ output

    /// The narration of log entry `i` as lines (full view).
    fn lines_of(&self, i: usize) -> Vec<Line> {
        let (mut v, after) = self.lines_split(i);
        v.extend(after);
        v
    }

    /// The narration of log entry `i`: what happened while the clock moved to the entry's
    /// time, and what the command itself did.
    fn lines_split(&self, i: usize) -> (Vec<Line>, Vec<Line>) {
        let est = &self.prep.estate;
        let st = self.state();
        let first = narrate::first_gains(est.nodes.len(), &st.journal);
        let mk = &self.marks[i];
        let inject = self.log[i].cmd.is_attacker_inject();
        let mut b = narrate::narrate(est, &st.journal, mk.from, mk.mid, &first, false);
        b.extend(mk.adv.iter().cloned());
        let mut v = mk.pre.clone();
        v.extend(narrate::narrate(
            est,
            &st.journal,
            mk.mid,
            mk.to,
            &first,
            inject,
        ));
        v.extend(mk.post.iter().cloned());
        (b, v)
    }

    fn alerts_in(&self, from: usize, to: usize) -> usize {
        self.state().journal[from..to]
            .iter()
            .filter(|j| matches!(j.what, Happening::Finished { detected: true, .. }))
            .count()
    }

    /// The status line after a turn: clock, blast radius, alerts and containment.
    pub(super) fn footer(&self, turn_alerts: usize) -> String {
        let st = self.state();
        format!(
            "{}  -- blast radius {} | alerts {} this turn, {} in total | contained {}\n",
            fmt_time(st.now),
            st.m.compromised,
            turn_alerts,
            st.m.detections,
            st.contained.count_ones(..)
        )
    }

    /// The live output for the last applied entry, in the session's view.
    pub fn render_last(&self) -> String {
        let Some(i) = self.marks.len().checked_sub(1) else {
            return String::new();
        };
        let mk = &self.marks[i];
        let display = self.log[i].cmd.is_display();
        if display
            && mk.from == mk.to
            && mk.before == mk.now
            && mk.post.is_empty()
            && mk.pre.is_empty()
        {
            return String::new();
        }
        let mut out = String::new();
        let mut shown = 0;
        for l in self.lines_of(i) {
            if l.tag.visible(self.god) {
                out.push_str(&l.render());
                out.push('\n');
                shown += 1;
            }
        }
        let alerts = self.alerts_in(mk.from, mk.to);
        if mk.pre.is_empty()
            && mk.adv.is_empty()
            && (self.log[i].cmd.moves_clock() || display)
            && alerts == 0
            && !self.god
            && shown == 0
        {
            out.push_str(&format!("{}  (no alerts)\n", fmt_time(mk.now)));
        }
        if !matches!(self.log[i].cmd, Command::Note(_)) {
            out.push_str(&self.footer(alerts));
        }
        out
    }

    /// The opening lines of a session.
    pub fn intro(&self) -> String {
        let est = &self.prep.estate;
        let p = &est.profile;
        let mut out = format!(
            "ztsim tabletop: {} ({}), control set {}, attacker {}, seed {}, trial {}\n",
            est.name, self.cfg.scenario, self.cfg.controls, p.name, self.cfg.seed, self.cfg.trial
        );
        out.push_str(&format!(
            "Attacker: {}. Horizon {}. {} view. Type `help` for commands.\n",
            p.description,
            fmt_time(est.horizon_hours),
            if self.god { "God" } else { "Trainer" }
        ));
        if self.god {
            for l in self.start_lines() {
                out.push_str(&l.render());
                out.push('\n');
            }
        }
        crate::report::terminal_safe(&out)
    }

    fn start_lines(&self) -> Vec<Line> {
        let est = &self.prep.estate;
        let st = self.state();
        let first = narrate::first_gains(est.nodes.len(), &st.journal);
        let mut v = vec![Line::info(0.0, "The attacker starts from the internet")];
        v.extend(
            narrate::narrate(est, &st.journal, 0, self.start_to, &first, true)
                .into_iter()
                .map(|mut l| {
                    l.text = l.text.replace("now holds", "starts with");
                    l
                }),
        );
        v
    }

    /// Runs one parsed command that reads and writes no file (with a facilitator note, from
    /// a script); [`super::play`] runs the others (map, save, load, export).
    pub(super) fn run_in_memory(&mut self, cmd: Command, note: Option<String>) -> Reply {
        if let Err(m) = self.check(&cmd) {
            return Reply::err(m);
        }
        if cmd.is_logged() {
            let e = Entry {
                at: self.now(),
                cmd,
                note,
                until: None,
            };
            return match self.apply(e) {
                Ok(()) => Reply::ok(self.render_last()),
                Err(m) => Reply::err(m),
            };
        }
        match cmd {
            Command::Status => Reply::ok(self.status()),
            Command::Alerts => Reply::ok(self.alerts()),
            Command::God(v) => {
                self.god = v.unwrap_or(!self.god);
                Reply::ok(if self.god {
                    "God view on: every attacker action is shown, seen or not.\n".into()
                } else {
                    "God view off: only what the defenders see (alerts, their own actions).\n"
                        .into()
                })
            }
            Command::Undo => {
                let Some(last) = self.log.last().cloned() else {
                    return Reply::err("nothing to undo");
                };
                let mut entries = self.log.clone();
                entries.pop();
                if let Err(m) = self.replay(entries) {
                    return Reply::err(m);
                }
                Reply::ok(format!(
                    "Undone: `{}` (applied at {}).\n{}",
                    last.cmd,
                    fmt_time(last.at),
                    self.footer(0)
                ))
            }
            Command::Rewind(t) => match self.rewind(t) {
                Ok(n) => Reply::ok(format!(
                    "Rewound to {}: {n} decision(s) kept.\n{}",
                    fmt_time(self.now()),
                    self.footer(0)
                )),
                Err(m) => Reply::err(m),
            },
            Command::Branch(name) => {
                let old = std::mem::replace(&mut self.branch, name.clone());
                self.branches.insert(old.clone(), self.log.clone());
                Reply::ok(format!(
                    "Branch `{old}` kept as it is at {}; now playing branch `{name}`.\n",
                    fmt_time(self.now())
                ))
            }
            Command::Switch(name) => {
                if name == self.branch {
                    return Reply::ok(format!("Already on branch `{name}`.\n"));
                }
                let Some(target) = self.branches.remove(&name) else {
                    return Reply::err(format!("no branch `{name}`"));
                };
                let old = std::mem::replace(&mut self.branch, name.clone());
                self.branches.insert(old, self.log.clone());
                if let Err(m) = self.replay(target) {
                    return Reply::err(m);
                }
                Reply::ok(format!("On branch `{name}`.\n{}", self.footer(0)))
            }
            Command::Branches => {
                let mut out = String::new();
                let mut all: Vec<(&String, &Vec<Entry>)> = self.branches.iter().collect();
                all.push((&self.branch, &self.log));
                all.sort_by(|a, b| a.0.cmp(b.0));
                for (name, log) in all {
                    let cur = name == &self.branch;
                    let when = if cur {
                        format!("at {}", fmt_time(self.now()))
                    } else {
                        match log.last() {
                            Some(e) => format!("last decision at {}", fmt_time(e.at)),
                            None => "at the start".into(),
                        }
                    };
                    out.push_str(&format!(
                        "{} {name}: {} decision(s), {when}\n",
                        if cur { "*" } else { " " },
                        log.len()
                    ));
                }
                Reply::ok(crate::report::terminal_safe(&out))
            }
            Command::State => Reply::ok(self.state_json() + "\n"),
            Command::Help(t) => Reply::ok(command::help(t.as_deref())),
            Command::Quit => Reply {
                quit: true,
                ..Reply::default()
            },
            other => Reply::err(format!("`{other}` is not available here")),
        }
    }

    /// Goes back to time `t` by replaying the log up to it. Returns the decisions kept.
    pub fn rewind(&mut self, t: f64) -> std::result::Result<usize, String> {
        if t > self.now() {
            return Err(format!("cannot rewind forward to {}", fmt_time(t)));
        }
        let mut kept: Vec<Entry> = self.log.iter().filter(|e| e.at < t).cloned().collect();
        // Only the last kept entry can have run past `t`: cap it there.
        let n = kept.len();
        if let Some(last) = kept.last_mut()
            && last.cmd.moves_clock()
            && self.marks[n - 1].now > t
        {
            last.until = Some(last.until.map_or(t, |u| u.min(t)));
        }
        self.replay(kept)?;
        if self.now() < t {
            let at = self.now();
            self.apply(Entry {
                at,
                cmd: Command::Run(Until::Time(t)),
                note: None,
                until: None,
            })?;
        }
        Ok(n)
    }

    /// `status`: where the exercise stands.
    pub fn status(&self) -> String {
        let est = &self.prep.estate;
        let st = self.state();
        let m = &st.m;
        let mut out = format!(
            "{}  {}, trial {} (seed {}), attacker {}, branch {}\n",
            fmt_time(st.now),
            est.name,
            self.cfg.trial,
            self.cfg.seed,
            est.profile.name,
            self.branch
        );
        out.push_str(&format!("  Controls: {}\n", self.controls_words()));
        out.push_str(&format!(
            "  The attack is {}\n",
            match st.ended {
                None => "under way".to_string(),
                Some(r) => format!("over: {}", Self::end_words(r, est.horizon_hours)),
            }
        ));
        let mut pillars: BTreeMap<usize, (Pillar, u32)> = BTreeMap::new();
        for (i, k) in AssetKind::ALL.iter().enumerate() {
            let c = m.by_kind.get(i).copied().unwrap_or(0);
            if c > 0 {
                let p = k.pillar();
                let idx = Pillar::ALL.iter().position(|x| *x == p).unwrap_or(0);
                pillars.entry(idx).or_insert((p, 0)).1 += c;
            }
        }
        let by: Vec<String> = pillars
            .values()
            .map(|(p, c)| format!("{} {c}", p.name()))
            .collect();
        out.push_str(&format!(
            "  Blast radius: {} asset(s){}\n",
            m.compromised,
            if by.is_empty() {
                String::new()
            } else {
                format!(" ({})", by.join(", "))
            }
        ));
        out.push_str(&format!(
            "  Alerts: {}{}\n",
            m.detections,
            m.first_detect_at
                .map(|t| format!(" (first at {})", fmt_time(t)))
                .unwrap_or_default()
        ));
        let contained: Vec<String> = st
            .contained
            .ones()
            .map(|n| narrate::label(est, n as NodeId))
            .collect();
        out.push_str(&format!(
            "  Contained: {}\n",
            if contained.is_empty() {
                "nothing".into()
            } else {
                contained.join(", ")
            }
        ));
        out.push_str(&format!("  Commands logged: {}\n", self.log.len()));
        if self.god {
            out.push_str(&format!(
                "  [god] Attack steps: {} attempted, {} succeeded; records exposed {}, exfiltrated {}; encrypted {}, backups destroyed {}\n",
                m.steps_attempted,
                m.steps_succeeded,
                m.records_exposed,
                m.records_exfiltrated,
                m.encrypted,
                m.backups_destroyed
            ));
            let jewels: Vec<String> = self
                .crown_jewels
                .iter()
                .filter(|&&n| st.ever.contains(n as usize))
                .map(|&n| narrate::label(est, n))
                .collect();
            out.push_str(&format!(
                "  [god] Crown jewels reached: {}\n",
                if jewels.is_empty() {
                    "none".into()
                } else {
                    format!(
                        "{} (first at {})",
                        jewels.join(", "),
                        m.crown_jewel_at.map(fmt_time).unwrap_or_default()
                    )
                }
            ));
            let mut held: Vec<NodeId> = st
                .touched
                .iter()
                .copied()
                .filter(|&n| {
                    st.bits[n as usize] != 0
                        && n != INTERNET
                        && est.node(n).virtual_kind.is_none()
                        && est.node(n).kind != AssetKind::Segment
                        && !st.contained.contains(n as usize)
                })
                .collect();
            held.sort_unstable();
            held.dedup();
            out.push_str("  [god] The attacker holds:\n");
            if held.is_empty() {
                out.push_str("    nothing\n");
            }
            for n in held {
                out.push_str(&format!(
                    "    {}: {}\n",
                    narrate::label(est, n),
                    narrate::bits_words(st.bits[n as usize])
                ));
            }
        }
        crate::report::terminal_safe(&out)
    }

    /// The control set in words, with the exercise's changes.
    pub fn controls_words(&self) -> String {
        let mut s = self.cfg.controls.clone();
        for (u, t) in &self.extra {
            s.push_str(&format!(" +{}", u.id));
            if let Some(sc) = &u.scope {
                s.push_str(&format!(" for {}", sc.ids.join(" ")));
            }
            s.push_str(&format!(" (at {})", fmt_time(*t)));
        }
        for (w, t) in &self.without {
            s.push_str(&format!(" -{w} (at {})", fmt_time(*t)));
        }
        s
    }

    /// `alerts`: every alert so far.
    pub fn alerts(&self) -> String {
        let est = &self.prep.estate;
        let st = self.state();
        let mut out = String::new();
        for j in &st.journal {
            if let Happening::Finished {
                edge,
                success,
                detected: true,
                ..
            } = j.what
            {
                out.push_str(
                    &Line {
                        t: j.t,
                        tag: Tag::Alert,
                        text: narrate::step_sentence(est, edge, success),
                    }
                    .render(),
                );
                out.push('\n');
            }
        }
        if out.is_empty() {
            out.push_str("No alerts so far.\n");
        }
        out
    }

    /// The observable trial state as JSON: clock, end, bits, containment, metrics, journal.
    pub fn state_json(&self) -> String {
        let est = &self.prep.estate;
        let st = self.state();
        let id = |n: usize| est.nodes[n].id.clone();
        let held: Vec<(String, u8)> = (0..st.bits.len())
            .filter(|&n| st.bits[n] != 0)
            .map(|n| (id(n), st.bits[n]))
            .collect();
        let tc = crate::techniques::TechniqueCatalog::builtin();
        let steps: Vec<serde_json::Value> = st
            .journal
            .iter()
            .filter_map(|j| match j.what {
                Happening::Finished {
                    edge,
                    success,
                    detected,
                    ..
                } => {
                    let e = &est.edges[edge as usize];
                    Some(serde_json::json!({
                        "t": j.t,
                        "technique": tc.get(e.tech).id,
                        "src": (e.src != crate::estate::NO_SOURCE).then(|| id(e.src as usize)),
                        "dst": id(e.dst as usize),
                        "success": success,
                        "detected": detected,
                    }))
                }
                _ => None,
            })
            .collect();
        let v = serde_json::json!({
            "now": st.now,
            "ended": st.ended.map(|r| r.name()),
            "bits": held,
            "contained": st.contained.ones().map(id).collect::<Vec<_>>(),
            "ever": st.ever.ones().map(id).collect::<Vec<_>>(),
            "live_owned": st.live_owned,
            "metrics": format!("{:?}", st.m),
            "journal": st.journal.iter().map(|j| format!("{j:?}")).collect::<Vec<_>>(),
            "plan": self.plan.set.controls.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            "steps": steps,
        });
        serde_json::to_string(&v).unwrap_or_default()
    }

    // ------------------------------------------------------------------ for the transcript

    /// Every log entry with its narration (full view), for the transcript.
    pub(crate) fn history(&self) -> Vec<(Entry, f64, Vec<Line>, Vec<Line>)> {
        (0..self.log.len())
            .map(|i| {
                let (before, after) = self.lines_split(i);
                (self.log[i].clone(), self.marks[i].applied, before, after)
            })
            .collect()
    }

    pub(crate) fn opening(&self) -> Vec<Line> {
        self.start_lines()
    }

    /// The current branch's name (`main` at the start).
    pub fn branch(&self) -> &str {
        &self.branch
    }

    pub(crate) fn set_config(&mut self, cfg: Config, profile_changed: bool) -> Result<()> {
        if profile_changed {
            match &cfg.profile {
                Some(p) => self.prep.set_profile(p)?,
                None => {
                    return Err(Error::Usage(
                        "cannot drop an attacker profile override within a session".into(),
                    ));
                }
            }
            self.crown_jewels = (0..self.prep.estate.nodes.len() as NodeId)
                .filter(|&n| self.prep.estate.node(n).crown_jewel)
                .collect();
        }
        self.cfg = cfg;
        self.rebuild()
    }
}

// ------------------------------------------------------------------ for the after-action report

impl Session {
    /// A fresh session on what this one plays (the scenario as loaded, before any `edit`;
    /// the same catalog, control set, profile, seed and trial), at the start, with an empty
    /// log and no branches: where the after-action report's counterfactuals replay logs
    /// ([`super::aar::counterfactuals`]). This session is left as it is.
    pub(crate) fn fresh(&self) -> Result<Session> {
        let scenario = self
            .unedited
            .clone()
            .unwrap_or_else(|| self.prep.loaded.scenario.clone());
        let world = crate::world::EstateWorld::from_scenario(&scenario);
        let estate = Arc::new(crate::estate::compile_world(
            &world,
            self.cfg.profile.as_deref(),
        ));
        let prep = Prepared {
            loaded: crate::scenario::LoadedScenario {
                scenario,
                origin: self.prep.loaded.origin.clone(),
                warnings: Vec::new(),
                source_hash: self.prep.loaded.source_hash,
            },
            world,
            estate,
            catalog: self.prep.catalog.clone(),
        };
        Session::new(prep, self.cfg.clone())
    }

    /// Switches the trial's random key: every draw from now on comes from `key` (a
    /// counterfactual future played on from a saved moment). The log does not record it.
    pub(crate) fn rekey(&mut self, key: crate::rng::TrialKey) {
        self.engine.rekey(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Compromised, Contained};

    #[test]
    fn the_trial_shows_on_the_estate_world_it_simulates_from() {
        let mut s = chain_session();
        // The attacker starts on ws-1; nothing else is held yet.
        assert!(held(&s, "ws-1") && !held(&s, "ws-5"));
        let r = s.execute("run until time 500");
        assert!(!r.error, "{}", r.text);
        // Every step of the chain is certain: by now ws-5 is taken, on the same entities.
        assert!(held(&s, "ws-5") && held(&s, "u-4"));
        let w = s.world();
        assert!(
            w.world
                .get::<Contained>(w.entity("ws-3").unwrap())
                .is_none()
        );
        // A rewind replays the log on a fresh trial: the mirror starts over.
        let r = s.execute("rewind 0");
        assert!(!r.error, "{}", r.text);
        assert!(held(&s, "ws-1") && !held(&s, "ws-5"));
    }

    fn chain_session() -> Session {
        let prep = Prepared::from_file(
            std::path::Path::new("tests/scenarios/chain.yaml"),
            &crate::limits::Limits::default(),
        )
        .expect("loads");
        let cfg = Config {
            scenario: "chain.yaml".into(),
            controls: "none".into(),
            profile: None,
            seed: 7,
            trial: 0,
        };
        Session::new(prep, cfg).expect("starts")
    }

    fn held(s: &Session, id: &str) -> bool {
        let w = s.world();
        w.entity(id)
            .is_some_and(|e| w.world.get::<Compromised>(e).is_some())
    }

    #[test]
    fn an_edit_mid_exercise_changes_the_estate_and_the_trial_goes_on() {
        let mut s = chain_session();
        let r = s.execute("step 2");
        assert!(!r.error, "{}", r.text);
        assert!(held(&s, "ws-1") && !held(&s, "ws-5"));
        let edges = s.estate().edges.len();
        // Cut the last hop, and add a crown jewel on ws-4 (reachable) mid-exercise.
        for cmd in [
            "edit remove-relation admin_to u-4 ws-5",
            "edit set ws-4 exploitable 0.5",
        ] {
            let r = s.execute(cmd);
            assert!(
                !r.error && r.text.contains("changed the estate"),
                "{}",
                r.text
            );
        }
        // Only the touched edges were recompiled: what was held is still held.
        assert!(held(&s, "ws-1"));
        assert!(s.estate().edges.len() >= edges && s.estate().dead.count_ones(..) > 0);
        let r = s.execute("run until time 5000");
        assert!(!r.error, "{}", r.text);
        assert!(
            held(&s, "u-4") && !held(&s, "ws-5"),
            "the cut hop stays cut"
        );
        // The edits are in the log and replay: a rewind before them restores the estate.
        let r = s.execute("rewind 0");
        assert!(!r.error, "{}", r.text);
        assert!(s.estate().dead.count_ones(..) == 0);
        s.execute("run until time 5000");
        assert!(held(&s, "ws-5"), "without the edit the chain completes");
        // A bad edit is refused with its reason and changes nothing.
        let r = s.execute("edit remove-asset ws-9");
        assert!(r.error && r.text.contains("no asset `ws-9`"), "{}", r.text);
        let r = s.execute("edit remove-relation admin_to u-1 nowhere");
        assert!(r.error, "{}", r.text);
    }
}
