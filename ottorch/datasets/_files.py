"""Finding data files offline and checking them: ``root=`` first, then ``$OTTORCH_DATA``, then the
repository's ``data/`` folder (and for Fashion-MNIST the Debian package's folder)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO_DATA = Path(__file__).resolve().parents[2] / "data"

#: sha256 of every file ottorch ships or expects, by file name.
CHECKSUMS = {
    "iris.csv": "e404da8a0348eaa780e968c07a8f4dc90fe90eea54ddceeb5b444ce0caae8d30",
    "california_housing.csv.gz": "c0972030de4d2836d4930fd3a143aaf51c2b938b85c65a14f18b645c7664287b",
    "mnist/train-images.idx3-ubyte.gz": "7ff28fd295f802eefc6d40e461175dfe4b969b1842b2abc8c6dc8c20711cf79f",
    "mnist/train-labels.idx1-ubyte.gz": "81a978ae83d39ffdba0db3ce2fcaf80a8921e9629e874428996a2b03242d4b2a",
    "mnist/t10k-images.idx3-ubyte.gz": "197e111ae341b0770be9011ac5e622d0e6cd1c640b32eb0de5dc1dd26cc6e182",
    "mnist/t10k-labels.idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
    "fashion-mnist/train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "fashion-mnist/train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "fashion-mnist/t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

HOW_TO_GET = {
    "iris.csv": "the repository's data/ folder (a git clone has it) or the UCI Machine Learning Repository",
    "california_housing.csv.gz": "the repository's data/ folder (a git clone has it) or StatLib",
    "mnist": "the repository's data/ folder (a git clone has it) or http://yann.lecun.com/exdb/mnist/",
    "fashion-mnist": "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or "
                     "https://github.com/zalandoresearch/fashion-mnist",
}


class DataFileError(FileNotFoundError):
    """A data file is missing or does not match its checksum."""


def _candidates(name: str, root: str | os.PathLike | None, extra: tuple[Path, ...]) -> list[Path]:
    dirs = []
    if root is not None:
        dirs.append(Path(root))
    if os.environ.get("OTTORCH_DATA"):
        dirs.append(Path(os.environ["OTTORCH_DATA"]))
    dirs.append(REPO_DATA)
    places = [d / name for d in dirs]
    # also accept files placed directly in root/$OTTORCH_DATA without the subfolder
    if "/" in name:
        places += [d / name.split("/", 1)[1] for d in dirs[:-1]]
    places += [d / name.split("/", 1)[-1] for d in extra]
    return places


def find(name: str, root: str | os.PathLike | None = None, extra: tuple[Path, ...] = (),
         verify: bool = True) -> Path:
    """The path of data file ``name`` (e.g. ``"mnist/t10k-images.idx3-ubyte.gz"``), checksum-verified.

    Raises ``DataFileError`` naming every place looked in and how to get the file.
    """
    places = _candidates(name, root, extra)
    for path in places:
        if path.is_file():
            if verify:
                check(path, name)
            return path
    key = name.split("/", 1)[0] if "/" in name else name
    raise DataFileError(
        f"data file {name!r} not found; looked in:\n  " + "\n  ".join(str(p) for p in places)
        + f"\nGet it from {HOW_TO_GET.get(key, 'its original source')} and pass root=... or set OTTORCH_DATA."
    )


def check(path: Path, name: str) -> None:
    """Raise ``DataFileError`` unless ``path`` has the sha256 recorded for ``name``."""
    expected = CHECKSUMS.get(name)
    if expected is None:
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise DataFileError(
            f"{path} does not match the checksum of {name} (sha256 {digest}, expected {expected}); "
            "the file is corrupt or a different version; delete it and get it again"
        )
