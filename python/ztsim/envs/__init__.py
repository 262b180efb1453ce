"""Reinforcement-learning environments on ztsim's engine (the one engine: the same code
that plays batch Monte Carlo trials, driven one decision at a time).

* :class:`AttackerEnv`: Gymnasium 1.x, registered as ``ztsim/Attacker-v0``;
* :class:`VectorAttackerEnv`: n attacker environments stepped in one call in Rust
  (Gymnasium ``VectorEnv``, ``NEXT_STEP`` autoreset);
* :func:`parallel_env`: a PettingZoo ``ParallelEnv`` with an attacker and a defender.

Actions are attack edges (``Discrete(attack_edges)``); only the steps on offer are valid,
given by ``info["action_mask"]`` and ``action_masks()``. A masked or out-of-range action
raises ``ValueError`` and changes nothing. The observation is a ``Dict``: ``held`` (the
state bits the attacker holds per node, ``MultiBinary([nodes, 8])``: access, admin,
password, hash, token, signed in, exfiltrated, impact), ``known`` and ``contained``
(``MultiBinary(nodes)``) and ``time`` (the share of the horizon elapsed, ``Box``); with
``graph=True`` it adds the attack graph, the same at every step: ``edge_index``
(``[2, attack_edges]`` source and target node per action; a step with no source node,
reached over the network from any foothold, comes from its target's segment node) and
``edge_attr`` (``[attack_edges, 2]``: the success probability per try and the detection
probability under the control set), the shape graph-network libraries expect (a copy per
step in ``AttackerEnv``, as Gymnasium wants; read-only views of one copy in
``VectorAttackerEnv``). The
reward is the value gained minus the cost of the step's tries. An episode terminates on
the objective, on full containment or when nothing is left to try, and is truncated at the
horizon. ``reset(seed=s)`` plays trial 0 of master seed ``s`` (exactly replayable); a reset
without a seed plays the next trial.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .. import Scenario, _native

__all__ = ["AttackerEnv", "VectorAttackerEnv", "parallel_env", "DEFENDER_ACTIONS"]

#: The names of the eight state bits, the columns of ``held``.
BITS = ("access", "admin", "password", "hash", "token", "signed_in", "exfil", "impact")


def _scenario(scenario: str | Scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)


def _obs_space(nodes: int, edges: int | None = None) -> spaces.Dict:
    d = {
        "held": spaces.MultiBinary([nodes, 8]),
        "known": spaces.MultiBinary(nodes),
        "contained": spaces.MultiBinary(nodes),
        "time": spaces.Box(0.0, 1.0, (1,), np.float32),
    }
    if edges is not None:
        d["edge_index"] = spaces.Box(0, max(nodes - 1, 0), (2, edges), np.int64)
        d["edge_attr"] = spaces.Box(0.0, 1.0, (edges, 2), np.float32)
    return spaces.Dict(d)


def _frozen(graph: tuple) -> dict[str, np.ndarray]:
    # The graph is the same at every step: kept read-only.
    index, attr = graph
    index.setflags(write=False)
    attr.setflags(write=False)
    return {"edge_index": index, "edge_attr": attr}


class AttackerEnv(gym.Env):
    """The attacker of a scenario as a Gymnasium environment.

    ``scenario`` is a path or a :class:`ztsim.Scenario`; ``controls`` the control set the
    defender runs; ``profile`` an attacker profile replacing the scenario's (its tries,
    speed, parallelism and costs apply; its strategy is replaced by the agent);
    ``plan_seed`` draws which assets partial controls cover (default: the scenario's seed).

    ``invalid_action`` says what a masked action (one not on offer) does: ``"raise"`` (the
    default) raises ``ValueError`` and changes nothing; ``"noop"`` changes nothing and
    returns the same observation, reward 0 and ``info["invalid_action"] = True`` (what
    Gymnasium's ``check_env``, which samples actions without the mask, needs). An action
    outside ``Discrete(attack_edges)`` always raises ``ValueError``. ``graph=True`` adds
    the attack graph to the observation (``edge_index``, ``edge_attr``; see the module).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        scenario: str | Scenario,
        controls: str = "none",
        profile: str | None = None,
        plan_seed: int | None = None,
        render_mode: str | None = None,
        invalid_action: str = "raise",
        graph: bool = False,
    ) -> None:
        if invalid_action not in ("raise", "noop"):
            raise ValueError(f"invalid_action {invalid_action!r}: expected 'raise' or 'noop'")
        self.invalid_action = invalid_action
        self.scenario = _scenario(scenario)
        self._core = _native.AttackerCore(self.scenario._native, controls, profile, plan_seed)
        self._graph = _frozen(self._core.graph()) if graph else {}
        self.observation_space = _obs_space(self._core.nodes, self._core.edges if graph else None)
        self.action_space = spaces.Discrete(self._core.edges)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r}: only 'ansi' is supported")
        self.render_mode = render_mode
        self._mask = np.zeros(self._core.edges, np.int8)
        self._last: dict[str, np.ndarray] | None = None
        self._labels: list[tuple[str, str, str, str]] | None = None

    def _obs(self, out: tuple) -> dict[str, np.ndarray]:
        held, known, contained, time, mask = out
        self._mask = mask
        # Gymnasium wants no two observations to share an array: the graph is copied.
        graph = {k: v.copy() for k, v in self._graph.items()}
        self._last = {"held": held, "known": known, "contained": contained, "time": time, **graph}
        return self._last

    def _info(self, invalid: bool = False) -> dict[str, Any]:
        info = self._core.info()
        info["action_mask"] = self._mask.copy()
        info["invalid_action"] = invalid
        return info

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs = self._obs(self._core.reset(seed))
        return obs, self._info()

    def step(self, action):
        a = int(action)
        if (
            self.invalid_action == "noop"
            and self._last is not None
            and 0 <= a < len(self._mask)
            and not self._mask[a]
            and self._core.info()["end"] is None
        ):
            obs = {k: v.copy() for k, v in self._last.items()}
            return obs, 0.0, False, False, self._info(invalid=True)
        # One call into Rust: the step, its observation and the episode's counters.
        out, reward, terminated, truncated, info = self._core.play(a)
        obs = self._obs(out)
        info["action_mask"] = self._mask.copy()
        info["invalid_action"] = False
        return obs, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The valid actions now, as booleans (sb3-contrib's ``MaskablePPO`` convention)."""
        return self._mask.astype(bool)

    def edge_labels(self) -> list[tuple[str, str, str, str]]:
        """Per action: (source node id, target node id, ATT&CK technique, rule id)."""
        if self._labels is None:
            self._labels = self._core.edge_labels()
        return self._labels

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        held, _, contained, _, _ = self._core.observe()
        nodes = self.scenario.nodes
        lines = [f"t = {self._core.info()['hours']:.1f} h"]
        for i, row in enumerate(held):
            bits = [b for b, x in zip(BITS, row) if x]
            if bits:
                mark = " (contained)" if contained[i] else ""
                lines.append(f"  {nodes[i]}: {', '.join(bits)}{mark}")
        return "\n".join(lines)


class VectorAttackerEnv(VectorEnv):
    """``num_envs`` attacker environments stepped in one call, in Rust, returning numpy
    arrays. Autoreset mode ``NEXT_STEP`` (Gymnasium 1.1+): the step after an episode ends
    resets that environment, ignores its action and returns reward 0. ``reset(seed=s)``
    makes environment i play trials i, i + n, i + 2n... of master seed s.
    ``infos["action_mask"]`` is the ``[num_envs, attack_edges]`` mask. ``graph=True`` adds
    the attack graph (``edge_index``, ``edge_attr``), as read-only views of one copy."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        scenario: str | Scenario,
        num_envs: int = 64,
        controls: str = "none",
        profile: str | None = None,
        plan_seed: int | None = None,
        graph: bool = False,
    ) -> None:
        self.scenario = _scenario(scenario)
        self._core = _native.VectorCore(self.scenario._native, num_envs, controls, profile, plan_seed)
        self.num_envs = num_envs
        self._graph = {}
        if graph:
            one = _frozen(self._core.graph())
            self._graph = {k: np.broadcast_to(v, (num_envs, *v.shape)) for k, v in one.items()}
        self.single_observation_space = _obs_space(self._core.nodes, self._core.edges if graph else None)
        self.single_action_space = spaces.Discrete(self._core.edges)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._mask = np.zeros((num_envs, self._core.edges), np.int8)

    def _obs(self, out: tuple) -> dict[str, np.ndarray]:
        held, known, contained, time, mask = out
        self._mask = mask
        return {"held": held, "known": known, "contained": contained, "time": time, **self._graph}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._np_random, self._np_random_seed = gym.utils.seeding.np_random(seed)
        obs = self._obs(self._core.reset(seed))
        return obs, {"action_mask": self._mask}

    def step(self, actions):
        out, rewards, terminated, truncated = self._core.step(np.asarray(actions, dtype=np.int64))
        obs = self._obs(out)
        return obs, rewards, terminated, truncated, {"action_mask": self._mask}

    def action_masks(self) -> np.ndarray:
        """The valid actions of every environment now, as booleans."""
        return self._mask.astype(bool)

    def episode_stats(self) -> dict[str, np.ndarray]:
        """Per environment: assets compromised, return so far, hours, trial index."""
        c, s, h, t = self._core.stats()
        return {"compromised": c, "score": s, "hours": h, "trial": t}


gym.register(id="ztsim/Attacker-v0", entry_point="ztsim.envs:AttackerEnv")


def __getattr__(name: str):
    # PettingZoo is imported only when the two-agent environment is asked for.
    if name in ("parallel_env", "DEFENDER_ACTIONS", "ZtsimParallelEnv"):
        from . import defender

        return getattr(defender, name)
    raise AttributeError(name)
