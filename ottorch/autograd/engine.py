"""Reverse-mode engine: an iterative topological sort of the tape, then one pass of VJPs.

Broadcasting is undone here, in one place: a rule may return its gradient in the (broadcast) output
shape and ``sum_to_shape`` reduces it to the input's shape. Leaf gradients accumulate in ``.grad``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ottorch._tensor import Tensor, _make


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched so it has ``shape``."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


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
            child = getattr(p, "_ctx", None)
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
    leaf_grads: dict[int, np.ndarray] = {}
    capture_nodes = {}
    capture_leaves = {}
    if capture is not None:
        for i, t in enumerate(capture):
            if t._ctx is None:
                capture_leaves[id(t)] = i
            else:
                capture_nodes[t._ctx] = i
    allowed = None if accumulate_only is None else {id(t) for t in accumulate_only}
    captured: list = [None] * (len(capture) if capture is not None else 0)

    def to_leaf(t: Tensor, g: np.ndarray) -> None:
        if capture is not None:
            i = capture_leaves.get(id(t))
            if i is not None:
                captured[i] = g if captured[i] is None else captured[i] + g
            return
        if allowed is not None and id(t) not in allowed:
            return
        prev = leaf_grads.get(id(t))
        leaf_grads[id(t)] = g if prev is None else prev + g
        leaves[id(t)] = t

    leaves: dict[int, Tensor] = {}
    for t, g in zip(roots, root_grads):
        if t._ctx is None:
            to_leaf(t, g)
        else:
            prev = node_grads.get(t._ctx)
            node_grads[t._ctx] = g if prev is None else prev + g

    for node in reversed(toposort([t._ctx for t in roots if t._ctx is not None])):
        g = node_grads.pop(node, None)
        if g is None:
            continue
        if node.retained is not None:
            out = node.retained()
            if out is not None:
                _accumulate(out, g.copy())
        if capture_nodes:
            i = capture_nodes.get(node)
            if i is not None:
                captured[i] = g
        for p, pg, need in zip(node.parents, node.vjp(g), node.needs_input_grad):
            if not need or pg is None:
                continue
            shape = p._data.shape
            if pg.shape != shape:
                pg = sum_to_shape(pg, shape)
            if pg.dtype != p._data.dtype:
                pg = pg.astype(p._data.dtype)
            if p._ctx is not None:
                prev = node_grads.get(p._ctx)
                node_grads[p._ctx] = pg if prev is None else prev + pg
            else:
                to_leaf(p, pg)
        if not retain_graph:
            node.release()

    if capture is not None:
        return captured
    owned: set[int] = set()
    for key, g in leaf_grads.items():
        # A rule may hand the same array to several inputs, or a read-only broadcast view; the
        # gradient a leaf keeps must be its own writeable array because users update it in place.
        if id(g) in owned or not g.flags.writeable or g.base is not None:
            g = g.copy()
        owned.add(id(g))
        _accumulate(leaves[key], g)
    return None


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    if t.grad is None:
        t.grad = _make(g, False, None)
    else:
        np.add(t.grad._data, g, out=t.grad._data, casting="unsafe")
