"""Environment throughput: a random masked agent on the single Gymnasium environment and on
the vector environment (n = 64), in env steps per second of wall time, median of repeats.

    python python/bench/bench_envs.py [--scenario tests/scenarios/env-random.yaml]
        [--steps 200000] [--repeats 5] [--json out.json]

BENCHMARKS.md's figures pin the process to one core: `taskset -c 0 python ...`.

The agent's own work (choosing a valid action with numpy) is inside the timing, as it is in
the published figures of CyberBattleSim and NASim it is compared with (BENCHMARKS.md).
Run from the repository root; one process, one thread (the engine steps on the calling
thread).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

from ztsim.envs import AttackerEnv, VectorAttackerEnv


def single(scenario: str, steps: int) -> float:
    env = AttackerEnv(scenario)
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=1)
    t0 = time.perf_counter()
    for _ in range(steps):
        valid = np.flatnonzero(info["action_mask"])
        a = valid[rng.integers(len(valid))]
        obs, r, term, trunc, info = env.step(a)
        if term or trunc:
            obs, info = env.reset()
    return steps / (time.perf_counter() - t0)


def vector(scenario: str, steps: int, n: int) -> float:
    env = VectorAttackerEnv(scenario, num_envs=n)
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=1)
    calls = max(1, steps // n)
    t0 = time.perf_counter()
    for _ in range(calls):
        mask = info["action_mask"]
        r = rng.random(mask.shape)
        r[mask == 0] = -1.0
        obs, rew, term, trunc, info = env.step(r.argmax(1))
    return calls * n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="tests/scenarios/env-random.yaml")
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    s = [single(a.scenario, a.steps) for _ in range(a.repeats)]
    v = [vector(a.scenario, a.steps * 5, a.n) for _ in range(a.repeats)]
    out = {
        "scenario": a.scenario,
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
        "single_env_steps_per_s": {"median": statistics.median(s), "runs": s},
        f"vector_env_n{a.n}_env_steps_per_s": {"median": statistics.median(v), "runs": v},
    }
    print(f"single env, random masked agent: {out['single_env_steps_per_s']['median']:,.0f} steps/s (median of {a.repeats})")
    print(f"vector env n={a.n}, random masked agent: {statistics.median(v):,.0f} env steps/s (median of {a.repeats})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
