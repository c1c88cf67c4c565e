"""The Optimizer base: param groups, zero_grad, closures, state_dict round trips and input errors."""

import copy
import io
import pickle

import numpy as np
import pytest

import ottorch
import ottorch.optim as optim
from ottorch.nn.parameter import Parameter
from ottorch.optim.optimizer import Optimizer, required
from tests.optim.common import GRADS, make_params

ALL_OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.05}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.1}),
]


def feed(params, grads, dtype=ottorch.float64):
    for p, g in zip(params, grads):
        p.grad = ottorch.tensor(g, dtype=dtype)


# ---------------------------------------------------------------------- construction and groups
def test_param_groups_take_defaults_and_their_own_options():
    a, b = make_params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b]  # a lone tensor becomes a list
    assert opt.param_groups[1]["momentum"] == 0.0
    assert opt.defaults["lr"] == 0.1
    feed([a, b], GRADS[0])
    a0, b0 = a.detach().numpy().copy(), b.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), a0 - 0.1 * GRADS[0][0])
    np.testing.assert_allclose(b.detach().numpy(), b0 - 0.5 * GRADS[0][1])


def test_generator_of_parameters_and_add_param_group():
    a, b = make_params()
    opt = optim.Adam(p for p in [a])
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    feed([a, b], GRADS[0])
    opt.step()
    assert float(opt.state[b]["step"]) == 1.0


def test_named_parameters_are_recorded():
    a, b = make_params()
    opt = optim.SGD([("w", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [Parameter(ottorch.zeros(1))]})
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("w", Parameter(ottorch.zeros(1))), Parameter(ottorch.zeros(1))], lr=0.1)


def test_params_without_grad_are_skipped():
    a, b = make_params()
    b_before = b.detach().numpy().copy()
    opt = optim.Adam([a, b])
    a.grad = ottorch.tensor(GRADS[0][0], dtype=ottorch.float64)
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), b_before)
    assert b not in opt.state and a in opt.state


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ([], ValueError, "optimizer got an empty parameter list"),
        ([1.0], TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
        ([np.zeros(2)], TypeError, "one of the params is ndarray"),
        ({Parameter(ottorch.zeros(1))}, TypeError, "ordered collections"),
        (["not a dict"], TypeError, "optimizer can only optimize Tensors, but one of the params is str"),
    ],
)
def test_bad_params(params, error, message):
    if isinstance(params, set):
        params = [{"params": params}]
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_a_tensor_is_not_an_iterable_of_params():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Parameter"):
        optim.SGD(Parameter(ottorch.zeros(2)), lr=0.1)


def test_non_leaf_and_duplicate_parameters_are_refused():
    p = Parameter(ottorch.zeros(2))
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        opt.add_param_group([p])
    with pytest.raises(ValueError, match="'params' entry"):
        opt.add_param_group({"lr": 0.1})


