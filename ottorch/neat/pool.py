"""``GenePool``: the genes of a whole population as two flat tables.

Connection genes form one table sorted by (genome row, innovation number) and node genes another
sorted by (genome row, node id), each row's genes a contiguous segment. Work scales with the number
of genes actually present, not with the number of innovations ever made, and population-wide
operations (attribute mutation, crossover alignment, distances to a representative) are a handful of
numpy operations over the tables. ``Genome`` objects (``pool.genome(row)``) are the compact form that
leaves the coordinator.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from ottorch.neat.config import ACTIVATIONS, AGGREGATIONS
from ottorch.neat.genome import ConnectionGene, Genome, NodeGene
from ottorch.neat.innovation import InnovationTracker

_ACT_INDEX = {name: i for i, name in enumerate(ACTIVATIONS)}
_AGG_INDEX = {name: i for i, name in enumerate(AGGREGATIONS)}
CONN_FIELDS = ("c_row", "c_innov", "c_weight", "c_enabled")
NODE_FIELDS = ("n_row", "n_id", "n_bias", "n_response", "n_act", "n_agg")
_DTYPES = {"c_row": np.int64, "c_innov": np.int64, "c_weight": np.float64, "c_enabled": bool,
           "n_row": np.int64, "n_id": np.int64, "n_bias": np.float64, "n_response": np.float64, "n_act": np.int16,
           "n_agg": np.int16}


def segment_index(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)`` for every segment, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return offsets + np.arange(total)


def take_segments(obj, groups, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The gene columns of ``rows`` (in that order) from ``obj``'s segmented tables (``obj.starts(prefix)``
    gives a table's segment offsets): ``groups`` pairs each table's prefix with its column names, the
    first being the row column (renumbered from 0)."""
    out = {}
    for prefix, fields in groups:
        s = obj.starts(prefix)
        lengths = s[rows + 1] - s[rows]
        idx = segment_index(s[rows], lengths)
        for name in fields[1:]:
            out[name] = getattr(obj, name)[idx]
        out[fields[0]] = np.repeat(np.arange(len(rows)), lengths)
    return out


