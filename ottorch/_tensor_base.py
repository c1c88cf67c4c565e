"""What every part of ``Tensor`` shares: the slots, the internal constructor ``_make`` and the
argument helpers (dims, shapes, dtype promotion). ``ottorch._tensor`` assembles the class."""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from ottorch import _dtype

_pyfloat, _pyint, _pybool = builtins.float, builtins.int, builtins.bool
SCALARS = (_pyint, _pyfloat, _pybool, np.number, np.bool_)

return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


class TensorBase:
    """Storage and autograd fields of a tensor; ``ottorch.Tensor`` adds the methods."""

    __slots__ = ("_data", "_requires_grad", "_ctx", "grad", "__weakref__", "__dict__")
    # Make numpy defer to our reflected operators (``ndarray * tensor`` -> ``Tensor.__rmul__``).
    __array_ufunc__ = None


_tensor_class: list[type] = []


def bind_tensor_class(cls: type) -> None:
    """Called once by ``ottorch._tensor`` so ``_make`` builds full ``Tensor`` objects."""
    _tensor_class.append(cls)


def _make(data: np.ndarray, requires_grad: bool, ctx) -> TensorBase:
    """Wrap an array without copying (the internal constructor used by every op)."""
    t = object.__new__(_tensor_class[0])
    t._data = data
    t._requires_grad = requires_grad
    t._ctx = ctx
    t.grad = None
    return t


class Size(tuple):
    """A tensor shape: a tuple printed as ``ottorch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ottorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


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
    if isinstance(i, TensorBase):
        return i._data
    if isinstance(i, list):
        return np.asarray([x._data if isinstance(x, TensorBase) else x for x in i])
    return i


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


def _fit_to_slot(value: TensorBase, slot: tuple) -> TensorBase:
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


def _promote_pair(a: TensorBase, b: TensorBase) -> tuple[TensorBase, TensorBase]:
    """PyTorch type promotion across kinds: float beats int beats bool, keeping the float's width."""
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    ka, kb = rank[a._data.dtype.kind], rank[b._data.dtype.kind]
    if ka == kb:
        target = np.result_type(a._data.dtype, b._data.dtype)
    else:
        target = (a if ka > kb else b)._data.dtype
    return (a if a._data.dtype == target else a.type(target)), (b if b._data.dtype == target else b.type(target))


def _as_tensor_like(value, like: TensorBase) -> TensorBase:
    """Wrap a scalar, list or array as a constant tensor; floats follow ``like``'s float dtype."""
    if isinstance(value, TensorBase):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        arr = arr.astype(like._data.dtype if like._data.dtype.kind == "f" else _dtype.get_default_dtype().numpy)
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"unsupported operand of type {type(value).__name__} for a tensor operation")
    return _make(arr, False, None)


def parse_to(args: tuple, kwargs: dict, what: str):
    """The dtype asked of ``.to(...)`` (None if only a device was given); refuses devices but "cpu"."""
    target = kwargs.get("dtype")
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, _dtype.dtype):
            target = a
        elif isinstance(a, TensorBase):
            target = _dtype.from_numpy(a._data.dtype)
        elif a is not None and str(a) != "cpu":
            raise ValueError(f"ottorch is CPU only; cannot move a {what} to {a!r}")
    return target
