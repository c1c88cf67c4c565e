"""``ottorch.viz``: DOT of autograd graphs (modules, clusters, folded recurrent steps) and rendering."""

import re
import shutil
import subprocess
import sys
import types

import pytest

import ottorch
import ottorch.nn as nn
from ottorch.autograd.graph import step_scope
from ottorch.viz import save_visualization, to_dot

DOT = shutil.which("dot")


def assert_valid_dot(source: str) -> None:
    """Balanced and, where Graphviz is installed, accepted by ``dot -Tsvg``."""
    assert source.startswith("digraph G {") and source.rstrip().endswith("}")
    assert source.count("{") == source.count("}")
    if DOT is not None:
        result = subprocess.run([DOT, "-Tsvg"], input=source, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "<svg" in result.stdout


def label_count(source: str, name: str) -> int:
    return len(re.findall(rf'label="{re.escape(name)}(\\n[^"]*)?"', source))


def indent_of(source: str, fragment: str) -> int:
    line = next(line for line in source.splitlines() if fragment in line)
    return len(line) - len(line.lstrip())


def mlp() -> nn.Sequential:
    ottorch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))


def test_mlp_ops_params_clusters_and_edges():
    src = to_dot(mlp(), ottorch.randn(3, 2))
    assert_valid_dot(src)
    assert label_count(src, "Linear") == 2 and label_count(src, "Tanh") == 1
    for label in ["0.weight\\n(4, 2)", "0.bias\\n(4)", "2.weight\\n(2, 4)", "input\\n(3, 2)", "output\\n(3, 2)",
                  "Linear\\n(3, 4)", "Tanh\\n(3, 4)", "Linear\\n(3, 2)"]:
        assert f'label="{label}"' in src
    for cluster, title in [("0", "0 (Linear)"), ("1", "1 (Tanh)"), ("2", "2 (Linear)")]:
        assert f'subgraph "cluster_{cluster}" {{' in src
        assert f'label="{title}"' in src
    # Data-flow direction: input -> first Linear -> Tanh -> second Linear -> output.
    ids = {label: node for node, label in re.findall(r'(n\d+) \[label="([^"\\]*)', src)}
    assert f"{ids['input']} -> " in src and f" -> {ids['output']};" in src
    assert f"{ids['Tanh']} -> " in src
    assert "@steps" not in src and "x5" not in src


def test_output_is_deterministic():
    model = mlp()
    x = ottorch.randn(3, 2)
    assert to_dot(model, x) == to_dot(model, x)
    assert to_dot(model, x) == to_dot(mlp(), x)


def test_cnn_graph():
    ottorch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 4))
    src = to_dot(model, ottorch.randn(1, 1, 8, 8), title="CNN")
    assert_valid_dot(src)
    for op in ["Conv2d\\n(1, 2, 6, 6)", "Relu\\n(1, 2, 6, 6)", "MaxPool2d\\n(1, 2, 3, 3)", "Reshape\\n(1, 18)",
               "Linear\\n(1, 4)"]:
        assert f'label="{op}"' in src
    assert 'label="0.weight\\n(2, 1, 3, 3)"' in src and 'label="4.weight\\n(4, 18)"' in src
    for title in ["0 (Conv2d)", "1 (ReLU)", "2 (MaxPool2d)", "3 (Flatten)", "4 (Linear)"]:
        assert f'label="{title}"' in src
    assert 'label="CNN", labelloc=t' in src
    # A parameter is drawn inside its layer's cluster.
    assert indent_of(src, 'label="0.weight') == indent_of(src, 'label="Conv2d') == 4


def test_nested_modules_give_nested_clusters_and_parent_ops_stay_outside():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
            self.head = nn.Linear(3, 1)

        def forward(self, x):
            return self.head(self.enc(x) * 2)

    src = to_dot(Net(), ottorch.randn(2, 3))
    assert_valid_dot(src)
    assert indent_of(src, 'subgraph "cluster_enc" {') == 2
    assert indent_of(src, 'subgraph "cluster_enc.0" {') == 4
    assert indent_of(src, 'label="Linear\\n(2, 3)"') == 6
    assert 'label="enc (Sequential)"' in src and 'label="enc.0 (Linear)"' in src
    assert indent_of(src, 'label="Mul') == 2


def test_tensor_graph_with_named_params_and_leaves():
    a = ottorch.ones(2, 3, requires_grad=True)
    b = ottorch.ones(2, 3, requires_grad=True)
    data = ottorch.ones(2, 3)
    src = to_dot(((a * b) + data).sum(), params={"a": a})
    assert_valid_dot(src)
    assert 'label="a\\n(2, 3)"' in src and 'label="leaf\\n(2, 3)"' in src
    assert label_count(src, "Mul") == 1 and label_count(src, "Sum") == 1
    # A constant leaf that needs no grad is not drawn.
    assert label_count(src, "leaf") == 1
    leaf_only = to_dot(a, params={"a": a})
    assert_valid_dot(leaf_only)
    assert 'label="a\\n(2, 3)"' in leaf_only


