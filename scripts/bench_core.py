"""Benchmark one training step (forward, backward, SGD update) of small workloads.

Each workload is written once against a torch-like module ``T`` and run on ottorch and, when it is
importable, on PyTorch; a hand-written numpy version of the same step is the floor. Rounds of the
backends are interleaved so machine noise hits them alike, and the script prints per-step medians
and the ratios measured in this run.

    python scripts/bench_core.py [--steps 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import ottorch

try:
    import torch
except ImportError:  # PyTorch is optional
    torch = None


# ----------------------------------------------------------------------------- workloads


def mlp_xor(T) -> Callable[[], None]:
    """A 2-4-2 tanh MLP on the 4 XOR patterns with cross-entropy: pure per-op overhead."""
    g = np.random.default_rng(0)
    x = T.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = T.tensor([0, 1, 1, 0])
    shapes = ((4, 2), (4,), (2, 4), (2,))
    params = [T.tensor(g.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]
    w1, b1, w2, b2 = params
    rows = T.arange(4)

    def step():
        h = (x @ w1.T + b1).tanh()
        out = h @ w2.T + b2
        loss = -out.log_softmax(1)[rows, y].mean()
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None

    return step


def mlp_784(T) -> Callable[[], None]:
    """A 784-256-128-10 ReLU MLP on a batch of 128: BLAS-bound."""
    g = np.random.default_rng(0)
    x = T.tensor(g.random((128, 784), dtype=np.float32))
    y = T.tensor(g.integers(0, 10, 128))
    shapes = ((256, 784), (256,), (128, 256), (128,), (10, 128), (10,))
    params = [T.tensor((g.standard_normal(s) * 0.05).astype(np.float32), requires_grad=True) for s in shapes]
    rows = T.arange(128)

    def step():
        h = x
        for i in range(0, 6, 2):
            h = h @ params[i].T + params[i + 1]
            if i < 4:
                h = h.relu()
        loss = -h.log_softmax(1)[rows, y].mean()
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    return step


def numpy_mlp_xor() -> Callable[[], None]:
    """The XOR step written by hand in numpy: the floor for any framework."""
    g = np.random.default_rng(0)
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    w1, b1, w2, b2 = (g.standard_normal(s).astype(np.float32) for s in ((4, 2), (4,), (2, 4), (2,)))

    def step():
        h = np.tanh(x @ w1.T + b1)
        out = h @ w2.T + b2
        e = np.exp(out - out.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        p[np.arange(4), y] -= 1
        dout = p / 4
        dh = (dout @ w2) * (1 - h * h)
        for w, gw in ((w2, dout.T @ h), (b2, dout.sum(0)), (w1, dh.T @ x), (b1, dh.sum(0))):
            w -= 0.1 * gw

    return step


def numpy_mlp_784() -> Callable[[], None]:
    g = np.random.default_rng(0)
    x = g.random((128, 784), dtype=np.float32)
    y = g.integers(0, 10, 128)
    shapes = ((256, 784), (256,), (128, 256), (128,), (10, 128), (10,))
    w = [(g.standard_normal(s) * 0.05).astype(np.float32) for s in shapes]

    def step():
        h1 = np.maximum(x @ w[0].T + w[1], 0)
        h2 = np.maximum(h1 @ w[2].T + w[3], 0)
        out = h2 @ w[4].T + w[5]
        e = np.exp(out - out.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        p[np.arange(128), y] -= 1
        d3 = p / 128
        d2 = (d3 @ w[4]) * (h2 > 0)
        d1 = (d2 @ w[2]) * (h1 > 0)
        grads = (d1.T @ x, d1.sum(0), d2.T @ h1, d2.sum(0), d3.T @ h2, d3.sum(0))
        for p_, g_ in zip(w, grads):
            p_ -= 0.01 * g_

    return step


WORKLOADS = {
    "mlp_xor (2-4-2, batch 4)": (mlp_xor, numpy_mlp_xor),
    "mlp_784 (784-256-128-10, batch 128)": (mlp_784, numpy_mlp_784),
}


# ----------------------------------------------------------------------------- timing


def median_step_us(step: Callable[[], None], steps: int) -> float:
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per backend")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch intra-op threads (default: PyTorch's own choice)")
    args = parser.parse_args()
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    print(f"ottorch {ottorch.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else 'not installed'}")
    print(f"{'workload':40s} {'numpy':>9s} {'ottorch':>9s} {'torch':>9s} {'ot/torch':>9s} {'ot/numpy':>9s}")
    for name, (make, make_numpy) in WORKLOADS.items():
        backends = {"numpy": make_numpy(), "ottorch": make(ottorch)}
        if torch is not None:
            backends["torch"] = make(torch)
        for step in backends.values():
            for _ in range(max(args.steps // 10, 20)):
                step()
        medians: dict[str, list[float]] = {k: [] for k in backends}
        for _ in range(args.rounds):
            for k, step in backends.items():
                medians[k].append(median_step_us(step, args.steps))
        m = {k: statistics.median(v) for k, v in medians.items()}
        t = m.get("torch")
        torch_col = f"{t:8.1f}u" if t else "n/a"
        ratio_col = f"{m['ottorch'] / t:.2f}" if t else "n/a"
        print(f"{name:40s} {m['numpy']:8.1f}u {m['ottorch']:8.1f}u {torch_col:>9s} {ratio_col:>9s} "
              f"{m['ottorch'] / m['numpy']:9.2f}")


if __name__ == "__main__":
    main()
