"""Iris and California Housing from the CSV files in ``data/``."""

from __future__ import annotations

import csv
import gzip
import io
import os

import numpy as np

from ottorch._tensor_base import _make
from ottorch.datasets._files import find
from ottorch.datasets.base import Data


def _read_csv(path, opener=open) -> tuple[list[str], list[list[str]]]:
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    return rows[0], rows[1:]


def load_iris(root: str | os.PathLike | None = None) -> Data:
    """Fisher's Iris: x (150, 4) float32 in cm, y (150,) int64 with classes in ``target_names``."""
    header, rows = _read_csv(find("iris.csv", root))
    species = sorted({r[-1] for r in rows})
    x = np.array([[float(v) for v in r[:-1]] for r in rows], dtype=np.float32)
    y = np.array([species.index(r[-1]) for r in rows], dtype=np.int64)
    return Data(_make(x, False, None), _make(y, False, None), tuple(header[:-1]), tuple(species))


def load_california_housing(root: str | os.PathLike | None = None) -> Data:
    """California Housing in scikit-learn's 8-feature layout: x (20640, 8) float32, y (20640,)
    float32 median house value in units of $100,000."""
    header, rows = _read_csv(find("california_housing.csv.gz", root), gzip.open)
    table = np.array(rows, dtype=np.float64)
    x = table[:, :-1].astype(np.float32)
    y = table[:, -1].astype(np.float32)
    return Data(_make(x, False, None), _make(y, False, None), tuple(header[:-1]), (header[-1],))
