"""MNIST and Fashion-MNIST from gzipped IDX files."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from ottorch._tensor_base import _make
from ottorch.datasets._files import DataFileError, find
from ottorch.datasets.base import Data

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """A gzipped IDX file (magic 0x801 labels or 0x803 images) as a uint8 array."""
    raw = gzip.open(path, "rb").read()
    if len(raw) < 8 or raw[:2] != b"\x00\x00" or raw[2] != 0x08 or raw[3] not in (1, 3):
        raise DataFileError(f"{path} is not an IDX file of unsigned bytes (bad magic {raw[:4].hex()})")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(dims)):
        raise DataFileError(f"{path}: header says {dims} but holds {len(raw) - offset} bytes (truncated?)")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def _load(prefix: str, names: tuple[str, str], root, extra, classes) -> Data:
    images = read_idx(find(f"{prefix}/{names[0]}", root, extra))
    labels = read_idx(find(f"{prefix}/{names[1]}", root, extra))
    if len(images) != len(labels):
        raise DataFileError(f"{prefix}: {len(images)} images but {len(labels)} labels")
    x = (images.astype(np.float32) / 255.0)[:, None]
    return Data(_make(x, False, None), _make(labels.astype(np.int64), False, None), (), classes)


def load_mnist(train: bool = True, root: str | os.PathLike | None = None) -> Data:
    """MNIST digits: x (N, 1, 28, 28) float32 in [0, 1], y (N,) int64; 60,000 train / 10,000 test."""
    split = "train" if train else "t10k"
    return _load("mnist", (f"{split}-images.idx3-ubyte.gz", f"{split}-labels.idx1-ubyte.gz"), root, (),
                 tuple(str(d) for d in range(10)))


def load_fashion_mnist(train: bool = True, root: str | os.PathLike | None = None) -> Data:
    """Fashion-MNIST (same layout as MNIST), also found where the Debian package
    ``dataset-fashion-mnist`` installs it."""
    split = "train" if train else "t10k"
    return _load("fashion-mnist", (f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz"), root,
                 (FASHION_SYSTEM_DIR,), FASHION_CLASSES)
