"""Tabular tasks from CSV files: the champion's test figures of ``python -m ottorch.run csv:PATH --target
COLUMN`` with the CLI's defaults (Lamarckian; ``TabularTask``'s default config: 50 genomes, 200 Adam steps
per genome) on the files of ``data/``, for several data splits (``--split-seed`` 0, 1, ...).

    python scripts/bench_tabular.py [--splits 3] [--generations 100] [--backend serial]

California Housing (``data/california_housing.csv.gz``, target ``MedHouseVal``): regression, test R²,
next to a reference: linear least squares fitted on the same training split. Iris (``data/iris.csv``,
target ``species``): classification, test accuracy. Prints one line per run and the mean and range per
file. Runs one after the other, with run seed 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"

#: (file, target column, kind, the test metric reported)
FILES = [
    ("california_housing.csv.gz", "MedHouseVal", "regression", "r2"),
    ("iris.csv", "species", "classification", "accuracy"),
]


def csv_run(path: Path, target: str, kind: str, split: int, generations: int, backend: str) -> dict:
    """result.json of one CLI run."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "ottorch.run", f"csv:{path}", "--target", target, "--kind", kind,
                        "--split-seed", str(split), "--generations", str(generations), "--backend", backend,
                        "--quiet", "--out", out], check=True, capture_output=True)
        return json.loads((Path(out) / "result.json").read_text())


def linear_r2(path: Path, target: str, split: int) -> float:
    """Test R² of linear least squares on the task's standardised training split (the same split)."""
    from ottorch.neat.tasks import TabularTask

    task = TabularTask.from_csv(path, target=target, kind="regression", split_seed=split)
    x, y = task.x_train.numpy().astype(np.float64), task.y_train.numpy().astype(np.float64)
    coef, *_ = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y, rcond=None)
    x_test, y_test = task.x_test.numpy().astype(np.float64), task.y_test.numpy().astype(np.float64)
    pred = np.c_[x_test, np.ones(len(x_test))] @ coef
    return float(1 - ((pred - y_test) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=3, help="data splits: split seeds 0 .. N-1")
    parser.add_argument("--generations", type=int, default=100, help="generations per run (the CLI default)")
    parser.add_argument("--backend", choices=("serial", "ray"), default="serial")
    args = parser.parse_args()
    print(f"csv: tasks, CLI defaults, {args.generations} generations, {args.splits} splits, backend {args.backend}")
    print(f"{'file':26s} {'split':>5s} {'fitness':>8s} {'hidden':>6s} {'wall s':>7s}  test metric")
    for name, target, kind, metric in FILES:
        scores, start = [], time.perf_counter()
        for split in range(args.splits):
            r = csv_run(DATA / name, target, kind, split, args.generations, args.backend)
            scores.append(r["test_metric"][metric])
            extra = ", ".join(f"{k} {v:.4f}" for k, v in r["test_metric"].items())
            if kind == "regression":
                extra += f"; linear least squares r2 {linear_r2(DATA / name, target, split):.4f}"
            print(f"{name:26s} {split:5d} {r['best_fitness']:8.4f} {r['champion']['hidden_nodes']:6d} "
                  f"{r['wall_s']:7.1f}  {extra}", flush=True)
        print(f"{name}: test {metric} mean {statistics.mean(scores):.4f}, range {min(scores):.4f}-{max(scores):.4f} "
              f"over {len(scores)} splits; {time.perf_counter() - start:.0f} s\n", flush=True)


if __name__ == "__main__":
    main()
