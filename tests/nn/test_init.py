"""nn.init: distributions, bounds and fans, and reproducibility through generators."""

import math

import numpy as np
import pytest

import ottorch
from ottorch.nn import init


def fresh(*shape):
    return ottorch.zeros(*shape)


def test_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(fresh(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(fresh(3))


@pytest.mark.parametrize("fn, check", [
    (lambda t, g: init.uniform_(t, -0.5, 0.5, generator=g), lambda a: a.min() >= -0.5 and a.max() <= 0.5),
    (lambda t, g: init.normal_(t, 2.0, 0.1, generator=g), lambda a: abs(a.mean() - 2) < 0.02 and abs(a.std() - 0.1) < 0.01),
    (lambda t, g: init.trunc_normal_(t, 0.0, 1.0, -0.5, 0.5, generator=g), lambda a: np.abs(a).max() <= 0.5),
    (lambda t, g: init.xavier_uniform_(t, generator=g), lambda a: np.abs(a).max() <= math.sqrt(6 / 300)),
    (lambda t, g: init.xavier_normal_(t, gain=2.0, generator=g), lambda a: abs(a.std() - 2 * math.sqrt(2 / 300)) < 0.01),
    (lambda t, g: init.kaiming_uniform_(t, a=math.sqrt(5), generator=g), lambda a: np.abs(a).max() <= 1 / math.sqrt(200)),
    (lambda t, g: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", generator=g),
     lambda a: abs(a.std() - math.sqrt(2 / 100)) < 0.01),
])
def test_random_initialisers(fn, check):
    a = fn(fresh(100, 200), ottorch.Generator().manual_seed(0))
    b = fn(fresh(100, 200), ottorch.Generator().manual_seed(0))
    assert a.equal(b)
    assert check(a.numpy().astype(np.float64))
    fn(fresh(100, 200), np.random.default_rng(0))


def test_deterministic_initialisers():
    assert init.zeros_(ottorch.ones(2)).tolist() == [0, 0]
    assert init.ones_(fresh(2)).tolist() == [1, 1]
    assert init.constant_(fresh(2), 3.5).tolist() == [3.5, 3.5]
    assert init.eye_(fresh(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    q = init.orthogonal_(fresh(4, 6), generator=ottorch.Generator().manual_seed(0)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(fresh(2, 2), mode="fan_avg")


def test_init_under_autograd_is_not_recorded():
    w = ottorch.zeros(3, 3, requires_grad=True)
    init.normal_(w)
    assert w.is_leaf and w.requires_grad and w.abs().sum().item() > 0
