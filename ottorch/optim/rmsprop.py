"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ottorch.optim.optimizer import (
    Optimizer,
    _add_scaled,
    _addcmul,
    _check_unsupported,
    _lerp,
    _next_step,
    _step_tensor,
    _zeros_state,
)

__all__ = ["RMSprop", "rmsprop"]


def rmsprop(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    square_avgs: list[np.ndarray],
    grad_avgs: list[np.ndarray],
    momentum_buffers: list[np.ndarray],
    steps: list,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step on numpy arrays, in place (PyTorch's ``torch.optim.rmsprop`` rule).

    ``grad_avgs`` is read only when ``centered`` and ``momentum_buffers`` only when ``momentum > 0``
    (pass empty lists otherwise); all state arrays are updated in place. ``steps`` counts steps like
    in ``adam`` (a 0-d array is incremented in place, a number replaced). ``grads`` are never modified.
    """
    for i, param in enumerate(params):
        grad = grads[i]
        if maximize:
            grad = np.negative(grad)
        _next_step(steps, i)
        if weight_decay != 0:
            grad = _add_scaled(grad, param, weight_decay)
        square_avg = square_avgs[i]
        np.multiply(square_avg, alpha, out=square_avg)
        _addcmul(square_avg, grad, grad, 1 - alpha, out=square_avg)
        if centered:
            grad_avg = grad_avgs[i]
            _lerp(grad_avg, grad, 1 - alpha)
            avg = _addcmul(square_avg, grad_avg, grad_avg, -1)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        np.add(avg, eps, out=avg)
        if momentum > 0:
            buf = momentum_buffers[i]
            np.multiply(buf, momentum, out=buf)
            np.add(buf, np.divide(grad, avg), out=buf)
            _add_scaled(param, buf, -lr, out=param)
        else:
            update = np.multiply(grad, -lr)
            np.divide(update, avg, out=update)
            np.add(param, update, out=param)


class RMSprop(Optimizer):
    """RMSprop, like ``torch.optim.RMSprop``.

    State per parameter: ``step``, ``square_avg``, plus ``momentum_buffer`` when ``momentum > 0`` and
    ``grad_avg`` when ``centered``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            params, grads, square_avgs, grad_avgs, bufs, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_state(p)
                    if centered:
                        state["grad_avg"] = _zeros_state(p)
                params.append(p._data)
                grads.append(p.grad._data)
                square_avgs.append(state["square_avg"]._data)
                steps.append(state["step"]._data)
                if momentum > 0:
                    bufs.append(state["momentum_buffer"]._data)
                if centered:
                    grad_avgs.append(state["grad_avg"]._data)
            rmsprop(
                params,
                grads,
                square_avgs,
                grad_avgs,
                bufs,
                steps,
                lr=group["lr"],
                alpha=group["alpha"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum=momentum,
                centered=centered,
                maximize=group["maximize"],
            )
        return loss
