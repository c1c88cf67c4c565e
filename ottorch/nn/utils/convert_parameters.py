"""Flatten parameters into one vector and back."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ottorch._functions import cat
from ottorch._tensor import Tensor
from ottorch.autograd.grad_mode import no_grad


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters, flattened and concatenated (differentiable, like PyTorch)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, outside the graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {list(vec.shape)} but the parameters hold {total} values"
        )
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            np.copyto(p._data, vec._data[offset : offset + n].reshape(p._data.shape), casting="unsafe")
            offset += n
