"""Table-driven op tests: every row checks the forward against numpy and, for differentiable ops,
the gradient against central finite differences in float64."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import ottorch
from ottorch.autograd import gradcheck


@dataclass
class Case:
    name: str
    fn: Callable  # on ottorch tensors
    ref: Callable  # on numpy arrays
    shapes: tuple
    low: float = -2.0
    high: float = 2.0
    grad: bool = True
    kwargs: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- numpy references


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Direct loops: slow and obviously right."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                r, q = i * stride[0], j * stride[1]
                patch = xp[:, g * cg : (g + 1) * cg, r : r + dilation[0] * (kh - 1) + 1 : dilation[0],
                           q : q + dilation[1] * (kw - 1) + 1 : dilation[1]]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b[None, :, None, None]
    return out


def np_pool(x, k, s, p, fn, pad_value, ceil_mode=False, divisor=None):
    n, c, h, w = x.shape

    def size(L, kk, ss, pp):
        span = L + 2 * pp - kk
        out = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (out - 1) * ss >= L + pp:
            out -= 1
        return out

    oh, ow = size(h, k[0], s[0], p[0]), size(w, k[1], s[1], p[1])
    xp = np.full((n, c, h + 2 * p[0] + k[0], w + 2 * p[1] + k[1]), np.nan)
    xp[:, :, p[0] : p[0] + h, p[1] : p[1] + w] = x
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]]
            out[:, :, i, j] = fn(win, i, j)
    return out


def np_max_pool(x, k, s, p, ceil_mode=False):
    return np_pool(x, k, s, p, lambda win, i, j: np.nanmax(win, axis=(2, 3)), -np.inf, ceil_mode)


def np_avg_pool(x, k, s, p, count_include_pad=True, ceil_mode=False):
    h, w = x.shape[2:]

    def avg(win, i, j):
        total = np.nansum(win, axis=(2, 3))
        if count_include_pad:
            r0, c0 = i * s[0] - p[0], j * s[1] - p[1]
            rows = min(r0 + k[0], h + p[0]) - r0
            cols = min(c0 + k[1], w + p[1]) - c0
            return total / (rows * cols)
        return total / np.sum(~np.isnan(win[0, 0]))

    return np_pool(x, k, s, p, avg, 0.0, ceil_mode)


def setitem(a, v):
    """The same code runs on tensors (autograd's IndexPut) and on arrays (the reference)."""
    out = a * 1
    out[1:, ::2] = v
    return out


IDX = np.array([0, 2, 2, 1])
MASK = np.array([True, False, True])

CASES = [
    # binary arithmetic, with broadcasting and scalars
    Case("add", lambda a, b: a + b, lambda a, b: a + b, ((3, 4), (3, 4))),
    Case("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, ((3, 1), (4,))),
    Case("add_scalar", lambda a: a + 2.5, lambda a: a + 2.5, ((2, 3),)),
    Case("radd_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, ((2, 3),)),
    Case("sub_broadcast", lambda a, b: a - b, lambda a, b: a - b, ((2, 3, 4), (3, 1))),
    Case("rsub", lambda a: 1.0 - a, lambda a: 1.0 - a, ((5,),)),
    Case("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, ((4, 1, 3), (2, 3))),
    Case("rmul", lambda a: 3 * a, lambda a: 3 * a, ((5,),)),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (3, 4)), low=0.5),
    Case("div_broadcast", lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (4,)), low=0.5),
    Case("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, ((5,),), low=0.5),
    Case("pow_scalar", lambda a: a**3, lambda a: a**3, ((3, 4),)),
    Case("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, ((3, 4), (3, 4)), low=0.5),
    Case("rpow", lambda a: 2.0**a, lambda a: 2.0**a, ((5,),)),
    Case("remainder", lambda a, b: a % b, np.remainder, ((6,), (6,)), low=0.7),
    Case("floor_divide", lambda a, b: a // b, np.floor_divide, ((6,), (6,)), low=0.7, grad=False),
    Case("maximum", lambda a, b: ottorch.maximum(a, b), np.maximum, ((3, 4), (4,))),
    Case("minimum", lambda a, b: ottorch.minimum(a, b), np.minimum, ((3, 4), (3, 4))),
    Case("where", lambda a, b: ottorch.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b), ((3, 4), (4,))),
    Case("masked_fill", lambda a: a.masked_fill(a < 0, 0.5), lambda a: np.where(a < 0, 0.5, a), ((3, 4),)),
    # unary
    Case("neg", lambda a: -a, np.negative, ((3, 4),)),
    Case("exp", ottorch.exp, np.exp, ((3, 4),)),
    Case("log", ottorch.log, np.log, ((3, 4),), low=0.2),
    Case("log1p", ottorch.log1p, np.log1p, ((3, 4),), low=-0.5),
    Case("sqrt", ottorch.sqrt, np.sqrt, ((3, 4),), low=0.2),
    Case("sin", ottorch.sin, np.sin, ((3, 4),)),
    Case("cos", ottorch.cos, np.cos, ((3, 4),)),
    Case("tanh", ottorch.tanh, np.tanh, ((3, 4),)),
    Case("sigmoid", ottorch.sigmoid, lambda a: 1 / (1 + np.exp(-a)), ((3, 4),), low=-30, high=30),
    Case("relu", ottorch.relu, lambda a: np.maximum(a, 0), ((3, 4),)),
    Case("abs", ottorch.abs, np.abs, ((3, 4),)),
    Case("erf", ottorch.erf, lambda a: np.vectorize(__import__("math").erf)(a), ((3, 4),)),
    Case("clamp", lambda a: a.clamp(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), ((3, 4),)),
    Case("clamp_min", lambda a: a.clamp(min=0.1), lambda a: np.maximum(a, 0.1), ((3, 4),)),
    Case("sign", ottorch.sign, np.sign, ((3, 4),)),
    Case("floor", ottorch.floor, np.floor, ((3, 4),)),
    Case("round", ottorch.round, np.round, ((3, 4),)),
    Case("ceil", ottorch.ceil, np.ceil, ((3, 4),)),
    Case("step", lambda a: a.heaviside_step(), lambda a: (a > 0).astype(a.dtype), ((3, 4),)),
    # matmul
    Case("matmul_2d", lambda a, b: a @ b, np.matmul, ((3, 4), (4, 5))),
    Case("matmul_batched", lambda a, b: a @ b, np.matmul, ((2, 3, 4), (2, 4, 5))),
    Case("matmul_broadcast_batch", lambda a, b: a @ b, np.matmul, ((2, 1, 3, 4), (3, 4, 2))),
    Case("matmul_1d_2d", lambda a, b: a @ b, np.matmul, ((4,), (4, 3))),
    Case("matmul_2d_1d", lambda a, b: a @ b, np.matmul, ((3, 4), (4,))),
    Case("matmul_1d_1d", lambda a, b: a @ b, np.matmul, ((4,), (4,))),
    Case("matmul_batched_1d", lambda a, b: a @ b, np.matmul, ((2, 3, 4), (4,))),
    # reductions
    Case("sum_all", lambda a: a.sum(), np.sum, ((3, 4),)),
    Case("sum_dim", lambda a: a.sum(1), lambda a: a.sum(1), ((3, 4, 2),)),
    Case("sum_dims_keepdim", lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True),
         ((3, 4, 2),)),
    Case("mean_all", lambda a: a.mean(), np.mean, ((3, 4),)),
    Case("mean_dim", lambda a: a.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdims=True), ((3, 4),)),
    Case("prod_all", lambda a: a.prod(), np.prod, ((2, 3),)),
    Case("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), ((3, 4),)),
    Case("max_all", lambda a: a.max(), np.max, ((3, 4),)),
    Case("min_all", lambda a: a.min(), np.min, ((3, 4),)),
    Case("max_dim", lambda a: a.max(1).values, lambda a: a.max(1), ((3, 4),)),
    Case("min_dim_keepdim", lambda a: a.min(0, keepdim=True)[0], lambda a: a.min(0, keepdims=True), ((3, 4),)),
    Case("amax_dims", lambda a: a.amax((0, 2)), lambda a: a.max((0, 2)), ((3, 4, 2),)),
    Case("amin", lambda a: a.amin(1, keepdim=True), lambda a: a.min(1, keepdims=True), ((3, 4),)),
    Case("var_all", lambda a: a.var(), lambda a: a.var(ddof=1), ((3, 4),)),
    Case("var_biased_dim", lambda a: a.var(1, unbiased=False), lambda a: a.var(1), ((3, 4),)),
    Case("std_dim", lambda a: a.std(0, keepdim=True), lambda a: a.std(0, ddof=1, keepdims=True), ((3, 4),)),
    Case("logsumexp", lambda a: a.logsumexp(1), lambda a: np.log(np.exp(a).sum(1)), ((3, 4),)),
    Case("logsumexp_large", lambda a: a.logsumexp(0), lambda a: a.max(0) + np.log(np.exp(a - a.max(0)).sum(0)),
         ((3, 4),), low=500, high=510),
    Case("norm", lambda a: a.norm(), np.linalg.norm, ((3, 4),)),
    Case("softmax", lambda a: a.softmax(1), lambda a: np_softmax(a, 1), ((3, 4),)),
    Case("softmax_dim0", lambda a: ottorch.softmax(a, 0), lambda a: np_softmax(a, 0), ((3, 4, 2),)),
    Case("log_softmax", lambda a: a.log_softmax(-1), lambda a: np.log(np_softmax(a, -1)), ((3, 4),)),
    # shape ops
    Case("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), ((2, 3, 2),)),
    Case("view", lambda a: a.view(6, 2), lambda a: a.reshape(6, 2), ((2, 3, 2),)),
    Case("flatten", lambda a: a.flatten(1), lambda a: a.reshape(2, -1), ((2, 3, 2),)),
    Case("squeeze", lambda a: a.squeeze(), np.squeeze, ((2, 1, 3, 1),)),
    Case("squeeze_dim", lambda a: a.squeeze(1), lambda a: a.squeeze(1), ((2, 1, 3, 1),)),
    Case("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a[..., None], ((2, 3),)),
    Case("transpose", lambda a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), ((2, 3, 4),)),
    Case("T", lambda a: a.T, lambda a: a.T, ((2, 3),)),
    Case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), ((2, 3, 4),)),
    Case("expand", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), ((3, 1),)),
    Case("expand_keep", lambda a: a.expand(-1, 4), lambda a: np.broadcast_to(a, (3, 4)), ((3, 1),)),
    Case("repeat", lambda a: a.repeat(2, 3), lambda a: np.tile(a, (2, 3)), ((2, 3),)),
    Case("repeat_new_dim", lambda a: a.repeat(2, 1, 2), lambda a: np.tile(a, (2, 1, 2)), ((2, 3),)),
    Case("cat", lambda a, b: ottorch.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), ((2, 3), (2, 2))),
    Case("stack", lambda a, b: ottorch.stack([a, b], -1), lambda a, b: np.stack([a, b], -1), ((2, 3), (2, 3))),
    Case("split", lambda a: a.split(2, 1)[1], lambda a: a[:, 2:4], ((3, 5),)),
    Case("split_sizes", lambda a: a.split([1, 4], 1)[1] * 2, lambda a: a[:, 1:] * 2, ((3, 5),)),
    Case("chunk", lambda a: a.chunk(3, 0)[2], lambda a: a[4:], ((5, 2),)),
    Case("flip", lambda a: a.flip(1), lambda a: a[:, ::-1], ((2, 3),)),
    Case("narrow", lambda a: a.narrow(1, 1, 2), lambda a: a[:, 1:3], ((2, 4),)),
    Case("index_select", lambda a: a.index_select(1, ottorch.tensor(IDX)), lambda a: a[:, IDX], ((2, 3),)),
    Case("gather", lambda a: a.gather(1, ottorch.tensor([[0, 0], [1, 0]])),
         lambda a: np.take_along_axis(a, np.array([[0, 0], [1, 0]]), 1), ((2, 3),)),
    Case("gather_one_per_row", lambda a: a.gather(1, ottorch.tensor([[2], [0]])),
         lambda a: np.take_along_axis(a, np.array([[2], [0]]), 1), ((2, 3),)),
    Case("addcmul", lambda a, b, c: ottorch.ops.Addcmul.apply(a, b, c), lambda a, b, c: a + b * c,
         ((2, 3), (2, 3), (2, 3))),
    Case("addcmul_broadcast", lambda a, b, c: ottorch.ops.Addcmul.apply(a, b, c), lambda a, b, c: a + b * c,
         ((3,), (2, 1), (2, 3))),
    Case("linear", lambda x, w, b: ottorch.ops.Linear.apply(x, w, b), lambda x, w, b: x @ w.T + b,
         ((2, 5, 3), (4, 3), (4,))),
    # A bias broadcast over the leading axes (a recurrent layer passes its input projection).
    Case("linear_broadcast_bias", lambda x, w, b: ottorch.ops.Linear.apply(x, w, b), lambda x, w, b: x @ w.T + b,
         ((2, 5, 3), (4, 3), (5, 4))),
    Case("pad", lambda a: ottorch.ops.Pad.apply(a, pad_width=((1, 0), (2, 1))),
         lambda a: np.pad(a, ((1, 0), (2, 1))), ((2, 3),)),
    # indexing
    Case("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], ((3, 4),)),
    Case("getitem_int", lambda a: a[1], lambda a: a[1], ((3, 4),)),
    Case("getitem_none_ellipsis", lambda a: a[None, ..., 2], lambda a: a[None, ..., 2], ((3, 4),)),
    Case("getitem_int_array_dups", lambda a: a[IDX], lambda a: a[IDX], ((3, 2),)),
    Case("getitem_tensor_index", lambda a: a[ottorch.tensor(IDX), 1], lambda a: a[IDX, 1], ((3, 2),)),
    Case("getitem_bool_mask", lambda a: a[MASK], lambda a: a[MASK], ((3, 2),)),
    Case("getitem_pairs", lambda a: a[[0, 2], [1, 1]], lambda a: a[[0, 2], [1, 1]], ((3, 2),)),
    # Several slices of one tensor, with and without a dense gradient alongside: the engine adds
    # slice gradients into one buffer (and scalars picked by an integer per axis).
    Case("getitem_slices_accumulate", lambda a: a[:, :3] * a[:, 1:] + a[:1, 1:] * a.exp()[:1, :3] * a[0, 2],
         lambda a: a[:, :3] * a[:, 1:] + a[:1, 1:] * np.exp(a)[:1, :3] * a[0, 2], ((2, 4),)),
    Case("setitem_slice", setitem, setitem, ((3, 4), (2,))),
    # convolution and pooling
    Case("conv2d", lambda x, w, b: ottorch.conv2d(x, w, b), np_conv2d, ((2, 3, 6, 5), (4, 3, 3, 2), (4,))),
    Case("conv2d_stride_pad", lambda x, w: ottorch.conv2d(x, w, stride=2, padding=1),
         lambda x, w: np_conv2d(x, w, stride=(2, 2), padding=(1, 1)), ((2, 2, 5, 6), (3, 2, 3, 3))),
    Case("conv2d_asym_stride_pad", lambda x, w: ottorch.conv2d(x, w, stride=(1, 2), padding=(2, 0)),
         lambda x, w: np_conv2d(x, w, stride=(1, 2), padding=(2, 0)), ((1, 2, 4, 7), (2, 2, 3, 3))),
    Case("conv2d_dilation", lambda x, w: ottorch.conv2d(x, w, dilation=2),
         lambda x, w: np_conv2d(x, w, dilation=(2, 2)), ((1, 2, 7, 7), (2, 2, 2, 3))),
    Case("conv2d_groups", lambda x, w, b: ottorch.conv2d(x, w, b, padding=1, groups=2),
         lambda x, w, b: np_conv2d(x, w, b, padding=(1, 1), groups=2), ((2, 4, 4, 4), (6, 2, 3, 3), (6,))),
    Case("max_pool2d", lambda x: ottorch.max_pool2d(x, 2), lambda x: np_max_pool(x, (2, 2), (2, 2), (0, 0)),
         ((2, 3, 4, 6),)),
    Case("max_pool2d_stride_pad", lambda x: ottorch.max_pool2d(x, 3, stride=2, padding=1),
         lambda x: np_max_pool(x, (3, 3), (2, 2), (1, 1)), ((2, 2, 5, 6),)),
    Case("max_pool2d_ceil", lambda x: ottorch.max_pool2d(x, 2, ceil_mode=True),
         lambda x: np_max_pool(x, (2, 2), (2, 2), (0, 0), ceil_mode=True), ((1, 2, 5, 5),)),
    Case("avg_pool2d", lambda x: ottorch.avg_pool2d(x, 2), lambda x: np_avg_pool(x, (2, 2), (2, 2), (0, 0)),
         ((2, 3, 4, 6),)),
    Case("avg_pool2d_stride_pad", lambda x: ottorch.avg_pool2d(x, 3, stride=2, padding=1),
         lambda x: np_avg_pool(x, (3, 3), (2, 2), (1, 1)), ((2, 2, 5, 6),)),
    Case("avg_pool2d_exclude_pad", lambda x: ottorch.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
         lambda x: np_avg_pool(x, (3, 3), (2, 2), (1, 1), count_include_pad=False), ((1, 2, 5, 5),)),
    Case("avg_pool2d_ceil", lambda x: ottorch.avg_pool2d(x, 2, ceil_mode=True),
         lambda x: np_avg_pool(x, (2, 2), (2, 2), (0, 0), ceil_mode=True), ((1, 1, 5, 5),)),
]


