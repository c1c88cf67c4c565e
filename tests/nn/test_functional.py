"""nn.functional helpers that have no module: one_hot, pad, normalize, cosine_similarity, linear."""

import numpy as np
import pytest

import ottorch
from ottorch.autograd import gradcheck
from ottorch.nn import functional as F


def test_one_hot():
    out = F.one_hot(ottorch.tensor([0, 2, 1]))
    assert out.dtype == ottorch.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(ottorch.tensor([[1]]), 4).shape == (1, 1, 4)
    with pytest.raises(RuntimeError, match="class values"):
        F.one_hot(ottorch.tensor([5]), 3)
    with pytest.raises(TypeError, match="index tensors"):
        F.one_hot(ottorch.tensor([1.0]))


def test_pad_constant():
    x = ottorch.ones(1, 2, 3, dtype=ottorch.float64, requires_grad=True)
    out = F.pad(x, (1, 2, 0, 1), value=5.0)
    assert out.shape == (1, 3, 6)
    assert out[0, 2].tolist() == [5.0] * 6 and out[0, 0].tolist() == [5, 1, 1, 1, 5, 5]
    assert gradcheck(lambda t: F.pad(t, (1, 0)), (x,))
    with pytest.raises(NotImplementedError, match="constant"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="even"):
        F.pad(x, (1,))


def test_normalize_and_cosine_similarity():
    a = ottorch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=ottorch.float64)
    np.testing.assert_allclose(F.normalize(a).numpy(), [[0.6, 0.8], [0.0, 0.0]])
    b = ottorch.tensor([[6.0, 8.0], [1.0, 0.0]], dtype=ottorch.float64)
    np.testing.assert_allclose(F.cosine_similarity(a, b).numpy(), [1.0, 0.0])
    x = ottorch.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=ottorch.float64, requires_grad=True)
    assert gradcheck(lambda t: F.normalize(t, dim=1), (x,))


def test_linear_functional_and_adaptive_pool_error():
    x, w = ottorch.ones(2, 3), ottorch.ones(4, 3)
    assert F.linear(x, w).shape == (2, 4)
    with pytest.raises(RuntimeError, match="bias shape"):
        F.linear(x, w, ottorch.ones(3))
    with pytest.raises(NotImplementedError, match="multiple of the output size"):
        F.adaptive_avg_pool2d(ottorch.ones(1, 1, 5, 5), 2)


def test_softmax_default_dim_and_activation_functions():
    x = ottorch.ones(2, 3)
    assert F.softmax(x).sum(1).tolist() == pytest.approx([1.0, 1.0])
    assert F.log_softmax(ottorch.ones(3)).exp().sum().item() == pytest.approx(1.0)
    assert F.relu6(ottorch.tensor([7.0, -1.0])).tolist() == [6.0, 0.0]
    assert F.tanh(x).shape == (2, 3) and F.sigmoid(x).shape == (2, 3)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="fast")
