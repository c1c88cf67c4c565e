"""Progress bars: tqdm when installed, the built-in SimpleBar otherwise."""

import builtins
import io

from ottorch.utils import progress as progress_module
from ottorch.utils.progress import SimpleBar, progress


def test_simple_bar_prints_one_summary_line_when_not_a_terminal():
    out = io.StringIO()
    with SimpleBar(range(5), desc="epoch 1/2", file=out) as bar:
        for _ in bar:
            bar.set_postfix(loss=0.123456, acc=0.5)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("epoch 1/2: 100% |####################| 5/5") and "loss=0.1235" in lines[0]
    bar.write("done")
    assert out.getvalue().splitlines()[-1] == "done"


def test_simple_bar_without_total_and_disabled():
    out = io.StringIO()
    bar = SimpleBar(total=None, file=out)
    bar.update(3)
    bar.close()
    bar.close()
    assert out.getvalue().strip().startswith("3 it")
    silent = io.StringIO()
    for _ in SimpleBar(range(3), file=silent, disable=True):
        pass
    assert silent.getvalue() == ""


def test_progress_falls_back_without_tqdm(monkeypatch):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    bar = progress(range(2), desc="x", file=io.StringIO())
    assert isinstance(bar, progress_module.SimpleBar)
    assert list(bar) == [0, 1]


def test_progress_uses_tqdm_when_installed():
    bar = progress(range(2), desc="x", file=io.StringIO())
    assert type(bar).__name__ in ("tqdm", "SimpleBar")
    assert list(bar) == [0, 1]
