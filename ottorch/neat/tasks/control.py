"""Control tasks: single pole balancing and the double pole balancing benchmark of the NEAT paper.

The physics is written once, as arithmetic on Python floats or numpy arrays alike (the sine, cosine
and sign functions are passed in): fitness runs one episode at a time on floats, which is an order
of magnitude faster than numpy on six numbers; the generalisation tests of ``test_metric`` run all
their start states at once on arrays.

During fitness evaluation the network runs as a ``FloatPolicy`` (the genome's network on Python
floats: 1-2 us per call for the small networks these tasks evolve, against 14-30 us for
``GenomeNetwork.policy()``). A double pole action (two RK4 steps) costs 9-15 us of physics, so a
solving 100,000-step episode takes 1-2 s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ottorch.neat.activations import ACTIVATION_FUNCTIONS
from ottorch.neat.config import FineTuneConfig, GenomeConfig, NEATConfig, SpeciesConfig
from ottorch.neat.genome import Genome
from ottorch.neat.phenotype import GenomeNetwork, layer_order, required_nodes
from ottorch.neat.tasks.base import Task

#: A float, or an array of them for many episodes at once.
Value = float | np.ndarray
_NO_FINE_TUNING = FineTuneConfig(mode="none", steps=0)

# ----------------------------------------------------------------------------- network on floats


def _float_sigmoid(z: float) -> float:
    return 0.5 * (math.tanh(0.5 * min(max(5.0 * z, -60.0), 60.0)) + 1.0)


def _float_tanh(z: float) -> float:
    return math.tanh(min(max(2.5 * z, -60.0), 60.0))


def _identity(z: float) -> float:
    return z


# math versions of the activations control networks use; the others go through numpy (slower, same definition)
_FLOAT_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": _float_sigmoid, "tanh": _float_tanh, "identity": _identity,
}


def _numpy_activation(name: str) -> Callable[[float], float]:
    f = ACTIVATION_FUNCTIONS[name][0]
    return lambda z: float(f(np.float64(z)))


class FloatPolicy:
    """A genome's network evaluated on Python floats, one observation per call.

    Same semantics as ``compile_genome(genome).policy()`` (up to float rounding), built from the
    genome and, when ``net`` is given, that network's (possibly trained) weights and biases:
    ``policy(obs)`` takes a sequence of ``num_inputs`` floats and returns the list of outputs;
    recurrent (delay-1) edges read the previous call's node values, zero after ``reset()``.
    """

    def __init__(self, genome: Genome, net: GenomeNetwork | None = None) -> None:
        weights, biases = net.export() if net is not None else ({}, {})
        needed = required_nodes(genome)
        order = [n for layer in layer_order(genome, needed) for n in layer]
        column = {k: i for i, k in enumerate(genome.input_keys)}
        for n in order:
            column[n] = len(column)
        incoming: dict[tuple[int, bool], list[tuple[int, float]]] = {}
        for c in genome.enabled_connections():
            if c.out_node in needed and c.in_node in column:
                incoming.setdefault((c.out_node, c.recurrent), []).append(
                    (column[c.in_node], weights.get(c.innovation, c.weight)))
        # layer order: every feed-forward source is computed before its target
        self._program = []
        for n in order:
            node = genome.nodes[n]
            act = _FLOAT_ACTIVATIONS.get(node.activation) or _numpy_activation(node.activation)
            self._program.append((column[n], tuple(incoming.get((n, False), ())), tuple(incoming.get((n, True), ())),
                                  biases.get(n, node.bias), node.response, act))
        self.num_inputs = len(genome.input_keys)
        self._outputs = [column[k] for k in genome.output_keys]
        self._recurrent = any(rec for _, rec in incoming)
        self._values = [0.0] * len(column)
        self._prev = [0.0] * len(column)

    def reset(self) -> None:
        """Forget the recurrent state (the next call sees zeros on delayed edges)."""
        self._prev = [0.0] * len(self._prev)

    def __call__(self, obs: Sequence[float]) -> list[float]:
        if len(obs) != self.num_inputs:
            raise ValueError(f"expected {self.num_inputs} observation values, got {len(obs)}")
        values, prev = self._values, self._prev
        values[: self.num_inputs] = obs
        for col, feed_forward, delayed, bias, response, act in self._program:
            s = 0.0
            for j, w in feed_forward:
                s += w * values[j]
            for j, w in delayed:
                s += w * prev[j]
            values[col] = act(s * response + bias)
        if self._recurrent:
            self._values, self._prev = prev, values
        return [values[c] for c in self._outputs]


def _float_sign(v: float) -> float:
    return float((v > 0.0) - (v < 0.0))


# ----------------------------------------------------------------------------- single pole


# gym's CartPole-v1 / Barto, Sutton & Anderson (1983)
CART_GRAVITY = 9.8
CART_MASS = 1.0
POLE_MASS = 0.1
POLE_HALF_LENGTH = 0.5
CART_FORCE = 10.0
CART_TAU = 0.02
CART_X_LIMIT = 2.4
CART_ANGLE_LIMIT = math.radians(12.0)


def cartpole_step(x: Value, x_dot: Value, theta: Value, theta_dot: Value, force: Value,
                  sin: Callable = math.sin, cos: Callable = math.cos) -> tuple[Value, Value, Value, Value]:
    """One Euler step (``CART_TAU`` s) of gym's CartPole equations: floats, or arrays with
    ``sin=np.sin, cos=np.cos``. ``theta`` is 0 upright and positive when the pole leans towards +x
    (a positive force, pushing the cart towards +x, makes it decrease). Returns the new
    ``(x, x_dot, theta, theta_dot)``."""
    total_mass = CART_MASS + POLE_MASS
    pole_mass_length = POLE_MASS * POLE_HALF_LENGTH
    sin_t, cos_t = sin(theta), cos(theta)
    temp = (force + pole_mass_length * theta_dot * theta_dot * sin_t) / total_mass
    theta_acc = (CART_GRAVITY * sin_t - cos_t * temp) / (
        POLE_HALF_LENGTH * (4.0 / 3.0 - POLE_MASS * cos_t * cos_t / total_mass))
    x_acc = temp - pole_mass_length * theta_acc * cos_t / total_mass
    return (x + CART_TAU * x_dot, x_dot + CART_TAU * x_acc,
            theta + CART_TAU * theta_dot, theta_dot + CART_TAU * theta_acc)


class CartPoleTask(Task):
    """Single pole balancing (Barto, Sutton & Anderson 1983) with gym's CartPole constants.

    Physics: g 9.8 m/s^2, cart 1 kg, pole 0.1 kg with half-length 0.5 m, no friction, Euler steps
    of 0.02 s. An episode fails when ``|x| > 2.4`` m or ``|theta| > 12`` degrees.

    Network: 4 inputs ``(x / 2.4, x_dot / 3, theta / 12 degrees, theta_dot / 3)`` (roughly in
    [-1, 1] while the pole is balanced) and one output; the force is ``+10`` N (towards +x) when
    the output is above 0.5 and ``-10`` N otherwise (bang-bang control, as in gym), so with a
    sigmoid output the sign of the output node's input decides.

    Fitness: the fraction of ``max_steps`` survived, averaged over ``num_episodes`` start states
    drawn from the evaluation's generator: ``x`` and ``theta`` uniform in half their failure range,
    both velocities uniform in +-0.5. 1.0 means every episode lasted ``max_steps`` steps; a genome
    whose evaluation fails gets 0.
    """

    name = "cartpole"
    num_inputs, num_outputs = 4, 1
    differentiable = False
    fitness_threshold = 1.0
    worst_fitness = 0.0
    #: Half-widths of the uniform start state distribution (x, x_dot, theta, theta_dot).
    start_bounds = (0.5 * CART_X_LIMIT, 0.5, 0.5 * CART_ANGLE_LIMIT, 0.5)
    #: Divisors that bring the state variables to roughly [-1, 1].
    input_scale = (CART_X_LIMIT, 3.0, CART_ANGLE_LIMIT, 3.0)

    def __init__(self, max_steps: int = 500, num_episodes: int = 5, test_episodes: int = 100) -> None:
        if max_steps < 1 or num_episodes < 1 or test_episodes < 1:
            raise ValueError(f"max_steps, num_episodes and test_episodes must be >= 1, got {max_steps}, "
                             f"{num_episodes} and {test_episodes}")
        self.max_steps, self.num_episodes, self.test_episodes = max_steps, num_episodes, test_episodes

    def start_states(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` start states ``(x, x_dot, theta, theta_dot)``, shape (n, 4)."""
        bounds = np.asarray(self.start_bounds)
        return rng.uniform(-bounds, bounds, (n, 4))

    def default_config(self, mode: str | None = None) -> NEATConfig:
        return NEATConfig(
            pop_size=50, fitness_threshold=self.fitness_threshold,
            genome=GenomeConfig(num_inputs=4, num_outputs=1, activation_default="sigmoid",
                                activation_options=("sigmoid",)),
            species=SpeciesConfig(target_num_species=5),
            fine_tune=_NO_FINE_TUNING,
        )

    def episode(self, policy: Callable[[Sequence[float]], Sequence[float]], state: Sequence[float]) -> int:
        """Steps survived (0 .. ``max_steps``) by ``policy`` from ``state``."""
        x, x_dot, theta, theta_dot = (float(v) for v in state)
        sx, sxd, st, std = (1.0 / s for s in self.input_scale)
        for step in range(self.max_steps):
            out = policy((x * sx, x_dot * sxd, theta * st, theta_dot * std))[0]
            force = CART_FORCE if out > 0.5 else -CART_FORCE
            x, x_dot, theta, theta_dot = cartpole_step(x, x_dot, theta, theta_dot, force)
            if not (-CART_X_LIMIT <= x <= CART_X_LIMIT and -CART_ANGLE_LIMIT <= theta <= CART_ANGLE_LIMIT):
                return step
        return self.max_steps

    def fitness(self, net: GenomeNetwork, genome: Genome, rng: np.random.Generator) -> float:
        policy = FloatPolicy(genome, net)
        total = 0
        for state in self.start_states(rng, self.num_episodes):
            policy.reset()
            total += self.episode(policy, state)
        return total / (self.num_episodes * self.max_steps)

    def test_metric(self, net: GenomeNetwork, genome: Genome) -> dict[str, float]:
        """Over ``test_episodes`` start states from a fixed seed: the fraction balanced for
        ``max_steps`` and the mean fraction of steps survived."""
        states = self.start_states(np.random.default_rng(12345), self.test_episodes)
        x, x_dot, theta, theta_dot = states.T.copy()
        scale = np.asarray(self.input_scale)
        policy = net.policy()
        steps = np.zeros(len(states), dtype=np.int64)
        alive = np.ones(len(states), dtype=bool)
        for _ in range(self.max_steps):
            out = policy(np.stack([x, x_dot, theta, theta_dot], axis=1) / scale)[:, 0]
            force = np.where(out > 0.5, CART_FORCE, -CART_FORCE)
            new = cartpole_step(x, x_dot, theta, theta_dot, force, np.sin, np.cos)
            # episodes that failed keep their last state
            x, x_dot, theta, theta_dot = (np.where(alive, n, o) for n, o in zip(new, (x, x_dot, theta, theta_dot)))
            alive &= (np.abs(x) <= CART_X_LIMIT) & (np.abs(theta) <= CART_ANGLE_LIMIT)
            steps += alive
            if not alive.any():
                break
        return {"balanced": float((steps == self.max_steps).mean()), "mean_steps": float(steps.mean() / self.max_steps)}


