import subprocess
import sys

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from ottorch.neat.batch_eval import evaluate_table  # noqa: E402
from ottorch.neat.population import Population  # noqa: E402
from ottorch.neat.table import GenomeTable  # noqa: E402
from ottorch.neat.tasks import make_task  # noqa: E402
from ottorch.neat.tasks.gym import GymTask, _NativeLanes, _SyncLanes  # noqa: E402
from tests.neat.tasks.lock_step import assert_lock_step_equals_each_genome_alone  # noqa: E402


class _MultiBinaryActions(gym.Env):
    """A Box observation with an action space gym: tasks do not support."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,))
    action_space = gym.spaces.MultiBinary(3)


class _NoRender(gym.Env):
    """A supported environment without rgb_array rendering."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,))
    action_space = gym.spaces.Discrete(2)


def _needs_box2d(**kwargs):
    raise gym.error.DependencyNotInstalled('Box2D is not installed, you can install it by run `pip install swig` followed by `pip install "gymnasium[box2d]"`')


gym.register("OttorchMultiBinary-v0", entry_point=_MultiBinaryActions)
gym.register("OttorchNeedsBox2D-v0", entry_point=_needs_box2d)
gym.register("OttorchNoRender-v0", entry_point=_NoRender)


def _genomes(task, n, seed=3):
    """The ``n`` genomes of a new population of ``task``'s default config (varied random weights)."""
    cfg = task.default_config().replace(pop_size=n)
    return Population(cfg, seed=seed).ask()[0], cfg


@pytest.mark.parametrize("env_id, inputs, outputs, discrete, threshold", [
    ("CartPole-v1", 4, 2, True, 475.0),
    ("Acrobot-v1", 6, 3, True, -100.0),
    ("Pendulum-v1", 3, 1, False, -200.0),  # no reward_threshold: the default config's level
    ("MountainCarContinuous-v0", 2, 1, False, 90.0),
])
def test_spaces_give_inputs_outputs_and_the_solved_level(env_id, inputs, outputs, discrete, threshold):
    task = make_task(f"gym:{env_id}")
    assert (task.num_inputs, task.num_outputs, task.discrete) == (inputs, outputs, discrete)
    assert task.fitness_threshold == threshold
    assert task.name == f"gym:{env_id}"
    cfg = task.default_config()
    assert (cfg.genome.num_inputs, cfg.genome.num_outputs, cfg.fitness_threshold) == (inputs, outputs, threshold)
    assert cfg.fine_tune.mode == "none" and not task.differentiable
    assert task.supports_batches()


def test_native_vector_form_only_where_lanes_can_be_started_individually():
    assert GymTask("CartPole-v1").native
    assert not GymTask("Acrobot-v1").native


