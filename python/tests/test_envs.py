"""The Gymnasium environments: API checkers, determinism, bad actions, and the random
agent against `ztsim run` with the random strategy (one engine)."""

from __future__ import annotations

import subprocess

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env

import ztsim
from ztsim.envs import AttackerEnv, VectorAttackerEnv

SMALL = "tests/scenarios/env-random.yaml"


@pytest.fixture()
def env(in_root):
    return AttackerEnv(SMALL)


def _rollout(env, seed, actions_rng):
    obs, info = env.reset(seed=seed)
    trace = [obs]
    rewards = []
    done = False
    while not done:
        valid = np.flatnonzero(info["action_mask"])
        a = int(actions_rng.choice(valid))
        obs, r, term, trunc, info = env.step(a)
        trace.append(obs)
        rewards.append(r)
        done = term or trunc
    return trace, rewards, info


def test_check_env_passes(in_root):
    # check_env samples actions without the mask: masked ones are flagged no-ops here.
    check_env(AttackerEnv(SMALL, invalid_action="noop", render_mode="ansi"), skip_render_check=False)
    check_env(gym.make("ztsim/Attacker-v0", scenario=SMALL, invalid_action="noop").unwrapped)


def test_graph_observation(in_root):
    # graph=True adds the attack graph: one column per action, its ends being the nodes the
    # action's labels name (a step with no source node comes from its target's segment).
    env = AttackerEnv(SMALL, invalid_action="noop", graph=True)
    check_env(env)
    obs, info = env.reset(seed=1)
    idx, attr = obs["edge_index"], obs["edge_attr"]
    assert idx.shape == (2, env.action_space.n) and attr.shape == (env.action_space.n, 2)
    nodes = env.scenario.nodes
    for e, (src, dst, _, _) in enumerate(env.edge_labels()):
        assert nodes[idx[1, e]] == dst
        if src != "(network)":
            assert nodes[idx[0, e]] == src
    assert ((attr >= 0) & (attr <= 1)).all() and attr[:, 0].max() > 0
    # The same step with and without the graph: the same state.
    plain = AttackerEnv(SMALL)
    p_obs, p_info = plain.reset(seed=1)
    a = int(np.flatnonzero(info["action_mask"])[0])
    g2, p2 = env.step(a)[0], plain.step(a)[0]
    assert all((g2[k] == p2[k]).all() for k in p2)
    v = VectorAttackerEnv(SMALL, num_envs=3, graph=True)
    vo, _ = v.reset(seed=1)
    assert vo["edge_index"].shape == (3, 2, env.action_space.n)
    assert v.observation_space.contains(vo)
    assert (vo["edge_index"][2] == idx).all()
    with pytest.raises(ValueError):
        vo["edge_index"][0, 0, 0] = 1  # a read-only view, shared by the environments


def test_noop_mode_flags_masked_actions(in_root):
    env = AttackerEnv(SMALL, invalid_action="noop")
    obs, info = env.reset(seed=1)
    masked = int(np.flatnonzero(info["action_mask"] == 0)[0])
    obs2, r, term, trunc, info2 = env.step(masked)
    assert info2["invalid_action"] and r == 0.0 and not (term or trunc)
    for k in obs:
        np.testing.assert_array_equal(obs[k], obs2[k])
    assert info2["hours"] == info["hours"]
    with pytest.raises(ValueError, match="out of range"):
        env.step(env.action_space.n)


def test_registered(in_root):
    e = gym.make("ztsim/Attacker-v0", scenario=SMALL, controls="none")
    obs, info = e.reset(seed=1)
    assert e.observation_space.contains(obs)
    assert info["action_mask"].dtype == np.int8


def test_same_seed_same_episode(env):
    t1, r1, i1 = _rollout(env, 7, np.random.default_rng(0))
    t2, r2, i2 = _rollout(env, 7, np.random.default_rng(0))
    assert r1 == r2
    assert len(t1) == len(t2)
    for a, b in zip(t1, t2):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert i1 == {**i2, "action_mask": i1["action_mask"]}


def test_rewards_sum_to_value_minus_cost(env):
    _, rewards, info = _rollout(env, 3, np.random.default_rng(1))
    assert sum(rewards) == pytest.approx(info["value"] - info["cost"] - _start_value(env))


