"""``ottorch.Tensor``: a numpy array plus the autograd bookkeeping, with PyTorch's methods.

Every differentiable method is a one-line call into a primitive of ``ottorch.ops`` or a short
composition of such calls; composed methods need no backward code of their own.
"""

from __future__ import annotations

import builtins
import weakref
from collections import namedtuple
from collections.abc import Iterator, Sequence

import numpy as np

from ottorch import _dtype
from ottorch.autograd.grad_mode import state as _grad_state

_pyfloat, _pyint, _pybool = builtins.float, builtins.int, builtins.bool
_SCALARS = (_pyint, _pyfloat, _pybool, np.number, np.bool_)

return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


class Size(tuple):
    """A tensor shape: a tuple printed as ``ottorch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ottorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _make(data: np.ndarray, requires_grad: bool, ctx) -> Tensor:
    """Wrap an array without copying (the internal constructor used by every op)."""
    t = Tensor.__new__(Tensor)
    t._data = data
    t._requires_grad = requires_grad
    t._ctx = ctx
    t.grad = None
    return t


def _shape_args(shape: Sequence) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(_pyint(s) for s in shape)


def _axis(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _axes(dim, ndim: int, op: str) -> tuple | None:
    """Normalise a ``dim`` argument (int, sequence or None) to a tuple of axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(sorted(_axis(d, ndim, op) for d in dim))
    return (_axis(dim, ndim, op),)


def _index_array(i):
    if isinstance(i, Tensor):
        return i._data
    if isinstance(i, list):
        return np.asarray([x._data if isinstance(x, Tensor) else x for x in i])
    return i


def _format_array(a: np.ndarray) -> str:
    """PyTorch-like text of an array: right-aligned, 4 decimals, integral floats as ``1.``, and
    scientific notation when magnitudes span more than 1e3 or leave [1e-4, 1e8)."""
    opts = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3, max_line_width=80)
    if a.dtype.kind != "f" or a.size == 0:
        return np.array2string(a, **opts)
    finite = np.abs(a[np.isfinite(a)]).astype(np.float64)
    fmt = "{:.4f}"
    if finite.size:
        big, nonzero = finite.max(), finite[finite > 0]
        small = nonzero.min() if nonzero.size else 0.0
        if np.all(finite == np.round(finite)) and big < 1e8:
            fmt = "{:.0f}."
        elif big >= 1e8 or (small and (small < 1e-4 or big / small > 1e3)):
            fmt = "{:.4e}"

    def one(x) -> str:
        return fmt.format(x) if np.isfinite(x) else str(x)

    sample = a.reshape(-1)[:1000] if a.size <= 1000 else np.concatenate([a.reshape(-1)[:500], a.reshape(-1)[-500:]])
    width = max(len(one(x)) for x in sample)
    return np.array2string(a, formatter={"float_kind": lambda x: one(x).rjust(width)}, **opts)