def _inputs(case: Case, dtype=np.float64):
    rng = np.random.default_rng(abs(hash(case.name)) % 2**32)
    return [rng.uniform(case.low, case.high, s).astype(dtype) for s in case.shapes]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_matches_numpy(case: Case):
    arrays = _inputs(case)
    out = case.fn(*[ottorch.tensor(a) for a in arrays])
    expected = case.ref(*[a.copy() for a in arrays])
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_float32_stays_float32(case: Case):
    arrays = _inputs(case, np.float32)
    out = case.fn(*[ottorch.tensor(a) for a in arrays])
    assert out.dtype == ottorch.float32
    np.testing.assert_allclose(out.numpy(), case.ref(*[a.astype(np.float64) for a in arrays]), rtol=2e-4, atol=2e-5)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.name for c in GRAD_CASES])
def test_gradient_matches_finite_differences(case: Case):
    tensors = [ottorch.tensor(a, requires_grad=True) for a in _inputs(case)]
    assert gradcheck(case.fn, tensors, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_every_primitive_is_covered_by_the_table():
    """A new primitive must come with a row above."""
    used = set()
    for case in CASES:
        tensors = [ottorch.tensor(a, requires_grad=True) for a in _inputs(case)]
        out = case.fn(*tensors)
        from ottorch.autograd.engine import toposort

        if out.grad_fn is not None:
            used |= {type(n).__name__ for n in toposort([out.grad_fn])}
    # Cast is tested on its own below: a float32 round trip defeats float64 finite differences.
    missing = set(ottorch.ops.__all__) - used - {"Cast"}
    assert not missing, f"primitives without a test row: {sorted(missing)}"


def test_cast_gradient_comes_back_in_the_input_dtype():
    x = ottorch.tensor([1.0, 2.0], dtype=ottorch.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == ottorch.float32 and y.grad_fn is not None
    (y * 3).sum().backward()
    assert x.grad.dtype == ottorch.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_max_pool_gives_tied_gradient_to_the_first_maximum():
    x = ottorch.tensor([[[[1.0, 1.0], [1.0, 0.0]]]], requires_grad=True)
    ottorch.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_max_min_reductions_share_tied_gradients():
    x = ottorch.tensor([2.0, 5.0, 5.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]
    y = ottorch.tensor([[2.0, 5.0, 5.0]], requires_grad=True)
    y.max(dim=1).values.sum().backward()
    assert y.grad.tolist() == [[0.0, 1.0, 0.0]]