# ----------------------------------------------------------------------------- double pole

# Wieland (1991) as coded by Gomez & Miikkulainen (ESP) and Stanley (NEAT); gravity is negative there
DP_GRAVITY = -9.8
DP_CART_MASS = 1.0
DP_POLE_MASS = (0.1, 0.01)
DP_HALF_LENGTH = (0.5, 0.05)
DP_POLE_FRICTION = 0.000002
DP_CART_FRICTION = 0.0005
DP_FORCE = 10.0
DP_TAU = 0.01
DP_X_LIMIT = 2.4
DP_ANGLE_LIMIT = 0.628329  # 36 degrees, as the C code spells it
(_M1, _M2), (_L1, _L2) = DP_POLE_MASS, DP_HALF_LENGTH
_ML1, _ML2 = _M1 * _L1, _M2 * _L2


def double_pole_derivatives(force: Value, x_dot: Value, theta1: Value, theta1_dot: Value, theta2: Value,
                            theta2_dot: Value, cart_friction: float = DP_CART_FRICTION, sin: Callable = math.sin,
                            cos: Callable = math.cos, sign: Callable = _float_sign) -> tuple[Value, Value, Value]:
    """Accelerations ``(x_acc, theta1_acc, theta2_acc)`` of Wieland's two-pole cart.

    Each pole i adds the effective force ``m l th'^2 sin(th) + 3/4 m cos(th) (mu_p th' / (m l) + g sin(th))``
    and the effective mass ``m (1 - 3/4 cos^2(th))``; ``x'' = (F - mu_c sgn(x') + sum forces) /
    (M + sum masses)`` and ``th'' = -3/(4 l) (x'' cos(th) + g sin(th) + mu_p th' / (m l))`` with
    g = -9.8 (angles 0 upright, positive towards +x; a positive force decreases them). Floats, or
    arrays with ``sin=np.sin, cos=np.cos, sign=np.sign``.
    """
    c1, s1, c2, s2 = cos(theta1), sin(theta1), cos(theta2), sin(theta2)
    gs1, gs2 = DP_GRAVITY * s1, DP_GRAVITY * s2
    hinge1, hinge2 = DP_POLE_FRICTION * theta1_dot / _ML1, DP_POLE_FRICTION * theta2_dot / _ML2
    f1 = _ML1 * theta1_dot * theta1_dot * s1 + 0.75 * _M1 * c1 * (hinge1 + gs1)
    f2 = _ML2 * theta2_dot * theta2_dot * s2 + 0.75 * _M2 * c2 * (hinge2 + gs2)
    mass = _M1 * (1.0 - 0.75 * c1 * c1) + _M2 * (1.0 - 0.75 * c2 * c2) + DP_CART_MASS
    x_acc = (force - cart_friction * sign(x_dot) + f1 + f2) / mass
    return x_acc, -0.75 * (x_acc * c1 + gs1 + hinge1) / _L1, -0.75 * (x_acc * c2 + gs2 + hinge2) / _L2


