//! The attack-and-defend step logic the ECS systems call: starting a trial, dispatching the
//! attacker's next steps, resolving events in time order, containment, and the end test.
//! Pure computation on (estate, plan, trial key, state): no I/O, no clock, no global RNG.

use super::state::{EndReason, Event, EventKind, Happening, JournalEntry, TrialState};
use crate::controls::ResponseAction;
use crate::estate::{AttackEdge, Estate, INTERNET, NO_SOURCE, NodeId, bits, flags};
use crate::plan::ControlPlan;
use crate::rng::{TrialKey, purpose};
use crate::scenario::Strategy;
use crate::techniques::TimeDist;
use rand_distr::{Distribution, LogNormal};
use std::cmp::Reverse;

/// No attack edge: bits given at the start or by an inject.
pub const NO_EDGE: u32 = u32::MAX;

/// What the step functions read: the estate, the plan, and the trial's key.
pub struct Ctx<'a> {
    /// The compiled estate.
    pub est: &'a Estate,
    /// The control plan in force.
    pub plan: &'a ControlPlan,
    /// The trial's key, for every random draw.
    pub key: TrialKey,
    /// Every step with p > 0 succeeds at once and unseen: the attacker's best case, used
    /// to find what can be reached at all.
    pub certain: bool,
}

/// Maps a float to a u32 with the same order (negative numbers included).
fn ord_f32(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

impl Ctx<'_> {
    /// The attacker's preference for a step: lower goes first. The strategy gives the
    /// score, noise aversion adds the step's detection risk, and a random draw breaks ties
    /// (a pure function of the trial key, so the order is the same in every control set).
    fn priority(&self, e: u32, try_no: u8) -> u64 {
        let r = self.key.bits(e as u64, try_no as u64, purpose::PRIORITY);
        let score = crate::plan::static_score(self.est, self.plan, e as usize);
        if score == 0.0 {
            return r;
        }
        ((ord_f32(score as f32) as u64) << 32) | (r >> 32)
    }

    /// Hours one try of edge `e` takes.
    fn duration(&self, e: u32, try_no: u8) -> f64 {
        let edge = &self.est.edges[e as usize];
        let mean = edge.mean_hours as f64 * self.est.profile.speed;
        if self.certain || mean <= 0.0 {
            return 0.0;
        }
        match edge.dist {
            TimeDist::Exponential => {
                self.key
                    .exponential(mean, e as u64, try_no as u64, purpose::DURATION)
            }
            TimeDist::Lognormal => {
                let sigma = (edge.sigma as f64).max(1e-6);
                let mu = mean.ln() - sigma * sigma / 2.0;
                let mut rng = self.key.stream(e as u64, try_no as u64, purpose::DURATION);
                LogNormal::new(mu, sigma)
                    .map(|d| d.sample(&mut rng))
                    .unwrap_or(mean)
            }
        }
    }

    /// Success probability of edge `e` now: requests from a compliant device the attacker
    /// holds may meet a different policy decision.
    fn p(&self, st: &TrialState, e: usize) -> f32 {
        if st.compliant_live > 0 {
            self.plan.p_compliant[e]
        } else {
            self.plan.p[e]
        }
    }
}

pub(crate) fn journal(st: &mut TrialState, what: Happening) {
    if st.journaling {
        st.journal.push(JournalEntry { t: st.now, what });
    }
}

pub(crate) fn schedule(st: &mut TrialState, t: f64, kind: EventKind, a: u32, b: u32) {
    st.seq += 1;
    st.events.push(Event {
        t,
        seq: st.seq,
        kind,
        a,
        b,
    });
}

/// Puts the attacker at its starting positions: the internet, plus any start assets.
pub fn start(cx: &Ctx, st: &mut TrialState) {
    grant(cx, st, INTERNET, bits::ACCESS, NO_EDGE);
    for &(n, b) in &cx.est.start {
        grant(cx, st, n, b, NO_EDGE);
    }
    // An insider begins as one ordinary user, signed in at its own device.
    // The reachability analysis (certain) starts from every insider a trial could be.
    let pool = &cx.est.insider_pool;
    let picks = if pool.is_empty() {
        0..0
    } else if cx.certain {
        0..pool.len()
    } else {
        let pick = (cx.key.bits(u64::MAX, 0, purpose::PRIORITY) % pool.len() as u64) as usize;
        pick..pick + 1
    };
    for (ident, devices) in &pool[picks] {
        grant(cx, st, *ident, bits::PASSWORD | bits::SIGNED_IN, NO_EDGE);
        for &d in devices {
            grant(cx, st, d, bits::ACCESS, NO_EDGE);
        }
    }
    // Network edges into segments with internet-exposed assets may be reachable already.
    for &e in &cx.est.exposed_net_edges {
        push_edge(cx, st, e);
    }
    drain_free(cx, st);
}

/// Frontier items: a single edge (retries, network edges, edges woken from a wait), or a
/// *stream* over one node's attack steps that require the same bits. Streams keep a trial's
/// cost proportional to the steps it attempts, not to the fan-out of what it holds: the
/// internet "holds" an edge to every phishable user, and a stream offers them one at a time.
const STREAM: u64 = 1 << 32;

fn is_random(cx: &Ctx) -> bool {
    cx.est.profile.strategy == Strategy::Random && cx.est.profile.noise_aversion == 0.0
}

/// Key of a single edge: for the random strategy an exponential clock of rate 1 on the
/// virtual time `tau` (competing clocks pick uniformly among everything offered), except
/// that a discovery step goes first (intruders look around as soon as they land); for the
/// others the strategy's score (where discovery also ranks first, `plan::static_score`).
fn edge_key(cx: &Ctx, st: &TrialState, e: u32, try_no: u8) -> u64 {
    if cx.certain {
        // Everything offered is tried and succeeds: the order cannot change the outcome.
        0
    } else if is_random(cx) && cx.est.edges[e as usize].has(flags::SCAN) {
        st.tau.to_bits()
    } else if is_random(cx) {
        (st.tau
            + cx.key
                .exponential(1.0, e as u64, try_no as u64, purpose::PRIORITY))
        .to_bits()
    } else {
        cx.priority(e, try_no)
    }
}

