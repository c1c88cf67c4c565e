"""Losses: every reduction against a numpy formula, gradients against finite differences."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import ottorch
from ottorch import nn
from ottorch.autograd import gradcheck
from ottorch.nn import functional as F

RNG = np.random.default_rng(0)
PRED = RNG.uniform(-2, 2, (4, 3))
TARGET = RNG.uniform(-2, 2, (4, 3))
PROBS = RNG.uniform(0.05, 0.95, (4, 3))
BINARY = (RNG.random((4, 3)) > 0.5).astype(np.float64)
LOGITS = RNG.uniform(-3, 3, (5, 4))
CLASSES = np.array([0, 3, 1, 1, 2])
SOFT = RNG.dirichlet(np.ones(4), 5)
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])
LOGITS_2D = RNG.uniform(-3, 3, (2, 4, 3, 2))
CLASSES_2D = RNG.integers(0, 4, (2, 3, 2))


def log_softmax(x, axis=1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def ce(x, y, w=None, ignore=-100, smoothing=0.0):
    """Per-sample cross-entropy with the weighted-mean normaliser, as PyTorch defines it."""
    lp = log_softmax(x)
    keep = y != ignore
    safe = np.where(keep, y, 0)
    w = np.ones(x.shape[1]) if w is None else w
    nll = -lp[np.arange(len(y)), safe] * w[safe] * keep
    denom = (w[safe] * keep).sum()
    smooth = -(lp * w).sum(1) * keep
    smooth_denom = denom if w is not None else keep.sum()
    return (1 - smoothing) * nll.sum() / denom + smoothing / x.shape[1] * smooth.sum() / smooth_denom


def huber(d, delta):
    a = np.abs(d)
    return np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def smooth_l1(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def bce_logits(x, t, pw=1.0):
    return -(pw * t * np.log(1 / (1 + np.exp(-x))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x))))


@dataclass
class LossCase:
    name: str
    make: Callable[[], nn.Module]
    inputs: tuple  # (prediction, target); the prediction gets the gradient check
    ref: Callable[..., np.ndarray]
    kwargs: dict = field(default_factory=dict)


CASES = [
    LossCase("mse_mean", nn.MSELoss, (PRED, TARGET), lambda x, t: ((x - t) ** 2).mean()),
    LossCase("mse_sum", lambda: nn.MSELoss(reduction="sum"), (PRED, TARGET), lambda x, t: ((x - t) ** 2).sum()),
    LossCase("mse_none", lambda: nn.MSELoss(reduction="none"), (PRED, TARGET), lambda x, t: (x - t) ** 2),
    LossCase("l1", nn.L1Loss, (PRED, TARGET), lambda x, t: np.abs(x - t).mean()),
    LossCase("smooth_l1", lambda: nn.SmoothL1Loss(beta=0.5), (PRED, TARGET), lambda x, t: smooth_l1(x - t, 0.5).mean()),
    LossCase("smooth_l1_beta0", lambda: nn.SmoothL1Loss(beta=0.0), (PRED, TARGET), lambda x, t: np.abs(x - t).mean()),
    LossCase("huber", lambda: nn.HuberLoss(delta=0.7, reduction="sum"), (PRED, TARGET),
             lambda x, t: huber(x - t, 0.7).sum()),
    LossCase("ce_index", nn.CrossEntropyLoss, (LOGITS, CLASSES), lambda x, y: ce(x, y)),
    LossCase("ce_weight", lambda: nn.CrossEntropyLoss(weight=ottorch.tensor(WEIGHT)), (LOGITS, CLASSES),
             lambda x, y: ce(x, y, WEIGHT)),
    LossCase("ce_ignore", lambda: nn.CrossEntropyLoss(ignore_index=1), (LOGITS, CLASSES),
             lambda x, y: ce(x, y, ignore=1)),
    LossCase("ce_smoothing", lambda: nn.CrossEntropyLoss(label_smoothing=0.2), (LOGITS, CLASSES),
             lambda x, y: ce(x, y, smoothing=0.2)),
    LossCase("ce_sum", lambda: nn.CrossEntropyLoss(reduction="sum"), (LOGITS, CLASSES),
             lambda x, y: -log_softmax(x)[np.arange(5), y].sum()),
    LossCase("ce_none", lambda: nn.CrossEntropyLoss(reduction="none"), (LOGITS, CLASSES),
             lambda x, y: -log_softmax(x)[np.arange(5), y]),
    LossCase("ce_probs", nn.CrossEntropyLoss, (LOGITS, SOFT), lambda x, p: -(p * log_softmax(x)).sum(1).mean()),
    LossCase("ce_probs_smoothing", lambda: nn.CrossEntropyLoss(label_smoothing=0.1), (LOGITS, SOFT),
             lambda x, p: -((p * 0.9 + 0.1 / 4) * log_softmax(x)).sum(1).mean()),
    LossCase("ce_spatial", nn.CrossEntropyLoss, (LOGITS_2D, CLASSES_2D),
             lambda x, y: -np.take_along_axis(log_softmax(x), y[:, None], 1).mean()),
    LossCase("nll", nn.NLLLoss, (log_softmax(LOGITS), CLASSES), lambda x, y: -x[np.arange(5), y].mean()),
    LossCase("nll_weight_sum", lambda: nn.NLLLoss(weight=ottorch.tensor(WEIGHT), reduction="sum"),
             (log_softmax(LOGITS), CLASSES), lambda x, y: -(x[np.arange(5), y] * WEIGHT[y]).sum()),
    LossCase("bce", nn.BCELoss, (PROBS, BINARY), lambda x, t: -(t * np.log(x) + (1 - t) * np.log(1 - x)).mean()),
    LossCase("bce_weight", lambda: nn.BCELoss(weight=ottorch.tensor([1.0, 2.0, 0.5]), reduction="sum"),
             (PROBS, BINARY), lambda x, t: (-(t * np.log(x) + (1 - t) * np.log(1 - x)) * [1.0, 2.0, 0.5]).sum()),
    LossCase("bce_logits", nn.BCEWithLogitsLoss, (PRED, BINARY), lambda x, t: bce_logits(x, t).mean()),
    LossCase("bce_logits_pos_weight", lambda: nn.BCEWithLogitsLoss(pos_weight=ottorch.tensor([1.0, 3.0, 0.5])),
             (PRED, BINARY), lambda x, t: bce_logits(x, t, np.array([1.0, 3.0, 0.5])).mean()),
    LossCase("kl_div_batchmean", lambda: nn.KLDivLoss(reduction="batchmean"), (log_softmax(LOGITS), SOFT),
             lambda x, p: (p * (np.log(p) - x)).sum() / 5),
    LossCase("kl_div_log_target", lambda: nn.KLDivLoss(log_target=True), (log_softmax(LOGITS), np.log(SOFT)),
             lambda x, lp: (np.exp(lp) * (lp - x)).mean()),
]


def _tensors(case):
    pred, target = case.inputs
    return ottorch.tensor(pred, requires_grad=True), ottorch.tensor(target)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_loss_forward(case):
    pred, target = _tensors(case)
    out = case.make()(pred, target)
    np.testing.assert_allclose(out.detach().numpy(), case.ref(*case.inputs), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_loss_gradient(case):
    pred, target = _tensors(case)
    loss = case.make()
    assert gradcheck(lambda x: loss(x, target), (pred,))


def test_cross_entropy_is_stable_for_huge_logits():
    x = ottorch.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    loss = F.cross_entropy(x, ottorch.tensor([0, 0]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1000.0)
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    z = ottorch.tensor([80.0, -80.0], requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(z, ottorch.tensor([0.0, 1.0]))
    assert bce.item() == pytest.approx(80.0)
    assert F.binary_cross_entropy(ottorch.tensor([0.0, 1.0]), ottorch.tensor([1.0, 0.0])).item() == pytest.approx(100.0)


def test_loss_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \[4, 1\] and target shape \[4\] differ"):
        F.mse_loss(ottorch.ones(4, 1), ottorch.ones(4))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(IndexError, match="target 7 is out of bounds for 4 classes"):
        F.cross_entropy(ottorch.ones(2, 4), ottorch.tensor([0, 7]))
    with pytest.raises(ValueError, match=r"expected target of shape \[2\]"):
        F.cross_entropy(ottorch.ones(2, 4), ottorch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(ottorch.tensor([1.5]), ottorch.tensor([1.0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(ottorch.ones(2, 4), ottorch.tensor([0, 1]), label_smoothing=2.0)


def test_unbatched_cross_entropy():
    x = ottorch.tensor([1.0, 2.0, 0.5])
    expected = -log_softmax(np.array([[1.0, 2.0, 0.5]]))[0, 1]
    assert F.cross_entropy(x, ottorch.tensor(1)).item() == pytest.approx(expected, rel=1e-6)
