"""A PettingZoo ``ParallelEnv`` with two agents on one episode of the engine: the
``attacker`` (the same actions and observation as :class:`ztsim.envs.AttackerEnv`) and the
``defender``.

The defender acts with :data:`DEFENDER_ACTIONS`, each with a cost (score units) and a delay
(hours until it takes effect): isolate a device, reset an identity's credentials, revoke
its tokens, block a segment, raise monitoring on a segment. Its action space is
``Discrete(1 + 5 * nodes)``: 0 does nothing, ``1 + k * nodes + n`` is action ``k`` of
:data:`DEFENDER_ACTIONS` on node ``n``; ``action_mask`` in its observation says which
targets fit each action (devices for isolation, identities for credentials and tokens,
segments for blocks and monitoring). It sees only what detection shows: per node, the
detections that pointed at it since its last decision and in all (``alerts``,
``alerts_total``), what is contained, and the time; never the attacker's holdings.

Rewards: the attacker's is the value it gained minus its tries' cost; the defender's is
minus the value the attacker gained, minus the cost of its own actions. Both agents act at
every decision of the attacker (the defender first); the episode ends for both as
:class:`AttackerEnv`'s does.

A masked action (not in the agent's ``action_mask``) is a no-op flagged in
``infos[agent]["invalid_action"]`` (PettingZoo's seed test samples actions without masks):
a masked attacker action starts nothing and the clock does not move; a masked defender
action does nothing and costs nothing. An action outside the action space raises
``ValueError``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from .. import Scenario, _native
from . import _obs_space

#: Defender actions: name -> (cost, delay in hours). Override per environment with
#: ``parallel_env(..., defender_actions={...})``.
DEFENDER_ACTIONS: dict[str, tuple[float, float]] = {
    "isolate": (5.0, 1.0),
    "reset_credentials": (3.0, 2.0),
    "revoke_tokens": (1.0, 0.5),
    "block_segment": (20.0, 4.0),
    "raise_monitoring": (2.0, 1.0),
}
#: How much raising monitoring adds to a step's chance of being seen: d -> 1 - (1 - d)(1 - b).
MONITORING_BOOST = 0.5


class ZtsimParallelEnv(ParallelEnv):
    """Attacker and defender on one scenario (see the module documentation)."""

    metadata = {"name": "ztsim_attack_defend_v0", "render_modes": []}

    def __init__(
        self,
        scenario: str | Scenario,
        controls: str = "none",
        profile: str | None = None,
        plan_seed: int | None = None,
        defender_actions: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
        self._core = _native.AttackerCore(self.scenario._native, controls, profile, plan_seed)
        self.actions = dict(DEFENDER_ACTIONS if defender_actions is None else defender_actions)
        unknown = set(self.actions) - set(DEFENDER_ACTIONS)
        if unknown or len(self.actions) != len(DEFENDER_ACTIONS):
            raise ValueError(f"defender_actions must give (cost, delay) for exactly {sorted(DEFENDER_ACTIONS)}")
        self._names = list(DEFENDER_ACTIONS)
        n, e = self._core.nodes, self._core.edges
        self._n = n
        self.possible_agents = ["attacker", "defender"]
        self.agents: list[str] = []
        self._defender_mask = self._build_defender_mask()
        self._alerts_total = np.zeros(n, np.float32)
        self._obs_spaces = {
            "attacker": spaces.Dict({**_obs_space(n).spaces, "action_mask": spaces.MultiBinary(e)}),
            "defender": spaces.Dict(
                {
                    "alerts": spaces.Box(0.0, np.inf, (n,), np.float32),
                    "alerts_total": spaces.Box(0.0, np.inf, (n,), np.float32),
                    "contained": spaces.MultiBinary(n),
                    "time": spaces.Box(0.0, 1.0, (1,), np.float32),
                    "action_mask": spaces.MultiBinary(1 + len(self._names) * n),
                }
            ),
        }
        self._act_spaces = {"attacker": spaces.Discrete(e), "defender": spaces.Discrete(1 + len(self._names) * n)}

    def _build_defender_mask(self) -> np.ndarray:
        roles = self._core.node_roles()
        segs = self._core.segments
        fits = {
            "isolate": [foothold for (_, _, _, foothold) in roles],
            "reset_credentials": [ident for (_, _, ident, _) in roles],
            "revoke_tokens": [ident for (_, _, ident, _) in roles],
            # Segments are nodes 1..segments (0 is the internet, which cannot be blocked).
            "block_segment": [0 < i < segs for i in range(len(roles))],
            "raise_monitoring": [0 < i < segs for i in range(len(roles))],
        }
        mask = [1]
        for name in self._names:
            mask.extend(int(x) for x in fits[name])
        return np.array(mask, np.int8)

    @functools.lru_cache(maxsize=None)
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    @functools.lru_cache(maxsize=None)
    def action_space(self, agent: str) -> spaces.Space:
        return self._act_spaces[agent]

    def _observe(self, out: tuple, alerts: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        held, known, contained, time, mask = out
        return {
            "attacker": {"held": held, "known": known, "contained": contained, "time": time, "action_mask": mask},
            "defender": {
                "alerts": alerts,
                "alerts_total": self._alerts_total.copy(),
                "contained": contained.copy(),
                "time": time.copy(),
                "action_mask": self._defender_mask.copy(),
            },
        }

    def _infos(self) -> dict[str, dict[str, Any]]:
        info = self._core.info()
        return {
            "attacker": {**info, "invalid_action": False},
            "defender": {"hours": info["hours"], "trial": info["trial"], "invalid_action": False},
        }

    def reset(self, seed: int | None = None, options: dict | None = None):
        self.agents = list(self.possible_agents)
        out = self._core.reset(seed)
        self._alerts_total[:] = 0
        alerts = self._core.take_alerts()
        self._alerts_total += alerts
        return self._observe(out, alerts), self._infos()

    def _defend(self, action: int) -> float | None:
        """Schedules the defender's action; returns its cost, or None for a masked one."""
        if not 0 <= action < len(self._defender_mask):
            raise ValueError(f"defender action {action} is out of range (0..{len(self._defender_mask)})")
        if action == 0:
            return 0.0
        if not self._defender_mask[action]:
            return None
        k, node = divmod(action - 1, self._n)
        name = self._names[k]
        cost, delay = self.actions[name]
        if name == "raise_monitoring":
            self._core.raise_monitoring(node, MONITORING_BOOST, delay)
        else:
            self._core.defend(name, node, delay)
        return float(cost)

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise ValueError("the episode has ended; reset it first")
        missing = set(self.agents) - set(actions)
        if missing:
            raise ValueError(f"no action for {sorted(missing)}")
        before = self._core.info()
        a = int(actions["attacker"])
        mask = self._core.action_mask()
        if not 0 <= a < len(mask):
            raise ValueError(f"attacker action {a} is out of range (0..{len(mask)})")
        cost = self._defend(int(actions["defender"]))
        if mask[a]:
            out, reward, terminated, truncated = self._core.step(a)
        else:
            out, reward, terminated, truncated = self._core.observe(), 0.0, False, False
        after = self._core.info()
        alerts = self._core.take_alerts()
        self._alerts_total += alerts
        gained = after["value"] - before["value"]
        rewards = {"attacker": float(reward), "defender": float(-gained - (cost or 0.0))}
        terms = {a: terminated for a in self.agents}
        truncs = {a: truncated for a in self.agents}
        obs = self._observe(out, alerts)
        infos = self._infos()
        infos["attacker"]["invalid_action"] = not mask[a]
        infos["defender"]["invalid_action"] = cost is None
        if terminated or truncated:
            self.agents = []
        return obs, rewards, terms, truncs, infos


def parallel_env(scenario: str | Scenario, controls: str = "none", **kwargs: Any) -> ZtsimParallelEnv:
    """The attacker-and-defender environment (PettingZoo ``ParallelEnv``)."""
    return ZtsimParallelEnv(scenario, controls, **kwargs)