/// Puts a frontier item on offer. The reachability analysis keeps a plain stack: when every
/// step is tried and succeeds the order cannot change what is reached, and a heap of
/// millions of items would cost a third of loading a 1,000,000-asset estate.
fn offer(cx: &Ctx, st: &mut TrialState, key: u64, item: u64) {
    if cx.certain {
        st.unordered.push(item);
    } else {
        st.frontier.push(Reverse((key, item)));
    }
}

fn push_edge(cx: &Ctx, st: &mut TrialState, e: u32) {
    if cx.est.edges[e as usize].has(flags::FREE) {
        st.free_queue.push(e);
    } else {
        let key = edge_key(cx, st, e, st.tries[e as usize]);
        offer(cx, st, key, e as u64);
    }
}

/// The edge at position `pos` of stream `s`: a per-trial pseudo-random permutation of its
/// edges for the random strategy (the same in every control set), the plan's order by score
/// otherwise.
fn stream_edge(cx: &Ctx, st: &TrialState, s: u32, pos: u32) -> u32 {
    let r = &cx.est.streams[s as usize];
    if is_random(cx) {
        let (a, b) = st.perm[s as usize];
        r.start + ((a as u64 * pos as u64 + b as u64) % r.len() as u64) as u32
    } else {
        cx.plan.order[(r.start + pos) as usize]
    }
}

/// Offers (again) every edge of stream `s`: its source just came to hold bits it requires.
fn offer_stream(cx: &Ctx, st: &mut TrialState, s: u32) {
    let si = s as usize;
    st.cursor[si] = 0;
    if !st.stream_seen.put(si) {
        st.touched_streams.push(s);
    }
    if st.streaming.put(si) {
        return;
    }
    if is_random(cx) && st.perm[si] == (0, 0) {
        let d = cx.est.streams[si].len() as u64;
        let h = cx.key.bits(s as u64 | STREAM, 0, purpose::PRIORITY);
        // An affine map i -> a*i + b (mod d) with a coprime to d is a permutation.
        let mut a = 1 + h % d.max(1);
        while gcd(a, d) != 1 {
            a += 1;
        }
        st.perm[si] = (a as u32, ((h >> 32) % d.max(1)) as u32);
    }
    let key = stream_key(cx, st, s);
    offer(cx, st, key, STREAM | s as u64);
}

