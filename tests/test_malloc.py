"""The glibc malloc tuning applied at import, and its opt-out."""

import subprocess
import sys

from ottorch._malloc import tune_malloc


def test_tuning_applies_on_glibc_and_can_be_disabled(monkeypatch):
    if sys.platform.startswith("linux"):
        assert tune_malloc() in (True, False)  # False only on a non-glibc libc
    monkeypatch.setenv("OTTORCH_MALLOC_TUNING", "0")
    assert tune_malloc() is False


def test_import_with_tuning_disabled():
    code = "import ottorch; print(ottorch.ones(2).sum().item())"
    env = {"OTTORCH_MALLOC_TUNING": "0", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "2.0"
