import dataclasses
import math

import numpy as np
import pytest

from ottorch.neat.config import NEATConfig
from ottorch.neat.evaluator import SerialEvaluator
from ottorch.neat.genome import ConnectionGene, Genome, NodeGene
from ottorch.neat.phenotype import compile_genome, reference_forward
from ottorch.neat.population import Population
from ottorch.neat.tasks import make_task
from ottorch.neat.tasks.control import (
    CART_ANGLE_LIMIT,
    CART_GRAVITY,
    CART_MASS,
    CART_TAU,
    DP_CART_MASS,
    DP_GRAVITY,
    DP_HALF_LENGTH,
    DP_POLE_FRICTION,
    DP_POLE_MASS,
    POLE_HALF_LENGTH,
    POLE_MASS,
    CartPoleTask,
    DoublePoleTask,
    FloatPolicy,
    cartpole_step,
    double_pole_derivatives,
    double_pole_rk4,
)
from tests.neat.tasks.lock_step import assert_lock_step_equals_each_genome_alone

# A bang-bang linear controller for the single pole (inputs scaled as in the task).
CARTPOLE_WEIGHTS = [0.2, 0.5, 1.0, 1.0]
# Minus the discrete-time LQR gains of the linearised double pole (Q = diag(1, .1, 10, .1, 10, .1), R = .1), divided by
# the sigmoid-force slope (25 N per unit of input) and multiplied by the input scales, rounded.
DOUBLE_POLE_WEIGHTS = [-0.2, -1.47, -1.62, -3.38, 1.13, 0.74]


def linear_genome(weights, bias=0.0):
    """Inputs straight to one sigmoid output."""
    g = Genome(0)
    for k in range(1, len(weights) + 1):
        g.nodes[-k] = NodeGene(-k, "input")
    g.nodes[0] = NodeGene(0, "output", "sigmoid", bias)
    for i, w in enumerate(weights):
        g.connections[i] = ConnectionGene(i, -(i + 1), 0, w)
    return g


def double_pole_energy(state):
    """Kinetic plus potential energy of cart and two uniform rods (g = 9.8, angles from upright)."""
    x, xd, *poles = state
    energy = 0.5 * DP_CART_MASS * xd**2
    for (theta, omega), m, l in zip(zip(poles[::2], poles[1::2]), DP_POLE_MASS, DP_HALF_LENGTH):
        vx, vy = xd + l * omega * math.cos(theta), -l * omega * math.sin(theta)
        energy += 0.5 * m * (vx**2 + vy**2) + 0.5 * (m * l**2 / 3) * omega**2 - DP_GRAVITY * m * l * math.cos(theta)
    return energy


# ----------------------------------------------------------------------------- physics


def test_cartpole_first_euler_step_from_rest_matches_hand_computation():
    # temp = F / (M + m) = 100/11; theta'' = -temp / (l (4/3 - m / (M + m))) = -600/41; x'' = 400/41
    x, x_dot, theta, theta_dot = cartpole_step(0.0, 0.0, 0.0, 0.0, 10.0)
    assert (x, theta) == (0.0, 0.0)
    assert x_dot == pytest.approx(CART_TAU * 400 / 41, rel=1e-12)
    assert theta_dot == pytest.approx(-CART_TAU * 600 / 41, rel=1e-12)
    # positions move with the old velocities (explicit Euler)
    assert cartpole_step(0.5, 1.0, 0.1, -2.0, 0.0)[0::2] == pytest.approx((0.5 + CART_TAU, 0.1 - 2 * CART_TAU))


def test_cartpole_upright_pole_without_force_stays_up():
    state = (0.0, 0.0, 0.0, 0.0)
    for _ in range(10_000):
        state = cartpole_step(*state, 0.0)
    assert state == (0.0, 0.0, 0.0, 0.0)


