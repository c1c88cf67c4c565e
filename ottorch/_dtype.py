"""Tensor dtypes: thin named wrappers over numpy dtypes, printed the way PyTorch prints them.

The PyTorch aliases that shadow Python builtins (``ottorch.float``, ``ottorch.int``, ``ottorch.bool``,
...) are bound in ``ottorch/__init__.py`` so this module can still use the builtins.
"""

from __future__ import annotations

import numpy as np


class dtype:  # noqa: N801 - PyTorch spells it in lower case
    """A tensor element type. Compare with ``==`` against other dtypes (``x.dtype == ottorch.float32``)."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.numpy = np.dtype(np_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "fi"
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"ottorch.{self.name}"

    def __reduce__(self):
        return (by_name, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_FROM_NUMPY = {d.numpy: d for d in ALL}
_NAMES = {d.name: d for d in ALL}

_default = [float32]

# PyTorch's scalar-type names, which its casting errors print ("result type Float ...").
_SCALAR_TYPE_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte", "int8": "Char",
    "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool",
}


def by_name(name: str) -> dtype:
    """The dtype called ``name`` ("float32", "int64", ...)."""
    try:
        return _NAMES[name]
    except KeyError:
        raise TypeError(f"unknown dtype name {name!r}") from None


def from_numpy(np_dtype: np.dtype) -> dtype:
    """Map a numpy dtype to the ottorch dtype, raising a TypeError that names unsupported kinds."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"unsupported dtype {np_dtype}; ottorch supports " + ", ".join(d.name for d in ALL)
        ) from None


def scalar_type_name(np_dtype: np.dtype) -> str:
    """PyTorch's name of a dtype in error messages ("Float" for float32, "Long" for int64, ...)."""
    return _SCALAR_TYPE_NAMES[from_numpy(np_dtype).name]


def to_numpy(d) -> np.dtype:
    """Accept an ottorch dtype, a numpy dtype or a Python type and return the numpy dtype."""
    if isinstance(d, dtype):
        return d.numpy
    if d is float:
        return _default[0].numpy
    if d is int:
        return np.dtype(np.int64)
    if d is bool:
        return np.dtype(np.bool_)
    return from_numpy(np.dtype(d)).numpy


def get_default_dtype() -> dtype:
    """The floating dtype of tensors built from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype; only float32 and float64 are allowed."""
    if d is not float32 and d is not float64:
        raise TypeError(f"only float32 and float64 can be the default dtype, got {d}")
    _default[0] = d
