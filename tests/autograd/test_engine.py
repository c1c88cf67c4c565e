"""The backward engine: graph shapes, accumulation, grad modes, graph freeing and leaf rules."""

import numpy as np
import pytest

import ottorch
from ottorch.autograd import Function, GradcheckError, grad, gradcheck


def leaf(values, dtype=ottorch.float64):
    return ottorch.tensor(values, dtype=dtype, requires_grad=True)


def test_diamond_graph_sums_both_paths():
    x = leaf([1.0, 2.0])
    a = x * 3
    b = x.exp()
    (a * b).sum().backward()
    expected = 3 * np.exp([1.0, 2.0]) + 3 * np.array([1.0, 2.0]) * np.exp([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_tensor_used_twice_in_one_op():
    x = leaf([3.0])
    (x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0])


def test_gradients_accumulate_across_backwards_until_zeroed():
    x = leaf([1.0, -1.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])
    x.grad.zero_()
    (x * 4).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_leaf_grads_do_not_alias_each_other():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    a.grad.mul_(10)
    np.testing.assert_allclose(b.grad.numpy(), [1.0])
    assert a.grad.numpy().flags.writeable


def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with ottorch.no_grad():
        y = x * 2
        assert not ottorch.is_grad_enabled()
        with ottorch.enable_grad():
            z = x * 2
    assert ottorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @ottorch.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ottorch.is_grad_enabled()


def test_set_grad_enabled():
    x = leaf([1.0])
    with ottorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    ottorch.set_grad_enabled(False)
    assert not ottorch.is_grad_enabled()
    ottorch.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_detach_cuts_the_graph_and_shares_memory():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    e = x.detach()
    with ottorch.no_grad():
        e[0] = 7.0
    assert x[0].item() == 7.0


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_ops_without_saved_values_can_backward_twice():
    x = leaf([1.0, 2.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_long_chain_does_not_hit_the_recursion_limit():
    x = leaf([0.5])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-9)


def test_leaf_and_non_leaf_rules():
    x = leaf([1.0])
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert ottorch.tensor([1.0]).is_leaf
    y.sum().backward()
    assert y.grad is None and x.grad is not None
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        ottorch.tensor([1, 2]).requires_grad_()


def test_retain_grad_keeps_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])


def test_in_place_on_leaf_that_requires_grad_raises():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="in-place"):
        x.add_(1)
    with ottorch.no_grad():
        x.add_(1)
        x -= 0.5
    np.testing.assert_allclose(x.numpy(force=True), [1.5])


def test_in_place_on_non_leaf_is_recorded():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.mul_(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_setitem_under_no_grad_and_with_grad():
    t = ottorch.zeros(2, 3)
    t[0, 1] = 5
    t[1] = ottorch.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t.numpy(), [[0, 5, 0], [1, 2, 3]])
    v = leaf([2.0])
    t = ottorch.zeros(3, dtype=ottorch.float64)
    t[1] = v * 3
    t.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [3.0])


def test_backward_on_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(gradient=ottorch.tensor([1.0, 0.5], dtype=ottorch.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(gradient=ottorch.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ottorch.tensor([1.0]).sum().backward()


def test_backward_inputs_restricts_accumulation():
    a, b = leaf([1.0]), leaf([2.0])
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [2.0])


def test_autograd_grad_returns_without_accumulating():
    x = leaf([1.0, 2.0])
    h = x * x
    y = (h * 3).sum()
    gx, gh = grad(y, [x, h], retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gh.numpy(), [3.0, 3.0])
    assert x.grad is None
    unused = leaf([0.0])
    with pytest.raises(RuntimeError, match="not have been used"):
        grad(y, [unused], retain_graph=True)
    assert grad(y, [unused], allow_unused=True, retain_graph=True) == (None,)
    with pytest.raises(NotImplementedError, match="higher-order"):
        grad(y, [x], create_graph=True)


def test_gradients_come_back_in_the_leaf_dtype():
    w = leaf([1.0, 2.0], dtype=ottorch.float32)
    x = ottorch.tensor([1.0, 1.0], dtype=ottorch.float64)
    (w * x).sum().backward()
    assert w.grad.dtype == ottorch.float32


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


def test_custom_function_in_pytorch_style():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x)
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert gradcheck(Cube.apply, (leaf([0.3, -1.2]),))


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x**2 * g


def test_gradcheck_reports_a_wrong_rule():
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongCube.apply, (leaf([0.3, -1.2]),))
    assert gradcheck(WrongCube.apply, (leaf([0.3]),), raise_exception=False) is False


def test_grad_fn_chain_is_inspectable():
    x = leaf([1.0])
    y = (x * 2).exp()
    assert repr(y.grad_fn) == "<ExpBackward0>"
    (node, _), = y.grad_fn.next_functions
    assert repr(node) == "<MulBackward0>"
