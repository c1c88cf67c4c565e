"""Benchmark one training step (forward, backward, optimizer step) of small workloads.

Each workload is written once against a torch-like module ``T`` (``T.nn``, ``T.optim``) and run on
ottorch and, when it is importable, on PyTorch; where given, a hand-written numpy version of the
same step is the floor. The CfC workload runs on PyTorch through the authors' ``ncps`` package,
when that is importable too. Rounds of the backends are interleaved so machine noise hits them
alike, and the script prints per-step medians and the ratios measured in this run.

    python scripts/bench_core.py [--steps 200] [--rounds 5] [--torch-threads N] [--only lstm]
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


def _data(T, x: np.ndarray, y: np.ndarray):
    return T.tensor(x), T.tensor(y)


def _trainer(T, model, opt, loss_fn, x, y) -> Callable[[], None]:
    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def mlp_xor(T) -> Callable[[], None]:
    """A 2-4-2 tanh MLP on the 4 XOR patterns, SGD: pure per-op overhead."""
    x, y = _data(T, np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32), np.array([0, 1, 1, 0]))
    model = T.nn.Sequential(T.nn.Linear(2, 4), T.nn.Tanh(), T.nn.Linear(4, 2))
    return _trainer(T, model, T.optim.SGD(model.parameters(), lr=0.1), T.nn.CrossEntropyLoss(), x, y)


def mlp_784(T) -> Callable[[], None]:
    """A 784-256-128-10 ReLU MLP on a batch of 128 with Adam: BLAS-bound."""
    g = np.random.default_rng(0)
    x, y = _data(T, g.random((128, 784), dtype=np.float32), g.integers(0, 10, 128))
    nn = T.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return _trainer(T, model, T.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), x, y)


def lenet(T) -> Callable[[], None]:
    """LeNet-5 on a batch of 64 MNIST-sized images with SGD + momentum: convolution-bound."""
    g = np.random.default_rng(0)
    x, y = _data(T, g.random((64, 1, 28, 28), dtype=np.float32), g.integers(0, 10, 64))
    nn = T.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    opt = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _trainer(T, model, opt, nn.CrossEntropyLoss(), x, y)


def recurrent(kind: str, batch_first: bool) -> Callable:
    """``kind`` (LSTM or GRU) 1->16 + Linear(16->2) on the last step of length-8 sequences, batch
    32, Adam: per-step recurrence. The same data either batch-first (32, 8, 1) or (8, 32, 1)."""

    def workload(T) -> Callable[[], None]:
        g = np.random.default_rng(0)
        data = g.random((32, 8, 1), dtype=np.float32)
        if not batch_first:
            data = np.ascontiguousarray(data.transpose(1, 0, 2))
        x, y = _data(T, data, g.integers(0, 2, 32))

        class Net(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = getattr(T.nn, kind)(1, 16, batch_first=batch_first)
                self.head = T.nn.Linear(16, 2)

            def forward(self, x):
                out, _ = self.rnn(x)
                return self.head(out[:, -1] if batch_first else out[-1])

        model = Net()
        return _trainer(T, model, T.optim.Adam(model.parameters(), lr=1e-3), T.nn.CrossEntropyLoss(), x, y)

    workload.__name__ = f"{kind.lower()}_{'batch_first' if batch_first else 'seq_first'}"
    return workload


def cfc(T) -> Callable[[], None] | None:
    """CfC(2->16, backbone 32) + its Linear(16->2) readout of the last state on length-24
    sequences, batch 64, MSE, Adam. On PyTorch it is ``ncps.torch.CfC`` (None without ncps). No
    timespans: ncps broadcasts per-sample ones along the units (see ottorch/nn/modules/cfc.py)."""
    if T is ottorch:
        CfC = ottorch.nn.CfC
    else:
        try:
            from ncps.torch import CfC
        except ImportError:
            return None
    g = np.random.default_rng(0)
    x, y = _data(T, g.standard_normal((64, 24, 2)).astype(np.float32), g.standard_normal((64, 2)).astype(np.float32))

    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = CfC(2, 16, backbone_units=32, proj_size=2, return_sequences=False)

        def forward(self, x):
            return self.rnn(x)[0]

    model = Net()
    return _trainer(T, model, T.optim.Adam(model.parameters(), lr=1e-3), T.nn.MSELoss(), x, y)


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


def _numpy_adam(w: list, grads, m: list, v: list, t: list) -> None:
    """One Adam step (lr 1e-3, PyTorch's defaults) in place, written by hand; ``t`` is a 1-list."""
    t[0] += 1
    c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
    for p_, g_, m_, v_ in zip(w, grads, m, v):
        m_ *= 0.9
        m_ += 0.1 * g_
        v_ *= 0.999
        v_ += 0.001 * g_ * g_
        p_ -= 1e-3 * (m_ / c1) / (np.sqrt(v_ / c2) + 1e-8)


def numpy_mlp_784() -> Callable[[], None]:
    g = np.random.default_rng(0)
    x = g.random((128, 784), dtype=np.float32)
    y = g.integers(0, 10, 128)
    shapes = ((256, 784), (256,), (128, 256), (128,), (10, 128), (10,))
    w = [(g.standard_normal(s) * 0.05).astype(np.float32) for s in shapes]
    m, v, t = [np.zeros_like(a) for a in w], [np.zeros_like(a) for a in w], [0]

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
        _numpy_adam(w, grads, m, v, t)

    return step


def numpy_lstm(batch_first: bool) -> Callable:
    """The recurrent LSTM step written by hand: forward over the 8 steps, backpropagation through
    time, Adam. Same initialisation scheme and data as ``recurrent("LSTM", ...)``."""

    def make() -> Callable[[], None]:
        g = np.random.default_rng(0)
        data = g.random((32, 8, 1), dtype=np.float32)
        x = data if batch_first else np.ascontiguousarray(data.transpose(1, 0, 2))
        y = g.integers(0, 2, 32)
        hid, length, n = 16, 8, 32
        k = 1 / np.sqrt(hid)
        shapes = ((4 * hid, 1), (4 * hid, hid), (4 * hid,), (4 * hid,), (2, hid), (2,))
        w = [g.uniform(-k, k, s).astype(np.float32) for s in shapes]
        m, v, t = [np.zeros_like(a) for a in w], [np.zeros_like(a) for a in w], [0]
        i_, f_, g_, o_ = (slice(j * hid, (j + 1) * hid) for j in range(4))

        def step():
            w_ih, w_hh, b_ih, b_hh, w_o, b_o = w
            rows = (x.transpose(1, 0, 2) if batch_first else x).reshape(length * n, 1)
            xp = np.dot(rows, w_ih.T) + (b_ih + b_hh)
            h, c = np.zeros((n, hid), np.float32), np.zeros((n, hid), np.float32)
            hs, cs, acts = [h], [c], []
            for s in range(length):
                gates = np.dot(h, w_hh.T)
                gates += xp[s * n:(s + 1) * n]
                a = np.negative(gates)
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)
                gg = np.tanh(gates[:, g_])
                c = a[:, f_] * c + a[:, i_] * gg
                tc = np.tanh(c)
                h = a[:, o_] * tc
                hs.append(h)
                cs.append(c)
                acts.append((a, gg, tc))
            out = np.dot(h, w_o.T) + b_o
            e = np.exp(out - out.max(1, keepdims=True))
            p = e / e.sum(1, keepdims=True)
            p[np.arange(n), y] -= 1
            dout = p / n
            dh, dc = np.dot(dout, w_o), np.zeros((n, hid), np.float32)
            gw_hh, dxp = np.zeros_like(w_hh), np.empty((length * n, 4 * hid), np.float32)
            for s in range(length - 1, -1, -1):
                a, gg, tc = acts[s]
                dgates = dxp[s * n:(s + 1) * n]
                dc = dc + dh * a[:, o_] * (1 - tc * tc)
                dgates[:, i_] = dc * gg * a[:, i_] * (1 - a[:, i_])
                dgates[:, f_] = dc * cs[s] * a[:, f_] * (1 - a[:, f_])
                dgates[:, g_] = dc * a[:, i_] * (1 - gg * gg)
                dgates[:, o_] = dh * tc * a[:, o_] * (1 - a[:, o_])
                dc = dc * a[:, f_]
                gw_hh += np.dot(dgates.T, hs[s])
                dh = np.dot(dgates, w_hh)
            gb = dxp.sum(0)
            grads = (np.dot(dxp.T, rows), gw_hh, gb, gb, np.dot(dout.T, h), dout.sum(0))
            _numpy_adam(w, grads, m, v, t)

        step.weights = w  # for checking it against the frameworks
        return step

    return make


