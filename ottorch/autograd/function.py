"""The recorded op: ``Primitive`` (numpy-level, used by ottorch's own ops) and ``Function`` (public).

A primitive is a class with ``forward(ctx, *arrays, **params) -> array`` and
``backward(ctx, grad) -> grad or tuple of grads`` written next to each other. ``apply`` runs the
forward on the inputs' numpy arrays and, when grad mode is on and an input requires grad, returns a
tensor whose ``grad_fn`` is the ``ctx`` instance: the ctx *is* the tape node. Backward rules may
return gradients in the broadcast output shape; the engine reduces them to each input's shape.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from ottorch._tensor_base import TensorBase, _make
from ottorch.autograd.grad_mode import state as _grad_state
from ottorch.autograd.graph import state as _scope_state

if TYPE_CHECKING:
    from ottorch._tensor import Tensor

_FREED = object()
# Creation order of recorded nodes; the engine processes the newest first (see engine.py).
_next_seq = itertools.count().__next__


class Primitive:
    """Base of every differentiable numpy-level op; the instance doubles as the graph node."""

    #: Set on a node by ``Tensor.retain_grad()``: a weakref to the output whose grad is kept.
    retained = None
    #: Unrolled time step the node was recorded in (see ``autograd.graph.step_scope``), else None.
    step = None
    #: Inputs (tensors or Python scalars) of the recorded call, in ``apply`` order.
    parents: tuple = ()
    needs_input_grad: list | tuple = ()
    #: Creation order among recorded nodes (set by ``apply``).
    seq: int = 0
    _saved: tuple | object = ()

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        """Run ``forward`` on the inputs' arrays and record the node when a gradient is needed."""
        ctx = cls()
        arrays = []
        flags = []
        for x in inputs:
            if isinstance(x, TensorBase):
                arrays.append(x._data)
                flags.append(x._requires_grad)
            else:
                arrays.append(x)
                flags.append(False)
        out = cls.forward(ctx, *arrays, **params)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if True in flags and _grad_state.enabled:
            ctx.parents = inputs
            ctx.needs_input_grad = flags
            ctx.seq = _next_seq()
            if _scope_state.step is not None:
                ctx.step = _scope_state.step
            return _make(out, True, ctx)
        return _make(out, False, None)

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for ``backward``; they are freed after backward unless ``retain_graph``."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is _FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or to use the saved values "
                f"of {self.name()} after they were freed). Pass retain_graph=True to the first "
                f"backward() if you need to backward through the graph again."
            )
        return self._saved

    def release(self) -> None:
        """Drop the saved arrays (called by the engine after backward without retain_graph)."""
        if self._saved != ():
            self._saved = _FREED

    def vjp(self, grad: np.ndarray) -> tuple:
        """Gradients w.r.t. every input for the output gradient ``grad`` (a tuple, one per input)."""
        out = type(self).backward(self, grad)
        return out if type(out) is tuple else (out,)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @property
    def next_functions(self) -> tuple:
        """``(node, 0)`` for each input, ``None`` for inputs without a graph (PyTorch layout)."""
        return tuple(
            (p._ctx, 0) if isinstance(p, TensorBase) and p._ctx is not None else (None, 0)
            for p in self.parents
        )

    def __repr__(self) -> str:
        return f"<{self.name()}Backward0>"


class Function(Primitive):
    """Base for user-defined differentiable operations with Tensor-level ``forward``/``backward``.

    Subclass it and write ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx,
    *grad_outputs)`` exactly as in PyTorch; call it with ``MyFunction.apply(*args)``. Inside both
    methods gradients are not recorded. ``ctx.save_for_backward`` keeps tensors for backward.
    """

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        from ottorch.autograd.grad_mode import no_grad

        ctx = cls()
        with no_grad():
            out = cls.forward(ctx, *inputs, **params)
        if not isinstance(out, TensorBase):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}")
        needs = any(isinstance(x, TensorBase) and x._requires_grad for x in inputs)
        if needs and _grad_state.enabled:
            ctx.parents = inputs
            ctx.needs_input_grad = tuple(isinstance(x, TensorBase) and x._requires_grad for x in inputs)
            ctx.seq = _next_seq()
            return _make(out._data, True, ctx)
        return _make(out._data, False, None)

    def vjp(self, grad: np.ndarray) -> tuple:
        from ottorch.autograd.grad_mode import no_grad

        with no_grad():
            out = type(self).backward(self, _make(grad, False, None))
        out = out if type(out) is tuple else (out,)
        if len(out) != len(self.parents):
            raise RuntimeError(
                f"{self.name()}.backward returned {len(out)} gradients but forward took "
                f"{len(self.parents)} inputs"
            )
        return tuple(None if g is None else (g._data if isinstance(g, TensorBase) else np.asarray(g)) for g in out)

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError("subclasses of Function must implement backward")
