//! `AttackerCore`: one step-by-step episode of the engine ([`Episode`]) for the Gymnasium
//! environment `ztsim.envs.AttackerEnv`, with its observation and action mask as numpy
//! arrays. The Python side declares the spaces; this side plays and fills the arrays.

use crate::scenario::{Scenario, detached};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;
use ztsim::estate::Estate;
use ztsim::plan::ControlPlan;
use ztsim::sim::EndReason;
use ztsim::sim::engine::Inject;
use ztsim::sim::external::Episode;

/// The state bits an attacker can hold on a node (`ztsim::estate::bits`), one column each.
pub const BITS: usize = 8;

/// The estate and plan an environment plays: `controls` planned on the scenario's estate
/// under `profile` (the scenario's attacker when None); `plan_seed` draws coverage.
pub fn estate_and_plan(
    py: Python<'_>,
    scenario: &Scenario,
    controls: &str,
    profile: Option<&str>,
    plan_seed: Option<u64>,
) -> PyResult<(Arc<Estate>, Arc<ControlPlan>, u64)> {
    let prep = scenario.prep.clone();
    let seed = plan_seed.unwrap_or(prep.loaded.scenario.simulation.seed);
    let (est, plan) = detached(py, || {
        let est = prep.estate_for(profile)?;
        let plan = prep.plan_on(&est, controls, seed)?;
        Ok((est, plan))
    })?;
    Ok((est, plan, seed))
}

/// Each byte of state bits as its eight 0/1 columns (bit 0 first): one copy per node.
const UNPACKED: [[i8; BITS]; 256] = {
    let mut table = [[0i8; BITS]; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < BITS {
            table[b][i] = ((b >> i) & 1) as i8;
            i += 1;
        }
        b += 1;
    }
    table
};

/// Writes an episode's observation into the slices of one environment: the bits held per
/// node (one 0/1 per bit), whether each node is known and contained. Returns the time as
/// a share of the horizon, and how the episode ended (if it did).
pub fn write_obs(
    ep: &Episode,
    held: &mut [i8],
    known: &mut [i8],
    contained: &mut [i8],
) -> (f32, Option<EndReason>) {
    // The trial is looked up once (a lookup in the engine's World per node was most of
    // the cost of an observation).
    let t = ep.trial();
    let st = &t.st;
    for (n, &b) in st.bits.iter().enumerate() {
        held[n * BITS..(n + 1) * BITS].copy_from_slice(&UNPACKED[b as usize]);
        known[n] = t.knows(n as u32) as i8;
        contained[n] = st.contained.contains(n) as i8;
    }
    let share = (st.now / t.est.horizon_hours.max(1e-9)).min(1.0) as f32;
    (share, st.ended)
}

/// Writes the action mask of one environment: 1 for each attack edge on offer.
pub fn write_mask(ep: &Episode, mask: &mut [i8]) {
    mask.fill(0);
    for &e in ep.offered() {
        mask[e as usize] = 1;
    }
}

/// (terminated, truncated) in Gymnasium's sense: the horizon truncates, every other end
/// (objective, containment, nothing left to try) terminates.
pub fn done_flags(ended: Option<EndReason>) -> (bool, bool) {
    match ended {
        None => (false, false),
        Some(EndReason::Horizon) => (false, true),
        Some(_) => (true, false),
    }
}

/// One episode at a time of the engine, driven by the caller's choice of attack step.
#[pyclass(unsendable, module = "ztsim._native")]
pub struct AttackerCore {
    pub ep: Episode,
    seed: u64,
    index: u64,
    pub est: Arc<Estate>,
}

/// The observation: (held [nodes, 8], known [nodes], contained [nodes], time [1]) and the
/// mask [edges], as numpy arrays.
type Obs<'py> = (
    Bound<'py, PyArray2<i8>>,
    Bound<'py, PyArray1<i8>>,
    Bound<'py, PyArray1<i8>>,
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<i8>>,
);

#[pymethods]
impl AttackerCore {
    #[new]
    #[pyo3(signature = (scenario, controls = "none", profile = None, plan_seed = None))]
    fn new(
        py: Python<'_>,
        scenario: &Scenario,
        controls: &str,
        profile: Option<&str>,
        plan_seed: Option<u64>,
    ) -> PyResult<AttackerCore> {
        let (est, plan, seed) = estate_and_plan(py, scenario, controls, profile, plan_seed)?;
        Ok(AttackerCore {
            ep: Episode::new(est.clone(), plan, seed),
            seed,
            index: 0,
            est,
        })
    }