def _start_value(env):
    # What the attacker holds from the start (its start asset) is not a reward.
    _, info = env.reset(seed=3)
    return info["value"] - info["cost"]


def test_masked_and_out_of_range_actions_raise_value_error(env):
    obs, info = env.reset(seed=1)
    mask = info["action_mask"]
    masked = int(np.flatnonzero(mask == 0)[0])
    with pytest.raises(ValueError, match="not on offer"):
        env.step(masked)
    with pytest.raises(ValueError, match="out of range"):
        env.step(env.action_space.n)
    with pytest.raises(ValueError, match="out of range"):
        env.step(-1)
    # Nothing changed: the same mask, and a valid action still works.
    np.testing.assert_array_equal(env.action_masks(), mask.astype(bool))
    env.step(int(np.flatnonzero(mask)[0]))


def test_stepping_an_ended_episode_raises(env):
    _rollout(env, 2, np.random.default_rng(2))
    with pytest.raises(ValueError, match="ended"):
        env.step(0)


def test_random_agent_matches_ztsim_run_random_strategy(in_root, ztsim_bin, tmp_path):
    n = 2000
    subprocess.run(
        [ztsim_bin, "run", SMALL, "-n", str(n), "-s", "5", "-c", "none", "--out", str(tmp_path)],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(tmp_path / "trials.csv")["compromised"].to_numpy()
    env = AttackerEnv(SMALL)
    rng = np.random.default_rng(11)
    got = []
    for i in range(n):
        obs, info = env.reset(seed=5) if i == 0 else env.reset()
        assert info["trial"] == i
        done = False
        while not done:
            a = int(rng.choice(np.flatnonzero(info["action_mask"])))
            obs, r, term, trunc, info = env.step(a)
            done = term or trunc
        got.append(info["compromised"])
    got = np.array(got)
    se = np.sqrt(got.var(ddof=1) / n + cli.var(ddof=1) / n)
    assert abs(got.mean() - cli.mean()) < 4 * se, (got.mean(), cli.mean(), se)
    for k in range(0, 11):
        x, y = (got == k).mean(), (cli == k).mean()
        s = max(np.sqrt((x * (1 - x) + y * (1 - y)) / n), 1e-3)
        assert abs(x - y) < 4 * s, (k, x, y)


def test_vector_env_steps_and_autoresets(in_root):
    v = VectorAttackerEnv(SMALL, num_envs=8)
    assert v.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    obs, info = v.reset(seed=5)
    assert obs["held"].shape == (8, v.single_observation_space["held"].shape[0], 8)
    assert v.observation_space.contains(obs)
    rng = np.random.default_rng(0)
    ended = np.zeros(8, bool)
    resets = 0
    for _ in range(300):
        mask = info["action_mask"].astype(bool)
        r = rng.random(mask.shape)
        r[~mask] = -1
        actions = r.argmax(1)
        obs, rew, term, trunc, info = v.step(actions)
        resets += int(ended.sum())
        # An environment reset by this step reports reward 0 and is not done.
        assert (rew[ended] == 0).all() and not (term[ended] | trunc[ended]).any()
        ended = term | trunc
    assert resets > 0
    stats = v.episode_stats()
    assert (stats["trial"] % 8 == np.arange(8)).all()


def test_vector_env_equals_single_envs(in_root):
    # Environment i plays trials i, i + n, ...: the same episodes as a single env.
    v = VectorAttackerEnv(SMALL, num_envs=4)
    single = AttackerEnv(SMALL)
    obs, info = v.reset(seed=9)
    for i in range(4):
        o, inf = single.reset(seed=9) if i == 0 else single.reset()
        np.testing.assert_array_equal(o["held"], obs["held"][i])
        np.testing.assert_array_equal(inf["action_mask"], info["action_mask"][i])


def test_vector_env_rejects_bad_actions(in_root):
    v = VectorAttackerEnv(SMALL, num_envs=2)
    obs, info = v.reset(seed=1)
    masked = int(np.flatnonzero(info["action_mask"][0] == 0)[0])
    with pytest.raises(ValueError, match="environment 0"):
        v.step(np.array([masked, 0]))
    with pytest.raises(ValueError, match="expected 2 actions"):
        v.step(np.array([0]))
