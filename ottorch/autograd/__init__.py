"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes and ``gradcheck``."""

from __future__ import annotations

import numpy as np

from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.autograd.engine import run_backward
from ottorch.autograd.function import Function, Primitive
from ottorch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ottorch.autograd.gradcheck import GradcheckError, gradcheck

__all__ = [
    "Function", "GradcheckError", "Primitive", "backward", "enable_grad", "grad", "gradcheck",
    "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
]


def _as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, Tensor) else list(x)


def _root_grads(outputs: list[Tensor], grad_outputs, create_graph: bool) -> list[np.ndarray]:
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported by ottorch")
    given = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if len(given) != len(outputs):
        raise RuntimeError(f"got {len(given)} gradients for {len(outputs)} outputs")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has shape "
                    f"{list(out.shape)}); pass gradient=..."
                )
            grads.append(np.ones(out._data.shape, dtype=out._data.dtype))
            continue
        arr = np.array(g._data if isinstance(g, Tensor) else g, dtype=out._data.dtype)
        if arr.shape != out._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {list(arr.shape)} and "
                f"output[{i}] has a shape of {list(out.shape)}"
            )
        grads.append(arr)
    return grads


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or ``inputs``)."""
    outputs = _as_list(tensors)
    grads = _root_grads(outputs, grad_tensors, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    only = _as_list(inputs) if inputs is not None else None
    run_backward(outputs, grads, retain, accumulate_only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad`` (PyTorch's ``autograd.grad``)."""
    outs, ins = _as_list(outputs), _as_list(inputs)
    for i, t in enumerate(ins):
        if not t._requires_grad:
            raise RuntimeError(f"input {i} of autograd.grad does not require grad")
    grads = _root_grads(outs, grad_outputs, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    captured = run_backward(outs, grads, retain, capture=ins)
    result = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if materialize_grads:
                g = np.zeros(t._data.shape, dtype=t._data.dtype)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        result.append(None if g is None else _make(np.array(g), False, None))
    return tuple(result)
