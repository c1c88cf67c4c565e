"""Functions that are the Tensor methods of the same name: PyTorch offers ``torch.exp(x)`` as well
as ``x.exp()``. This module holds only these bindings, because several of them shadow builtins."""

from ottorch._tensor import Tensor

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "bmm",
    "ceil",
    "chunk",
    "clamp",
    "clip",
    "cos",
    "div",
    "divide",
    "dot",
    "eq",
    "equal",
    "erf",
    "exp",
    "expm1",
    "flatten",
    "flip",
    "floor",
    "floor_divide",
    "fmod",
    "gather",
    "ge",
    "gt",
    "index_select",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "lerp",
    "log",
    "log10",
    "log1p",
    "log2",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logsumexp",
    "lt",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "multiply",
    "mv",
    "narrow",
    "ne",
    "neg",
    "negative",
    "norm",
    "outer",
    "permute",
    "pow",
    "prod",
    "reciprocal",
    "relu",
    "remainder",
    "reshape",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "std",
    "sub",
    "subtract",
    "sum",
    "swapaxes",
    "t",
    "tan",
    "tanh",
    "tile",
    "transpose",
    "true_divide",
    "trunc",
    "unbind",
    "unflatten",
    "unsqueeze",
    "var",
]

add, sub, mul, div, pow = Tensor.add, Tensor.sub, Tensor.mul, Tensor.div, Tensor.pow  # noqa: A001
subtract, multiply, divide, true_divide = Tensor.sub, Tensor.mul, Tensor.div, Tensor.div
floor_divide, remainder, fmod, neg, negative = (
    Tensor.floor_divide, Tensor.remainder, Tensor.fmod, Tensor.neg, Tensor.neg,
)
matmul, mm, bmm, mv, dot, outer = Tensor.matmul, Tensor.mm, Tensor.bmm, Tensor.mv, Tensor.dot, Tensor.outer
exp, log, log1p, log2, log10, expm1 = Tensor.exp, Tensor.log, Tensor.log1p, Tensor.log2, Tensor.log10, Tensor.expm1
sqrt, rsqrt, square, reciprocal = Tensor.sqrt, Tensor.rsqrt, Tensor.square, Tensor.reciprocal
sin, cos, tan, tanh, sigmoid, relu, erf = (
    Tensor.sin, Tensor.cos, Tensor.tan, Tensor.tanh, Tensor.sigmoid, Tensor.relu, Tensor.erf,
)
abs, absolute, sign, floor, ceil, round, trunc = (  # noqa: A001 - PyTorch names
    Tensor.abs, Tensor.abs, Tensor.sign, Tensor.floor, Tensor.ceil, Tensor.round, Tensor.trunc,
)
clamp, clip, maximum, minimum, lerp = Tensor.clamp, Tensor.clamp, Tensor.maximum, Tensor.minimum, Tensor.lerp
masked_fill = Tensor.masked_fill
sum, mean, prod, max, min = Tensor.sum, Tensor.mean, Tensor.prod, Tensor.max, Tensor.min  # noqa: A001
amax, amin, argmax, argmin = Tensor.amax, Tensor.amin, Tensor.argmax, Tensor.argmin
std, var, logsumexp, norm = Tensor.std, Tensor.var, Tensor.logsumexp, Tensor.norm
all, any = Tensor.all, Tensor.any  # noqa: A001
softmax, log_softmax = Tensor.softmax, Tensor.log_softmax
reshape, flatten, unflatten, squeeze, unsqueeze = (
    Tensor.reshape, Tensor.flatten, Tensor.unflatten, Tensor.squeeze, Tensor.unsqueeze,
)
transpose, swapaxes, permute, t = Tensor.transpose, Tensor.transpose, Tensor.permute, Tensor.t
split, chunk, unbind, narrow, flip = Tensor.split, Tensor.chunk, Tensor.unbind, Tensor.narrow, Tensor.flip
gather, index_select, tile = Tensor.gather, Tensor.index_select, Tensor.tile
eq, ne, lt, le, gt, ge, equal, allclose = (
    Tensor.eq, Tensor.ne, Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge, Tensor.equal, Tensor.allclose,
)
isnan, isinf, isfinite = Tensor.isnan, Tensor.isinf, Tensor.isfinite
logical_not, logical_and, logical_or = Tensor.logical_not, Tensor.logical_and, Tensor.logical_or
