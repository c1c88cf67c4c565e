"""Reverse-mode engine: one pass of VJPs over the tape, newest node first.

Broadcasting is undone here, in one place: a rule may return its gradient in the (broadcast) output
shape and ``sum_to_shape`` reduces it to the input's shape. Leaf gradients accumulate in ``.grad``.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import numpy as np

from ottorch._tensor_base import TensorBase, _make

if TYPE_CHECKING:
    from ottorch._tensor import Tensor


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched so it has ``shape``."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


class SliceGrad:
    """A gradient that is zero outside ``[index]``, a basic (view) index of an array of ``shape``.

    ``GetItem``'s backward returns one instead of scattering ``values`` into a zero array: the
    engine adds it into the gradient already accumulated for that input (a slice add), and makes it
    dense only when it is the only gradient the input receives. A step of a recurrent layer reads
    its gates and its input rows as slices, so most of its gradients arrive this way.
    """

    __slots__ = ("shape", "dtype", "index", "values")

    def __init__(self, shape: tuple, index, values: np.ndarray) -> None:
        self.shape, self.dtype, self.index, self.values = shape, values.dtype, index, values

    def dense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.dtype)
        out[self.index] = self.values
        return out


def _sum_grads(acc, pg, owned: bool) -> np.ndarray:
    """``acc + pg`` for a node's accumulated gradient ``acc`` and a new one ``pg``, either of
    which may be a ``SliceGrad``. ``acc`` is updated in place when ``owned`` (the engine made it,
    so no rule's output shares its memory); the result is always an array the engine owns."""
    if type(acc) is SliceGrad:
        if type(pg) is not SliceGrad:
            acc, pg = pg.copy(), acc
        else:
            acc = acc.dense()
    elif not owned:
        if type(pg) is not SliceGrad:
            return acc + pg
        acc = acc.copy()
    if type(pg) is SliceGrad:
        view = acc[pg.index]
        if type(view) is np.ndarray:
            np.add(view, pg.values, out=view)
        else:  # an integer per axis selects a scalar, not a view
            acc[pg.index] += pg.values
    else:
        acc += pg
    return acc


def toposort(roots: Sequence) -> list:
    """Graph nodes reachable from ``roots``, each after all of its inputs' nodes (no recursion)."""
    order: list = []
    seen: set = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for p in node.parents:
            if isinstance(p, TensorBase):
                child = p._ctx
                if child is not None and child not in seen:
                    stack.append((child, False))
    return order


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[np.ndarray],
    retain_graph: bool,
    capture: Sequence[Tensor] | None = None,
    accumulate_only: Sequence[Tensor] | None = None,
) -> list[np.ndarray | None] | None:
    """Backpropagate ``root_grads`` from ``roots``.

    Without ``capture``, leaf gradients accumulate into ``.grad`` (only for leaves in
    ``accumulate_only`` when given). With ``capture`` (``autograd.grad``), nothing is accumulated
    and the gradients of the captured tensors are returned in order (None where none flowed).
    """
    node_grads: dict = {}
    owned: set = set()  # nodes whose entry in node_grads is an array the engine allocated
    leaf_grads: dict[int, list] = {}  # id(leaf) -> [leaf, summed gradient]
    captured_nodes = {t._ctx: i for i, t in enumerate(capture or ()) if t._ctx is not None}
    captured: list = [None] * len(capture or ())
    # Nodes wait in a max-heap on their creation sequence number (as in PyTorch's engine): every
    # consumer of a node was created after it, so popping the newest first processes a node only
    # once all of its gradient has arrived, without a separate topological sort.
    ready: list = []

    for t, g in zip(roots, root_grads):
        if t._ctx is None:
            _add_leaf(leaf_grads, t, g)
        elif t._ctx in node_grads:
            node_grads[t._ctx] = _sum_grads(node_grads[t._ctx], g, t._ctx in owned)
            owned.add(t._ctx)
        else:
            node_grads[t._ctx] = g
            heappush(ready, (-t._ctx.seq, t._ctx))

    push, pop, pop_grad, sliced, add_grads = heappush, heappop, node_grads.pop, SliceGrad, _sum_grads
    while ready:
        node = pop(ready)[1]
        g = pop_grad(node)
        if type(g) is sliced:
            g = g.dense()
        if node.retained is not None and node.retained() is not None:
            _accumulate(node.retained(), g.copy())
        if captured_nodes and node in captured_nodes:
            captured[captured_nodes[node]] = g
        for p, pg, need in zip(node.parents, node.vjp(g), node.needs_input_grad):
            if not need or pg is None:
                continue
            data = p._data
            if pg.shape != data.shape:
                pg = sum_to_shape(pg, data.shape)
            if pg.dtype is not data.dtype and pg.dtype != data.dtype:
                pg = pg.astype(data.dtype)
            c = p._ctx
            if c is None:
                _add_leaf(leaf_grads, p, pg.dense() if type(pg) is sliced else pg)
            elif c in node_grads:
                node_grads[c] = add_grads(node_grads[c], pg, c in owned)
                owned.add(c)
            else:
                node_grads[c] = pg
                push(ready, (-c.seq, c))
        if not retain_graph:
            node.release()

    if capture is not None:
        for i, t in enumerate(capture):
            if t._ctx is None and id(t) in leaf_grads:
                captured[i] = leaf_grads[id(t)][1]
        return captured
    allowed = None if accumulate_only is None else {id(t) for t in accumulate_only}
    owners: set[int] = set()
    for key, (leaf, g) in leaf_grads.items():
        if allowed is not None and key not in allowed:
            continue
        # Rules pass arrays through or return views of them (Add gives ``g`` to both inputs,
        # Permute a transposed view), and Sum a read-only broadcast. The gradient a leaf keeps must
        # be writeable and share memory with no other leaf, because users update it in place.
        owner = g if g.base is None else g.base
        if id(owner) in owners or not g.flags.writeable:
            g = g.copy()
            owner = g
        owners.add(id(owner))
        _accumulate(leaf, g)
    return None


def _add_leaf(leaf_grads: dict, t: Tensor, g: np.ndarray) -> None:
    entry = leaf_grads.get(id(t))
    if entry is None:
        leaf_grads[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    if t.grad is None:
        t.grad = _make(g, False, None)
    else:
        np.add(t.grad._data, g, out=t.grad._data, casting="unsafe")
