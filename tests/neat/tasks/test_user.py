"""User-defined tasks: ``FILE.py:NAME`` / ``MODULE:NAME`` specs (``load_task``) and ``FunctionTask``."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ottorch
from ottorch.neat import Genome, Population, SerialEvaluator, compile_genome
from ottorch.neat.config import FineTuneConfig
from ottorch.neat.tasks import FunctionTask, Task, XORTask, load_task, make_task
from ottorch.neat.tasks.user import Network, shipped_modules

TASK_FILE = """
    from ottorch.neat.tasks import FunctionTask, XORTask


    class PaperXOR(XORTask):
        name = "paper_xor"

        def __init__(self, criterion="paper"):
            super().__init__(criterion=criterion)


    def make(criterion="neat-python"):
        return XORTask(criterion=criterion)


    def xor_fitness(net):
        return 4.0 - sum((net.activate(x)[0] - y) ** 2 for x, y in [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)])


    def function_task():
        return FunctionTask(xor_fitness, 2, 1, fitness_threshold=3.9)


    def not_a_task():
        return 42


    LIMIT = 3
"""


@pytest.fixture
def task_file(tmp_path):
    path = tmp_path / "my_tasks.py"
    path.write_text(textwrap.dedent(TASK_FILE))
    return path


def test_a_file_class_and_factories_with_options(task_file):
    task = load_task(f"{task_file}:PaperXOR")
    assert isinstance(task, XORTask) and task.name == "paper_xor" and task.criterion == "paper"
    assert make_task(f"{task_file}:PaperXOR", criterion="neat-python").criterion == "neat-python"
    made = make_task(f"{task_file}:make", criterion="paper")
    assert type(made) is XORTask and made.criterion == "paper"
    assert isinstance(load_task(f"{task_file}:function_task"), FunctionTask)


def test_a_module_class(tmp_path, monkeypatch):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text(textwrap.dedent(TASK_FILE))
    monkeypatch.syspath_prepend(str(tmp_path))
    task = make_task("mypkg.tasks:PaperXOR")
    assert task.name == "paper_xor" and type(task).__module__ == "mypkg.tasks"
    assert "mypkg.tasks" in shipped_modules(task)
    # ottorch's own tasks by module path too; ottorch's modules are never shipped by value
    iris = make_task("ottorch.neat.tasks.supervised:IrisTask", split_seed=3)
    assert iris.split_seed == 3 and not any(m.startswith("ottorch") for m in shipped_modules(iris))


def test_files_with_the_same_name_do_not_clash(tmp_path):
    for folder, criterion in (("a", "paper"), ("b", "neat-python")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "tasks.py").write_text(
            f"from ottorch.neat.tasks import XORTask\n\ndef make():\n    return XORTask({criterion!r})\n")
    a, b = (load_task(f"{tmp_path / f}/tasks.py:make") for f in "ab")
    assert (a.criterion, b.criterion) == ("paper", "neat-python")
    assert len({m for m in shipped_modules(a) if "tasks" in m}) >= 2


@pytest.mark.parametrize("spec, message", [
    ("{file}:Nope", r"file .*my_tasks.py has no 'Nope' \(Task subclasses there: PaperXOR\)"),
    ("{dir}/missing.py:Task", r"task file .*missing.py not found"),
    ("no_such_module_xyz:Task", r"module 'no_such_module_xyz' is not importable: no module named 'no_such_module_xyz'"),
    ("{file}:LIMIT", r"LIMIT is a int, not a Task subclass or a factory returning a Task"),
    ("{file}:not_a_task", r"not_a_task\(\) returned a int, not a Task"),
    ("{file}:xor_fitness", r"called with the task options only \(given: none\): missing a required argument: 'net'"),
    ("{file}:", r"expected FILE.py:NAME or MODULE:NAME"),
])
def test_bad_specs_are_clear_value_errors(task_file, spec, message):
    with pytest.raises(ValueError, match=message):
        make_task(spec.format(file=task_file, dir=task_file.parent))


def test_unknown_options_and_broken_files(task_file, tmp_path):
    with pytest.raises(ValueError, match=r"does not take episodes"):
        make_task(f"{task_file}:make", episodes=3)
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_dependency_xyz\n")
    with pytest.raises(ValueError, match=r"broken.py failed to load: ModuleNotFoundError: .*no_such_dependency_xyz"):
        load_task(f"{broken}:Task")


def test_a_file_task_unpickles_where_the_file_does_not_exist(task_file, tmp_path):
    """What a Ray worker does: the task's code travels by value (full Ray run: tests/distributed)."""
    pytest.importorskip("cloudpickle")
    from ottorch.distributed.ray_evaluator import _serialise_task

    blob = tmp_path / "task.pkl"
    for spec in ("PaperXOR", "function_task"):
        blob.write_bytes(_serialise_task(load_task(f"{task_file}:{spec}")))
        task_file.rename(tmp_path / "moved.py")  # the file is gone
        script = ("import sys, cloudpickle, numpy as np\n"
                  "from ottorch.neat import Population, compile_genome\n"
                  f"task = cloudpickle.loads(open({str(blob)!r}, 'rb').read())\n"
                  "g = Population(task.default_config(), seed=0).ask()[0][0]\n"
                  "print(task.name, round(task.fitness(compile_genome(g), g, np.random.default_rng(0)), 6))\n")
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        (tmp_path / "moved.py").rename(task_file)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split()[0] == ("paper_xor" if spec == "PaperXOR" else "xor_fitness")


