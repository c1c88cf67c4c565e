"""Checkpoints: after each generation's evaluation, ``gen-NNNN.json`` (config, random state,
innovation tracker, species, counters, statistics, champion) and ``gen-NNNN.npz`` (the gene arrays).

Loading uses ``json`` and ``np.load(allow_pickle=False)`` only. A run restored from the checkpoint of
generation g continues with reproduction, exactly as the uninterrupted run did.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ottorch.neat.config import NEATConfig
from ottorch.neat.pool import CONN_FIELDS, NODE_FIELDS, GenePool
from ottorch.neat.population import GenerationStats, Population
from ottorch.neat.reporting import BaseReporter

FORMAT = "ottorch-neat-checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint is missing, truncated, or not an ottorch NEAT checkpoint."""


def save_checkpoint(population: Population, directory: str | os.PathLike) -> Path:
    """Write the population's state for its current generation; returns the JSON path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"gen-{population.generation:04d}"
    arrays = population.pool.arrays()
    # write to temporary names first so a crash never leaves a half-written checkpoint behind
    tmp_npz = stem.with_suffix(".npz.tmp")
    with open(tmp_npz, "wb") as f:
        np.savez(f, **arrays)
    state = {"format": FORMAT, "version": VERSION, "state": population.state_dict()}
    tmp_json = stem.with_suffix(".json.tmp")
    tmp_json.write_text(json.dumps(state))
    os.replace(tmp_npz, stem.with_suffix(".npz"))
    os.replace(tmp_json, stem.with_suffix(".json"))
    return stem.with_suffix(".json")


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest ``gen-NNNN.json`` in ``directory`` (None if there is none)."""
    found = sorted(Path(directory).glob("gen-*.json"))
    return found[-1] if found else None


def load_checkpoint(path: str | os.PathLike, reporters=()) -> Population:
    """Restore a ``Population`` from a checkpoint JSON (or a directory: its newest checkpoint)."""
    path = Path(path)
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise CheckpointError(f"no checkpoint (gen-NNNN.json) in {path}")
        path = found
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an ottorch NEAT checkpoint")
    if data.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {data.get('version')}, this ottorch reads {VERSION}")
    state = data["state"]
    npz = path.with_suffix(".npz")
    try:
        with np.load(npz, allow_pickle=False) as arrays:
            pool = GenePool(arrays["keys"], **{name: arrays[name] for name in CONN_FIELDS + NODE_FIELDS
                                               if name in arrays or name != "n_agg"})
    except (OSError, ValueError, KeyError) as e:
        raise CheckpointError(f"cannot read the gene arrays {npz}: {e}") from None
    config = NEATConfig.from_dict(state["config"])
    population = Population(config, seed=state["seed"], reporters=reporters)
    population.load_state_dict(state, pool)
    return population


class Checkpointer(BaseReporter):
    """Saves a checkpoint after every ``every``-th generation's evaluation into ``directory``."""

    def __init__(self, directory: str | os.PathLike, every: int = 1) -> None:
        self.directory, self.every = Path(directory), every

    def post_evaluate(self, population: Population, stats: GenerationStats) -> None:
        if population.generation % self.every == 0:
            save_checkpoint(population, self.directory)
