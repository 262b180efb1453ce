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

pub struct Ctx<'a> {
    pub est: &'a Estate,
    pub plan: &'a ControlPlan,
    pub key: TrialKey,
    /// Every step with p > 0 succeeds at once and unseen: the attacker's best case, used
    /// to find what can be reached at all.
    pub certain: bool,
}

/// Hours of expected delay an attacker with noise aversion 1 would accept to avoid a
/// certain detection [assumption]; scales the noise term of the priority.
const NOISE_WEIGHT_HOURS: f64 = 48.0;

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
        let edge = &self.est.edges[e as usize];
        let dst = edge.dst as usize;
        let prof = &self.est.profile;
        let score = match prof.strategy {
            Strategy::Random => 0.0,
            Strategy::GreedyValue => -self.est.nodes[dst].value,
            Strategy::ShortestTime => {
                let d = self
                    .plan
                    .dist_to_objective
                    .get(dst)
                    .copied()
                    .unwrap_or(f32::INFINITY) as f64;
                let p = self.plan.p[e as usize].max(1e-6) as f64;
                d + edge.mean_hours as f64 / p
            }
        };
        let score =
            score + prof.noise_aversion * NOISE_WEIGHT_HOURS * self.plan.detect[e as usize] as f64;
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

fn journal(st: &mut TrialState, what: Happening) {
    if st.journaling {
        st.journal.push(JournalEntry { t: st.now, what });
    }
}

fn schedule(st: &mut TrialState, t: f64, kind: EventKind, a: u32, b: u32) {
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
    grant(cx, st, INTERNET, bits::ACCESS);
    for &(n, b) in &cx.est.start {
        grant(cx, st, n, b);
    }
    // An insider begins as one ordinary user, signed in at its own device.
    let pool = &cx.est.insider_pool;
    if !pool.is_empty() {
        let pick = (cx.key.bits(u64::MAX, 0, purpose::PRIORITY) % pool.len() as u64) as usize;
        let (ident, devices) = &pool[pick];
        grant(cx, st, *ident, bits::PASSWORD | bits::SIGNED_IN);
        for &d in devices {
            grant(cx, st, d, bits::ACCESS);
        }
    }
    // Network edges into segments with internet-exposed assets may be reachable already.
    for s in 0..cx.est.segment_count {
        if cx
            .est
            .net_edges_into(s)
            .iter()
            .any(|&e| cx.est.node(cx.est.edges[e as usize].dst).exposed != 0)
        {
            wake(cx, st, s);
        }
    }
    drain_free(cx, st);
}

fn push_frontier(cx: &Ctx, st: &mut TrialState, e: u32) {
    if cx.est.edges[e as usize].has(flags::FREE) {
        st.free_queue.push(e);
    } else {
        let try_no = st.tries[e as usize];
        st.frontier.push(Reverse((cx.priority(e, try_no), e)));
    }
}

