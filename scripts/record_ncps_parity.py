"""Record ``ncps``'s CfC results for ``tests/parity/cfc_workload.py`` into ``tests/parity/ncps_cfc.json``.

Needs PyTorch and the authors' package (``pip install torch==2.13.0 ncps``); run from the repository
root: ``python scripts/record_ncps_parity.py [--check]``. With ``--check`` it also runs the cases on
ottorch and prints the largest difference of each instead of writing the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.parity.cfc_workload import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with ottorch instead of writing")
    args = parser.parse_args()
    import ncps
    import ncps.torch
    import torch

    expected = run(torch, ncps.torch)
    if not args.check:
        path = ROOT / "tests" / "parity" / "ncps_cfc.json"
        payload = {"recorded_with": f"ncps {ncps.__version__}, torch {torch.__version__}", "values": expected}
        path.write_text(json.dumps(payload) + "\n")
        print(f"wrote {path} ({len(expected)} arrays)")
        return
    import ottorch

    got = run(ottorch, ottorch.nn)
    missing = sorted(set(expected) ^ set(got))
    if missing:
        print("keys on one side only:", missing)
    for key in sorted(set(expected) & set(got)):
        e, g = np.asarray(expected[key]), np.asarray(got[key])
        diff = np.max(np.abs(g - e)) if e.shape == g.shape else float("nan")
        print(f"{key:60s} {str(e.shape):12s} max abs diff {diff:.3g}  (max |value| {np.max(np.abs(e)):.3g})")


if __name__ == "__main__":
    main()
