"""The attacker-and-defender PettingZoo environment."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from ztsim.envs import parallel_env

SMALL = "tests/scenarios/env-random.yaml"


def test_parallel_api_test(in_root):
    parallel_api_test(parallel_env(SMALL), num_cycles=500)


def test_parallel_seed_test(in_root):
    parallel_seed_test(lambda: parallel_env(SMALL), num_cycles=300)


def _defender_action(env, name, node_id):
    k = list(env.actions).index(name)
    return 1 + k * env._n + env.scenario.nodes.index(node_id)


def test_defender_sees_only_detections_and_isolation_contains(in_root):
    env = parallel_env(SMALL)
    obs, infos = env.reset(seed=3)
    assert set(obs["defender"]) == {"alerts", "alerts_total", "contained", "time", "action_mask"}
    assert "held" not in obs["defender"]
    # Isolate the attacker's start host at once: it is contained after the delay.
    act = _defender_action(env, "isolate", "ws-1")
    assert obs["defender"]["action_mask"][act] == 1
    rng = np.random.default_rng(0)
    first = True
    total_defender = 0.0
    while env.agents:
        a = int(rng.choice(np.flatnonzero(obs["attacker"]["action_mask"])))
        obs, rew, term, trunc, infos = env.step({"attacker": a, "defender": act if first else 0})
        total_defender += rew["defender"]
        first = False
    assert obs["defender"]["contained"][env.scenario.nodes.index("ws-1")] == 1
    # The defender paid for its action.
    assert total_defender <= -env.actions["isolate"][0]


def test_defender_masks_and_bad_actions(in_root):
    env = parallel_env(SMALL)
    obs, infos0 = env.reset(seed=1)
    mask = obs["defender"]["action_mask"]
    # Identities cannot be isolated as devices; users' credentials can be reset.
    assert mask[_defender_action(env, "reset_credentials", "u-1")] == 1
    assert mask[_defender_action(env, "reset_credentials", "ws-1")] == 0
    assert mask[_defender_action(env, "block_segment", "lan")] == 1
    bad = _defender_action(env, "reset_credentials", "ws-1")
    a = int(np.flatnonzero(obs["attacker"]["action_mask"])[0])
    masked = int(np.flatnonzero(obs["attacker"]["action_mask"] == 0)[0])
    with pytest.raises(ValueError, match="no action"):
        env.step({"attacker": a})
    with pytest.raises(ValueError, match="out of range"):
        env.step({"attacker": a, "defender": len(mask)})
    with pytest.raises(ValueError, match="out of range"):
        env.step({"attacker": -1, "defender": 0})
    # Masked actions are flagged no-ops: the defender pays nothing, the clock stands still.
    obs2, rew, term, trunc, infos = env.step({"attacker": masked, "defender": bad})
    assert infos["attacker"]["invalid_action"] and infos["defender"]["invalid_action"]
    assert rew == {"attacker": 0.0, "defender": 0.0}
    assert infos["attacker"]["hours"] == infos0["attacker"]["hours"]
    np.testing.assert_array_equal(obs2["attacker"]["held"], obs["attacker"]["held"])