class Tensor:
    """An n-dimensional array with reverse-mode autograd (PyTorch's ``torch.Tensor``).

    ``Tensor(data)`` builds a float32 tensor from array-like data and ``Tensor(2, 3)`` an
    uninitialised (zero) one, as in PyTorch; prefer ``ottorch.tensor``.
    """

    __slots__ = ("_data", "_requires_grad", "_ctx", "grad", "__weakref__", "__dict__")
    # Make numpy defer to our reflected operators (``ndarray * tensor`` -> ``Tensor.__rmul__``).
    __array_ufunc__ = None

    def __init__(self, *args, requires_grad: bool = False) -> None:
        if args and all(isinstance(a, _pyint) for a in args):
            data = np.zeros(args, dtype=_dtype.get_default_dtype().numpy)
        elif len(args) == 1:
            data = np.array(args[0], dtype=_dtype.get_default_dtype().numpy)
        elif not args:
            data = np.zeros((0,), dtype=_dtype.get_default_dtype().numpy)
        else:
            raise TypeError(f"Tensor() takes sizes or one array-like, got {args!r}")
        self._data = data
        self._requires_grad = False
        self._ctx = None
        self.grad = None
        if requires_grad:
            self.requires_grad = True

    # ------------------------------------------------------------------ attributes

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_axis(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_numpy(self._data.dtype)

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach() to get a leaf"
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self._requires_grad = _pybool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory but outside the graph (PyTorch's ``.data``)."""
        return _make(self._data, False, None)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._ctx.retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._ctx is not None and self._ctx.retained is not None

    # ------------------------------------------------------------------ conversion

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared memory). Refused for tensors that require grad."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return _pyfloat(self.item())

    def __int__(self) -> int:
        return _pyint(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _pyint(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous"
            )
        return _pybool(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's memory, with no gradient history."""
        return _make(self._data, False, None)

    def detach_(self) -> Tensor:
        self._ctx = None
        self._requires_grad = False
        return self

    def clone(self) -> Tensor:
        """A copy that stays in the graph (its gradient flows back to this tensor)."""
        return _ops.Reshape.apply(self, shape=self._data.shape)._own()

    def _own(self) -> Tensor:
        self._data = self._data.copy()
        return self

    def contiguous(self) -> Tensor:
        return self

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype; device arguments other than "cpu" are refused (ottorch is CPU only)."""
        target = kwargs.get("dtype")
        for a in list(args) + [kwargs.get("device")]:
            if isinstance(a, _dtype.dtype):
                target = a
            elif isinstance(a, Tensor):
                target = a.dtype
            elif a is not None and str(a) != "cpu":
                raise ValueError(f"ottorch is CPU only; cannot move a tensor to {a!r}")
        return self if target is None else self.type(target)

    def cpu(self) -> Tensor:
        return self

    def type(self, dtype=None):
        """Cast to ``dtype`` (the cast is differentiable between floating dtypes)."""
        if dtype is None:
            return f"ottorch.{self.dtype.name.capitalize()}Tensor"
        target = _dtype.to_numpy(dtype)
        if target == self._data.dtype:
            return self
        if target.kind != "f":
            return _make(self._data.astype(target), False, None)
        return _ops.Cast.apply(self, dtype=target)

    def float(self) -> Tensor:
        return self.type(_dtype.float32)

    def double(self) -> Tensor:
        return self.type(_dtype.float64)

    def half(self) -> Tensor:
        return self.type(_dtype.float16)

    def long(self) -> Tensor:
        return self.type(_dtype.int64)

    def int(self) -> Tensor:
        return self.type(_dtype.int32)

    def bool(self) -> Tensor:
        return self.type(_dtype.bool_)

    # ------------------------------------------------------------------ printing

    def __repr__(self) -> str:
        a = self._data
        if a.size == 0 and a.ndim > 1:
            body = f"[], size={tuple(a.shape)}"
        else:
            body = _format_array(a)
        extra = []
        default_float = _dtype.get_default_dtype().numpy
        if a.dtype.kind == "f" and a.dtype != default_float or a.dtype.kind in "iu" and a.dtype != np.int64:
            extra.append(f"dtype={self.dtype!r}")
        if self._ctx is not None:
            extra.append(f"grad_fn={self._ctx!r}")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extra) + ")"

    # ------------------------------------------------------------------ autograd

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
        from ottorch.autograd import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    def register_hook(self, hook):
        raise NotImplementedError("tensor hooks are not supported; use autograd.grad or retain_grad")

    # ------------------------------------------------------------------ arithmetic

    def _binary(self, cls, other, reverse: bool = False) -> Tensor:
        a, b = self, other
        if isinstance(b, Tensor):
            ka, kb = a._data.dtype.kind, b._data.dtype.kind
            if ka != kb:
                a, b = _promote_pair(a, b)
        elif isinstance(b, _SCALARS):
            if a._data.dtype.kind != "f" and isinstance(b, (_pyfloat, np.floating)):
                a = a.type(_dtype.get_default_dtype())
        elif b is None:
            return NotImplemented
        else:
            b = _as_tensor_like(b, a)
            if a._data.dtype.kind != b._data.dtype.kind:
                a, b = _promote_pair(a, b)
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
        if self._data.dtype.kind != "f" and not (isinstance(other, Tensor) and other.is_floating_point()):
            return self.type(_dtype.get_default_dtype())._binary(_ops.Div, other)
        return self._binary(_ops.Div, other)

    def __rtruediv__(self, other):
        t = self if self._data.dtype.kind == "f" else self.type(_dtype.get_default_dtype())
        return t._binary(_ops.Div, other, True)

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
        o = other._data if isinstance(other, Tensor) else other
        return _make(fn(self._data, o), False, None)

    def __and__(self, other):
        return self._logical(np.bitwise_and, other)

    def __or__(self, other):
        return self._logical(np.bitwise_or, other)

    def __xor__(self, other):
        return self._logical(np.bitwise_xor, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    # comparisons: boolean results outside the graph
    def _compare(self, fn, other) -> Tensor:
        if other is None:
            return NotImplemented
        o = other._data if isinstance(other, Tensor) else other
        return _make(np.asarray(fn(self._data, o)), False, None)

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
            q = self / other
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
        if self.ndim == 0 or other.ndim == 0:
            raise RuntimeError("matmul: both arguments need at least 1 dimension, got 0-d tensor")
        k1 = self.shape[-1]
        k2 = other.shape[-2] if other.ndim > 1 else other.shape[0]
        if k1 != k2:
            raise RuntimeError(
                f"matmul: shapes {tuple(self.shape)} and {tuple(other.shape)} cannot be multiplied "
                f"({k1} != {k2})"
            )
        if self._data.dtype != other._data.dtype:
            a, b = _promote_pair(self, other)
            return _ops.Matmul.apply(a, b)
        return _ops.Matmul.apply(self, other)

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
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = out.maximum(min if isinstance(min, Tensor) else _as_tensor_like(min, self))
            if max is not None:
                out = out.minimum(max if isinstance(max, Tensor) else _as_tensor_like(max, self))
            return out
        return _ops.Clamp.apply(self, min=min, max=max)

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
        from ottorch._functions import where

        return where(mask, value, self)

    def lerp(self, end: Tensor, weight) -> Tensor:
        return self + weight * (end - self)

    # ------------------------------------------------------------------ reductions

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        t = self if dtype is None else self.type(dtype)
        if t._data.dtype.kind == "b":
            t = t.long()
        return _ops.Sum.apply(t, axes=_axes(dim, t.ndim, "sum"), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        t = self if dtype is None else self.type(dtype)
        if t._data.dtype.kind != "f":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be floating point, got {t.dtype}"
            )
        axes = _axes(dim, t.ndim, "mean")
        count = t._data.size if axes is None else int(np.prod([t._data.shape[a] for a in axes]))
        return _ops.Sum.apply(t, axes=axes, keepdim=keepdim) * (1.0 / count if count else np.nan)

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        axis = None if dim is None else _axis(dim, self.ndim, "prod")
        return _ops.Prod.apply(self, axis=axis, keepdim=keepdim)

    def _extreme(self, name, full_cls, arg_fn, ret, dim, keepdim):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError(f"{name}(): expected a non-empty tensor")
            return full_cls.apply(self, axes=None, keepdim=False)
        axis = _axis(dim, self.ndim, name)
        idx = np.expand_dims(arg_fn(self._data, axis=axis), axis)
        values = _ops.Gather.apply(self, idx, axis=axis)
        if not keepdim:
            values = values.squeeze(axis)
            idx = np.squeeze(idx, axis)
        return ret(values, _make(idx, False, None))

    def max(self, dim=None, keepdim: bool = False):
        """Largest element; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``maximum``."""
        return self._extreme("max", _ops.Amax, np.argmax, return_types_max, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        """Smallest element; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``minimum``."""
        return self._extreme("min", _ops.Amin, np.argmin, return_types_min, dim, keepdim)

    def amax(self, dim=(), keepdim: bool = False) -> Tensor:
        return _ops.Amax.apply(self, axes=_axes(dim, self.ndim, "amax"), keepdim=keepdim)

    def amin(self, dim=(), keepdim: bool = False) -> Tensor:
        return _ops.Amin.apply(self, axes=_axes(dim, self.ndim, "amin"), keepdim=keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn, dim, keepdim) -> Tensor:
        if dim is None:
            out = np.asarray(fn(self._data), dtype=np.int64)
            return _make(out.reshape((1,) * self.ndim) if keepdim else out, False, None)
        axis = _axis(dim, self.ndim, fn.__name__)
        return _make(np.asarray(fn(self._data, axis=axis, keepdims=keepdim), dtype=np.int64), False, None)

    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None) -> Tensor:
        """Variance with Bessel's correction by default (``correction=1``, as in PyTorch)."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        axes = _axes(dim, self.ndim, "var")
        n = self._data.size if axes is None else int(np.prod([self._data.shape[a] for a in axes]))
        centred = self - self.mean(dim=axes, keepdim=True)
        return (centred * centred).sum(dim=axes, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None) -> Tensor:
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def logsumexp(self, dim, keepdim: bool = False) -> Tensor:
        axes = _axes(dim, self.ndim, "logsumexp")
        m = self.detach().amax(dim=axes, keepdim=True)
        m = m.masked_fill(~m.isfinite(), 0.0)
        out = (self - m).exp().sum(dim=axes, keepdim=True).log() + m
        return out if keepdim else out.squeeze(axes if axes is not None else tuple(range(self.ndim)))

    def norm(self, p=2, dim=None, keepdim: bool = False) -> Tensor:
        if p == "fro" or p == 2:
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p == float("inf"):
            return self.abs().amax(dim=() if dim is None else dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    def softmax(self, dim: int) -> Tensor:
        if self._data.dtype.kind != "f":
            raise TypeError(f"softmax: unsupported dtype {self.dtype}; expected a floating-point tensor")
        return _ops.Softmax.apply(self, axis=_axis(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        if self._data.dtype.kind != "f":
            raise TypeError(f"log_softmax: unsupported dtype {self.dtype}; expected a floating-point tensor")
        return _ops.LogSoftmax.apply(self, axis=_axis(dim, self.ndim, "log_softmax"))

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape) -> Tensor:
        shape = _shape_args(shape)
        try:
            target = _resolve_shape(self._data.shape, shape)
        except ValueError as e:
            raise RuntimeError(
                f"reshape: shape {list(shape)} is invalid for input of size {self._data.size} "
                f"(shape {list(self._data.shape)}): {e}"
            ) from None
        if target == self._data.shape:
            return self
        return _ops.Reshape.apply(self, shape=target)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _axis(start_dim, self.ndim, "flatten"), _axis(end_dim, self.ndim, "flatten")
        shape = self._data.shape
        return self.reshape(shape[:s] + (-1,) + shape[e + 1 :])

    def unflatten(self, dim: int, sizes) -> Tensor:
        d = _axis(dim, self.ndim, "unflatten")
        return self.reshape(self._data.shape[:d] + tuple(sizes) + self._data.shape[d + 1 :])

    def squeeze(self, dim=None) -> Tensor:
        shape = self._data.shape
        axes = _axes(dim, self.ndim, "squeeze") if dim is not None else tuple(range(self.ndim))
        keep = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
        return self.reshape(keep) if keep != shape else self

    def unsqueeze(self, dim: int) -> Tensor:
        d = _axis(dim, self.ndim + 1, "unsqueeze")
        shape = self._data.shape
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def permute(self, *dims) -> Tensor:
        dims = _shape_args(dims)
        if sorted(_axis(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {list(dims)} are not a permutation of {self.ndim} dimensions")
        return _ops.Permute.apply(self, dims=tuple(d % max(self.ndim, 1) for d in dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        dims = list(range(self.ndim))
        a, b = _axis(dim0, self.ndim, "transpose"), _axis(dim1, self.ndim, "transpose")
        dims[a], dims[b] = dims[b], dims[a]
        return _ops.Permute.apply(self, dims=tuple(dims))

    swapaxes = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, -1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch name
        return _ops.Permute.apply(self, dims=tuple(reversed(range(self.ndim)))) if self.ndim > 1 else self

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch name
        return self.transpose(-2, -1)

    def expand(self, *sizes) -> Tensor:
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        target = tuple(
            self._data.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
        )
        for i in range(self.ndim):
            have, want = self._data.shape[i], target[lead + i]
            if have != 1 and have != want:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({want}) must match the existing size "
                    f"({have}) at non-singleton dimension {lead + i}; target sizes {list(sizes)}, "
                    f"tensor shape {list(self._data.shape)}"
                )
        if target == self._data.shape:
            return self
        return _ops.Expand.apply(self, shape=target)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes) -> Tensor:
        """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's ``repeat``)."""
        reps = _shape_args(sizes)
        if len(reps) < self.ndim:
            raise RuntimeError(
                "repeat: number of repeat dims can not be smaller than number of dimensions of tensor"
            )
        shape = (1,) * (len(reps) - self.ndim) + self._data.shape
        interleaved = tuple(x for s in shape for x in (1, s))
        expanded = tuple(x for r, s in zip(reps, shape) for x in (r, s))
        return self.reshape(interleaved).expand(expanded).reshape(tuple(r * s for r, s in zip(reps, shape)))

    def tile(self, *dims) -> Tensor:
        dims = _shape_args(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def flip(self, *dims) -> Tensor:
        return _ops.Flip.apply(self, axes=tuple(_axis(d, self.ndim, "flip") for d in _shape_args(dims)))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        d = _axis(dim, self.ndim, "narrow")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        d = _axis(dim, self.ndim, "split")
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, _pyint):
            step = split_size_or_sections
            if step <= 0:
                raise RuntimeError(f"split: split_size must be positive, got {step}")
            sizes = [min(step, n - s) for s in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} do not sum to the dimension size {n}")
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(d, start, s))
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        n = self._data.shape[_axis(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim: int = 0) -> tuple:
        d = _axis(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self._data.shape[d]))

    def gather(self, dim: int, index: Tensor) -> Tensor:
        idx = _index_array(index)
        if idx.ndim != self.ndim:
            raise RuntimeError(
                f"gather: index {tuple(idx.shape)} and input {tuple(self.shape)} must have the same "
                "number of dimensions"
            )
        return _ops.Gather.apply(self, idx.astype(np.int64, copy=False), axis=_axis(dim, self.ndim, "gather"))

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        d = _axis(dim, self.ndim, "index_select")
        return self[(slice(None),) * d + (_index_array(index),)]

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index) -> Tensor:
        if type(index) is tuple:
            index = tuple(_index_array(i) for i in index)
        else:
            index = _index_array(index)
        return _ops.GetItem.apply(self, index=index)

    def __setitem__(self, index, value) -> None:
        index = tuple(_index_array(i) for i in index) if type(index) is tuple else _index_array(index)
        if not isinstance(value, Tensor):
            value = _as_tensor_like(value, self)
        if value._data.ndim:
            value = _fit_to_slot(value, np.shape(self._data[index]))
        if not (_grad_state.enabled and (self._requires_grad or value._requires_grad)):
            self._data[index] = value._data
            return
        self._assign_inplace(_ops.IndexPut.apply(self._snapshot(), value, index=index))

    def _snapshot(self) -> Tensor:
        return _make(self._data, self._requires_grad, self._ctx)

    def _assign_inplace(self, result: Tensor) -> Tensor:
        """Make ``self`` take ``result``'s value and graph position (in-place ops under autograd)."""
        if self._ctx is None and self._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with ottorch.no_grad():`"
            )
        self._data, self._ctx, self._requires_grad = result._data, result._ctx, result._requires_grad
        return self

    # ------------------------------------------------------------------ in-place

    def _inplace(self, fn, other=None) -> Tensor:
        """Apply ``fn(self, other)`` in place: on the array when no graph is recorded, else by
        rebinding ``self`` to the functional result."""
        tracked = _grad_state.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
        if not tracked:
            res = fn(_make(self._data, False, None), other)
            np.copyto(self._data, res._data, casting="same_kind")
            return self
        return self._assign_inplace(fn(self._snapshot(), other))

    def add_(self, other, *, alpha=1):
        return self._inplace(lambda a, b: a.add(b, alpha=alpha), other)

    def sub_(self, other, *, alpha=1):
        return self._inplace(lambda a, b: a.sub(b, alpha=alpha), other)

    def mul_(self, other):
        return self._inplace(lambda a, b: a * b, other)

    def div_(self, other):
        return self._inplace(lambda a, b: a / b, other)

    def pow_(self, other):
        return self._inplace(lambda a, b: a**b, other)

    def clamp_(self, min=None, max=None):  # noqa: A002
        return self._inplace(lambda a, _: a.clamp(min, max))

    clip_ = clamp_

    def neg_(self):
        return self._inplace(lambda a, _: -a)

    def relu_(self):
        return self._inplace(lambda a, _: a.relu())

    def sqrt_(self):
        return self._inplace(lambda a, _: a.sqrt())

    def exp_(self):
        return self._inplace(lambda a, _: a.exp())

    def addcmul_(self, t1, t2, value=1):
        return self._inplace(lambda a, _: a + value * t1 * t2)

    def addcdiv_(self, t1, t2, value=1):
        return self._inplace(lambda a, _: a + value * t1 / t2)

    def lerp_(self, end, weight):
        return self._inplace(lambda a, _: a.lerp(end, weight))

    def masked_fill_(self, mask, value):
        return self._inplace(lambda a, _: a.masked_fill(mask, value))

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast to this shape and cast to this dtype) into this tensor."""
        return self._inplace(lambda a, b: b.type(a.dtype).expand(a.shape).clone(), _as_tensor_like(src, self))

    def fill_(self, value) -> Tensor:
        return self._overwrite(lambda: np.full(self._data.shape, value, dtype=self._data.dtype))

    def zero_(self) -> Tensor:
        return self._overwrite(lambda: np.zeros(self._data.shape, dtype=self._data.dtype))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        rng = _random.as_numpy_generator(generator)
        return self._overwrite(lambda: rng.uniform(a, b, self._data.shape).astype(self._data.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        rng = _random.as_numpy_generator(generator)
        return self._overwrite(lambda: rng.normal(mean, std, self._data.shape).astype(self._data.dtype))

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> Tensor:
        rng = _random.as_numpy_generator(generator)
        return self._overwrite(lambda: (rng.random(self._data.shape) < p).astype(self._data.dtype))

    def random_(self, low: int = 0, high: int | None = None, *, generator=None) -> Tensor:
        rng = _random.as_numpy_generator(generator)
        if high is None:
            low, high = 0, low
        return self._overwrite(lambda: rng.integers(low, high, self._data.shape).astype(self._data.dtype))

    def _overwrite(self, make) -> Tensor:
        """Replace every element with ``make()`` (a fresh array); the result has no gradient history."""
        if _grad_state.enabled and self._requires_grad and self._ctx is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with ottorch.no_grad():`"
            )
        np.copyto(self._data, make())
        if self._ctx is not None:
            self._ctx, self._requires_grad = None, False
        return self


def _resolve_shape(shape: tuple, target: tuple) -> tuple:
    """The concrete target shape (one ``-1`` inferred); ValueError when the sizes disagree."""
    size = 1
    for s in shape:
        size *= s
    known, unknown = 1, []
    for i, s in enumerate(target):
        if s == -1:
            unknown.append(i)
        elif s < 0:
            raise ValueError(f"invalid size {s}")
        else:
            known *= s
    if len(unknown) > 1:
        raise ValueError("only one dimension can be inferred")
    if unknown:
        if known == 0 or size % known:
            raise ValueError("the inferred dimension does not divide the size")
        target = target[: unknown[0]] + (size // known,) + target[unknown[0] + 1 :]
    elif known != size:
        raise ValueError("the sizes differ")
    return target


def _fit_to_slot(value: Tensor, slot: tuple) -> Tensor:
    """``value`` as assigned into a slot of shape ``slot``: broadcast, or reshaped when only the
    number of elements agrees (PyTorch accepts ``t[0] = tensor([5.])``)."""
    try:
        if np.broadcast_shapes(value._data.shape, slot) == slot:
            return value
    except ValueError:
        pass
    if value._data.size != int(np.prod(slot)):
        raise RuntimeError(
            f"setitem: a value of shape {list(value.shape)} cannot be assigned to a slot of shape {list(slot)}"
        )
    return value.reshape(slot)


def _promote_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """PyTorch type promotion across kinds: float beats int beats bool, keeping the float's width."""
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    ka, kb = rank[a._data.dtype.kind], rank[b._data.dtype.kind]
    if ka == kb:
        target = np.result_type(a._data.dtype, b._data.dtype)
    else:
        target = (a if ka > kb else b)._data.dtype
    return (a if a._data.dtype == target else a.type(target)), (b if b._data.dtype == target else b.type(target))


def _as_tensor_like(value, like: Tensor) -> Tensor:
    """Wrap a scalar, list or array as a constant tensor; floats follow ``like``'s float dtype."""
    if isinstance(value, Tensor):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        arr = arr.astype(like._data.dtype if like._data.dtype.kind == "f" else _dtype.get_default_dtype().numpy)
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"unsupported operand of type {type(value).__name__} for a tensor operation")
    return _make(arr, False, None)


from ottorch import ops as _ops  # noqa: E402 - ops build on Tensor, so they load after it
from ottorch import random as _random  # noqa: E402
