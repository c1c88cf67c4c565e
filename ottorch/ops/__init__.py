"""ottorch's primitive ops: the only code with backward rules. Everything else composes them."""

from ottorch.ops.elementwise import (
    Abs,
    Add,
    Addcmul,
    Cast,
    Ceil,
    Clamp,
    Cos,
    Div,
    Erf,
    Exp,
    Floor,
    FloorDivide,
    Heaviside,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Remainder,
    Round,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from ottorch.ops.linalg import Linear, Matmul
from ottorch.ops.movement import Cat, Expand, Flip, Gather, GetItem, IndexPut, Pad, Permute, Reshape
from ottorch.ops.nn import AvgPool2d, Conv2d, LogSoftmax, MaxPool2d, Softmax
from ottorch.ops.reduction import Amax, Amin, Mean, Prod, Sum

__all__ = [
    "Abs", "Add", "Addcmul", "Amax", "Amin", "AvgPool2d", "Cast", "Cat", "Ceil", "Clamp", "Conv2d", "Cos",
    "Div", "Erf", "Exp", "Expand", "Flip", "Floor", "FloorDivide", "Gather", "GetItem",
    "Heaviside", "IndexPut", "Linear", "Log", "Log1p", "LogSoftmax", "Matmul", "MaxPool2d",
    "Maximum", "Mean", "Minimum", "Mul", "Neg", "Pad", "Permute", "Pow", "Prod", "Relu", "Remainder",
    "Reshape", "Round", "Sigmoid", "Sign", "Sin", "Softmax", "Sqrt", "Sub", "Sum", "Tanh", "Where",
]
