//! Counterfactuals: what a key decision would have changed had the room taken it at the
//! first alert that named its target, rather than when it took effect.
//!
//! For a decision logged as entry `i` of the session's log and in effect at `t`, the
//! alternative time `t_alt` is the first alert (a detected attack step, see
//! [`crate::tabletop::map::statuses`]) before `t` that named the decision's target: the asset
//! itself, for an identity also a device where its session or a stored credential sits, for
//! a segment any asset in it; when no alert named it, the room's first alert before `t` (the
//! first moment the room could have known something was wrong). Then, for `k` in `0..branches`, three futures are played on a
//! fresh session from the same moment: the log is replayed up to `t_alt` (everything the
//! room did before then; the trial is exactly the played one so far), the engine is
//! re-keyed with `TrialKey::derived(seed, FUTURES_TAG, k)`, and
//!
//! - arm *earlier*: the decision is applied at `t_alt`, then every later log entry as played;
//! - arm *as played*: every later log entry as played, the decision at its own time;
//! - arm *never*: every later log entry as played except the decision.
//!
//! Each is played until the later of the played session's end and a day after `t_alt`
//! ([`WINDOW_HOURS`]; never past the horizon): the window a room cares about, not the
//! scenario's 30-day horizon, by which an unopposed attacker has usually won whatever the
//! room did. It records whether a crown jewel fell by then and the blast radius then. The three arms of one `k` share the key, so the same attempt has the same luck in
//! each (common random numbers) and their difference is measured pairwise. Everything is a
//! pure function of (session, decisions, branches, seed).

use super::Decision;
use crate::error::{Error, Result};
use crate::estate::{Estate, NodeId};
use crate::model::RelationKind;
use crate::rng::TrialKey;
use crate::sim::Happening;
use crate::stats::{MeanCi, PairedDiff, Proportion, mean_ci, paired_diff, wilson};
use crate::tabletop::command::{Command, Until, fmt_time};
use crate::tabletop::{Entry, Session, map, narrate};
use rayon::prelude::*;
use serde::Serialize;

/// The family tag of the futures' random streams: future `k` of master seed `s` draws from
/// `TrialKey::derived(s, FUTURES_TAG, k)`, apart from every batch trial's and estimator's.
pub const FUTURES_TAG: u64 = 0x5_0000_0000_0000;

/// The most futures one decision may ask for.
pub const MAX_BRANCHES: u32 = 100_000;

/// The futures run at least this long after the alternative time (hours).
pub const WINDOW_HOURS: f64 = 24.0;

/// One arm of a counterfactual over its futures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arm {
    /// Share of the futures in which a crown jewel fell, with its 95% Wilson interval.
    pub crown_jewel: Proportion,
    /// Assets compromised at the end of each future: mean with its 95% interval.
    pub blast_radius: MeanCi,
    /// Log entries that could not be applied in some future (a `run until time` whose
    /// time that future had already passed), summed over the futures.
    pub skipped_entries: u64,
}

/// The futures of one decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Futures {
    /// The alternative time: the first alert that named the target, in hours.
    pub alt_at: f64,
    /// That alert, in words.
    pub alert: String,
    /// Futures per arm.
    pub branches: u32,
    /// Until when each future is played (hours since the start).
    pub until: f64,
    /// The master seed of the futures' keys.
    pub seed: u64,
    /// The decision applied at `alt_at`.
    pub earlier: Arm,
    /// The log as played: the decision at its own time.
    pub as_played: Arm,
    /// The log without the decision.
    pub never: Arm,
    /// P(crown jewel) earlier − as played, paired over the futures (0/1 outcomes).
    pub diff: PairedDiff,
    /// P(crown jewel) as played − never: what the decision did when it was taken.
    pub diff_never: PairedDiff,
    /// The counterfactual in one sentence.
    pub sentence: String,
}

/// Whether a key decision got futures, and if not, why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No counterfactual: the reason, in words (`no earlier alert named ws-cfo-01`).
    Skipped(String),
    /// The futures.
    Computed(Box<Futures>),
}

