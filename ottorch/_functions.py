"""Module-level tensor functions (``ottorch.cat``, ``ottorch.where``, ``ottorch.exp``, ...)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ottorch import _dtype, ops
from ottorch._tensor import Tensor
from ottorch._tensor_base import _axis, _can_cast, _make, _promote, _promote_types, result_dtype

__all__ = [
    "avg_pool2d",
    "broadcast_tensors",
    "can_cast",
    "cat",
    "clone",
    "concat",
    "concatenate",
    "conv2d",
    "hstack",
    "is_tensor",
    "max_pool2d",
    "numel",
    "promote_types",
    "result_type",
    "stack",
    "vstack",
    "where",
]


def where(condition: Tensor, input=None, other=None) -> Tensor:  # noqa: A002 - PyTorch name
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (either or both may be
    scalars), in their promoted dtype.

    With only ``condition``, returns the tuple of index tensors of its nonzero elements.
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(_make(i.astype(np.int64), False, None) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: expected a bool condition, got dtype {cond.dtype}")
    dt, (a, b) = _promote(input, other)
    out = ops.Where.apply(cond, a, b)
    # Between two Python scalars numpy picks its own dtype (float64 for floats).
    return out if out._data.dtype == dt else out.type(dt)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension; all other dimensions must match."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    ref = tensors[0]
    axis = _axis(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim or any(
            a != b for k, (a, b) in enumerate(zip(t.shape, ref.shape)) if k != axis
        ):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}; tensor 0 has shape "
                f"{list(ref.shape)} and tensor {i} has shape {list(t.shape)}"
            )
    _, tensors = _promote(*tensors)
    return ops.Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
    d = _axis(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], dim=d)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat(tensors, dim=0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], dim=0)


def broadcast_tensors(*tensors: Tensor) -> tuple:
    shape = np.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def result_type(tensor, other) -> _dtype.dtype:
    """The dtype of an elementwise op on two tensors or scalars, by PyTorch's promotion rule:
    dimensioned tensors outrank 0-d tensors, which outrank Python scalars, and a lower-ranked operand
    decides only when its category (bool < integer < floating) is higher."""
    return _dtype.from_numpy(result_dtype(tensor, other))


def promote_types(type1: _dtype.dtype, type2: _dtype.dtype) -> _dtype.dtype:
    """The smallest dtype both convert to without leaving their category (int32 and float16 give
    float16, uint8 and int8 give int16)."""
    return _dtype.from_numpy(_promote_types(type1.numpy, type2.numpy))


def can_cast(from_: _dtype.dtype, to: _dtype.dtype) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (not floating to integer or bool,
    nor integer to bool)."""
    return _can_cast(from_.numpy, to.numpy)


def numel(t: Tensor) -> int:
    return t.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def clone(t: Tensor) -> Tensor:
    return t.clone()


def _pair(v, name: str, op: str) -> tuple[int, int]:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or not all(isinstance(x, int) for x in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    return pair


def _check_image(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D input (N, C, H, W), got shape {list(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{op}: unsupported dtype {x.dtype}; expected a floating-point tensor")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,  # noqa: A002
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of ``input (N, C, H, W)`` with ``weight (O, C/groups, KH, KW)``."""
    _check_image(input, "conv2d")
    stride, dilation = _pair(stride, "stride", "conv2d"), _pair(dilation, "dilation", "conv2d")
    padding = _pair(padding, "padding", "conv2d")
    c = input.shape[1]
    if weight.ndim != 4 or c != weight.shape[1] * groups or weight.shape[0] % groups:
        raise RuntimeError(
            f"conv2d: input {list(input.shape)} and weight {list(weight.shape)} do not fit "
            f"(expected weight (O, {c}/{groups}, KH, KW) with O divisible by groups={groups})"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"conv2d: bias shape {list(bias.shape)} should be [{weight.shape[0]}]")
    for axis, k, p, d in ((2, weight.shape[2], padding[0], dilation[0]), (3, weight.shape[3], padding[1], dilation[1])):
        if input.shape[axis] + 2 * p < d * (k - 1) + 1:
            raise RuntimeError(
                f"conv2d: kernel {list(weight.shape[2:])} is larger than the padded input "
                f"{list(input.shape[2:])} (padding {list(padding)})"
            )
    if input._data.dtype != weight._data.dtype:
        raise TypeError(f"conv2d: input dtype {input.dtype} and weight dtype {weight.dtype} differ")
    return ops.Conv2d.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _pool_args(op, kernel_size, stride, padding, dilation=1):
    k = _pair(kernel_size, "kernel_size", op)
    s = k if stride is None or stride == [] else _pair(stride, "stride", op)
    p = _pair(padding, "padding", op)
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise RuntimeError(f"{op}: padding {list(p)} should be at most half of kernel size {list(k)}")
    return k, s, p, _pair(dilation, "dilation", op)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False) -> Tensor:
    """Max over ``kernel_size`` windows of ``input (N, C, H, W)``; ``stride`` defaults to the kernel."""
    _check_image(input, "max_pool2d")
    k, s, p, d = _pool_args("max_pool2d", kernel_size, stride, padding, dilation)
    return ops.MaxPool2d.apply(input, kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,  # noqa: A002
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over ``kernel_size`` windows of ``input (N, C, H, W)``; ``stride`` defaults to the kernel."""
    _check_image(input, "avg_pool2d")
    k, s, p, _ = _pool_args("avg_pool2d", kernel_size, stride, padding)
    return ops.AvgPool2d.apply(input, kernel=k, stride=s, padding=p, ceil_mode=ceil_mode,
                               count_include_pad=count_include_pad, divisor_override=divisor_override)
