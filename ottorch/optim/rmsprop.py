"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ottorch.optim.optimizer import (
    Optimizer,
    _check_unsupported,
    _decayed_grad,
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
        # The gradient the rule sees is sign * grad; maximize's negation is folded into the scalars.
        sign = -1.0 if maximize else 1.0
        _next_step(steps, i)
        if weight_decay != 0:
            grad = _decayed_grad(grad, param, weight_decay, maximize)
            sign = 1.0
        square_avg = square_avgs[i]
        # square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha); the sign squares away. ``avg`` is
        # the scratch array: this product first, then PyTorch's ``avg``, then the update.
        avg = np.multiply(grad, 1 - alpha)
        np.multiply(avg, grad, out=avg)
        np.multiply(square_avg, alpha, out=square_avg)
        np.add(square_avg, avg, out=square_avg)
        if centered:
            grad_avg = grad_avgs[i]
            _lerp(grad_avg, grad, 1 - alpha, sign, avg)
            np.multiply(grad_avg, grad_avg, out=avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        np.add(avg, eps, out=avg)
        # grad / avg (PyTorch's addcdiv) is formed in the scratch array, before any scalar factor.
        np.divide(grad, avg, out=avg)
        if momentum > 0:
            buf = momentum_buffers[i]
            np.multiply(buf, momentum, out=buf)
            (np.add if sign > 0 else np.subtract)(buf, avg, out=buf)
            np.multiply(buf, -lr, out=avg)
        else:
            np.multiply(avg, -lr * sign, out=avg)
        np.add(param, avg, out=param)


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
