"""ottorch's CfC reproduces the authors' ``ncps`` package: outputs and gradients to 1e-5.

``ncps_cfc.json`` was recorded from ncps 1.0.1 on PyTorch 2.13 by ``scripts/record_ncps_parity.py``.
"""

import json
from pathlib import Path

import numpy as np

import ottorch
from tests.parity.cfc_workload import run


def test_same_outputs_and_gradients_as_ncps():
    expected = json.loads((Path(__file__).parent / "ncps_cfc.json").read_text())["values"]
    got = run(ottorch, ottorch.nn)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-5, err_msg=key)
