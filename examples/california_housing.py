"""California Housing regression with an 8-128-64-32-1 ReLU MLP, a DataLoader over a TensorDataset, MSE,
and Adam with cosine learning-rate decay.

    python examples/california_housing.py [--epochs 60] [--seed 0] [--quick] [--out runs/california_housing]

The 20,640 districts are split 80/20, seeded by --seed (which also seeds the initialisation and the
shuffling); the eight features are standardised with statistics of the training split only, and the
target (median house value in $100,000) is used as it is. The test split is touched once, for the final
R^2; the hyperparameters were chosen on validation splits carved out of training splits (batch sizes
64-256, weight decay, a log target and 60-100 epochs all reach mean validation R^2 0.795-0.800 there;
fewer epochs underfit, 150 overfit).
Target: R^2 >= 0.80 on the 4,128 test districts. The result depends on the split more than on training:
seeds 0-19 give 0.792 to 0.820 and 15 of them reach 0.80; the default seed 0 gives 0.820. --quick trains
QUICK_EPOCHS = 2 epochs on the same data and must reach QUICK_TARGET = 0.65 (seeds 0-19 give 0.674 to
0.729). Writes the computation graph, the model summary and result.json into --out, and exits non-zero if
the target is missed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import ottorch as torch
import ottorch.nn as nn
from ottorch.datasets import StandardScaler, load_california_housing, train_test_split
from ottorch.utils.data import DataLoader, TensorDataset
from ottorch.utils.progress import progress

NAME = "california_housing"
TARGET = 0.80
QUICK_TARGET = 0.65
QUICK_EPOCHS = 2
BATCH_SIZE = 256


def r2_score(pred: torch.Tensor, y: torch.Tensor) -> float:
    """The coefficient of determination 1 - SS_res / SS_tot, summed in float64."""
    pred, y = pred.to(torch.float64), y.to(torch.float64)
    return 1.0 - ((pred - y) ** 2).sum().item() / ((y - y.mean()) ** 2).sum().item()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EPOCHS} epochs, target {QUICK_TARGET}")
    parser.add_argument("--out", type=Path, default=Path("runs") / NAME)
    args = parser.parse_args()
    epochs = min(args.epochs, QUICK_EPOCHS) if args.quick else args.epochs
    target = QUICK_TARGET if args.quick else TARGET
    start = time.perf_counter()

    torch.manual_seed(args.seed)
    x, y = load_california_housing()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2,
                                                        generator=torch.Generator().manual_seed(args.seed))
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    loader = DataLoader(TensorDataset(x_train, y_train.reshape(-1, 1)), batch_size=BATCH_SIZE, shuffle=True)

    model = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=6e-3)
    # a high lr first for fast progress, annealed to zero so the last epochs settle the weights
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.MSELoss()

    for epoch in range(1, epochs + 1):
        model.train()
        with progress(loader, desc=f"epoch {epoch}/{epochs}") as bar:
            for xb, yb in bar:
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                bar.set_postfix(loss=loss.item(), lr=sched.get_last_lr()[0], refresh=False)
        sched.step()

    model.eval()
    with torch.no_grad():
        r2 = r2_score(model(x_test).reshape(-1), y_test)

    args.out.mkdir(parents=True, exist_ok=True)
    torch.viz.save_visualization(model, args.out / "graph", input=x_test[:4])
    summary = torch.summary(model, input_size=(BATCH_SIZE, 8))
    (args.out / "summary.txt").write_text(str(summary) + "\n")
    (args.out / "summary.md").write_text(summary.to_markdown() + "\n")
    wall = time.perf_counter() - start
    result = {"example": NAME, "metric": "r2", "value": r2, "target": target, "passed": r2 >= target,
              "epochs": epochs, "quick": args.quick, "wall_s": round(wall, 2), "seed": args.seed,
              "n_train": len(x_train), "n_test": len(x_test)}
    (args.out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{NAME}: R^2 {r2:.4f} on {len(x_test)} test districts (target {target}) in {wall:.1f}s")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