def test_labels_are_escaped_and_shapes_optional():
    w = ottorch.ones(2, requires_grad=True)
    src = to_dot((w * 3).sum(), params={'we"ird\\name': w}, show_shapes=False, title='say "hi"')
    assert_valid_dot(src)
    assert 'label="we\\"ird\\\\name"' in src and 'label="say \\"hi\\""' in src
    assert "(2)" not in src and 'label="Mul"' in src


def test_frozen_model_is_still_drawn():
    model = mlp().requires_grad_(False)
    src = to_dot(model, ottorch.randn(1, 2))
    assert_valid_dot(src)
    assert label_count(src, "Linear") == 2
    assert 'label="0.weight\\n(4, 2)", shape=ellipse, style="filled,dashed"' in src


def test_tuple_input_and_nested_output_take_the_first_tensor():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x, y):
            out = self.fc(x) + y
            return out, (out.sum(), out * 2)

    src = to_dot(Pair(), (ottorch.randn(1, 2), ottorch.randn(1, 2)))
    assert_valid_dot(src)
    assert 'label="input0\\n(1, 2)"' in src and 'label="input1\\n(1, 2)"' in src
    assert label_count(src, "Sum") == 0 and 'label="output\\n(1, 2)"' in src


def manual_rnn(steps: int, h0_none: bool = False):
    ottorch.manual_seed(0)
    lx, lh = nn.Linear(3, 4), nn.Linear(4, 4)
    x = ottorch.randn(steps, 2, 3)
    h = None if h0_none else ottorch.zeros(2, 4)
    for t in range(steps):
        with step_scope(t):
            z = lx(x[t])
            h = ottorch.tanh(z if h is None else z + lh(h))
    params = {"lx.weight": lx.weight, "lx.bias": lx.bias, "lh.weight": lh.weight, "lh.bias": lh.bias}
    return h.sum(), params


def test_recurrent_steps_fold_into_one():
    out, params = manual_rnn(5)
    src = to_dot(out, params=params)
    assert_valid_dot(src)
    assert label_count(src, "Tanh") == 1 and label_count(src, "Add") == 1 and label_count(src, "Linear") == 2
    assert 'label="x5", style=dashed' in src
    assert src.count('style=dashed, label="t-1"') == 1
    tanh = re.search(r'(n\d+) \[label="Tanh', src).group(1)
    assert re.search(rf'{tanh} -> n\d+ \[style=dashed, label="t-1"', src)
    assert 'label="lh.weight\\n(4, 4)"' in src


def test_without_folding_every_step_is_drawn():
    out, params = manual_rnn(5)
    src = to_dot(out, params=params, fold_steps=False)
    assert_valid_dot(src)
    assert label_count(src, "Tanh") == 5 and "x5" not in src and "t-1" not in src


def test_first_step_that_differs_is_drawn_apart():
    out, params = manual_rnn(4, h0_none=True)
    src = to_dot(out, params=params)
    assert_valid_dot(src)
    assert 'label="t=0"' in src and 'label="x3"' in src
    assert label_count(src, "Tanh") == 2


def test_module_with_recurrent_loop_folds_inside_its_cluster():
    class Cell(nn.Module):
        def __init__(self):
            super().__init__()
            self.lx, self.lh = nn.Linear(3, 4), nn.Linear(4, 4)

        def forward(self, x):
            h = ottorch.zeros(x.shape[1], 4)
            for t in range(x.shape[0]):
                with step_scope(t):
                    h = ottorch.tanh(self.lx(x[t]) + self.lh(h))
            return h

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = Cell()
            self.out = nn.Linear(4, 1)

        def forward(self, x):
            return self.out(self.rnn(x))

    src = to_dot(Net(), ottorch.randn(5, 2, 3))
    assert_valid_dot(src)
    assert label_count(src, "Tanh") == 1 and label_count(src, "Linear") == 3
    assert indent_of(src, 'subgraph "cluster_rnn" {') == 2
    assert indent_of(src, 'subgraph "cluster_rnn@steps0" {') == 4
    assert 'label="x5"' in src and 'label="rnn.lh (Linear)"' in src
    assert 'label="t-1"' in src


def test_lstm_folds():
    rnn = pytest.importorskip("ottorch.nn.modules.rnn")
    ottorch.manual_seed(0)
    src = to_dot(rnn.LSTM(3, 4), ottorch.randn(5, 2, 3))
    assert_valid_dot(src)
    assert 'label="x5"' in src and label_count(src, "Sigmoid") == 1
    assert 'label="t-1"' in src
    assert 'label="weight_hh_l0\\n(16, 4)"' in src
    stacked = to_dot(rnn.LSTM(3, 4, num_layers=2), ottorch.randn(5, 2, 3))
    assert_valid_dot(stacked)
    assert stacked.count('label="x5"') == 2 and label_count(stacked, "Sigmoid") == 2


