"""RMSprop and the ``rmsprop`` update rule against hand-written numpy formulas and PyTorch's numbers."""

import numpy as np
import pytest

import ottorch
from ottorch.nn.parameter import Parameter
from ottorch.optim import RMSprop
from ottorch.optim.rmsprop import rmsprop
from tests.optim.common import (
    GRADS,
    INIT,
    assert_close_to_torch,
    assert_histories_close,
    run_optimizer,
    run_torch_case,
)


def reference(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    """RMSprop written out from its definition, in float64."""
    params = [a.copy() for a in INIT]
    sq = [np.zeros_like(a) for a in INIT]
    mean = [np.zeros_like(a) for a in INIT]
    buf = [np.zeros_like(a) for a in INIT]
    history = []
    for grads in GRADS:
        for i, g in enumerate(grads):
            g = -g if maximize else g
            g = g + weight_decay * params[i]
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g
            mean[i] = alpha * mean[i] + (1 - alpha) * g
            variance = sq[i] - mean[i] ** 2 if centered else sq[i]
            denom = np.sqrt(variance) + eps
            if momentum > 0:
                buf[i] = momentum * buf[i] + g / denom
                params[i] = params[i] - lr * buf[i]
            else:
                params[i] = params[i] - lr * g / denom
        history.append([p.copy() for p in params])
    return history


OPTIONS = [
    {},
    {"alpha": 0.3, "eps": 1e-3},
    {"weight_decay": 0.1},
    {"momentum": 0.9},
    {"centered": True},
    {"centered": True, "momentum": 0.5, "weight_decay": 0.05, "alpha": 0.4},
    {"maximize": True, "momentum": 0.3},
    {"maximize": True},
    {"maximize": True, "centered": True, "alpha": 0.4},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_matches_the_formula(options):
    got = run_optimizer(RMSprop, {"lr": 0.01, **options})
    assert_histories_close(got, reference(0.01, **options), rtol=1e-11)


@pytest.mark.parametrize(
    ("kwargs", "want"),
    [
        ({"lr": 0.01, "momentum": 0.5, "centered": True}, [0.29644647, -1.068384, 1.8215554]),
        (
            {"lr": 0.01, "centered": True, "alpha": 0.4, "maximize": True, "weight_decay": 0.05},
            [0.53093904, -1.2679547, 2.0242956],
        ),
        ({"lr": 0.01, "maximize": True}, [0.6494153, -1.350232, 2.07521]),
    ],
)
def test_matches_pytorch_float32(kwargs, want):
    # Reference numbers from torch.optim.RMSprop(**kwargs) on the same four steps.
    assert_close_to_torch(run_torch_case(RMSprop, kwargs), want)


def test_state_follows_the_options():
    p = Parameter(ottorch.tensor([1.0, 2.0]))
    q = Parameter(ottorch.tensor([3.0]))
    opt = RMSprop([{"params": [p]}, {"params": [q], "momentum": 0.9, "centered": True}])
    p.grad, q.grad = ottorch.tensor([0.1, 0.2]), ottorch.tensor([0.3])
    opt.step()
    assert set(opt.state[p]) == {"step", "square_avg"}
    assert set(opt.state[q]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert float(opt.state[q]["step"]) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1}, "Invalid epsilon value: -1"),
        ({"momentum": -0.1}, "Invalid momentum value: -0.1"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ({"alpha": -0.5}, "Invalid alpha value: -0.5"),
        ({"capturable": True}, "capturable=True is not supported"),
        ({"differentiable": True}, "differentiable=True is not supported"),
    ],
)
def test_invalid_hyper_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RMSprop([Parameter(ottorch.zeros(2))], **kwargs)


@pytest.mark.parametrize(("weight_decay", "momentum"), [(0.1, 0.5), (0.0, 0.5), (0.0, 0.0)])
def test_functional_with_read_only_grads_and_number_steps(weight_decay, momentum):
    params = [a.copy() for a in INIT]
    sq = [np.zeros_like(a) for a in INIT]
    mean = [np.zeros_like(a) for a in INIT]
    buf = [np.zeros_like(a) for a in INIT]
    steps = [0, 0]
    for grads in GRADS:
        frozen = [g.copy() for g in grads]
        for g in frozen:
            g.flags.writeable = False
        rmsprop(params, frozen, sq, mean, buf, steps, lr=0.01, alpha=0.9, eps=1e-8, weight_decay=weight_decay,
                momentum=momentum, centered=True, maximize=True)
    assert steps == [4, 4]
    want = reference(0.01, alpha=0.9, weight_decay=weight_decay, momentum=momentum, centered=True, maximize=True)[-1]
    for p, w in zip(params, want):
        np.testing.assert_allclose(p, w, rtol=1e-11)
