"""Layers and activations: output shape, forward against an explicit numpy formula, and gradients
of input and parameters against finite differences in float64."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import ottorch
from ottorch import nn
from ottorch.autograd import gradcheck
from tests.test_ops import np_avg_pool, np_conv2d, np_max_pool, np_softmax

F64 = ottorch.float64


def erf(x):
    return np.vectorize(math.erf)(x)


def softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


@dataclass
class LayerCase:
    name: str
    make: Callable[[], nn.Module]
    ref: Callable  # (input, module) -> expected output
    shape: tuple
    out_shape: tuple


def p(m, name):
    return getattr(m, name).detach().numpy()


def bn_ref(x, m):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + m.eps) * p(m, "weight").reshape(shape) + p(m, "bias").reshape(shape)


def ln_ref(x, m):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + m.eps) * p(m, "weight") + p(m, "bias")


LAYERS = [
    LayerCase("linear", lambda: nn.Linear(3, 4, dtype=F64), lambda x, m: x @ p(m, "weight").T + p(m, "bias"),
              (2, 3), (2, 4)),
    LayerCase("linear_3d_nobias", lambda: nn.Linear(3, 2, bias=False, dtype=F64), lambda x, m: x @ p(m, "weight").T,
              (2, 5, 3), (2, 5, 2)),
    LayerCase("conv2d", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=F64),
              lambda x, m: np_conv2d(x, p(m, "weight"), p(m, "bias"), (2, 2), (1, 1)), (2, 2, 5, 5), (2, 3, 3, 3)),
    LayerCase("conv2d_same", lambda: nn.Conv2d(2, 2, 3, padding="same", bias=False, dtype=F64),
              lambda x, m: np_conv2d(x, p(m, "weight"), None, (1, 1), (1, 1)), (1, 2, 4, 4), (1, 2, 4, 4)),
    LayerCase("maxpool2d", lambda: nn.MaxPool2d(2), lambda x, m: np_max_pool(x, (2, 2), (2, 2), (0, 0)),
              (2, 2, 4, 4), (2, 2, 2, 2)),
    LayerCase("avgpool2d", lambda: nn.AvgPool2d(3, stride=2, padding=1),
              lambda x, m: np_avg_pool(x, (3, 3), (2, 2), (1, 1)), (1, 2, 5, 5), (1, 2, 3, 3)),
    LayerCase("adaptive_avgpool2d", lambda: nn.AdaptiveAvgPool2d(1), lambda x, m: x.mean((2, 3), keepdims=True),
              (2, 3, 4, 4), (2, 3, 1, 1)),
    LayerCase("flatten", lambda: nn.Flatten(), lambda x, m: x.reshape(2, -1), (2, 3, 4), (2, 12)),
    LayerCase("unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda x, m: x.reshape(2, 2, 3, 4), (2, 6, 4),
              (2, 2, 3, 4)),
    LayerCase("identity", lambda: nn.Identity(54, unused=True), lambda x, m: x, (2, 3), (2, 3)),
    LayerCase("batchnorm1d", lambda: nn.BatchNorm1d(3, dtype=F64), bn_ref, (5, 3), (5, 3)),
    LayerCase("batchnorm1d_3d", lambda: nn.BatchNorm1d(3, dtype=F64), bn_ref, (4, 3, 2), (4, 3, 2)),
    LayerCase("batchnorm2d", lambda: nn.BatchNorm2d(2, dtype=F64), bn_ref, (3, 2, 2, 2), (3, 2, 2, 2)),
    LayerCase("layernorm", lambda: nn.LayerNorm(4, dtype=F64), ln_ref, (3, 4), (3, 4)),
    # activations
    LayerCase("relu", nn.ReLU, lambda x, m: np.maximum(x, 0), (3, 4), (3, 4)),
    LayerCase("relu6", nn.ReLU6, lambda x, m: np.clip(x, 0, 6), (3, 4), (3, 4)),
    LayerCase("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda x, m: np.where(x > 0, x, 0.2 * x), (3, 4), (3, 4)),
    LayerCase("elu", lambda: nn.ELU(0.5), lambda x, m: np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), (3, 4), (3, 4)),
    LayerCase("selu", nn.SELU, lambda x, m: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
              (3, 4), (3, 4)),
    LayerCase("gelu", nn.GELU, lambda x, m: 0.5 * x * (1 + erf(x / np.sqrt(2))), (3, 4), (3, 4)),
    LayerCase("gelu_tanh", lambda: nn.GELU("tanh"),
              lambda x, m: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), (3, 4), (3, 4)),
    LayerCase("silu", nn.SiLU, lambda x, m: x / (1 + np.exp(-x)), (3, 4), (3, 4)),
    LayerCase("mish", nn.Mish, lambda x, m: x * np.tanh(np.log1p(np.exp(x))), (3, 4), (3, 4)),
    LayerCase("tanh", nn.Tanh, lambda x, m: np.tanh(x), (3, 4), (3, 4)),
    LayerCase("sigmoid", nn.Sigmoid, lambda x, m: 1 / (1 + np.exp(-x)), (3, 4), (3, 4)),
    LayerCase("hardtanh", lambda: nn.Hardtanh(-0.5, 0.5), lambda x, m: np.clip(x, -0.5, 0.5), (3, 4), (3, 4)),
    LayerCase("hardsigmoid", nn.Hardsigmoid, lambda x, m: np.clip(x / 6 + 0.5, 0, 1), (3, 4), (3, 4)),
    LayerCase("softplus", lambda: nn.Softplus(beta=2.0, threshold=3.0),
              lambda x, m: softplus(x, 2.0, 3.0), (3, 4), (3, 4)),
    LayerCase("softsign", nn.Softsign, lambda x, m: x / (1 + np.abs(x)), (3, 4), (3, 4)),
    LayerCase("logsigmoid", nn.LogSigmoid, lambda x, m: -np.log1p(np.exp(-x)), (3, 4), (3, 4)),
    LayerCase("softmax", lambda: nn.Softmax(dim=1), lambda x, m: np_softmax(x, 1), (3, 4), (3, 4)),
    LayerCase("softmin", lambda: nn.Softmin(dim=0), lambda x, m: np_softmax(-x, 0), (3, 4), (3, 4)),
    LayerCase("log_softmax", lambda: nn.LogSoftmax(dim=-1), lambda x, m: np.log(np_softmax(x, -1)), (3, 4), (3, 4)),
    LayerCase("step", nn.Step, lambda x, m: (x > 0).astype(x.dtype), (3, 4), (3, 4)),
    LayerCase("sign", nn.Sign, lambda x, m: np.sign(x), (3, 4), (3, 4)),
]


def _input(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape)


@pytest.mark.parametrize("case", LAYERS, ids=[c.name for c in LAYERS])
def test_layer_forward(case: LayerCase):
    ottorch.manual_seed(0)
    m = case.make()
    x = _input(case.shape)
    out = m(ottorch.tensor(x))
    assert tuple(out.shape) == case.out_shape
    np.testing.assert_allclose(out.detach().numpy(), case.ref(x, m), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", LAYERS, ids=[c.name for c in LAYERS])
def test_layer_gradients(case: LayerCase):
    ottorch.manual_seed(0)
    m = case.make()
    x = ottorch.tensor(_input(case.shape), requires_grad=True)
    params = list(m.parameters())
    assert gradcheck(lambda x, *ps: m(x), (x, *params), atol=1e-5, rtol=1e-4)


def test_default_initialisation_bounds_match_pytorch():
    ottorch.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    assert lin.weight.abs().max().item() <= bound and lin.bias.abs().max().item() <= bound
    assert lin.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    conv = nn.Conv2d(4, 8, 3)
    assert conv.weight.abs().max().item() <= 1 / math.sqrt(36)
    emb = nn.Embedding(1000, 8)
    assert emb.weight.std().item() == pytest.approx(1.0, rel=0.05)


def test_batchnorm_running_stats_and_eval():
    bn = nn.BatchNorm1d(2, momentum=0.5, dtype=F64)
    x = _input((6, 2))
    bn(ottorch.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * x.mean(0))
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * x.var(0, ddof=1))
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    out = bn(ottorch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, (x - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5))
    cumulative = nn.BatchNorm2d(1, momentum=None)
    for _ in range(3):
        cumulative(ottorch.randn(4, 1, 2, 2))
    assert cumulative.num_batches_tracked.item() == 3
    cumulative.reset_parameters()
    assert cumulative.num_batches_tracked.item() == 0 and cumulative.running_var.tolist() == [1.0]
    untracked = nn.BatchNorm1d(2, track_running_stats=False, affine=False)
    assert untracked.running_mean is None and untracked.eval()(ottorch.randn(4, 2)).shape == (4, 2)
    with pytest.raises(ValueError, match="expected 2-D or 3-D input with 2 channels"):
        bn(ottorch.ones(3, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(2)(ottorch.ones(1, 2))


def test_dropout_train_and_eval():
    drop = nn.Dropout(0.25, generator=ottorch.Generator().manual_seed(1))
    x = ottorch.ones(1000)
    out = drop(x)
    kept = out != 0
    assert 0.65 < kept.float().mean().item() < 0.85
    np.testing.assert_allclose(out[kept].numpy(), 1 / 0.75, rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(1.0)(x).sum().item() == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    y = ottorch.ones(4, requires_grad=True)
    nn.Dropout(0.5)(y).sum().backward()
    assert set(y.grad.tolist()) <= {0.0, 2.0}


def test_embedding():
    emb = nn.Embedding(5, 3, padding_idx=0, dtype=F64)
    assert emb.weight[0].abs().sum().item() == 0
    idx = ottorch.tensor([[0, 2], [2, 4]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.detach().numpy(), emb.weight.detach().numpy()[idx.numpy()])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 0, 2, 0, 1])
    pre = nn.Embedding.from_pretrained(ottorch.eye(3))
    assert not pre.weight.requires_grad and pre(ottorch.tensor([1])).tolist() == [[0.0, 1.0, 0.0]]
    with pytest.raises(IndexError, match="out of range"):
        emb(ottorch.tensor([7]))
    with pytest.raises(TypeError, match="integers"):
        emb(ottorch.tensor([1.0]))
    assert repr(emb) == "Embedding(5, 3, padding_idx=0)"


def test_layer_shape_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"linear: input of shape \[2, 5\] does not fit weight of shape \[4, 3\]"):
        nn.Linear(3, 4)(ottorch.ones(2, 5))
    with pytest.raises(TypeError, match="dtype"):
        nn.Linear(3, 4)(ottorch.ones(2, 3, dtype=F64))
    with pytest.raises(RuntimeError, match="conv2d: input"):
        nn.Conv2d(3, 4, 3)(ottorch.ones(1, 2, 8, 8))
    with pytest.raises(RuntimeError, match="layer_norm"):
        nn.LayerNorm(4)(ottorch.ones(2, 5))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(NotImplementedError, match="return_indices"):
        nn.MaxPool2d(2, return_indices=True)


def test_layer_reprs():
    assert repr(nn.Conv2d(1, 6, 5, padding=2, bias=False)) == (
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), bias=False)"
    )
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(negative_slope=0.1)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    for layer in (nn.GELU(), nn.ELU(), nn.Hardtanh(), nn.Softplus(), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(2),
                  nn.Dropout(), nn.BatchNorm2d(3), nn.Unflatten(1, (2, 2))):
        assert repr(layer).startswith(type(layer).__name__ + "(")


def test_inplace_activations_modify_the_input():
    x = ottorch.tensor([-1.0, 2.0])
    nn.ReLU(inplace=True)(x)
    assert x.tolist() == [0.0, 2.0]
    y = ottorch.tensor([-1.0, 2.0])
    nn.LeakyReLU(0.5, inplace=True)(y)
    assert y.tolist() == [-0.5, 2.0]
