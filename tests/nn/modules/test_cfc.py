"""CfC and CfCCell: a numpy reference of the equations, layouts, elapsed times, packed sequences,
gradients (gradcheck), ncps's parameter names and initialisation, dropout and errors.

Agreement with the authors' ``ncps`` itself is in ``tests/parity/test_ncps_parity.py``.
"""

import numpy as np
import pytest

import ottorch
from ottorch import nn
from ottorch.autograd import gradcheck
from ottorch.nn.utils.rnn import PackedSequence, pack_sequence, pad_packed_sequence

MODES = ["default", "pure", "no_gate"]


def t64(a, grad=False):
    return ottorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def cfc64(*args, **kwargs):
    ottorch.manual_seed(0)
    return nn.CfC(*args, **kwargs).double()


# ----------------------------------------------------------------------------- numpy reference


def ref_cell(cell, x, h, ts):
    """The CfC equations in numpy for x (N, I), h (N, H) and ts (N, 1) or a number."""
    p = {k: v.detach().numpy() for k, v in cell.state_dict().items()}
    z = np.concatenate([x, h], axis=1)
    for k in range(cell.backbone_layers):
        z = z @ p[f"backbone.{2 * k}.weight"].T + p[f"backbone.{2 * k}.bias"]
        z = 1.7159 * np.tanh(0.666 * z)
    mask = p.get("sparsity_mask", 1.0)
    ff1 = z @ (p["ff1.weight"] * mask).T + p["ff1.bias"]
    if cell.mode == "pure":
        return -p["A"] * np.exp(-ts * (np.abs(p["w_tau"]) + np.abs(ff1))) * ff1 + p["A"]
    ff1, ff2 = np.tanh(ff1), np.tanh(z @ (p["ff2.weight"] * mask).T + p["ff2.bias"])
    gate = 1 / (1 + np.exp(-((z @ p["time_a.weight"].T + p["time_a.bias"]) * ts
                             + z @ p["time_b.weight"].T + p["time_b.bias"])))
    if cell.mode == "no_gate":
        return ff1 + gate * ff2
    return ff1 * (1 - gate) + gate * ff2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers", [0, 1, 2])
