"""Labels for recorded graph nodes, read by the visualiser (``ottorch.viz``).

``with step_scope(t):`` tags every node recorded inside with ``ctx.step = t``, so recurrent layers
can mark their unrolled time steps and a drawing can fold them into one step annotated "xT".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class _ScopeState:
    step: int | None = None


state = _ScopeState()


@contextmanager
def step_scope(step: int) -> Iterator[None]:
    """Tag nodes recorded in the block as belonging to unrolled time step ``step``."""
    prev = state.step
    state.step = step
    try:
        yield
    finally:
        state.step = prev
