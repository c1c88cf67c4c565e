"""RNN, LSTM, GRU and their cells: shapes, numbers against a step-by-step numpy reference,
gradients (gradcheck), PyTorch's parameter names, dropout, packed sequences and errors."""

import warnings

import numpy as np
import pytest

import ottorch
from ottorch.autograd import gradcheck
from ottorch.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from ottorch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence

# ----------------------------------------------------------------------------- numpy reference


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of PyTorch's equations for x (N, I), h and c (N, H); returns (h', c')."""
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if mode == "tanh":
        return np.tanh(gi + gh), None
    if mode == "relu":
        return np.maximum(gi + gh, 0.0), None
    if mode == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    ir, iz, inn = np.split(gi, 3, axis=1)
    hr, hz, hn = np.split(gh, 3, axis=1)
    r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
    n = np.tanh(inn + r * hn)
    return (1 - z) * n + z * h, None


def params_of(module, layer, reverse=False):
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(module, "weight_ih" + suffix).detach().numpy()
    w_hh = getattr(module, "weight_hh" + suffix).detach().numpy()
    if module.bias:
        b_ih = getattr(module, "bias_ih" + suffix).detach().numpy()
        b_hh = getattr(module, "bias_hh" + suffix).detach().numpy()
    else:
        b_ih = b_hh = np.zeros(w_ih.shape[0])
    return w_ih, w_hh, b_ih, b_hh


def ref_layers(mode, module, x, h0=None, c0=None):
    """The whole stack for time-major x (L, N, I): (output (L, N, D*H), h_n, c_n)."""
    dirs = 2 if module.bidirectional else 1
    hidden = module.hidden_size
    count = module.num_layers * dirs
    n = x.shape[1]
    h0 = np.zeros((count, n, hidden)) if h0 is None else h0
    c0 = np.zeros((count, n, hidden)) if c0 is None else c0
    h_n, c_n = [], []
    inp = x
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            p = params_of(module, layer, reverse=d == 1)
            h, c = h0[k], c0[k]
            steps = range(len(inp) - 1, -1, -1) if d == 1 else range(len(inp))
            out = [None] * len(inp)
            for t in steps:
                h, c_new = ref_cell(mode, inp[t], h, c, *p)
                c = c if c_new is None else c_new
                out[t] = h
            outs.append(np.stack(out))
            h_n.append(h)
            c_n.append(c)
        inp = np.concatenate(outs, axis=2)
    return inp, np.stack(h_n), np.stack(c_n)


MODES = {
    "tanh": lambda *a, **k: RNN(*a, nonlinearity="tanh", **k),
    "relu": lambda *a, **k: RNN(*a, nonlinearity="relu", **k),
    "lstm": LSTM,
    "gru": GRU,
}


def make(mode, *args, **kwargs):
    ottorch.manual_seed(0)
    return MODES[mode](*args, dtype=ottorch.float64, **kwargs)


def t64(a, requires_grad=False):
    return ottorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def rng():
    return np.random.default_rng(1234)


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"num_layers": 2}, {"bidirectional": True}, {"batch_first": True, "num_layers": 2, "bidirectional": True}],
)
def test_output_shapes(mode, kwargs):
    m = MODES[mode](3, 5, **kwargs)
    d = 2 if kwargs.get("bidirectional") else 1
    s = kwargs.get("num_layers", 1) * d
    x = ottorch.randn(2, 4, 3) if kwargs.get("batch_first") else ottorch.randn(4, 2, 3)
    out, hidden = m(x)
    assert tuple(out.shape) == ((2, 4, 5 * d) if kwargs.get("batch_first") else (4, 2, 5 * d))
    for h in hidden if mode == "lstm" else (hidden,):
        assert tuple(h.shape) == (s, 2, 5)
    out, hidden = m(ottorch.randn(4, 3))
    assert tuple(out.shape) == (4, 5 * d)
    for h in hidden if mode == "lstm" else (hidden,):
        assert tuple(h.shape) == (s, 5)
    assert out.dtype == ottorch.float32


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"num_layers": 3}, {"bidirectional": True}, {"num_layers": 2, "bidirectional": True, "bias": False}],
)
def test_forward_matches_reference(mode, kwargs):
    m = make(mode, 3, 4, **kwargs)
    x = rng().standard_normal((5, 2, 3))
    out, hidden = m(t64(x))
    ref_out, ref_h, ref_c = ref_layers(mode, m, x)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(hidden[0].detach().numpy(), ref_h, atol=1e-12)
        np.testing.assert_allclose(hidden[1].detach().numpy(), ref_c, atol=1e-12)
    else:
        np.testing.assert_allclose(hidden.detach().numpy(), ref_h, atol=1e-12)


