"""SGD and the ``sgd`` update rule against hand-written numpy formulas and PyTorch's numbers."""

import numpy as np
import pytest

import ottorch
from ottorch.nn.parameter import Parameter
from ottorch.optim import SGD
from ottorch.optim.sgd import sgd
from tests.optim.common import (
    GRADS,
    INIT,
    assert_close_to_torch,
    assert_histories_close,
    run_optimizer,
    run_torch_case,
)


def run(kwargs, dtype=ottorch.float64):
    return run_optimizer(SGD, kwargs, dtype)


def reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    """The SGD update written out from its definition, in float64."""
    params = [a.copy() for a in INIT]
    bufs = [None] * len(params)
    history = []
    for grads in GRADS:
        for i, g in enumerate(grads):
            d = -g if maximize else g
            d = d + weight_decay * params[i]
            if momentum != 0:
                bufs[i] = d.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * d
                d = d + momentum * bufs[i] if nesterov else bufs[i]
            params[i] = params[i] - lr * d
        history.append([p.copy() for p in params])
    return history


OPTIONS = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "dampening": 0.3},
    {"momentum": 0.8, "nesterov": True},
    {"weight_decay": 0.05},
    {"momentum": 0.9, "weight_decay": 0.05, "nesterov": True},
    {"maximize": True},
    {"momentum": 0.9, "dampening": 0.3, "maximize": True},
    {"momentum": 0.8, "nesterov": True, "maximize": True},
    {"momentum": 0.5, "dampening": 0.5, "weight_decay": 0.1, "maximize": True},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_matches_the_formula_step_by_step(options):
    assert_histories_close(run({"lr": 0.1, **options}), reference(0.1, **options))


def test_float32_parameters_stay_float32_and_follow_the_formula():
    got = run({"lr": 0.1, "momentum": 0.9}, dtype=ottorch.float32)
    want = reference(0.1, momentum=0.9)
    assert got[-1][0].dtype == np.float32
    np.testing.assert_allclose(got[-1][0], want[-1][0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "want"),
    [
        ({"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, [0.27474582, -0.9433974, 1.6468084]),
        ({"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "maximize": True}, [0.62788004, -1.48765, 2.34812]),
        ({"lr": 0.1, "maximize": True, "weight_decay": 0.05}, [0.5848015, -1.3042412, 1.9884093]),
    ],
)
def test_matches_pytorch_float32(kwargs, want):
    # Reference numbers from torch.optim.SGD(**kwargs) on the same four steps.
    assert_close_to_torch(run_torch_case(SGD, kwargs), want)


def test_momentum_buffer_is_state_and_an_ottorch_tensor():
    p = Parameter(ottorch.tensor([1.0, 2.0], dtype=ottorch.float64))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = ottorch.tensor([0.5, -0.5], dtype=ottorch.float64)
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert isinstance(buf, ottorch.Tensor)
    np.testing.assert_array_equal(buf.numpy(), [0.5, -0.5])
    assert buf._data is not p.grad._data
    opt.step()
    np.testing.assert_allclose(buf.numpy(), [0.95, -0.95])


def test_no_state_without_momentum():
    p = Parameter(ottorch.tensor([1.0]))
    opt = SGD([p], lr=0.1)
    p.grad = ottorch.tensor([1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
        ({"lr": 0.1, "weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
        ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ({"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "Nesterov momentum requires"),
        ({"lr": 0.1, "fused": True}, "fused=True is not supported"),
        ({"lr": 0.1, "differentiable": True}, "differentiable=True is not supported"),
    ],
)
def test_invalid_hyper_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([Parameter(ottorch.zeros(2))], **kwargs)


def test_implementation_switches_that_change_nothing_are_accepted():
    opt = SGD([Parameter(ottorch.zeros(2))], lr=0.1, foreach=True, fused=False, differentiable=False)
    assert opt.param_groups[0]["foreach"] is True


class TestFunctional:
    @pytest.mark.parametrize("options", OPTIONS)
    def test_updates_in_place_and_never_writes_to_grads(self, options):
        kwargs = {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False, "maximize": False}
        kwargs.update(options)
        params = [a.copy() for a in INIT]
        bufs = [None, None]
        for grads in GRADS[:3]:
            frozen = [g.copy() for g in grads]
            for g in frozen:
                g.flags.writeable = False  # any in-place write to a gradient would raise
            sgd(params, frozen, bufs, lr=0.1, **kwargs)
        want = reference(0.1, **options)[2]
        for p, w in zip(params, want):
            np.testing.assert_allclose(p, w, rtol=1e-13)
        if kwargs["momentum"] != 0:
            assert all(b is not None and b.flags.writeable for b in bufs)

    def test_first_buffer_is_a_copy_of_the_gradient(self):
        p, g = np.array([1.0, 2.0]), np.array([0.5, 0.25])
        bufs = [None]
        sgd([p], [g], bufs, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)
        assert bufs[0] is not g
        np.testing.assert_array_equal(bufs[0], g)
        np.testing.assert_allclose(p, [0.95, 1.975])

    def test_without_momentum_buffers_are_not_read(self):
        p = np.array([1.0, 2.0], dtype=np.float32)
        sgd([p], [np.array([1.0, 1.0], dtype=np.float32)], [], lr=0.5, momentum=0, dampening=0,
            weight_decay=0, nesterov=False, maximize=False)
        np.testing.assert_array_equal(p, np.array([0.5, 1.5], dtype=np.float32))
