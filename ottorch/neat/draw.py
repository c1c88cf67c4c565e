"""``draw_genome``: a genome as a Graphviz drawing.

Inputs sit on the top rank and outputs on the bottom one, hidden nodes in between by feed-forward
depth; nodes are labelled with their key and activation. Enabled edges are solid, disabled ones grey
and dotted, recurrent (delay-1) edges dashed; an edge's width grows with |weight| and its colour shows
the sign (blue positive, red negative).
"""

from __future__ import annotations

import os

from ottorch.neat.genome import Genome
from ottorch.neat.phenotype import layer_order


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(genome: Genome, node_names: dict[int, str] | None = None, show_disabled: bool = True) -> str:
    """The DOT source of ``genome``'s drawing."""
    names = node_names or {}
    lines = [f"digraph {_quote(f'genome {genome.key}')} {{", "  rankdir=TB;",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [arrowsize=0.6];']

    def label(k: int) -> str:
        n = genome.nodes[k]
        name = names.get(k, str(k))
        return name if n.type == "input" else f"{name}\\n{n.activation}"

    lines.append("  { rank=source; " + " ".join(
        f'n{_id(k)} [label={_quote(label(k))}, shape=box, style=filled, fillcolor="#dbeafe"];'
        for k in genome.input_keys) + " }")
    hidden = [k for k in genome.hidden_keys]
    try:
        layers = layer_order(genome, set(hidden))
    except ValueError:  # a cycle among disabled-then-enabled edges: draw unlayered
        layers = [hidden]
    for i, layer in enumerate(layers):
        lines.append("  { rank=same; " + " ".join(
            f'n{_id(k)} [label={_quote(label(k))}, shape=ellipse];' for k in layer) + f" }}  // depth {i + 1}")
    lines.append("  { rank=sink; " + " ".join(
        f'n{_id(k)} [label={_quote(label(k))}, shape=doublecircle, style=filled, fillcolor="#dcfce7"];'
        for k in genome.output_keys) + " }")
    for c in sorted(genome.connections.values(), key=lambda c: c.innovation):
        if not c.enabled and not show_disabled:
            continue
        width = min(0.5 + abs(c.weight), 4.0)
        colour = "#2563eb" if c.weight >= 0 else "#dc2626"
        style = "dashed" if c.recurrent else "solid"
        attrs = [f"penwidth={width:.2f}", f'color="{colour}"', f"style={style}",
                 f'tooltip={_quote(f"innovation {c.innovation}, weight {c.weight:.3f}")}']
        if not c.enabled:
            attrs = ['color="#bbbbbb"', "style=dotted", f'tooltip={_quote(f"innovation {c.innovation} (disabled)")}']
        if c.recurrent:
            attrs.append("constraint=false")
        lines.append(f"  n{_id(c.in_node)} -> n{_id(c.out_node)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _id(key: int) -> str:
    return f"m{-key}" if key < 0 else str(key)


def draw_genome(genome: Genome, path: str | os.PathLike | None = None, *, node_names: dict[int, str] | None = None,
                show_disabled: bool = True, format: str = "png") -> str:  # noqa: A002
    """Return the DOT source; with ``path``, also write ``<path>.dot`` and, when Graphviz is
    available, ``<path>.<format>`` (png or svg)."""
    source = to_dot(genome, node_names, show_disabled)
    if path is not None:
        from ottorch.viz import save_dot

        save_dot(source, path, format=format)
    return source
