"""User-defined tasks on Ray workers that do not have their code: a ``FILE.py:NAME`` task from a tmp
folder (deleted before the workers start), a ``FunctionTask`` whose function lives in such a file, a
``MODULE:NAME`` task importable only on the driver, and ``csv:`` and file tasks through the CLI. Results
equal the serial backend's."""

import json
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from ottorch.neat import Population, SerialEvaluator
from ottorch.neat.tasks import make_task
from ottorch.run import main

RayEvaluator = pytest.importorskip("ottorch.distributed").RayEvaluator
ROOT = Path(__file__).resolve().parents[2]

TASKS_PY = """
    from ottorch.neat.tasks import FunctionTask, XORTask

    PATTERNS = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


    def penalty(net):
        # a helper of the file: the workers get it by value with the class
        return 0.01 * net.weight.shape[0]


    class PenalisedXOR(XORTask):
        name = "penalised_xor"

        def fitness(self, net, genome, rng):
            return super().fitness(net, genome, rng) - penalty(net)


    def noisy_xor(net, rng):
        noise = rng.normal(0, 0.01)
        return 4.0 - sum((net.activate(x)[0] - y) ** 2 for x, y in PATTERNS) + noise


    def function_task():
        return FunctionTask(noisy_xor, 2, 1, pop_size=20)
"""


def history(pop):
    return [(h.best_fitness, h.mean_fitness, h.num_species) for h in pop.history]


def serial_and_ray(task, cfg, generations=3):
    serial = Population(cfg, seed=5)
    serial.run(SerialEvaluator(task, cfg.fine_tune), generations)
    with RayEvaluator(task, cfg.fine_tune, workers=2) as ev:
        remote = Population(cfg, seed=5)
        remote.run(ev, generations)
    return serial, remote


@pytest.mark.parametrize("name", ["PenalisedXOR", "function_task"])
def test_file_tasks_run_on_workers_without_the_file(local_ray, tmp_path, name):
    path = tmp_path / "shipped_tasks.py"
    path.write_text(textwrap.dedent(TASKS_PY))
    task = make_task(f"{path}:{name}")
    path.unlink()  # nobody has the file any more: the code must travel with the task
    cfg = task.default_config().replace(pop_size=12)
    if name == "PenalisedXOR":  # Lamarckian: a few gradient steps keep it quick
        cfg = cfg.replace(fine_tune=replace(cfg.fine_tune, steps=5))
    serial, remote = serial_and_ray(task, cfg)
    assert history(remote) == history(serial)
    assert remote.best_genome.to_dict() == serial.best_genome.to_dict()
    assert remote.best_genome.fitness > 0  # evaluated, not given the failure value


def test_module_task_importable_only_on_the_driver(local_ray, tmp_path, monkeypatch):
    (tmp_path / "driver_only_tasks.py").write_text(textwrap.dedent(TASKS_PY))
    monkeypatch.syspath_prepend(str(tmp_path))  # the driver's sys.path only: Ray workers do not see it
    task = make_task("driver_only_tasks:function_task")
    cfg = task.default_config().replace(pop_size=12)
    serial, remote = serial_and_ray(task, cfg)
    assert history(remote) == history(serial)
    assert remote.best_genome.fitness > -1e8  # evaluated, not the failure value


def test_cli_csv_and_file_tasks_on_ray_equal_serial(local_ray, tmp_path):
    path = tmp_path / "cli_tasks.py"
    path.write_text(textwrap.dedent(TASKS_PY))
    iris = tmp_path / "flowers.csv"
    shutil.copy(ROOT / "data" / "iris.csv", iris)
    for spec, extra in ((f"csv:{iris}", ["--target", "species"]), (f"{path}:PenalisedXOR", [])):
        common = [spec, *extra, "--seed", "2", "--generations", "2", "--pop-size", "8", "--quiet"]
        assert main([*common, "--backend", "serial", "--out", str(tmp_path / "serial")]) == 0
        assert main([*common, "--backend", "ray", "--workers", "2", "--out", str(tmp_path / "ray")]) == 0
        serial, ray_run = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("serial", "ray"))
        assert ray_run["backend"] == "ray"
        for key in ("best_fitness", "evaluations", "test_metric", "champion"):
            assert ray_run[key] == serial[key], key
