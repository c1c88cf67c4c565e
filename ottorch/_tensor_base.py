"""What every part of ``Tensor`` shares: the slots, the internal constructor ``_make`` and the
argument helpers (dims, shapes, dtype promotion). ``ottorch._tensor`` assembles the class."""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from ottorch import _dtype

_pyfloat, _pyint, _pybool = builtins.float, builtins.int, builtins.bool

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


# ----------------------------------------------------------------------------- type promotion
#
# PyTorch's rule, in one place. Dtypes fall into categories bool < integer < floating, and operands
# into priority groups: dimensioned tensors > 0-d tensors > everything else (Python and numpy
# scalars, lists, arrays), which counts only by category, as a Python scalar does. Within a group
# dtypes promote normally; across groups a lower-priority group decides only when its category is
# higher than that of every higher-priority operand.

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_BOOL, _INT64 = np.dtype(np.bool_), np.dtype(np.int64)


def _promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """The smallest dtype holding both: the wider within a category, else the one of the higher
    category whatever the widths (PyTorch's ``promote_types``: int32 with float16 gives float16)."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's ``can_cast``: any cast that does not lower the category (float to int, int to bool)."""
    return _CATEGORY[src.kind] <= _CATEGORY[dst.kind]


_PY_CATEGORY = {_pybool: 0, _pyint: 1, _pyfloat: 2}


def _weak_category(value) -> int:
    """The category of a non-tensor operand (all that counts of it, as of a Python scalar)."""
    category = _PY_CATEGORY.get(type(value))
    if category is None:
        category = _CATEGORY.get(np.asarray(value).dtype.kind)
        if category is None:
            raise TypeError(f"unsupported operand of type {type(value).__name__} for a tensor operation")
    return category


def _join(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """Combine a higher-priority group's dtype with a lower one's: the lower decides only when its
    category is strictly higher."""
    if higher is None:
        return lower
    if lower is not None and _CATEGORY[lower.kind] > _CATEGORY[higher.kind]:
        return lower
    return higher


def result_dtype(*operands) -> np.dtype:
    """The dtype PyTorch computes an elementwise op on ``operands`` in (``torch.result_type``);
    None operands (absent optional arguments such as a clamp bound) are skipped."""
    dims = zero = None
    weak = -1  # the highest category among the non-tensor operands
    for x in operands:
        if isinstance(x, TensorBase):
            d = x._data.dtype
            if x._data.ndim:
                dims = d if dims is None else _promote_types(dims, d)
            else:
                zero = d if zero is None else _promote_types(zero, d)
        elif x is not None:
            weak = max(weak, _weak_category(x))
    if weak >= 0:
        # Python bools, ints and floats stand for bool, int64 and the default float dtype.
        zero = _join(zero, (_BOOL, _INT64, _dtype.get_default_dtype().numpy)[weak])
    return _join(dims, zero)


def _in_dtype(x, dt: np.dtype):
    """One operand in ``dt``: a tensor cast (differentiably between floats), None as is, a Python
    bool or float (or int, for a floating ``dt``) as is, since numpy's weak-scalar rule computes it
    in ``dt`` beside an array of ``dt``, and anything else as a numpy value of ``dt``."""
    if isinstance(x, TensorBase):
        return x if x._data.dtype == dt else x.type(dt)
    kind = type(x)
    if x is None or kind is _pyfloat or kind is _pybool or (kind is _pyint and dt.kind == "f"):
        return x
    if kind is _pyint:
        try:
            return dt.type(x)
        except OverflowError:
            pass  # out of ``dt``'s range: wrap it around below, as PyTorch does
    return np.asarray(x).astype(dt)


def _promote(*operands, floating: bool = False) -> tuple[np.dtype, list]:
    """The result dtype of ``operands`` and the operands in it (see ``_in_dtype``). ``floating``
    lifts a bool/int result to the default float dtype (true division)."""
    dt = result_dtype(*operands)
    if floating and dt.kind != "f":
        dt = _dtype.get_default_dtype().numpy
    return dt, [_in_dtype(x, dt) for x in operands]


def _keeps_dtype(t: TensorBase, other, floating: bool = False) -> bool:
    """Whether ``t``'s dtype is the result and ``other`` can be used as it is: the commonest cases
    (a Python number beside a float tensor, a Python int beside an int64 one, two tensors of one
    dtype), told apart cheaply for the hot operators."""
    dt = t._data.dtype
    kind = type(other)
    if kind is _pyfloat:
        return dt.kind == "f"
    if kind is _pyint:
        return dt.kind == "f" or (dt == _INT64 and not floating)
    return isinstance(other, TensorBase) and other._data.dtype == dt and (dt.kind == "f" or not floating)


def _array(x):
    """The array of a tensor, or ``x`` itself (an operand ``_promote`` already made an array)."""
    return x._data if isinstance(x, TensorBase) else x


def _check_cast(result: np.dtype, out: np.dtype) -> None:
    """Refuse to store a ``result`` in a tensor of dtype ``out`` when PyTorch would (in-place ops)."""
    if not _can_cast(result, out):
        raise RuntimeError(
            f"result type {_dtype.scalar_type_name(result)} can't be cast to the desired output type "
            f"{_dtype.scalar_type_name(out)}"
        )


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
