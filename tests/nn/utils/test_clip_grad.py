"""nn.utils: gradient clipping and parameter vectors."""

import math

import numpy as np
import pytest

import ottorch
from ottorch import nn
from ottorch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(ottorch.zeros(len(g)))
        p.grad = ottorch.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together():
    params = with_grads([3.0, 0.0], [0.0, 4.0])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad.numpy(), [0.0, 0.8], rtol=1e-5)
    untouched = with_grads([0.3, 0.4])
    clip_grad_norm_(untouched, 1.0)
    assert untouched[0].grad.tolist() == pytest.approx([0.3, 0.4])
    inf = with_grads([1.0, -7.0])
    assert clip_grad_norm_(inf, 3.5, norm_type=math.inf).item() == 7.0
    assert inf[0].grad.tolist() == pytest.approx([0.5, -3.5], rel=1e-5)
    l1 = with_grads([1.0, -1.0])
    assert clip_grad_norm_(l1[0], 10.0, norm_type=1).item() == 2.0
    assert clip_grad_norm_([nn.Parameter(ottorch.zeros(1))], 1.0).item() == 0.0
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(with_grads([math.nan]), 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    params = with_grads([-3.0, 0.5, 2.0])
    clip_grad_value_(params, 1.0)
    assert params[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameter_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,) and vec.requires_grad
    vector_to_parameters(ottorch.arange(11).float(), model.parameters())
    assert model[0].weight.tolist() == [[0, 1, 2], [3, 4, 5]] and model[1].bias.tolist() == [10]
    with pytest.raises(ValueError, match="hold 11 values"):
        vector_to_parameters(ottorch.zeros(3), model.parameters())
    with pytest.raises(TypeError, match="expected a Tensor"):
        vector_to_parameters([1.0], model.parameters())
