"""MNIST digits with a LeNet-style CNN (Conv2d, MaxPool2d, AvgPool2d, Linear) and a DataLoader.

    python examples/mnist.py [--epochs 3] [--seed 0] [--quick] [--out runs/mnist]

Inputs are normalised with the usual MNIST mean/std (0.1307, 0.3081). The network is LeNet-5 (6 and 16
channels; wider convolutions gain about 0.3 points but cost 3x the time), trained with Adam at batch 64
and a cosine learning-rate decay. Target: >= 98.5% accuracy on the 10,000 test images after at most 3
epochs. ``--quick`` trains 1 epoch on 12,000 training images and evaluates on the first 2,000 test
images, with the looser QUICK_TARGET of 90% (a CI smoke test, not a benchmark).

Writes the trained weights to ``classifier.ott`` (``ottorch.save(model.state_dict(), ...)``; the
mnist_gan example uses them to judge its samples), the graph, the summary and result.json into --out,
and exits non-zero if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import ottorch as torch
import ottorch.nn as nn
from ottorch.datasets import load_mnist
from ottorch.utils.data import DataLoader, TensorDataset
from ottorch.utils.progress import progress

NAME = "mnist"
TARGET = 0.985
QUICK_TARGET = 0.90
QUICK_TRAIN, QUICK_TEST = 12000, 2000
MEAN, STD = 0.1307, 0.3081
BATCH_SIZE = 64
LR = 4e-3


def lenet() -> nn.Sequential:
    """(N, 1, 28, 28) normalised digits -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 6 x 14 x 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),  # 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help=f"1 epoch on {QUICK_TRAIN} images, test on {QUICK_TEST} (target {QUICK_TARGET:.0%})")
    parser.add_argument("--out", type=Path, default=Path("runs") / NAME)
    args = parser.parse_args()
    epochs = 1 if args.quick else args.epochs
    target = QUICK_TARGET if args.quick else TARGET
    start = time.perf_counter()

    torch.manual_seed(args.seed)
    x_train, y_train = load_mnist(train=True)
    x_test, y_test = load_mnist(train=False)
    if args.quick:
        keep = torch.randperm(len(x_train))[:QUICK_TRAIN]
        x_train, y_train = x_train[keep], y_train[keep]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
    x_train, x_test = (x_train - MEAN) / STD, (x_test - MEAN) / STD
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True)

    model = lenet()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(loader))
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(1, epochs + 1):
        model.train()
        with progress(loader, desc=f"epoch {epoch}/{epochs}") as bar:
            for xb, yb in bar:
                opt.zero_grad()
                logits = model(xb)
                loss = loss_fn(logits, yb)
                loss.backward()
                opt.step()
                sched.step()
                bar.set_postfix(loss=loss.item(), acc=(logits.argmax(1) == yb).float().mean().item(), refresh=False)

    model.eval()
    with torch.no_grad():
        correct = sum((model(xb).argmax(1) == yb).sum().item()
                      for xb, yb in DataLoader(TensorDataset(x_test, y_test), batch_size=1000))
    accuracy = correct / len(x_test)

    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / "classifier.ott")
    torch.viz.save_visualization(model, args.out / "graph", input=x_test[:2])
    summary = torch.summary(model, input_size=(1, 1, 28, 28))
    (args.out / "summary.txt").write_text(str(summary) + "\n")
    (args.out / "summary.md").write_text(summary.to_markdown() + "\n")
    wall = time.perf_counter() - start
    result = {"example": NAME, "metric": "accuracy", "value": accuracy, "target": target,
              "passed": accuracy >= target, "epochs": epochs, "quick": args.quick, "wall_s": round(wall, 2),
              "seed": args.seed, "train_images": len(x_train), "test_images": len(x_test),
              "classifier": str(args.out / "classifier.ott")}
    (args.out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{NAME}: accuracy {accuracy:.2%} on {len(x_test)} test images (target {target:.1%}) in {wall:.1f}s")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
