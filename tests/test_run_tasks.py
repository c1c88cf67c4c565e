"""``python -m ottorch.run`` with user-defined tasks: ``csv:PATH --target --kind``, ``FILE.py:NAME`` and
``MODULE:NAME``, and their bad input (exit code 2 with a clear message). Ray runs of such tasks are in
tests/distributed/test_user_tasks_ray.py."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ottorch.run import main

ROOT = Path(__file__).resolve().parents[1]
IRIS = ROOT / "data" / "iris.csv"

TASKS_PY = """
    from ottorch.neat.tasks import FunctionTask, XORTask


    class MyXOR(XORTask):
        name = "my_xor"


    def xor_fitness(net):
        return 4.0 - sum((net.activate(x)[0] - y) ** 2 for x, y in [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)])


    def function_task():
        return FunctionTask(xor_fitness, 2, 1, fitness_threshold=3.9, pop_size=30)
"""

TINY = ["--backend", "serial", "--generations", "2", "--pop-size", "6", "--quiet"]


def result(out: Path) -> dict:
    return json.loads((out / "result.json").read_text())


def test_csv_task_with_target_kind_and_split_seed(tmp_path):
    out = tmp_path / "iris"
    assert main([f"csv:{IRIS}", "--target", "species", "--kind", "classification", "--split-seed", "2", *TINY,
                 "--out", str(out)]) == 0
    res = result(out)
    assert res["task"] == "iris" and res["split_seed"] == 2 and 0 <= res["test_metric"]["accuracy"] <= 1
    saved = json.loads((out / "run.json").read_text())
    assert saved["task_options"] == {"split_seed": 2, "target": "species", "kind": "classification"}
    assert saved["config"]["fine_tune"]["mode"] == "lamarckian"
    # --resume keeps the target, kind and split from run.json
    assert main(["--resume", str(out), "--generations", "3", "--quiet"]) == 0
    assert result(out)["generations"] == 3
    reg = tmp_path / "reg"
    assert main([f"csv:{IRIS}", "--target", "petal_width", "--kind", "regression", *TINY, "--out", str(reg)]) == 0
    assert set(result(reg)["test_metric"]) == {"r2", "rmse", "mae"}


def test_file_and_module_tasks(tmp_path, monkeypatch):
    (tmp_path / "my_tasks.py").write_text(textwrap.dedent(TASKS_PY))
    out = tmp_path / "file"
    assert main([f"{tmp_path / 'my_tasks.py'}:MyXOR", *TINY, "--out", str(out)]) == 0
    assert json.loads((out / "run.json").read_text())["task"] == f"{tmp_path / 'my_tasks.py'}:MyXOR"
    fn = tmp_path / "fn"
    assert main([f"{tmp_path / 'my_tasks.py'}:function_task", *TINY, "--out", str(fn)]) == 0
    assert json.loads((fn / "run.json").read_text())["config"]["fine_tune"]["mode"] == "none"
    assert result(fn)["gradient_steps"] == 0
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = tmp_path / "mod"
    assert main(["my_tasks:MyXOR", *TINY, "--out", str(mod)]) == 0
    assert result(mod)["generations"] == 2


def test_module_task_from_the_working_directory_in_a_fresh_process(tmp_path):
    """``python -m`` puts the working directory on sys.path: MODULE:NAME finds a module there."""
    (tmp_path / "my_tasks.py").write_text(textwrap.dedent(TASKS_PY))
    proc = subprocess.run([sys.executable, "-m", "ottorch.run", "my_tasks:function_task", *TINY, "--out", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert result(tmp_path / "out")["task"] == "xor_fitness"


@pytest.mark.parametrize("args, message", [
    ([f"csv:{IRIS}", "--target", "colour"], "no column 'colour'; the columns are sepal_length"),
    ([f"csv:{IRIS}"], "name the column to predict (--target COLUMN"),
    ([f"csv:{IRIS}", "--target", "species", "--kind", "regression"], "regression needs a numeric target"),
    (["csv:{tmp}/holes.csv", "--target", "t"], "missing values, column 'a' on 1 row (line 3)"),
    (["csv:{tmp}/none.csv", "--target", "t"], "none.csv: file not found"),
    (["{tmp}/my_tasks.py:Nope"], "my_tasks.py has no 'Nope' (Task subclasses there: MyXOR)"),
    (["{tmp}/missing.py:MyXOR"], "task file {tmp}/missing.py not found"),
    (["no_such_module_xyz:Task"], "module 'no_such_module_xyz' is not importable"),
    (["{tmp}/my_tasks.py:MyXOR", "--target", "y"], "does not take target"),
])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, args, message):
    (tmp_path / "my_tasks.py").write_text(textwrap.dedent(TASKS_PY))
    (tmp_path / "holes.csv").write_text("a,t\n1,0\n,1\n3,0\n4,1\n5,0\n")
    args = [a.format(tmp=tmp_path) for a in args]
    assert main([*args, *TINY, "--out", str(tmp_path / "out")]) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
