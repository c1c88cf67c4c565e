"""Tensor attributes, factories, dtype rules, printing and error messages."""

import subprocess
import sys

import numpy as np
import pytest

import ottorch


def test_import_needs_only_numpy():
    code = "import sys, ottorch; bad = [m for m in ('ray', 'graphviz', 'torch') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_attributes():
    t = ottorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and isinstance(t.shape, ottorch.Size)
    assert repr(t.shape) == "ottorch.Size([2, 3])"
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.dim() == 2 and t.ndim == 2 and t.numel() == 6
    assert t.dtype == ottorch.float32 and t.dtype is ottorch.float
    assert not t.requires_grad and t.grad is None and t.is_leaf and t.grad_fn is None
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert t[1, 2].item() == 6.0
    assert t.T.shape == (3, 2)
    assert t.device == "cpu"
    assert len(t) == 2 and [r.shape for r in t] == [(3,), (3,)]


def test_conversions():
    t = ottorch.tensor([1.7, -2.2])
    assert t.long().dtype == ottorch.int64 and t.long().tolist() == [1, -2]
    assert t.double().dtype == ottorch.float64
    assert t.float() is t
    assert t.int().dtype == ottorch.int32
    assert t.bool().tolist() == [True, True]
    assert t.to(ottorch.float64).dtype == ottorch.float64
    assert t.to("cpu") is t
    with pytest.raises(ValueError, match="CPU only"):
        t.to("cuda")


def test_numpy_shares_memory_and_refuses_grad():
    a = np.zeros(3, dtype=np.float32)
    t = ottorch.from_numpy(a)
    t.numpy()[0] = 1
    assert a[0] == 1
    with pytest.raises(RuntimeError, match="detach"):
        ottorch.ones(2, requires_grad=True).numpy()


def test_clone_is_a_copy_in_the_graph():
    x = ottorch.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None
    with ottorch.no_grad():
        c[0] = 9
    assert x[0].item() == 1.0
    (c * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_item_errors():
    with pytest.raises(RuntimeError, match="2 elements cannot be converted"):
        ottorch.ones(2).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ottorch.ones(2))


