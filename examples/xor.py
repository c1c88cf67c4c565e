"""XOR with a 2-4-2 tanh MLP and cross-entropy: the smallest complete ottorch training script.

    python examples/xor.py [--epochs 300] [--seed 0] [--quick]

Target: 100% on the 4 patterns. Writes the computation graph (.dot, .png with graphviz) and the
model summary into runs/xor/, and exits non-zero if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import ottorch as torch
import ottorch.nn as nn
from ottorch.datasets import make_xor
from ottorch.utils.progress import progress

NAME = "xor"
TARGET = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a short run for CI (same target here)")
    parser.add_argument("--out", type=Path, default=Path("runs") / NAME)
    args = parser.parse_args()
    epochs = min(args.epochs, 300) if args.quick else args.epochs
    start = time.perf_counter()

    torch.manual_seed(args.seed)
    x, y = make_xor()
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()

    with progress(range(1, epochs + 1), desc=NAME) as bar:
        for _ in bar:
            opt.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            bar.set_postfix(loss=loss.item(), acc=(logits.argmax(1) == y).float().mean().item(), refresh=False)

    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()

    args.out.mkdir(parents=True, exist_ok=True)
    torch.viz.save_visualization(model, args.out / "graph", input=x)
    summary = torch.summary(model, input_size=(4, 2))
    (args.out / "summary.txt").write_text(str(summary) + "\n")
    (args.out / "summary.md").write_text(summary.to_markdown() + "\n")
    wall = time.perf_counter() - start
    result = {"example": NAME, "metric": "accuracy", "value": accuracy, "target": TARGET,
              "passed": accuracy >= TARGET, "epochs": epochs, "quick": args.quick, "wall_s": round(wall, 2),
              "seed": args.seed}
    (args.out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{NAME}: accuracy {accuracy:.1%} on the 4 patterns (target {TARGET:.0%}) in {wall:.1f}s")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
