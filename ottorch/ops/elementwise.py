"""Elementwise primitives: each forward on numpy arrays with its backward rule right below it.

Binary rules return gradients in the broadcast output shape; the engine sums them back to each
input's shape. Inputs may be Python scalars, which never need a gradient.
"""

from __future__ import annotations

import numpy as np

from ottorch.autograd.function import Primitive

# ----------------------------------------------------------------------------- binary arithmetic


class Add(Primitive):
    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        return g, g


class Sub(Primitive):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None


class Mul(Primitive):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Addcmul(Primitive):
    """``a + b * c`` in one node (PyTorch's ``addcmul`` with value 1): the cell update
    ``f * c + i * g`` of an LSTM and the GRU's ``n + z * (h - n)`` each record one node fewer."""

    def forward(ctx, a, b, c):
        ctx.save_for_backward(b, c)
        out = b * c
        if type(a) is np.ndarray and type(out) is np.ndarray and a.shape == out.shape and a.dtype == out.dtype:
            out += a  # the sum a + b * c, in the product's buffer
            return out
        return a + out

    def backward(ctx, g):
        b, c = ctx.saved_tensors
        _, need_b, need_c = ctx.needs_input_grad
        return g, (g * c if need_b else None), (g * b if need_c else None)


class Div(Primitive):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * a / (b * b) if need_b else None
        return ga, gb


class Pow(Primitive):
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g * b * a ** (b - 1) if need_a else None
        gb = None
        if need_b:
            # d(a^b)/db = a^b ln a, defined as 0 where a == 0 and b >= 0 (PyTorch's convention).
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * np.where((a == 0) & (b >= 0), 0, out * np.log(a))
        return ga, gb


class Remainder(Primitive):
    """Python-style remainder ``a - floor(a / b) * b`` (the sign follows the divisor)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * np.floor_divide(a, b) if ctx.needs_input_grad[1] else None)


class Maximum(Primitive):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # Ties split the gradient evenly, as PyTorch does.
        share = (a > b) + 0.5 * (a == b)
        return g * share, g * (1 - share)


class Minimum(Primitive):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a < b) + 0.5 * (a == b)
        return g * share, g * (1 - share)


class Where(Primitive):
    """``where(cond, a, b)``: the condition is a boolean array and gets no gradient."""

    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = np.zeros((), dtype=g.dtype)
        return None, np.where(cond, g, zero), np.where(cond, zero, g)


# ----------------------------------------------------------------------------- unary


class Cast(Primitive):
    """Change the floating dtype; the gradient is cast back (the engine does it)."""

    def forward(ctx, a, dtype):
        return a.astype(dtype)

    def backward(ctx, g):
        return g


class Neg(Primitive):
    def forward(ctx, a):
        return -a

    def backward(ctx, g):
        return -g


class Exp(Primitive):
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Primitive):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log1p(Primitive):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (1 + a)


class Sqrt(Primitive):
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Sin(Primitive):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * np.cos(a)


class Cos(Primitive):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * np.sin(a)


class Tanh(Primitive):
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        # g * (1 - out**2), in one buffer: these arrays are small and allocations count.
        grad = np.multiply(out, out)
        np.subtract(1, grad, out=grad)
        grad *= g
        return grad


class Sigmoid(Primitive):
    def forward(ctx, a):
        if a.dtype.kind == "f":
            # 1 / (1 + exp(-a)) in one buffer: cheaper than the tanh form (numpy's float32 tanh is
            # slow) and exact in relative terms for large negative a. exp(-a) overflows to inf
            # for very negative a, which gives the right limit 0.
            out = np.negative(a)
            with np.errstate(over="ignore"):
                np.exp(out, out=out)
            out += 1
            np.reciprocal(out, out=out)
        else:
            out = 0.5 * (np.tanh(0.5 * a) + 1)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        grad = np.subtract(1, out)
        grad *= out
        grad *= g
        return grad


class Relu(Primitive):
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Abs(Primitive):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * np.sign(a)


class Erf(Primitive):
    """The error function. numpy has none, so this uses the Chebyshev fit of ``erfc`` from
    Numerical Recipes (fractional error below 1.2e-7, under float32 resolution)."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf(a)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * (2 / np.sqrt(np.pi)) * np.exp(-a * a)


def _erf(x: np.ndarray) -> np.ndarray:
    z = np.abs(x)
    t = 1 / (1 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return (np.sign(x) * (1 - erfc)).astype(np.result_type(x, np.float32), copy=False)


class Clamp(Primitive):
    """Clip to ``[min, max]`` (either may be None); the gradient passes where the input is inside."""

    def forward(ctx, a, min=None, max=None):  # noqa: A002 - PyTorch argument names
        ctx.save_for_backward(a)
        ctx.bounds = (min, max)
        return np.clip(a, min, max)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        return g * inside


class _ZeroGrad(Primitive):
    """Piecewise-constant functions: defined gradient of zero everywhere."""

    fn = staticmethod(np.sign)

    def forward(ctx, a):
        ctx.shape = a.shape
        return type(ctx).fn(a)

    def backward(ctx, g):
        return np.zeros(ctx.shape, dtype=g.dtype)


class Sign(_ZeroGrad):
    fn = staticmethod(np.sign)


class Floor(_ZeroGrad):
    fn = staticmethod(np.floor)


class Ceil(_ZeroGrad):
    fn = staticmethod(np.ceil)


class Round(_ZeroGrad):
    fn = staticmethod(np.round)


class Heaviside(_ZeroGrad):
    """The step function: 1 where the input is positive, else 0 (only_torch's ``step``)."""

    @staticmethod
    def fn(a):
        return (a > 0).astype(a.dtype)


class FloorDivide(_ZeroGrad):
    """Floor division ``a // b``; like PyTorch, it passes no gradient to either input."""

    def forward(ctx, a, b):
        ctx.shape = (np.shape(a), np.shape(b))
        return np.floor_divide(a, b)

    def backward(ctx, g):
        return tuple(np.zeros(s, dtype=g.dtype) for s in ctx.shape)
