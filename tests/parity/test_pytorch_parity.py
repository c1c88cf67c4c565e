"""A typical PyTorch training script runs unchanged on ottorch and reproduces PyTorch's numbers.

``expected.json`` was recorded from PyTorch 2.13 by ``scripts/record_pytorch_parity.py``.
"""

import json
from pathlib import Path

import numpy as np

import ottorch
from tests.parity.workload import run


def test_same_numbers_as_pytorch():
    expected = json.loads((Path(__file__).parent / "expected.json").read_text())
    got = run(ottorch)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=2e-4, atol=2e-5, err_msg=key)
