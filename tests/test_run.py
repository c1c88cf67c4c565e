"""``python -m ottorch.run``: every task with a tiny budget, every flag, the files, and resuming after the
driver process is killed. (The Ray backend's CLI runs are in tests/distributed/test_cli_ray.py.)"""

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ottorch.neat import Genome, compile_genome
from ottorch.neat.tasks import TASKS, IrisTask, make_task
from ottorch.run import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> int:
    return main(list(args))


def test_list(capsys):
    assert run_cli("--list") == 0
    out = capsys.readouterr().out
    for name in TASKS:
        assert name in out
    for form in ("gym:ENV_ID", "csv:PATH", "FILE.py:NAME", "MODULE:NAME"):
        assert form in out


def test_task_options_a_task_does_not_take_are_refused(tmp_path, capsys):
    assert run_cli("xor", "--episodes", "3", "--backend", "serial", "--out", str(tmp_path / "x")) == 2
    assert "task 'xor' does not take episodes" in capsys.readouterr().err
    assert run_cli("xor", "--render", "--backend", "serial", "--generations", "1", "--pop-size", "4",
                   "--out", str(tmp_path / "r"), "--quiet") == 2
    assert "--render: task 'xor' does not render episodes" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown task 'nope'.*gym:ENV_ID"):
        make_task("nope")


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_runs_with_a_tiny_budget(task, tmp_path, capsys):
    out = tmp_path / task
    code = run_cli(task, "--backend", "serial", "--generations", "2", "--pop-size", "6", "--seed", "1",
                   "--out", str(out), "--quiet")
    assert code == 0
    result = json.loads((out / "result.json").read_text())
    for key in ("task", "seed", "backend", "workers", "solved", "generations", "evaluations", "gradient_steps",
                "best_fitness", "test_metric", "wall_s"):
        assert key in result
    assert result["task"] == task and result["seed"] == 1 and result["backend"] == "serial"
    assert result["evaluations"] == 6 * result["generations"]
    assert json.loads((out / "champion.json").read_text())["key"] == result["champion"]["key"]
    assert (out / "champion.dot").exists() and (out / "checkpoints" / "gen-0000.json").exists()
    assert len(list(csv.DictReader((out / "history.csv").open()))) == result["generations"]
    summary = capsys.readouterr().out
    assert summary.startswith(f"{task}: ") and "test:" in summary and "gen " not in summary  # --quiet


def test_progress_lines_and_files(tmp_path, capsys):
    out = tmp_path / "xor"
    assert run_cli("xor", "--backend", "serial", "--generations", "3", "--fine-tune", "none", "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "gen    0  best" in text and "species" in text and "grad steps" in text
    result = json.loads((out / "result.json").read_text())
    assert result["fine_tune"] == "none" and result["gradient_steps"] == 0 and result["pop_size"] == 50
    pytest.importorskip("matplotlib")
    assert (out / "fitness.png").stat().st_size > 0


def test_config_files(tmp_path):
    toml = tmp_path / "xor.toml"
    toml.write_text("pop_size = 8\nfitness_threshold = 3.9\n[genome]\nnum_inputs = 2\nnum_outputs = 1\n"
                    "[fine_tune]\nmode = 'none'\n")
    assert run_cli("xor", "--backend", "serial", "--config", str(toml), "--generations", "1",
                   "--out", str(tmp_path / "a"), "--quiet") == 0
    assert json.loads((tmp_path / "a" / "result.json").read_text())["pop_size"] == 8
    ini = ROOT / "tests" / "neat" / "data" / "neat_python_xor.ini"
    assert run_cli("xor", "--backend", "serial", "--config", str(ini), "--pop-size", "10", "--generations", "1",
                   "--out", str(tmp_path / "b"), "--quiet") == 0
    assert json.loads((tmp_path / "b" / "result.json").read_text())["pop_size"] == 10


def test_bad_input_exits_with_a_message(tmp_path, capsys):
    assert run_cli("nosuchtask", "--backend", "serial") == 2
    assert "unknown task 'nosuchtask'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[genome]\nnum_input = 2\n")
    assert run_cli("xor", "--backend", "serial", "--config", str(bad), "--out", str(tmp_path / "x")) == 2
    assert "unknown config key 'genome.num_input'" in capsys.readouterr().err
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[genome]\nnum_inputs = 3\n")
    assert run_cli("xor", "--backend", "serial", "--config", str(wrong), "--out", str(tmp_path / "y")) == 2
    assert "needs 2 and 1" in capsys.readouterr().err
    assert run_cli("xor", "--backend", "serial", "--config", str(tmp_path / "missing.toml")) == 2
    assert run_cli("xor", "--backend", "serial", "--address", "auto", "--out", str(tmp_path / "z")) == 2
    assert run_cli("xor", "--resume", str(tmp_path)) == 2
    for flags in (["--workers", "0"], ["--generations", "0"], ["--pop-size", "1"], [], ["--backend", "gpu"]):
        with pytest.raises(SystemExit) as e:
            run_cli(*(["xor"] if flags else []), *flags)
        assert e.value.code == 2


def _history(path: Path) -> list[tuple]:
    rows = list(csv.DictReader(path.open()))
    return [(r["generation"], r["best_fitness"], r["mean_fitness"], r["num_species"], r["gradient_steps"]) for r in rows]