def double_pole_rk4(state: tuple[Value, ...], force: Value, h: float = DP_TAU, cart_friction: float = DP_CART_FRICTION,
                    sin: Callable = math.sin, cos: Callable = math.cos, sign: Callable = _float_sign
                    ) -> tuple[Value, ...]:
    """One 4th-order Runge-Kutta step of ``h`` seconds with a constant ``force``, like ``rk4`` in the
    standard C code (same stages and the same order of the final sums). ``state`` is
    ``(x, x_dot, theta1, theta1_dot, theta2, theta2_dot)`` of floats or arrays; returns the new one."""
    x, xd, t1, t1d, t2, t2d = state
    hh = 0.5 * h
    # positional calls: keyword arguments or a closure here double the cost of a step
    accel, mu = double_pole_derivatives, cart_friction
    a1, b1, c1 = accel(force, xd, t1, t1d, t2, t2d, mu, sin, cos, sign)
    xd2, t1d2, t2d2 = xd + hh * a1, t1d + hh * b1, t2d + hh * c1
    a2, b2, c2 = accel(force, xd2, t1 + hh * t1d, t1d2, t2 + hh * t2d, t2d2, mu, sin, cos, sign)
    xd3, t1d3, t2d3 = xd + hh * a2, t1d + hh * b2, t2d + hh * c2
    a3, b3, c3 = accel(force, xd3, t1 + hh * t1d2, t1d3, t2 + hh * t2d2, t2d3, mu, sin, cos, sign)
    xd4, t1d4, t2d4 = xd + h * a3, t1d + h * b3, t2d + h * c3
    a4, b4, c4 = accel(force, xd4, t1 + h * t1d3, t1d4, t2 + h * t2d3, t2d4, mu, sin, cos, sign)
    h6 = h / 6.0
    return (x + h6 * (xd + xd4 + 2.0 * (xd3 + xd2)), xd + h6 * (a1 + a4 + 2.0 * (a3 + a2)),
            t1 + h6 * (t1d + t1d4 + 2.0 * (t1d3 + t1d2)), t1d + h6 * (b1 + b4 + 2.0 * (b3 + b2)),
            t2 + h6 * (t2d + t2d4 + 2.0 * (t2d3 + t2d2)), t2d + h6 * (c1 + c4 + 2.0 * (c3 + c2)))