/// The counterfactual of one key decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Counterfactual {
    /// The decision's index in [`super::AfterAction::decisions`].
    pub decision: usize,
    /// Who took it (the role's title).
    pub role: String,
    /// The seat that took it.
    pub seat: String,
    /// What it was (the canonical command).
    pub action: String,
    /// When it took effect, in hours.
    pub played_at: f64,
    /// Its futures, or why there are none.
    pub outcome: Outcome,
}

impl Counterfactual {
    /// The futures, when computed.
    pub fn futures(&self) -> Option<&Futures> {
        match &self.outcome {
            Outcome::Computed(f) => Some(f),
            Outcome::Skipped(_) => None,
        }
    }
}

/// The counterfactual of every key decision (`key: true`), in order: `branches` paired
/// futures per arm from seed `seed` (see the module docs). Pure: the same session,
/// decisions, branches and seed give the same numbers. Fails when `branches` is 0 or over
/// [`MAX_BRANCHES`], or when the session's log cannot be replayed.
pub fn counterfactuals(
    s: &Session,
    decisions: &[Decision],
    branches: u32,
    seed: u64,
) -> Result<Vec<Counterfactual>> {
    if branches == 0 || branches > MAX_BRANCHES {
        return Err(Error::Usage(format!(
            "counterfactuals need 1 to {MAX_BRANCHES} futures per decision, not {branches}"
        )));
    }
    let mut out = Vec::new();
    for (d, dec) in decisions.iter().enumerate().filter(|(_, d)| d.key) {
        let outcome = match setup(s, dec) {
            Err(why) => Outcome::Skipped(why),
            Ok(p) => {
                let f = play_futures(s, dec, &p, branches, seed)?;
                Outcome::Computed(Box::new(f))
            }
        };
        out.push(Counterfactual {
            decision: d,
            role: dec.role.clone(),
            seat: dec.seat.clone(),
            action: dec.action.clone(),
            played_at: dec
                .log_index
                .and_then(|i| s.log().get(i))
                .map_or(dec.effective_at, |e| e.at),
            outcome,
        });
    }
    Ok(out)
}

/// What the futures of one decision replay.
struct Setup {
    /// The decision's log entry, and it moved to the alternative time.
    index: usize,
    earlier: Entry,
    /// The alternative time and the alert behind it.
    alt_at: f64,
    alert: String,
    /// The log up to `alt_at`, clock commands capped there.
    prefix: Vec<Entry>,
    /// The log entries from `alt_at` on, by index.
    later: Vec<(usize, Entry)>,
    /// Until when the futures are played.
    until: f64,
}

/// Finds the decision's log entry, its target and the first alert naming it; `Err`: the
/// reason there is no counterfactual.
fn setup(s: &Session, d: &Decision) -> std::result::Result<Setup, String> {
    let Some(index) = d.log_index else {
        return Err("no effect on the attack to move".into());
    };
    let log = s.log();
    let Some(entry) = log.get(index) else {
        return Err(format!(
            "its log entry {index} is not in this branch's log ({} entries)",
            log.len()
        ));
    };
    let shown = entry.cmd.to_string();
    if shown != d.action.trim() {
        return Err(format!(
            "log entry {index} is `{shown}`, not `{}` (another branch?)",
            d.action
        ));
    }
    let est = s.estate();
    let (watched, words) = target(est, &entry.cmd)?;
    // The first alert that named the target; else the room's first alert, when the room
    // could first have known something was wrong (the decision then was a judgment call).
    let all = vec![true; watched.len()];
    let Some((alt_at, alert)) = first_alert(s, &watched, entry.at).or_else(|| {
        first_alert(s, &all, entry.at).map(|(t, a)| {
            (
                t,
                format!("the exercise's first alert (none named {words}): {a}"),
            )
        })
    }) else {
        return Err(format!(
            "no alert came before it took effect at {}",
            fmt_time(entry.at)
        ));
    };
    let prefix = log
        .iter()
        .filter(|e| e.at < alt_at)
        .map(|e| {
            let mut e = e.clone();
            if e.cmd.moves_clock() {
                e.until = Some(e.until.map_or(alt_at, |u| u.min(alt_at)));
            }
            e
        })
        .collect();
    let later = log
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at >= alt_at)
        .map(|(j, e)| (j, e.clone()))
        .collect();
    let earlier = Entry {
        at: alt_at,
        cmd: entry.cmd.clone(),
        note: None,
        until: None,
    };
    let until = s
        .now()
        .max(alt_at + WINDOW_HOURS)
        .min(s.estate().horizon_hours);
    Ok(Setup {
        index,
        earlier,
        until,
        alt_at,
        alert,
        prefix,
        later,
    })
}

