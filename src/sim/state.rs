//! Per-trial state of the engine: what the attacker holds, what it can try next, what is in
//! flight, and the metrics so far. Sized once per worker and reset in time proportional to
//! what the previous trial touched, never to the estate.

use crate::estate::{Estate, NodeId};
use fixedbitset::FixedBitSet;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// An attack step finishes: edge, try number.
    Attempt,
    /// The defender contains a node (isolate a device, disable an identity).
    Contain,
    /// The defender revokes a node's sessions and tokens.
    Revoke,
    /// The defender cuts off the segment of a node: every foothold held there.
    BlockSegment,
}

#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub t: f64,
    pub seq: u64,
    pub kind: EventKind,
    pub a: u32,
    pub b: u32,
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
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Horizon => "horizon",
            EndReason::Exhausted => "exhausted",
            EndReason::Contained => "contained",
            EndReason::Objective => "objective",
        }
    }
}

pub struct TrialState {
    pub trial: u64,
    pub now: f64,
    pub bits: Vec<u8>,
    pub contained: FixedBitSet,
    /// Nodes compromised at any time this trial (counted once even if revoked and retaken).
    pub ever: FixedBitSet,
    /// For nodes in `ever`: the attack edge that first compromised them (or NO_EDGE).
    pub parent: Vec<u32>,
    /// Nodes whose bits or containment changed this trial (for reset and reporting).
    pub touched: Vec<NodeId>,
    /// Per edge: tries made.
    pub tries: Vec<u8>,
    pub touched_edges: Vec<u32>,
    /// What the attacker may start next, smallest key first: single edges, or streams over
    /// a node's out-edges (item tagged with bit 32; see the engine).
    pub frontier: BinaryHeap<std::cmp::Reverse<(u64, u64)>>,
    /// Per stream (`Estate::streams`): its position, whether it is queued, and its
    /// permutation; and the streams offered this trial.
    pub cursor: Vec<u32>,
    pub streaming: FixedBitSet,
    pub perm: Vec<(u32, u32)>,
    pub stream_seen: FixedBitSet,
    /// The frontier of the reachability analysis, where order does not matter.
    pub unordered: Vec<u64>,
    pub touched_streams: Vec<u32>,
    /// Virtual time of the random strategy's competing clocks.
    pub tau: f64,
    pub events: BinaryHeap<Event>,
    pub seq: u64,
    pub in_flight: u32,
    /// Live footholds per segment.
    pub footholds: Vec<u32>,
    pub reach_now: Vec<u8>,
    pub reach_allowed_now: Vec<u8>,
    /// Edges waiting for a network path into a segment.
    pub parked: Vec<Vec<u32>>,
    pub touched_segments: Vec<u32>,
    pub seg_touched: FixedBitSet,
    pub net_pushed: FixedBitSet,
    /// Owned (bits != 0), not contained, real nodes other than the internet.
    pub live_owned: u32,
    /// Live footholds on managed, compliant devices (a policy signal).
    pub compliant_live: u32,
    pub ended: Option<EndReason>,
    /// Nodes changed in the current tick, for the ECS status mirror.
    pub changed: Vec<NodeId>,
    /// FREE edges waiting to be applied (group membership, code on its host).
    pub free_queue: Vec<u32>,
    /// Narration of what happened, kept only when journaling (tabletop, paths).
    pub journaling: bool,
    pub journal: Vec<JournalEntry>,
    pub m: Metrics,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JournalEntry {
    pub t: f64,
    pub what: Happening,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Happening {
    Started {
        edge: u32,
        try_no: u8,
        ends: f64,
    },
    Finished {
        edge: u32,
        try_no: u8,
        success: bool,
        detected: bool,
    },
    /// The step could not finish: its source or target was contained meanwhile.
    Aborted {
        edge: u32,
    },
    Gained {
        node: NodeId,
        bits: u8,
    },
    Free {
        edge: u32,
    },
    ContainScheduled {
        node: NodeId,
        at: f64,
    },
    Contained {
        node: NodeId,
    },
    Revoked {
        node: NodeId,
    },
}

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub compromised: u32,
    pub value: f64,
    pub by_kind: Vec<u32>,
    pub records_exposed: u64,
    pub records_exfiltrated: u64,
    /// Devices encrypted (T1486) and backups destroyed (T1490).
    pub encrypted: u32,
    pub backups_destroyed: u32,
    pub crown_jewel_at: Option<f64>,
    pub objectives_reached: u32,
    pub first_foothold_at: Option<f64>,
    pub first_lateral_at: Option<f64>,
    pub footholds_gained: u32,
    pub first_detect_at: Option<f64>,
    pub detections: u32,
    pub contained_at: Option<f64>,
    pub blast_at_contain: Option<u32>,
    pub steps_attempted: u32,
    pub steps_succeeded: u32,
    /// Attack edges the engine looked at: every frontier entry and stream position checked
    /// (usable or not) and every free edge drained. The work to compare with the reference
    /// kernel's edge trials; `steps_attempted` counts only the edges actually tried.
    pub edges_examined: u64,
    pub tech_attempts: Vec<u32>,
    pub tech_successes: Vec<u32>,
    pub timeline: Vec<u32>,
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
        self.cursor.resize(streams, 0);
        self.perm.resize(streams, (0, 0));
        self.streaming.grow(streams);
        self.stream_seen.grow(streams);
    }

    pub fn new(est: &Estate) -> TrialState {
        let nodes = est.nodes.len();
        let edges = est.edges.len();
        let streams = est.streams.len();
        let segments = est.segment_count as usize;
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
            touched_edges: Vec::new(),
            frontier: BinaryHeap::new(),
            cursor: vec![0; streams],
            streaming: FixedBitSet::with_capacity(streams),
            perm: vec![(0, 0); streams],
            stream_seen: FixedBitSet::with_capacity(streams),
            unordered: Vec::new(),
            touched_streams: Vec::new(),
            tau: 0.0,
            events: BinaryHeap::new(),
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
        }
    }

    /// Clears what the last trial touched.
    pub fn reset(&mut self, trial: u64) {
        for &n in &self.touched {
            self.bits[n as usize] = 0;
            self.contained.set(n as usize, false);
            self.ever.set(n as usize, false);
        }
        self.touched.clear();
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
        for &s in &self.touched_segments {
            let s = s as usize;
            self.footholds[s] = 0;
            self.reach_now[s] = 0;
            self.reach_allowed_now[s] = 0;
            self.parked[s].clear();
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
        self.ended = None;
        self.changed.clear();
        self.free_queue.clear();
        self.journal.clear();
        self.now = 0.0;
        self.trial = trial;
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

    pub fn touch_segment(&mut self, s: u32) {
        if !self.seg_touched.put(s as usize) {
            self.touched_segments.push(s);
        }
    }
}
