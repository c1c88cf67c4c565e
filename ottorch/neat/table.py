"""``GenomeTable``: the genes of a set of genomes as flat numpy arrays, self-contained.

A ``GenePool`` row range needs the run's ``InnovationTracker`` to know what each innovation joins;
a table carries those endpoints in its own columns, so it is everything an evaluator needs: the
batched phenotype compiles straight from it, and it travels to Ray workers as a dict of arrays.
Connection genes are sorted by (genome, innovation), node genes (outputs and hidden nodes; inputs
have no genes) by (genome, node id): genome ``i``'s genes are one contiguous segment of each table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ottorch.neat.config import ACTIVATIONS, AGGREGATIONS
from ottorch.neat.genome import ConnectionGene, Genome, NodeGene
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.pool import _AGG_INDEX, GenePool, take_segments

_ACT_INDEX = {name: i for i, name in enumerate(ACTIVATIONS)}
CONN_COLUMNS = ("c_row", "c_innov", "c_in", "c_out", "c_rec", "c_weight", "c_enabled")
NODE_COLUMNS = ("n_row", "n_id", "n_bias", "n_response", "n_act", "n_agg")
_DTYPES = {"c_row": np.int64, "c_innov": np.int64, "c_in": np.int64, "c_out": np.int64, "c_rec": bool,
           "c_weight": np.float64, "c_enabled": bool, "n_row": np.int64, "n_id": np.int64,
           "n_bias": np.float64, "n_response": np.float64, "n_act": np.int16, "n_agg": np.int16}


@dataclass
class GenomeTable:
    """Genomes ``keys`` (G,) with connection columns ``c_*`` (E,) and node columns ``n_*`` (M,).

    ``c_row`` / ``n_row`` give each gene's genome index (0 .. G-1); ``c_in`` / ``c_out`` are node
    ids (inputs ``-1 .. -num_inputs``, outputs ``0 .. num_outputs-1``); ``n_act`` indexes
    ``config.ACTIVATIONS`` and ``n_agg`` ``config.AGGREGATIONS``.
    """

    keys: np.ndarray
    num_inputs: int
    num_outputs: int
    c_row: np.ndarray
    c_innov: np.ndarray
    c_in: np.ndarray
    c_out: np.ndarray
    c_rec: np.ndarray
    c_weight: np.ndarray
    c_enabled: np.ndarray
    n_row: np.ndarray
    n_id: np.ndarray
    n_bias: np.ndarray
    n_response: np.ndarray
    n_act: np.ndarray
    #: None: every node sums its inputs.
    n_agg: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.keys = np.asarray(self.keys, dtype=np.int64)
        if self.n_agg is None:
            self.n_agg = np.zeros(len(self.n_id), dtype=_DTYPES["n_agg"])
        for name in CONN_COLUMNS + NODE_COLUMNS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=_DTYPES[name]))
        self.num_inputs, self.num_outputs = int(self.num_inputs), int(self.num_outputs)
        for columns in (CONN_COLUMNS, NODE_COLUMNS):
            lengths = {name: len(getattr(self, name)) for name in columns}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"genome table columns must have equal lengths, got {lengths}")
        self._starts: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def starts(self, which: str) -> np.ndarray:
        """Segment offsets (G + 1) of the ``"c"`` (connection) or ``"n"`` (node) table (computed once:
        a table's rows never change, only its weights and biases)."""
        found = self._starts.get(which)
        if found is None:
            rows = self.c_row if which == "c" else self.n_row
            found = self._starts[which] = np.searchsorted(rows, np.arange(len(self.keys) + 1))
        return found

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_pool(cls, pool: GenePool, tracker: InnovationTracker) -> GenomeTable:
        """Every row of ``pool``, in order, with the endpoints the tracker records."""
        conn_in, conn_out, recurrent = tracker.arrays()
        return cls(pool.keys, tracker.num_inputs, tracker.num_outputs, pool.c_row, pool.c_innov,
                   conn_in[pool.c_innov], conn_out[pool.c_innov], recurrent[pool.c_innov], pool.c_weight,
                   pool.c_enabled, pool.n_row, pool.n_id, pool.n_bias, pool.n_response, pool.n_act, pool.n_agg)

    @classmethod
    def from_genomes(cls, genomes: list[Genome]) -> GenomeTable:
        """A table of ``Genome`` objects (all with the same inputs and outputs)."""
        if not genomes:
            raise ValueError("a GenomeTable needs at least one genome")
        c: dict[str, list] = {name: [] for name in CONN_COLUMNS}
        n: dict[str, list] = {name: [] for name in NODE_COLUMNS}
        for row, g in enumerate(genomes):
            for i in sorted(g.connections):
                gene = g.connections[i]
                values = (row, i, gene.in_node, gene.out_node, gene.recurrent, gene.weight, gene.enabled)
                for name, value in zip(CONN_COLUMNS, values):
                    c[name].append(value)
            for k in sorted(k for k, node in g.nodes.items() if node.type != "input"):
                node = g.nodes[k]
                values = (row, k, node.bias, node.response, _ACT_INDEX[node.activation], _AGG_INDEX[node.aggregation])
                for name, value in zip(NODE_COLUMNS, values):
                    n[name].append(value)
        first = genomes[0]
        shapes = {(len(g.input_keys), len(g.output_keys)) for g in genomes}
        if len(shapes) > 1:
            raise ValueError(f"genomes of one table must share inputs and outputs, got (inputs, outputs) {shapes}")
        return cls(np.array([g.key for g in genomes]), len(first.input_keys), len(first.output_keys), **c, **n)

    def arrays(self) -> dict[str, np.ndarray | int]:
        """Every column by name: the form that crosses process boundaries (``from_arrays`` inverts it)."""
        return {"keys": self.keys, "num_inputs": self.num_inputs, "num_outputs": self.num_outputs,
                **{name: getattr(self, name) for name in CONN_COLUMNS + NODE_COLUMNS}}

    @classmethod
    def from_arrays(cls, arrays: dict) -> GenomeTable:
        missing = {"keys", "num_inputs", "num_outputs", *CONN_COLUMNS, *NODE_COLUMNS[:-1]} - set(arrays)
        if missing:
            raise ValueError(f"not a genome table: missing columns {sorted(missing)}")
        return cls(**arrays)

    # ------------------------------------------------------------------ selection

    def take(self, index: np.ndarray) -> GenomeTable:
        """A table of the genomes ``index`` (in that order), renumbered 0 .. len(index)-1."""
        index = np.asarray(index, dtype=np.int64)
        out = take_segments(self, (("c", CONN_COLUMNS), ("n", NODE_COLUMNS)), index)
        return GenomeTable(self.keys[index], self.num_inputs, self.num_outputs, **out)

    def genome(self, i: int, fitness: float | None = None) -> Genome:
        """Genome ``i`` as a ``Genome`` object."""
        nodes = {-k: NodeGene(-k, "input") for k in range(1, self.num_inputs + 1)}
        s = self.starts("n")
        for j in range(s[i], s[i + 1]):
            k = int(self.n_id[j])
            nodes[k] = NodeGene(k, "output" if k < self.num_outputs else "hidden", ACTIVATIONS[self.n_act[j]],
                                float(self.n_bias[j]), float(self.n_response[j]), AGGREGATIONS[self.n_agg[j]])
        s = self.starts("c")
        connections = {
            int(self.c_innov[j]): ConnectionGene(int(self.c_innov[j]), int(self.c_in[j]), int(self.c_out[j]),
                                                 float(self.c_weight[j]), bool(self.c_enabled[j]), bool(self.c_rec[j]))
            for j in range(s[i], s[i + 1])
        }
        return Genome(int(self.keys[i]), nodes, connections, fitness)