/// The assets whose naming in an alert would have prompted the decision `cmd`, and them in
/// words; `Err`: the command acts on no asset.
fn target(est: &Estate, cmd: &Command) -> std::result::Result<(Vec<bool>, String), String> {
    let mut watched = vec![false; est.nodes.len()];
    let node = |id: &str| {
        est.index
            .get(id)
            .copied()
            .ok_or_else(|| format!("`{id}` is not in the estate"))
    };
    let words = match cmd {
        Command::Isolate(x) | Command::Disable(x) | Command::Reset(x) | Command::Revoke(x) => {
            let n = node(x)?;
            watched[n as usize] = true;
            if est.node(n).kind.is_identity() && holders(est, n, &mut watched) {
                format!("{x} or a device holding its credentials")
            } else {
                x.clone()
            }
        }
        Command::Block(x) => {
            let seg = est.node(node(x)?).segment;
            in_segment(est, seg, &mut watched);
            format!("an asset in the segment of {x}")
        }
        Command::Enable { control, scope } if !scope.is_empty() => {
            for id in scope {
                let n = node(id)?;
                if est.node(n).kind == crate::model::AssetKind::Segment {
                    in_segment(est, n, &mut watched);
                }
                watched[n as usize] = true;
            }
            format!("{} (the scope of {control})", scope.join(", "))
        }
        Command::Enable { control, .. } => {
            return Err(format!("`enable {control}` names no asset an alert could"));
        }
        other => return Err(format!("`{other}` is not a defender action on an asset")),
    };
    Ok((watched, words))
}

/// Marks the devices where identity `n`'s session or a stored credential of it sits;
/// returns whether there is any.
fn holders(est: &Estate, n: NodeId, watched: &mut [bool]) -> bool {
    let mut any = false;
    for e in est.relations.edge_indices() {
        if !matches!(
            est.relations[e],
            RelationKind::HasSession | RelationKind::Stores
        ) {
            continue;
        }
        if let Some((a, b)) = est.relations.edge_endpoints(e)
            && est.relations[b] == n
        {
            let from = est.relations[a];
            if est.node(from).kind.is_device() {
                watched[from as usize] = true;
                any = true;
            }
        }
    }
    any
}

/// Marks segment `seg` and every asset placed in it.
fn in_segment(est: &Estate, seg: NodeId, watched: &mut [bool]) {
    for (i, node) in est.nodes.iter().enumerate() {
        if node.segment == seg || i == seg as usize {
            watched[i] = true;
        }
    }
}

/// The first alert of the played trial before `before` that named a watched asset: its
/// time and its sentence.
fn first_alert(s: &Session, watched: &[bool], before: f64) -> Option<(f64, String)> {
    let est = s.estate();
    s.state()
        .journal
        .iter()
        .take_while(|j| j.t < before)
        .find_map(|j| match j.what {
            Happening::Finished {
                edge,
                success,
                detected: true,
                ..
            } if map::alert_names(est, edge, success).any(|n| watched[n as usize]) => {
                Some((j.t, narrate::step_sentence(est, edge, success)))
            }
            _ => None,
        })
}

/// Which future an arm plays.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    Earlier,
    AsPlayed,
    Never,
}

