"""Draw the autograd graph behind a tensor or a model's output as Graphviz DOT, and render it.

``to_dot`` returns DOT text: op nodes (op name and output shape), parameter leaves (dotted name and
shape), other inputs and the output, with edges in data-flow direction. For a Module, op nodes are
grouped into nested ``cluster_<module name>`` subgraphs by the innermost module that created them.
Unrolled recurrent steps (nodes recorded under ``ottorch.autograd.graph.step_scope``) are folded:
only the first step is drawn, in a cluster labelled ``xT``, with the recurrence as dashed ``t-1``
edges. ``save_visualization`` writes the ``.dot`` file and renders PNG/SVG with Graphviz.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ottorch._tensor import Tensor
from ottorch.autograd.engine import toposort
from ottorch.autograd.grad_mode import enable_grad

if TYPE_CHECKING:
    from ottorch.nn.modules.module import Module

_FORMATS = ("png", "svg")
_INSTALL_HINT = (
    "Graphviz is not installed, so only the DOT file was written to {dot}. To render {fmt} files, install "
    "the Python package (pip install 'ottorch[viz]') and the Graphviz system package that provides the "
    "`dot` program (e.g. apt-get install graphviz, brew install graphviz, conda install graphviz); "
    "or render it yourself with: dot -T{fmt} {dot} -o {out}"
)
_OP_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"'
_PARAM_STYLE = 'shape=ellipse, style=filled, fillcolor="#fff2cc"'
_FROZEN_STYLE = 'shape=ellipse, style="filled,dashed", fillcolor="#eeeeee"'
_INPUT_STYLE = 'shape=ellipse, style=filled, fillcolor="#d9ead3"'
_OUTPUT_STYLE = 'shape=ellipse, style=filled, fillcolor="#b6d7a8", penwidth=2'


def _quote(text: str) -> str:
    """A DOT double-quoted string (backslashes, quotes and newlines escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _tensors_in(value: Any) -> list[Tensor]:
    """Every tensor in a (nested) tuple/list/dict output, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors_in(v)]
    return []


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _is_ancestor(outer: str | None, inner: str | None) -> bool:
    """Whether module ``outer`` is ``inner`` or contains it ("" is the root module)."""
    if outer is None or inner is None:
        return outer == inner
    return outer == inner or outer == "" or inner.startswith(outer + ".")


def _trace_module(module: Module, inputs: tuple) -> tuple[Tensor, dict, dict[str, str]]:
    """Run ``module(*inputs)`` with grad; return the output, node -> module name, and name -> class name."""
    names = {id(m): name for name, m in module.named_modules()}
    types = {name: type(m).__name__ for name, m in module.named_modules()}
    tags: dict = {}
    boundaries: list[set] = []

    def pre_hook(m: Module, args: tuple) -> None:
        boundaries.append({t.grad_fn for t in _tensors_in(args) if t.grad_fn is not None})

    def hook(m: Module, args: tuple, output: Any) -> None:
        # Children return first, so their nodes are already tagged: walk through them without
        # retagging. The inputs' nodes (and all before them) belong to whoever ran earlier.
        seen = boundaries.pop()
        name = names[id(m)]
        stack = [t.grad_fn for t in _tensors_in(output) if t.grad_fn is not None]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            tags.setdefault(node, name)
            stack.extend(p.grad_fn for p in node.parents if isinstance(p, Tensor) and p.grad_fn is not None)

    handles = []
    for _, m in module.named_modules():
        handles.append(m.register_forward_pre_hook(pre_hook))
        handles.append(m.register_forward_hook(hook))
    try:
        with enable_grad():
            output = module(*inputs)
    finally:
        for h in handles:
            h.remove()
    outs = _tensors_in(output)
    if not outs:
        raise TypeError(f"to_dot: {type(module).__name__} returned {type(output).__name__}, which holds no tensor")
    return outs[0], tags, types


_UNFOLDED = object()


class _Folding:
    """Which recorded nodes stand for which: later unrolled steps map onto one drawn step.

    Step-tagged nodes form groups: same outermost module holding steps (everything, for a bare
    tensor), and connected through edges between step nodes or shared leaves such as weights (so
    the layers and directions of a stacked RNN fold separately). Within a group, nodes of different
    steps correspond when they have the same structural signature (op, module, and the signatures
    of same-step inputs) and occurrence index. The drawn step is the first one that every later step
    maps into; steps before it that do not fit are drawn as they are, in clusters labelled "t=k".
    """

    def __init__(self, nodes: list, tags: dict, param_names: dict[int, str]) -> None:
        self.rep: dict = {}
        self.group: dict = {}  # node in a folded step -> its group
        self.cluster_labels: dict[str, str] = {}  # steps cluster key -> "xT" (or "t=k" for an unfolded step)
        self.placement: dict = {}  # node in a folded group -> (module of the group, steps cluster key)
        step_nodes = [n for n in nodes if n.step is not None]
        step_tags = {tags.get(n) for n in step_nodes}
        modules = {
            n: min((t for t in step_tags if _is_ancestor(t, tags.get(n))), key=lambda t: len(t or ""))
            for n in step_nodes
        }
        groups = self._components(step_nodes, modules)
        sig: dict = {}
        interned: dict = {}
        by_step: dict = {}
        for n in step_nodes:
            key = (groups[n], n.step)
            parts = []
            for p in n.parents:
                if not isinstance(p, Tensor):
                    parts.append(-1)
                elif p.grad_fn is not None and (groups.get(p.grad_fn), p.grad_fn.step) == key:
                    parts.append(sig[p.grad_fn])
                else:
                    parts.append(param_names.get(id(p), -2))
            sig[n] = interned.setdefault((n.name(), tags.get(n), tuple(parts)), len(interned))
            by_step.setdefault(groups[n], {}).setdefault(n.step, []).append(n)
        for group, steps in by_step.items():
            self._fold_group(group, steps, sig)

    @staticmethod
    def _components(step_nodes: list, modules: dict) -> dict:
        """Step node -> (module, component index), components numbered in visiting order."""
        root: dict = {}

        def find(x: Any) -> Any:
            while root.get(x, x) is not x:
                root[x] = root.get(root[x], root[x])
                x = root[x]
            return x

        def union(a: Any, b: Any) -> None:
            ra, rb = find(a), find(b)
            if ra is not rb:
                root[rb] = ra

        leaves: dict = {}
        for n in step_nodes:
            for p in n.parents:
                if not isinstance(p, Tensor):
                    continue
                if p.grad_fn is None and p.requires_grad:
                    union(n, leaves.setdefault((modules[n], id(p)), n))
                elif p.grad_fn in modules and modules[p.grad_fn] == modules[n]:
                    union(n, p.grad_fn)
        numbers: dict = {}
        per_module: dict = {}
        out = {}
        for n in step_nodes:
            key = (modules[n], find(n))
            if key not in numbers:
                numbers[key] = per_module[modules[n]] = per_module.get(modules[n], -1) + 1
            out[n] = (modules[n], numbers[key])
        return out

    def _fold_group(self, group: tuple, steps: dict[int, list], sig: dict) -> None:
        def index(step_nodes: list) -> dict:
            counts: dict = {}
            out = {}
            for n in step_nodes:
                k = counts[sig[n]] = counts.get(sig[n], -1) + 1
                out[(sig[n], k)] = n
            return out

        module, number = group
        cluster = f"{module or ''}@steps{number}"
        order = sorted(steps)
        indexed = {s: index(steps[s]) for s in order}
        for i, first in enumerate(order[:-1]):
            target = indexed[first]
            if all(k in target for s in order[i + 1:] for k in indexed[s]):
                for s in order[i:]:
                    for k, n in indexed[s].items():
                        self.rep[n] = target[k]
                        self.group[n] = group
                        self.placement[n] = (module, cluster)
                self.cluster_labels[cluster] = f"x{len(order) - i}"
                for s in order[:i]:
                    self.cluster_labels[f"{cluster}@t{s}"] = f"t={s}"
                    self.placement.update((n, (module, f"{cluster}@t{s}")) for n in steps[s])
                return

    def representative(self, node: Any) -> Any:
        return self.rep.get(node, node)

    def folded_group(self, node: Any) -> Any:
        """The group of the folded steps holding ``node``, or ``_UNFOLDED``."""
        return self.group.get(node, _UNFOLDED)


def _module_prefixes(name: str | None) -> list[str]:
    """``"a.b.c"`` -> ``["a", "a.b", "a.b.c"]``; nothing for the root ("") or untagged nodes (None)."""
    parts = name.split(".") if name else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


class _Drawing:
    """The drawn nodes (ids by visiting order), their clusters, and the de-duplicated edges."""

    def __init__(self, fold: _Folding, tags: dict, out_shape: dict, show_shapes: bool) -> None:
        self.fold, self.tags, self.out_shape, self.show_shapes = fold, tags, out_shape, show_shapes
        self.items: dict = {}  # key -> (id, label, style, cluster path or ("param", owner module))
        self.edges: dict = {}  # (src id, dst id, label or None) -> None, in insertion order
        self.cluster_modules: dict[str, str] = {}  # module cluster key -> module name

    def label(self, name: str, shape: tuple) -> str:
        return f"{name}\n{_shape_text(shape)}" if self.show_shapes else name

    def add(self, key: Any, text: str, style: str, path: tuple) -> str:
        if key not in self.items:
            self.items[key] = (f"n{len(self.items)}", text, style, path)
        return self.items[key][0]

    def op(self, node: Any) -> str:
        """The id of the drawn node standing for ``node`` (its representative step's node)."""
        node = self.fold.representative(node)
        return self.add(("op", node), self.label(node.name(), self.out_shape[node]), _OP_STYLE, self._op_path(node))

    def _op_path(self, node: Any) -> tuple:
        tag = self.tags.get(node)
        if node not in self.fold.placement:
            path = _module_prefixes(tag)
            self.cluster_modules.update((m, m) for m in path)
            return tuple(path)
        # Inside a step cluster, the modules below the group's module get their own nested clusters.
        group, steps = self.fold.placement[node]
        outer = _module_prefixes(group)
        inner = [m for m in _module_prefixes(tag) if m not in outer]
        keys = [f"{steps}/{m}" for m in inner]
        self.cluster_modules.update(zip(outer, outer))
        self.cluster_modules.update(zip(keys, inner))
        return (*outer, steps, *keys)

    def leaf(self, t: Tensor, param_names: dict[int, str], input_names: dict[int, str]) -> str | None:
        key, shape = ("leaf", id(t)), tuple(t.shape)
        if id(t) in param_names:
            name = param_names[id(t)]
            style = _PARAM_STYLE if t.requires_grad else _FROZEN_STYLE
            return self.add(key, self.label(name, shape), style, ("param", name.rpartition(".")[0]))
        if id(t) in input_names:
            return self.add(key, self.label(input_names[id(t)], shape), _INPUT_STYLE, ())
        if t.requires_grad:
            return self.add(key, self.label("leaf", shape), _INPUT_STYLE, ())
        return None


def _build_dot(root: Tensor, *, param_names: dict[int, str], input_names: dict[int, str], tags: dict,
               module_types: dict[str, str], show_shapes: bool, fold_steps: bool, title: str | None) -> str:
    nodes = toposort([root.grad_fn]) if root.grad_fn is not None else []
    # A node does not keep its output; its shape is read off the tensors that consume it.
    out_shape = {root.grad_fn: tuple(root.shape)} if root.grad_fn is not None else {}
    for n in nodes:
        for p in n.parents:
            if isinstance(p, Tensor) and p.grad_fn is not None:
                out_shape[p.grad_fn] = tuple(p.shape)
    fold = _Folding(nodes if fold_steps else [], tags, param_names)
    drawing = _Drawing(fold, tags, out_shape, show_shapes)
    for n in nodes:
        srcs = []
        for p in n.parents:
            if not isinstance(p, Tensor):
                continue
            if p.grad_fn is None:
                srcs.append((drawing.leaf(p, param_names, input_names), None))
                continue
            group = fold.folded_group(p.grad_fn)
            lag = n.step - p.grad_fn.step if group is not _UNFOLDED and fold.folded_group(n) == group else 0
            src = drawing.op(p.grad_fn)
            # A reverse-direction RNN reads its state from the step after: "t+1".
            srcs.append((src, None if lag == 0 else f"t-{lag}" if lag > 0 else f"t+{-lag}"))
        dst = drawing.op(n)
        for src, edge_label in srcs:
            if src is not None:
                drawing.edges.setdefault((src, dst, edge_label), None)
    shape = tuple(root.shape)
    if root.grad_fn is not None:
        final = drawing.op(root.grad_fn)
        out_id = drawing.add(("output",), drawing.label("output", shape), _OUTPUT_STYLE, ())
        drawing.edges.setdefault((final, out_id, None), None)
    else:
        name = param_names.get(id(root), input_names.get(id(root), "tensor"))
        drawing.add(("output",), drawing.label(name, shape), _OUTPUT_STYLE, ())
    return _emit(drawing, module_types, title)


def _emit(drawing: _Drawing, module_types: dict[str, str], title: str | None) -> str:
    step_labels = drawing.fold.cluster_labels
    cluster_paths: dict[str, tuple] = {}
    for _, _, _, path in drawing.items.values():
        if path[:1] != ("param",):
            for i in range(1, len(path) + 1):
                cluster_paths.setdefault(path[i - 1], path[:i])
    placed = []
    for node_id, text, style, path in drawing.items.values():
        if path[:1] == ("param",):
            # A parameter sits in the cluster of its module (or the nearest drawn ancestor), if any.
            owner = path[1]
            homes = [k for k, m in drawing.cluster_modules.items() if k in cluster_paths and _is_ancestor(m, owner)]
            home = max(homes, key=lambda k: len(drawing.cluster_modules[k]), default=None)
            path = cluster_paths[home] if home is not None else ()
        placed.append((node_id, text, style, path))

    graph_attrs = ["rankdir=TB", 'fontname="Helvetica"', "fontsize=11"]
    if title is not None:
        graph_attrs += [f"label={_quote(title)}", "labelloc=t"]
    lines = [
        "digraph G {",
        f"  graph [{', '.join(graph_attrs)}];",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]

    def cluster_label(key: str) -> str:
        if key in step_labels:
            return step_labels[key]
        module = drawing.cluster_modules[key]
        return f"{module} ({module_types[module]})" if module in module_types else module

    def write(path: tuple, indent: str) -> None:
        children: list[tuple] = []
        for node_id, text, style, node_path in placed:
            if node_path == path:
                lines.append(f"{indent}{node_id} [label={_quote(text)}, {style}];")
            elif node_path[: len(path)] == path and node_path[: len(path) + 1] not in children:
                children.append(node_path[: len(path) + 1])
        for child in children:
            key = child[-1]
            style = "dashed" if key in step_labels else "rounded"
            lines.append(f"{indent}subgraph {_quote('cluster_' + key)} {{")
            lines.append(f"{indent}  graph [label={_quote(cluster_label(key))}, style={style}, color=gray40];")
            write(child, indent + "  ")
            lines.append(f"{indent}}}")

    write((), "  ")
    for src, dst, edge_label in drawing.edges:
        attrs = f" [style=dashed, label={_quote(edge_label)}, constraint=false]" if edge_label else ""
        lines.append(f"  {src} -> {dst}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(obj: Tensor | Module, input: Tensor | tuple[Tensor, ...] | None = None, *,
           params: Mapping[str, Tensor] | None = None, show_shapes: bool = True, fold_steps: bool = True,
           title: str | None = None) -> str:
    """The autograd graph behind a tensor, or behind ``obj(input)`` for a Module, as DOT text.

    For a Module, ``input`` (a tensor or a tuple of tensors) is fed with gradients enabled (float
    inputs are traced through a copy that requires grad, so frozen models draw too); the output, or
    its first tensor when nested, is drawn, with op nodes clustered by module and parameters named
    by ``named_parameters()``. For a Tensor, ``params`` (name -> tensor) labels leaves. With
    ``fold_steps``, unrolled recurrent steps are drawn once, labelled ``xT``.
    """
    # Imported late: ottorch/__init__ may import this module before ottorch.nn is complete.
    from ottorch.nn.modules.module import Module

    param_names: dict[int, str] = {}
    input_names: dict[int, str] = {}
    tags: dict = {}
    module_types: dict[str, str] = {}
    if isinstance(obj, Module):
        if input is None:
            raise ValueError(f"to_dot: drawing a {type(obj).__name__} needs an example `input` to run it on")
        raw = input if isinstance(input, tuple) else (input,)
        inputs = tuple(
            x.detach().requires_grad_(True) if isinstance(x, Tensor) and x.is_floating_point() and not x.requires_grad
            else x for x in raw
        )
        for i, x in enumerate(inputs):
            if isinstance(x, Tensor):
                input_names[id(x)] = "input" if len(inputs) == 1 else f"input{i}"
        param_names = {id(p): name for name, p in obj.named_parameters()}
        root, tags, module_types = _trace_module(obj, inputs)
        module_types.pop("", None)
    elif isinstance(obj, Tensor):
        if input is not None:
            raise ValueError("to_dot: `input` is only used when drawing a Module, not a Tensor")
        root = obj
    else:
        raise TypeError(f"to_dot expects an ottorch Tensor or nn.Module, got {type(obj).__name__}")
    for name, t in (params or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"to_dot: params[{name!r}] is a {type(t).__name__}, not a Tensor")
        param_names[id(t)] = name
    return _build_dot(root, param_names=param_names, input_names=input_names, tags=tags, module_types=module_types,
                      show_shapes=show_shapes, fold_steps=fold_steps, title=title)


def _render(dot_source: str, dot_path: str, out_path: str, fmt: str) -> bool:
    """Render with the ``graphviz`` package, else the ``dot`` program; False if neither is available."""
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            data = graphviz.Source(dot_source).pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            return False
        Path(out_path).write_bytes(data)
        return True
    dot_bin = shutil.which("dot")
    if dot_bin is None:
        return False
    result = subprocess.run([dot_bin, f"-T{fmt}", dot_path, "-o", out_path], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"save_visualization: `dot -T{fmt}` failed on {dot_path}: {result.stderr.strip()}")
    return True


def save_visualization(obj: Tensor | Module, path: str | os.PathLike, *,
                       input: Tensor | tuple[Tensor, ...] | None = None, format: str = "png",  # noqa: A002
                       **to_dot_kwargs: Any) -> dict[str, str | None]:
    """Write ``to_dot(obj, input, ...)`` to ``<path>.dot`` and render ``<path>.<format>`` (png or svg).

    A ``.dot``/``.gv``/``.png``/``.svg`` extension on ``path`` is replaced. Rendering uses the
    ``graphviz`` package if installed, else the ``dot`` program; without either only the DOT file is
    written and the returned dict's ``"message"`` (also printed) says how to install Graphviz.
    Returns ``{"dot": path, format: path or None}`` (plus ``"message"`` when not rendered).
    """
    return save_dot(to_dot(obj, input, **to_dot_kwargs), path, format=format)


def save_dot(source: str, path: str | os.PathLike, *, format: str = "png",  # noqa: A002
             notify: bool = True) -> dict[str, str | None]:
    """Write DOT ``source`` to ``<path>.dot`` and render ``<path>.<format>`` as ``save_visualization``
    does (also used by ``ottorch.neat.draw_genome``); ``notify=False`` returns the install hint
    without printing it."""
    if format not in _FORMATS:
        raise ValueError(f"save_visualization: format must be one of {_FORMATS}, got {format!r}")
    base, ext = os.path.splitext(os.fspath(path))
    if ext.lower() not in (".dot", ".gv", ".png", ".svg"):
        base = os.fspath(path)
    dot_path, out_path = f"{base}.dot", f"{base}.{format}"
    Path(dot_path).parent.mkdir(parents=True, exist_ok=True)
    Path(dot_path).write_text(source)
    if _render(source, dot_path, out_path, format):
        return {"dot": dot_path, format: out_path}
    message = _INSTALL_HINT.format(dot=dot_path, fmt=format, out=out_path)
    if notify:
        # a diagnostic, so stderr: it must not mix into what a program prints (e.g. the CLI's --quiet summary)
        print(message, file=sys.stderr)
    return {"dot": dot_path, format: None, "message": message}
