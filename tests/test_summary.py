"""``ottorch.summary``: rows, output shapes, parameter totals, text and Markdown tables, errors."""

import pytest

import ottorch
import ottorch.nn as nn
from ottorch.model_summary import LayerRow, ModelSummary, summary


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))


def test_mlp_totals_rows_and_memory():
    s = summary(mlp(), (3, 2))
    assert isinstance(s, ModelSummary)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (22, 22, 0)
    assert [(r.name, r.class_name, r.depth) for r in s.rows] == [
        ("", "Sequential", 0), ("0", "Linear", 1), ("1", "Tanh", 1), ("2", "Linear", 1)
    ]
    assert all(isinstance(r, LayerRow) for r in s.rows)
    assert [r.num_params for r in s.rows] == [0, 12, 0, 10]
    assert [r.output_shape for r in s.rows] == [(3, 2), (3, 4), (3, 4), (3, 2)]
    assert s.param_bytes == 22 * 4
    assert s.input_bytes == 3 * 2 * 4
    # Leaf-module outputs (3x4, 3x4, 3x2 floats), doubled for their gradients.
    assert s.forward_backward_bytes == 2 * 4 * (12 + 12 + 6)
    assert s.total_bytes == s.param_bytes + s.input_bytes + s.forward_backward_bytes


def test_frozen_parameters_are_non_trainable():
    model = mlp()
    model[0].requires_grad_(False)
    s = summary(model, (1, 2))
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (22, 10, 12)
    assert (s.rows[1].num_params, s.rows[1].trainable_params) == (12, 0)
    assert "Non-trainable params: 12" in str(s)


def test_shared_module_and_tied_weights_are_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.b = nn.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.a(self.b(self.a(x)))

    s = summary(Tied(), (2, 3))
    assert s.total_params == 12
    assert [(r.name, r.num_params, r.recursive) for r in s.rows[1:]] == [
        ("a", 12, False), ("b", 9, False), ("a", 12, True)
    ]
    assert "(recursive)" in str(s)


def test_cnn_output_shapes_per_layer():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10)
    )
    s = summary(model, (2, 1, 8, 8))
    assert [r.output_shape for r in s.rows[1:]] == [(2, 4, 8, 8), (2, 4, 8, 8), (2, 4, 4, 4), (2, 64), (2, 10)]
    assert [r.num_params for r in s.rows[1:]] == [40, 0, 0, 0, 650]
    assert s.total_params == 690
    assert "[2, 4, 4, 4]" in str(s)


def test_text_table_has_headers_indented_rows_and_totals():
    text = str(summary(nn.Sequential(nn.Sequential(nn.Linear(2, 4)), nn.Tanh()), (3, 2)))
    lines = text.splitlines()
    header = next(line for line in lines if "Layer (type)" in line)
    assert "Output Shape" in header and "Param #" in header
    assert any(line.startswith("Sequential ") and line.endswith("--") for line in lines)
    assert any(line.startswith("  0 (Sequential)") for line in lines)
    assert any(line.startswith("    0 (Linear)") and "[3, 4]" in line and line.endswith(" 12") for line in lines)
    assert "Total params: 12" in text and "Trainable params: 12" in text
    assert "Params size (MB): 0.00" in text and "Estimated Total Size (MB)" in text
    assert repr(summary(mlp(), (1, 2))) == str(summary(mlp(), (1, 2)))


def test_big_counts_use_thousands_separators():
    s = summary(nn.Linear(100, 100), (1, 100))
    assert s.total_params == 10100
    assert "10,100" in str(s) and "| 10,100 |" in s.to_markdown()


def test_markdown_table():
    md = summary(mlp(), (3, 2)).to_markdown()
    lines = md.splitlines()
    assert lines[0] == "| Layer (type) | Output Shape | Param # |"
    assert lines[1] == "| --- | --- | ---: |"
    assert "| Sequential | [3, 2] | -- |" in lines
    assert "| &nbsp;&nbsp;0 (Linear) | [3, 4] | 12 |" in lines
    assert "| &nbsp;&nbsp;1 (Tanh) | [3, 4] | 0 |" in lines
    assert "- **Total params:** 22" in lines