def test_required_options_of_custom_optimizers():
    class Custom(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

    assert repr(required) == "<required parameter>"
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Custom([Parameter(ottorch.zeros(1))])
    assert Custom([{"params": [Parameter(ottorch.zeros(1))], "lr": 0.3}]).param_groups[0]["lr"] == 0.3
    with pytest.raises(NotImplementedError):
        Custom([Parameter(ottorch.zeros(1))], lr=0.1).step()


def test_repr_lists_each_group():
    opt = optim.SGD([Parameter(ottorch.zeros(1))], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text and text.endswith(")")


# ---------------------------------------------------------------------- zero_grad and closures
def test_zero_grad_sets_to_none_by_default():
    a, b = make_params()
    opt = optim.SGD([a, b], lr=0.1)
    feed([a, b], GRADS[0])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_zero_grad_can_fill_with_zeros_in_place():
    a, _ = make_params()
    opt = optim.SGD([a], lr=0.1)
    (a * a).sum().backward()
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad
    assert grad.shape == (2, 3) and not grad.requires_grad
    np.testing.assert_array_equal(grad.numpy(), np.zeros((2, 3)))
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(grad.shape, 3.0))


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    target = np.array([1.0, -2.0])
    w = Parameter(ottorch.tensor([0.0, 0.0], dtype=ottorch.float64))
    opt = optim.SGD([w], lr=0.25)
    seen = []

    def closure():
        opt.zero_grad()
        seen.append(ottorch.is_grad_enabled())
        loss = ((w - ottorch.tensor(target, dtype=ottorch.float64)) ** 2).sum()
        loss.backward()
        return loss

    with ottorch.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert float(loss) == pytest.approx(5.0)
    # gradient 2 * (w - target) = [-2, 4]; w <- w - 0.25 * grad
    np.testing.assert_allclose(w.detach().numpy(), [0.5, -1.0])
    assert opt.step() is None


def test_training_a_linear_fit_converges():
    x = ottorch.tensor(np.linspace(-1, 1, 20), dtype=ottorch.float64)
    y = 3 * x - 0.5
    w = Parameter(ottorch.zeros(1, dtype=ottorch.float64))
    b = Parameter(ottorch.zeros(1, dtype=ottorch.float64))
    opt = optim.Adam([w, b], lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose([float(w), float(b)], [3.0, -0.5], atol=1e-3)


# ---------------------------------------------------------------------- state_dict
def train(opt, params, grads_list):
    for grads in grads_list:
        feed(params, grads)
        opt.step()


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIMIZERS)
def test_state_dict_round_trip_continues_exactly(cls, kwargs):
    params = make_params()
    opt = cls([{"params": [params[0]]}, {"params": [params[1]], "lr": kwargs["lr"] / 2}], **kwargs)
    train(opt, params, GRADS[:2])
    buffer = io.BytesIO()
    ottorch.save(opt.state_dict(), buffer)  # through the checkpoint format, as a user would
    buffer.seek(0)
    saved = ottorch.load(buffer)
    saved_params = [p.detach().numpy().copy() for p in params]
    train(opt, params, GRADS[2:])

    resumed = [Parameter(ottorch.tensor(a)) for a in saved_params]
    opt2 = cls([{"params": [resumed[0]]}, {"params": [resumed[1]]}], **kwargs)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == kwargs["lr"] / 2
    train(opt2, resumed, GRADS[2:])
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_layout_numbers_params_in_group_order():
    a, b = make_params()
    c = Parameter(ottorch.zeros(3, dtype=ottorch.float64))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    feed([a, c], [GRADS[0][0], np.ones(3)])
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 2}
    assert set(sd["state"][2]) == {"step", "exp_avg", "exp_avg_sq"}
    assert all(isinstance(v, ottorch.Tensor) for v in sd["state"][2].values())
    assert float(sd["state"][2]["step"]) == 1.0


def test_load_state_dict_copies_and_casts_state():
    p64 = Parameter(ottorch.tensor([1.0, 2.0], dtype=ottorch.float64))
    opt = optim.Adam([p64])
    p64.grad = ottorch.tensor([0.5, -0.5], dtype=ottorch.float64)
    opt.step()
    sd = opt.state_dict()

    p32 = Parameter(ottorch.tensor([1.0, 2.0]))
    opt32 = optim.Adam([p32])
    opt32.load_state_dict(sd)
    state = opt32.state[p32]
    assert state["exp_avg"].dtype == ottorch.float32
    assert state["step"].dtype == sd["state"][0]["step"].dtype
    assert state["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data
    assert state["step"]._data is not sd["state"][0]["step"]._data
    p32.grad = ottorch.tensor([0.5, -0.5])
    opt32.step()
    assert float(state["step"]) == 2.0 and float(sd["state"][0]["step"]) == 1.0


def test_load_state_dict_accepts_number_steps_and_missing_options():
    p = Parameter(ottorch.tensor([1.0, 2.0]))
    opt = optim.Adam([p])
    old = {
        "state": {0: {"step": 3, "exp_avg": ottorch.zeros(2), "exp_avg_sq": ottorch.zeros(2)}},
        "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                          "params": [0]}],
    }
    opt.load_state_dict(old)
    assert isinstance(opt.state[p]["step"], ottorch.Tensor) and float(opt.state[p]["step"]) == 3.0
    assert opt.param_groups[0]["maximize"] is False and opt.param_groups[0]["lr"] == 0.01
    assert opt.param_groups[0]["params"] == [p]


def test_load_state_dict_errors():
    a, b = make_params()
    opt = optim.SGD([a, b], lr=0.1)
    two_groups = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match=r"different number of parameter groups \(2\) than the optimizer \(1\)"):
        opt.load_state_dict(two_groups)
    one_param = optim.SGD([a], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="group 0 has 1 parameters in the state dict and 2 in the optimizer"):
        opt.load_state_dict(one_param)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_deepcopy_and_pickle_of_an_optimizer():
    params = make_params()
    opt = optim.Adam(params, lr=0.05)
    optim.lr_scheduler.StepLR(opt, step_size=2)  # wraps opt.step in a closure
    train(opt, params, GRADS[:2])
    clone = pickle.loads(pickle.dumps((params, opt)))
    twin = copy.deepcopy((params, opt))
    for ps, o in [(params, opt), clone, twin]:
        train(o, ps, GRADS[2:])
    for ps, _ in [clone, twin]:
        for p, q in zip(params, ps):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
