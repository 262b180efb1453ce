//! Per-trial state of the engine: what the attacker holds, what it can try next, what is in
//! flight, and the metrics so far. Sized once per worker and reset in time proportional to
//! what the previous trial touched, never to the estate.

use crate::estate::{Estate, NodeId};
use fixedbitset::FixedBitSet;
use std::cmp::Ordering;
// A four-ary heap: half the levels of a binary heap, and a trial pops its event queue and
// frontier once or twice per attack step (a quarter of a step's time with a binary heap).
// Orders are total (ties broken by sequence or item), so the pop order, and every trial,
// is the same as with std's binary heap.
use dary_heap::QuaternaryHeap;

/// What a scheduled event does when it comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// An attack step finishes: edge, try number.
    Attempt,
    /// The defender contains a node (isolate a device, disable an identity).
    Contain,
    /// The defender revokes a node's sessions and tokens.
    Revoke,
    /// The defender cuts off the segment of a node: every foothold held there.
    BlockSegment,
    /// The SOC evicts the intrusion as its investigation scoped it ([`super::evict`]).
    Evict,
}

/// A scheduled event; the queue pops the earliest first, ties in scheduling order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    /// When it comes due, in hours since the start.
    pub(crate) t: f64,
    /// Scheduling order ([`TrialState::seq`] when scheduled): breaks ties in `t`.
    pub(crate) seq: u64,
    /// What it does.
    pub(crate) kind: EventKind,
    /// The attack edge (`Attempt`) or the node acted on (the defender's events).
    pub(crate) a: u32,
    /// The try number (`Attempt`); 0 otherwise.
    pub(crate) b: u32,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    // Earliest first in a max-heap: reverse on (time, sequence).
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}

/// Why a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The clock reached the horizon.
    Horizon,
    /// Nothing left to try and nothing in flight.
    Exhausted,
    /// Every foothold contained and nothing left to try.
    Contained,
    /// The attacker reached an objective and stops there.
    Objective,
}

impl EndReason {
    /// The reason's `snake_case` name, as serialized.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Horizon => "horizon",
            EndReason::Exhausted => "exhausted",
            EndReason::Contained => "contained",
            EndReason::Objective => "objective",
        }
    }
}