def test_to_dot_errors():
    with pytest.raises(ValueError, match="needs an example `input`"):
        to_dot(mlp())
    with pytest.raises(ValueError, match="only used when drawing a Module"):
        to_dot(ottorch.ones(1), ottorch.ones(1))
    with pytest.raises(TypeError, match="expects an ottorch Tensor or nn.Module"):
        to_dot([1, 2])
    with pytest.raises(TypeError, match=r"params\['w'\] is a list"):
        to_dot(ottorch.ones(1), params={"w": [1.0]})

    class NoTensor(nn.Module):
        def forward(self, x):
            return None

    with pytest.raises(TypeError, match="holds no tensor"):
        to_dot(NoTensor(), ottorch.ones(1))


def without_graphviz_package(monkeypatch):
    # A None entry in sys.modules makes ``import graphviz`` raise ImportError.
    monkeypatch.setitem(sys.modules, "graphviz", None)


@pytest.mark.skipif(DOT is None, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_save_visualization_renders_with_the_dot_program(tmp_path, monkeypatch, fmt, magic):
    without_graphviz_package(monkeypatch)
    paths = save_visualization(mlp(), tmp_path / "sub" / f"mlp.{fmt}", input=ottorch.randn(1, 2), format=fmt)
    assert paths == {"dot": str(tmp_path / "sub" / "mlp.dot"), fmt: str(tmp_path / "sub" / f"mlp.{fmt}")}
    assert (tmp_path / "sub" / f"mlp.{fmt}").read_bytes().startswith(magic)
    assert (tmp_path / "sub" / "mlp.dot").read_text() == to_dot(mlp(), ottorch.randn(1, 2))


@pytest.mark.skipif(DOT is None, reason="Graphviz `dot` is not installed")
def test_save_visualization_with_the_real_graphviz_package(tmp_path):
    pytest.importorskip("graphviz")
    paths = save_visualization(mlp(), tmp_path / "mlp", input=ottorch.randn(1, 2))
    assert (tmp_path / "mlp.png").read_bytes().startswith(b"\x89PNG") and paths["png"] == str(tmp_path / "mlp.png")


def test_save_visualization_uses_the_graphviz_package(tmp_path, monkeypatch):
    calls = []

    class Source:
        def __init__(self, source):
            self.source = source

        def pipe(self, **kwargs):
            calls.append((self.source, kwargs["format"]))
            return b"rendered"

    fake = types.ModuleType("graphviz")
    fake.Source = Source
    fake.ExecutableNotFound = type("ExecutableNotFound", (RuntimeError,), {})
    monkeypatch.setitem(sys.modules, "graphviz", fake)
    out, params = manual_rnn(3)
    paths = save_visualization(out, tmp_path / "g", format="svg", params=params, title="RNN")
    assert paths == {"dot": str(tmp_path / "g.dot"), "svg": str(tmp_path / "g.svg")}
    assert (tmp_path / "g.svg").read_bytes() == b"rendered"
    assert calls == [((tmp_path / "g.dot").read_text(), "svg")]
    assert 'label="x3"' in calls[0][0] and 'label="RNN"' in calls[0][0]

    def missing(self, **kwargs):
        raise fake.ExecutableNotFound("dot not found")

    monkeypatch.setattr(Source, "pipe", missing)
    paths = save_visualization(out, tmp_path / "h.dot", params=params)
    assert paths["png"] is None and "apt-get install graphviz" in paths["message"]


def test_save_visualization_without_graphviz_writes_dot_and_explains(tmp_path, monkeypatch, capsys):
    without_graphviz_package(monkeypatch)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    paths = save_visualization(mlp(), tmp_path / "model.v2", input=ottorch.randn(1, 2))
    assert paths["dot"] == str(tmp_path / "model.v2.dot") and paths["png"] is None
    assert (tmp_path / "model.v2.dot").read_text().startswith("digraph G {")
    assert not (tmp_path / "model.v2.png").exists()
    message = paths["message"]
    assert "pip install 'ottorch[viz]'" in message and "apt-get install graphviz" in message
    assert str(tmp_path / "model.v2.dot") in message
    assert message in capsys.readouterr().err


def test_save_visualization_reports_dot_failures_and_bad_formats(tmp_path, monkeypatch):
    without_graphviz_package(monkeypatch)
    failing = shutil.which("false")
    if failing is None:
        pytest.skip("no `false` program to stand in for a failing dot")
    monkeypatch.setattr(shutil, "which", lambda name: failing)
    with pytest.raises(RuntimeError, match="`dot -Tpng` failed"):
        save_visualization(mlp(), tmp_path / "m", input=ottorch.randn(1, 2))
    with pytest.raises(ValueError, match="format must be one of"):
        save_visualization(mlp(), tmp_path / "m", input=ottorch.randn(1, 2), format="pdf")


def test_importing_ottorch_does_not_import_graphviz():
    code = "import sys, ottorch, ottorch.viz, ottorch.model_summary; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
