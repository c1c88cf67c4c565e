"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.optim.optimizer import Optimizer, _check_unsupported, _decayed_grad

__all__ = ["SGD", "sgd"]


def sgd(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    momentum_buffers: list[np.ndarray | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """One SGD step on numpy arrays, in place (PyTorch's ``torch.optim.sgd`` rule).

    ``momentum_buffers`` is only read when ``momentum != 0``: a ``None`` entry becomes a new buffer
    (a copy of the first gradient, after ``maximize`` and weight decay) written back into the list;
    other buffers are updated in place.
    ``grads`` are never modified.
    """
    for i, param in enumerate(params):
        grad = grads[i]
        # The gradient the rule sees is sign * grad; maximize's negation is folded into the scalars.
        sign = -1.0 if maximize else 1.0
        if weight_decay != 0:
            grad = _decayed_grad(grad, param, weight_decay, maximize)
            sign = 1.0
        if momentum == 0:
            update = np.multiply(grad, -lr * sign)
        else:
            scratch = None
            buf = momentum_buffers[i]
            if buf is None:
                # PyTorch's clone of the gradient; a decayed gradient is a new array already.
                if weight_decay != 0:
                    buf = grad
                else:
                    buf = np.negative(grad) if maximize else grad.copy()
                momentum_buffers[i] = buf
            else:
                np.multiply(buf, momentum, out=buf)
                if dampening == 0:
                    (np.add if sign > 0 else np.subtract)(buf, grad, out=buf)
                else:
                    scratch = np.multiply(grad, sign * (1 - dampening))
                    np.add(buf, scratch, out=buf)
            if nesterov:
                update = np.multiply(buf, momentum, out=scratch)
                (np.add if sign > 0 else np.subtract)(update, grad, out=update)
                np.multiply(update, -lr, out=update)
            else:
                update = np.multiply(buf, -lr, out=scratch)
        np.add(param, update, out=param)


def _array_or_none(t: Tensor | None) -> np.ndarray | None:
    return None if t is None else t._data


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), like ``torch.optim.SGD``.

    With momentum ``mu`` and dampening ``tau`` the buffer is ``b = g`` on the first step and
    ``b = mu * b + (1 - tau) * g`` afterwards; the update is ``p -= lr * b`` (or ``lr * (g + mu * b)``
    with ``nesterov``). ``weight_decay`` adds ``weight_decay * p`` to the gradient first.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_unsupported(differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            with_grad = [p for p in group["params"] if p.grad is not None]
            momentum = group["momentum"]
            if momentum != 0:
                states = [self.state[p] for p in with_grad]
                bufs = [_array_or_none(s.get("momentum_buffer")) for s in states]
            else:
                bufs = []
            sgd(
                [p._data for p in with_grad],
                [p.grad._data for p in with_grad],
                bufs,
                lr=group["lr"],
                momentum=momentum,
                dampening=group["dampening"],
                weight_decay=group["weight_decay"],
                nesterov=group["nesterov"],
                maximize=group["maximize"],
            )
            if momentum != 0:
                for s, buf in zip(states, bufs):
                    if s.get("momentum_buffer") is None:
                        s["momentum_buffer"] = _make(buf, False, None)
        return loss