#: Divisors of the state variables in the network inputs (ESP's scaling).
_DP_INPUT_SCALE = (DP_X_LIMIT, 10.0, 0.62832, 5.0, 0.62832, 5.0)
#: The 5 fractions of each range in Gruau et al.'s (1996) generalisation test.
_GENERALIZATION_FRACTIONS = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Its ranges of x, x_dot, theta1, theta1_dot (the short pole starts upright at rest).
_GENERALIZATION_RANGES = (2.16, 1.35, 0.06283152, 0.15009752)


class DoublePoleTask(Task):
    """Double pole balancing (Wieland 1991) as in the NEAT paper (Stanley & Miikkulainen 2002).

    Physics, following the C code of ESP (Gomez & Miikkulainen) and NEAT (Stanley) line by line:
    cart 1 kg on a 4.8 m track (``|x| <= 2.4``); long pole 1 m (half-length 0.5) of 0.1 kg, short
    pole 0.1 m (half-length 0.05) of 0.01 kg; hinge friction 2e-6; g = -9.8; cart friction
    ``cart_friction`` (0.0005, Wieland's value; Stanley's code leaves it out, ``cart_friction=0``).
    The network acts every 0.02 s and each action is held for two 4th-order Runge-Kutta steps of
    0.01 s (``performAction`` / ``rk4`` of the C code). An episode fails when the cart leaves the
    track or either pole leaves +-36 degrees (0.628329 rad as the C code has it).

    Start state: everything 0 except the long pole at ``initial_angle`` degrees: 1 degree as the
    NEAT paper states (ESP's setup uses 4.5 degrees and Stanley's code 0.07 rad, about 4).

    Network: with ``velocities`` 6 inputs ``(x / 2.4, x_dot / 10, theta1 / 0.62832, theta1_dot / 5,
    theta2 / 0.62832, theta2_dot / 5)`` (ESP's scaling; Stanley's code uses ``x / 4.8``, ``/ 2``
    and ``/ 0.52`` plus a 0.5 bias input, needless here as nodes have biases); without, the 3
    positions ``(x / 2.4, theta1 / 0.62832, theta2 / 0.62832)``, and the genome needs recurrent
    connections. One output ``out``; force ``(out - 0.5) * 20`` N as in the C code, clipped to
    [-10, 10] (a sigmoid output spans exactly that range).

    Fitness: the number of actions after which both poles and the cart are still within bounds,
    divided by ``max_steps`` (1.0: balanced for ``max_steps`` actions; 100,000 actions = 2,000
    simulated seconds is the benchmark's success criterion). The start state is fixed, so fitness
    does not use the generator. Without velocities this is the plain step count, not Gruau's
    "damping" fitness. A genome whose evaluation fails gets 0.
    """

    name = "double_pole"
    num_outputs = 1
    differentiable = False
    fitness_threshold = 1.0
    worst_fitness = 0.0

    def __init__(self, velocities: bool = True, max_steps: int = 100_000, initial_angle: float = 1.0,
                 cart_friction: float = DP_CART_FRICTION, generalization_steps: int = 1000) -> None:
        if max_steps < 1 or generalization_steps < 1:
            raise ValueError(f"max_steps and generalization_steps must be >= 1, got {max_steps} and "
                             f"{generalization_steps}")
        self.velocities = velocities
        self.max_steps, self.generalization_steps = max_steps, generalization_steps
        self.initial_angle = initial_angle
        self.cart_friction = cart_friction
        self.num_inputs = 6 if velocities else 3
        self.recurrent = not velocities
        self.name = "double_pole" if velocities else "double_pole_no_velocities"
        #: The state variables the network sees, and their divisors.
        self.observed = (0, 1, 2, 3, 4, 5) if velocities else (0, 2, 4)
        self.input_scale = tuple(_DP_INPUT_SCALE[i] for i in self.observed)

    def start_state(self) -> tuple[float, ...]:
        """``(x, x_dot, theta1, theta1_dot, theta2, theta2_dot)`` at the start of an episode."""
        return (0.0, 0.0, math.radians(self.initial_angle), 0.0, 0.0, 0.0)

    def default_config(self, mode: str | None = None) -> NEATConfig:
        """The NEAT paper's double pole setup, inputs fully connected to one sigmoid output, the
        paper's mutation and speciation rates, no fine-tuning, but 30 genomes instead of 150: over 40
        seeds 30 genomes needed 1,048 evaluations on average (all solved), 50 needed 1,510 and the
        paper's 150 needed 2,932 (20 seeds). Without velocities: 150 genomes with recurrent
        connections allowed (the paper's 1,000 genomes with c3 = 3 and threshold 4 split into
        hundreds of two-genome species here and need several times the wall time)."""
        return NEATConfig(
            pop_size=30 if self.velocities else 150, fitness_threshold=self.fitness_threshold,
            genome=GenomeConfig(num_inputs=self.num_inputs, num_outputs=1, feed_forward=self.velocities,
                                activation_default="sigmoid", activation_options=("sigmoid",)),
            fine_tune=_NO_FINE_TUNING,
        )

    def episode(self, policy: Callable[[Sequence[float]], Sequence[float]], state: Sequence[float],
                max_steps: int) -> int:
        """Actions (0 .. ``max_steps``) after which ``policy``, started from ``state``, still balances."""
        x, xd, t1, t1d, t2, t2d = (float(v) for v in state)
        k0, k1, k2, k3, k4, k5 = (1.0 / v for v in _DP_INPUT_SCALE)
        velocities, friction = self.velocities, self.cart_friction
        limit, x_limit = DP_ANGLE_LIMIT, DP_X_LIMIT
        for step in range(max_steps):
            if velocities:
                out = policy((x * k0, xd * k1, t1 * k2, t1d * k3, t2 * k4, t2d * k5))[0]
            else:
                out = policy((x * k0, t1 * k2, t2 * k4))[0]
            force = min(max((out - 0.5) * DP_FORCE * 2.0, -DP_FORCE), DP_FORCE)
            s = double_pole_rk4((x, xd, t1, t1d, t2, t2d), force, DP_TAU, friction)
            x, xd, t1, t1d, t2, t2d = double_pole_rk4(s, force, DP_TAU, friction)
            if not (-x_limit <= x <= x_limit and -limit <= t1 <= limit and -limit <= t2 <= limit):
                return step
        return max_steps

    def fitness(self, net: GenomeNetwork, genome: Genome, rng: np.random.Generator) -> float:
        return self.episode(FloatPolicy(genome, net), self.start_state(), self.max_steps) / self.max_steps

    def generalization(self, net: GenomeNetwork) -> int:
        """Gruau et al.'s (1996) generalisation score: of the 625 start states where x, x_dot, theta1
        and theta1_dot each take 5 values spread over +-2.16 m, +-1.35 m/s, +-3.6 and +-8.6 degrees/s
        (short pole upright at rest), how many the network balances for ``generalization_steps``."""
        fractions = np.asarray(_GENERALIZATION_FRACTIONS)
        grids = np.meshgrid(*[(2.0 * fractions - 1.0) * r for r in _GENERALIZATION_RANGES], indexing="ij")
        x, xd, t1, t1d = (g.ravel() for g in grids)
        zero = np.zeros_like(x)
        state = (x, xd, t1, t1d, zero, zero.copy())
        scale = np.asarray(self.input_scale)
        policy = net.policy()
        alive = np.ones(len(x), dtype=bool)
        for _ in range(self.generalization_steps):
            out = policy(np.stack([state[i] for i in self.observed], axis=1) / scale)[:, 0]
            force = np.clip((out - 0.5) * DP_FORCE * 2.0, -DP_FORCE, DP_FORCE)
            new = state
            for _ in range(2):
                new = double_pole_rk4(new, force, DP_TAU, self.cart_friction, np.sin, np.cos, np.sign)
            # failed episodes keep their last state, so nothing overflows
            state = tuple(np.where(alive, n, o) for n, o in zip(new, state))
            alive &= ((np.abs(state[0]) <= DP_X_LIMIT) & (np.abs(state[2]) <= DP_ANGLE_LIMIT)
                      & (np.abs(state[4]) <= DP_ANGLE_LIMIT))
            if not alive.any():
                break
        return int(alive.sum())

    def test_metric(self, net: GenomeNetwork, genome: Genome) -> dict[str, float]:
        """Steps balanced from the standard start (fraction of ``max_steps``) and the 625-start
        generalisation score."""
        return {"balanced": self.episode(FloatPolicy(genome, net), self.start_state(), self.max_steps) / self.max_steps,
                "generalization": float(self.generalization(net))}