@pytest.mark.parametrize("length", [9, 13, 21])
def test_long_sequences_match_reference(length):
    # Past 8 steps the projection is cut into pieces before the per-step slices.
    m = make("lstm", 2, 3, bidirectional=True)
    x = rng().standard_normal((length, 2, 2))
    out, (h_n, c_n) = m(t64(x))
    ref_out, ref_h, ref_c = ref_layers("lstm", m, x)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, atol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h, atol=1e-12)
    np.testing.assert_allclose(c_n.detach().numpy(), ref_c, atol=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
def test_batch_first_and_initial_state(mode):
    m = make(mode, 2, 3, num_layers=2, bidirectional=True, batch_first=True)
    r = rng()
    x = r.standard_normal((2, 4, 2))  # (N, L, I)
    h0, c0 = r.standard_normal((4, 2, 3)), r.standard_normal((4, 2, 3))
    hx = (t64(h0), t64(c0)) if mode == "lstm" else t64(h0)
    out, hidden = m(t64(x), hx)
    ref_out, ref_h, ref_c = ref_layers(mode, m, x.transpose(1, 0, 2), h0, c0)
    np.testing.assert_allclose(out.detach().numpy(), ref_out.transpose(1, 0, 2), atol=1e-12)
    h_n = hidden[0] if mode == "lstm" else hidden
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(hidden[1].detach().numpy(), ref_c, atol=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_equals_batch_of_one(mode):
    m = make(mode, 2, 3, num_layers=2)
    r = rng()
    x, h0 = r.standard_normal((4, 2)), r.standard_normal((2, 3))
    hx = (t64(h0), t64(h0 * 0.5)) if mode == "lstm" else t64(h0)
    out, hidden = m(t64(x), hx)
    hx1 = (t64(h0[:, None]), t64(h0[:, None] * 0.5)) if mode == "lstm" else t64(h0[:, None])
    out1, hidden1 = m(t64(x[:, None]), hx1)
    np.testing.assert_allclose(out.detach().numpy(), out1.detach().numpy()[:, 0])
    pairs = zip(hidden, hidden1) if mode == "lstm" else [(hidden, hidden1)]
    for a, b in pairs:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy()[:, 0])


CELLS = {
    "tanh": lambda *a, **k: RNNCell(*a, nonlinearity="tanh", **k),
    "relu": lambda *a, **k: RNNCell(*a, nonlinearity="relu", **k),
    "lstm": LSTMCell,
    "gru": GRUCell,
}


@pytest.mark.parametrize("mode", list(CELLS))
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_reference(mode, bias):
    ottorch.manual_seed(0)
    cell = CELLS[mode](3, 4, bias=bias, dtype=ottorch.float64)
    r = rng()
    x, h, c = r.standard_normal((2, 3)), r.standard_normal((2, 4)), r.standard_normal((2, 4))
    b_ih = cell.bias_ih.detach().numpy() if bias else 0.0
    b_hh = cell.bias_hh.detach().numpy() if bias else 0.0
    w_ih, w_hh = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    ref_h, ref_c = ref_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh)
    got = cell(t64(x), (t64(h), t64(c)) if mode == "lstm" else t64(h))
    got_h = got[0] if mode == "lstm" else got
    np.testing.assert_allclose(got_h.detach().numpy(), ref_h, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(got[1].detach().numpy(), ref_c, atol=1e-12)
    # Unbatched input and the default zero state.
    zero_h, zero_c = ref_cell(mode, x[:1], np.zeros((1, 4)), np.zeros((1, 4)), w_ih, w_hh, b_ih, b_hh)
    got = cell(t64(x[0]))
    got_h = got[0] if mode == "lstm" else got
    assert tuple(got_h.shape) == (4,)
    np.testing.assert_allclose(got_h.detach().numpy(), zero_h[0], atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(got[1].detach().numpy(), zero_c[0], atol=1e-12)


def test_cell_unrolled_equals_layer():
    ottorch.manual_seed(0)
    layer = LSTM(3, 4, dtype=ottorch.float64)
    cell = LSTMCell(3, 4, dtype=ottorch.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = t64(rng().standard_normal((5, 2, 3)))
    out, (h_n, c_n) = layer(x)
    h = c = None
    for t in range(5):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- gradients


def _all_params(m):
    return list(m.parameters())


def test_lstm_gradcheck_input_state_and_weights():
    m = make("lstm", 2, 3)
    r = rng()
    x = t64(r.standard_normal((3, 2, 2)), True)
    h0 = t64(r.standard_normal((1, 2, 3)) * 0.5, True)
    c0 = t64(r.standard_normal((1, 2, 3)) * 0.5, True)

    def f(x, h0, c0, *params):
        out, (h, c) = m(x, (h0, c0))
        return out, h, c

    assert gradcheck(f, (x, h0, c0, *_all_params(m)))


@pytest.mark.parametrize("mode", list(MODES))
def test_gradcheck_zero_initial_state_two_layers_bidirectional(mode):
    m = make(mode, 2, 2, num_layers=2, bidirectional=True)
    x = t64(rng().standard_normal((3, 2, 2)), True)

    def f(x, *params):
        out, hidden = m(x)
        return (out, *hidden) if mode == "lstm" else (out, hidden)

    assert gradcheck(f, (x, *_all_params(m)))


def test_gradcheck_long_sequence():
    m = make("tanh", 1, 2)
    x = t64(rng().standard_normal((13, 1, 1)), True)

    def f(x, *params):
        return m(x)

    assert gradcheck(f, (x, *_all_params(m)))


@pytest.mark.parametrize("mode", list(CELLS))
def test_cell_gradcheck(mode):
    ottorch.manual_seed(0)
    cell = CELLS[mode](2, 3, dtype=ottorch.float64)
    r = rng()
    x, h, c = (t64(r.standard_normal(s), True) for s in ((2, 2), (2, 3), (2, 3)))

    def f(x, h, c, *params):
        return cell(x, (h, c)) if mode == "lstm" else cell(x, h)

    assert gradcheck(f, (x, h, c, *cell.parameters()))


def test_bptt_reaches_the_first_input_and_weight_hh_of_a_single_step():
    m = LSTM(2, 3)
    x = ottorch.randn(4, 1, 2, requires_grad=True)
    out, _ = m(x)
    out[-1].sum().backward()
    assert np.abs(x.grad.numpy()[0]).sum() > 0  # the last output depends on the first step
    m.zero_grad()
    out, _ = m(ottorch.randn(1, 2, 2))  # one step from the zero state: PyTorch still gives a grad
    out.sum().backward()
    assert m.weight_hh_l0.grad is not None
    np.testing.assert_array_equal(m.weight_hh_l0.grad.numpy(), 0.0)


@pytest.mark.parametrize("length", [4, 11])
def test_time_steps_are_tagged_for_the_graph_viewer(length):
    m = GRU(2, 3, num_layers=2)
    out, h = m(ottorch.randn(length, 1, 2))
    steps, stack, seen = set(), [h.grad_fn, out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        steps.add(node.step)
        stack.extend(n for n, _ in node.next_functions)
    assert steps == {None, *range(length)}


# ----------------------------------------------------------------------------- parameters


def test_state_dict_names_match_pytorch():
    assert list(LSTM(2, 3, num_layers=2, bidirectional=True).state_dict()) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
    ]
    assert list(GRU(2, 3, num_layers=2, bias=False).state_dict()) == [
        "weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1",
    ]
    assert list(LSTMCell(2, 3).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert list(RNNCell(2, 3, bias=False).state_dict()) == ["weight_ih", "weight_hh"]
    assert RNNCell(2, 3, bias=False).bias_ih is None


@pytest.mark.parametrize(("cls", "gates"), [(RNN, 1), (LSTM, 4), (GRU, 3)])
def test_parameter_shapes_and_init_range(cls, gates):
    m = cls(5, 8, num_layers=2, bidirectional=True)
    sd = m.state_dict()
    assert tuple(sd["weight_ih_l0"].shape) == (gates * 8, 5)
    assert tuple(sd["weight_ih_l1_reverse"].shape) == (gates * 8, 16)
    assert tuple(sd["weight_hh_l1"].shape) == (gates * 8, 8)
    assert tuple(sd["bias_hh_l0_reverse"].shape) == (gates * 8,)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    bound = 1 / np.sqrt(8)
    assert np.all(np.abs(values) <= bound) and values.std() > bound / 3
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 4
    m.flatten_parameters()


def test_init_follows_manual_seed():
    ottorch.manual_seed(3)
    a = LSTM(2, 3)
    ottorch.manual_seed(3)
    b = LSTM(2, 3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_repr_like_pytorch():
    assert repr(LSTM(1, 16, batch_first=True)) == "LSTM(1, 16, batch_first=True)"
    assert repr(RNN(2, 3, nonlinearity="relu")) == "RNN(2, 3)"
    assert repr(GRU(2, 3, num_layers=2, bias=False, dropout=0.5, bidirectional=True)) == (
        "GRU(2, 3, num_layers=2, bias=False, dropout=0.5, bidirectional=True)"
    )
    assert repr(RNNCell(2, 3, bias=False, nonlinearity="relu")) == "RNNCell(2, 3, bias=False, nonlinearity=relu)"
    assert repr(LSTMCell(2, 3)) == "LSTMCell(2, 3)"
    assert repr(GRUCell(2, 3)) == "GRUCell(2, 3)"


def test_module_conversion_to_double():
    m = LSTM(2, 3).double()
    out, (h, c) = m(ottorch.randn(4, 2, 2, dtype=ottorch.float64))
    assert out.dtype == h.dtype == c.dtype == ottorch.float64


# ----------------------------------------------------------------------------- dropout


def test_dropout_between_layers_only_in_training():
    m = LSTM(3, 4, num_layers=2, dropout=0.5, generator=ottorch.Generator(seed=1))
    x = ottorch.randn(5, 2, 3)
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    c, _ = m(x)
    d, _ = m(x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())
    plain = LSTM(3, 4, num_layers=2)
    plain.load_state_dict(m.state_dict())
    np.testing.assert_allclose(c.detach().numpy(), plain(x)[0].detach().numpy(), atol=1e-6)


def test_dropout_masks_follow_the_generator():
    m = GRU(3, 4, num_layers=2, dropout=0.3)
    x = ottorch.randn(5, 2, 3)
    m.generator = ottorch.Generator(seed=7)
    a, _ = m(x)
    m.generator = ottorch.Generator(seed=7)
    b, _ = m(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        LSTM(2, 3, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LSTM(2, 3, num_layers=2, dropout=0.5)


# ----------------------------------------------------------------------------- packed sequences


def _ragged(lengths, size=2, seed=0):
    r = np.random.default_rng(seed)
    return [r.standard_normal((n, size)) for n in lengths]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True}])
def test_packed_h_n_equals_running_each_sequence_alone(mode, kwargs):
    m = make(mode, 2, 3, **kwargs)
    seqs = _ragged([3, 5, 1, 5])
    packed = pack_sequence([t64(s) for s in seqs], enforce_sorted=False)
    out, hidden = m(packed)
    assert isinstance(out, PackedSequence)
    np.testing.assert_array_equal(out.batch_sizes.numpy(), packed.batch_sizes.numpy())
    np.testing.assert_array_equal(out.sorted_indices.numpy(), packed.sorted_indices.numpy())
    padded, lengths = pad_packed_sequence(out)
    np.testing.assert_array_equal(lengths.numpy(), [3, 5, 1, 5])
    h_n = hidden[0] if mode == "lstm" else hidden
    for b, s in enumerate(seqs):
        alone_out, alone_hidden = m(t64(s))
        alone_h = alone_hidden[0] if mode == "lstm" else alone_hidden
        np.testing.assert_allclose(h_n.detach().numpy()[:, b], alone_h.detach().numpy(), atol=1e-12)
        if mode == "lstm":
            np.testing.assert_allclose(hidden[1].detach().numpy()[:, b], alone_hidden[1].detach().numpy(), atol=1e-12)
        n = len(s)
        np.testing.assert_allclose(padded.detach().numpy()[:n, b], alone_out.detach().numpy(), atol=1e-12)
        np.testing.assert_array_equal(padded.detach().numpy()[n:, b], 0.0)


def test_packed_with_initial_state_and_batch_first_padding():
    m = make("lstm", 2, 3)
    seqs = _ragged([4, 2])
    x = np.zeros((2, 4, 2))
    x[0], x[1, :2] = seqs[0], seqs[1]
    r = rng()
    h0, c0 = r.standard_normal((1, 2, 3)), r.standard_normal((1, 2, 3))
    packed = pack_padded_sequence(t64(x), [4, 2], batch_first=True)
    _, (h_n, c_n) = m(packed, (t64(h0), t64(c0)))
    for b, s in enumerate(seqs):
        _, (h, c) = m(t64(s[:, None]), (t64(h0[:, b : b + 1]), t64(c0[:, b : b + 1])))
        np.testing.assert_allclose(h_n.detach().numpy()[:, b], h.detach().numpy()[:, 0], atol=1e-12)
        np.testing.assert_allclose(c_n.detach().numpy()[:, b], c.detach().numpy()[:, 0], atol=1e-12)


def test_packed_gradcheck():
    m = make("gru", 2, 2, bidirectional=True)
    r = rng()
    a, b = t64(r.standard_normal((1, 2)), True), t64(r.standard_normal((3, 2)), True)
    h0 = t64(r.standard_normal((2, 2, 2)), True)

    def f(a, b, h0, *params):
        out, h = m(pack_sequence([a, b], enforce_sorted=False), h0)
        return out.data, h

    assert gradcheck(f, (a, b, h0, *_all_params(m)))


def test_packed_input_must_be_2d():
    m = LSTM(2, 3)
    bad = PackedSequence(ottorch.randn(3, 1, 2), ottorch.tensor([2, 1]))
    with pytest.raises(ValueError, match="packed input data must be 2-D"):
        m(bad)


# ----------------------------------------------------------------------------- errors


def test_constructor_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'"):
        RNN(2, 3, nonlinearity="foo")
    with pytest.raises(NotImplementedError, match="proj_size"):
        LSTM(4, 3, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        LSTM(4, 3, proj_size=3)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        GRU(2, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        GRU(2, 3, num_layers=0)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        GRU(2, 3, num_layers=2, dropout=1.5)
    with pytest.raises(TypeError, match="hidden_size should be of type int, got: float"):
        LSTM(2, 3.0)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        GRUCell(2, 0)


def test_forward_errors_name_expected_and_got():
    m = LSTM(2, 3)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(ottorch.randn(4, 2, 2, 2))
    with pytest.raises(RuntimeError, match="input_size. Expected 2, got 5"):
        m(ottorch.randn(4, 2, 5))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        m(ottorch.randn(4, 2, 2, dtype=ottorch.float64))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 3\), got \[1, 3, 3\]"):
        m(ottorch.randn(4, 2, 2), (ottorch.randn(1, 3, 3), ottorch.randn(1, 2, 3)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 3\), got \[2, 2, 3\]"):
        m(ottorch.randn(4, 2, 2), (ottorch.randn(1, 2, 3), ottorch.randn(2, 2, 3)))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be 3-D"):
        m(ottorch.randn(4, 2, 2), (ottorch.randn(2, 3), ottorch.randn(2, 3)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be 2-D"):
        m(ottorch.randn(4, 2), (ottorch.randn(1, 1, 3), ottorch.randn(1, 1, 3)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        m(ottorch.randn(4, 2, 2), ottorch.randn(1, 2, 3))
    g = GRU(2, 3)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 3\), got \[1, 3, 3\]"):
        g(ottorch.randn(4, 2, 2), ottorch.randn(1, 3, 3))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        g(ottorch.randn(4, 2, 2), ottorch.randn(1, 3))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        g(ottorch.randn(4, 2), ottorch.randn(1, 2, 3))
    with pytest.raises(ValueError, match="at least one time step"):
        g(ottorch.randn(0, 2, 2))
    with pytest.raises(TypeError, match="Tensor or PackedSequence"):
        g(np.zeros((4, 2, 2)))


def test_cell_errors():
    c = LSTMCell(2, 3)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        c(ottorch.randn(3, 2, 2))
    with pytest.raises(RuntimeError, match="inconsistent input_size: got 5, expected 2"):
        c(ottorch.randn(3, 5))
    with pytest.raises(RuntimeError, match=r"Input batch size 3 doesn't match hx\[0\] batch size 2"):
        c(ottorch.randn(3, 2), (ottorch.randn(2, 3), ottorch.randn(2, 3)))
    with pytest.raises(RuntimeError, match=r"hx\[1\] has inconsistent hidden_size: got 4, expected 3"):
        c(ottorch.randn(3, 2), (ottorch.randn(3, 3), ottorch.randn(3, 4)))
    with pytest.raises(ValueError, match=r"Expected hx\[0\] to be 1D or 2D, got 3D instead"):
        c(ottorch.randn(3, 2), (ottorch.randn(3, 2, 3), ottorch.randn(3, 3)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h, c\)"):
        c(ottorch.randn(3, 2), ottorch.randn(3, 3))
    r = RNNCell(2, 3)
    with pytest.raises(RuntimeError, match="hidden must be 1-D like the input"):
        r(ottorch.randn(2), ottorch.randn(2, 3))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        r(ottorch.randn(3, 2, dtype=ottorch.float64))
    r.nonlinearity = "x"
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: x"):
        r(ottorch.randn(3, 2))
    with pytest.raises(ValueError, match="GRUCell: Expected hidden to be 1D or 2D, got 3D instead"):
        GRUCell(2, 3)(ottorch.randn(3, 2), ottorch.randn(3, 3, 3))