/// The dynamic state of one trial. Per-node vectors are indexed by [`NodeId`], per-edge
/// ones by edge id ([`Estate::edges`]), per-stream ones by stream id ([`Estate::streams`]),
/// per-segment ones by segment index. `Clone` snapshots a trial mid-run.
#[derive(Clone)]
pub struct TrialState {
    /// Index of the trial being played.
    pub trial: u64,
    /// The simulated clock, in hours since the start.
    pub now: f64,
    /// Per node: the [`crate::estate::bits`] the attacker holds on it now.
    pub bits: Vec<u8>,
    /// Per node: contained by the defender (isolated or disabled) this trial.
    pub contained: FixedBitSet,
    /// Nodes compromised at any time this trial (counted once even if revoked and retaken).
    pub ever: FixedBitSet,
    /// Per node, for nodes in `ever`: the attack edge that first compromised it (or
    /// [`super::engine::NO_EDGE`] for bits held from the start or given by an inject).
    pub parent: Vec<u32>,
    /// Nodes whose bits or containment changed this trial (for reset and reporting); may
    /// hold a node more than once.
    pub(crate) touched: Vec<NodeId>,
    /// Per edge: tries made.
    pub tries: Vec<u8>,
    /// Nodes the attacker came to know this trial, beyond the estate's public ones.
    pub known: FixedBitSet,
    /// The nodes in `known` (for reset).
    pub(crate) known_list: Vec<NodeId>,
    /// Per segment: network steps waiting for the attacker to know the node they must
    /// reach there (an asset of that segment).
    pub(crate) waiting: Vec<Vec<u32>>,
    /// Nodes some step in `waiting` waits for.
    pub(crate) waited_for: FixedBitSet,
    /// Segments with waiting steps (for reset).
    pub(crate) waiting_segments: Vec<u32>,
    /// Discovery targets (segments, directories) already swept this trial: every asset of
    /// a swept segment is known.
    pub(crate) scanned: FixedBitSet,
    /// A directory was listed: its computers are known.
    pub(crate) directory_listed: bool,
    /// The nodes in `scanned` (for reset).
    pub(crate) scanned_list: Vec<NodeId>,
    /// Nodes held with administrator rights at any time this trial.
    pub(crate) ever_admin: FixedBitSet,
    /// Per segment and protocol bit (`segment * 8 + bit`): footholds taken this trial that
    /// reach the segment on that protocol; each gives a network step its own tries.
    pub(crate) reachers: Vec<u32>,
    /// Per segment: network steps into it that used up their tries (offered again when a
    /// new foothold reaches the segment).
    pub(crate) spent: Vec<Vec<u32>>,
    /// Edges with a try this trial (for reset).
    /// Edges that succeeded this trial (attack steps and FREE edges, repeats possible): the
    /// relations they came from are counted per trial ([`crate::sim::Engine::relation_hits`]).
    /// Reachability only ([`crate::sim::engine::reaches_watch`]): stop at the first node
    /// of the plan's `watch` set.
    pub(crate) stop_at_watch: bool,
    pub(crate) won: Vec<u32>,
    pub(crate) touched_edges: Vec<u32>,
    /// What the attacker may start next, smallest key first: single edges, or streams over
    /// a node's out-edges (item tagged with bit 32; see the engine).
    pub(crate) frontier: QuaternaryHeap<std::cmp::Reverse<(u64, u64)>>,
    /// Per stream (`Estate::streams`): its position, whether it is queued, and its
    /// permutation; and the streams offered this trial.
    pub(crate) cursor: Vec<u32>,
    pub(crate) streaming: FixedBitSet,
    pub(crate) perm: Vec<(u32, u32)>,
    pub(crate) stream_seen: FixedBitSet,
    /// The frontier of the reachability analysis, where order does not matter.
    pub(crate) unordered: Vec<u64>,
    /// Streams offered this trial (for reset).
    pub(crate) touched_streams: Vec<u32>,
    /// Virtual time of the random strategy's competing clocks.
    pub(crate) tau: f64,
    /// Scheduled events: attempts finishing and the defender's responses.
    pub(crate) events: QuaternaryHeap<Event>,
    /// Events scheduled so far this trial (the last event's `seq`).
    pub(crate) seq: u64,
    /// Attack steps started and not yet finished.
    pub(crate) in_flight: u32,
    /// Per segment: live footholds the attacker holds in it.
    pub footholds: Vec<u32>,
    /// Per segment: protocols the live footholds reach it on, under the plan.
    pub(crate) reach_now: Vec<u8>,
    /// Per segment: the same from allow-listed footholds only (they pass inbound blocks).
    pub(crate) reach_allowed_now: Vec<u8>,
    /// Edges waiting for a network path into a segment.
    pub(crate) parked: Vec<Vec<u32>>,
    /// Segments whose per-segment state changed this trial (for reset).
    pub(crate) touched_segments: Vec<u32>,
    /// Per segment: in `touched_segments`.
    pub(crate) seg_touched: FixedBitSet,
    /// Per segment: its network edges were offered already this trial.
    pub(crate) net_pushed: FixedBitSet,
    /// Owned (bits != 0), not contained, real nodes other than the internet.
    pub live_owned: u32,
    /// Live footholds on managed, compliant devices (a policy signal).
    pub compliant_live: u32,
    /// An eviction is scheduled and has not happened yet.
    pub(crate) evict_pending: bool,
    /// Why the trial ended; `None` while it goes on.
    pub ended: Option<EndReason>,
    /// Nodes changed in the current tick, for the ECS status mirror.
    pub(crate) changed: Vec<NodeId>,
    /// FREE edges waiting to be applied (group membership, code on its host).
    pub(crate) free_queue: Vec<u32>,
    /// Narration of what happened, kept only when journaling (tabletop, paths).
    pub journaling: bool,
    /// What happened, in order (empty unless `journaling`).
    pub journal: Vec<JournalEntry>,
    /// The trial's metrics so far.
    pub m: Metrics,
    /// Under a tilted plan ([`crate::plan::ControlPlan::nominal`]): the log of the
    /// likelihood ratio of the success draws made so far, untilted over tilted (0 else).
    pub log_lr: f64,
    /// The fewest attack steps left from a node compromised so far to the plan's `watch`
    /// set ([`crate::plan::ControlPlan::watch_dist`]); `u32::MAX` when unknown or none.
    pub best_dist: u32,
    /// Where [`crate::sim::engine::advance`] stops early, mid-trial; `None`: never.
    pub halt: Option<Halt>,
    /// Set when `advance` stopped because `halt` was met.
    pub halted: bool,
}