    /// Attack edges (the size of the action space).
    #[getter]
    fn edges(&self) -> usize {
        self.est.edges.len()
    }

    /// Nodes (rows of the observation).
    #[getter]
    fn nodes(&self) -> usize {
        self.est.nodes.len()
    }

    /// Begins an episode: with `seed`, trial 0 of that master seed; without, the next trial
    /// of the current one. Returns the observation and mask.
    #[pyo3(signature = (seed = None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Obs<'py>> {
        match seed {
            Some(s) => {
                self.seed = s;
                self.index = 0;
            }
            None => self.index += 1,
        }
        self.ep.begin(self.seed, self.index);
        self.observe(py)
    }

    /// Starts attack step `action` (an edge on offer) and plays to the next decision.
    /// Returns (observation..., mask, reward, terminated, truncated). A masked or
    /// out-of-range action raises ValueError and changes nothing.
    #[allow(clippy::type_complexity)]
    fn step<'py>(&mut self, py: Python<'py>, action: i64) -> PyResult<(Obs<'py>, f64, bool, bool)> {
        if action < 0 {
            return Err(PyValueError::new_err(format!(
                "action {action} is out of range: the estate has {} attack edges (0..{})",
                self.est.edges.len(),
                self.est.edges.len()
            )));
        }
        let reward = self
            .ep
            .step(action as u64)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let (term, trunc) = done_flags(self.ep.ended());
        Ok((self.observe(py)?, reward, term, trunc))
    }

    /// `step` and `info` in one call (what the Gymnasium environment's step needs):
    /// (observation..., mask, reward, terminated, truncated, info).
    #[allow(clippy::type_complexity)]
    fn play<'py>(
        &mut self,
        py: Python<'py>,
        action: i64,
    ) -> PyResult<(Obs<'py>, f64, bool, bool, Bound<'py, PyDict>)> {
        let (obs, reward, term, trunc) = self.step(py, action)?;
        Ok((obs, reward, term, trunc, episode_info(py, &self.ep)?))
    }

    /// The observation and mask now.
    fn observe<'py>(&self, py: Python<'py>) -> PyResult<Obs<'py>> {
        let n = self.est.nodes.len();
        let mut held = vec![0i8; n * BITS];
        let mut known = vec![0i8; n];
        let mut contained = vec![0i8; n];
        let (t, _) = write_obs(&self.ep, &mut held, &mut known, &mut contained);
        let mut mask = vec![0i8; self.est.edges.len()];
        write_mask(&self.ep, &mut mask);
        Ok((
            PyArray1::from_vec(py, held).reshape([n, BITS])?,
            PyArray1::from_vec(py, known),
            PyArray1::from_vec(py, contained),
            PyArray1::from_vec(py, vec![t]),
            PyArray1::from_vec(py, mask),
        ))
    }

    /// The action mask now: 1 for each attack edge on offer.
    fn action_mask<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        let mut mask = vec![0i8; self.est.edges.len()];
        write_mask(&self.ep, &mut mask);
        PyArray1::from_vec(py, mask)
    }

    /// The episode so far: compromised assets, value, cost, return, hours, trial, end.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        episode_info(py, &self.ep)
    }

    /// A defender's action on node `node`, in effect after `delay_hours`: `isolate`
    /// (a device or any asset), `reset_credentials` and `revoke_tokens` (an identity),
    /// `block_segment` (a segment, or the segment of a node).
    fn defend(&mut self, action: &str, node: u32, delay_hours: f64) -> PyResult<()> {
        if node as usize >= self.est.nodes.len() {
            return Err(PyValueError::new_err(format!(
                "node {node} is out of range (0..{})",
                self.est.nodes.len()
            )));
        }
        let what = match action {
            "isolate" => Inject::Isolate(node),
            "reset_credentials" => Inject::ResetCredentials(node),
            "revoke_tokens" => Inject::RevokeTokens(node),
            "block_segment" => Inject::BlockSegment(node),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown defender action `{other}`: isolate, reset_credentials, revoke_tokens, block_segment"
                )));
            }
        };
        self.ep.defend(what, delay_hours.max(0.0));
        Ok(())
    }

    /// Raises detection on the steps into segment `segment`'s nodes after `delay_hours`:
    /// each is then seen with probability 1 − (1 − d)(1 − boost).
    fn raise_monitoring(&mut self, segment: u32, boost: f32, delay_hours: f64) -> PyResult<()> {
        if segment >= self.est.segment_count {
            return Err(PyValueError::new_err(format!(
                "segment {segment} is out of range (0..{})",
                self.est.segment_count
            )));
        }
        self.ep
            .raise_monitoring(segment, boost, delay_hours.max(0.0));
        Ok(())
    }

    /// Per node, the detections that pointed at it since the last call (what a defender
    /// sees of the attack).
    fn take_alerts<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        let mut counts = vec![0f32; self.est.nodes.len()];
        for n in self.ep.take_alerts() {
            counts[n as usize] += 1.0;
        }
        PyArray1::from_vec(py, counts)
    }

    /// The attack graph: (edge_index [2, edges], edge_attr [edges, 2]); see
    /// [`graph_arrays`].
    fn graph<'py>(&self, py: Python<'py>) -> PyResult<Graph<'py>> {
        graph_numpy(py, &self.ep)
    }

    /// Per node: (kind, segment index, whether it is an identity, whether holding it is a
    /// foothold): what the defender's actions may target.
    fn node_roles(&self) -> Vec<(String, u32, bool, bool)> {
        self.est
            .nodes
            .iter()
            .map(|n| {
                (
                    n.kind.name().to_string(),
                    n.segment,
                    n.kind.is_identity() && n.virtual_kind.is_none(),
                    n.foothold != 0 && n.virtual_kind.is_none(),
                )
            })
            .collect()
    }

    /// Segments (nodes 0..segments are the segments; 0 is the internet).
    #[getter]
    fn segments(&self) -> u32 {
        self.est.segment_count
    }

    /// Each attack edge as (source id, target id, ATT&CK technique id, rule id): what an
    /// action does.
    fn edge_labels(&self) -> Vec<(String, String, String, String)> {
        edge_labels(&self.est)
    }
}