def test_resume_after_the_driver_is_killed_equals_the_uninterrupted_run(tmp_path):
    # seed 5: XOR is not solved within the 7 generations (seed 2 solved it in 5, and the test was skipped)
    common = ["xor", "--backend", "serial", "--seed", "5", "--generations", "7", "--pop-size", "24", "--quiet"]
    full = tmp_path / "full"
    assert run_cli(*common, "--out", str(full)) == 0
    reference = json.loads((full / "result.json").read_text())
    assert reference["generations"] == 7, "this seed solves XOR too soon for a kill mid-run: pick another"
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "ottorch.run", *common, "--out", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "gen-0002.json").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(p.name for p in (killed / "checkpoints").glob("gen-*.json"))
    assert done and done[-1] < "gen-0006.json"  # killed before the end
    # the budget comes from run.json: no --generations needed (it was 100 before run.json recorded it)
    assert json.loads((killed / "run.json").read_text())["generations"] == 7
    assert run_cli("--resume", str(killed), "--quiet") == 0
    assert _history(killed / "history.csv")[-7:] == _history(full / "history.csv")
    a, b = (json.loads((d / "champion.json").read_text()) for d in (full, killed))
    assert a == b
    # result.json: all but the wall time and the output folder (the two runs' own, not what they computed)
    result = json.loads((killed / "result.json").read_text())
    assert result.keys() == reference.keys()
    assert {k: v for k, v in result.items() if k not in ("wall_s", "out")} == \
           {k: v for k, v in reference.items() if k not in ("wall_s", "out")}


def test_default_backend_falls_back_to_serial_without_ray(tmp_path, capsys, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real_find_spec(name, *a))
    assert run_cli("xor", "--generations", "1", "--pop-size", "6", "--out", str(tmp_path / "x"), "--quiet") == 0
    assert "ray is not installed, evaluating serially" in capsys.readouterr().out
    assert json.loads((tmp_path / "x" / "result.json").read_text())["backend"] == "serial"


def test_resume_refuses_flags_that_cannot_change_and_keeps_or_overrides_the_rest(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli("xor", "--backend", "serial", "--seed", "4", "--generations", "2", "--pop-size", "12",
                   "--fine-tune", "none", "--out", str(out), "--quiet") == 0
    saved = json.loads((out / "run.json").read_text())
    assert (saved["seed"], saved["generations"], saved["backend"], saved["workers"]) == (4, 2, "serial", None)
    capsys.readouterr()
    for flags, named in ((["--seed", "5"], "--seed"), (["--pop-size", "20"], "--pop-size"),
                         (["--fine-tune", "lamarckian"], "--fine-tune"), (["--config", "x.toml"], "--config")):
        assert run_cli("--resume", str(out), *flags) == 2
        assert f"{named} cannot change when a run resumes" in capsys.readouterr().err
    assert run_cli("iris", "--resume", str(out)) == 2
    assert "the saved run is task 'xor', not 'iris'" in capsys.readouterr().err
    # a new budget is a flag that may change: the run goes on to generation 4
    assert run_cli("--resume", str(out), "--generations", "4", "--quiet") == 0
    result = json.loads((out / "result.json").read_text())
    assert result["generations"] == 4 and result["backend"] == "serial"
    assert json.loads((out / "run.json").read_text())["generations"] == 4


def test_split_seed_picks_the_iris_split_and_resume_keeps_it(tmp_path, capsys):
    # a threshold no genome reaches, so that the resumed run has generations left to evaluate
    config = tmp_path / "iris.toml"
    config.write_text("pop_size = 6\nfitness_threshold = 2.0\n[genome]\nnum_inputs = 4\nnum_outputs = 3\n"
                      "[fine_tune]\nsteps = 5\n")
    common = ["iris", "--backend", "serial", "--config", str(config), "--split-seed", "3", "--quiet"]
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert run_cli(*common, "--generations", "3", "--out", str(full)) == 0
    assert run_cli(*common, "--generations", "1", "--out", str(resumed)) == 0
    assert json.loads((resumed / "run.json").read_text())["split_seed"] == 3
    assert run_cli("--resume", str(resumed), "--split-seed", "4") == 2
    assert "--split-seed cannot change when a run resumes" in capsys.readouterr().err
    assert run_cli("--resume", str(resumed), "--generations", "3", "--quiet") == 0
    # the resumed generations were evaluated on split 3 too: the same history and champion
    assert _history(resumed / "history.csv") == _history(full / "history.csv")
    result = json.loads((resumed / "result.json").read_text())
    assert result["split_seed"] == 3 and result == {**json.loads((full / "result.json").read_text()),
                                                     "wall_s": result["wall_s"], "out": result["out"]}
    # and the champion's test metric is measured on split 3's test flowers, not the default split's
    champion = Genome.from_dict(json.loads((resumed / "champion.json").read_text()))
    metric = {split: IrisTask(split_seed=split).test_metric(compile_genome(champion), champion) for split in (0, 3)}
    assert result["test_metric"] == pytest.approx(metric[3], rel=1e-6)
    assert result["test_metric"] != pytest.approx(metric[0], rel=1e-6)


def test_split_seed_is_refused_by_a_task_without_a_data_split(tmp_path, capsys):
    assert run_cli("xor", "--backend", "serial", "--split-seed", "1", "--out", str(tmp_path / "x")) == 2
    assert "task 'xor' has no selectable data split (tasks that have one: iris)" in capsys.readouterr().err