/// A point at which a trial is paused, mid-run, to be resumed (rare-event splitting) or
/// abandoned (the event of interest happened).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Halt {
    /// Stop once `best_dist` is below this.
    CloserThan(u32),
    /// Stop once this many assets count as compromised.
    BlastAtLeast(u32),
}

impl Halt {
    /// Whether the trial in `st` has reached the halt point.
    pub fn met(self, st: &TrialState) -> bool {
        match self {
            Halt::CloserThan(d) => st.best_dist < d,
            Halt::BlastAtLeast(k) => st.m.compromised >= k,
        }
    }
}

/// One thing that happened in a trial, at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalEntry {
    /// When, in hours since the start.
    pub t: f64,
    /// What happened.
    pub what: Happening,
}

/// What a [`JournalEntry`] records. Edges are edge ids, nodes [`NodeId`]s.
#[derive(Clone, Debug, PartialEq)]
pub enum Happening {
    /// The attacker started a try of an attack step.
    Started {
        /// The attack edge.
        edge: u32,
        /// Which try of it this is, from 1.
        try_no: u8,
        /// When the try will finish, in hours since the start.
        ends: f64,
    },
    /// A try finished.
    Finished {
        /// The attack edge.
        edge: u32,
        /// Which try of it this was, from 1.
        try_no: u8,
        /// Whether it succeeded.
        success: bool,
        /// Whether the defenders detected it (an alert).
        detected: bool,
    },
    /// The step could not finish: its source or target was contained meanwhile.
    Aborted {
        /// The attack edge.
        edge: u32,
    },
    /// The attacker came to hold new bits on a node.
    Gained {
        /// The node.
        node: NodeId,
        /// The bits newly held (not those held before).
        bits: u8,
    },
    /// A FREE edge applied (group membership, code on its host).
    Free {
        /// The edge.
        edge: u32,
    },
    /// A detection scheduled a response against a node.
    ContainScheduled {
        /// The node to be acted on.
        node: NodeId,
        /// When the response comes due, in hours since the start.
        at: f64,
    },
    /// The defender contained a node (isolated a device, disabled an identity).
    Contained {
        /// The node.
        node: NodeId,
    },
    /// The defender revoked a node's sessions and tokens.
    Revoked {
        /// The node.
        node: NodeId,
    },
    /// A responded detection opened an investigation; the eviction comes due at `at`.
    EvictionScheduled {
        /// When the eviction comes due, in hours since the start.
        at: f64,
    },
    /// The SOC evicted what its investigation found of the intrusion.
    Evicted {
        /// Holdings found and taken away.
        found: u32,
        /// Holdings the investigation missed (still the attacker's).
        missed: u32,
    },
}

