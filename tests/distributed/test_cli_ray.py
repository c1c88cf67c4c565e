"""``python -m ottorch.run`` on the Ray backend (joining this module's local Ray)."""

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

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


def _history(path: Path) -> list[tuple]:
    rows = list(csv.DictReader(path.open()))
    return [(r["generation"], r["best_fitness"], r["mean_fitness"], r["num_species"], r["gradient_steps"]) for r in rows]


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:g} s waiting for {what}")
        time.sleep(0.02)


def _driver_jobs() -> dict[int, bool]:
    """Driver pid -> whether its job is over, for every job this cluster has seen."""
    from ray._private.state import jobs

    return {job["DriverPid"]: job["IsDead"] for job in jobs()}


#: result.json fields that say how and where a run went, not what it computed: the wall time, the output
#: folder, and the number of actors alive at the end (results do not depend on it, see RayEvaluator).
_RUN_SPECIFIC = {"wall_s", "out", "workers"}


def test_resume_after_the_ray_driver_is_killed_equals_the_uninterrupted_run(local_ray, tmp_path):
    common = ["xor", "--backend", "ray", "--workers", "2", "--seed", "5", "--generations", "7", "--pop-size", "24",
              "--quiet"]
    full = tmp_path / "full"
    assert main([*common, "--out", str(full)]) == 0  # on this module's Ray, in this process
    reference = json.loads((full / "result.json").read_text())
    assert reference["generations"] == 7 and not reference["solved"]  # else there would be nothing to resume
    # the driver joins this module's cluster as a client: killing it leaves no Ray process of its own behind
    address = local_ray.get_runtime_context().gcs_address
    killed = tmp_path / "killed"
    with (tmp_path / "killed.err").open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "ottorch.run", *common, "--address", address, "--out",
                                 str(killed)], stdout=subprocess.DEVNULL, stderr=err)
        try:
            _wait_for(lambda: (killed / "checkpoints" / "gen-0002.json").exists() or proc.poll() is not None, 180,
                      "the driver's checkpoint of generation 2")
        finally:
            proc.kill()
            proc.wait()
    done = sorted(p.name for p in (killed / "checkpoints").glob("gen-*.json"))
    assert done and done[-1] < "gen-0006.json", (tmp_path / "killed.err").read_text()  # killed before the end
    saved = json.loads((killed / "run.json").read_text())
    assert (saved["generations"], saved["backend"], saved["workers"], saved["address"]) == (7, "ray", 2, address)
    # Ray ends the dead driver's job and its actors: both CPUs are free again for the resumed run
    _wait_for(lambda: _driver_jobs().get(proc.pid), 60, "Ray to notice the killed driver")
    _wait_for(lambda: local_ray.available_resources().get("CPU") == 2, 60, "the killed driver's workers to go")

    # --resume DIR alone: task, budget, backend, workers and the cluster's address all come from run.json
    resumed = subprocess.Popen([sys.executable, "-m", "ottorch.run", "--resume", str(killed), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, err = resumed.communicate(timeout=180)
    finally:
        resumed.kill()
        resumed.wait()
    assert resumed.returncode == 0, err
    assert _driver_jobs().get(resumed.pid) is not None  # it joined this cluster, started no Ray of its own

    assert _history(killed / "history.csv") == _history(full / "history.csv")
    a, b = (json.loads((d / "champion.json").read_text()) for d in (full, killed))
    assert a == b
    result = json.loads((killed / "result.json").read_text())
    assert result.keys() == reference.keys()
    assert {k: v for k, v in result.items() if k not in _RUN_SPECIFIC} == \
           {k: v for k, v in reference.items() if k not in _RUN_SPECIFIC}
    assert result["backend"] == "ray" and result["out"] == str(killed)
    _wait_for(lambda: local_ray.available_resources().get("CPU") == 2, 60, "the resumed driver's workers to go")
    # the run may go on serially: the saved cluster address is then dropped, not refused
    assert main(["--resume", str(killed), "--backend", "serial", "--generations", "8", "--quiet"]) == 0
    assert json.loads((killed / "result.json").read_text())["generations"] == 8
    assert json.loads((killed / "run.json").read_text())["address"] is None


def test_the_neat_python_xor_example_solves_on_ray_as_serially(local_ray, tmp_path):
    ini = Path(__file__).parents[1] / "neat" / "data" / "neat_python_xor.ini"
    common = ["xor", "--config", str(ini), "--fine-tune", "none", "--seed", "0", "--generations", "300", "--quiet"]
    assert main([*common, "--backend", "ray", "--workers", "2", "--out", str(tmp_path / "ray")]) == 0
    assert main([*common, "--backend", "serial", "--out", str(tmp_path / "serial")]) == 0
    ray_run, serial = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("ray", "serial"))
    assert ray_run["solved"] and ray_run["test_metric"]["accuracy"] == 1.0
    for key in ("best_fitness", "evaluations", "generations", "champion"):
        assert ray_run[key] == serial[key]
