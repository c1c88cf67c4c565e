"""The module-level function namespace (``ottorch.cat``, ``ottorch.where``, ``ottorch.exp``, ...)."""

import numpy as np
import pytest

import ottorch
from ottorch import _method_functions


def test_every_method_alias_is_the_tensor_method():
    for name in _method_functions.__all__:
        fn = getattr(ottorch, name)
        assert fn is getattr(_method_functions, name)
        assert callable(fn)
    x = ottorch.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert ottorch.exp(x).equal(x.exp())
    assert ottorch.sum(x, 1).equal(x.sum(1))
    assert ottorch.abs(x).equal(x.abs())


def test_stacking_helpers():
    a, b = ottorch.ones(2), ottorch.zeros(2)
    assert ottorch.hstack([a, b]).tolist() == [1, 1, 0, 0]
    assert ottorch.vstack([a, b]).shape == (2, 2)
    x, y = ottorch.broadcast_tensors(ottorch.ones(3, 1), ottorch.ones(4))
    assert x.shape == y.shape == (3, 4)
    assert ottorch.concat([a, b]).shape == (4,) and ottorch.concatenate([a, b]).shape == (4,)


def test_where_with_scalars_and_nonzero_form():
    x = ottorch.tensor([-1.0, 2.0, -3.0])
    assert ottorch.where(x > 0, x, 0.0).tolist() == [0.0, 2.0, 0.0]
    assert ottorch.where(x > 0, 1.0, x).tolist() == [-1.0, 1.0, -3.0]
    (idx,) = ottorch.where(x > 0)
    assert idx.tolist() == [1]
    with pytest.raises(TypeError, match="bool condition"):
        ottorch.where(x, x, x)
    assert x.where(x > 0, ottorch.zeros(3)).tolist() == [0.0, 2.0, 0.0]


def test_small_helpers():
    x = ottorch.ones(2, 3)
    assert ottorch.numel(x) == 6 and ottorch.is_tensor(x) and not ottorch.is_tensor(np.ones(2))
    assert ottorch.clone(x).equal(x)


def test_default_dtype_switch():
    assert ottorch.get_default_dtype() == ottorch.float32
    ottorch.set_default_dtype(ottorch.float64)
    try:
        assert ottorch.tensor([1.0]).dtype == ottorch.float64
        assert ottorch.zeros(1).dtype == ottorch.float64
    finally:
        ottorch.set_default_dtype(ottorch.float32)
    with pytest.raises(TypeError, match="default dtype"):
        ottorch.set_default_dtype(ottorch.int64)


def test_generator_api():
    g = ottorch.Generator()
    assert g.initial_seed() == 67280421310721
    s = g.seed()
    assert g.initial_seed() == s
    state = g.get_state()
    a = ottorch.rand(3, generator=g)
    g.set_state(state)
    assert ottorch.rand(3, generator=g).equal(a)
    with pytest.raises(ValueError, match="CPU only"):
        ottorch.Generator("cuda")
    with pytest.raises(TypeError, match="generator must be"):
        ottorch.rand(2, generator=42)
    assert isinstance(ottorch.seed(), int)


def test_thread_controls():
    before = ottorch.get_num_threads()
    try:
        ottorch.set_num_threads(1)
        assert ottorch.get_num_threads() == 1
        with pytest.raises(ValueError, match="positive integer"):
            ottorch.set_num_threads(0)
    finally:
        ottorch.set_num_threads(before)
    assert ottorch.get_num_threads() == before
