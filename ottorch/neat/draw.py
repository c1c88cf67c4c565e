"""``draw_genome``: a genome as a Graphviz drawing, or a matplotlib one where Graphviz's ``dot``
program is missing.

Inputs sit on the top rank and outputs on the bottom one, hidden nodes in between by feed-forward
depth; nodes are labelled with their key and activation (and aggregation, unless a sum). Enabled
edges are solid, disabled ones grey and dotted, recurrent (delay-1) edges dashed (curved in the
matplotlib drawing); an edge's width grows with |weight| and its colour shows the sign (blue
positive, red negative).
"""

from __future__ import annotations

import os
import sys

from ottorch.neat.genome import Genome
from ottorch.neat.phenotype import layer_order


def _label(node, name: str) -> str:
    """A node's name, then (not for inputs) its activation and any aggregation other than a sum."""
    if node.type == "input":
        return name
    return f"{name}\n{node.activation}" + ("" if node.aggregation == "sum" else f"\n{node.aggregation}")


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(genome: Genome, node_names: dict[int, str] | None = None, show_disabled: bool = True) -> str:
    """The DOT source of ``genome``'s drawing."""
    names = node_names or {}
    lines = [f"digraph {_quote(f'genome {genome.key}')} {{", "  rankdir=TB;",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [arrowsize=0.6];']

    def label(k: int) -> str:
        return _label(genome.nodes[k], names.get(k, str(k))).replace("\n", "\\n")

    lines.append("  { rank=source; " + " ".join(
        f'n{_id(k)} [label={_quote(label(k))}, shape=box, style=filled, fillcolor="#dbeafe"];'
        for k in genome.input_keys) + " }")
    for i, layer in enumerate(_layers(genome)[1:-1]):
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


def _layers(genome: Genome) -> list[list[int]]:
    """Rows top to bottom: inputs, hidden nodes by feed-forward depth, outputs."""
    hidden = list(genome.hidden_keys)
    try:
        layers = layer_order(genome, set(hidden))
    except ValueError:  # a cycle among disabled-then-enabled edges: one hidden row
        layers = [hidden]
    return [list(genome.input_keys), *[list(layer) for layer in layers if layer], list(genome.output_keys)]


def plot_genome(genome: Genome, path: str | os.PathLike, node_names: dict[int, str] | None = None,
                show_disabled: bool = True) -> bool:
    """Draw ``genome`` with matplotlib into the PNG ``path``, laid out like ``to_dot``'s drawing
    (False when matplotlib is not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyArrowPatch
    except ImportError:
        return False
    names = node_names or {}
    layers = _layers(genome)
    where = {k: ((i + 1) / (len(row) + 1), 1.0 - depth / (len(layers) - 1))
             for depth, row in enumerate(layers) for i, k in enumerate(row)}
    widest = max(len(row) for row in layers)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * widest), max(3.0, 1.2 * len(layers))), dpi=100)
    for c in sorted(genome.connections.values(), key=lambda c: c.innovation):
        if (not c.enabled and not show_disabled) or c.in_node not in where or c.out_node not in where:
            continue
        colour = "#2563eb" if c.weight >= 0 else "#dc2626"
        width, style = min(0.5 + abs(c.weight), 4.0), "-" if not c.recurrent else "--"
        if not c.enabled:
            colour, width, style = "#bbbbbb", 0.8, ":"
        # a self-loop or recurrent edge curves away from the straight feed-forward edges
        bend = 0.6 if c.in_node == c.out_node else (0.35 if c.recurrent else 0.0)
        ax.add_patch(FancyArrowPatch(where[c.in_node], where[c.out_node], arrowstyle="-|>", mutation_scale=10,
                                     connectionstyle=f"arc3,rad={bend}", color=colour, linewidth=width,
                                     linestyle=style, shrinkA=12, shrinkB=12, zorder=1))
    fills = {"input": "#dbeafe", "output": "#dcfce7"}
    for k, (x, y) in where.items():
        node = genome.nodes[k]
        text = _label(node, names.get(k, str(k)))
        ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=2,
                bbox={"boxstyle": "round" if node.type != "input" else "square", "fc": fills.get(node.type, "white"),
                      "ec": "#333333"})
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.12, 1.12)
    ax.axis("off")
    ax.set_title(f"genome {genome.key}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


_notified = False


def draw_genome(genome: Genome, path: str | os.PathLike | None = None, *, node_names: dict[int, str] | None = None,
                show_disabled: bool = True, format: str = "png", notify: bool = True) -> str:  # noqa: A002
    """Return the DOT source; with ``path``, also write ``<path>.dot`` and ``<path>.<format>`` (png or
    svg), rendered by Graphviz or, for png without Graphviz's ``dot`` program, drawn by matplotlib
    (``plot_genome``). What was missing is said once per process on stderr, unless ``notify`` is False."""
    global _notified
    source = to_dot(genome, node_names, show_disabled)
    if path is None:
        return source
    from ottorch.viz import save_dot

    written = save_dot(source, path, format=format, notify=False)
    if written.get(format):
        return source
    message = written["message"]
    if format == "png" and plot_genome(genome, f"{os.path.splitext(written['dot'])[0]}.png", node_names,
                                       show_disabled):
        message = (f"Graphviz's dot program is not installed: drew {os.path.splitext(written['dot'])[0]}.png with "
                   "matplotlib instead (install Graphviz for its layout; the DOT file is there too)")
    if notify and not _notified:
        print(message, file=sys.stderr)
        _notified = True
    return source