/// The attack graph as arrays, for the optional graph observation: `edge_index` [2, edges]
/// (source and target node of each attack edge, the action's index as column; a step with
/// no source node, reached over the network from any foothold, comes from its target's
/// segment node) and `edge_attr` [edges, 2] (the plan's success probability per try and
/// detection probability).
pub fn graph_arrays(ep: &Episode) -> (Vec<i64>, Vec<f32>) {
    let t = ep.trial();
    let (est, plan) = (&t.est, &t.plan);
    let m = est.edges.len();
    let mut index = vec![0i64; 2 * m];
    let mut attr = vec![0f32; 2 * m];
    for (e, edge) in est.edges.iter().enumerate() {
        let src = if edge.src == ztsim::estate::NO_SOURCE {
            est.node(edge.dst).segment
        } else {
            edge.src
        };
        index[e] = src as i64;
        index[m + e] = edge.dst as i64;
        attr[2 * e] = plan.p[e];
        attr[2 * e + 1] = plan.detect[e];
    }
    (index, attr)
}

/// The graph arrays as numpy arrays: (edge_index [2, edges], edge_attr [edges, 2]).
pub type Graph<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>);

/// [`graph_arrays`] as numpy arrays.
pub fn graph_numpy<'py>(py: Python<'py>, ep: &Episode) -> PyResult<Graph<'py>> {
    let m = ep.trial().est.edges.len();
    let (index, attr) = graph_arrays(ep);
    Ok((
        PyArray1::from_vec(py, index).reshape([2, m])?.into_any(),
        PyArray1::from_vec(py, attr).reshape([m, 2])?.into_any(),
    ))
}

/// The episode's counters as a dict (the `info` of a step).
pub fn episode_info<'py>(py: Python<'py>, ep: &Episode) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let st = ep.state();
    d.set_item("compromised", st.m.compromised)?;
    d.set_item("value", st.m.value)?;
    d.set_item("cost", st.m.cost)?;
    d.set_item("score", ep.score())?;
    d.set_item("hours", st.now)?;
    d.set_item("trial", st.trial)?;
    d.set_item("detections", st.m.detections)?;
    d.set_item("end", ep.ended().map(|r| r.name()))?;
    Ok(d)
}

/// (source id, target id, technique id, rule id) per attack edge.
pub fn edge_labels(est: &Estate) -> Vec<(String, String, String, String)> {
    let tc = ztsim::techniques::TechniqueCatalog::builtin();
    est.edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let src = if e.src == ztsim::estate::NO_SOURCE {
                "(network)".to_string()
            } else {
                est.node(e.src).id.clone()
            };
            (
                src,
                est.node(e.dst).id.clone(),
                tc.list[e.tech as usize].id.clone(),
                ztsim::rules::REGISTRY[est.origins[i].rule() as usize]
                    .id
                    .to_string(),
            )
        })
        .collect()
}
