"""``Data``: what the loaders return, features and targets as tensors plus their names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ottorch._tensor import Tensor


@dataclass(frozen=True)
class Data:
    """A data set in memory. Unpacks as ``x, y = load_iris()``."""

    x: Tensor
    y: Tensor
    feature_names: tuple[str, ...] = field(default=())
    target_names: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[Tensor]:
        return iter((self.x, self.y))

    def __len__(self) -> int:
        return len(self.x)
