"""The champion outside a run: ``save_champion`` writes its genome as an ottorch file (``.ott``: JSON and
arrays, no pickle) and ``load_champion`` gives back an ``ottorch.nn.Module`` that computes the
phenotype's outputs, ready to use without ``ottorch.neat``'s evolution machinery."""

from __future__ import annotations

import os
from pathlib import Path

import ottorch
from ottorch.neat.genome import Genome
from ottorch.neat.phenotype import GenomeNetwork, compile_genome
from ottorch.serialization import LoadError

FORMAT, VERSION = "ottorch-neat-champion", 1


def save_champion(genome: Genome, path: str | os.PathLike, task: str | None = None,
                  metadata: dict | None = None) -> None:
    """Write ``genome`` (and the name of the task it was evolved for) to ``path``; ``metadata`` is what the
    task needs besides the genome to use it (JSON values, e.g. a gym: task's observation statistics)."""
    data = {"format": FORMAT, "version": VERSION, "task": task, "genome": genome.to_dict()}
    if metadata is not None:
        data["metadata"] = metadata
    ottorch.save(data, path)


def load_champion(path: str | os.PathLike, dtype=ottorch.float32) -> GenomeNetwork:
    """The network of the champion saved at ``path``, in eval mode; ``.genome`` holds its genome and
    ``.task`` the task name, ``.metadata`` the task's metadata (None when saved without). Input
    ``(N, inputs)`` -> ``(N, outputs)``; recurrent champions take sequences ``(N, T, inputs)``. Raises
    ``LoadError`` for a file that is not a saved champion."""
    data = ottorch.load(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LoadError(f"cannot load {Path(path)}: not an ottorch NEAT champion (save_champion writes those)")
    if data.get("version") != VERSION:
        raise LoadError(f"cannot load {Path(path)}: champion format version {data.get('version')}, this ottorch "
                        f"reads {VERSION}")
    try:
        genome = Genome.from_dict(data["genome"])
    except ValueError as e:
        raise LoadError(f"cannot load {Path(path)}: {e}") from None
    net = compile_genome(genome, dtype)
    net.genome, net.task, net.metadata = genome, data.get("task"), data.get("metadata")
    return net.eval()
