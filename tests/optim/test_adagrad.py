"""Adagrad and the ``adagrad`` update rule against hand-written numpy formulas and PyTorch's numbers."""

import numpy as np
import pytest

import ottorch
from ottorch.nn.parameter import Parameter
from ottorch.optim import Adagrad
from ottorch.optim.adagrad import adagrad
from tests.optim.common import (
    GRADS,
    INIT,
    assert_close_to_torch,
    assert_histories_close,
    run_optimizer,
    run_torch_case,
)


def reference(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    """Adagrad written out from its definition, in float64."""
    params = [a.copy() for a in INIT]
    sums = [np.full_like(a, initial_accumulator_value) for a in INIT]
    history = []
    for t, grads in enumerate(GRADS, start=1):
        clr = lr / (1 + (t - 1) * lr_decay)
        for i, g in enumerate(grads):
            g = -g if maximize else g
            g = g + weight_decay * params[i]
            sums[i] = sums[i] + g * g
            params[i] = params[i] - clr * g / (np.sqrt(sums[i]) + eps)
        history.append([p.copy() for p in params])
    return history


OPTIONS = [
    {},
    {"lr_decay": 0.5},
    {"weight_decay": 0.1},
    {"initial_accumulator_value": 0.3, "eps": 1e-3},
    {"maximize": True},
    {"maximize": True, "lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_matches_the_formula(options):
    got = run_optimizer(Adagrad, {"lr": 0.1, **options})
    assert_histories_close(got, reference(0.1, **options))


@pytest.mark.parametrize(
    ("kwargs", "want"),
    [
        ({"lr": 0.1, "lr_decay": 0.01}, [0.3530844, -1.1502041, 1.9232134]),
        (
            {"lr": 0.1, "maximize": True, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
            [0.6079175, -1.3216199, 2.0574112],
        ),
    ],
)
def test_matches_pytorch_float32(kwargs, want):
    # Reference numbers from torch.optim.Adagrad(**kwargs) on the same four steps.
    assert_close_to_torch(run_torch_case(Adagrad, kwargs), want)


def test_state_exists_from_construction_and_for_added_groups():
    p, q = Parameter(ottorch.tensor([1.0, 2.0])), Parameter(ottorch.tensor([3.0]))
    opt = Adagrad([p], initial_accumulator_value=0.5)
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), [0.5, 0.5])
    assert float(opt.state[p]["step"]) == 0.0
    opt.add_param_group({"params": [q], "initial_accumulator_value": 2.0})
    np.testing.assert_array_equal(opt.state[q]["sum"].numpy(), [2.0])
    q.grad = ottorch.tensor([1.0])
    opt.step()
    assert float(opt.state[q]["step"]) == 1.0 and float(opt.state[p]["step"]) == 0.0
    np.testing.assert_allclose(q.detach().numpy(), [3.0 - 0.01 / np.sqrt(3.0)], rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"lr_decay": -1}, "Invalid lr_decay value: -1"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
        ({"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
        ({"eps": -1}, "Invalid epsilon value: -1"),
        ({"fused": True}, "fused=True is not supported"),
        ({"differentiable": True}, "differentiable=True is not supported"),
    ],
)
def test_invalid_hyper_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adagrad([Parameter(ottorch.zeros(2))], **kwargs)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_functional_with_read_only_grads_and_array_steps(weight_decay):
    params = [a.copy() for a in INIT]
    sums = [np.full_like(a, 0.1) for a in INIT]
    steps = [np.zeros(()), np.zeros(())]
    for grads in GRADS:
        frozen = [g.copy() for g in grads]
        for g in frozen:
            g.flags.writeable = False
        adagrad(params, frozen, sums, steps, lr=0.1, weight_decay=weight_decay, lr_decay=0.1, eps=1e-10, maximize=True)
    assert [float(s) for s in steps] == [4.0, 4.0]
    want = reference(0.1, lr_decay=0.1, weight_decay=weight_decay, initial_accumulator_value=0.1, maximize=True)[-1]
    for p, w in zip(params, want):
        np.testing.assert_allclose(p, w, rtol=1e-12)