def test_nested_tuple_outputs_print_sensibly():
    class LSTMLike(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(3, 8)

        def forward(self, x):
            out = self.proj(x)
            h = out[-1:]
            return out, (h, h * 2), {"last": h}

    s = summary(LSTMLike(), (5, 1, 3))
    assert s.rows[0].output_shape == [(5, 1, 8), [(1, 1, 8), (1, 1, 8)], {"last": (1, 1, 8)}]
    assert s.rows[0].output_shape_str == "([5, 1, 8], ([1, 1, 8], [1, 1, 8]), {last: [1, 1, 8]})"
    assert "([5, 1, 8], ([1, 1, 8], [1, 1, 8]), {last: [1, 1, 8]})" in str(s)


def test_lstm_summary():
    rnn = pytest.importorskip("ottorch.nn.modules.rnn")
    s = summary(rnn.LSTM(3, 8), (5, 1, 3))
    assert s.total_params == 4 * 8 * (3 + 8 + 2)
    assert "([5, 1, 8], ([1, 1, 8], [1, 1, 8]))" in str(s)


def test_several_inputs_dtypes_and_input_data():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3)
            self.fc = nn.Linear(3, 1)

        def forward(self, idx, scale):
            return self.fc(self.emb(idx)) * scale

    s = summary(Two(), [(2, 5), (2, 5, 1)], dtypes=[ottorch.int64, ottorch.float32])
    assert [r.output_shape for r in s.rows] == [(2, 5, 1), (2, 5, 3), (2, 5, 1)]
    assert s.total_params == 34
    data = (ottorch.tensor([[1, 2]]), ottorch.ones(1, 2, 1))
    s = summary(Two(), input_data=data)
    assert s.rows[0].output_shape == (1, 2, 1)
    assert summary(mlp(), input_data=ottorch.ones(4, 2)).rows[-1].output_shape == (4, 2)


def test_runs_in_eval_mode_without_grad_and_restores_modes():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append((self.training, ottorch.is_grad_enabled()))
            return x

    model = nn.Sequential(Probe(), nn.Dropout(0.5), nn.Linear(2, 2))
    model[1].eval()
    summary(model, (1, 2))
    assert seen == [(False, False)]
    assert [m.training for m in model.modules()] == [True, True, False, True]
    assert ottorch.is_grad_enabled()
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_forward_failure_names_the_summary_and_the_original_error():
    model = mlp()
    with pytest.raises(Exception) as original:
        model(ottorch.zeros(1, 3))
    with pytest.raises(RuntimeError, match="summary: the forward pass of Sequential failed") as err:
        summary(model, (1, 3))
    assert str(original.value) in str(err.value)
    assert "[1, 3]" in str(err.value)
    assert model.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of input_size or input_data"),
        ({"input_size": (1, 2), "input_data": ottorch.ones(1, 2)}, "exactly one"),
        ({"input_size": (1, -2)}, "positive ints"),
        ({"input_size": [(1, 2), "x"]}, "positive ints"),
        ({"input_size": ()}, "input_size must be a shape"),
        ({"input_size": (1, 2), "dtypes": [ottorch.float32, ottorch.float32]}, "dtypes has 2 entries"),
        ({"input_data": ottorch.ones(1, 2), "dtypes": [ottorch.float32]}, "dtypes only applies"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        summary(mlp(), **kwargs)


def test_rejects_non_modules():
    with pytest.raises(TypeError, match="expects an ottorch.nn.Module"):
        summary(lambda x: x, (1, 2))


def test_parameters_of_uncalled_children_count_for_the_called_parent():
    # CfC computes with its cell's weights directly and never calls the cell as a module.
    model = ottorch.nn.CfC(3, 4, backbone_units=8, proj_size=2)
    s = ottorch.summary(model, input_size=(2, 5, 3))
    rows = {row.name: row for row in s.rows}
    assert set(rows) == {"", "fc"}
    assert rows[""].num_params == s.total_params - 10 and rows["fc"].num_params == 10
