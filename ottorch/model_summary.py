"""``summary``: a Keras/torchinfo-style table of a model's layers, output shapes and parameter counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ottorch import _creation, _dtype
from ottorch._tensor import Tensor
from ottorch.autograd.grad_mode import no_grad

if TYPE_CHECKING:
    from ottorch.nn.modules.module import Module

_HEADERS = ("Layer (type)", "Output Shape", "Param #")


@dataclass
class LayerRow:
    """One call of one module during the summary's forward pass.

    ``output_shape`` is a tuple of ints for a tensor output, a list of such (nested like the output)
    for tuples/lists, a dict for mappings, and None when the output holds no tensor.
    ``num_params``/``trainable_params`` count the module's own parameters and those of descendants
    the forward never called (a recurrent layer that uses its cell's weights directly), not those
    of called children, which have rows of their own;
    ``recursive`` marks a second or later call of the same module (its parameters are shown once).
    """

    name: str
    class_name: str
    depth: int
    output_shape: Any
    num_params: int
    trainable_params: int
    has_children: bool
    recursive: bool = False

    @property
    def label(self) -> str:
        """The "Layer (type)" cell: ``"name (Type)"``, indented by depth (the root is just its type)."""
        short = self.name.rpartition(".")[2]
        text = f"{short} ({self.class_name})" if self.depth else self.class_name
        return "  " * self.depth + text

    @property
    def output_shape_str(self) -> str:
        return _format_shape(self.output_shape)

    @property
    def params_str(self) -> str:
        if self.recursive:
            return "(recursive)"
        if self.num_params == 0 and self.has_children:
            return "--"
        return f"{self.num_params:,}"


class ModelSummary:
    """What ``summary`` found: the rows, parameter totals and memory estimates.

    ``str(summary)`` is the text table, ``to_markdown()`` a GitHub table. Totals count every parameter
    of the model once (shared parameters are not double-counted), called during the forward or not.
    """

    def __init__(self, rows: list[LayerRow], total_params: int, trainable_params: int, param_bytes: int,
                 input_bytes: int, forward_backward_bytes: int) -> None:
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.param_bytes = param_bytes
        self.input_bytes = input_bytes
        self.forward_backward_bytes = forward_backward_bytes

    @property
    def total_bytes(self) -> int:
        return self.param_bytes + self.input_bytes + self.forward_backward_bytes

    def _totals(self) -> list[tuple[str, str]]:
        mb = 1024**2
        return [
            ("Total params", f"{self.total_params:,}"),
            ("Trainable params", f"{self.trainable_params:,}"),
            ("Non-trainable params", f"{self.non_trainable_params:,}"),
            ("Input size (MB)", f"{self.input_bytes / mb:.2f}"),
            ("Forward/backward pass size (MB)", f"{self.forward_backward_bytes / mb:.2f}"),
            ("Params size (MB)", f"{self.param_bytes / mb:.2f}"),
            ("Estimated Total Size (MB)", f"{self.total_bytes / mb:.2f}"),
        ]

    def __str__(self) -> str:
        cells = [(r.label, r.output_shape_str, r.params_str) for r in self.rows]
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(_HEADERS)]

        def line(row: Sequence[str]) -> str:
            return f"{row[0]:<{widths[0]}}   {row[1]:<{widths[1]}}   {row[2]:>{widths[2]}}".rstrip()

        width = sum(widths) + 6
        totals = self._totals()
        out = ["=" * width, line(_HEADERS), "=" * width]
        out += [line(c) for c in cells]
        out.append("=" * width)
        out += [f"{k}: {v}" for k, v in totals[:3]]
        out.append("-" * width)
        out += [f"{k}: {v}" for k, v in totals[3:]]
        out.append("=" * width)
        return "\n".join(out)

    __repr__ = __str__

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table of the rows, followed by the totals as a list."""

        def cell(text: str) -> str:
            # Leading spaces vanish in Markdown cells, so indentation is kept with non-breaking spaces.
            stripped = text.lstrip(" ")
            indent = "&nbsp;" * (len(text) - len(stripped))
            return indent + stripped.replace("|", "\\|")

        out = [f"| {' | '.join(_HEADERS)} |", "| --- | --- | ---: |"]
        out += [f"| {cell(r.label)} | {cell(r.output_shape_str)} | {r.params_str} |" for r in self.rows]
        out.append("")
        out += [f"- **{k}:** {v}" for k, v in self._totals()]
        return "\n".join(out)


def _shape_of(value: Any) -> Any:
    if isinstance(value, Tensor):
        return tuple(value.shape)
    if isinstance(value, Mapping):
        return {k: _shape_of(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_shape_of(v) for v in value]
    return None


def _format_shape(shape: Any) -> str:
    if isinstance(shape, tuple):
        return "[" + ", ".join(str(n) for n in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_format_shape(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, list):
        return "(" + ", ".join(_format_shape(s) for s in shape) + ")"
    return "--"


def _tensor_bytes(value: Any) -> int:
    if isinstance(value, Tensor):
        return value._data.nbytes
    if isinstance(value, Mapping):
        return sum(_tensor_bytes(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


def _make_inputs(input_size: Any, input_data: Any, dtypes: Sequence[_dtype.dtype] | None) -> tuple:
    """The positional arguments of the summary's forward call."""
    if (input_size is None) == (input_data is None):
        raise ValueError("summary needs exactly one of input_size or input_data")
    if input_data is not None:
        if dtypes is not None:
            raise ValueError("dtypes only applies to input_size; input_data tensors keep their own dtypes")
        return tuple(input_data) if isinstance(input_data, (tuple, list)) else (input_data,)
    if not isinstance(input_size, (tuple, list)) or not input_size:
        raise ValueError(f"input_size must be a shape such as (1, 3, 28, 28) or a list of shapes, got {input_size!r}")
    sizes = [input_size] if all(isinstance(n, int) for n in input_size) else list(input_size)
    for size in sizes:
        if not isinstance(size, (tuple, list)) or not all(isinstance(n, int) and n > 0 for n in size):
            raise ValueError(
                f"input_size must hold shapes of positive ints (batch dim included), got {size!r} in {input_size!r}"
            )
    dtypes = [_dtype.get_default_dtype()] * len(sizes) if dtypes is None else list(dtypes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"dtypes has {len(dtypes)} entries but input_size describes {len(sizes)} inputs")
    # Zeros are valid for every dtype, including index inputs of embeddings.
    return tuple(_creation.zeros(*size, dtype=dt) for size, dt in zip(sizes, dtypes))


def summary(model: Module, input_size: Sequence[int] | Sequence[Sequence[int]] | None = None, *,
            input_data: Tensor | Sequence[Tensor] | None = None,
            dtypes: Sequence[_dtype.dtype] | None = None) -> ModelSummary:
    """Run one forward pass and tabulate every module call: output shape and own parameter count.

    ``input_size`` is a shape with the batch dim, e.g. ``(1, 1, 28, 28)``, or a list of shapes for a
    model with several inputs (zeros of ``dtypes``, default dtype otherwise, are fed); or pass the
    tensors themselves as ``input_data``. The forward runs under ``no_grad`` in eval mode; each
    module's training flag is restored afterwards. Raises RuntimeError if the forward fails.
    """
    # Imported late: ottorch/__init__ may import this module before ottorch.nn is complete.
    from ottorch.nn.modules.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"summary expects an ottorch.nn.Module, got {type(model).__name__}")
    inputs = _make_inputs(input_size, input_data, dtypes)

    modules = dict(model.named_modules())
    names = {id(m): name for name, m in modules.items()}
    rows: list[LayerRow] = []
    open_rows: list[LayerRow] = []
    seen_calls: set[int] = set()

    def pre_hook(module: Module, args: tuple) -> None:
        own = [p for p in module._parameters.values() if p is not None]
        row = LayerRow(
            name=names[id(module)],
            class_name=type(module).__name__,
            depth=len(open_rows),
            output_shape=None,
            num_params=sum(p.numel() for p in own),
            trainable_params=sum(p.numel() for p in own if p.requires_grad),
            has_children=any(c is not None for c in module._modules.values()),
            recursive=id(module) in seen_calls,
        )
        seen_calls.add(id(module))
        rows.append(row)
        open_rows.append(row)

    activation_bytes = 0

    def hook(module: Module, args: tuple, output: Any) -> None:
        nonlocal activation_bytes
        row = open_rows.pop()
        row.output_shape = _shape_of(output)
        if not row.has_children:
            activation_bytes += _tensor_bytes(output)

    modes = [(m, m.training) for m in modules.values()]
    handles = []
    for m in modules.values():
        handles.append(m.register_forward_pre_hook(pre_hook))
        handles.append(m.register_forward_hook(hook))
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    except Exception as err:
        shapes = ", ".join(str(list(x.shape)) if isinstance(x, Tensor) else type(x).__name__ for x in inputs)
        raise RuntimeError(
            f"summary: the forward pass of {type(model).__name__} failed on input(s) of shape {shapes}: "
            f"{type(err).__name__}: {err}"
        ) from err
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            object.__setattr__(m, "training", training)

    for row in rows:
        if not row.recursive:
            uncalled = _uncalled_params(modules[row.name], seen_calls)
            row.num_params += sum(p.numel() for p in uncalled)
            row.trainable_params += sum(p.numel() for p in uncalled if p.requires_grad)
    params = list(model.parameters())
    return ModelSummary(
        rows=rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        param_bytes=sum(p._data.nbytes for p in params),
        input_bytes=_tensor_bytes(list(inputs)),
        # As torchinfo does: activations are kept for backward and their gradients take as much again.
        forward_backward_bytes=2 * activation_bytes,
    )


def _uncalled_params(module: Module, called: set[int]) -> list:
    """The parameters of ``module``'s descendants that were not called, down to called ones."""
    found = []
    for child in module._modules.values():
        if child is not None and id(child) not in called:
            found += [p for p in child._parameters.values() if p is not None]
            found += _uncalled_params(child, called)
    return found
