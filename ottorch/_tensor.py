"""``ottorch.Tensor``: a numpy array plus the autograd bookkeeping, with PyTorch's methods.

Every differentiable method is a one-line call into a primitive of ``ottorch.ops`` or a short
composition of such calls; composed methods need no backward code of their own.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator

import numpy as np

from ottorch import _dtype
from ottorch import ops as _ops
from ottorch import random as _random
from ottorch._tensor_base import (
    Size,
    TensorBase,
    _array,
    _as_tensor_like,
    _axis,
    _check_cast,
    _fit_to_slot,
    _index_array,
    _keeps_dtype,
    _make,
    _promote,
    _pybool,
    _pyfloat,
    _pyint,
    bind_tensor_class,
    parse_to,
)
from ottorch._tensor_math import TensorMath
from ottorch._tensor_reduce import TensorReduce
from ottorch._tensor_shape import TensorShape
from ottorch.autograd.grad_mode import state as _grad_state


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


class Tensor(TensorMath, TensorReduce, TensorShape, TensorBase):
    """An n-dimensional array with reverse-mode autograd (PyTorch's ``torch.Tensor``).

    ``Tensor(data)`` builds a float32 tensor from array-like data and ``Tensor(2, 3)`` an
    uninitialised (zero) one, as in PyTorch; prefer ``ottorch.tensor``.
    """

    __slots__ = ()

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
        target = parse_to(args, kwargs, "tensor")
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
        rebinding ``self`` to the functional result. The result keeps ``self``'s dtype; a result
        PyTorch would not cast to it (float into int, int into bool) raises."""
        tracked = _grad_state.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
        res = fn(self._snapshot() if tracked else _make(self._data, False, None), other)
        _check_cast(res._data.dtype, self._data.dtype)
        if not tracked:
            np.copyto(self._data, res._data, casting="unsafe")
            return self
        return self._assign_inplace(res if res._data.dtype == self._data.dtype else res.type(self.dtype))

    def _inplace_ufunc(self, ufunc, other, fallback, floating: bool = False) -> Tensor:
        """Fast path of the arithmetic in-place ops: one numpy ufunc writing into our array,
        computing in the promoted dtype (``floating`` as for true division)."""
        if _grad_state.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            return self._inplace(fallback, other)
        if _keeps_dtype(self, other, floating):
            ufunc(self._data, _array(other), out=self._data)
            return self
        dt, (_, b) = _promote(self, other, floating=floating)
        _check_cast(dt, self._data.dtype)
        ufunc(self._data, _array(b), out=self._data, casting="unsafe")
        return self

    def add_(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace_ufunc(np.add, other, lambda a, b: a + b)

    def sub_(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace_ufunc(np.subtract, other, lambda a, b: a - b)

    def mul_(self, other):
        return self._inplace_ufunc(np.multiply, other, lambda a, b: a * b)

    def div_(self, other):
        return self._inplace_ufunc(np.divide, other, lambda a, b: a / b, floating=True)

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


bind_tensor_class(Tensor)