# ---------------------------------------------------------------------------------------- FunctionTask


def xor_fitness(net) -> float:
    """neat-python's XOR example's eval_genome, with ``net`` given instead of created from the genome."""
    fitness = 4.0
    for xi, xo in zip([(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)], [(0.0,), (1.0,), (1.0,), (0.0,)]):
        output = net.activate(xi)
        fitness -= (output[0] - xo[0]) ** 2
    return fitness


def _genome(cfg) -> Genome:
    """A genome of generation 0 of a population with config ``cfg``."""
    return Population(cfg, seed=0).ask()[0][0]


def test_function_task_solves_xor_with_its_default_config():
    task = FunctionTask(xor_fitness, 2, 1, fitness_threshold=3.9)
    assert not task.differentiable and not task.supports_batches() and task.name == "xor_fitness"
    cfg = task.default_config()
    assert cfg.pop_size == 150 and cfg.fitness_threshold == 3.9 and cfg.fine_tune.mode == "none"
    assert (cfg.genome.num_inputs, cfg.genome.num_outputs, cfg.genome.feed_forward) == (2, 1, True)
    with SerialEvaluator(task, cfg.fine_tune) as evaluator:
        population = Population(cfg, seed=0)
        champion = population.run(evaluator, 100)
    assert population.solved() and champion.fitness >= 3.9


def test_function_task_network_and_options():
    seen = []

    def noisy(net, rng):
        seen.append(rng)
        return float(net.activate([rng.normal(), 0.5, 1.0])[1])

    task = FunctionTask(noisy, 3, 2, recurrent=True, pop_size=20, name="noisy")
    cfg = task.default_config()
    assert (cfg.pop_size, cfg.fitness_threshold, cfg.genome.feed_forward, task.name) == (20, None, False, "noisy")
    assert task.fitness_threshold == np.inf
    genome = _genome(cfg)
    net = compile_genome(genome)
    a = task.fitness(net, genome, np.random.default_rng(5))
    assert a == task.fitness(net, genome, np.random.default_rng(5))  # the evaluation's generator decides
    assert isinstance(seen[0], np.random.Generator)
    wrapped = Network(net)
    out = wrapped.activate([0.1, 0.2, 0.3])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, float) for v in out)
    np.testing.assert_allclose(out, net(ottorch.tensor([[0.1, 0.2, 0.3]])).detach().numpy()[0], atol=1e-5)
    wrapped.reset()
    with pytest.raises(ValueError, match="expected 3 inputs, got 2"):
        wrapped.activate([1.0, 2.0])


def test_function_task_is_never_trained():
    calls = []

    def fn(net):
        calls.append(1)
        return 1.0

    task = FunctionTask(fn, 2, 1)
    cfg = task.default_config("lamarckian")
    table, seeds = Population(cfg.replace(pop_size=5), seed=0).ask_table()
    with SerialEvaluator(task, FineTuneConfig(mode="lamarckian", steps=50)) as evaluator:
        results = evaluator.evaluate_table(table, seeds)
    assert len(calls) == 5 and np.all(results.fitness == 1.0) and np.all(results.gradient_steps == 0)
    for bad in ((lambda: None, 0, 1), (3, 2, 1)):
        with pytest.raises(ValueError, match="FunctionTask"):
            FunctionTask(*bad)
    assert isinstance(task, Task)
