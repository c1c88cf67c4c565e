"""The compact form of shards and results on the wire between the coordinator and Ray workers.

A shard is a ``GenomeTable`` slice and its seeds; its results a ``TableResults``. Packed, a table
sends segment lengths instead of a genome index per gene, 32-bit ids and innovation numbers when
they fit, and one value for a column that holds one value (e.g. every response 1.0); results send
the weights and biases of written-back genomes only (none in pure NEAT). ``unpack_*`` restores the
exact arrays, so evaluation is bit for bit that of the unpacked forms.
"""

from __future__ import annotations

import numpy as np

from ottorch.neat.batch_eval import TableResults
from ottorch.neat.pool import segment_index
from ottorch.neat.table import CONN_COLUMNS, NODE_COLUMNS, GenomeTable

_IDS = ("c_innov", "c_in", "c_out", "n_id")
_INT32 = np.iinfo(np.int32)
# Node columns that often hold one value (every response 1.0, one activation, every node a sum): sent once.
_CONSTANT = ("n_response", "n_act", "n_agg")


def nbytes(packed: dict) -> int:
    """Bytes of the arrays of a packed dict (what crosses the wire, less pickling framing)."""
    return sum(v.nbytes for v in packed.values() if isinstance(v, np.ndarray))


def pack_table(table: GenomeTable) -> dict:
    out: dict = {"keys": table.keys, "num_inputs": table.num_inputs, "num_outputs": table.num_outputs,
                 "c_size": np.diff(table.starts("c")).astype(np.int32),
                 "n_size": np.diff(table.starts("n")).astype(np.int32)}
    for name in CONN_COLUMNS[1:] + NODE_COLUMNS[1:]:
        column = getattr(table, name)
        if name in _IDS and (not len(column) or (column.min() >= _INT32.min and column.max() <= _INT32.max)):
            column = column.astype(np.int32)
        elif name in _CONSTANT and len(column) and (column == column[0]).all():
            out[name + "_all"] = column[0].item()  # a Python float keeps the bits of a float64
            continue
        out[name] = column
    return out


def unpack_table(packed: dict) -> GenomeTable:
    columns = {name: value for name, value in packed.items()
               if name not in ("c_size", "n_size") and not name.endswith("_all")}
    G = len(packed["keys"])
    columns["c_row"] = np.repeat(np.arange(G), packed["c_size"])
    columns["n_row"] = np.repeat(np.arange(G), packed["n_size"])
    for name in _CONSTANT:
        if name + "_all" in packed:
            columns[name] = np.full(int(np.sum(packed["n_size"])), packed[name + "_all"])
    return GenomeTable(**columns)  # ids back to int64


_PER_GENOME = ("keys", "fitness", "fitness_before", "gradient_steps", "written", "final_loss", "rolled_back", "seconds")


def pack_results(results: TableResults, table: GenomeTable) -> dict:
    """``results`` of ``table``: per-genome arrays, errors, and the genes of written genomes only."""
    out = {name: getattr(results, name) for name in _PER_GENOME}
    out["errors"] = results.errors
    written = np.flatnonzero(results.written)
    for prefix, name in (("c", "c_weight"), ("n", "n_bias")):
        s = table.starts(prefix)
        out[name] = getattr(results, name)[segment_index(s[written], s[written + 1] - s[written])]
    return out


def unpack_results(packed: dict, table: GenomeTable) -> TableResults:
    """The ``TableResults`` of ``table`` that ``pack_results`` packed: genes of genomes not written are
    the table's own."""
    arrays = {name: packed[name] for name in _PER_GENOME}
    written = np.flatnonzero(packed["written"])
    for prefix, name in (("c", "c_weight"), ("n", "n_bias")):
        s = table.starts(prefix)
        genes = getattr(table, name).copy()
        genes[segment_index(s[written], s[written + 1] - s[written])] = packed[name]
        arrays[name] = genes
    return TableResults(**arrays, errors=dict(packed["errors"]))