/// One future's result: crown jewel reached, blast radius, entries skipped.
type Ending = (bool, u32, u64);

/// Plays the three arms of every future, in parallel over the futures; the result is in
/// the futures' order, so it does not depend on the threads.
fn play_futures(s: &Session, d: &Decision, p: &Setup, branches: u32, seed: u64) -> Result<Futures> {
    let endings: Vec<[Ending; 3]> = (0..branches)
        .into_par_iter()
        // Each piece of work builds its own session first: not too many pieces.
        .with_min_len(4)
        .map_init(
            || s.fresh(),
            |fork, k| {
                let fork = fork.as_mut().map_err(|e| Error::Usage(e.to_string()))?;
                let key = TrialKey::derived(seed, FUTURES_TAG, k as u64);
                Ok([
                    future(fork, p, key, Which::Earlier)?,
                    future(fork, p, key, Which::AsPlayed)?,
                    future(fork, p, key, Which::Never)?,
                ])
            },
        )
        .collect::<Result<_>>()?;
    let arm = |w: usize| {
        let hits = endings.iter().filter(|e| e[w].0).count() as u64;
        let blast: Vec<f64> = endings.iter().map(|e| e[w].1 as f64).collect();
        Arm {
            crown_jewel: wilson(hits, branches as u64),
            blast_radius: mean_ci(&blast),
            skipped_entries: endings.iter().map(|e| e[w].2).sum(),
        }
    };
    let hit = |w: usize| -> Vec<f64> {
        endings
            .iter()
            .map(|e| if e[w].0 { 1.0 } else { 0.0 })
            .collect()
    };
    let (earlier, as_played, never) = (arm(0), arm(1), arm(2));
    let sentence = sentence(s, d, p, &earlier, &as_played, branches);
    Ok(Futures {
        alt_at: p.alt_at,
        alert: p.alert.clone(),
        branches,
        until: p.until,
        seed,
        diff: paired_diff(&hit(1), &hit(0)),
        diff_never: paired_diff(&hit(2), &hit(1)),
        earlier,
        as_played,
        never,
        sentence,
    })
}

/// One future of one arm on `fork`: the prefix replayed, the clock moved to the
/// alternative time, the key switched, the arm's entries applied, the clock run to the
/// horizon.
fn future(fork: &mut Session, p: &Setup, key: TrialKey, which: Which) -> Result<Ending> {
    let replay = |m: String| Error::Usage(format!("counterfactual replay: {m}"));
    fork.replay(p.prefix.clone()).map_err(replay)?;
    fork.apply(clock_to(p.alt_at)).map_err(replay)?;
    fork.rekey(key);
    let mut skipped = 0;
    if which == Which::Earlier {
        skipped += fork.apply(p.earlier.clone()).is_err() as u64;
    }
    for (j, e) in &p.later {
        if *j == p.index && which != Which::AsPlayed {
            continue;
        }
        skipped += fork.apply(e.clone()).is_err() as u64;
    }
    if fork.now() < p.until {
        skipped += fork.apply(clock_to(p.until)).is_err() as u64;
    }
    let est = fork.estate();
    let st = fork.state();
    let jewel = (0..est.nodes.len()).any(|n| est.nodes[n].crown_jewel && st.ever.contains(n));
    Ok((jewel, st.m.compromised, skipped))
}

/// A log entry that only moves the clock to `t`.
fn clock_to(t: f64) -> Entry {
    Entry {
        at: t,
        cmd: Command::Run(Until::Time(t)),
        note: None,
        until: None,
    }
}

