"""Evolved iris over data splits: the champion's test accuracy of ``python -m ottorch.run iris`` with the
CLI's defaults (Lamarckian, the task's default config, up to 100 generations) for each of ``--splits``
data splits (``--split-seed`` 0, 1, ...) x ``--seeds`` run seeds (``--seed`` 0, 1, ...).

    python scripts/bench_iris_splits.py [--splits 10] [--seeds 3] [--backend serial]

Prints one line per run and the median test accuracy over all runs; the target is a median of at least
96% (29 of the 30 test flowers), the level examples/iris.py reaches. Runs one after the other.
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

TARGET = 0.96


def iris_run(split: int, seed: int, backend: str) -> dict:
    """result.json of one CLI run."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "ottorch.run", "iris", "--backend", backend, "--split-seed", str(split),
                        "--seed", str(seed), "--quiet", "--out", out], check=True, capture_output=True)
        return json.loads((Path(out) / "result.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10, help="data splits: split seeds 0 .. N-1")
    parser.add_argument("--seeds", type=int, default=3, help="run seeds per split: 0 .. N-1")
    parser.add_argument("--backend", choices=("serial", "ray"), default="serial")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"evolved iris, CLI defaults, {args.splits} splits x {args.seeds} run seeds, backend {args.backend}")
    print(f"{'split':>5s} {'seed':>4s} {'solved':>6s} {'generations':>11s} {'fitness':>7s} {'hidden':>6s} "
          f"{'wall s':>6s} {'test accuracy':>13s}")
    accuracies: dict[int, list[float]] = {}
    for split in range(args.splits):
        for seed in range(args.seeds):
            r = iris_run(split, seed, args.backend)
            accuracy = r["test_metric"]["accuracy"]
            accuracies.setdefault(split, []).append(accuracy)
            print(f"{split:5d} {seed:4d} {str(r['solved']):>6s} {r['generations']:11d} {r['best_fitness']:7.4f} "
                  f"{r['champion']['hidden_nodes']:6d} {r['wall_s']:6.1f} {100 * accuracy:12.1f}%", flush=True)
    every = [a for per_split in accuracies.values() for a in per_split]
    median = statistics.median(every)
    print("\nper split (test accuracy of each run seed):")
    for split, per_split in accuracies.items():
        print(f"  split {split}: " + " ".join(f"{100 * a:5.1f}%" for a in per_split))
    print(f"median {100 * median:.1f}% (target >= {100 * TARGET:.0f}%: {'met' if median >= TARGET else 'missed'}), "
          f"mean {100 * statistics.mean(every):.1f}%, {sum(a >= TARGET for a in every)} of {len(every)} runs "
          f">= {100 * TARGET:.0f}%; wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
