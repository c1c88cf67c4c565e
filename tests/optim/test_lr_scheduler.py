"""Learning-rate schedulers: lr sequences against hand-computed values and PyTorch's numbers."""

import math
import warnings

import pytest

import ottorch
from ottorch.nn.parameter import Parameter
from ottorch.optim import SGD, lr_scheduler
from ottorch.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)


def make_optimizer(*lrs):
    """An SGD with one single-parameter group per learning rate."""
    return SGD([{"params": [Parameter(ottorch.zeros(1))], "lr": lr} for lr in lrs], lr=lrs[0])


def lr_sequence(scheduler, epochs):
    """The lr of the first group at epoch 0 (after construction) and after each of ``epochs`` steps."""
    values = [scheduler.get_last_lr()[0]]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        values.append(scheduler.get_last_lr()[0])
    return values


def test_construction_takes_the_initial_step():
    opt = make_optimizer(0.1, 0.2)
    sched = StepLR(opt, step_size=3)
    assert sched.last_epoch == 0 and sched._step_count == 1
    assert sched.base_lrs == [0.1, 0.2] and sched.get_last_lr() == [0.1, 0.2]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert set(sched.state_dict()) >= {"step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_last_lr"}
    assert "optimizer" not in sched.state_dict()


def test_step_lr():
    sched = StepLR(make_optimizer(0.1), step_size=3, gamma=0.5)
    assert lr_sequence(sched, 9) == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 3 + [0.0125], rel=1e-15)


def test_multi_step_lr_with_a_repeated_milestone():
    sched = MultiStepLR(make_optimizer(1.0), milestones=[5, 2, 5], gamma=0.1)
    assert lr_sequence(sched, 7) == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.001, 0.001, 0.001], rel=1e-12)


def test_exponential_lr_per_group():
    opt = make_optimizer(0.1, 1.0)
    sched = ExponentialLR(opt, gamma=0.9)
    for epoch in range(1, 6):
        opt.step()
        sched.step()
        assert sched.get_last_lr() == pytest.approx([0.1 * 0.9**epoch, 0.9**epoch], rel=1e-14)
    assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()


def test_cosine_annealing_follows_the_cosine_and_pytorch_exactly():
    sched = CosineAnnealingLR(make_optimizer(0.1), T_max=5, eta_min=0.01)
    got = lr_sequence(sched, 12)
    closed = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(13)]
    assert got == pytest.approx(closed, rel=1e-12)
    # The same epochs with torch.optim.lr_scheduler.CosineAnnealingLR (its recursive form).
    torch_values = [
        0.1, 0.09140576474687263, 0.06890576474687263, 0.04109423525312736, 0.018594235253127367, 0.01,
        0.018594235253127367, 0.04109423525312739, 0.06890576474687267, 0.09140576474687269,
        0.10000000000000006, 0.09140576474687272, 0.06890576474687268,
    ]
    assert got == torch_values


def test_resumed_cosine_annealing_continues_recursively_from_the_current_lr():
    opt = make_optimizer(0.1)
    for g in opt.param_groups:
        g["initial_lr"] = 0.1
    sched = CosineAnnealingLR(opt, T_max=10, last_epoch=2)
    assert sched.last_epoch == 3 and sched.get_last_lr() == [0.1]
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.08244294954150538]  # PyTorch's value
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(0.4 * math.pi)) / (1 + math.cos(0.3 * math.pi)))


def test_lambda_lr_with_one_function_per_group():
    opt = make_optimizer(0.1, 0.2)
    sched = LambdaLR(opt, [lambda e: 0.5**e, lambda e: 1.0 / (e + 1)])
    for epoch in range(1, 4):
        opt.step()
        sched.step()
        assert sched.get_last_lr() == pytest.approx([0.1 * 0.5**epoch, 0.2 / (epoch + 1)], rel=1e-15)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        LambdaLR(make_optimizer(0.1), 3)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = make_optimizer(0.1, 0.1)
    sched = LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    lr_sequence(sched, 2)
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}, None]
    other = LambdaLR(make_optimizer(0.1, 0.1), [Warmup(10), lambda e: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].n == 4 and other.last_epoch == 2 and "lr_lambdas" in state


def test_scheduler_state_dict_round_trip_continues_the_sequence():
    sched = StepLR(make_optimizer(0.1), step_size=2, gamma=0.5)
    lr_sequence(sched, 3)
    state = sched.state_dict()
    want = lr_sequence(sched, 4)

    opt = make_optimizer(0.1)
    resumed = StepLR(opt, step_size=7)
    resumed.load_state_dict(state)
    opt.param_groups[0]["lr"] = state["_last_lr"][0]  # the optimizer's own state_dict carries the lr
    assert lr_sequence(resumed, 4) == want


def test_resuming_requires_initial_lr():
    opt = make_optimizer(0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(opt, step_size=2, last_epoch=4)
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert sched.base_lrs == [1.0] and sched.last_epoch == 5


def test_stepping_with_an_epoch_uses_the_closed_form_and_warns():
    opt = make_optimizer(0.1)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    assert sched.get_last_lr() == pytest.approx([0.025])
    for cls, kwargs, epoch, want in [
        (MultiStepLR, {"milestones": [2, 4]}, 3, 0.01),
        (ExponentialLR, {"gamma": 0.5}, 3, 0.0125),
        (CosineAnnealingLR, {"T_max": 4}, 2, 0.05),
        (LambdaLR, {"lr_lambda": lambda e: e}, 3, 0.3),
    ]:
        opt = make_optimizer(0.1)
        s = cls(opt, **kwargs)
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            s.step(epoch)
        assert s.get_last_lr()[0] == pytest.approx(want, rel=1e-12)


def test_warnings_about_call_order_and_get_lr():
    opt = make_optimizer(0.1)
    sched = StepLR(opt, step_size=3)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()
    with pytest.warns(UserWarning, match=r"get_last_lr\(\)"):
        sched.get_lr()
    opt2 = make_optimizer(0.1)
    sched2 = StepLR(opt2, step_size=3)
    opt2.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="overridden"):
        sched2.step()
    opt3 = make_optimizer(0.1)
    sched3 = ExponentialLR(opt3, gamma=0.5)
    opt3.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched3.step()


def test_custom_scheduler_and_type_checks():
    class Halving(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * 0.5**self.last_epoch for base in self.base_lrs]

    assert lr_scheduler._LRScheduler is LRScheduler
    assert lr_sequence(Halving(make_optimizer(1.0)), 3) == [1.0, 0.5, 0.25, 0.125]
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        StepLR([], step_size=1)
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        StepLR(make_optimizer(0.1), step_size=0)
    with pytest.raises(ValueError, match="T_max must be positive"):
        CosineAnnealingLR(make_optimizer(0.1), T_max=0)
    with pytest.raises(NotImplementedError):
        LRScheduler(make_optimizer(0.1))


# ---------------------------------------------------------------------- ReduceLROnPlateau
def plateau_lrs(sched, metrics):
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def test_plateau_reduces_after_patience_bad_epochs():
    sched = ReduceLROnPlateau(make_optimizer(0.1), patience=2, factor=0.5)
    got = plateau_lrs(sched, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8])
    # bad epochs: 1, 2, 3 > patience -> halve and reset; then 1, 2, 3 -> halve again.
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
    assert sched.best == 0.8 and sched.num_bad_epochs == 0 and sched.last_epoch == 9


