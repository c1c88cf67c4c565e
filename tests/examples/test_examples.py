"""Every example runs with --quick (small data, few epochs, looser target) and reports success.

The full runs (documented in the README with their metrics and wall times) are not part of CI.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    "xor", "iris", "sine_regression", "california_housing", "mnist", "parity_rnn_fixed_len",
    "parity_rnn_var_len", "parity_lstm_var_len", "parity_gru_var_len", "mnist_gan",
    "cfc_irregular",
]


@pytest.mark.parametrize("name", EXAMPLES)
def test_quick_run_meets_its_target(name, tmp_path):
    out = tmp_path / name
    cmd = [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--quick", "--seed", "0", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] and result["quick"] and result["example"] == name
    assert (out / "graph.dot").stat().st_size > 0
    assert "Total params" in (out / "summary.txt").read_text()
    assert (out / "summary.md").exists()


def test_epochs_flag_is_honoured(tmp_path):
    out = tmp_path / "xor"
    cmd = [sys.executable, str(ROOT / "examples" / "xor.py"), "--epochs", "2", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    result = json.loads((out / "result.json").read_text())
    assert result["epochs"] == 2
    assert proc.returncode == (0 if result["passed"] else 1)