def test_cartpole_tilted_pole_falls_when_the_linearised_model_says():
    state, steps = (0.0, 0.0, 0.01, 0.0), 0
    while abs(state[2]) <= CART_ANGLE_LIMIT:
        state = cartpole_step(*state, 0.0)
        steps += 1
    # theta = 0.01 cosh(w t) with w^2 = g / (l (4/3 - m / (M + m)))
    omega = math.sqrt(CART_GRAVITY / (POLE_HALF_LENGTH * (4 / 3 - POLE_MASS / (CART_MASS + POLE_MASS))))
    predicted = math.acosh(CART_ANGLE_LIMIT / 0.01) / omega / CART_TAU
    assert steps == 49
    assert abs(steps - predicted) < 3
    assert state[0] < 0 < state[2]  # without force the cart only moves by the pole's reaction
    # arrays take the same path
    arrays = cartpole_step(np.zeros(2), np.zeros(2), np.array([0.01, -0.01]), np.zeros(2), np.zeros(2), np.sin, np.cos)
    assert arrays[3] == pytest.approx([cartpole_step(0.0, 0.0, 0.01, 0.0, 0.0)[3], -cartpole_step(0, 0, 0.01, 0, 0)[3]])


def test_double_pole_derivatives_at_rest_match_hand_computation():
    # upright at rest: effective pole masses m/4, so x'' = F / (1 + 0.1/4 + 0.01/4), theta_i'' = -3/(4 l_i) x''
    x_acc, t1_acc, t2_acc = double_pole_derivatives(10.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert x_acc == pytest.approx(10.0 / 1.0275, rel=1e-12)
    assert t1_acc == pytest.approx(-1.5 * x_acc, rel=1e-12)
    assert t2_acc == pytest.approx(-15.0 * x_acc, rel=1e-12)
    # the cart friction opposes the motion
    assert double_pole_derivatives(10.0, 1.0, 0, 0, 0, 0)[0] == pytest.approx((10.0 - 0.0005) / 1.0275, rel=1e-12)
    assert double_pole_derivatives(10.0, -1.0, 0, 0, 0, 0, 0.0)[0] == pytest.approx(x_acc, rel=1e-12)
    # a tilted pole falls further (g = -9.8 and positive angles fall clockwise)
    assert double_pole_derivatives(0.0, 0.0, 0.1, 0.0, 0.0, 0.0)[1] > 0


def test_double_pole_upright_without_force_stays_up():
    state = (0.0,) * 6
    for _ in range(2000):
        state = double_pole_rk4(state, 0.0)
    assert state == (0.0,) * 6


def test_double_pole_rk4_step_is_fourth_order():
    start = (0.3, -0.4, 0.1, 0.5, -0.2, 1.5)
    reference = start
    for _ in range(200):
        reference = double_pole_rk4(reference, 3.0, 0.0001)

    def error(h):
        state = start
        for _ in range(round(0.02 / h)):
            state = double_pole_rk4(state, 3.0, h)
        return np.abs(np.subtract(state, reference)).max()

    assert error(0.01) < 1e-5
    assert 8 < error(0.01) / error(0.005) < 40  # global error ~ h^4


def test_double_pole_energy_lost_equals_hinge_friction_work():
    state = (0.0, 0.5, 0.2, -1.0, -0.3, 2.0)
    start, dissipated = double_pole_energy(state), 0.0
    for _ in range(200):  # 2 s without force or cart friction: the poles swing through large angles
        before = DP_POLE_FRICTION * (state[3] ** 2 + state[5] ** 2)
        state = double_pole_rk4(state, 0.0, cart_friction=0.0)
        dissipated += 0.005 * (before + DP_POLE_FRICTION * (state[3] ** 2 + state[5] ** 2))  # trapezoid rule
    assert abs(state[2]) > 1.0 and dissipated > 1e-3 * start
    assert abs(start - double_pole_energy(state) - dissipated) < 1e-6 * start


def test_double_pole_array_and_float_steps_agree():
    states = np.random.default_rng(0).uniform(-0.5, 0.5, (6, 4))
    arrays = double_pole_rk4(tuple(states), np.array([1.0, -2.0, 0.0, 5.0]), sin=np.sin, cos=np.cos, sign=np.sign)
    for k in range(4):
        one = double_pole_rk4(tuple(states[:, k].tolist()), [1.0, -2.0, 0.0, 5.0][k])
        np.testing.assert_allclose(np.array(arrays)[:, k], one, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- networks on floats


def test_float_policy_matches_the_numpy_policy():
    g = Genome(1)
    for k in (-1, -2, -3):
        g.nodes[k] = NodeGene(k, "input")
    g.nodes[0] = NodeGene(0, "output", "sigmoid", 0.3)
    g.nodes[1] = NodeGene(1, "output", "tanh", -0.2, response=1.5)
    g.nodes[2] = NodeGene(2, "hidden", "gauss", 0.1)
    g.nodes[3] = NodeGene(3, "hidden", "relu", -0.4)
    edges = [(-1, 2, 0.7, False), (-2, 2, -1.1, False), (2, 3, 0.9, False), (-3, 3, 0.5, False), (3, 0, 1.3, False),
             (2, 0, -0.8, False), (-1, 1, 0.4, False), (3, 1, 2.0, False), (3, 2, 0.6, True), (0, 0, -0.5, True),
             (1, 3, 0.3, True)]
    for i, (a, b, w, rec) in enumerate(edges):
        g.connections[i] = ConnectionGene(i, a, b, w, recurrent=rec)
    net = compile_genome(g)
    fast, reference = FloatPolicy.from_genome(g, net), net.policy()
    obs = np.random.default_rng(1).normal(size=(12, 3))
    for _ in range(2):
        fast.reset()
        reference.reset()
        for o in obs:
            np.testing.assert_allclose(fast(o.tolist()), reference(o), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="expected 3 observation values, got 2"):
        fast([0.0, 1.0])
    # without a network the genome's own (float64) values are used; trained values win when given
    np.testing.assert_allclose(FloatPolicy.from_genome(g)(obs[0].tolist()), reference_forward(g, obs[:1])[0], rtol=1e-12)
    net.bias.data[:] = 0.0
    assert FloatPolicy.from_genome(g, net)(obs[0].tolist()) != FloatPolicy.from_genome(g)(obs[0].tolist())


# ----------------------------------------------------------------------------- single pole task


def test_linear_controller_balances_the_single_pole():
    task = CartPoleTask()
    g = linear_genome(CARTPOLE_WEIGHTS)
    net = compile_genome(g)
    assert task.fitness(net, g, np.random.default_rng(0)) == 1.0
    assert task.test_metric(net, g) == {"balanced": 1.0, "mean_steps": 1.0}
    # pushing always the same way fails within a second, on every start
    push = linear_genome([0.0] * 4, bias=1.0)
    metric = task.test_metric(compile_genome(push), push)
    assert metric["balanced"] == 0.0 and metric["mean_steps"] < 0.1


def test_cartpole_fitness_is_deterministic_given_the_generator():
    task = CartPoleTask(max_steps=300, num_episodes=4)
    g = linear_genome([0.5, -0.3, 1.0, 0.2], bias=0.1)
    net = compile_genome(g)
    runs = [task.fitness(net, g, np.random.default_rng(seed)) for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert 0.0 <= runs[0] < 1.0 and runs[0] != runs[2]
    # the start states come from the generator, within their bounds
    states = task.start_states(np.random.default_rng(3), 1000)
    assert states.shape == (1000, 4)
    assert np.all(np.abs(states) <= task.start_bounds) and np.all(states.max(0) > 0.9 * np.asarray(task.start_bounds))


def test_cartpole_episode_counts_steps_until_failure():
    task = CartPoleTask(max_steps=200)
    # without force the pole leaning towards +x falls on step 49; always pushing towards -x makes it fall sooner
    assert task.episode(lambda obs: [0.0], (0.0, 0.0, 0.01, 0.0)) < 48
    assert task.episode(lambda obs: [float(obs[2] + obs[3] > 0)], (0.0, 0.0, 0.01, 0.0)) > 49


def test_cartpole_default_config_and_arguments():
    task = CartPoleTask()
    cfg = task.default_config()
    assert isinstance(cfg, NEATConfig)
    assert (cfg.genome.num_inputs, cfg.genome.num_outputs, cfg.fine_tune.mode) == (4, 1, "none")
    assert cfg.fitness_threshold == task.fitness_threshold == 1.0
    assert not task.differentiable and not task.recurrent
    with pytest.raises(ValueError, match="max_steps"):
        CartPoleTask(max_steps=0)


def test_short_neat_run_improves_cartpole_fitness():
    task = CartPoleTask(max_steps=200, num_episodes=4)
    cfg = task.default_config()
    # zero initial weights: the first generation can only push one way, so any progress is evolution's
    cfg = cfg.replace(pop_size=20, genome=dataclasses.replace(cfg.genome, weight_init_stdev=0.0))
    pop = Population(cfg, seed=0)
    pop.run(SerialEvaluator(task, cfg.fine_tune), generations=10)
    first, best = pop.history[0].best_fitness, pop.best_genome.fitness
    assert first < 0.1 and best >= 0.5


# ----------------------------------------------------------------------------- double pole task


def test_lqr_controller_balances_the_double_pole():
    task = DoublePoleTask(max_steps=5000, generalization_steps=20)
    g = linear_genome(DOUBLE_POLE_WEIGHTS)
    net = compile_genome(g)
    assert task.fitness(net, g, np.random.default_rng(0)) == 1.0
    metric = task.test_metric(net, g)
    assert metric["balanced"] == 1.0
    assert 400 < metric["generalization"] < 625
    # the vectorised generalisation test agrees with running each start state alone
    fractions, ranges = (0.05, 0.25, 0.5, 0.75, 0.95), (2.16, 1.35, 0.06283152, 0.15009752)
    grid = np.stack(np.meshgrid(*[(2 * np.array(fractions) - 1) * r for r in ranges], indexing="ij"), -1).reshape(-1, 4)
    policy = FloatPolicy.from_genome(g, net)
    alone = 0
    for start in grid:
        policy.reset()
        alone += task.episode(policy, (*start, 0.0, 0.0), 20) == 20
    assert alone == metric["generalization"]


def test_double_pole_without_control_falls_and_is_deterministic():
    task = DoublePoleTask(max_steps=1000)
    zero_force = linear_genome([0.0] * 6)  # output 0.5: no force
    net = compile_genome(zero_force)
    steps = task.episode(FloatPolicy.from_genome(zero_force), task.start_state(), 1000)
    assert 10 < steps < 100
    assert task.fitness(net, zero_force, np.random.default_rng(0)) == steps / 1000
    assert task.fitness(net, zero_force, np.random.default_rng(1)) == steps / 1000
    # a larger initial angle falls sooner
    tilted = DoublePoleTask(initial_angle=4.5)
    assert tilted.episode(FloatPolicy.from_genome(zero_force), tilted.start_state(), 1000) < steps
    assert task.start_state() == (0.0, 0.0, math.radians(1.0), 0.0, 0.0, 0.0)


def test_double_pole_without_velocities_feeds_three_positions_to_a_recurrent_genome():
    task = DoublePoleTask(velocities=False, max_steps=300, generalization_steps=5)
    assert (task.num_inputs, task.recurrent, task.name, task.damping) == (3, True, "double_pole_nv", True)
    assert make_task("double_pole_nv").name == "double_pole_nv"
    seen = []
    task.episode(lambda obs: seen.append(obs) or [0.5], (0.24, 9.0, 0.062832, 9.0, -0.031416, 9.0), 1)
    assert seen == [pytest.approx((0.1, 0.1, -0.05))]
    g = linear_genome([0.1, -1.0, 1.0])
    g.connections[3] = ConnectionGene(3, 0, 0, 0.5, recurrent=True)
    net = compile_genome(g)
    assert net.is_recurrent
    steps = task.episode(FloatPolicy.from_genome(g), task.start_state(), 1000)
    assert task.test_metric(net, g)["balanced"] == min(steps, 300) / 300
    cfg = task.default_config()
    assert (cfg.genome.num_inputs, cfg.genome.feed_forward, cfg.fine_tune.mode) == (3, False, "none")
    assert cfg.fitness_threshold == task.fitness_threshold == 0.1


def _recorded_episode(task, policy, max_steps):
    """The damping fitness's inputs computed by hand: actions balanced and each balanced state."""
    states, state = [], task.start_state()
    for t in range(max_steps):
        state, inside = task.advance(state, policy(task.observe(state))[0], False)
        if not inside:
            return t, states
        states.append(state)
    return max_steps, states


def test_damping_fitness_is_gruaus():
    task = DoublePoleTask(velocities=False)
    short = linear_genome([0.0, 0.0, 0.0])  # no force: falls within 100 actions
    t, _ = _recorded_episode(task, FloatPolicy.from_genome(short), 1000)
    assert 10 < t < 100
    assert task.fitness(None, short, np.random.default_rng(0)) == 0.1 * t / 1000
    # beyond 100 actions: f1 plus 0.9 * 0.75 / the jiggle of the last 100 (damping also applies with velocities)
    task = DoublePoleTask(damping=True)
    g = linear_genome(DOUBLE_POLE_WEIGHTS)
    t, states = _recorded_episode(task, FloatPolicy.from_genome(g), 1000)
    assert t == 1000
    jiggle = sum(abs(s[0]) + abs(s[1]) + abs(s[2]) + abs(s[3]) for s in states[-100:])
    assert task.fitness(None, g, np.random.default_rng(0)) == pytest.approx(0.1 * t / 1000 + 0.9 * 0.75 / jiggle,
                                                                            rel=1e-12)
    assert task.damping_fitness(np.array([50, 100]), np.array([np.nan, 2.0])).tolist() == [0.005, 0.01 + 0.3375]


def test_double_pole_nv_is_solved_by_the_long_run_and_the_generalisation_test():
    g = linear_genome(DOUBLE_POLE_WEIGHTS[::2])
    lenient = DoublePoleTask(velocities=False, max_steps=5, generalization_steps=5, generalization_threshold=0,
                             damping_steps=120)
    strict = DoublePoleTask(velocities=False, max_steps=5, generalization_steps=5, generalization_threshold=626)
    assert lenient.solves(g) and not strict.solves(g)
    assert DoublePoleTask().solves(g)  # with velocities the fitness threshold alone decides
    # the population asks once per champion, only after the threshold is reached, and keeps the one that passed
    asked = []
    cfg = lenient.default_config().replace(pop_size=100)
    pop = Population(cfg, seed=0, solution_test=lambda genome: asked.append(genome.key) or True)
    pop.run(SerialEvaluator(lenient, cfg.fine_tune), 40)
    assert pop.solved() and len(asked) == len(set(asked)) >= 1
    assert pop.best_genome.key == asked[-1] and pop.best_genome.fitness >= cfg.fitness_threshold
    never = Population(cfg, seed=0, solution_test=lambda genome: False)
    never.run(SerialEvaluator(lenient, cfg.fine_tune), 3)
    assert len(never.history) == 3 and not never.solved()


def test_double_pole_default_config_and_arguments():
    task = DoublePoleTask()
    cfg = task.default_config()
    assert (cfg.pop_size, cfg.genome.num_inputs, cfg.genome.num_outputs) == (30, 6, 1)
    assert (cfg.fine_tune.mode, cfg.genome.output_activation or cfg.genome.activation_default) == ("none", "sigmoid")
    assert task.input_scale == (2.4, 10.0, 0.62832, 5.0, 0.62832, 5.0)
    with pytest.raises(ValueError, match="max_steps"):
        DoublePoleTask(max_steps=0)


# ----------------------------------------------------------------------------- lock-step simulation


def _evolved_genomes(task, generations=3, pop_size=60):
    cfg = task.default_config().replace(pop_size=pop_size)
    pop = Population(cfg, seed=3)
    pop.run(SerialEvaluator(task, cfg.fine_tune), generations)
    pop.advance()
    return pop.ask()[0], cfg


@pytest.mark.parametrize("task", [CartPoleTask(max_steps=300), DoublePoleTask(max_steps=3000),
                                  DoublePoleTask(velocities=False)], ids=lambda t: t.name)
def test_lock_step_fitness_equals_the_per_genome_simulator_exactly(task):
    genomes, cfg = _evolved_genomes(task)
    if task.num_inputs == 6:
        # controllers that balance for long, slightly different: lanes drop out one by one and the last
        # ones finish on floats, handed over mid-episode
        rng = np.random.default_rng(0)
        for i in range(30):
            g = linear_genome((np.asarray(DOUBLE_POLE_WEIGHTS) * rng.uniform(0.6, 1.4, 6)).tolist())
            g.key = 10_000 + i
            genomes.append(g)
    assert_lock_step_equals_each_genome_alone(task, genomes, cfg.fine_tune, distinct=5)


def test_lock_step_generalisation_equals_each_start_alone():
    task = DoublePoleTask(generalization_steps=120)
    g = linear_genome(DOUBLE_POLE_WEIGHTS)
    score = task.generalization(g)
    fractions, ranges = (0.05, 0.25, 0.5, 0.75, 0.95), (2.16, 1.35, 0.06283152, 0.15009752)
    grid = np.stack(np.meshgrid(*[(2 * np.array(fractions) - 1) * r for r in ranges], indexing="ij"), -1).reshape(-1, 4)
    policy = FloatPolicy.from_genome(g)
    alone = 0
    for start in grid:
        policy.reset()
        alone += task.episode(policy, (*start, 0.0, 0.0), 120) == 120
    assert alone == score and 0 < score < 625