/// A trial's running metrics; times are hours since the start, `None` meaning "not yet".
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Nodes compromised at any time this trial that count in the blast radius
    /// ([`crate::estate::Node::counts`]).
    pub compromised: u32,
    /// Total business value of those nodes.
    pub value: f64,
    /// The same count per asset kind, indexed by `AssetKind::index`.
    pub by_kind: Vec<u32>,
    /// Records on the compromised nodes.
    pub records_exposed: u64,
    /// Records on the nodes the attacker exfiltrated data from.
    pub records_exfiltrated: u64,
    /// Devices and other non-data nodes encrypted (impact, T1486).
    pub encrypted: u32,
    /// Data stores destroyed (impact on backups, T1490).
    pub backups_destroyed: u32,
    /// When the first crown jewel was compromised.
    pub crown_jewel_at: Option<f64>,
    /// When the first node of the plan's `watch` set was compromised.
    pub watch_at: Option<f64>,
    /// Objectives compromised so far.
    pub objectives_reached: u32,
    /// When the attacker took its first foothold (code on a device or the like).
    pub first_foothold_at: Option<f64>,
    /// When it took its first foothold by lateral movement from inside.
    pub first_lateral_at: Option<f64>,
    /// Footholds taken, retaken ones included.
    pub footholds_gained: u32,
    /// When the defenders first detected a step.
    pub first_detect_at: Option<f64>,
    /// Steps detected.
    pub detections: u32,
    /// When the attacker last came to hold no live node (all contained or revoked); back to
    /// `None` once it takes a node again.
    pub contained_at: Option<f64>,
    /// `compromised` when the defender first contained the attacker's last live node.
    pub blast_at_contain: Option<u32>,
    /// When the attacker first came to hold no live node by the defender's doing
    /// (containment, revocation, a reset or an eviction): the end of its first intrusion.
    pub evicted_at: Option<f64>,
    /// Evictions the SOC carried out ([`super::evict`]).
    pub evictions: u32,
    /// When the defenders first detected a step the attacker took from inside (from a node
    /// it held, or over the network from a foothold): not a phish or spray from outside.
    pub first_inside_detect_at: Option<f64>,
    /// When the attacker first compromised an asset that counts (its initial access; 0 when
    /// it starts inside).
    pub first_compromise_at: Option<f64>,
    /// When the attacker first encrypted a device or destroyed a backup (impact).
    pub first_impact_at: Option<f64>,
    /// When the attacker first exfiltrated data.
    pub first_exfil_at: Option<f64>,
    /// Tries of attack steps started.
    pub steps_attempted: u32,
    /// Tries that succeeded.
    pub steps_succeeded: u32,
    /// Attack edges the engine looked at: every frontier entry and stream position checked
    /// (usable or not) and every free edge drained. The work to compare with the reference
    /// kernel's edge trials; `steps_attempted` counts only the edges actually tried.
    pub edges_examined: u64,
    /// Per technique ([`crate::techniques::TechId`]): tries started.
    pub tech_attempts: Vec<u32>,
    /// Per technique: tries that succeeded.
    pub tech_successes: Vec<u32>,
    /// `compromised` at each timeline sample (batch runs; empty in tabletop play).
    pub timeline: Vec<u32>,
    /// Hosts (devices, infrastructure, application servers) held with administrator
    /// rights at some time: the rest of the compromised hosts were held as a user only.
    pub admin: u32,
    /// Hosts compromised (devices, infrastructure, application servers in a segment).
    pub hosts: u32,
    /// Assets (not identities) the attacker knew at the end: public ones and those it
    /// discovered.
    pub discovered: u32,
    /// What the attacker's tries cost (score units).
    pub cost: f64,
}

impl TrialState {
    /// State sized for `est`: allocated once per worker, reused by every trial.
    /// Makes room for what an incremental recompile added to the estate (nodes, edges,
    /// streams), keeping the state of everything already there.
    pub fn grow(&mut self, est: &Estate) {
        let (nodes, edges, streams) = (est.nodes.len(), est.edges.len(), est.streams.len());
        self.bits.resize(nodes, 0);
        self.parent.resize(nodes, u32::MAX);
        self.contained.grow(nodes);
        self.ever.grow(nodes);
        self.tries.resize(edges, 0);
        self.known.grow(nodes);
        self.scanned.grow(nodes);
        self.waited_for.grow(nodes);
        self.ever_admin.grow(nodes);
        self.cursor.resize(streams, 0);
        self.perm.resize(streams, (0, 0));
        self.streaming.grow(streams);
        self.stream_seen.grow(streams);
    }

