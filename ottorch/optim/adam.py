"""Adam and AdamW (Adam with decoupled weight decay), with the AMSGrad variant."""

from __future__ import annotations

import functools
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

__all__ = ["Adam", "AdamW", "adam", "adamw"]


def adam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray],
    max_exp_avg_sqs: list[np.ndarray],
    steps: list,
    *,
    amsgrad: bool,
    beta1: float,
    beta2: float,
    lr: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
    decoupled_weight_decay: bool = False,
) -> None:
    """One Adam step on numpy arrays, in place (PyTorch's ``torch.optim.adam`` rule).

    ``exp_avgs``, ``exp_avg_sqs`` (and ``max_exp_avg_sqs``, read only with ``amsgrad``) are updated in
    place. ``steps`` holds the step count of each parameter before this step: a 0-d array is
    incremented in place, a number is replaced by its successor in the list. ``grads`` are never
    modified. ``decoupled_weight_decay`` gives AdamW (``p *= 1 - lr * weight_decay``) instead of adding
    ``weight_decay * p`` to the gradient.
    """
    for i, param in enumerate(params):
        grad = grads[i]
        # The gradient the rule sees is sign * grad; maximize's negation is folded into the scalars.
        sign = -1.0 if maximize else 1.0
        step = _next_step(steps, i)
        if weight_decay != 0:
            if decoupled_weight_decay:
                np.multiply(param, 1 - lr * weight_decay, out=param)
            else:
                grad = _decayed_grad(grad, param, weight_decay, maximize)
                sign = 1.0
        exp_avg, exp_avg_sq = exp_avgs[i], exp_avg_sqs[i]
        scratch = _lerp(exp_avg, grad, 1 - beta1, sign, None)
        # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2); the sign squares away.
        np.multiply(grad, 1 - beta2, out=scratch)
        np.multiply(scratch, grad, out=scratch)
        np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
        np.add(exp_avg_sq, scratch, out=exp_avg_sq)

        # PyTorch's param -= lr / bc1 * exp_avg / (sqrt(v) / sqrt(bc2) + eps), with both bias corrections
        # moved into two scalars: -lr * sqrt(bc2) / bc1 * exp_avg / (sqrt(v) + eps * sqrt(bc2)).
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if amsgrad:
            second = max_exp_avg_sqs[i]
            np.maximum(second, exp_avg_sq, out=second)
        else:
            second = exp_avg_sq
        np.sqrt(second, out=scratch)
        np.add(scratch, eps * bias_correction2_sqrt, out=scratch)
        np.divide(exp_avg, scratch, out=scratch)
        np.multiply(scratch, -lr * bias_correction2_sqrt / (1 - beta1**step), out=scratch)
        np.add(param, scratch, out=param)


#: One AdamW step on numpy arrays, in place: ``adam`` with decoupled weight decay.
adamw = functools.partial(adam, decoupled_weight_decay=True)


class Adam(Optimizer):
    """Adam, like ``torch.optim.Adam``.

    State per parameter: ``step`` (0-d float tensor), ``exp_avg``, ``exp_avg_sq`` and, with
    ``amsgrad``, ``max_exp_avg_sq`` (tensors of the parameter's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_unsupported(capturable=capturable, differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "betas": (float(betas[0]), float(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            amsgrad = group["amsgrad"]
            params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_state(p)
                    state["exp_avg_sq"] = _zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_state(p)
                params.append(p._data)
                grads.append(p.grad._data)
                exp_avgs.append(state["exp_avg"]._data)
                exp_avg_sqs.append(state["exp_avg_sq"]._data)
                if amsgrad:
                    max_exp_avg_sqs.append(state["max_exp_avg_sq"]._data)
                steps.append(state["step"]._data)
            beta1, beta2 = group["betas"]
            adam(
                params,
                grads,
                exp_avgs,
                exp_avg_sqs,
                max_exp_avg_sqs,
                steps,
                amsgrad=amsgrad,
                beta1=beta1,
                beta2=beta2,
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
            )
        return loss


class AdamW(Adam):
    """AdamW, like ``torch.optim.AdamW``: Adam whose weight decay multiplies the parameters by
    ``1 - lr * weight_decay`` instead of entering the moment estimates."""

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
