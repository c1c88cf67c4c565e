"""Adam, AdamW and their update rules against hand-written numpy formulas and PyTorch's numbers."""

import numpy as np
import pytest

import ottorch
from ottorch.nn.parameter import Parameter
from ottorch.optim import Adam, AdamW
from ottorch.optim.adam import adam, adamw
from tests.optim.common import (
    GRADS,
    INIT,
    assert_close_to_torch,
    assert_histories_close,
    run_optimizer,
    run_torch_case,
)


def reference(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False, decoupled=False):
    """Adam written out from its definition, in float64."""
    b1, b2 = betas
    params = [a.copy() for a in INIT]
    m = [np.zeros_like(a) for a in INIT]
    v = [np.zeros_like(a) for a in INIT]
    vmax = [np.zeros_like(a) for a in INIT]
    history = []
    for t, grads in enumerate(GRADS, start=1):
        for i, g in enumerate(grads):
            g = -g if maximize else g
            if decoupled:
                params[i] = params[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * params[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vmax[i] = np.maximum(vmax[i], v[i])
            second = vmax[i] if amsgrad else v[i]
            m_hat = m[i] / (1 - b1**t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(second) / np.sqrt(1 - b2**t) + eps)
        history.append([p.copy() for p in params])
    return history


OPTIONS = [
    {},
    {"betas": (0.5, 0.6), "eps": 1e-3},
    {"weight_decay": 0.1},
    {"amsgrad": True},
    {"amsgrad": True, "weight_decay": 0.05, "maximize": True},
    {"maximize": True, "betas": (0.8, 0.9)},
    {"maximize": True, "betas": (0.3, 0.9)},
    {"betas": (0.0, 0.5)},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adam_matches_the_formula(options):
    got = run_optimizer(Adam, {"lr": 0.05, **options})
    assert_histories_close(got, reference(0.05, **options))


@pytest.mark.parametrize("options", OPTIONS)
def test_adamw_matches_the_formula_with_decoupled_decay(options):
    kwargs = {"lr": 0.05, "weight_decay": 0.01, **options}
    got = run_optimizer(AdamW, kwargs)
    assert_histories_close(got, reference(decoupled=True, **kwargs))


def test_adam_decoupled_weight_decay_flag_is_adamw():
    kwargs = {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True}
    got = run_optimizer(Adam, {**kwargs, "decoupled_weight_decay": True})
    assert_histories_close(got, run_optimizer(AdamW, kwargs), rtol=0, atol=0)


def test_adamw_default_weight_decay_and_group_flag():
    opt = AdamW([Parameter(ottorch.zeros(2))])
    assert opt.defaults["weight_decay"] == 1e-2
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert Adam([Parameter(ottorch.zeros(2))]).param_groups[0]["decoupled_weight_decay"] is False


def test_adamw_keeps_decoupled_decay_after_loading_an_adam_state():
    p = Parameter(ottorch.zeros(2))
    state = Adam([p]).state_dict()
    opt = AdamW([p])
    opt.load_state_dict(state)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_float32_follows_the_formula():
    got = run_optimizer(Adam, {"lr": 0.05, "amsgrad": True}, dtype=ottorch.float32)
    assert got[-1][0].dtype == np.float32
    assert_histories_close(got, reference(0.05, amsgrad=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("cls", "kwargs", "want"),
    [
        (Adam, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.01}, [0.3019082, -1.0360829, 1.7853155]),
        (AdamW, {"lr": 0.1}, [0.3044193, -1.0367633, 1.781389]),
        (Adam, {"lr": 0.1, "betas": (0.3, 0.8), "maximize": True}, [0.68792784, -1.4012138, 2.085297]),
        (AdamW, {"lr": 0.1, "amsgrad": True, "maximize": True, "weight_decay": 0.1}, [0.670774, -1.4054766, 2.127253]),
    ],
)
def test_matches_pytorch_float32(cls, kwargs, want):
    # Reference numbers from torch.optim.Adam / AdamW(**kwargs) on the same four steps.
    assert_close_to_torch(run_torch_case(cls, kwargs), want)


def test_state_layout():
    p = Parameter(ottorch.tensor([1.0, 2.0]))
    opt = Adam([p], amsgrad=True)
    p.grad = ottorch.tensor([0.1, 0.2])
    opt.step()
    opt.step()
    state = opt.state[p]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert all(isinstance(v, ottorch.Tensor) for v in state.values())
    assert state["step"].shape == () and state["step"].dtype == ottorch.float32
    assert float(state["step"]) == 2.0
    assert state["exp_avg"].dtype == ottorch.float32 and state["exp_avg"].shape == (2,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ({"betas": (0.9,)}, "betas must be a pair"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ({"capturable": True}, "capturable=True is not supported"),
        ({"fused": True}, "fused=True is not supported"),
        ({"differentiable": True}, "differentiable=True is not supported"),
    ],
)
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_invalid_hyper_parameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([Parameter(ottorch.zeros(2))], **kwargs)


class TestFunctional:
    @pytest.mark.parametrize("weight_decay", [0.0, 0.1])
    def test_adam_with_number_steps_and_read_only_grads(self, weight_decay):
        params = [a.copy() for a in INIT]
        m = [np.zeros_like(a) for a in INIT]
        v = [np.zeros_like(a) for a in INIT]
        vmax = [np.zeros_like(a) for a in INIT]
        steps = [0, 0]
        for grads in GRADS:
            frozen = [g.copy() for g in grads]
            for g in frozen:
                g.flags.writeable = False
            adam(params, frozen, m, v, vmax, steps, amsgrad=True, beta1=0.9, beta2=0.99, lr=0.05,
                 weight_decay=weight_decay, eps=1e-8, maximize=True)
        assert steps == [4, 4]
        want = reference(0.05, betas=(0.9, 0.99), weight_decay=weight_decay, amsgrad=True, maximize=True)[-1]
        for p, w in zip(params, want):
            np.testing.assert_allclose(p, w, rtol=1e-12)

    def test_array_steps_are_incremented_in_place(self):
        step = np.zeros((), dtype=np.float32)
        steps = [step]
        p = np.array([1.0, -1.0], dtype=np.float32)
        adam([p], [np.array([0.5, 0.5], dtype=np.float32)], [np.zeros(2, np.float32)], [np.zeros(2, np.float32)],
             [], steps, amsgrad=False, beta1=0.9, beta2=0.999, lr=0.1, weight_decay=0, eps=1e-8, maximize=False)
        assert steps[0] is step and float(step) == 1.0
        # First Adam step moves every coordinate by lr (times sign) up to eps.
        np.testing.assert_allclose(p, [0.9, -1.1], rtol=1e-6)

    def test_float32_step_counter_rounds_like_a_float32_tensor(self):
        step = np.array(2.0**24, dtype=np.float32)  # 2**24 + 1 is not a float32
        p = np.ones(2, np.float32)
        adam([p], [np.ones(2, np.float32)], [np.zeros(2, np.float32)], [np.zeros(2, np.float32)], [], [step],
             amsgrad=False, beta1=0.9, beta2=0.999, lr=0.1, weight_decay=0, eps=1e-8, maximize=False)
        assert step.dtype == np.float32 and float(step) == 2.0**24

    def test_adamw_is_adam_with_decoupled_decay(self):
        def run(fn, **extra):
            params = [a.copy() for a in INIT]
            state = [[np.zeros_like(a) for a in INIT] for _ in range(3)]
            steps = [0, 0]
            for grads in GRADS:
                fn(params, grads, *state, steps, amsgrad=False, beta1=0.9, beta2=0.999, lr=0.05,
                   weight_decay=0.3, eps=1e-8, maximize=False, **extra)
            return params

        for a, b in zip(run(adamw), run(adam, decoupled_weight_decay=True)):
            np.testing.assert_array_equal(a, b)
