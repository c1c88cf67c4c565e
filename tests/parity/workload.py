"""A typical PyTorch training script, written against a module ``torch`` passed in.

``run(torch)`` is executed with real PyTorch by ``scripts/record_pytorch_parity.py`` (which writes
``expected.json``) and with ``ottorch`` by ``test_pytorch_parity.py``; both start from the same
weights and data, so the recorded numbers must agree.
"""

from __future__ import annotations

import numpy as np


def _set_weights(torch, model, rng: np.random.Generator, scale: float) -> None:
    """Overwrite every floating parameter with seeded numpy values, identical in both frameworks."""
    state = model.state_dict()
    for name, value in state.items():
        if value.dtype == torch.float32 and name.rsplit(".", 1)[-1] not in ("running_mean", "running_var"):
            state[name] = torch.tensor(rng.standard_normal(tuple(value.shape)).astype(np.float32) * scale)
    model.load_state_dict(state)


def run(torch) -> dict:
    nn, F = torch.nn, torch.nn.functional
    rng = np.random.default_rng(0)
    images = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 3, 64)

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.pool = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(64, 16)
            self.norm = nn.LayerNorm(16)
            self.fc2 = nn.Linear(16, 3)

        def forward(self, x):
            x = self.pool(F.relu(self.bn(self.conv(x))))
            x = torch.flatten(x, 1)
            return self.fc2(F.gelu(self.norm(self.fc1(x))))

    model = ConvNet()
    _set_weights(torch, model, rng, 0.3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    data = torch.utils.data.TensorDataset(torch.tensor(images), torch.tensor(labels))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    conv_losses = []
    for _ in range(3):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            conv_losses.append(loss.item())
        sched.step()
    model.eval()
    with torch.no_grad():
        probs = model(torch.tensor(images)).softmax(dim=1)

    sequences = rng.standard_normal((8, 6, 2)).astype(np.float32)
    targets = sequences.sum(axis=(1, 2), keepdims=False)[:, None].astype(np.float32)

    class Regressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(2, 5, batch_first=True)
            self.gru = nn.GRU(5, 4, batch_first=True)
            self.head = nn.Linear(4, 1)

        def forward(self, x):
            out, _ = self.rnn(x)
            out, h = self.gru(out)
            return self.head(h[-1])

    reg = Regressor()
    _set_weights(torch, reg, rng, 0.4)
    sgd = torch.optim.SGD(reg.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    rnn_losses = []
    x, y = torch.tensor(sequences), torch.tensor(targets)
    for _ in range(10):
        sgd.zero_grad()
        loss = nn.MSELoss()(reg(x), y)
        loss.backward()
        sgd.step()
        rnn_losses.append(loss.item())

    return {
        "conv_losses": conv_losses,
        "eval_probs": probs[:4].tolist(),
        "running_mean": model.bn.running_mean.tolist(),
        "rnn_losses": rnn_losses,
        "fc2_weight_sum": float(model.fc2.weight.detach().sum().item()),
    }
