"""The ``Optimizer`` base class (param groups, per-parameter state, ``state_dict``) and the numpy
helpers the update rules share.

The update rules themselves are pure functions on numpy arrays (``ottorch.optim.functional``); the
optimizer classes only collect ``p._data``, ``p.grad._data`` and their state arrays and call them.

Numerics: the update rules follow PyTorch's single-tensor formulas but compute in the parameter's own
dtype with in-place numpy ufuncs and one scratch array per parameter and call (plus the decayed gradient
under weight decay), so they are not bit for bit PyTorch's. Every product is rounded on its own where
PyTorch's CPU kernels fuse the multiply-add (``add(alpha=)``, ``addcmul``, ``lerp``, ``addcdiv``);
scalar factors are folded into one Python float (Adam's bias corrections and step size, ``-lr`` with
``maximize``'s sign), which moves a rounding, and a few quotients are taken before their scalar factor
so the scratch array can be reused; and PyTorch's float32 ``sqrt`` (MKL) is off by one ulp for some
inputs where numpy's is correctly rounded. One step agrees with PyTorch to a few ulp of the parameter (a
few 1e-7 relative in float32); over many steps the difference grows like any rounding difference.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from ottorch import _dtype
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.autograd.grad_mode import enable_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marker for a hyper-parameter that has no default: every param group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts with a ``"params"``
            entry and per-group options that override ``defaults``.
        defaults: the default value of every option of a param group.

    Attributes:
        param_groups: list of dicts, one per group: ``"params"`` (list of tensors) and the options.
        state: per-parameter dict of optimizer state (tensors or numbers), keyed by the parameter.
        defaults: the options a group gets when it does not set them.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ pickling and printing
    def __getstate__(self) -> dict[str, Any]:
        # Only the data: an LR scheduler may have wrapped ``step`` in a closure that cannot be pickled.
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for group in self.param_groups:
            # A group saved by an older version (or by PyTorch) may lack newer options.
            for name, default in self.defaults.items():
                if default is not required:
                    group.setdefault(name, default)
        for s in self.state.values():
            if isinstance(s, dict) and "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = _step_tensor(float(s["step"]))

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional options) to optimize."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)

        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        param_group["params"] = tensors

        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        if len({id(p) for p in tensors}) != len(tensors):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    f"all optimizer param groups should be with/without names. cannot add param group {which} "
                    "to the optimizer"
                )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients and steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g.detach_()
                    g._data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """Run the closure with gradient recording on (the caller may be inside ``no_grad``)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """The optimizer state as ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in group order. The state tensors are the live ones (as in PyTorch):
        copy the dict (``copy.deepcopy``) to snapshot it while training continues.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): dict(v) for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: the group options and a copy of every parameter's state.

        Floating-point state tensors (except ``step``) are cast to their parameter's dtype.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict must be a dict with 'state' and 'param_groups' entries")
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) "
                f"than the optimizer ({len(groups)})"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                    f"group: group {i} has {len(s['params'])} parameters in the state dict and "
                    f"{len(g['params'])} in the optimizer"
                )
        saved_ids = chain.from_iterable(s["params"] for s in saved_groups)
        id_map = dict(zip(saved_ids, chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {name: _copy_state_value(param, name, value) for name, value in v.items()}
            else:
                state[k] = v
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})


def _copy_state_value(param: Tensor, key: str | None, value: Any) -> Any:
    """A deep copy of a loaded state value; float tensors other than ``step`` take the parameter's dtype."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step" and data.dtype.kind == "f" and param._data.dtype.kind == "f":
            return _make(data.astype(param._data.dtype), False, None)
        return _make(data.copy(), False, None)
    if isinstance(value, dict):
        return {k: _copy_state_value(param, k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state_value(param, None, v) for v in value)
    return copy.deepcopy(value)


# ---------------------------------------------------------------------- helpers of the optimizers
def _check_unsupported(**flags: Any) -> None:
    """Refuse the PyTorch implementation switches that have no numpy counterpart."""
    for name, value in flags.items():
        if value:
            raise ValueError(f"{name}=True is not supported: ottorch optimizers run on numpy arrays on the CPU")


def _step_tensor(value: float = 0.0) -> Tensor:
    """A 0-d step counter; PyTorch keeps ``step`` as a float tensor (float64 under a float64 default)."""
    dt = np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32
    return _make(np.array(value, dtype=dt), False, None)


def _zeros_state(p: Tensor) -> Tensor:
    return _make(np.zeros_like(p._data), False, None)


def _next_step(steps: list, i: int) -> float:
    """Increment ``steps[i]`` and return the new count: a 0-d array is incremented in place (the
    optimizer classes pass their state tensors' arrays), a number is replaced in the list."""
    s = steps[i]
    if isinstance(s, np.ndarray):
        # Item assignment rounds to the array's dtype like ``s += 1`` but costs a tenth of it.
        s[()] = float(s) + 1
        return float(s)
    steps[i] = s = s + 1
    return float(s)


def _decayed_grad(grad: np.ndarray, param: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
    """A new array ``grad + weight_decay * param`` (``-grad + ...`` with ``maximize``), PyTorch's
    ``grad.add(param, alpha=weight_decay)`` on the possibly negated gradient."""
    out = np.multiply(param, weight_decay)
    return (np.subtract if maximize else np.add)(out, grad, out=out)


def _lerp(start: np.ndarray, end: np.ndarray, weight: float, sign: float, scratch: np.ndarray | None) -> np.ndarray:
    """``start.lerp_(sign * end, weight)`` in place with PyTorch's two-branch formula, where ``sign`` is
    1.0 or -1.0 (``maximize`` negates the gradient without a pass of its own). Works in ``scratch`` (a
    new array if None) and returns it."""
    # diff is sign * (sign * end - start), so the sign folds into the scalar below.
    diff = (np.subtract if sign > 0 else np.add)(end, start, out=scratch)
    if abs(weight) < 0.5:
        np.multiply(diff, sign * weight, out=diff)
        np.add(start, diff, out=start)
    else:
        np.multiply(diff, 1 - weight, out=diff)
        if sign > 0:
            np.subtract(end, diff, out=start)
        else:
            np.subtract(diff, end, out=start)
    return diff