    /// Empty state sized for `est`, ready for [`TrialState::reset`].
    pub fn new(est: &Estate) -> TrialState {
        let nodes = est.nodes.len();
        let edges = est.edges.len();
        let streams = est.streams.len();
        // Per-segment state is per network position (segments, then walled hosts).
        let segments = est.positions as usize;
        let kinds = crate::model::AssetKind::ALL.len();
        let techs = est.tech_count;
        TrialState {
            trial: 0,
            now: 0.0,
            bits: vec![0; nodes],
            contained: FixedBitSet::with_capacity(nodes),
            ever: FixedBitSet::with_capacity(nodes),
            parent: vec![u32::MAX; nodes],
            touched: Vec::new(),
            tries: vec![0; edges],
            known: FixedBitSet::with_capacity(nodes),
            known_list: Vec::new(),
            waiting: vec![Vec::new(); est.segment_count as usize],
            waited_for: FixedBitSet::with_capacity(nodes),
            waiting_segments: Vec::new(),
            scanned: FixedBitSet::with_capacity(nodes),
            directory_listed: false,
            scanned_list: Vec::new(),
            ever_admin: FixedBitSet::with_capacity(nodes),
            reachers: vec![0; segments * 8],
            spent: vec![Vec::new(); segments],
            touched_edges: Vec::new(),
            won: Vec::new(),
            stop_at_watch: false,
            frontier: QuaternaryHeap::new(),
            cursor: vec![0; streams],
            streaming: FixedBitSet::with_capacity(streams),
            perm: vec![(0, 0); streams],
            stream_seen: FixedBitSet::with_capacity(streams),
            unordered: Vec::new(),
            touched_streams: Vec::new(),
            tau: 0.0,
            events: QuaternaryHeap::new(),
            seq: 0,
            in_flight: 0,
            footholds: vec![0; segments],
            reach_now: vec![0; segments],
            reach_allowed_now: vec![0; segments],
            parked: vec![Vec::new(); segments],
            touched_segments: Vec::new(),
            seg_touched: FixedBitSet::with_capacity(segments),
            net_pushed: FixedBitSet::with_capacity(segments),
            live_owned: 0,
            compliant_live: 0,
            evict_pending: false,
            ended: None,
            changed: Vec::new(),
            free_queue: Vec::new(),
            journaling: false,
            journal: Vec::new(),
            m: Metrics {
                by_kind: vec![0; kinds],
                tech_attempts: vec![0; techs],
                tech_successes: vec![0; techs],
                ..Metrics::default()
            },
            log_lr: 0.0,
            best_dist: u32::MAX,
            halt: None,
            halted: false,
        }
    }

    /// Clears what the last trial touched.
    pub fn reset(&mut self, trial: u64) {
        for &n in &self.touched {
            self.bits[n as usize] = 0;
            self.contained.set(n as usize, false);
            self.ever.set(n as usize, false);
            self.ever_admin.set(n as usize, false);
        }
        self.touched.clear();
        for &n in &self.known_list {
            self.known.set(n as usize, false);
        }
        self.known_list.clear();
        for &n in &self.scanned_list {
            self.scanned.set(n as usize, false);
        }
        self.scanned_list.clear();
        self.directory_listed = false;
        for &s in &self.waiting_segments {
            self.waiting[s as usize].clear();
        }
        self.waiting_segments.clear();
        self.waited_for.clear();
        for &s in &self.touched_streams {
            let s = s as usize;
            self.streaming.set(s, false);
            self.stream_seen.set(s, false);
            self.cursor[s] = 0;
            self.perm[s] = (0, 0);
        }
        self.touched_streams.clear();
        for &e in &self.touched_edges {
            self.tries[e as usize] = 0;
        }
        self.touched_edges.clear();
        self.won.clear();
        for &s in &self.touched_segments {
            let s = s as usize;
            self.footholds[s] = 0;
            self.reach_now[s] = 0;
            self.reach_allowed_now[s] = 0;
            self.parked[s].clear();
            self.spent[s].clear();
            self.reachers[s * 8..s * 8 + 8].fill(0);
            self.net_pushed.set(s, false);
            self.seg_touched.set(s, false);
        }
        self.touched_segments.clear();
        self.frontier.clear();
        self.unordered.clear();
        self.tau = 0.0;
        self.events.clear();
        self.seq = 0;
        self.in_flight = 0;
        self.live_owned = 0;
        self.compliant_live = 0;
        self.evict_pending = false;
        self.ended = None;
        self.changed.clear();
        self.free_queue.clear();
        self.journal.clear();
        self.now = 0.0;
        self.trial = trial;
        self.log_lr = 0.0;
        self.best_dist = u32::MAX;
        self.halt = None;
        self.halted = false;
        let m = &mut self.m;
        m.by_kind.iter_mut().for_each(|x| *x = 0);
        m.tech_attempts.iter_mut().for_each(|x| *x = 0);
        m.tech_successes.iter_mut().for_each(|x| *x = 0);
        m.timeline.clear();
        let by_kind = std::mem::take(&mut m.by_kind);
        let ta = std::mem::take(&mut m.tech_attempts);
        let ts = std::mem::take(&mut m.tech_successes);
        let tl = std::mem::take(&mut m.timeline);
        *m = Metrics {
            by_kind,
            tech_attempts: ta,
            tech_successes: ts,
            timeline: tl,
            ..Metrics::default()
        };
    }

    /// Notes that segment `s`'s state changed this trial, for reset.
    pub(crate) fn touch_segment(&mut self, s: u32) {
        if !self.seg_touched.put(s as usize) {
            self.touched_segments.push(s);
        }
    }
}