WORKLOADS = {
    "mlp_xor (2-4-2, batch 4, SGD)": (mlp_xor, numpy_mlp_xor),
    "mlp_784 (784-256-128-10, batch 128, Adam)": (mlp_784, numpy_mlp_784),
    "lenet5 (batch 64, SGD momentum)": (lenet, None),
    "lstm batch_first (1->16, len 8, batch 32, Adam)": (recurrent("LSTM", True), numpy_lstm(True)),
    "lstm seq-first (1->16, len 8, batch 32, Adam)": (recurrent("LSTM", False), numpy_lstm(False)),
    "gru batch_first (1->16, len 8, batch 32, Adam)": (recurrent("GRU", True), None),
    "gru seq-first (1->16, len 8, batch 32, Adam)": (recurrent("GRU", False), None),
    "cfc (2->16, backbone 32, len 24, batch 64, Adam)": (cfc, None),
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
    parser.add_argument("--steps", type=int, default=200, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per backend")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch intra-op threads (default: PyTorch's own choice)")
    parser.add_argument("--only", default=None, help="run only the workloads whose name contains this text")
    args = parser.parse_args()
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    print(f"ottorch {ottorch.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else 'not installed'}")
    print(f"{'workload':50s} {'numpy':>9s} {'ottorch':>9s} {'torch':>9s} {'ot/torch':>9s} {'ot/numpy':>9s}")
    for name, (make, make_numpy) in WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        backends = {"ottorch": make(ottorch)}
        if make_numpy is not None:
            backends["numpy"] = make_numpy()
        torch_step = None if torch is None else make(torch)
        if torch_step is not None:
            backends["torch"] = torch_step
        for step in backends.values():
            for _ in range(max(args.steps // 10, 5)):
                step()
        medians: dict[str, list[float]] = {k: [] for k in backends}
        for _ in range(args.rounds):
            for k, step in backends.items():
                medians[k].append(median_step_us(step, args.steps))
        m = {k: statistics.median(v) for k, v in medians.items()}
        cols = {k: f"{m[k]:8.1f}u" if k in m else "n/a" for k in ("numpy", "ottorch", "torch")}
        vs_torch = f"{m['ottorch'] / m['torch']:.2f}" if "torch" in m else "n/a"
        vs_numpy = f"{m['ottorch'] / m['numpy']:.2f}" if "numpy" in m else "n/a"
        print(f"{name:50s} {cols['numpy']:>9s} {cols['ottorch']:>9s} {cols['torch']:>9s} {vs_torch:>9s} {vs_numpy:>9s}")


if __name__ == "__main__":
    main()
