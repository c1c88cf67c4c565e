"""``GymTask``: a Gymnasium environment as a NEAT task (``gym:ENV_ID``; needs ``pip install 'ottorch[gym]'``).

Any environment with a ``Box`` observation space and a ``Discrete`` or ``Box`` action space works. The
network sees the flattened observation (optionally normalised, see ``GymTask``) and has one output per
discrete action (the action is the argmax) or per action dimension (squashed into the bounds).

All episodes of a batch of genomes run in lock-step: lane ``g * episodes + e`` is genome g's episode e,
one environment per lane, and every step is one ``BatchedPolicy`` pass over all lanes still running.
The lanes live in the environment's native vector form when Gymnasium has one whose lanes can be
started individually (CartPole's ``vector_entry_point``), and otherwise in a ``SyncVectorEnv`` of single
environments. Each lane runs exactly one episode: it leaves the batch at its first termination or
truncation (what the vector env's autoreset then does to it is never read), and its return is the sum
of its rewards in step order. Each episode's seed is drawn from its genome's evaluation generator and
the lanes do not interact, so a genome's fitness is the same alone (``fitness``), in any batch
(``batch_fitness``) and on any number of workers.

Gymnasium is imported on first use: ``import ottorch`` does not need it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import ottorch
from ottorch.neat.config import FineTuneConfig, GenomeConfig, NEATConfig, SpeciesConfig
from ottorch.neat.genome import Genome
from ottorch.neat.policy import BatchedPolicy
from ottorch.neat.tasks.base import Task

#: Seeds of the test episodes (``test_metric``, ``solves``) and of the rendered episode.
TEST_SEED = 12345
#: The seed of the shared start states of ``same_starts`` (any seed other than TEST_SEED's).
TRAIN_SEED = 777
#: Episode seeds are drawn in [0, SEED_RANGE).
SEED_RANGE = 2**31 - 1
#: A SyncVectorEnv is rebuilt from its running lanes when at most this fraction of them still runs, so
#: finished single environments stop being stepped (the native vector forms step all lanes in one call).
_COMPACT_BELOW = 0.5
_INSTALL = "pip install 'ottorch[gym]'"


@dataclass(frozen=True)
class GymDefaults:
    """A documented environment's defaults: episodes per evaluation, population, hidden and output
    activations, the "solved" level when the environment has no ``reward_threshold``, the species target,
    whether observations are normalised, the hidden nodes of the initial genomes, the structural
    mutation rates and whether every genome is evaluated from the same start states."""

    episodes: int
    pop_size: int
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    threshold: float | None = None
    target_num_species: int = 5
    normalize: bool = False
    num_hidden: int = 0
    node_add_prob: float = 0.03
    conn_add_prob: float = 0.05
    same_starts: bool = False


#: Environments with a default config measured to solve (docs/benchmarks.md); others get ``_FALLBACK``.
DEFAULTS: dict[str, GymDefaults] = {
    "CartPole-v1": GymDefaults(episodes=5, pop_size=50),
    "Acrobot-v1": GymDefaults(episodes=3, pop_size=50),
    # Pendulum has no reward_threshold; -200 is the level the issue asks for
    # Pendulum's return depends as much on the start angle as on the controller: with starts of its own,
    # a genome's fitness is mostly the luck of its starts, so every genome is measured on the same 8
    "Pendulum-v1": GymDefaults(episodes=8, pop_size=150, activation="tanh", output_activation="identity",
                               threshold=-200.0, target_num_species=8, normalize=True, num_hidden=4,
                               node_add_prob=0.1, conn_add_prob=0.2, same_starts=True),
    "MountainCarContinuous-v0": GymDefaults(episodes=3, pop_size=100, output_activation="identity"),
    "LunarLander-v3": GymDefaults(episodes=5, pop_size=150, target_num_species=8),
}
_FALLBACK = GymDefaults(episodes=5, pop_size=100)


def _gymnasium():
    """The ``gymnasium`` module, or a ValueError saying how to install it."""
    try:
        import gymnasium
    except ImportError:
        raise ValueError(f"gym: tasks need Gymnasium, which is not installed: {_INSTALL}") from None
    return gymnasium


def _make(gym, env_id: str, **kwargs):
    """``gym.make(env_id)``, with Gymnasium's errors (unknown id, missing dependency) as ValueErrors that
    name the environment."""
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.DependencyNotInstalled as e:
        extra = "ottorch[box2d]" if "box2d" in str(e).lower() else "ottorch[gym]"
        raise ValueError(f"Gymnasium environment {env_id!r} needs a package that is not installed "
                         f"(pip install '{extra}'): {e}") from None
    except gym.error.Error as e:
        raise ValueError(f"unknown Gymnasium environment {env_id!r}: {e}") from None


class GymTask(Task):
    """The Gymnasium environment ``env_id`` as a task (see the module doc).

    - Inputs: the observation, flattened (``num_inputs`` = its size), as float64; with ``normalize``,
      each value has the mean subtracted and is divided by the standard deviation of the observations
      of ``normalize_episodes`` episodes with random actions (seeded with ``TEST_SEED``), clipped to
      +-5 (None: the default of ``DEFAULTS``, off for unlisted environments). The statistics are
      computed once, when the task is built, so every worker and every generation sees the same inputs;
      ``observation_stats`` holds them (the champion's metadata).
    - Outputs: ``Discrete(n)``: n outputs, the action is ``start + argmax``; ``Box``: one output per
      action value, squashed as ``low + (high - low) * (tanh(out) + 1) / 2``.
    - Fitness: the mean return of ``episodes`` episodes, whose seeds come from the evaluation generator,
      or with ``same_starts`` (Pendulum's default) from one shared generator: every genome then meets
      the same start states, and selection compares controllers rather than their starts' luck.
    - Solved: the mean fitness reaches the environment's ``spec.reward_threshold`` (or the default
      config's level, ``DEFAULTS``) and the champion's mean return over ``test_episodes`` fresh
      episodes (seeds from ``TEST_SEED``) does too (``solves``); ``test_metric`` reports that mean.

    Raises ValueError for an unknown id, an unsupported space, or Gymnasium not installed.
    """

    differentiable = False
    #: Below any real return (Pendulum's are ~-1,500 for a poor controller): a failed evaluation's fitness.
    worst_fitness = -1e9
    #: The genome's own float64 weights, as the control tasks use.
    dtype = ottorch.float64

    def __init__(self, env_id: str, episodes: int | None = None, test_episodes: int = 100,
                 normalize: bool | None = None, normalize_episodes: int = 10, same_starts: bool | None = None) -> None:
        gym = _gymnasium()
        self.env_id = env_id
        self.name = f"gym:{env_id}"
        self.defaults = DEFAULTS.get(env_id, _FALLBACK)
        self.episodes = self.defaults.episodes if episodes is None else episodes
        if self.episodes < 1 or test_episodes < 1 or normalize_episodes < 1:
            raise ValueError(f"episodes, test_episodes and normalize_episodes must be >= 1, got {self.episodes}, "
                             f"{test_episodes} and {normalize_episodes}")
        self.test_episodes = test_episodes
        #: Every genome's episodes start from the same seeds (drawn from TRAIN_SEED), not from its own.
        self.same_starts = self.defaults.same_starts if same_starts is None else same_starts
        env = _make(gym, env_id)
        try:
            obs_space, act_space, spec = env.observation_space, env.action_space, env.spec
        finally:
            env.close()
        Box, Discrete = gym.spaces.Box, gym.spaces.Discrete
        if not isinstance(obs_space, Box):
            raise ValueError(f"Gymnasium environment {env_id!r} has observation space {obs_space}; gym: tasks "
                             "support Box observations only")
        if isinstance(act_space, Discrete):
            self.discrete, self.num_outputs = True, int(act_space.n)
            self.action_start = int(act_space.start)
        elif isinstance(act_space, Box):
            low, high = act_space.low.astype(np.float64).ravel(), act_space.high.astype(np.float64).ravel()
            if not (np.isfinite(low).all() and np.isfinite(high).all()):
                raise ValueError(f"Gymnasium environment {env_id!r} has action space {act_space} with unbounded "
                                 "values; gym: tasks squash outputs into finite bounds")
            self.discrete, self.num_outputs = False, low.size
            self.action_low, self.action_span = low, high - low
            self.action_shape, self.action_dtype = act_space.shape, act_space.dtype
        else:
            raise ValueError(f"Gymnasium environment {env_id!r} has action space {act_space} "
                             f"({type(act_space).__name__}); gym: tasks support Discrete and Box actions")
        self.num_inputs = int(np.prod(obs_space.shape))
        self.observation_shape = obs_space.shape
        threshold = spec.reward_threshold if spec is not None else None
        if threshold is None:
            threshold = self.defaults.threshold
        self.fitness_threshold = math.inf if threshold is None else float(threshold)
        self.native = spec is not None and spec.vector_entry_point in _NATIVE_STARTS
        self.observation_stats: dict[str, list[float]] | None = None
        if self.defaults.normalize if normalize is None else normalize:
            self.observation_stats = self._observation_stats(normalize_episodes)

    # ------------------------------------------------------------------ configuration

    def default_config(self, mode: str | None = None) -> NEATConfig:
        """Inputs fully connected to the outputs (and to the initial hidden nodes), no fine-tuning; the
        rest from ``DEFAULTS`` (continuous actions use identity outputs, squashed by the task)."""
        d = self.defaults
        return NEATConfig(
            pop_size=d.pop_size, fitness_threshold=self.fitness_threshold,
            genome=GenomeConfig(num_inputs=self.num_inputs, num_outputs=self.num_outputs,
                                activation_default=d.activation, activation_options=(d.activation,),
                                output_activation=d.output_activation, num_hidden=d.num_hidden,
                                node_add_prob=d.node_add_prob,
                                conn_add_prob=d.conn_add_prob),
            species=SpeciesConfig(target_num_species=d.target_num_species),
            fine_tune=FineTuneConfig(mode="none", steps=0),
        )

    def champion_metadata(self) -> dict:
        """What a saved champion needs besides its genome to act in the environment."""
        return {"env_id": self.env_id, "observation_stats": self.observation_stats}

    # ------------------------------------------------------------------ evaluation

    def episode_seeds(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` episode seeds (int64) drawn from ``rng``."""
        return rng.integers(0, SEED_RANGE, size=n)

    def training_seeds(self, rng: np.random.Generator) -> np.ndarray:
        """The seeds of a genome's evaluation episodes: from its evaluation generator, or with
        ``same_starts`` the seeds every genome shares."""
        return self.episode_seeds(np.random.default_rng(TRAIN_SEED) if self.same_starts else rng, self.episodes)

    def fitness(self, net, genome: Genome, rng: np.random.Generator) -> float:
        policy = BatchedPolicy.from_genome(genome, lanes=self.episodes)
        return float(self.returns(policy, self.training_seeds(rng)).mean())

    def batch_fitness(self, net, rngs: Sequence[np.random.Generator]) -> np.ndarray:
        policy = BatchedPolicy([net], lanes=self.episodes)
        seeds = np.concatenate([self.training_seeds(rng) for rng in rngs])
        return self.returns(policy, seeds).reshape(-1, self.episodes).mean(axis=1)

    def test_returns(self, genome: Genome) -> np.ndarray:
        """Returns (``test_episodes``,) of ``genome`` on the fixed test episodes."""
        seeds = self.episode_seeds(np.random.default_rng(TEST_SEED), self.test_episodes)
        return self.returns(BatchedPolicy.from_genome(genome, lanes=self.test_episodes), seeds)

    def test_metric(self, net, genome: Genome) -> dict[str, float]:
        """Mean return (and its standard deviation) over ``test_episodes`` fresh episodes."""
        returns = self.test_returns(genome)
        return {"mean_return": float(returns.mean()), "std_return": float(returns.std())}

    def solves(self, genome: Genome) -> bool:
        return bool(self.test_returns(genome).mean() >= self.fitness_threshold)

    def returns(self, policy: BatchedPolicy, seeds: np.ndarray) -> np.ndarray:
        """The return (L,) of each lane's episode: lane i runs ``policy``'s lane i from seed ``seeds[i]``
        until it terminates or is truncated; all lanes step together."""
        L = len(seeds)
        if len(policy) != L:
            raise ValueError(f"{len(policy)} policy lanes for {L} episode seeds")
        lanes = (_NativeLanes if self.native else _SyncLanes)(self, seeds)
        try:
            total = np.zeros(L)
            running = np.arange(L)
            obs = lanes.observations
            while len(running):
                obs, reward, done = lanes.step(self.actions(policy(self.inputs(obs))))
                total[running] += reward
                if done.any():
                    keep = ~done
                    running, obs = running[keep], obs[keep]
                    policy.keep(keep)
                    lanes.keep(keep)
            return total
        finally:
            lanes.close()

    def inputs(self, obs: np.ndarray) -> np.ndarray:
        """Network inputs (L, num_inputs) float64 from observations (L, *observation shape)."""
        x = obs.reshape(len(obs), -1).astype(np.float64)
        if self.observation_stats is not None:
            mean, std = (np.asarray(self.observation_stats[k]) for k in ("mean", "std"))
            x = np.clip((x - mean) / std, -5.0, 5.0)
        return x

    def actions(self, out: np.ndarray) -> np.ndarray:
        """Actions for network outputs (L, num_outputs): (L,) int64 for a Discrete space, (L, *shape) in the
        Box bounds otherwise (a non-finite output becomes the middle of the range)."""
        if self.discrete:
            # argmax takes NaN as the largest value; a NaN output picks its action deterministically
            return self.action_start + np.argmax(out, axis=1)
        with np.errstate(invalid="ignore"):
            squashed = 0.5 * (np.tanh(np.nan_to_num(out, nan=0.0)) + 1.0)
        a = self.action_low + self.action_span * squashed
        return a.reshape((len(out),) + self.action_shape).astype(self.action_dtype)

    def _observation_stats(self, episodes: int) -> dict[str, list[float]]:
        """Mean and standard deviation of each observation value over ``episodes`` random-action episodes."""
        gym = _gymnasium()
        env = _make(gym, self.env_id)
        rng = np.random.default_rng(TEST_SEED)
        seen = []
        try:
            env.action_space.seed(TEST_SEED)
            for seed in self.episode_seeds(rng, episodes).tolist():
                obs, _ = env.reset(seed=seed)
                done = False
                while not done:
                    seen.append(np.asarray(obs, dtype=np.float64).ravel())
                    obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
                    done = terminated or truncated
        finally:
            env.close()
        seen = np.array(seen)
        # a constant observation value is passed through centred, not divided by 0
        return {"mean": seen.mean(axis=0).tolist(), "std": np.maximum(seen.std(axis=0), 1e-8).tolist()}

    # ------------------------------------------------------------------ rendering

    def render_gif(self, genome: Genome, path: str | os.PathLike, max_frames: int = 1000) -> None:
        """Write ``path``, a GIF of ``genome``'s first test episode (at most ``max_frames`` frames), with
        Pillow. Raises ValueError when the environment does not render ``rgb_array`` frames."""
        gym = _gymnasium()
        probe = _make(gym, self.env_id)
        modes = probe.metadata.get("render_modes", [])
        probe.close()
        if "rgb_array" not in modes:
            raise ValueError(f"Gymnasium environment {self.env_id!r} does not render rgb_array frames "
                             f"(its render modes: {', '.join(modes) or 'none'}); --render needs them")
        try:
            from PIL import Image
        except ImportError:
            raise ValueError(f"--render needs Pillow: {_INSTALL}") from None
        env = _make(gym, self.env_id, render_mode="rgb_array")
        policy = BatchedPolicy.from_genome(genome)
        seed = int(self.episode_seeds(np.random.default_rng(TEST_SEED), 1)[0])
        try:
            obs, _ = env.reset(seed=seed)
            frames = [env.render()]
            done = False
            while not done and len(frames) < max_frames:
                action = self.actions(policy(self.inputs(np.asarray(obs)[None])))[0]
                obs, _, terminated, truncated, _ = env.step(action.item() if self.discrete else action)
                done = terminated or truncated
                frames.append(env.render())
            fps = env.metadata.get("render_fps") or 30
        except gym.error.DependencyNotInstalled as e:
            raise ValueError(f"rendering {self.env_id!r} needs a package that is not installed ({_INSTALL}): "
                             f"{e}") from None
        finally:
            env.close()
        images = [Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)


# ----------------------------------------------------------------------------- lanes


class _Lanes:
    """Episodes in lock-step, one per lane of the vector env ``_vec``: ``observations`` holds the running
    lanes' first observations; ``_at`` are the running lanes' positions in the vector, in lane order, and
    the other positions are stepped with ``_idle``, a valid action whose results are never read."""

    _vec: object
    _at: np.ndarray
    _idle: np.ndarray

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step the running lanes with ``actions`` (one per running lane): observations, rewards (float64)
        and done flags (terminated or truncated) of the running lanes."""
        full = np.repeat(self._idle[None], self._vec.num_envs, axis=0)
        full[self._at] = actions
        obs, reward, terminated, truncated, _ = self._vec.step(full)
        at = self._at
        return np.asarray(obs)[at], np.asarray(reward, dtype=np.float64)[at], (terminated | truncated)[at]

    def keep(self, mask: np.ndarray) -> None:
        """Keep the running lanes where ``mask`` is true."""
        self._at = self._at[mask]

    def close(self) -> None:
        self._vec.close()


class _SyncLanes(_Lanes):
    """One single environment per lane in a ``SyncVectorEnv``, each reset with its own seed. Finished
    lanes are left out of the actions and results (``keep``); the vector is rebuilt from the running
    environments when few of its lanes still run, and until then a finished lane is stepped with a
    fixed action (its autoreset and new episode are never read)."""

    def __init__(self, task: GymTask, seeds: np.ndarray) -> None:
        gym = _gymnasium()
        self._gym = gym
        envs = [_make(gym, task.env_id) for _ in range(len(seeds))]
        self._vec = self._vector(envs)
        obs, _ = self._vec.reset(seed=[int(s) for s in seeds])
        self.observations = np.asarray(obs)
        self._at = np.arange(len(seeds))
        self._idle = _idle_action(task)

    def _vector(self, envs: list):
        return self._gym.vector.SyncVectorEnv([lambda env=env: env for env in envs], copy=False,
                                              autoreset_mode=self._gym.vector.AutoresetMode.NEXT_STEP)

    def keep(self, mask: np.ndarray) -> None:
        self._at = self._at[mask]
        if len(self._at) <= _COMPACT_BELOW * self._vec.num_envs and len(self._at):
            envs = self._vec.envs
            dropped = np.setdiff1d(np.arange(len(envs)), self._at)
            for i in dropped.tolist():
                envs[i].close()
            running = [envs[i] for i in self._at.tolist()]
            # the new vector steps the running environments on from where they are
            self._vec = self._vector(running)
            self._at = np.arange(len(running))


class _NativeLanes(_Lanes):
    """Gymnasium's own vector form (``make_vec`` with ``vector_entry_point``), its lanes started from the
    states a single environment reset with each lane's seed starts from (the vector env's ``reset``
    draws all lanes from one generator, which would tie a lane's episode to its batch-mates)."""

    def __init__(self, task: GymTask, seeds: np.ndarray) -> None:
        gym = _gymnasium()
        self._vec = gym.make_vec(task.env_id, num_envs=len(seeds), vectorization_mode="vector_entry_point")
        self._vec.reset(seed=0)
        self.observations = _NATIVE_STARTS[gym.spec(task.env_id).vector_entry_point](gym, self._vec.unwrapped, seeds)
        self._at = np.arange(len(seeds))
        self._idle = _idle_action(task)


def _idle_action(task: GymTask) -> np.ndarray:
    """The action given to finished lanes: a valid one, never read back."""
    if task.discrete:
        return np.array(task.action_start, dtype=np.int64)
    return (task.action_low + 0.5 * task.action_span).reshape(task.action_shape).astype(task.action_dtype)


def _cartpole_starts(gym, vec, seeds: np.ndarray) -> np.ndarray:
    """Start CartPoleVectorEnv lane i where ``CartPoleEnv.reset(seed=seeds[i])`` starts; the observations."""
    starts = np.stack([gym.utils.seeding.np_random(int(s))[0].uniform(-0.05, 0.05, size=(4,)) for s in seeds])
    vec.state = np.ascontiguousarray(starts.T)
    return starts.astype(np.float32)


#: Native vector envs whose lanes can be started individually: vector_entry_point -> start function.
_NATIVE_STARTS = {"gymnasium.envs.classic_control.cartpole:CartPoleVectorEnv": _cartpole_starts}
