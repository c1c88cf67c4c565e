"""Tensor arithmetic, comparisons and elementwise functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ottorch import _dtype
from ottorch import ops as _ops
from ottorch._tensor_base import (
    TensorBase,
    _array,
    _as_tensor_like,
    _axes,
    _keeps_dtype,
    _make,
    _promote,
    _pybool,
    _pyfloat,
    _pyint,
)

if TYPE_CHECKING:
    from ottorch._tensor import Tensor

# What the operators take besides tensors; for anything else they return NotImplemented, so ``+``
# raises Python's TypeError and ``==`` falls back to identity.
_OPERANDS = (TensorBase, _pybool, _pyint, _pyfloat, np.generic, np.ndarray, list, tuple)


class TensorMath:
    """Mixin of ``ottorch.Tensor``; see that class."""

    # ------------------------------------------------------------------ arithmetic

    def _binary(self, cls, other, reverse: bool = False, floating: bool = False) -> Tensor:
        """``cls`` on ``self`` and ``other`` (swapped when ``reverse``) in their promoted dtype;
        ``floating`` makes a bool/int result the default float dtype (true division)."""
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        if _keeps_dtype(self, other, floating):
            a, b = self, other
        else:
            _, (a, b) = _promote(self, other, floating=floating)
        return cls.apply(b, a) if reverse else cls.apply(a, b)

    def __add__(self, other):
        return self._binary(_ops.Add, other)

    def __radd__(self, other):
        return self._binary(_ops.Add, other, True)

    def __sub__(self, other):
        return self._binary(_ops.Sub, other)

    def __rsub__(self, other):
        return self._binary(_ops.Sub, other, True)

    def __mul__(self, other):
        return self._binary(_ops.Mul, other)

    def __rmul__(self, other):
        return self._binary(_ops.Mul, other, True)

    def __truediv__(self, other):
        return self._binary(_ops.Div, other, floating=True)

    def __rtruediv__(self, other):
        return self._binary(_ops.Div, other, True, floating=True)

    def __floordiv__(self, other):
        return self._binary(_ops.FloorDivide, other)

    def __rfloordiv__(self, other):
        return self._binary(_ops.FloorDivide, other, True)

    def __mod__(self, other):
        return self._binary(_ops.Remainder, other)

    def __rmod__(self, other):
        return self._binary(_ops.Remainder, other, True)

    def __pow__(self, other):
        return self._binary(_ops.Pow, other)

    def __rpow__(self, other):
        return self._binary(_ops.Pow, other, True)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return _as_tensor_like(other, self).matmul(self)

    def __neg__(self):
        return _ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError(f"bitwise_not: unsupported dtype {self.dtype}; expected bool or integer")
        return _make(~self._data, False, None)

    def _logical(self, fn, other) -> Tensor:
        o = other._data if isinstance(other, TensorBase) else other
        return _make(fn(self._data, o), False, None)

    def _bitwise(self, fn, other) -> Tensor:
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        _, (a, b) = _promote(self, other)
        return _make(fn(a._data, _array(b)), False, None)

    def __and__(self, other):
        return self._bitwise(np.bitwise_and, other)

    def __or__(self, other):
        return self._bitwise(np.bitwise_or, other)

    def __xor__(self, other):
        return self._bitwise(np.bitwise_xor, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    # comparisons: boolean results outside the graph
    def _compare(self, fn, other) -> Tensor:
        """``fn`` on both operands in their promoted dtype (float16 against a 0-d float64 compares
        in float16, as PyTorch does)."""
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        a, b = (self, other) if _keeps_dtype(self, other) else _promote(self, other)[1]
        return _make(np.asarray(fn(a._data, _array(b))), False, None)

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def equal(self, other: Tensor) -> bool:
        """True when both tensors have the same shape and elements."""
        return self.shape == other.shape and _pybool(np.array_equal(self._data, other._data))

    def allclose(self, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
        return _pybool(np.allclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isnan(self) -> Tensor:
        return _make(np.isnan(self._data), False, None)

    def isinf(self) -> Tensor:
        return _make(np.isinf(self._data), False, None)

    def isfinite(self) -> Tensor:
        return _make(np.isfinite(self._data), False, None)

    def logical_not(self) -> Tensor:
        return _make(np.logical_not(self._data), False, None)

    def logical_and(self, other) -> Tensor:
        return self._logical(np.logical_and, other)

    def logical_or(self, other) -> Tensor:
        return self._logical(np.logical_or, other)

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        return _make(np.asarray(np.all(self._data, axis=_axes(dim, self.ndim, "all"), keepdims=keepdim)), False, None)

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        return _make(np.asarray(np.any(self._data, axis=_axes(dim, self.ndim, "any"), keepdims=keepdim)), False, None)

    # named arithmetic
    def add(self, other, *, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, *, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode: str | None = None):
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            dt, (a, b) = _promote(self, other)
            if dt.kind != "f":
                # Integers stay integers: the floor quotient, moved up by one where it is negative
                # and inexact, computed exactly rather than through a float division.
                a, b = a._data, _array(b)
                q = np.floor_divide(a, b)
                return _make(q + ((q < 0) & (q * b != a)), False, None)
            q = a / b
            return _make(np.trunc(q._data), False, None) if not q._requires_grad else q.sign() * q.abs().floor()
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")

    multiply, divide, true_divide, subtract = mul, div, div, sub

    def floor_divide(self, other):
        return self // other

    def remainder(self, other):
        return self % other

    fmod = remainder

    def pow(self, exponent):
        return self**exponent

    def neg(self):
        return -self

    negative = neg

    def reciprocal(self):
        return 1.0 / self

    def square(self):
        return self * self

    def matmul(self, other: Tensor) -> Tensor:
        other = _as_tensor_like(other, self)
        sa, sb = self._data.shape, other._data.shape
        if not sa or not sb:
            raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
        if sa[-1] != (sb[-2] if len(sb) > 1 else sb[0]):
            raise RuntimeError(
                f"matmul: shapes {sa} and {sb} cannot be multiplied "
                f"({sa[-1]} != {sb[-2] if len(sb) > 1 else sb[0]})"
            )
        _, (a, b) = _promote(self, other)
        return _ops.Matmul.apply(a, b)

    def mm(self, other: Tensor) -> Tensor:
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: expected 2-D tensors, got {self.ndim}-D and {other.ndim}-D")
        return self.matmul(other)

    def bmm(self, other: Tensor) -> Tensor:
        if self.ndim != 3 or other.ndim != 3:
            raise RuntimeError(f"bmm: expected 3-D tensors, got {self.ndim}-D and {other.ndim}-D")
        return self.matmul(other)

    def mv(self, vec: Tensor) -> Tensor:
        return self.matmul(vec)

    def dot(self, other: Tensor) -> Tensor:
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: expected 1-D tensors, got {self.ndim}-D and {other.ndim}-D")
        return self.matmul(other)

    def outer(self, other: Tensor) -> Tensor:
        return self.unsqueeze(1) * other.unsqueeze(0)

    # ------------------------------------------------------------------ elementwise functions

    def _float_unary(self, cls, name: str) -> Tensor:
        if self._data.dtype.kind != "f":
            if self._data.dtype.kind == "b":
                raise TypeError(f"{name}: unsupported dtype {self.dtype}")
            return cls.apply(self.type(_dtype.get_default_dtype()))
        return cls.apply(self)

    def exp(self):
        return self._float_unary(_ops.Exp, "exp")

    def log(self):
        return self._float_unary(_ops.Log, "log")

    def log1p(self):
        return self._float_unary(_ops.Log1p, "log1p")

    def log2(self):
        return self.log() / np.log(2.0)

    def log10(self):
        return self.log() / np.log(10.0)

    def expm1(self):
        return self.exp() - 1

    def sqrt(self):
        return self._float_unary(_ops.Sqrt, "sqrt")

    def rsqrt(self):
        return 1.0 / self.sqrt()

    def sin(self):
        return self._float_unary(_ops.Sin, "sin")

    def cos(self):
        return self._float_unary(_ops.Cos, "cos")

    def tan(self):
        return self.sin() / self.cos()

    def tanh(self):
        return self._float_unary(_ops.Tanh, "tanh")

    def sigmoid(self):
        return self._float_unary(_ops.Sigmoid, "sigmoid")

    def erf(self):
        return self._float_unary(_ops.Erf, "erf")

    def relu(self):
        return _ops.Relu.apply(self)

    def abs(self):
        return _ops.Abs.apply(self)

    absolute = abs

    def sign(self):
        return _ops.Sign.apply(self)

    def heaviside_step(self):
        """1 where positive, else 0, with zero gradient (only_torch's ``step``)."""
        return _ops.Heaviside.apply(self)

    def floor(self):
        return _ops.Floor.apply(self)

    def ceil(self):
        return _ops.Ceil.apply(self)

    def round(self, decimals: int = 0):
        if decimals:
            scale = 10.0**decimals
            return _ops.Round.apply(self * scale) / scale
        return _ops.Round.apply(self)

    def trunc(self):
        return self.sign() * self.abs().floor()

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch argument names
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        # Promote over all three at once: clamping step by step could let a bound promote the
        # intermediate result that the three together would not.
        _, (out, lo, hi) = _promote(self, min, max)
        if isinstance(lo, TensorBase) or isinstance(hi, TensorBase):
            if lo is not None:
                out = out.maximum(lo)
            if hi is not None:
                out = out.minimum(hi)
            return out
        return _ops.Clamp.apply(out, min=lo, max=hi)

    clip = clamp

    def clamp_min(self, min):  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        return self.clamp(max=max)

    def maximum(self, other: Tensor) -> Tensor:
        return self._binary(_ops.Maximum, other)

    def minimum(self, other: Tensor) -> Tensor:
        return self._binary(_ops.Minimum, other)

    def where(self, condition: Tensor, other) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``Tensor.where``)."""
        from ottorch._functions import where

        return where(condition, self, other)

    def masked_fill(self, mask: Tensor, value) -> Tensor:
        """``self`` with ``value`` where ``mask`` holds; keeps ``self``'s dtype, as PyTorch does."""
        from ottorch._functions import where

        out = where(mask, value, self)
        return out if out._data.dtype == self._data.dtype else out.type(self.dtype)

    def lerp(self, end: Tensor, weight) -> Tensor:
        return self + weight * (end - self)