def test_plateau_cooldown_ignores_bad_epochs():
    sched = ReduceLROnPlateau(make_optimizer(1.0), patience=1, cooldown=2, factor=0.1)
    got = plateau_lrs(sched, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    # reduce at epoch 3; epochs 4-5 are cooldown; bad epochs count again from epoch 6: reduce at 7.
    assert got == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.01])


def test_plateau_min_lr_and_eps():
    opt = make_optimizer(0.1, 1.0)
    sched = ReduceLROnPlateau(opt, patience=0, factor=0.1, min_lr=[0.05, 0.0])
    sched.step(1.0)
    sched.step(1.0)
    assert sched.get_last_lr() == pytest.approx([0.05, 0.1])
    sched.step(1.0)
    assert sched.get_last_lr() == pytest.approx([0.05, 0.01])
    tiny = ReduceLROnPlateau(make_optimizer(1e-8), patience=0, eps=1e-8)
    tiny.step(1.0)
    tiny.step(1.0)
    assert tiny.get_last_lr() == [1e-8]  # the change 9e-9 is below eps


def test_plateau_thresholds_and_max_mode():
    rel = ReduceLROnPlateau(make_optimizer(1.0), patience=0, threshold=1e-2)
    assert plateau_lrs(rel, [1.0, 0.995, 0.98]) == pytest.approx([1.0, 0.1, 0.1])  # 0.995 > 1.0 * 0.99
    absolute = ReduceLROnPlateau(make_optimizer(1.0), patience=0, threshold=0.1, threshold_mode="abs")
    assert plateau_lrs(absolute, [1.0, 0.95, 0.85]) == pytest.approx([1.0, 0.1, 0.1])
    assert absolute.best == 0.85
    maximize = ReduceLROnPlateau(make_optimizer(1.0), mode="max", patience=0)
    assert plateau_lrs(maximize, [0.5, 0.7, 0.6, ottorch.tensor(0.8)]) == pytest.approx([1.0, 1.0, 0.1, 0.1])
    max_abs = ReduceLROnPlateau(make_optimizer(1.0), mode="max", patience=0, threshold=0.5, threshold_mode="abs")
    assert plateau_lrs(max_abs, [0.5, 0.7, 1.1]) == pytest.approx([1.0, 0.1, 0.1])


def test_plateau_state_dict_and_errors():
    sched = ReduceLROnPlateau(make_optimizer(0.1), patience=3, mode="max")
    plateau_lrs(sched, [1.0, 0.5])
    other = ReduceLROnPlateau(make_optimizer(0.1))
    other.load_state_dict(sched.state_dict())
    assert other.mode == "max" and other.best == 1.0 and other.num_bad_epochs == 1 and other.patience == 3
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        ReduceLROnPlateau(make_optimizer(0.1), factor=1.0)
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        ReduceLROnPlateau(make_optimizer(0.1), min_lr=[0.0, 0.0])
    with pytest.raises(ValueError, match="mode avg is unknown"):
        ReduceLROnPlateau(make_optimizer(0.1), mode="avg")
    with pytest.raises(ValueError, match="threshold mode pct is unknown"):
        ReduceLROnPlateau(make_optimizer(0.1), threshold_mode="pct")
    with pytest.raises(TypeError, match="dict is not an Optimizer"):
        ReduceLROnPlateau({})
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(2.0, epoch=10)
    assert sched.last_epoch == 10


def test_plateau_after_a_group_is_added():
    opt = make_optimizer(1.0)
    sched = ReduceLROnPlateau(opt, patience=0)
    opt.add_param_group({"params": [Parameter(ottorch.zeros(1))], "lr": 2.0})
    plateau_lrs(sched, [1.0, 1.0])
    assert sched.get_last_lr() == pytest.approx([0.1, 0.2])
    opt2 = make_optimizer(1.0)
    fixed = ReduceLROnPlateau(opt2, patience=0, min_lr=[0.0])
    opt2.add_param_group({"params": [Parameter(ottorch.zeros(1))]})
    fixed.step(1.0)
    with pytest.raises(RuntimeError, match="number of param groups"):
        fixed.step(1.0)
