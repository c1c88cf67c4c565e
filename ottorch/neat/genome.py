"""``Genome``: one network's genes, as NEAT defines them, in a compact form for I/O and phenotypes.

Node genes carry a key, a type, an activation, a bias, a response and an aggregation (how the node
combines its weighted inputs: ``config.AGGREGATIONS``). Connection genes carry an innovation number, the
in/out node keys, a weight, an enabled flag and a recurrent flag (a delay-1 edge). A population is
stored as a ``GenePool`` (dense arrays); ``Genome`` is what leaves it: to workers, to checkpoints,
to the phenotype compiler and to the drawing code. It is plain data and JSON-serialisable.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field


@dataclass
class NodeGene:
    key: int
    type: str  # "input", "hidden" or "output"
    activation: str = "identity"
    bias: float = 0.0
    response: float = 1.0
    aggregation: str = "sum"


@dataclass
class ConnectionGene:
    innovation: int
    in_node: int
    out_node: int
    weight: float
    enabled: bool = True
    recurrent: bool = False


@dataclass
class Genome:
    """A genome: node genes by key and connection genes by innovation number."""

    key: int
    nodes: dict[int, NodeGene] = field(default_factory=dict)
    connections: dict[int, ConnectionGene] = field(default_factory=dict)
    fitness: float | None = None

    @property
    def input_keys(self) -> list[int]:
        return sorted((k for k, n in self.nodes.items() if n.type == "input"), reverse=True)

    @property
    def output_keys(self) -> list[int]:
        return sorted(k for k, n in self.nodes.items() if n.type == "output")

    @property
    def hidden_keys(self) -> list[int]:
        return sorted(k for k, n in self.nodes.items() if n.type == "hidden")

    def enabled_connections(self) -> list[ConnectionGene]:
        return [c for _, c in sorted(self.connections.items()) if c.enabled]

    def size(self) -> tuple[int, int]:
        """``(hidden nodes, enabled connections)``, the size measure of the NEAT paper."""
        return len(self.hidden_keys), len(self.enabled_connections())

    @property
    def is_recurrent(self) -> bool:
        return any(c.recurrent for c in self.connections.values() if c.enabled)

    def copy(self) -> Genome:
        return copy.deepcopy(self)

    def to_dict(self) -> dict:
        """JSON-ready form (lists sorted by key / innovation)."""
        return {
            "key": self.key,
            "fitness": self.fitness,
            "nodes": [asdict(self.nodes[k]) for k in sorted(self.nodes)],
            "connections": [asdict(self.connections[i]) for i in sorted(self.connections)],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Genome:
        try:
            nodes = {int(n["key"]): NodeGene(**n) for n in data["nodes"]}
            conns = {int(c["innovation"]): ConnectionGene(**c) for c in data["connections"]}
            genome = cls(int(data["key"]), nodes, conns, data.get("fitness"))
        except (KeyError, TypeError) as e:
            raise ValueError(f"not a genome dict: {e}") from None
        for c in conns.values():
            if c.in_node not in nodes or c.out_node not in nodes:
                raise ValueError(f"connection {c.innovation} refers to a missing node ({c.in_node} -> {c.out_node})")
        return genome
