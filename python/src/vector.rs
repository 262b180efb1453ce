//! `VectorCore`: n episodes stepped in one call, in Rust, for
//! `ztsim.envs.VectorAttackerEnv`. Autoreset follows Gymnasium's `NEXT_STEP` mode: the
//! step after an episode ends resets that environment (its action is ignored, its reward
//! is 0) and returns the new episode's first observation.

use crate::env::{BITS, Graph, done_flags, estate_and_plan, graph_numpy, write_mask, write_obs};
use crate::scenario::Scenario;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;
use ztsim::estate::Estate;
use ztsim::sim::EndReason;
use ztsim::sim::external::Episode;

/// n episodes of the engine side by side.
#[pyclass(unsendable, module = "ztsim._native")]
pub struct VectorCore {
    eps: Vec<Episode>,
    /// Per environment: its master seed and the index of its current trial.
    keys: Vec<(u64, u64)>,
    /// Per environment: the last step ended its episode; the next step resets it.
    needs_reset: Vec<bool>,
    est: Arc<Estate>,
}

/// Observation batch: held [n, nodes, 8], known [n, nodes], contained [n, nodes], time
/// [n, 1], mask [n, edges].
type Batch<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
);

#[pymethods]
impl VectorCore {
    #[new]
    #[pyo3(signature = (scenario, n, controls = "none", profile = None, plan_seed = None))]
    fn new(
        py: Python<'_>,
        scenario: &Scenario,
        n: usize,
        controls: &str,
        profile: Option<&str>,
        plan_seed: Option<u64>,
    ) -> PyResult<VectorCore> {
        if n == 0 {
            return Err(PyValueError::new_err("n: at least one environment"));
        }
        let (est, plan, seed) = estate_and_plan(py, scenario, controls, profile, plan_seed)?;
        Ok(VectorCore {
            eps: (0..n)
                .map(|_| Episode::new(est.clone(), plan.clone(), seed))
                .collect(),
            keys: vec![(seed, 0); n],
            needs_reset: vec![false; n],
            est,
        })
    }

    /// Resets every environment: environment i plays trials i, i + n, i + 2n... of master
    /// seed `seed` (default: the plan's seed), so n environments cover a batch run's trials.
    #[pyo3(signature = (seed = None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Batch<'py>> {
        for (i, ep) in self.eps.iter_mut().enumerate() {
            let s = seed.unwrap_or(self.keys[i].0);
            self.keys[i] = (s, i as u64);
            ep.begin(s, i as u64);
            self.needs_reset[i] = false;
        }
        self.observe(py)
    }

    /// Steps every environment with its action; returns (observation batch, rewards,
    /// terminated, truncated). An environment whose episode ended on the previous step is
    /// reset instead (NEXT_STEP autoreset). A masked or out-of-range action for a live
    /// environment raises ValueError naming it; the environments before it have stepped.
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<(
        Batch<'py>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<bool>>,
        Bound<'py, PyArray1<bool>>,
    )> {
        let actions = actions.as_slice()?;
        let n = self.eps.len();
        if actions.len() != n {
            return Err(PyValueError::new_err(format!(
                "actions: expected {n} actions, one per environment, got {}",
                actions.len()
            )));
        }
        let mut rewards = vec![0f64; n];
        let mut term = vec![false; n];
        let mut trunc = vec![false; n];
        let mut out = Buffers::new(n, self.est.nodes.len(), self.est.edges.len());
        let stride = n as u64;
        for i in 0..n {
            let ep = &mut self.eps[i];
            if self.needs_reset[i] {
                let (s, idx) = self.keys[i];
                self.keys[i] = (s, idx + stride);
                ep.begin(s, idx + stride);
                self.needs_reset[i] = false;
                out.write(i, ep);
                continue;
            }
            let a = actions[i];
            if a < 0 {
                return Err(PyValueError::new_err(format!(
                    "environment {i}: action {a} is out of range (0..{})",
                    self.est.edges.len()
                )));
            }
            rewards[i] = ep
                .step(a as u64)
                .map_err(|e| PyValueError::new_err(format!("environment {i}: {e}")))?;
            // The observation and the end from one look at the trial.
            let (t, u) = done_flags(out.write(i, ep));
            term[i] = t;
            trunc[i] = u;
            self.needs_reset[i] = t || u;
        }
        Ok((
            out.into_arrays(py)?,
            PyArray1::from_vec(py, rewards),
            PyArray1::from_vec(py, term),
            PyArray1::from_vec(py, trunc),
        ))
    }

    /// Per environment: compromised assets, return so far, hours, trial index.
    #[allow(clippy::type_complexity)]
    fn stats<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<u64>>,
    ) {
        (
            PyArray1::from_vec(
                py,
                self.eps.iter().map(|e| e.state().m.compromised).collect(),
            ),
            PyArray1::from_vec(py, self.eps.iter().map(|e| e.score()).collect()),
            PyArray1::from_vec(py, self.eps.iter().map(|e| e.state().now).collect()),
            PyArray1::from_vec(py, self.eps.iter().map(|e| e.state().trial).collect()),
        )
    }

    /// The attack graph, the same for every environment: (edge_index [2, edges],
    /// edge_attr [edges, 2]).
    fn graph<'py>(&self, py: Python<'py>) -> PyResult<Graph<'py>> {
        graph_numpy(py, &self.eps[0])
    }

    /// Environments.
    #[getter]
    fn num_envs(&self) -> usize {
        self.eps.len()
    }

    /// Attack edges (the size of each action space).
    #[getter]
    fn edges(&self) -> usize {
        self.est.edges.len()
    }

    /// Nodes (rows of each observation).
    #[getter]
    fn nodes(&self) -> usize {
        self.est.nodes.len()
    }
}