/// A percentage with no decimals: `12%`.
pub(crate) fn pct(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// `12% [8%, 17%]`.
pub(crate) fn pct_ci(p: &Proportion) -> String {
    format!(
        "{} [{}, {}]",
        pct(p.probability),
        pct(p.ci95[0]),
        pct(p.ci95[1])
    )
}

/// The decision in the past tense: `isolated ws-cfo-01`.
pub(crate) fn past_tense(cmd: &Command) -> String {
    match cmd {
        Command::Isolate(x) => format!("isolated {x}"),
        Command::Disable(x) => format!("disabled {x}"),
        Command::Reset(x) => format!("reset the credentials of {x}"),
        Command::Revoke(x) => format!("revoked the sessions of {x}"),
        Command::Block(x) => format!("cut off the segment of {x}"),
        Command::Enable { control, scope } if scope.is_empty() => format!("enabled {control}"),
        Command::Enable { control, scope } => {
            format!("enabled {control} for {}", scope.join(", "))
        }
        other => format!("run `{other}`"),
    }
}

/// "Had IT isolated ws-cfo-01 at T+02:10 instead of T+03:40, P(crown jewel) would have
/// been 12% [8%, 17%] instead of 64% [57%, 70%] (200 paired futures from the state at
/// T+02:10)."
fn sentence(s: &Session, d: &Decision, p: &Setup, earlier: &Arm, played: &Arm, n: u32) -> String {
    let who = if d.role.trim().is_empty() {
        "the defenders"
    } else {
        d.role.trim()
    };
    let e = &s.log()[p.index];
    let change = if earlier.crown_jewel.successes == played.crown_jewel.successes {
        format!("the same, {}", pct_ci(&earlier.crown_jewel))
    } else {
        format!(
            "{} instead of {}",
            pct_ci(&earlier.crown_jewel),
            pct_ci(&played.crown_jewel)
        )
    };
    format!(
        "Had {who} {} at {} instead of {}, P(crown jewel by {}) would have been {change} ({n} paired futures from the state at {}).",
        past_tense(&e.cmd),
        fmt_time(p.alt_at),
        fmt_time(e.at),
        fmt_time(p.until),
        fmt_time(p.alt_at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabletop::aar::testkit::chain;

    fn decision(action: &str, log_index: Option<usize>, s: &Session) -> Decision {
        let at = log_index.and_then(|i| s.log().get(i)).map_or(0.0, |e| e.at);
        Decision {
            at,
            effective_at: at,
            seat: "it-1".into(),
            role: "IT".into(),
            action: action.into(),
            log_index,
            points: 0,
            key: true,
        }
    }

    #[test]
    fn isolating_at_the_first_alert_saves_the_crown_jewel_in_every_future() {
        // The chain completes long before T+500; ws-3 is isolated only then.
        let s = chain(&["run until time 500", "isolate ws-3"]);
        assert!(s.state().m.crown_jewel_at.is_some(), "the jewel fell");
        let d = [decision("isolate ws-3", Some(1), &s)];
        let cf = counterfactuals(&s, &d, 20, 3).expect("computes");
        assert_eq!(cf.len(), 1);
        let f = cf[0].futures().expect("futures");
        // The first alert naming ws-3: the attacker's first move onto it.
        let first = first_alert(&s, &target(s.estate(), &s.log()[1].cmd).unwrap().0, 500.0);
        assert_eq!(Some(f.alt_at), first.map(|a| a.0));
        assert!(f.alt_at < 20.0 && f.alert.contains("ws-3"), "{}", f.alert);
        // Exact: isolated then, the chain is cut in every future; as played, never.
        assert_eq!(f.earlier.crown_jewel.successes, 0);
        assert_eq!(f.as_played.crown_jewel.successes, 20);
        assert_eq!(f.never.crown_jewel.successes, 20);
        assert_eq!(f.diff.mean, -1.0);
        assert!(f.diff.significant && f.diff.ci95 == [-1.0, -1.0]);
        assert_eq!(f.diff_never.mean, 0.0);
        assert!(f.earlier.blast_radius.mean < f.as_played.blast_radius.mean);
        assert_eq!(f.earlier.skipped_entries + f.as_played.skipped_entries, 0);
        assert_eq!(
            f.sentence,
            format!(
                "Had IT isolated ws-3 at {} instead of T+500:00, P(crown jewel by T+500:00) would have been 0% [0%, 16%] instead of 100% [84%, 100%] (20 paired futures from the state at {}).",
                fmt_time(f.alt_at),
                fmt_time(f.alt_at)
            )
        );
        // Pure: the same inputs give the same numbers; another seed other futures.
        assert_eq!(cf, counterfactuals(&s, &d, 20, 3).expect("again"));
    }

    #[test]
    fn the_futures_start_from_the_played_state() {
        // A future re-keyed at the alert's time is the played trial up to then.
        let s = chain(&["run until time 500", "isolate ws-3"]);
        let d = decision("isolate ws-3", Some(1), &s);
        let p = setup(&s, &d).expect("a setup");
        let mut fork = s.fresh().expect("forks");
        fork.replay(p.prefix.clone()).expect("replays");
        fork.apply(clock_to(p.alt_at)).expect("moves");
        let n = fork.state().journal.len();
        assert_eq!(format!("{:?}", fork.state().journal), {
            let j = &s.state().journal[..n];
            format!("{j:?}")
        });
        assert!(s.state().journal[n..].iter().all(|j| j.t > p.alt_at));
    }

    #[test]
    fn decisions_without_an_earlier_alert_or_a_target_are_skipped_with_the_reason() {
        // ws-4 isolated before the attacker gets near it: no alert ever names it.
        let s = chain(&["step 1h", "isolate ws-4", "run until time 100", "note done"]);
        let mut ds = vec![
            decision("isolate ws-4", Some(1), &s),
            decision("decide pay", None, &s),
            decision("note done", Some(3), &s),
            decision("isolate ws-4", Some(9), &s),
            decision("isolate ws-2", Some(1), &s),
        ];
        ds.push(Decision {
            key: false,
            ..ds[0].clone()
        });
        let cf = counterfactuals(&s, &ds, 5, 1).expect("computes");
        let why: Vec<String> = cf
            .iter()
            .map(|c| match &c.outcome {
                Outcome::Skipped(w) => w.clone(),
                Outcome::Computed(_) => "computed".into(),
            })
            .collect();
        assert_eq!(
            why,
            [
                "no alert came before it took effect at T+01:00",
                "no effect on the attack to move",
                "`note done` is not a defender action on an asset",
                "its log entry 9 is not in this branch's log (4 entries)",
                "log entry 1 is `isolate ws-4`, not `isolate ws-2` (another branch?)",
            ]
        );
        assert!(counterfactuals(&s, &ds, 0, 1).is_err());
    }

    #[test]
    fn with_no_alert_naming_the_target_the_futures_start_at_the_first_alert() {
        // No alert ever names the finance share: the room's first alert is the moment.
        let s = chain(&["run until detection", "step 30m", "isolate fs-fin"]);
        let first = s
            .state()
            .journal
            .iter()
            .find(|j| matches!(j.what, Happening::Finished { detected: true, .. }))
            .map(|j| j.t)
            .expect("an alert");
        let d = decision("isolate fs-fin", Some(2), &s);
        let cf = counterfactuals(&s, &[d], 4, 1).expect("computes");
        let f = cf[0].futures().expect("computed, not skipped");
        assert_eq!(f.alt_at, first);
        assert!(
            f.alert
                .starts_with("the exercise's first alert (none named fs-fin): "),
            "{}",
            f.alert
        );
    }

    #[test]
    fn an_identity_is_watched_with_the_devices_holding_its_credentials() {
        let s = chain(&[]);
        let est = s.estate();
        let (w, words) = target(est, &Command::Reset("u-3".into())).expect("a target");
        let on: Vec<&str> = (0..w.len())
            .filter(|&i| w[i])
            .map(|i| est.nodes[i].id.as_str())
            .collect();
        assert!(
            on.contains(&"u-3") && on.contains(&"ws-3") && on.len() == 2,
            "{on:?}"
        );
        assert_eq!(words, "u-3 or a device holding its credentials");
        let (w, _) = target(est, &Command::Block("ws-1".into())).expect("a segment");
        assert!(w[est.index["ws-5"] as usize] && !w[est.index["u-1"] as usize]);
    }
}