def test_discrete_action_is_the_argmax_of_the_outputs():
    task = GymTask("Acrobot-v1")
    out = np.array([[0.1, 0.9, 0.3], [0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])
    assert task.actions(out).tolist() == [1, 0, 2]


def test_continuous_action_is_squashed_into_the_bounds():
    task = GymTask("Pendulum-v1")  # Box(-2, 2, (1,))
    out = np.array([[-1e9], [0.0], [1e9], [np.nan], [np.arctanh(0.5)]])
    a = task.actions(out)
    assert a.shape == (5, 1) and a.dtype == np.float32
    np.testing.assert_allclose(a[:, 0], [-2.0, 0.0, 2.0, 0.0, 1.0], atol=1e-6)
    car = GymTask("MountainCarContinuous-v0")  # Box(-1, 1, (1,))
    assert car.actions(np.array([[1e9]]))[0, 0] == 1.0


@pytest.mark.parametrize("env_id, episodes", [("CartPole-v1", 2), ("Acrobot-v1", 1), ("Pendulum-v1", 1)])
def test_lock_step_batch_fitness_equals_each_genome_alone(env_id, episodes):
    task = GymTask(env_id, episodes=episodes)
    genomes, cfg = _genomes(task, 10)
    assert_lock_step_equals_each_genome_alone(task, genomes, cfg.fine_tune, distinct=3)


def test_sync_vector_lanes_rebuilt_as_lanes_finish_give_each_genome_its_own_fitness():
    # CartPole's episodes end at very different steps: on the SyncVectorEnv path the vector is rebuilt
    # from the running environments several times
    task = GymTask("CartPole-v1", episodes=3)
    task.native = False
    genomes, cfg = _genomes(task, 12)
    table = GenomeTable.from_genomes(genomes)
    seeds = np.arange(len(genomes)) * 5 + 2
    batched = evaluate_table(table, seeds, task, cfg.fine_tune).fitness.tolist()
    alone = [task.fitness(None, g, np.random.default_rng(int(s))) for g, s in zip(genomes, seeds)]
    assert batched == alone and len(set(alone)) > 3
    task.native = True
    # both forms run the same episodes (start states from the same seeds, the same physics up to rounding)
    native = evaluate_table(table, seeds, task, cfg.fine_tune).fitness
    np.testing.assert_allclose(native, alone, rtol=0.05)


def test_episodes_end_per_lane_and_each_lane_runs_one_episode():
    # CartPole pays 1 per step, so a lane's return is its episode's length; lanes fail at different steps
    task = GymTask("CartPole-v1", episodes=4)
    genomes, _ = _genomes(task, 6)
    table = GenomeTable.from_genomes(genomes)
    seeds = np.arange(len(genomes)) + 11
    fitness = evaluate_table(table, seeds, task, task.default_config().fine_tune).fitness
    assert len(set(fitness.tolist())) > 1 and fitness.max() <= 500.0
    # the same episodes run one by one in single environments last as many steps
    genome, rng = genomes[0], np.random.default_rng(int(seeds[0]))
    from ottorch.neat.policy import BatchedPolicy
    lengths = []
    for seed in task.episode_seeds(rng, 4).tolist():
        env, policy = gym.make("CartPole-v1"), BatchedPolicy.from_genome(genome)
        obs, _ = env.reset(seed=seed)
        steps, done = 0, False
        while not done:
            obs, _, terminated, truncated, _ = env.step(int(task.actions(policy(obs[None].astype(float)))[0]))
            steps, done = steps + 1, terminated or truncated
        lengths.append(steps)
    assert fitness[0] == np.mean(lengths)


def test_native_lanes_start_where_single_environments_reset_with_the_seed_start():
    task = GymTask("CartPole-v1")
    seeds = np.array([3, 99, 123456])
    native = _NativeLanes(task, seeds)
    sync = _SyncLanes(task, seeds)
    try:
        np.testing.assert_array_equal(native.observations, sync.observations)
    finally:
        native.close()
        sync.close()


def test_episode_seeds_come_from_the_evaluation_generator_only():
    task = GymTask("Pendulum-v1", episodes=2, same_starts=False)
    genome = _genomes(task, 2)[0][0]
    a = task.fitness(None, genome, np.random.default_rng(5))
    np.random.seed(0)  # numpy's global state plays no part
    assert task.fitness(None, genome, np.random.default_rng(5)) == a
    assert task.fitness(None, genome, np.random.default_rng(6)) != a
    assert task.episode_seeds(np.random.default_rng(5), 3).tolist() == task.episode_seeds(
        np.random.default_rng(5), 3).tolist()


def test_same_starts_give_every_genome_the_same_episodes():
    shared = GymTask("Pendulum-v1", episodes=2)
    assert shared.same_starts and not GymTask("CartPole-v1").same_starts  # Pendulum's default
    genome = _genomes(shared, 2)[0][0]
    a = shared.fitness(None, genome, np.random.default_rng(5))
    assert shared.fitness(None, genome, np.random.default_rng(6)) == a
    assert shared.training_seeds(np.random.default_rng(1)).tolist() == \
        shared.training_seeds(np.random.default_rng(2)).tolist()


def test_test_metric_is_the_mean_return_of_fixed_fresh_episodes():
    task = GymTask("CartPole-v1", test_episodes=20)
    genome = _genomes(task, 2)[0][0]
    metric = task.test_metric(None, genome)
    assert metric == task.test_metric(None, genome)
    assert metric["mean_return"] == pytest.approx(task.test_returns(genome).mean())
    assert task.solves(genome) == (metric["mean_return"] >= 475.0)


def test_observation_normalisation_is_fixed_and_kept_with_the_champion():
    task = GymTask("Acrobot-v1", normalize=True, normalize_episodes=2)
    stats = task.observation_stats
    assert len(stats["mean"]) == len(stats["std"]) == 6 and min(stats["std"]) > 0
    assert GymTask("Acrobot-v1", normalize=True, normalize_episodes=2).observation_stats == stats
    x = task.inputs(np.array([stats["mean"]], dtype=np.float32))
    np.testing.assert_allclose(x, 0.0, atol=1e-6)
    assert task.champion_metadata() == {"env_id": "Acrobot-v1", "observation_stats": stats}
    assert GymTask("Acrobot-v1").champion_metadata()["observation_stats"] is None


def test_render_gif_writes_an_animated_gif(tmp_path):
    from PIL import Image

    task = GymTask("CartPole-v1")
    genome = _genomes(task, 2)[0][0]
    task.render_gif(genome, tmp_path / "champion.gif", max_frames=20)
    with Image.open(tmp_path / "champion.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames > 1 and gif.size == (600, 400)


def test_environments_without_rgb_array_rendering_are_refused(tmp_path):
    task = GymTask("OttorchNoRender-v0")
    with pytest.raises(ValueError, match="does not render rgb_array"):
        task.render_gif(None, tmp_path / "x.gif")


@pytest.mark.parametrize("spec, message", [
    ("gym:NoSuchEnv-v0", "unknown Gymnasium environment 'NoSuchEnv-v0'"),
    ("gym:CartPole-v99", "unknown Gymnasium environment 'CartPole-v99'"),
    ("gym:FrozenLake-v1", "observation space Discrete"),
    ("gym:OttorchMultiBinary-v0", "action space MultiBinary"),
    ("gym:OttorchNeedsBox2D-v0", r"'OttorchNeedsBox2D-v0' needs a package that is not installed \(pip install 'ottorch\[box2d\]'\)"),
])
def test_bad_environments_are_refused_by_name(spec, message):
    with pytest.raises(ValueError, match=message):
        make_task(spec)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="does not take"):
        make_task("gym:CartPole-v1", target="y")
    with pytest.raises(ValueError, match="episodes"):
        make_task("gym:CartPole-v1", episodes=0)


def test_missing_gymnasium_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    with pytest.raises(ValueError, match=r"pip install 'ottorch\[gym\]'"):
        make_task("gym:CartPole-v1")


def test_import_ottorch_does_not_import_gymnasium():
    code = ("import sys, ottorch, ottorch.neat, ottorch.neat.tasks, ottorch.run; "
            "assert 'gymnasium' not in sys.modules, 'gymnasium imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
