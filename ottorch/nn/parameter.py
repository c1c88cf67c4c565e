"""``Parameter``: a tensor that a ``Module`` registers as trainable state."""

from __future__ import annotations

import numpy as np

from ottorch._tensor import Tensor
from ottorch._tensor_base import _make


class Parameter(Tensor):
    """A leaf tensor that ``Module`` lists in ``parameters()``; it requires grad by default.

    ``Parameter(t)`` shares ``t``'s memory. Results of operations on a parameter are plain tensors.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = _make(np.zeros((0,), dtype=np.float32), False, None)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        p = object.__new__(cls)
        p._data = data._data
        p._requires_grad = False
        p._ctx = None
        p.grad = None
        p.requires_grad = requires_grad
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
