"""Record the PyTorch results of ``tests/parity/workload.py`` into ``tests/parity/expected.json``.

Needs PyTorch (``pip install torch==2.13.0``); run from the repository root:
``python scripts/record_pytorch_parity.py [--check]``. With ``--check`` it also runs the workload on
ottorch and prints the largest differences instead of writing the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.parity.workload import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with ottorch instead of writing")
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    expected = run(torch)
    if not args.check:
        path = ROOT / "tests" / "parity" / "expected.json"
        path.write_text(json.dumps(expected, indent=1) + "\n")
        print(f"wrote {path} (torch {torch.__version__})")
        return
    import ottorch

    got = run(ottorch)
    for key, value in expected.items():
        diff = np.max(np.abs(np.asarray(got[key]) - np.asarray(value)))
        print(f"{key:16s} max abs diff {diff:.3g}")


if __name__ == "__main__":
    main()