impl VectorCore {
    fn observe<'py>(&self, py: Python<'py>) -> PyResult<Batch<'py>> {
        let mut out = Buffers::new(self.eps.len(), self.est.nodes.len(), self.est.edges.len());
        for (i, ep) in self.eps.iter().enumerate() {
            out.write(i, ep);
        }
        out.into_arrays(py)
    }
}

/// The observation batch being filled, one environment at a time.
struct Buffers {
    n: usize,
    nodes: usize,
    edges: usize,
    held: Vec<i8>,
    known: Vec<i8>,
    contained: Vec<i8>,
    time: Vec<f32>,
    mask: Vec<i8>,
}

impl Buffers {
    fn new(n: usize, nodes: usize, edges: usize) -> Buffers {
        Buffers {
            n,
            nodes,
            edges,
            held: vec![0; n * nodes * BITS],
            known: vec![0; n * nodes],
            contained: vec![0; n * nodes],
            time: vec![0.0; n],
            mask: vec![0; n * edges],
        }
    }

    /// Writes environment `i`'s observation and mask; returns how its episode ended.
    fn write(&mut self, i: usize, ep: &Episode) -> Option<EndReason> {
        let (nodes, edges) = (self.nodes, self.edges);
        let (share, ended) = write_obs(
            ep,
            &mut self.held[i * nodes * BITS..(i + 1) * nodes * BITS],
            &mut self.known[i * nodes..(i + 1) * nodes],
            &mut self.contained[i * nodes..(i + 1) * nodes],
        );
        self.time[i] = share;
        write_mask(ep, &mut self.mask[i * edges..(i + 1) * edges]);
        ended
    }

    fn into_arrays<'py>(self, py: Python<'py>) -> PyResult<Batch<'py>> {
        let (n, nodes, edges) = (self.n, self.nodes, self.edges);
        Ok((
            PyArray1::from_vec(py, self.held)
                .reshape([n, nodes, BITS])?
                .into_any(),
            PyArray1::from_vec(py, self.known)
                .reshape([n, nodes])?
                .into_any(),
            PyArray1::from_vec(py, self.contained)
                .reshape([n, nodes])?
                .into_any(),
            PyArray1::from_vec(py, self.time)
                .reshape([n, 1])?
                .into_any(),
            PyArray1::from_vec(py, self.mask)
                .reshape([n, edges])?
                .into_any(),
        ))
    }
}
