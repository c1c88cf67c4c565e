"""``ottorch.datasets``: offline loaders for Iris, California Housing, MNIST and Fashion-MNIST,
seeded generators for XOR, sine, parity and the TensorFlow Playground's 2-D classification sets, and
split/standardisation helpers.

Files are looked up in ``root=``, then ``$OTTORCH_DATA``, then the repository's ``data/`` folder, and
verified against their sha256 checksums.
"""

from ottorch.datasets._files import DataFileError
from ottorch.datasets.base import Data
from ottorch.datasets.images import load_fashion_mnist, load_mnist, read_idx
from ottorch.datasets.playground import make_circle, make_gaussian, make_spiral, make_xor2d
from ottorch.datasets.preprocessing import StandardScaler, train_test_split
from ottorch.datasets.synthetic import make_parity, make_parity_varlen, make_sine, make_xor
from ottorch.datasets.tabular import load_california_housing, load_iris
