"""Activation functions, all composed from primitive ops (no backward code here)."""

from __future__ import annotations

import math

from ottorch._functions import where
from ottorch._tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch argument names
    return input.relu_() if inplace else input.relu()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    out = where(input > 0, input, input * negative_slope)
    return input.copy_(out) if inplace else out


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    # exp() of the clamped input, so large positive values never overflow in the unused branch.
    out = where(input > 0, input, alpha * (input.clamp(max=0.0).exp() - 1))
    return input.copy_(out) if inplace else out


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    out = _SELU_SCALE * elu(input, _SELU_ALPHA)
    return input.copy_(out) if inplace else out


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """``x * Phi(x)`` with the exact normal CDF (``approximate="none"``) or the tanh approximation."""
    if approximate == "none":
        return 0.5 * input * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    out = input * input.sigmoid()
    return input.copy_(out) if inplace else out


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    out = (input / 6.0 + 0.5).clamp(0.0, 1.0)
    return input.copy_(out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold`` (PyTorch's rule)."""
    scaled = input * beta
    # log1p(exp(-|z|)) + max(z, 0) is the overflow-free form of log(1 + exp(z)).
    smooth = ((-scaled.abs()).exp().log1p() + scaled.relu()) / beta
    return where(scaled > threshold, input, smooth)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    return input / (1 + input.abs())


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return -softplus(-input)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    x = input if dtype is None else input.type(dtype)
    return x.softmax(_default_dim(x, dim))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    x = input if dtype is None else input.type(dtype)
    return x.log_softmax(_default_dim(x, dim))


def softmin(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    return softmax(-input, dim, dtype)


def _default_dim(x: Tensor, dim: int | None) -> int:
    """PyTorch's legacy choice when ``dim`` is omitted: 0 for 0-, 1- and 3-D inputs, else 1."""
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1


def heaviside_step(input: Tensor) -> Tensor:  # noqa: A002
    """1 where ``input > 0`` else 0, with zero gradient (only_torch's ``step``)."""
    return input.heaviside_step()


def sign(input: Tensor) -> Tensor:  # noqa: A002
    """-1, 0 or 1 by the sign of ``input``, with zero gradient."""
    return input.sign()
