"""An unconditional GAN on MNIST: MLP generator and MLP discriminator trained adversarially.

    python examples/mnist_gan.py [--epochs 5] [--seed 0] [--quick] [--out runs/mnist_gan]
                                 [--classifier runs/mnist/classifier.ott]

Shows two models with two Adam optimizers, ``detach()`` so that the discriminator step on generated
samples leaves the generator alone, and several losses: BCEWithLogitsLoss for D (one-sided label
smoothing on real images) and for G, plus a feature-matching MSELoss for G (match the mean of D's
hidden features on real and generated batches), which keeps the generator from collapsing onto a few
digits. The generator uses BatchNorm1d, and both optimizers run at lr 1e-3 (betas 0.5, 0.999) rather
than the usual 2e-4: five times faster progress, and still stable here, which lets the unconditional GAN
meet its target within the 5-minute budget (about 4,700 steps).

Objective check: the LeNet classifier of examples/mnist.py (``--classifier``, default
runs/mnist/classifier.ott; if that file is absent it is trained here, 1 epoch on 20,000 images, and
the script says so) labels 256 generated digits. Target: mean max-softmax >= 0.8 and at least 8 of the
10 classes among the predicted labels. ``--quick`` trains the GAN for 1 epoch on 25,600 images (400
steps) and, if the file is absent (as in CI), the classifier on 6,000 images, with the looser
QUICK_TARGET of mean max-softmax >= 0.5 and at least 4 classes: the blurry early digits and the weaker
classifier both lower the confidence.

Writes ``samples.png`` (a 16x16 grid of the 256 judged samples, an 8-bit grayscale PNG encoded here
with zlib + struct), the generator's weights (generator.ott), the graph and summary of D(G(z)) and
result.json into --out, and exits non-zero if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np

import ottorch as torch
import ottorch.nn as nn
from ottorch.datasets import load_mnist
from ottorch.utils.data import DataLoader, TensorDataset
from ottorch.utils.progress import progress

NAME = "mnist_gan"
TARGET = 0.8  # mean max-softmax of the classifier on the generated samples
TARGET_CLASSES = 8  # distinct predicted digits among them
QUICK_TARGET, QUICK_TARGET_CLASSES = 0.5, 4
QUICK_TRAIN = 25600  # 400 batches
N_SAMPLES = 256
Z_DIM = 64
BATCH_SIZE = 64
LR = 1e-3
BETAS = (0.5, 0.999)
REAL_LABEL = 0.9  # one-sided label smoothing: D never becomes certain on real images
FM_WEIGHT = 1.0
MEAN, STD = 0.1307, 0.3081  # the classifier's input normalisation (examples/mnist.py)
CLASSIFIER_TRAIN, QUICK_CLASSIFIER_TRAIN = 20000, 6000


def generator() -> nn.Sequential:
    """(N, Z_DIM) noise -> (N, 1, 28, 28) images in [-1, 1]."""
    return nn.Sequential(
        nn.Linear(Z_DIM, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
        nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
        nn.Linear(512, 784), nn.Tanh(),
        nn.Unflatten(1, (1, 28, 28)),
    )


class Discriminator(nn.Module):
    """(N, 1, 28, 28) images in [-1, 1] -> (N,) logits of "real"; ``features`` is its last hidden layer."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2),
                                      nn.Linear(512, 256), nn.LeakyReLU(0.2))
        self.head = nn.Linear(256, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def lenet() -> nn.Sequential:
    """The classifier of examples/mnist.py: (N, 1, 28, 28) normalised digits -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def train_classifier(x: torch.Tensor, y: torch.Tensor) -> nn.Sequential:
    """One epoch of examples/mnist.py's recipe on ``x`` (in [0, 1]) and ``y``."""
    model = lenet()
    loader = DataLoader(TensorDataset((x - MEAN) / STD, y), batch_size=64, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=4e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(loader))
    loss_fn = nn.CrossEntropyLoss()
    with progress(loader, desc="classifier") as bar:
        for xb, yb in bar:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=loss.item(), refresh=False)
    return model


