"""Global switch for recording the autograd tape: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The flag is process-global rather than thread-local: ottorch parallelises with processes (Ray
workers), and a plain module attribute keeps the per-op check cheap.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


class _State:
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return state.enabled


class _GradModeContext:
    """Base for the grad-mode managers: usable as a context manager and as a decorator."""

    mode: bool

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch name
    """Disable gradient recording inside the block or the decorated function."""

    mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch name
    """Re-enable gradient recording, e.g. inside a ``no_grad`` block."""

    mode = True


inference_mode = no_grad


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch name
    """Set grad mode to ``mode``; takes effect immediately and, used with ``with``, is undone on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: F) -> F:
        state.enabled = self._prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
