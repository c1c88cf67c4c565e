"""Run every example in full, one after the other, and print the README's examples table.

Each example runs as its own process with one BLAS thread (see the Makefile's note), writes into
runs/<name>/, and reports through its result.json. Run it on an otherwise idle machine: the wall
times are part of the table.

    python scripts/run_examples.py [--only xor,iris] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("xor", "iris", "sine_regression", "california_housing", "mnist", "parity_rnn_fixed_len",
            "parity_rnn_var_len", "parity_lstm_var_len", "parity_gru_var_len", "mnist_gan", "cfc_irregular")


def describe(result: dict) -> str:
    """The metric as the README shows it, e.g. 'accuracy 99.1% (target >= 98.5%)'."""
    metric, value, target = result["metric"], result["value"], result["target"]
    if metric == "max_abs_error":
        return f"max abs error {value:.4f} (target < {target})"
    if metric == "accuracy":
        return f"accuracy {value:.2%} (target >= {target:.1%})"
    if metric == "r2" and "r2_sparse" in result:
        lstm = result["models"]["lstm"]
        return (f"CfC R^2 {value:.3f} (target >= {target}), sparser sampling {result['r2_sparse']:.3f} "
                f"(target >= {result['sparse_target']}); LSTM {lstm['r2']:.3f} / {lstm['r2_sparse']:.3f}")
    if metric == "r2":
        return f"R^2 {value:.3f} (target >= {target})"
    classes = ""
    if "classes" in result:
        classes = f", {result['classes']} of 10 classes (target >= {result['classes_target']})"
    return f"{metric.replace('_', ' ')} {value:.3f} (target >= {target}){classes}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated example names (default: all ten)")
    parser.add_argument("--seed", type=int, help="passed to every example (default: each example's own)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else EXAMPLES
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    rows, failed = [], []
    for name in names:
        out = ROOT / "runs" / name
        cmd = [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--out", str(out)]
        if args.seed is not None:
            cmd += ["--seed", str(args.seed)]
        print(f"running {name} ...", flush=True)
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else f"{name}: no output", flush=True)
        result = json.loads((out / "result.json").read_text())
        if proc.returncode != 0:
            failed.append(name)
        seed, wall = result["seed"], result["wall_s"]
        rows.append(f"| `python examples/{name}.py` | {describe(result)} | {seed} | {wall:.1f} s |")
    print("\n| command | metric on held-out data | seed | wall time |\n|---|---|---|---|")
    print("\n".join(rows))
    if failed:
        print(f"\nmissed their targets: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