def png_gray(path: Path, image: np.ndarray) -> None:
    """Write a (H, W) uint8 array as an 8-bit grayscale PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width = image.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # bit depth 8, colour type 0 (gray)
    rows = np.hstack([np.zeros((height, 1), np.uint8), image]).tobytes()  # filter type 0 before each row
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
                     + chunk(b"IEND", b""))


def grid(images: np.ndarray, cols: int, pad: int = 2) -> np.ndarray:
    """(N, 28, 28) images in [0, 1] -> one uint8 mosaic with ``cols`` columns and black padding."""
    n, h, w = images.shape
    rows = -(-n // cols)
    canvas = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), np.uint8)
    tiles = np.zeros((rows * cols, h, w), np.uint8)
    tiles[:n] = np.round(np.clip(images, 0, 1) * 255)
    view = canvas[pad:, pad:].reshape(rows, h + pad, cols, w + pad)[:, :h, :, :w]
    view[...] = tiles.reshape(rows, cols, h, w).transpose(0, 2, 1, 3)
    return canvas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help=f"1 epoch on {QUICK_TRAIN} images (target {QUICK_TARGET}, {QUICK_TARGET_CLASSES} classes)")
    parser.add_argument("--out", type=Path, default=Path("runs") / NAME)
    parser.add_argument("--classifier", type=Path, default=Path("runs") / "mnist" / "classifier.ott",
                        help="state_dict of examples/mnist.py's classifier (trained here if absent)")
    args = parser.parse_args()
    epochs = 1 if args.quick else args.epochs
    target, target_classes = (QUICK_TARGET, QUICK_TARGET_CLASSES) if args.quick else (TARGET, TARGET_CLASSES)
    start = time.perf_counter()

    torch.manual_seed(args.seed)
    x, y = load_mnist(train=True)
    real_images = x * 2 - 1  # the generator's tanh range
    if args.quick:
        real_images = real_images[torch.randperm(len(x))[:QUICK_TRAIN]]
    loader = DataLoader(TensorDataset(real_images), batch_size=BATCH_SIZE, shuffle=True, drop_last=True)

    gen, disc = generator(), Discriminator()
    opt_g = torch.optim.Adam(gen.parameters(), lr=LR, betas=BETAS)
    opt_d = torch.optim.Adam(disc.parameters(), lr=LR, betas=BETAS)
    bce, mse = nn.BCEWithLogitsLoss(), nn.MSELoss()
    real_target = torch.full((BATCH_SIZE,), REAL_LABEL)
    fake_target, gen_target = torch.zeros(BATCH_SIZE), torch.ones(BATCH_SIZE)

    for epoch in range(1, epochs + 1):
        with progress(loader, desc=f"epoch {epoch}/{epochs}") as bar:
            for (real,) in bar:
                fake = gen(torch.randn(BATCH_SIZE, Z_DIM))
                # D step: detach() cuts the graph at the generator's output, so loss_d.backward() only
                # reaches D's parameters and G's graph stays intact for its own step below.
                opt_d.zero_grad()
                real_features = disc.features(real)
                loss_d = bce(disc.head(real_features).squeeze(1), real_target) + bce(disc(fake.detach()), fake_target)
                loss_d.backward()
                opt_d.step()
                # G step: fool the updated D, and match its mean hidden features on the real batch.
                opt_g.zero_grad()
                fake_features = disc.features(fake)
                loss_adv = bce(disc.head(fake_features).squeeze(1), gen_target)
                loss_fm = mse(fake_features.mean(0), real_features.detach().mean(0))
                loss_g = loss_adv + FM_WEIGHT * loss_fm
                loss_g.backward()
                opt_g.step()
                bar.set_postfix(loss_d=loss_d.item(), loss_g=loss_g.item(), fm=loss_fm.item(), refresh=False)

    if args.classifier.exists():
        classifier = lenet()
        classifier.load_state_dict(torch.load(args.classifier))
        classifier_source = str(args.classifier)
    else:
        n_train = QUICK_CLASSIFIER_TRAIN if args.quick else CLASSIFIER_TRAIN
        print(f"{args.classifier} not found: training the classifier here (1 epoch on {n_train} images)")
        keep = torch.randperm(len(x))[:n_train]
        classifier = train_classifier(x[keep], y[keep])
        classifier_source = f"trained here, 1 epoch on {n_train} images"

    gen.eval()
    classifier.eval()
    with torch.no_grad():
        samples = (gen(torch.randn(N_SAMPLES, Z_DIM)) + 1) / 2
        probs = classifier((samples - MEAN) / STD).softmax(1)
    confidence = probs.max(1).values.mean().item()
    counts = np.bincount(probs.argmax(1).numpy(), minlength=10)
    n_classes = int((counts > 0).sum())

    args.out.mkdir(parents=True, exist_ok=True)
    png_gray(args.out / "samples.png", grid(samples.numpy()[:, 0], cols=16))
    torch.save(gen.state_dict(), args.out / "generator.ott")
    gan = nn.Sequential(gen, disc)  # D(G(z)), for the graph and the summary
    torch.viz.save_visualization(gan, args.out / "graph", input=torch.randn(2, Z_DIM))
    summary = torch.summary(gan, input_size=(2, Z_DIM))
    (args.out / "summary.txt").write_text(str(summary) + "\n")
    (args.out / "summary.md").write_text(summary.to_markdown() + "\n")
    wall = time.perf_counter() - start
    passed = confidence >= target and n_classes >= target_classes
    result = {"example": NAME, "metric": "mean_max_softmax", "value": confidence, "target": target,
              "passed": passed, "epochs": epochs, "quick": args.quick, "wall_s": round(wall, 2),
              "seed": args.seed, "classes": n_classes, "classes_target": target_classes,
              "class_counts": counts.tolist(), "classifier": classifier_source, "conditional": False,
              "samples_png": str(args.out / "samples.png")}
    (args.out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{NAME}: mean max-softmax {confidence:.3f} with {n_classes} classes on {N_SAMPLES} generated digits "
          f"(target {target}, {target_classes} classes) in {wall:.1f}s")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
