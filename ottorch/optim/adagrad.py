"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ottorch._tensor_base import _make
from ottorch.optim.optimizer import Optimizer, _check_unsupported, _decayed_grad, _next_step, _step_tensor

__all__ = ["Adagrad", "adagrad"]


def adagrad(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    state_sums: list[np.ndarray],
    steps: list,
    *,
    lr: float,
    weight_decay: float,
    lr_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step on numpy arrays, in place (PyTorch's ``torch.optim.adagrad`` rule).

    ``state_sums`` are updated in place; ``steps`` counts steps like in ``adam`` (a 0-d array is
    incremented in place, a number replaced). ``grads`` are never modified.
    """
    for i, param in enumerate(params):
        step = _next_step(steps, i)
        grad = grads[i]
        # The gradient the rule sees is sign * grad; maximize's negation is folded into the scalars.
        sign = -1.0 if maximize else 1.0
        if weight_decay != 0:
            grad = _decayed_grad(grad, param, weight_decay, maximize)
            sign = 1.0
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum = state_sums[i]
        # ``std`` is the scratch array: grad**2 first, then PyTorch's ``std``, then the update.
        std = np.multiply(grad, grad)
        np.add(state_sum, std, out=state_sum)
        np.sqrt(state_sum, out=std)
        np.add(std, eps, out=std)
        # PyTorch's param.addcdiv_(grad, std, value=-clr), with the quotient formed first in the scratch.
        np.divide(grad, std, out=std)
        np.multiply(std, -clr * sign, out=std)
        np.add(param, std, out=param)


class Adagrad(Optimizer):
    """Adagrad, like ``torch.optim.Adagrad``.

    State per parameter (created when the parameter is added, as PyTorch does): ``step`` and ``sum``, the
    accumulated squared gradients starting at ``initial_accumulator_value``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_unsupported(differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters to optimize and create their state."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            state = self.state[p]
            state["step"] = _step_tensor()
            state["sum"] = _make(np.full_like(p._data, group["initial_accumulator_value"]), False, None)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, grads, state_sums, steps = [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                params.append(p._data)
                grads.append(p.grad._data)
                state_sums.append(state["sum"]._data)
                steps.append(state["step"]._data)
            adagrad(
                params,
                grads,
                state_sums,
                steps,
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                lr_decay=group["lr_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
            )
        return loss
