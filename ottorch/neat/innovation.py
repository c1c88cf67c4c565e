"""``InnovationTracker``: historical markings for structural mutations (NEAT paper, section 3.2).

Every connection gene ever created gets an innovation number that fixes its ``(in, out, recurrent)``
endpoints for the whole run, so the tracker doubles as the registry of what each innovation number
means. Within one generation the same structural change gets the same numbers in every genome: the
same new connection reuses its innovation, and splitting the same connection reuses the new node id
and both new innovations. Node ids: inputs are ``-1 .. -num_inputs``, outputs ``0 .. num_outputs-1``,
hidden nodes count up from ``num_outputs``.
"""

from __future__ import annotations

import numpy as np


class InnovationTracker:
    """Innovation numbers and node ids for one run; lives on the coordinator only."""

    def __init__(self, num_inputs: int, num_outputs: int) -> None:
        self.num_inputs, self.num_outputs = num_inputs, num_outputs
        self.next_node_id = num_outputs
        self.conn_in: list[int] = []
        self.conn_out: list[int] = []
        self.conn_recurrent: list[bool] = []
        self._connections: dict[tuple[int, int, bool], int] = {}
        self._splits: dict[int, tuple[int, int, int]] = {}
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def num_innovations(self) -> int:
        return len(self.conn_in)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(in, out, recurrent)`` of every innovation as numpy arrays (cached until the next one)."""
        if self._arrays is None:
            self._arrays = (np.array(self.conn_in, dtype=np.int64), np.array(self.conn_out, dtype=np.int64),
                            np.array(self.conn_recurrent, dtype=bool))
        return self._arrays

    def new_generation(self) -> None:
        """Forget this generation's structural changes: later ones get fresh numbers (paper's rule)."""
        self._connections.clear()
        self._splits.clear()

    def connection(self, in_node: int, out_node: int, recurrent: bool = False) -> int:
        """The innovation number of a new ``in -> out`` connection added in this generation."""
        key = (in_node, out_node, recurrent)
        innovation = self._connections.get(key)
        if innovation is None:
            innovation = self._register(in_node, out_node, recurrent)
            self._connections[key] = innovation
        return innovation

    def split(self, innovation: int) -> tuple[int, int, int]:
        """``(new node id, in-edge innovation, out-edge innovation)`` for splitting a connection."""
        found = self._splits.get(innovation)
        if found is None:
            node = self.next_node_id
            self.next_node_id += 1
            src, dst, recurrent = self.conn_in[innovation], self.conn_out[innovation], self.conn_recurrent[innovation]
            # The delay of a recurrent edge stays on the second half so the path keeps one delay.
            found = (node, self._register(src, node, False), self._register(node, dst, recurrent))
            self._splits[innovation] = found
        return found

    def _register(self, in_node: int, out_node: int, recurrent: bool) -> int:
        self.conn_in.append(in_node)
        self.conn_out.append(out_node)
        self.conn_recurrent.append(recurrent)
        self._arrays = None
        return len(self.conn_in) - 1

    def state_dict(self) -> dict:
        """JSON-serialisable state (for checkpoints)."""
        return {
            "num_inputs": self.num_inputs, "num_outputs": self.num_outputs, "next_node_id": self.next_node_id,
            "conn_in": list(self.conn_in), "conn_out": list(self.conn_out),
            "conn_recurrent": [bool(r) for r in self.conn_recurrent],
            "connections": [[i, o, r, n] for (i, o, r), n in self._connections.items()],
            "splits": [[k, *v] for k, v in self._splits.items()],
        }

    @classmethod
    def from_state_dict(cls, state: dict) -> InnovationTracker:
        t = cls(state["num_inputs"], state["num_outputs"])
        t.next_node_id = state["next_node_id"]
        t.conn_in, t.conn_out = list(state["conn_in"]), list(state["conn_out"])
        t.conn_recurrent = [bool(r) for r in state["conn_recurrent"]]
        t._connections = {(i, o, bool(r)): n for i, o, r, n in state["connections"]}
        t._splits = {k: (a, b, c) for k, a, b, c in state["splits"]}
        return t
