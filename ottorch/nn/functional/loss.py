"""Loss functions with PyTorch's ``reduction`` ("mean", "sum", "none"), composed from primitives.

Shapes must agree exactly where PyTorch would silently broadcast (e.g. an ``(N, 1)`` prediction
against an ``(N,)`` target), because that broadcast is almost always a bug.
"""

from __future__ import annotations

import numpy as np

from ottorch._functions import where
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.nn.functional.activation import softplus


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _same_shape(input: Tensor, target: Tensor, name: str) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{name}: input shape {list(input.shape)} and target shape {list(target.shape)} differ; "
            "reshape one of them (e.g. squeeze the prediction) so they match"
        )


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """Quadratic ``0.5 d^2 / beta`` for ``|d| < beta``, linear ``|d| - beta / 2`` beyond."""
    _same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """Quadratic ``0.5 d^2`` for ``|d| <= delta``, linear ``delta (|d| - delta / 2)`` beyond."""
    _same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = (input - target).abs()
    return _reduce(where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _class_last(x: Tensor) -> Tensor:
    """Move the class axis (1) of an (N, C, d1, ...) tensor to the end."""
    if x.ndim <= 2:
        return x
    return x.permute(0, *range(2, x.ndim), 1)


def _check_targets(input: Tensor, target: Tensor, name: str) -> None:  # noqa: A002
    expected = (input.shape[0],) + tuple(input.shape[2:]) if input.ndim >= 2 else ()
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{name}: expected target of shape {list(expected)} for input of shape {list(input.shape)}, "
            f"got {list(target.shape)}"
        )
    if target.is_floating_point():
        raise TypeError(f"{name}: class-index targets must be integers, got {target.dtype}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, ``input`` holding log-probabilities (N, C, ...)."""
    _check_targets(input, target, "nll_loss")
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    t = target._data
    keep = t != ignore_index
    bad = t[keep & ((t < 0) | (t >= n_classes))]
    if bad.size:
        raise IndexError(f"nll_loss: target {int(bad[0])} is out of bounds for {n_classes} classes")
    safe = np.where(keep, t, 0)
    logp = _class_last(input) if input.ndim >= 2 else input.unsqueeze(0)
    picked = logp.gather(-1, _make(safe.reshape(logp.shape[:-1] + (1,)), False, None)).squeeze(-1)
    if input.ndim < 2:
        picked = picked.squeeze(0)
    if weight is None and keep.all():
        return _reduce(-picked, reduction)
    w = np.ones(n_classes, dtype=input._data.dtype) if weight is None else weight._data.astype(input._data.dtype)
    w_t = np.where(keep, w[safe], 0).astype(input._data.dtype)
    loss = -picked * _make(w_t, False, None)
    if reduction == "mean":
        return loss.sum() / float(w_t.sum())
    return _reduce(loss, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,  # noqa: A002
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``(N, C, ...)`` against class indices or class probabilities."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    logp = input.log_softmax(class_dim)
    n_classes = input.shape[class_dim]
    if target.is_floating_point():
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    shape = [1] * input.ndim
    shape[class_dim] = n_classes
    w = None if weight is None else weight.reshape(shape)
    keep = _make(target._data != ignore_index, False, None)
    smooth = -((logp if w is None else logp * w).sum(class_dim))
    smooth = where(keep, smooth, 0.0)
    if reduction == "mean":
        if weight is None:
            denom = float(keep._data.sum())
        else:
            denom = float(weight._data[target._data[keep._data]].sum())
        smooth = smooth.sum() / denom
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _soft_cross_entropy(logp: Tensor, target: Tensor, weight, reduction: str, smoothing: float,
                        class_dim: int) -> Tensor:
    _same_shape(logp, target, "cross_entropy (probability targets)")
    n_classes = logp.shape[class_dim]
    if smoothing:
        target = target * (1 - smoothing) + smoothing / n_classes
    terms = logp * target
    if weight is not None:
        shape = [1] * logp.ndim
        shape[class_dim] = n_classes
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(class_dim)
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities; like PyTorch, each log is clamped at -100 so 0 and 1 stay finite."""
    _same_shape(input, target, "binary_cross_entropy")
    if ((input._data < 0) | (input._data > 1)).any():
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):  # log(0) = -inf is clamped to -100 just below
        loss = -(target * input.log().clamp(min=-100.0) + (1 - target) * (1 - input).log().clamp(min=-100.0))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """BCE of logits in the stable form ``(1 - t) x + (1 + (pw - 1) t) softplus(-x)``."""
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = (1 - target) * input + softplus(-input)
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus(-input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:  # noqa: A002
    """KL divergence with ``input`` as log-probabilities; "batchmean" divides by the batch size."""
    _same_shape(input, target, "kl_div")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = where(target > 0, target * (target.clamp(min=1e-45).log() - input), 0.0)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0]
    return _reduce(loss, reduction)