fn drain_free(cx: &Ctx, st: &mut TrialState) {
    while let Some(e) = st.free_queue.pop() {
        let edge = cx.est.edges[e as usize];
        if let Some(g) = effective_grant(st, &edge)
            && cx.plan.p[e as usize] > 0.0
        {
            journal(st, Happening::Free { edge: e });
            grant(cx, st, edge.dst, g);
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

fn reachable(cx: &Ctx, st: &TrialState, dst: NodeId, proto: u8) -> bool {
    let node = cx.est.node(dst);
    let seg = node.segment as usize;
    let blocked = cx.plan.blocked_in[dst as usize];
    let open = proto & !blocked;
    let closed = proto & blocked;
    node.exposed & !cx.plan.unexposed[dst as usize] & open != 0
        || st.reach_now[seg] & open != 0
        || st.reach_allowed_now[seg] & closed != 0
}

/// Starts as many attack steps as the attacker has free hands for.
pub fn dispatch(cx: &Ctx, st: &mut TrialState) {
    let par = cx.est.profile.parallelism;
    let max_tries = cx.est.profile.max_tries.min(255) as u8;
    if !cx.certain
        && cx
            .est
            .profile
            .time_budget_hours
            .is_some_and(|b| st.now >= b)
    {
        return;
    }
    while par == 0 || st.in_flight < par {
        let Some(Reverse((_, e))) = st.frontier.pop() else {
            break;
        };
        let ei = e as usize;
        let edge = cx.est.edges[ei];
        let p = cx.plan.p[ei].max(cx.plan.p_compliant[ei]);
        if p <= 0.0 || st.tries[ei] >= max_tries || effective_grant(st, &edge).is_none() {
            continue;
        }
        if edge.proto != 0 && !reachable(cx, st, edge.dst, edge.proto) {
            let seg = cx.est.node(edge.dst).segment;
            st.touch_segment(seg);
            st.parked[seg as usize].push(e);
            continue;
        }
        if st.tries[ei] == 0 {
            st.touched_edges.push(e);
        }
        st.tries[ei] += 1;
        let try_no = st.tries[ei];
        st.m.steps_attempted += 1;
        st.m.tech_attempts[edge.tech as usize] += 1;
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
    dispatch(cx, st);
    while st.ended.is_none() {
        let Some(ev) = st.events.peek() else { break };
        if ev.t > until {
            break;
        }
        let ev = st.events.pop().expect("peeked");
        st.now = st.now.max(ev.t);
        match ev.kind {
            EventKind::Attempt => {
                finish_attempt(cx, st, ev.a, ev.b as u8);
                done += 1;
            }
            EventKind::Contain => contain(cx, st, ev.a),
            EventKind::Revoke => revoke(cx, st, ev.a),
            EventKind::BlockSegment => block_segment(cx, st, ev.a),
        }
        drain_free(cx, st);
        if cx.est.profile.stop_at_objective && st.m.objectives_reached > 0 {
            st.ended = Some(EndReason::Objective);
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
    let success = cx.certain || cx.key.uniform(w, t, purpose::SUCCESS) < cx.p(st, ei) as f64;
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
        st.m.tech_successes[edge.tech as usize] += 1;
        if let Some(g) = effective_grant(st, &edge) {
            grant(cx, st, edge.dst, g);
        }
    } else if try_no < cx.est.profile.max_tries.min(255) as u8 {
        push_frontier(cx, st, e);
    }
    if detected {
        st.m.detections += 1;
        if st.m.first_detect_at.is_none() {
            st.m.first_detect_at = Some(st.now);
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
            for n in [edge.src, edge.dst] {
                if n == NO_SOURCE || n == INTERNET || cx.est.node(n).virtual_kind.is_some() {
                    continue;
                }
                if n == edge.dst && !success && st.bits[n as usize] == 0 {
                    continue;
                }
                schedule(st, at, kind, n, 0);
                journal(st, Happening::ContainScheduled { node: n, at });
            }
        }
    }
}

/// Adds state bits to a node and everything that follows: metrics, footholds, new steps.
pub fn grant(cx: &Ctx, st: &mut TrialState, n: NodeId, add: u8) {
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
    }
    if !st.ever.put(ni) {
        if node.counts() {
            let m = &mut st.m;
            m.compromised += 1;
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
    }
    if new & bits::EXFIL != 0 && old & bits::EXFIL == 0 {
        st.m.records_exfiltrated += node.records;
    }
    if new & bits::IMPACT != 0 && old & bits::IMPACT == 0 {
        if node.kind.is_data() {
            st.m.backups_destroyed += 1;
        } else {
            st.m.encrypted += 1;
        }
    }
    const RUN: u8 = bits::ACCESS | bits::ADMIN;
    if n == INTERNET
        || (node.kind.gives_foothold()
            && node.virtual_kind.is_none()
            && old & RUN == 0
            && new & RUN != 0)
    {
        if node.compliant {
            st.compliant_live += 1;
        }
        if n != INTERNET {
            st.m.footholds_gained += 1;
            match st.m.footholds_gained {
                1 => st.m.first_foothold_at = Some(st.now),
                2 => st.m.first_lateral_at = Some(st.now),
                _ => {}
            }
        }
        add_foothold(cx, st, node.segment);
        if node.segment != INTERNET {
            grant(cx, st, node.segment, bits::ACCESS);
        }
    }
    for e in cx.est.out_edges(n) {
        let req = cx.est.edges[e].requires;
        if new & req & !old != 0 {
            push_frontier(cx, st, e as u32);
        }
    }
}

fn add_foothold(cx: &Ctx, st: &mut TrialState, s: u32) {
    st.touch_segment(s);
    st.footholds[s as usize] += 1;
    if st.footholds[s as usize] != 1 {
        return;
    }
    let n = cx.est.segment_count;
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
    let n = cx.est.segment_count;
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
            push_frontier(cx, st, e);
        }
    }
    let parked = std::mem::take(&mut st.parked[t as usize]);
    for &e in &parked {
        push_frontier(cx, st, e);
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
    if node.kind.gives_foothold() && b & (bits::ACCESS | bits::ADMIN) != 0 {
        remove_foothold(cx, st, node.segment);
        if node.compliant {
            st.compliant_live -= 1;
        }
    }
    if st.live_owned == 0 && b != 0 {
        st.m.contained_at = Some(st.now);
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
fn holdable(node: &crate::estate::Node) -> bool {
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
            st.m.contained_at = Some(st.now);
        }
    }
}

/// Every node the attacker could ever hold under `plan` if every possible step succeeded:
/// the same rules as a trial, with certainty instead of luck.
pub fn reachable_set(est: &Estate, plan: &ControlPlan) -> fixedbitset::FixedBitSet {
    let cx = Ctx {
        est,
        plan,
        key: TrialKey::new(0, 0),
        certain: true,
    };
    let mut st = TrialState::new(
        est.nodes.len(),
        est.edges.len(),
        est.segment_count as usize,
        crate::model::AssetKind::ALL.len(),
        est.tech_count,
    );
    start(&cx, &mut st);
    advance(&cx, &mut st, f64::INFINITY, None);
    st.ever
}
