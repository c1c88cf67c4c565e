"""``Dropout``."""

from __future__ import annotations

from ottorch._tensor import Tensor
from ottorch.nn import functional as F
from ottorch.nn.modules.module import Module


class Dropout(Module):
    """Zero elements with probability ``p`` in training mode and rescale by ``1 / (1 - p)``;
    the identity in eval mode. ``generator`` (ottorch or numpy) makes the masks reproducible."""

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
