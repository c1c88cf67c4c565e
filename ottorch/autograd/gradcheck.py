"""``gradcheck``: compare autograd's Jacobian with central finite differences (use float64)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ottorch._tensor import Tensor
from ottorch._tensor_base import _make


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical Jacobians disagree."""


def _outputs(func: Callable, inputs: tuple) -> list[Tensor]:
    out = func(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    return [o for o in outs if isinstance(o, Tensor) and o.is_floating_point()]


def numerical_jacobian(func: Callable, inputs: tuple, eps: float = 1e-6) -> list[list[np.ndarray]]:
    """``J[i][k]`` is d(output k)/d(input i) as an (input numel, output numel) array."""
    from ottorch.autograd.grad_mode import no_grad

    with no_grad():
        sizes = [o.numel() for o in _outputs(func, inputs)]
        jac = []
        for t in inputs:
            if not (isinstance(t, Tensor) and t.requires_grad):
                continue
            t._data = np.ascontiguousarray(t._data)  # so the flat view below writes through
            flat = t._data.reshape(-1)
            cols = [np.zeros((t.numel(), n)) for n in sizes]
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = [o._data.reshape(-1).astype(np.float64) for o in _outputs(func, inputs)]
                flat[j] = orig - eps
                minus = [o._data.reshape(-1).astype(np.float64) for o in _outputs(func, inputs)]
                flat[j] = orig
                for k, (p, m) in enumerate(zip(plus, minus)):
                    cols[k][j] = (p - m) / (2 * eps)
            jac.append(cols)
    return jac


def analytical_jacobian(func: Callable, inputs: tuple) -> list[list[np.ndarray]]:
    """The same layout as ``numerical_jacobian``, built from one backward per output element."""
    from ottorch.autograd import grad

    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outs = _outputs(func, inputs)
    jac = [[np.zeros((t.numel(), o.numel())) for o in outs] for t in diff]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(o.numel()):
            seed = np.zeros(o.numel(), dtype=o._data.dtype)
            seed[j] = 1
            gs = grad(o, diff, grad_outputs=_make(seed.reshape(o._data.shape), False, None),
                      retain_graph=True, allow_unused=True)
            for i, g in enumerate(gs):
                if g is not None:
                    jac[i][k][:, j] = g._data.reshape(-1)
    return jac


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check the gradients of ``func(*inputs)`` w.r.t. every input that requires grad.

    Inputs should be float64; in float32 the finite differences are too coarse to be meaningful.
    Returns True, or raises ``GradcheckError`` (False when ``raise_exception`` is off) naming the
    input, output and the largest mismatch.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    numeric = numerical_jacobian(func, inputs, eps)
    analytic = analytical_jacobian(func, inputs)
    for i, (n_cols, a_cols) in enumerate(zip(numeric, analytic)):
        for k, (n, a) in enumerate(zip(n_cols, a_cols)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                worst = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {i}: largest difference "
                    f"at (input element {worst[0]}, output element {worst[1]}): analytical "
                    f"{a[worst]:.6g} vs numerical {n[worst]:.6g}\nanalytical:\n{a}\nnumerical:\n{n}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True
