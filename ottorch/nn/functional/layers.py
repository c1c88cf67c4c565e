"""Functional forms of the layers: linear, dropout, normalisation, embedding, padding, pooling."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ottorch import ops
from ottorch._functions import avg_pool2d, where
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.autograd.grad_mode import no_grad
from ottorch.random import as_numpy_generator


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` for ``input (*, in_features)`` and ``weight (out_features, in_features)``."""
    if input.ndim == 0 or weight.ndim != 2 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {list(input.shape)} does not fit weight of shape {list(weight.shape)} "
            f"(expected input (*, {weight.shape[1] if weight.ndim == 2 else '?'}))"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear: bias shape {list(bias.shape)} should be [{weight.shape[0]}]")
    if input._data.dtype != weight._data.dtype:
        raise TypeError(
            f"linear: input dtype {input.dtype} and weight dtype {weight.dtype} differ "
            "(convert the input with .float() or the model with .double())"
        )
    return ops.Linear.apply(input, weight, bias)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
            generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        rng = as_numpy_generator(generator)
        keep = (rng.random(input.shape) >= p).astype(input._data.dtype) / np.asarray(1 - p, input._data.dtype)
        out = input * _make(keep, False, None)
    return input.copy_(out) if inplace else out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over every axis except the channel axis 1 of ``(N, C, *)`` input.

    In training the batch statistics are used and the running ones updated in place with
    ``momentum`` (the running variance uses the unbiased estimate, as in PyTorch).
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got shape {list(input.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {list(input.shape)}"
            )
        mean = input.mean(axes, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                running_mean.mul_(1 - m).add_(mean.detach().reshape(-1) * m)
                running_var.mul_(1 - m).add_(var.detach().reshape(-1) * (m * n / (n - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
        centred = input - mean
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes (biased variance, as in PyTorch)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[-k:]) != normalized_shape:
        raise RuntimeError(
            f"layer_norm: input shape {list(input.shape)} does not end with normalized_shape {list(normalized_shape)}"
        )
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(axes, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(axes, keepdim=True)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Rows of ``weight`` picked by the integer ``input``; the ``padding_idx`` row gets no gradient."""
    if input.is_floating_point():
        raise TypeError(f"embedding: indices must be integers, got {input.dtype}")
    idx = input._data
    if idx.size and (idx.min() < -weight.shape[0] or idx.max() >= weight.shape[0]):
        raise IndexError(f"embedding: index {int(idx.max())} is out of range for {weight.shape[0]} embeddings")
    if padding_idx is not None:
        row = np.zeros((weight.shape[0], 1), dtype=bool)
        row[padding_idx] = True
        weight = where(_make(row, False, None), weight.detach(), weight)
    return weight[idx]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices to an int64 one-hot tensor with a trailing class axis."""
    if tensor.is_floating_point():
        raise TypeError(f"one_hot is only applicable to index tensors, got {tensor.dtype}")
    idx = tensor._data
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise RuntimeError(f"one_hot: class values must be in [0, {n}), got range [{idx.min()}, {idx.max()}]")
    return _make((idx[..., None] == np.arange(n)).astype(np.int64), False, None)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` axes; ``pad`` lists (before, after) pairs starting from the last axis."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} must be even and at most 2 * {input.ndim}")
    width = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        width[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(b < 0 or a < 0 for b, a in width):
        raise NotImplementedError("pad: negative padding (cropping) is not supported")
    return ops.Pad.apply(input, pad_width=tuple(width), value=value)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """Divide by the ``p``-norm along ``dim`` (at least ``eps``)."""
    return input / input.norm(p, dim=dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    return (x1 * x2).sum(dim) / (x1.norm(dim=dim) * x2.norm(dim=dim)).clamp(min=eps)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:  # noqa: A002
    """Average pooling to a fixed output size; the input size must be a multiple of it."""
    out = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    h, w = input.shape[-2:]
    out = (out[0] or h, out[1] or w)
    if h % out[0] or w % out[1]:
        raise NotImplementedError(
            f"adaptive_avg_pool2d: input size {(h, w)} must be a multiple of the output size {out}"
        )
    k = (h // out[0], w // out[1])
    return avg_pool2d(input, k, k)