class GenePool:
    """Rows of genomes; ``c_*`` arrays are connection genes and ``n_*`` node genes (outputs and
    hidden nodes; inputs have no attributes)."""

    def __init__(self, keys: np.ndarray, **tables: np.ndarray) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        for name in CONN_FIELDS + NODE_FIELDS:
            setattr(self, name, np.asarray(tables.get(name, np.zeros(0)), dtype=_DTYPES[name]))
        if "n_agg" not in tables:  # every node sums its inputs (and checkpoints older than aggregations)
            self.n_agg = np.zeros(len(self.n_id), dtype=_DTYPES["n_agg"])
        self._starts: dict[str, np.ndarray] = {}

    @classmethod
    def empty(cls, n: int) -> GenePool:
        return cls(np.zeros(n, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.keys)

    def invalidate(self) -> None:
        """Forget cached segment offsets (after the tables were edited)."""
        self._starts.clear()

    def starts(self, which: str) -> np.ndarray:
        """Segment offsets (rows + 1) of the "c" (connection) or "n" (node) table."""
        found = self._starts.get(which)
        if found is None:
            rows = self.c_row if which == "c" else self.n_row
            found = np.searchsorted(rows, np.arange(len(self.keys) + 1))
            self._starts[which] = found
        return found

    def conn_slice(self, row: int) -> slice:
        s = self.starts("c")
        return slice(int(s[row]), int(s[row + 1]))

    def node_slice(self, row: int) -> slice:
        s = self.starts("n")
        return slice(int(s[row]), int(s[row + 1]))

    # ------------------------------------------------------------------ whole-pool operations

    def take(self, rows: np.ndarray) -> GenePool:
        """A new pool holding copies of ``rows`` (in that order)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = take_segments(self, (("c", CONN_FIELDS), ("n", NODE_FIELDS)), rows)
        return GenePool(self.keys[rows], **out)

    @staticmethod
    def concat(pools: list[GenePool]) -> GenePool:
        """The rows of ``pools`` one after the other."""
        offsets = np.cumsum([0] + [len(p) for p in pools])
        out = {}
        for name in CONN_FIELDS + NODE_FIELDS:
            parts = [getattr(p, name) for p in pools]
            if name in ("c_row", "n_row"):
                parts = [part + off for part, off in zip(parts, offsets)]
            out[name] = np.concatenate(parts)
        return GenePool(np.concatenate([p.keys for p in pools]), **out)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every table by name (for checkpoints)."""
        return {"keys": self.keys, **{name: getattr(self, name) for name in CONN_FIELDS + NODE_FIELDS}}

    def with_rows(self, rows: np.ndarray, replacements: list) -> GenePool:
        """A pool where ``rows[i]`` holds the genes of ``replacements[i]`` (``GeneLists``), same keys."""
        index = np.arange(len(replacements))
        conn = [np.repeat(index, [len(g.innovs) for g in replacements])]
        conn += [list(chain.from_iterable(getattr(g, a) for g in replacements))
                 for a in ("innovs", "weights", "enabled")]
        node = [np.repeat(index, [len(g.nodes) for g in replacements])]
        node += [list(chain.from_iterable(getattr(g, a) for g in replacements))
                 for a in ("nodes", "biases", "responses", "acts", "aggs")]
        tables = {}
        # One sort for all edited genomes: by row, then innovation (connections) or node id (nodes).
        for fields, columns in ((CONN_FIELDS, conn), (NODE_FIELDS, node)):
            arrays = [np.asarray(values, dtype=_DTYPES[name]) for name, values in zip(fields, columns)]
            order = np.lexsort((arrays[1], arrays[0]))
            tables.update({name: a[order] for name, a in zip(fields, arrays)})
        # every row's genes from this pool, or from the edited tables for ``rows``
        out = {}
        for prefix, fields in (("c", CONN_FIELDS), ("n", NODE_FIELDS)):
            starts = self.starts(prefix)
            sizes = np.diff(starts)
            edited_sizes = np.bincount(tables[fields[0]], minlength=len(rows))
            source = starts[:-1].copy()
            source[rows] = len(getattr(self, fields[0])) + np.concatenate([[0], np.cumsum(edited_sizes)[:-1]])
            sizes[rows] = edited_sizes
            index = segment_index(source, sizes)
            for name in fields[1:]:
                out[name] = np.concatenate([getattr(self, name), tables[name]])[index]
            out[fields[0]] = np.repeat(np.arange(len(self)), sizes)
        return GenePool(self.keys.copy(), **out)

    # ------------------------------------------------------------------ genomes in and out

    def genome(self, row: int, tracker: InnovationTracker, fitness: float | None = None) -> Genome:
        """The ``Genome`` stored in ``row``."""
        conn_in, conn_out, recurrent = tracker.arrays()
        nodes = {-k: NodeGene(-k, "input") for k in range(1, tracker.num_inputs + 1)}
        ns = self.node_slice(row)
        for k, b, r, a, agg in zip(self.n_id[ns].tolist(), self.n_bias[ns].tolist(), self.n_response[ns].tolist(),
                                   self.n_act[ns].tolist(), self.n_agg[ns].tolist()):
            nodes[k] = NodeGene(k, "output" if k < tracker.num_outputs else "hidden", ACTIVATIONS[a], b, r,
                                AGGREGATIONS[agg])
        cs = self.conn_slice(row)
        innovs = self.c_innov[cs]
        connections = {
            i: ConnectionGene(i, src, dst, w, e, rec)
            for i, src, dst, w, e, rec in zip(innovs.tolist(), conn_in[innovs].tolist(), conn_out[innovs].tolist(),
                                              self.c_weight[cs].tolist(), self.c_enabled[cs].tolist(),
                                              recurrent[innovs].tolist())
        }
        return Genome(int(self.keys[row]), nodes, connections, fitness)

    @classmethod
    def from_genomes(cls, genomes: list[Genome]) -> GenePool:
        """A pool holding ``genomes`` (their innovation numbers and node ids must be one tracker's)."""
        c = {name: [] for name in CONN_FIELDS}
        n = {name: [] for name in NODE_FIELDS}
        for row, g in enumerate(genomes):
            for i in sorted(g.connections):
                gene = g.connections[i]
                for name, value in zip(CONN_FIELDS, (row, i, gene.weight, gene.enabled)):
                    c[name].append(value)
            for k in sorted(k for k, node in g.nodes.items() if node.type != "input"):
                node = g.nodes[k]
                values = (row, k, node.bias, node.response, _ACT_INDEX[node.activation], _AGG_INDEX[node.aggregation])
                for name, value in zip(NODE_FIELDS, values):
                    n[name].append(value)
        return cls(np.array([g.key for g in genomes], dtype=np.int64), **c, **n)

    def write_back(self, row: int, weights: dict[int, float], biases: dict[int, float]) -> None:
        """Write trained weights (by innovation) and biases (by node id) into ``row`` (Lamarckian)."""
        if weights:
            seg = self.conn_slice(row)
            innovs = np.fromiter(weights, dtype=np.int64, count=len(weights))
            pos = seg.start + np.searchsorted(self.c_innov[seg], innovs)
            self.c_weight[pos] = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        if biases:
            seg = self.node_slice(row)
            ids = np.fromiter(biases, dtype=np.int64, count=len(biases))
            pos = seg.start + np.searchsorted(self.n_id[seg], ids)
            self.n_bias[pos] = np.fromiter(biases.values(), dtype=np.float64, count=len(biases))