def test_sequence_matches_reference(mode, layers):
    g = np.random.default_rng(1)
    m = cfc64(3, 4, mode=mode, backbone_units=6, backbone_layers=layers)
    x, ts = g.standard_normal((2, 5, 3)), g.uniform(0.1, 2.0, (2, 5))
    out, h_n = m(t64(x), timespans=t64(ts))
    h, expected = np.zeros((2, 4)), []
    for t in range(5):
        h = ref_cell(m.rnn_cell, x[:, t], h, ts[:, t:t + 1])
        expected.append(h)
    np.testing.assert_allclose(out.detach().numpy(), np.stack(expected, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy(), h, rtol=1e-12, atol=1e-12)


def test_no_timespans_means_one_and_a_number_means_every_step():
    g = np.random.default_rng(2)
    m = cfc64(3, 4, backbone_units=6)
    x = t64(g.standard_normal((2, 5, 3)))
    ones, half = t64(np.ones((2, 5, 1))), t64(np.full((2, 5), 0.5))
    np.testing.assert_allclose(m(x)[0].detach().numpy(), m(x, timespans=ones)[0].detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m(x, timespans=0.5)[0].detach().numpy(), m(x, timespans=half)[0].detach().numpy(), rtol=0, atol=0)


@pytest.mark.parametrize("mode", MODES)
def test_cell_matches_reference_and_the_layer(mode):
    g = np.random.default_rng(3)
    m = cfc64(3, 4, mode=mode, backbone_units=6)
    x, h0, ts = g.standard_normal((2, 5, 3)), g.standard_normal((2, 4)), g.uniform(0.1, 2.0, (2, 5, 1))
    out, _ = m(t64(x), t64(h0), t64(ts))
    h = t64(h0)
    for t in range(5):
        expected = ref_cell(m.rnn_cell, x[:, t], h.detach().numpy(), ts[:, t])
        step_ts = t64(ts[:, t, 0]) if t % 2 else t64(ts[:, t])  # (N,) and (N, 1) alike
        h_out, h = m.rnn_cell(t64(x[:, t]), h, step_ts)
        assert h_out is h
        np.testing.assert_allclose(h.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(out[:, t].detach().numpy(), h.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_cell_unbatched_scalar_time_and_zero_state():
    g = np.random.default_rng(4)
    cell = nn.CfCCell(3, 4, backbone_units=6).double()
    x = g.standard_normal(3)
    out, h = cell(t64(x), ts=0.3)
    assert tuple(h.shape) == (4,)
    np.testing.assert_allclose(h.detach().numpy(), ref_cell(cell, x[None], np.zeros((1, 4)), 0.3)[0], rtol=1e-12)
    _, h0d = cell(t64(x), None, t64(0.3))
    np.testing.assert_array_equal(h0d.detach().numpy(), h.detach().numpy())


def test_layouts_agree():
    g = np.random.default_rng(5)
    x, h0 = g.standard_normal((2, 5, 3)), g.standard_normal((2, 4))
    bf = cfc64(3, 4, backbone_units=6)
    sf = cfc64(3, 4, backbone_units=6, batch_first=False)
    out_bf, h_bf = bf(t64(x), t64(h0))
    out_sf, h_sf = sf(t64(x.transpose(1, 0, 2)), t64(h0))
    np.testing.assert_array_equal(out_sf.detach().numpy().transpose(1, 0, 2), out_bf.detach().numpy())
    np.testing.assert_array_equal(h_sf.detach().numpy(), h_bf.detach().numpy())
    out_one, h_one = bf(t64(x[0]), t64(h0[0]))  # unbatched (L, H_in)
    np.testing.assert_allclose(out_one.detach().numpy(), out_bf.detach().numpy()[0], rtol=1e-12, atol=1e-13)
    assert tuple(h_one.shape) == (4,)
    ts = g.uniform(0.1, 2.0, (2, 5))
    timed, _ = bf(t64(x), timespans=t64(ts))
    for shape in ((5,), (5, 1)):  # unbatched times, with or without the trailing 1
        one, _ = bf(t64(x[1]), timespans=t64(ts[1].reshape(shape)))
        np.testing.assert_allclose(one.detach().numpy(), timed.detach().numpy()[1], rtol=1e-12, atol=1e-13)
    last = cfc64(3, 4, backbone_units=6, return_sequences=False, proj_size=2)
    proj, h_last = last(t64(x))
    np.testing.assert_allclose(proj.detach().numpy(), last.fc(h_last).detach().numpy(), rtol=0, atol=0)
    assert tuple(proj.shape) == (2, 2)


def test_mixed_memory_runs_the_lstm_first():
    g = np.random.default_rng(6)
    m = cfc64(3, 4, backbone_units=6, mixed_memory=True)
    x = g.standard_normal((2, 5, 3))
    out, (h, c) = m(t64(x))
    p = {k: v.detach().numpy() for k, v in m.lstm.state_dict().items()}
    hr, cr = np.zeros((2, 4)), np.zeros((2, 4))
    for t in range(5):
        z = x[:, t] @ p["input_map.weight"].T + p["input_map.bias"] + hr @ p["recurrent_map.weight"].T
        i, ig, fg, og = np.split(z, 4, axis=1)
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        cr = cr * sig(fg + 1.0) + np.tanh(i) * sig(ig)
        hr = ref_cell(m.rnn_cell, x[:, t], np.tanh(cr) * sig(og), 1.0)
    np.testing.assert_allclose(h.detach().numpy(), hr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), cr, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- packed sequences


@pytest.mark.parametrize("kwargs", [{}, {"mixed_memory": True}, {"mode": "pure", "return_sequences": False}])
def test_packed_equals_each_sequence_alone(kwargs):
    g = np.random.default_rng(7)
    m = cfc64(3, 4, backbone_units=6, **kwargs)
    seqs = [g.standard_normal((n, 3)) for n in (3, 5, 2)]
    times = [g.uniform(0.1, 2.0, n) for n in (3, 5, 2)]
    out, state = m(pack_sequence([t64(s) for s in seqs], enforce_sorted=False),
                   timespans=pack_sequence([t64(t) for t in times], enforce_sorted=False))
    for k, (s, ts) in enumerate(zip(seqs, times)):
        alone, alone_state = m(t64(s[None]), timespans=t64(ts[None]))
        if m.return_sequences:
            assert isinstance(out, PackedSequence)
            padded, lengths = pad_packed_sequence(out, batch_first=True)
            np.testing.assert_allclose(padded.detach().numpy()[k, :len(s)], alone.detach().numpy()[0], rtol=1e-12, atol=1e-13)
            np.testing.assert_array_equal(padded.detach().numpy()[k, len(s):], 0.0)
        else:
            np.testing.assert_allclose(out.detach().numpy()[k], alone.detach().numpy()[0], rtol=1e-12, atol=1e-13)
        for a, b in zip(state if isinstance(state, tuple) else (state,),
                        alone_state if isinstance(alone_state, tuple) else (alone_state,)):
            np.testing.assert_allclose(a.detach().numpy()[k], b.detach().numpy()[0], rtol=1e-12, atol=1e-13)


def test_packed_timespans_must_be_packed_alike():
    m = cfc64(3, 4, backbone_units=6)
    packed = pack_sequence([t64(np.ones((3, 3))), t64(np.ones((2, 3)))])
    with pytest.raises(TypeError, match="timespans must be a PackedSequence"):
        m(packed, timespans=t64(np.ones((2, 3))))
    with pytest.raises(ValueError, match="packed like the input"):
        m(packed, timespans=pack_sequence([t64(np.ones(3)), t64(np.ones(3))]))


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_weights_inputs_state_and_times(mode):
    g = np.random.default_rng(8)
    m = cfc64(2, 3, mode=mode, backbone_units=4, mixed_memory=mode == "default")
    x, ts = t64(g.standard_normal((2, 4, 2)), True), t64(g.uniform(0.1, 2.0, (2, 4, 1)), True)
    weights = list(m.parameters())

    def f(x, ts, *_):
        out, _ = m(x, timespans=ts)
        return out

    assert gradcheck(f, (x, ts, *weights))


def test_gradcheck_packed_and_sparsity_mask():
    g = np.random.default_rng(9)
    mask = (g.random((4, 3)) > 0.4).astype(np.float64)
    cell = nn.CfCCell(2, 3, backbone_units=4, sparsity_mask=mask).double()
    x, h = t64(g.standard_normal((2, 2)), True), t64(g.standard_normal((2, 3)), True)
    assert gradcheck(lambda x, h, *_: cell(x, h, 0.7)[1], (x, h, *cell.parameters()))
    m = cfc64(2, 3, backbone_units=4, return_sequences=False)
    a, b = t64(g.standard_normal((3, 2)), True), t64(g.standard_normal((2, 2)), True)
    assert gradcheck(lambda a, b: m(pack_sequence([a, b]))[0], (a, b))


# ----------------------------------------------------------------------------- parameters


def test_parameter_names_shapes_and_defaults_follow_ncps():
    m = nn.CfC(3, 5)
    assert m.batch_first and m.return_sequences and m.state_size == m.output_size == 5
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        "rnn_cell.backbone.0.weight": (128, 8), "rnn_cell.backbone.0.bias": (128,),
        "rnn_cell.ff1.weight": (5, 128), "rnn_cell.ff1.bias": (5,),
        "rnn_cell.ff2.weight": (5, 128), "rnn_cell.ff2.bias": (5,),
        "rnn_cell.time_a.weight": (5, 128), "rnn_cell.time_a.bias": (5,),
        "rnn_cell.time_b.weight": (5, 128), "rnn_cell.time_b.bias": (5,),
    }
    pure = nn.CfC(3, 5, mode="pure", backbone_layers=0, mixed_memory=True, proj_size=2)
    assert {k: tuple(v.shape) for k, v in pure.state_dict().items()} == {
        "rnn_cell.w_tau": (1, 5), "rnn_cell.A": (1, 5), "rnn_cell.ff1.weight": (5, 8), "rnn_cell.ff1.bias": (5,),
        "lstm.input_map.weight": (20, 3), "lstm.input_map.bias": (20,), "lstm.recurrent_map.weight": (20, 5),
        "fc.weight": (2, 5), "fc.bias": (2,),
    }
    deep = nn.CfC(3, 5, backbone_units=7, backbone_layers=3, backbone_dropout=0.2, activation="gelu")
    kinds = [type(layer).__name__ for layer in deep.rnn_cell.backbone]
    assert kinds == ["Linear", "GELU", "Linear", "GELU", "Dropout", "Linear", "GELU", "Dropout"]


def test_initialisation_is_glorot_for_matrices():
    ottorch.manual_seed(0)
    cell = nn.CfCCell(3, 5, mode="pure", backbone_units=64)
    w = cell.backbone[0].weight.detach().numpy()
    bound = np.sqrt(6 / (8 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    # ncps redraws w_tau and A (1, H) Glorot-uniform too, overriding their zeros and ones.
    assert np.abs(cell.A.detach().numpy()).max() <= np.sqrt(6 / 6) and not np.all(cell.A.detach().numpy() == 1)
    mem = nn.CfC(3, 4, mixed_memory=True).lstm
    r = mem.recurrent_map.weight.detach().numpy()
    np.testing.assert_allclose(r.T @ r, np.eye(4), atol=1e-5)  # orthogonal columns
    assert np.abs(mem.input_map.bias.detach().numpy()).max() <= 0.1


def test_backbone_dropout_trains_with_its_generator_and_is_off_in_eval():
    x = ottorch.randn(2, 4, 3)

    def run(seed, train=True):
        ottorch.manual_seed(0)
        m = nn.CfC(3, 4, backbone_units=6, backbone_layers=2, backbone_dropout=0.5,
                   generator=np.random.default_rng(seed))
        m.train(train)
        return m(x)[0].detach().numpy()

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))
    np.testing.assert_array_equal(run(1, False), run(2, False))


def test_dropout_with_one_backbone_layer_warns():
    with pytest.warns(UserWarning, match="expects backbone_layers >= 2, got 1"):
        nn.CfC(3, 4, backbone_dropout=0.2)


def test_lecun_tanh():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(nn.LeCunTanh()(t64(x)).detach().numpy(), 1.7159 * np.tanh(0.666 * x), rtol=1e-15)


def test_save_load_and_repr(tmp_path):
    m = nn.CfC(3, 4, mode="no_gate", backbone_units=6, batch_first=False)
    ottorch.save(m.state_dict(), tmp_path / "cfc.ott")
    other = nn.CfC(3, 4, mode="no_gate", backbone_units=6, batch_first=False)
    other.load_state_dict(ottorch.load(tmp_path / "cfc.ott"))
    x = ottorch.randn(5, 2, 3)
    np.testing.assert_array_equal(other(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    assert "CfC(\n  3, 4, batch_first=False\n" in repr(m) and "mode='no_gate'" in repr(m)


# ----------------------------------------------------------------------------- errors


def test_constructor_errors():
    with pytest.raises(ValueError, match="Unknown mode 'fast'"):
        nn.CfC(3, 4, mode="fast")
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        nn.CfCCell(3, 4, backbone_activation="swish")
    with pytest.raises(TypeError, match="wirings"):
        nn.CfC(3, object())
    with pytest.raises(TypeError, match="hidden_size should be of type int"):
        nn.CfCCell(3, 4.0)
    with pytest.raises(ValueError, match="backbone_layers must be at least 0"):
        nn.CfC(3, 4, backbone_layers=-1)
    with pytest.raises(ValueError, match=r"backbone_dropout must be a number in \[0, 1\)"):
        nn.CfC(3, 4, backbone_dropout=1.0)
    with pytest.raises(ValueError, match="proj_size must be at least 1"):
        nn.CfC(3, 4, proj_size=0)
    with pytest.raises(ValueError, match=r"sparsity_mask must have shape \(6, 4\)"):
        nn.CfCCell(3, 4, backbone_units=6, sparsity_mask=np.ones((4, 6)))


def test_forward_errors_name_the_problem():
    m = nn.CfC(3, 4, backbone_units=6)
    x = ottorch.randn(2, 5, 3)
    with pytest.raises(RuntimeError, match="input has 2 features, expected input_size=3"):
        m(ottorch.randn(2, 5, 2))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        m(ottorch.randn(1, 2, 5, 3))
    with pytest.raises(ValueError, match=r"input dtype \(ottorch.float64\) does not match weight dtype"):
        m(x.double())
    with pytest.raises(RuntimeError, match=r"expected hx of shape \[2, 4\], got \[3, 4\]"):
        m(x, ottorch.zeros(3, 4))
    with pytest.raises(RuntimeError, match="hx should be 2-D, got 3-D"):
        m(x, ottorch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"timespans must have shape \[2, 5\] or \[2, 5, 1\].*got \[5, 2\]"):
        m(x, timespans=ottorch.ones(5, 2))
    with pytest.raises(TypeError, match="timespans must be floating point"):
        m(x, timespans=ottorch.ones(2, 5, dtype=ottorch.int64))
    with pytest.raises(TypeError, match="a tuple"):
        m(x, (ottorch.zeros(2, 4), ottorch.zeros(2, 4)))
    with pytest.raises(RuntimeError, match="requires a tuple"):
        nn.CfC(3, 4, backbone_units=6, mixed_memory=True)(x, ottorch.zeros(2, 4))
    with pytest.raises(ValueError, match="at least one time step"):
        m(ottorch.randn(2, 0, 3))
    cell = nn.CfCCell(3, 4, backbone_units=6)
    with pytest.raises(ValueError, match=r"ts must be a number, 0-d, \(N,\) or \(N, 1\) with N=2"):
        cell(ottorch.randn(2, 3), None, ottorch.ones(3))