def test_factories():
    assert ottorch.zeros(2, 3).shape == (2, 3)
    assert ottorch.zeros((2, 3)).shape == (2, 3)
    assert ottorch.ones([4]).sum().item() == 4
    assert ottorch.full((2, 2), 7).dtype == ottorch.int64
    assert ottorch.full((2,), 0.5).dtype == ottorch.float32
    assert ottorch.empty(3).shape == (3,)
    assert ottorch.arange(5).tolist() == [0, 1, 2, 3, 4] and ottorch.arange(5).dtype == ottorch.int64
    assert ottorch.arange(0, 1, 0.25).dtype == ottorch.float32
    np.testing.assert_allclose(ottorch.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert ottorch.eye(3).sum().item() == 3 and ottorch.eye(2, 3).shape == (2, 3)
    like = ottorch.ones(2, 2, dtype=ottorch.float64)
    for f in (ottorch.zeros_like, ottorch.ones_like, ottorch.rand_like, ottorch.randn_like, ottorch.empty_like):
        assert f(like).shape == (2, 2) and f(like).dtype == ottorch.float64
    assert ottorch.full_like(like, 3).sum().item() == 12
    assert ottorch.tensor([1, 2]).dtype == ottorch.int64
    assert ottorch.tensor([1.0, 2]).dtype == ottorch.float32
    assert ottorch.tensor(np.zeros(2)).dtype == ottorch.float64
    assert ottorch.tensor([True]).dtype == ottorch.bool
    assert ottorch.as_tensor(np.zeros(2)).dtype == ottorch.float64
    assert ottorch.Tensor([1, 2]).dtype == ottorch.float32 and ottorch.Tensor(2, 3).shape == (2, 3)
    assert ottorch.tensor([ottorch.tensor(1.0), ottorch.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert ottorch.ones(2, requires_grad=True).requires_grad


def test_random_factories_use_generators_and_leave_numpy_alone():
    state = np.random.get_state()[1].copy()
    g1, g2 = ottorch.Generator().manual_seed(3), ottorch.Generator().manual_seed(3)
    for f in (ottorch.rand, ottorch.randn):
        a, b = f(2, 3, generator=g1), f(2, 3, generator=g2)
        assert a.dtype == ottorch.float32 and a.equal(b)
    assert ottorch.randint(0, 10, (5,), generator=g1).equal(ottorch.randint(0, 10, (5,), generator=g2))
    assert ottorch.randint(3, (4,)).max().item() < 3
    assert sorted(ottorch.randperm(6, generator=g1).tolist()) == list(range(6))
    assert ottorch.randn(3, generator=np.random.default_rng(0)).shape == (3,)
    ottorch.manual_seed(11)
    a = ottorch.rand(4)
    ottorch.manual_seed(11)
    assert ottorch.rand(4).equal(a)
    assert ottorch.initial_seed() == 11
    st = ottorch.get_rng_state()
    x = ottorch.rand(2)
    ottorch.set_rng_state(st)
    assert ottorch.rand(2).equal(x)
    assert ottorch.normal(0.0, 1.0, (3,)).shape == (3,)
    assert set(ottorch.bernoulli(ottorch.full((50,), 0.5)).tolist()) <= {0.0, 1.0}
    assert ottorch.multinomial(ottorch.tensor([0.0, 1.0]), 3, replacement=True).tolist() == [1, 1, 1]
    assert np.array_equal(np.random.get_state()[1], state)


def test_dtype_promotion_follows_pytorch():
    i = ottorch.tensor([1, 2])
    f = ottorch.tensor([0.5, 0.5])
    assert (i + f).dtype == ottorch.float32
    assert (i * 0.5).dtype == ottorch.float32
    assert (i / 2).dtype == ottorch.float32
    assert (i // 2).dtype == ottorch.int64 and (i // 2).tolist() == [0, 1]
    assert (i + 1).dtype == ottorch.int64
    assert (f.double() + f).dtype == ottorch.float64
    assert (i == 1).dtype == ottorch.bool
    assert i.sum().dtype == ottorch.int64
    assert (i > 1).sum().item() == 1
    assert ottorch.exp(i).dtype == ottorch.float32
    assert (np.float32(2.0) * f).dtype == ottorch.float32


def test_numpy_array_on_the_left_defers_to_tensor():
    x = ottorch.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([2.0, 3.0], dtype=np.float32) * x
    assert isinstance(y, ottorch.Tensor) and y.grad_fn is not None


def test_repr_matches_pytorch_style():
    assert repr(ottorch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ottorch.tensor(0.5)) == "tensor(0.5000)"
    assert repr(ottorch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ottorch.tensor([1.0], dtype=ottorch.float64)) == "tensor([1.], dtype=ottorch.float64)"
    assert repr(ottorch.ones(1, requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(ottorch.ones(1, requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert repr(ottorch.tensor([[1.0, -10.0]])) == "tensor([[  1., -10.]])"
    assert repr(ottorch.tensor([1e-6, 1.0])) == "tensor([1.0000e-06, 1.0000e+00])"


def test_max_min_with_dim_return_values_and_indices():
    t = ottorch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = t.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    r = t.min(0, keepdim=True)
    assert r.values.shape == (1, 3) and r.indices.tolist() == [[0, 1, 0]]
    assert t.argmax().item() == 3 and t.argmax(1).tolist() == [1, 0]
    assert ottorch.max(t, ottorch.zeros(3)).shape == (2, 3)


def test_shape_errors_name_the_op_and_shapes():
    a, b = ottorch.ones(2, 3), ottorch.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        a @ b
    with pytest.raises(ValueError, match="broadcast"):
        a + ottorch.ones(4)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 4\] is invalid for input of size 6"):
        a.reshape(4, 4)
    with pytest.raises(RuntimeError, match="cat: sizes of tensors must match"):
        ottorch.cat([a, b])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ottorch.stack([a, b])
    with pytest.raises(RuntimeError, match="expand"):
        a.expand(4, 4)
    with pytest.raises(IndexError, match="dimension out of range"):
        a.sum(5)
    with pytest.raises(RuntimeError, match="conv2d: input"):
        ottorch.conv2d(ottorch.ones(1, 3, 5, 5), ottorch.ones(2, 2, 3, 3))
    with pytest.raises(RuntimeError, match="4-D input"):
        ottorch.max_pool2d(ottorch.ones(3, 5, 5), 2)


def test_unsupported_dtype_errors_say_so():
    i = ottorch.tensor([[1, 2]])
    with pytest.raises(RuntimeError, match="mean.*dtype"):
        i.mean()
    with pytest.raises(TypeError, match="softmax: unsupported dtype ottorch.int64"):
        i.softmax(1)
    with pytest.raises(TypeError, match="conv2d: unsupported dtype"):
        ottorch.conv2d(ottorch.ones(1, 1, 3, 3, dtype=ottorch.int64), ottorch.ones(1, 1, 2, 2))
    with pytest.raises(TypeError, match="unsupported dtype"):
        ottorch.from_numpy(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="bitwise_not: unsupported dtype"):
        ~ottorch.ones(2)


def test_split_chunk_unbind_cover_the_tensor():
    t = ottorch.arange(10).reshape(5, 2)
    assert [p.shape[0] for p in t.split(2)] == [2, 2, 1]
    assert [p.shape[0] for p in t.chunk(2)] == [3, 2]
    assert len(t.unbind(1)) == 2
    assert ottorch.cat(t.split([1, 4])).equal(t)


def test_in_place_helpers():
    t = ottorch.zeros(3)
    t.fill_(2)
    t.add_(ottorch.ones(3), alpha=2)
    t.mul_(2).sub_(1).div_(2)
    assert t.tolist() == [3.5, 3.5, 3.5]
    t.clamp_(max=1)
    t.copy_(ottorch.tensor([1.0, 2.0, 3.0]))
    assert t.tolist() == [1.0, 2.0, 3.0]
    t.zero_()
    assert t.sum().item() == 0
    g = ottorch.Generator().manual_seed(0)
    t.uniform_(-1, 1, generator=g)
    assert t.abs().max().item() <= 1
    t.normal_(generator=g)
    t += 1
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ottorch.zeros(2, dtype=ottorch.int64).add_(0.5)
