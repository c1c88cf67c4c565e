"""A gym: run on Ray workers computes what the serial run computes (episode seeds come from the evaluation
seeds, not from the worker or the batch a genome lands in)."""

import csv
import json

import pytest

pytest.importorskip("gymnasium")

from ottorch.run import main  # noqa: E402


def _history(path):
    return [(r["generation"], r["best_fitness"], r["mean_fitness"], r["num_species"]) for r in csv.DictReader(path.open())]


def test_gym_run_on_two_ray_workers_matches_serial(local_ray, tmp_path):
    common = ["gym:Acrobot-v1", "--episodes", "2", "--seed", "4", "--generations", "3", "--pop-size", "10", "--quiet"]
    assert main([*common, "--backend", "serial", "--out", str(tmp_path / "serial")]) == 0
    assert main([*common, "--backend", "ray", "--workers", "2", "--out", str(tmp_path / "ray")]) == 0
    serial, ray_run = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("serial", "ray"))
    assert ray_run["backend"] == "ray" and ray_run["workers"] == 2
    for key in ("best_fitness", "evaluations", "generations", "champion", "test_metric"):
        assert ray_run[key] == serial[key]
    assert _history(tmp_path / "ray" / "history.csv") == _history(tmp_path / "serial" / "history.csv")