/// Offers the streams of `n` that bits `gained` enable (`old`: what it held before).
fn offer_enabled(cx: &Ctx, st: &mut TrialState, n: NodeId, old: u8, gained: u8) {
    for s in cx.est.node_streams(n) {
        let req = cx.est.streams[s].requires;
        if req & gained != 0 && req & old == 0 {
            offer_stream(cx, st, s as u32);
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Key of a stream: for the random strategy an exponential clock whose rate is the number
/// of edges left (so each edge is as likely as any single edge); otherwise the score of
/// the edge at the cursor (corrected when popped if that edge turns out unusable).
fn stream_key(cx: &Ctx, st: &TrialState, s: u32) -> u64 {
    let pos = st.cursor[s as usize];
    if cx.certain {
        0
    } else if is_random(cx) && cx.est.edges[stream_edge(cx, st, s, pos) as usize].has(flags::SCAN) {
        // A stream of discovery steps (a directory listing): first, as for single edges.
        st.tau.to_bits()
    } else if is_random(cx) {
        let left = (cx.est.streams[s as usize].len() - pos).max(1) as f64;
        (st.tau
            + cx.key
                .exponential(1.0, s as u64 | STREAM, pos as u64, purpose::PRIORITY)
                / left)
            .to_bits()
    } else {
        let e = stream_edge(cx, st, s, pos);
        cx.priority(e, st.tries[e as usize])
    }
}

/// Whether step `e` of a stream whose source is live (holds a bit the stream requires and
/// is not contained) could be started now, network aside: what [`effective_grant`] and the
/// plan say, from the packed target alone (stream edges never copy bits).
fn open_step(cx: &Ctx, st: &TrialState, e: usize, max_tries: u8) -> bool {
    let t = cx.est.targets[e];
    // A step that grants no bits is a discovery step: open until its target is swept.
    let adds = if t.grants == 0 {
        !st.scanned.contains(t.dst as usize)
    } else {
        st.bits[t.dst as usize] & t.grants != t.grants
    };
    !st.contained.contains(t.dst as usize)
        && adds
        && st.tries[e] < max_tries
        && cx.plan.p[e].max(cx.plan.p_compliant[e]) > 0.0
}

/// Takes the next item the attacker wants: an edge to try, or None when nothing is left.
pub(crate) fn next_edge(cx: &Ctx, st: &mut TrialState, max_tries: u8) -> Option<u32> {
    loop {
        let Reverse((key, item)) = if cx.certain {
            Reverse((0, st.unordered.pop()?))
        } else {
            st.frontier.pop()?
        };
        if item & STREAM == 0 {
            st.m.edges_examined += 1;
        }
        if is_random(cx) {
            st.tau = st.tau.max(f64::from_bits(key));
        }
        if item & STREAM == 0 {
            return Some(item as u32);
        }
        let s = item as u32;
        let si = s as usize;
        let stream = &cx.est.streams[si];
        let src = stream.src as usize;
        if st.bits[src] & stream.requires == 0
            || stream.src != INTERNET && st.contained.contains(src)
        {
            // The source lost what the stream needs: it is offered again if it regains it.
            st.streaming.set(si, false);
            continue;
        }
        let d = stream.len();
        // Skip what cannot be used: the kernel-like part of the loop, a few checks an edge.
        while st.cursor[si] < d
            && !open_step(
                cx,
                st,
                stream_edge(cx, st, s, st.cursor[si]) as usize,
                max_tries,
            )
        {
            st.cursor[si] += 1;
            st.m.edges_examined += 1;
        }
        if st.cursor[si] >= d {
            st.streaming.set(si, false);
            continue;
        }
        let e = stream_edge(cx, st, s, st.cursor[si]);
        if !is_random(cx) && !cx.certain {
            let k = cx.priority(e, st.tries[e as usize]);
            if k > key {
                // The edge we ranked it by was skipped: re-rank honestly.
                st.frontier.push(Reverse((k, item)));
                continue;
            }
        }
        st.cursor[si] += 1;
        st.m.edges_examined += 1;
        if st.cursor[si] < d {
            let k = stream_key(cx, st, s);
            offer(cx, st, k, item);
        } else {
            st.streaming.set(si, false);
        }
        return Some(e);
    }
}

pub(crate) fn drain_free(cx: &Ctx, st: &mut TrialState) {
    while let Some(e) = st.free_queue.pop() {
        st.m.edges_examined += 1;
        let edge = cx.est.edges[e as usize];
        if let Some(g) = effective_grant(st, &edge)
            && cx.plan.p[e as usize] > 0.0
        {
            journal(st, Happening::Free { edge: e });
            st.won.push(e);
            grant(cx, st, edge.dst, g, e);
        }
    }
}

fn source_lost(st: &TrialState, edge: &AttackEdge) -> bool {
    edge.src != NO_SOURCE && st.bits[edge.src as usize] & edge.requires == 0
}

/// The bits an edge would add now, or None if it cannot be used or adds nothing.
fn effective_grant(st: &TrialState, edge: &AttackEdge) -> Option<u8> {
    if st.contained.contains(edge.dst as usize) {
        return None;
    }
    // Network edges need nothing on a source: only the network path, checked apart.
    let have = if edge.src == NO_SOURCE {
        edge.requires
    } else {
        if edge.src != INTERNET && st.contained.contains(edge.src as usize) {
            return None;
        }
        let have = st.bits[edge.src as usize] & edge.requires;
        if have == 0 {
            return None;
        }
        have
    };
    if edge.has(flags::SCAN) {
        return (!st.scanned.contains(edge.dst as usize)).then_some(0);
    }
    let g = if edge.has(flags::COPY) {
        have
    } else {
        edge.grants
    };
    if st.bits[edge.dst as usize] & g == g {
        None
    } else {
        Some(g)
    }
}

fn reachable(cx: &Ctx, st: &TrialState, edge: &AttackEdge) -> bool {
    crate::plan::step_reaches(cx.est, cx.plan, edge, &st.reach_now, &st.reach_allowed_now)
}

/// Whether the time budget of the attacker's profile is spent: it starts nothing more.
pub(crate) fn out_of_time(cx: &Ctx, st: &TrialState) -> bool {
    !cx.certain
        && cx
            .est
            .profile
            .time_budget_hours
            .is_some_and(|b| st.now >= b)
}

/// Starts as many attack steps as the attacker has free hands for.
pub fn dispatch(cx: &Ctx, st: &mut TrialState) {
    let par = cx.est.profile.parallelism;
    let max_tries = cx.est.profile.max_tries.min(255) as u8;
    if out_of_time(cx, st) {
        return;
    }
    while par == 0 || st.in_flight < par {
        let Some(e) = next_edge(cx, st, max_tries) else {
            break;
        };
        if usable(cx, st, e) {
            start_step(cx, st, e);
        }
    }
}

/// Whether the frontier item `e` can be started now. If not, it is dropped, or set aside
/// where it waits for what it lacks: more tries (a new foothold), the target's discovery,
/// or a network path.
pub(crate) fn usable(cx: &Ctx, st: &mut TrialState, e: u32) -> bool {
    let ei = e as usize;
    let edge = cx.est.edges[ei];
    let p = cx.plan.p[ei].max(cx.plan.p_compliant[ei]);
    if p <= 0.0 || effective_grant(st, &edge).is_none() {
        return false;
    }
    if st.tries[ei] >= tries_allowed(cx, st, ei) {
        spend(cx, st, e);
        return false;
    }
    if edge.proto != 0 && !knows(cx, st, edge.at) {
        // The attacker has not seen the target yet: the step waits for its discovery.
        wait_for(cx, st, e, edge.at);
        return false;
    }
    if edge.proto != 0 && !reachable(cx, st, &edge) {
        let seg = cx.est.node(edge.at).net;
        st.touch_segment(seg);
        st.parked[seg as usize].push(e);
        return false;
    }
    true
}

/// Starts a try of the usable step `e` now: its cost, and its end as an event.
pub(crate) fn start_step(cx: &Ctx, st: &mut TrialState, e: u32) {
    let ei = e as usize;
    let edge = cx.est.edges[ei];
    if st.tries[ei] == 0 {
        st.touched_edges.push(e);
    }
    st.tries[ei] += 1;
    let try_no = st.tries[ei];
    st.m.steps_attempted += 1;
    st.m.tech_attempts[edge.tech as usize] += 1;
    st.m.cost += cx
        .est
        .tech_cost
        .get(edge.tech as usize)
        .copied()
        .unwrap_or(0.0) as f64;
    let ends = st.now + cx.duration(e, try_no);
    schedule(st, ends, EventKind::Attempt, e, try_no as u32);
    st.in_flight += 1;
    journal(
        st,
        Happening::Started {
            edge: e,
            try_no,
            ends,
        },
    );
}

/// Processes every event due up to `until` (inclusive), in time order, letting the attacker
/// start new steps as hands free up. Stops early after `max_actions` finished attack steps.
/// Returns the number of attack steps finished.
pub fn advance(cx: &Ctx, st: &mut TrialState, until: f64, max_actions: Option<u32>) -> u32 {
    let until = if cx.certain {
        until
    } else {
        until.min(cx.est.horizon_hours)
    };
    let mut done = 0;
    if st.halt.is_some_and(|h| h.met(st)) {
        st.halted = true;
        return done;
    }
    dispatch(cx, st);
    while st.ended.is_none() {
        let Some(ev) = st.events.peek() else { break };
        if ev.t > until {
            break;
        }
        done += resolve_next(cx, st) as u32;
        if cx.certain && st.stop_at_watch && st.m.watch_at.is_some() {
            break;
        }
        if st.halt.is_some_and(|h| h.met(st)) {
            // Paused mid-trial: resumed later (the next `advance` dispatches first), so
            // the end test waits too.
            st.halted = true;
            return done;
        }
        // The reachability analysis (certain) explores everything: stopping at the first
        // objective would hide the others.
        if objective_end(cx, st) {
            break;
        }
        dispatch(cx, st);
        if max_actions.is_some_and(|m| done >= m) {
            return done;
        }
    }
    if st.ended.is_none() && until.is_finite() {
        st.now = st.now.max(until);
    }
    check_end(cx, st);
    done
}

/// Resolves the earliest scheduled event (the clock moves to it), then the FREE edges it
/// enabled; returns whether it was an attack step finishing.
pub(crate) fn resolve_next(cx: &Ctx, st: &mut TrialState) -> bool {
    let Some(ev) = st.events.pop() else {
        return false;
    };
    st.now = st.now.max(ev.t);
    let finished = match ev.kind {
        EventKind::Attempt => {
            finish_attempt(cx, st, ev.a, ev.b as u8);
            true
        }
        EventKind::Contain => {
            contain(cx, st, ev.a);
            false
        }
        EventKind::Revoke => {
            revoke(cx, st, ev.a);
            false
        }
        EventKind::BlockSegment => {
            block_segment(cx, st, ev.a);
            false
        }
        EventKind::Evict => {
            super::evict::evict(cx, st);
            false
        }
    };
    drain_free(cx, st);
    finished
}

/// Ends the trial if the attacker reached an objective and its profile stops there. The
/// reachability analysis (certain) explores everything: stopping at the first objective
/// would hide the others.
pub(crate) fn objective_end(cx: &Ctx, st: &mut TrialState) -> bool {
    if !cx.certain && cx.est.profile.stop_at_objective && st.m.objectives_reached > 0 {
        st.ended = Some(EndReason::Objective);
        return true;
    }
    false
}

/// Ends the trial when the clock hit the horizon or the attacker has nothing left to do.
pub fn check_end(cx: &Ctx, st: &mut TrialState) {
    if st.ended.is_some() {
        return;
    }
    if st.events.is_empty() {
        // Nothing in flight: dispatch already drained every startable step.
        st.ended = Some(if st.live_owned == 0 && st.m.contained_at.is_some() {
            EndReason::Contained
        } else {
            EndReason::Exhausted
        });
    } else if !cx.certain && st.now >= cx.est.horizon_hours {
        st.ended = Some(EndReason::Horizon);
    }
}

fn finish_attempt(cx: &Ctx, st: &mut TrialState, e: u32, try_no: u8) {
    st.in_flight -= 1;
    let ei = e as usize;
    let edge = cx.est.edges[ei];
    let src_gone =
        edge.src != NO_SOURCE && edge.src != INTERNET && st.contained.contains(edge.src as usize);
    // The step can no longer complete if its source or target was contained, or the
    // source lost what it needed (a revoked token) while the step was under way.
    if src_gone
        || st.contained.contains(edge.dst as usize)
        || !edge.has(flags::COPY) && source_lost(st, &edge)
    {
        journal(st, Happening::Aborted { edge: e });
        return;
    }
    let (w, t) = (e as u64, try_no as u64);
    let q = cx.p(st, ei);
    let success = cx.certain || cx.key.uniform(w, t, purpose::SUCCESS) < q as f64;
    if let Some(nom) = &cx.plan.nominal {
        likelihood(st, nom, ei, q, success);
    }
    let d = cx.plan.detect[ei];
    let detected = !cx.certain && d > 0.0 && cx.key.uniform(w, t, purpose::DETECT) < d as f64;
    journal(
        st,
        Happening::Finished {
            edge: e,
            try_no,
            success,
            detected,
        },
    );
    if success {
        st.m.steps_succeeded += 1;
        st.won.push(e);
        st.m.tech_successes[edge.tech as usize] += 1;
        if edge.has(flags::SCAN) {
            scan(cx, st, edge.dst);
        } else if let Some(g) = effective_grant(st, &edge) {
            grant(cx, st, edge.dst, g, e);
        }
    } else if try_no < tries_allowed(cx, st, e as usize) {
        push_edge(cx, st, e);
    } else {
        spend(cx, st, e);
    }
    if detected {
        st.m.detections += 1;
        if st.m.first_detect_at.is_none() {
            st.m.first_detect_at = Some(st.now);
        }
        // Seen acting inside: from something it holds, or over the network from a foothold.
        if st.m.first_inside_detect_at.is_none()
            && edge.src != INTERNET
            && (edge.src != NO_SOURCE || st.m.first_foothold_at.is_some())
        {
            st.m.first_inside_detect_at = Some(st.now);
        }
        if let Some(r) = cx.plan.respond[ei] {
            // Triage, then the response itself; both are draws of this attempt's key.
            let triage = cx
                .est
                .triage_hours
                .map_or(0.0, |h| cx.key.exponential(h, w, t, purpose::TRIAGE));
            let at = st.now
                + triage
                + cx.key
                    .exponential(r.mean_hours as f64, w, t, purpose::RESPONSE);
            let kind = match r.action {
                ResponseAction::Contain => EventKind::Contain,
                ResponseAction::RevokeTokens => EventKind::Revoke,
                ResponseAction::BlockSegment => EventKind::BlockSegment,
            };
            let mut named = false;
            for n in [edge.src, edge.dst] {
                if n == NO_SOURCE || n == INTERNET || cx.est.node(n).virtual_kind.is_some() {
                    continue;
                }
                if n == edge.dst && !success && st.bits[n as usize] == 0 {
                    continue;
                }
                schedule(st, at, kind, n, 0);
                journal(st, Happening::ContainScheduled { node: n, at });
                named = true;
            }
            // An alert that names something the attacker holds opens an investigation.
            if named {
                super::evict::open_investigation(cx, st, e, try_no, at);
            }
        }
    }
}

/// Multiplies the trial's likelihood ratio by what one success draw of edge `e`, made
/// with the tilted probability `q`, weighs under the untilted plan `nom`.
fn likelihood(st: &mut TrialState, nom: &crate::plan::Nominal, e: usize, q: f32, success: bool) {
    let p = if st.compliant_live > 0 {
        nom.p_compliant[e]
    } else {
        nom.p[e]
    };
    if p != q {
        let (p, q) = (p as f64, q as f64);
        st.log_lr += if success {
            (p / q).ln()
        } else {
            ((1.0 - p) / (1.0 - q)).ln()
        };
    }
}

/// Adds state bits to a node and everything that follows: metrics, footholds, new steps.
/// `via` is the attack edge that gave the bits (`NO_EDGE` for starts and injects).
pub fn grant(cx: &Ctx, st: &mut TrialState, n: NodeId, add: u8, via: u32) {
    let ni = n as usize;
    let old = st.bits[ni];
    let new = old | add;
    if new == old || st.contained.contains(ni) {
        return;
    }
    st.bits[ni] = new;
    let node = cx.est.node(n);
    journal(
        st,
        Happening::Gained {
            node: n,
            bits: add & !old,
        },
    );
    if old == 0 {
        st.touched.push(n);
        st.changed.push(n);
        if holdable(node) {
            st.live_owned += 1;
            st.m.contained_at = None;
        }
        discover(cx, st, n);
        reveal_references(cx, st, n);
    }
    if add & bits::ADMIN != 0
        && node.foothold & bits::ADMIN != 0
        && node.counts()
        && !st.ever_admin.put(ni)
    {
        st.m.admin += 1;
    }
    if !st.ever.put(ni) {
        st.parent[ni] = via;
        if node.counts() {
            let m = &mut st.m;
            m.compromised += 1;
            m.first_compromise_at.get_or_insert(st.now);
            if node.foothold != 0 {
                m.hosts += 1;
            }
            m.value += node.value;
            m.by_kind[node.kind.index()] += 1;
            m.records_exposed += node.records;
            if node.crown_jewel && m.crown_jewel_at.is_none() {
                m.crown_jewel_at = Some(st.now);
            }
        }
        if cx.est.objective_mask.contains(ni) {
            st.m.objectives_reached += 1;
        }
        if st.m.watch_at.is_none() && cx.plan.watch.contains(ni) {
            st.m.watch_at = Some(st.now);
        }
        if let Some(&d) = cx.plan.watch_dist.get(ni) {
            st.best_dist = st.best_dist.min(d);
        }
    }
    if new & bits::EXFIL != 0 && old & bits::EXFIL == 0 {
        st.m.records_exfiltrated += node.records;
        st.m.first_exfil_at.get_or_insert(st.now);
    }
    if new & bits::IMPACT != 0 && old & bits::IMPACT == 0 {
        st.m.first_impact_at.get_or_insert(st.now);
        if node.kind.is_data() {
            st.m.backups_destroyed += 1;
        } else {
            st.m.encrypted += 1;
        }
    }
    if n == INTERNET || (node.foothold & old == 0 && node.foothold & new != 0) {
        if node.compliant {
            st.compliant_live += 1;
        }
        if n != INTERNET {
            st.m.footholds_gained += 1;
            let first = st.m.first_foothold_at.is_none();
            if first {
                st.m.first_foothold_at = Some(st.now);
            }
            // Lateral movement (eCrime "breakout"): a later foothold taken from inside by an
            // attack step whose source is not the internet. A second phish is not a lateral
            // move, nor is code on a hijacked app's own host (a free step).
            let lateral = !first && via != NO_EDGE && {
                let e = &cx.est.edges[via as usize];
                !e.has(flags::FREE)
                    && e.src != INTERNET
                    && (e.src != NO_SOURCE || cx.est.node(e.dst).exposed == 0)
            };
            if lateral && st.m.first_lateral_at.is_none() {
                st.m.first_lateral_at = Some(st.now);
            }
        }
        add_foothold(cx, st, node.net);
        if node.segment != INTERNET {
            grant(cx, st, node.segment, bits::ACCESS, via);
        }
    }
    // Group membership and the like apply at once; attack steps are offered through the
    // node's streams, each once its source holds a bit it requires.
    let gained = new & !old;
    for e in cx.est.free_out_edges(n) {
        if gained & cx.est.edges[e].requires != 0 {
            st.free_queue.push(e as u32);
        }
    }
    if gained & cx.est.blocks[ni].requires != 0 {
        offer_enabled(cx, st, n, old, gained);
    }
}

fn add_foothold(cx: &Ctx, st: &mut TrialState, s: u32) {
    st.touch_segment(s);
    credit_tries(cx, st, s);
    st.footholds[s as usize] += 1;
    if st.footholds[s as usize] != 1 {
        return;
    }
    let n = cx.est.positions;
    let allow = cx.plan.allow_segments.contains(s as usize);
    for t in 0..n {
        let r = cx.plan.reach[(s * n + t) as usize];
        let add = r & !st.reach_now[t as usize];
        let add_allowed = if allow {
            r & !st.reach_allowed_now[t as usize]
        } else {
            0
        };
        if add | add_allowed != 0 {
            st.reach_now[t as usize] |= add;
            st.reach_allowed_now[t as usize] |= add_allowed;
            wake(cx, st, t);
        }
    }
}

fn remove_foothold(cx: &Ctx, st: &mut TrialState, s: u32) {
    st.footholds[s as usize] -= 1;
    if st.footholds[s as usize] != 0 {
        return;
    }
    recompute_reach(cx, st);
}

/// What the live footholds reach now, from scratch: after a foothold is lost or the plan
/// changed.
fn recompute_reach(cx: &Ctx, st: &mut TrialState) {
    let n = cx.est.positions;
    for &t in &st.touched_segments {
        st.reach_now[t as usize] = 0;
        st.reach_allowed_now[t as usize] = 0;
    }
    let live: Vec<u32> = st
        .touched_segments
        .iter()
        .copied()
        .filter(|&x| st.footholds[x as usize] > 0)
        .collect();
    for from in live {
        let allow = cx.plan.allow_segments.contains(from as usize);
        for t in 0..n {
            let r = cx.plan.reach[(from * n + t) as usize];
            if r != 0 {
                st.touch_segment(t);
                st.reach_now[t as usize] |= r;
                if allow {
                    st.reach_allowed_now[t as usize] |= r;
                }
            }
        }
    }
}

/// A segment became (more) reachable: retry what waited for it.
fn wake(cx: &Ctx, st: &mut TrialState, t: u32) {
    st.touch_segment(t);
    if !st.net_pushed.put(t as usize) {
        for &e in cx.est.net_edges_into(t) {
            push_edge(cx, st, e);
        }
    }
    let parked = std::mem::take(&mut st.parked[t as usize]);
    for &e in &parked {
        push_edge(cx, st, e);
    }
    let mut parked = parked;
    parked.clear();
    if st.parked[t as usize].is_empty() {
        st.parked[t as usize] = parked;
    }
}

/// Isolates a device or disables an identity: it stops being a foothold or a credential.
pub fn contain(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    let ni = n as usize;
    if st.contained.put(ni) {
        return;
    }
    st.touched.push(n);
    st.changed.push(n);
    journal(st, Happening::Contained { node: n });
    let node = cx.est.node(n);
    let b = st.bits[ni];
    if b != 0 && holdable(node) {
        st.live_owned -= 1;
    }
    if node.foothold & b != 0 {
        remove_foothold(cx, st, node.net);
        if node.compliant {
            st.compliant_live -= 1;
        }
    }
    if st.live_owned == 0 && b != 0 {
        super::evict::held_nothing(st);
        if st.m.blast_at_contain.is_none() {
            st.m.blast_at_contain = Some(st.m.compromised);
        }
    }
}

/// Cuts a segment off: contains every node the attacker holds in it (devices, apps and
/// infrastructure placed there).
pub fn block_segment(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    let seg = cx.est.node(n).segment;
    if seg == INTERNET {
        return contain(cx, st, n);
    }
    let held: Vec<NodeId> = st
        .touched
        .iter()
        .copied()
        .filter(|&x| {
            st.bits[x as usize] != 0 && cx.est.node(x).segment == seg && holdable(cx.est.node(x))
        })
        .collect();
    for x in held {
        contain(cx, st, x);
    }
}

/// Whether holding the node counts as a live foothold of the attacker's. Segments follow
/// from the devices in them, virtual nodes from real ones, and the internet is always there.
pub(crate) fn holdable(node: &crate::estate::Node) -> bool {
    node.virtual_kind.is_none()
        && node.kind != crate::model::AssetKind::Segment
        && node.id != "internet"
}

/// Revokes an identity's sessions and tokens; passwords and hashes stay valid.
pub fn revoke(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    let ni = n as usize;
    let b = st.bits[ni];
    let nb = b & !(bits::TOKEN | bits::SIGNED_IN);
    if nb == b {
        return;
    }
    st.bits[ni] = nb;
    st.changed.push(n);
    journal(st, Happening::Revoked { node: n });
    if nb == 0 && holdable(cx.est.node(n)) {
        st.live_owned -= 1;
        if st.live_owned == 0 {
            super::evict::held_nothing(st);
        }
    }
}

/// Every node the attacker could ever hold under `plan` if every possible step succeeded:
/// the same rules as a trial, with certainty instead of luck.
pub fn reachable_set(est: &Estate, plan: &ControlPlan) -> fixedbitset::FixedBitSet {
    certain_reach(est, plan, start)
}

/// Every node an attacker holding `seeds` (node, bits) and nothing else (not even the
/// internet) could ever hold under `plan`: [`reachable_set`] from other footholds.
pub fn reachable_from(
    est: &Estate,
    plan: &ControlPlan,
    seeds: &[(NodeId, u8)],
) -> fixedbitset::FixedBitSet {
    certain_reach(est, plan, |cx, st| {
        for &(n, b) in seeds {
            grant(cx, st, n, b, NO_EDGE);
        }
        drain_free(cx, st);
    })
}

/// Whether an attacker holding `seeds` (node, bits) and nothing else could ever take a
/// node of `plan.watch`: [`reachable_from`], stopping at the first such node. `st` is
/// reset and reused (one per worker: a fresh state costs the estate's size).
pub fn reaches_watch(
    est: &Estate,
    plan: &ControlPlan,
    seeds: &[(NodeId, u8)],
    st: &mut TrialState,
) -> bool {
    let cx = Ctx {
        est,
        plan,
        key: TrialKey::new(0, 0),
        certain: true,
    };
    st.reset(0);
    st.stop_at_watch = true;
    for &(n, b) in seeds {
        grant(&cx, st, n, b, NO_EDGE);
    }
    drain_free(&cx, st);
    if st.m.watch_at.is_none() {
        advance(&cx, st, f64::INFINITY, None);
    }
    st.m.watch_at.is_some()
}

/// What a certain attacker reaches after `begin` gave it its footholds.
fn certain_reach(
    est: &Estate,
    plan: &ControlPlan,
    begin: impl FnOnce(&Ctx, &mut TrialState),
) -> fixedbitset::FixedBitSet {
    let cx = Ctx {
        est,
        plan,
        key: TrialKey::new(0, 0),
        certain: true,
    };
    let mut st = TrialState::new(est);
    begin(&cx, &mut st);
    advance(&cx, &mut st, f64::INFINITY, None);
    st.ever
}

/// Resets an identity's credentials: passwords, hashes, tokens and sessions it held become
/// useless; the attacker must steal them anew.
pub fn reset_credentials(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    let ni = n as usize;
    let b = st.bits[ni];
    let nb = b & !bits::CRED;
    if nb == b {
        return;
    }
    st.bits[ni] = nb;
    st.changed.push(n);
    journal(st, Happening::Revoked { node: n });
    if nb == 0 && holdable(cx.est.node(n)) {
        st.live_owned -= 1;
        if st.live_owned == 0 {
            super::evict::held_nothing(st);
        }
    }
}

/// After the plan changed mid-trial (a control switched on or off, a flow blocked):
/// recomputes what the attacker's footholds reach and offers every step from what it holds
/// again, so that steps the new plan opens are tried and closed ones are dropped at pop.
pub fn refresh(cx: &Ctx, st: &mut TrialState) {
    for &t in &st.touched_segments {
        st.net_pushed.set(t as usize, false);
    }
    recompute_reach(cx, st);
    let reached: Vec<u32> = st
        .touched_segments
        .iter()
        .copied()
        .filter(|&t| st.reach_now[t as usize] != 0)
        .collect();
    for t in reached {
        wake(cx, st, t);
    }
    let held: Vec<NodeId> = st
        .touched
        .iter()
        .copied()
        .filter(|&x| st.bits[x as usize] != 0)
        .collect();
    for x in held {
        if x != INTERNET && st.contained.contains(x as usize) {
            continue;
        }
        let b = st.bits[x as usize];
        for e in cx.est.free_out_edges(x) {
            if b & cx.est.edges[e].requires != 0 {
                st.free_queue.push(e as u32);
            }
        }
        offer_enabled(cx, st, x, 0, b);
    }
    drain_free(cx, st);
    // A refreshed trial may have work again.
    if st.ended == Some(EndReason::Exhausted) {
        st.ended = None;
    }
}

/// A trainer's or scripted intervention in a trial.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "node")]
pub enum Inject {
    /// Isolate a device (or disable any asset): it stops being a foothold.
    Isolate(NodeId),
    /// Disable an identity.
    Disable(NodeId),
    /// Reset an identity's credentials (passwords, hashes, tokens).
    ResetCredentials(NodeId),
    /// Revoke an identity's sessions and tokens only.
    RevokeTokens(NodeId),
    /// Cut off the segment a node sits in (or the segment itself).
    BlockSegment(NodeId),
    /// The attacker phishes a user (gets its password).
    Phish(NodeId),
    /// The attacker exploits an application or device (gets admin on it).
    Exploit(NodeId),
    /// An insider starts: an identity signed in (add its device with `Exploit`-free access
    /// through `Foothold`).
    Insider(NodeId),
    /// The attacker gets a user-level foothold on a device.
    Foothold(NodeId),
}

/// Applies an intervention now, then the FREE edges it enables; a trial that had ended
/// for want of work (or by containment) may go on.
pub fn inject(cx: &Ctx, st: &mut TrialState, what: Inject) {
    match what {
        Inject::Isolate(n) | Inject::Disable(n) => contain(cx, st, n),
        Inject::ResetCredentials(n) => reset_credentials(cx, st, n),
        Inject::RevokeTokens(n) => revoke(cx, st, n),
        Inject::BlockSegment(n) => {
            let seg = if cx.est.node(n).kind == crate::model::AssetKind::Segment {
                n
            } else {
                cx.est.node(n).segment
            };
            let held: Vec<NodeId> = st
                .touched
                .iter()
                .copied()
                .filter(|&x| {
                    st.bits[x as usize] != 0
                        && cx.est.node(x).segment == seg
                        && holdable(cx.est.node(x))
                })
                .collect();
            for x in held {
                contain(cx, st, x);
            }
        }
        Inject::Phish(n) => grant(cx, st, n, bits::PASSWORD, NO_EDGE),
        Inject::Exploit(n) => grant(cx, st, n, bits::ACCESS | bits::ADMIN, NO_EDGE),
        Inject::Insider(n) => grant(cx, st, n, bits::PASSWORD | bits::SIGNED_IN, NO_EDGE),
        Inject::Foothold(n) => grant(cx, st, n, bits::ACCESS, NO_EDGE),
    }
    drain_free(cx, st);
    if st.ended == Some(EndReason::Exhausted) || st.ended == Some(EndReason::Contained) {
        st.ended = None;
    }
    // Start what the intervention made possible before judging the end: at the very
    // start no step is in flight yet, and an inject there must not end the trial.
    if st.ended.is_none() {
        dispatch(cx, st);
    }
    check_end(cx, st);
}

/// Tries a step may take in this trial: the profile's, and for a network step (an exploit)
/// the profile's per foothold that reaches its target on one of its protocols, so that
/// each (foothold, target) pair has its own tries.
fn tries_allowed(cx: &Ctx, st: &TrialState, e: usize) -> u8 {
    let max = cx.est.profile.max_tries.min(255) as u64;
    let edge = &cx.est.edges[e];
    if edge.src != NO_SOURCE || edge.has(flags::SCAN) {
        return max as u8;
    }
    let seg = cx.est.node(edge.at).net as usize;
    let feet = (0..8)
        .filter(|b| edge.proto & (1 << b) != 0)
        .map(|b| st.reachers.get(seg * 8 + b).copied().unwrap_or(0))
        .max()
        .unwrap_or(0);
    // An exposed target reached from the internet alone still has the profile's tries.
    (max * feet.max(1) as u64).min(255) as u8
}

/// A network step used up its tries: it waits for another foothold to reach its target.
fn spend(cx: &Ctx, st: &mut TrialState, e: u32) {
    let edge = &cx.est.edges[e as usize];
    if edge.src == NO_SOURCE && !edge.has(flags::SCAN) {
        let seg = cx.est.node(edge.at).net;
        st.touch_segment(seg);
        st.spent[seg as usize].push(e);
    }
}

/// A new foothold in segment `s`: every segment it reaches gains tries for the network
/// steps into it, and those that had used theirs up are offered again.
fn credit_tries(cx: &Ctx, st: &mut TrialState, s: u32) {
    let n = cx.est.positions;
    for t in 0..n {
        let r = cx.plan.reach[(s * n + t) as usize];
        if r == 0 {
            continue;
        }
        st.touch_segment(t);
        let ti = t as usize;
        for b in 0..8 {
            if r & (1 << b) != 0 {
                st.reachers[ti * 8 + b] += 1;
            }
        }
        if !st.spent[ti].is_empty() {
            for e in std::mem::take(&mut st.spent[ti]) {
                push_edge(cx, st, e);
            }
        }
    }
}

/// Whether the attacker knows node `n` (always, for an attacker that does not discover):
/// it is public, it was learnt of, its segment was swept, or the directory listing it was.
#[inline]
pub(crate) fn knows(cx: &Ctx, st: &TrialState, n: NodeId) -> bool {
    let k = &cx.est.knowledge;
    let ni = n as usize;
    !cx.est.profile.discovery
        || k.public.contains(ni)
        || st.known.contains(ni)
        || st.scanned.contains(k.segment[ni] as usize)
        || (st.directory_listed && k.in_directory.contains(ni))
}

/// Step `e` waits until the attacker knows `at`.
fn wait_for(cx: &Ctx, st: &mut TrialState, e: u32, at: NodeId) {
    let seg = cx.est.nodes[at as usize].segment;
    if st.waiting[seg as usize].is_empty() {
        st.waiting_segments.push(seg);
    }
    st.waiting[seg as usize].push(e);
    st.waited_for.insert(at as usize);
}

/// Offers again the steps waiting in segment `seg` that the attacker can now see.
fn wake_known(cx: &Ctx, st: &mut TrialState, seg: u32) {
    let waiting = std::mem::take(&mut st.waiting[seg as usize]);
    let mut still = Vec::new();
    for e in waiting {
        if knows(cx, st, cx.est.edges[e as usize].at) {
            push_edge(cx, st, e);
        } else {
            still.push(e);
        }
    }
    st.waiting[seg as usize] = still;
}

/// The attacker learns of node `n`: the network steps that waited for it are offered.
fn discover(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    if knows(cx, st, n) {
        return;
    }
    st.known.insert(n as usize);
    st.known_list.push(n);
    if st.waited_for.contains(n as usize) {
        wake_known(cx, st, cx.est.knowledge.segment[n as usize]);
    }
}

/// What a node the attacker just took points at becomes known: the hosts an account may
/// sign in to, the store an application connects to, the assets a credential opens.
fn reveal_references(cx: &Ctx, st: &mut TrialState, n: NodeId) {
    let node = &cx.est.nodes[n as usize];
    if !cx.est.profile.discovery
        || n == INTERNET
        || node.virtual_kind.is_some()
        || node.kind == crate::model::AssetKind::Group
    {
        return;
    }
    let k = &cx.est.knowledge;
    if k.stale.contains(n as usize) {
        // Edges changed by an edit since the references were indexed: read them.
        for e in cx.est.out_edges(n) {
            discover(cx, st, cx.est.edges[e].at);
        }
    } else {
        for &at in k.references(n) {
            discover(cx, st, at);
        }
    }
}

/// A discovery step into `target` succeeded: a segment's assets, or the directory's
/// computers, become known (one bit for the whole sweep).
fn scan(cx: &Ctx, st: &mut TrialState, target: NodeId) {
    if st.scanned.put(target as usize) {
        return;
    }
    st.scanned_list.push(target);
    if cx.est.nodes[target as usize].kind == crate::model::AssetKind::Segment {
        wake_known(cx, st, target);
    } else {
        st.directory_listed = true;
        let segs = st.waiting_segments.clone();
        for s in segs {
            wake_known(cx, st, s);
        }
    }
}

/// Per-node discovery counts over many trials, kept cheaply: a sweep of a segment or a
/// listing of the directory is one count for all its assets, expanded once at the end
/// ([`KnownHits::per_node`]).
#[derive(Clone, Debug, Default)]
pub struct KnownHits {
    /// Per node: trials in which it was learnt of alone (not by a sweep or a listing).
    pub alone: Vec<u32>,
    /// Per segment: trials in which it was swept.
    pub swept: Vec<u32>,
    /// Per segment: trials in which the directory was listed and the segment not swept.
    pub listed: Vec<u32>,
}

impl KnownHits {
    /// Per node: trials in which the attacker discovered it (public nodes: 0).
    pub fn per_node(&self, est: &Estate) -> Vec<u32> {
        let k = &est.knowledge;
        (0..est.nodes.len())
            .map(|n| {
                if k.public.contains(n) || !k.countable.contains(n) {
                    return 0;
                }
                let seg = k.segment[n] as usize;
                let mut h = self.alone.get(n).copied().unwrap_or(0);
                h += self.swept.get(seg).copied().unwrap_or(0);
                if k.in_directory.contains(n) {
                    h += self.listed.get(seg).copied().unwrap_or(0);
                }
                h
            })
            .collect()
    }
}

/// Assets (identities aside) the attacker knows at the end of a trial, counted once each:
/// the public ones, those of swept segments, the listed directory's, and those learnt of
/// one by one; the trial's discoveries are added to `hits`. Costs the swept segments and
/// the nodes learnt of alone, not the assets a sweep revealed.
pub(crate) fn known_assets(cx: &Ctx, st: &TrialState, hits: &mut KnownHits) -> u32 {
    let k = &cx.est.knowledge;
    if !cx.est.profile.discovery {
        return k.assets;
    }
    let s_us = cx.est.segment_count as usize;
    hits.alone.resize(cx.est.nodes.len(), 0);
    hits.swept.resize(s_us, 0);
    hits.listed.resize(s_us, 0);
    let swept = |s: usize| st.scanned.contains(s);
    let mut count = k.public_assets;
    for s in 0..s_us {
        if swept(s) {
            count += k.segment_unknown[s];
            hits.swept[s] += 1;
        } else if st.directory_listed {
            count += k.segment_listed[s];
            hits.listed[s] += 1;
        }
    }
    for &n in &st.known_list {
        let seg = k.segment[n as usize] as usize;
        let listed = st.directory_listed && k.in_directory.contains(n as usize);
        if k.countable.contains(n as usize) && !swept(seg) && !listed {
            count += 1;
            hits.alone[n as usize] += 1;
        }
    }
    count
}
