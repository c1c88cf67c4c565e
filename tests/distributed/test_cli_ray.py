"""``python -m ottorch.run`` on the Ray backend (joining this module's local Ray)."""

import json
import subprocess
import sys

from ottorch.run import main


def test_ray_backend_with_workers_matches_serial(local_ray, tmp_path):
    common = ["xor", "--seed", "3", "--generations", "3", "--pop-size", "12", "--quiet"]
    assert main([*common, "--backend", "serial", "--out", str(tmp_path / "serial")]) == 0
    assert main([*common, "--backend", "ray", "--workers", "2", "--out", str(tmp_path / "ray")]) == 0
    serial, ray_run = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("serial", "ray"))
    assert ray_run["backend"] == "ray" and ray_run["workers"] == 2
    for key in ("best_fitness", "evaluations", "gradient_steps", "generations", "champion"):
        assert ray_run[key] == serial[key]
    assert local_ray.is_initialized()  # the CLI did not shut down a Ray it did not start


def test_default_backend_is_ray_when_installed(local_ray, tmp_path):
    assert main(["cartpole", "--generations", "1", "--pop-size", "4", "--out", str(tmp_path), "--quiet"]) == 0
    assert json.loads((tmp_path / "result.json").read_text())["backend"] == "ray"


def test_unreachable_cluster_exit_code(tmp_path):
    # a fresh process: this module's Ray must not be mistaken for the cluster asked for
    proc = subprocess.run([sys.executable, "-m", "ottorch.run", "xor", "--address", "127.0.0.9:1", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "could not connect to the Ray cluster at '127.0.0.9:1'" in proc.stderr
