"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

Everything is composed from ordinary tensor ops, so backpropagation through time is the autograd
engine's work. The input projection ``W_ih x + b_ih`` of a whole sequence is one matmul before the
time loop; each step then does one ``linear`` of the hidden state and the gate arithmetic. Each
step's ops are recorded inside ``step_scope(t)`` so graph drawings can fold the unrolled loop.

A ``PackedSequence`` input is run as its padded batch with a per-step mask: a sequence's state
stops changing after its last valid step and its outputs there are zero.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable

import numpy as np

from ottorch import _creation, ops
from ottorch._tensor import Tensor
from ottorch.autograd.graph import step_scope
from ottorch.nn import functional as F
from ottorch.nn import init
from ottorch.nn.modules.module import Module
from ottorch.nn.parameter import Parameter
from ottorch.nn.utils.rnn import PackedSequence, _packed_positions, pad_packed_sequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

State = tuple[Tensor, ...]
Step = Callable[[Tensor, State, Tensor, Tensor | None], State]


# ----------------------------------------------------------------------------- one time step
# Each step takes the precomputed input projection ``xp = W_ih x + b_ih`` of shape (N, G*H), the
# state tuple ((h,) or (h, c), each (N, H)) and the recurrent weights; it returns the new state.
# Every step, the first included, records the same ops, so graph drawings fold them into one.
# The layers check shapes and dtypes once per call, so the steps apply the primitives directly:
# the per-op argument checks of the public wrappers would cost more than the small matmuls here.

_linear, _add, _sub, _mul = ops.Linear.apply, ops.Add.apply, ops.Sub.apply, ops.Mul.apply
_sigmoid, _tanh, _relu, _getitem = ops.Sigmoid.apply, ops.Tanh.apply, ops.Relu.apply, ops.GetItem.apply
_where, _reshape, _addcmul = ops.Where.apply, ops.Reshape.apply, ops.Addcmul.apply


@functools.lru_cache(maxsize=64)
def _gate_index(hidden: int, k: int) -> tuple:
    """The index of gate block ``k`` (columns ``k*H:(k+1)*H``) of an ``(N, G*H)`` array."""
    return (slice(None), slice(k * hidden, (k + 1) * hidden))


def _gate(t: Tensor, hidden: int, k: int) -> Tensor:
    return _getitem(t, index=_gate_index(hidden, k))


def _recurrent(h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    return _linear(h, w_hh) if b_hh is None else _linear(h, w_hh, b_hh)


def _preactivation(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """``xp + (W_hh h + b_hh)``. Without ``b_hh`` (the layers fold it into ``xp``) ``xp`` is the
    bias of the ``linear``: one node instead of two, and the same sums."""
    return _linear(h, w_hh, xp) if b_hh is None else _add(xp, _linear(h, w_hh, b_hh))


def _rnn_tanh_step(xp: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None) -> State:
    return (_tanh(_preactivation(xp, state[0], w_hh, b_hh)),)


def _rnn_relu_step(xp: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None) -> State:
    return (_relu(_preactivation(xp, state[0], w_hh, b_hh)),)


def _lstm_step(xp: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None) -> State:
    h, c = state
    hs = w_hh._data.shape[1]
    gates = _preactivation(xp, h, w_hh, b_hh)
    # One sigmoid over the whole (i, f, g, o) block is cheaper than three sliced ones; its g
    # columns are simply not used.
    s = _sigmoid(gates)
    g = _tanh(_gate(gates, hs, 2))
    c = _addcmul(_mul(_gate(s, hs, 1), c), _gate(s, hs, 0), g)
    return _mul(_gate(s, hs, 3), _tanh(c)), c


def _gru_step(xp: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None) -> State:
    h = state[0]
    hs = w_hh._data.shape[1]
    gh = _recurrent(h, w_hh, b_hh)
    # Sigmoid over the whole block as in the LSTM; only the r and z columns are used.
    s = _sigmoid(_add(xp, gh))
    r, z = _gate(s, hs, 0), _gate(s, hs, 1)
    n = _tanh(_addcmul(_gate(xp, hs, 2), r, _gate(gh, hs, 2)))
    # (1 - z) * n + z * h as n + z * (h - n): two nodes.
    return (_addcmul(n, z, _sub(h, n)),)


def _zero_state(n_state: int, batch: int, hidden: int, dtype) -> State:
    return (_creation.zeros(batch, hidden, dtype=dtype),) * n_state


# ----------------------------------------------------------------------------- sequence layers


def _dim_word(t: Tensor) -> str:
    return f"{t.ndim}-D"


class RNNBase(Module):
    """The machinery shared by ``RNN``, ``LSTM`` and ``GRU``: parameters, checks and the time loop.

    ``mode`` is one of "RNN_TANH", "RNN_RELU", "LSTM", "GRU". Parameters per layer ``k`` and
    direction (suffix ``_reverse`` for the backward one): ``weight_ih_l{k} (G*H, in)``,
    ``weight_hh_l{k} (G*H, H)``, ``bias_ih_l{k}`` and ``bias_hh_l{k} (G*H,)`` with ``G`` gates
    (1, 4 or 3), all drawn from U(-1/sqrt(H), 1/sqrt(H)). ``generator`` (an ottorch or numpy
    generator) drives the dropout masks between layers.
    """

    _GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
    _STEPS: dict[str, Step] = {
        "RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "LSTM": _lstm_step, "GRU": _gru_step,
    }

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        if mode not in self._GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode!r} (expected one of {sorted(self._GATES)})")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers),
                            ("proj_size", proj_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size > 0:
            raise NotImplementedError("LSTM with proj_size > 0 (projected hidden state) is not supported by ottorch")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bidirectional
        self.dropout, self.proj_size, self.generator = float(dropout), proj_size, generator
        num_directions = 2 if bidirectional else 1
        gate_size = self._GATES[mode] * hidden_size
        names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [(f"weight_ih{suffix}", (gate_size, layer_in)),
                          (f"weight_hh{suffix}", (gate_size, hidden_size))]
                if bias:
                    shapes += [(f"bias_ih{suffix}", (gate_size,)), (f"bias_hh{suffix}", (gate_size,))]
                for name, shape in shapes:
                    setattr(self, name, Parameter(_creation.empty(*shape, device=device, dtype=dtype)))
                names.append([name for name, _ in shapes])
        self._all_weights_names = names
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch uses it to compact weights for cuDNN, which ottorch does not have."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each (layer, direction) as ``[w_ih, w_hh, b_ih, b_hh]`` (no biases if bias=False)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward

    def _name(self) -> str:
        return type(self).__name__

    def _check_input(self, x: Tensor) -> None:
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.shape[-1]}"
            )
        w = self.weight_ih_l0
        if x._data.dtype != w._data.dtype:
            raise ValueError(
                f"{self._name()} input dtype ({x.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                f"input.to({w.dtype}), or convert model: model.to({x.dtype})"
            )

    def _check_hidden(self, h: Tensor, expected: tuple, what: str) -> None:
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(h.shape)}")

    def _initial_states(self, hx, batched: bool, batch: int, like: Tensor) -> list[State]:
        """Validate ``hx`` and return the initial state of every (layer, direction), each (N, H)."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            return [_zero_state(2 if self.mode == "LSTM" else 1, batch, self.hidden_size, like.dtype)] * count
        if self.mode == "LSTM":
            if not (isinstance(hx, tuple) and len(hx) == 2 and all(isinstance(t, Tensor) for t in hx)):
                raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
            parts, names = list(hx), ["hidden[0]", "hidden[1]"]
            if batched and any(t.ndim != 3 for t in parts):
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({_dim_word(parts[0])}, {_dim_word(parts[1])}) tensors"
                )
            if not batched and any(t.ndim != 2 for t in parts):
                raise RuntimeError(
                    "For unbatched 2-D input, hx and cx should also be 2-D but got "
                    f"({_dim_word(parts[0])}, {_dim_word(parts[1])}) tensors"
                )
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{self._name()}: hx must be a Tensor, got {type(hx).__name__}")
            parts, names = [hx], ["hidden"]
            if batched and hx.ndim != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {_dim_word(hx)} tensor")
            if not batched and hx.ndim != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {_dim_word(hx)} tensor")
        if not batched:
            parts = [t.unsqueeze(1) for t in parts]
        expected = (count, batch, self.hidden_size)
        for t, name in zip(parts, names):
            self._check_hidden(t, expected, name)
            if t._data.dtype != like._data.dtype:
                raise ValueError(f"{self._name()}: {name} dtype ({t.dtype}) does not match input dtype ({like.dtype})")
        return [tuple(t[k] for t in parts) for k in range(count)]

    def forward(self, input: Tensor | PackedSequence, hx=None) -> tuple:  # noqa: A002
        """Run the layer over a sequence.

        Shapes (``D`` = 2 if bidirectional else 1, ``S = num_layers * D``): input ``(L, N, H_in)``,
        ``(N, L, H_in)`` with ``batch_first``, ``(L, H_in)`` unbatched, or a ``PackedSequence``;
        ``hx`` ``(S, N, H)`` (``(S, H)`` unbatched; for LSTM a tuple ``(h_0, c_0)``), zeros if None.
        Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``) with output ``(L, N, D*H)``
        (batch_first: ``(N, L, D*H)``; packed input gives packed output) and ``h_n`` like ``hx``.
        """
        x, batched, masks = time_major(input, self.batch_first, self._name())
        packed = masks is not None
        self._check_input(x)
        if x.shape[0] == 0:
            raise ValueError(
                f"{self._name()}: expected a sequence of at least one time step, got shape {list(x.shape)}"
            )
        states = self._initial_states(hx, batched, x.shape[1], x)
        length, batch = x.shape[0], x.shape[1]
        batch_major = batched and self.batch_first and not packed
        rows = _reshape(x, shape=(length * batch, self.input_size))
        output, finals = self._run(rows, batch, states, masks, batch_major)

        h_n = _stack([s[0] for s in finals])
        hidden = (h_n, _stack([s[1] for s in finals])) if self.mode == "LSTM" else h_n
        if packed:
            return packed_like(output.reshape(length * batch, -1), input), hidden
        if not batched:
            output = output.squeeze(1)
            hidden = tuple(h.squeeze(1) for h in hidden) if self.mode == "LSTM" else hidden.squeeze(1)
        return output, hidden

    def _run(self, x: Tensor, batch: int, states: list[State], masks,
             batch_major: bool) -> tuple[Tensor, list[State]]:
        """All layers over the time-major rows ``x (L*N, H_in)`` (row ``t*N + n`` is step t of
        sequence n): the last layer's output, ``(L, N, D*H)`` or with ``batch_major`` ``(N, L, D*H)``,
        and every final state."""
        step = self._STEPS[self.mode]
        num_directions = 2 if self.bidirectional else 1
        finals = []
        all_weights = self.all_weights
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                params = all_weights[k]
                w_ih, w_hh = params[0], params[1]
                b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
                if self.bias and self.mode != "GRU":
                    # b_hh joins the projection bias once instead of being added at every step
                    # (GRU cannot: its b_hn sits inside r * (W_hn h + b_hn)).
                    b_ih, b_hh = _add(b_ih, b_hh), None
                # The input projection of every time step in one matmul.
                xp = F.linear(layer_input, w_ih, b_ih)
                outs, final = self._run_direction(step, xp, batch, states[k], w_hh, b_hh, masks, direction == 1)
                outputs.append(outs)
                finals.append(final)
            if layer < self.num_layers - 1:
                # Concatenating the (N, H) steps gives the next layer's time-major rows directly:
                # one node, where ``stack`` would add a reshape per step.
                rows = [ops.Cat.apply(*outs, axis=0) for outs in outputs]
                layer_input = rows[0] if num_directions == 1 else ops.Cat.apply(*rows, axis=1)
                if self.training and self.dropout > 0:
                    layer_input = F.dropout(layer_input, self.dropout, True, generator=self.generator)
        length, hidden = len(outputs[0]), self.hidden_size
        # The last layer's steps are joined straight into the output layout, batch-first
        # included, so no transpose is recorded.
        if batch_major:
            parts = [_reshape(ops.Cat.apply(*outs, axis=1), shape=(batch, length, hidden)) for outs in outputs]
        else:
            parts = [_reshape(ops.Cat.apply(*outs, axis=0), shape=(length, batch, hidden)) for outs in outputs]
        return (parts[0] if num_directions == 1 else ops.Cat.apply(*parts, axis=2)), finals

    @staticmethod
    def _run_direction(step: Step, xp: Tensor, batch: int, state: State, w_hh: Tensor, b_hh: Tensor | None,
                       masks, reverse: bool) -> tuple[list[Tensor], State]:
        """One direction of one layer: the (N, H) output of every step in time order and the final state."""
        length = xp.shape[0] // batch
        outs: list = [None] * length
        zero = np.zeros((), dtype=xp._data.dtype)
        sources = _step_sources(xp, length, batch)
        for t in range(length - 1, -1, -1) if reverse else range(length):
            with step_scope(t):
                rows, at = sources[t]
                new = step(_getitem(rows, index=slice(at * batch, (at + 1) * batch)), state, w_hh, b_hh)
                if masks is None:
                    state = new
                    outs[t] = new[0]
                else:
                    # A finished sequence keeps its state and outputs zeros. Running the reverse
                    # direction from the padded end, a sequence's state stays at h_0 until its own
                    # last step, exactly as if it had been run alone. Steps where every sequence
                    # is running are masked too, so all steps record the same ops.
                    state = tuple(_where(masks[t], a, b) for a, b in zip(new, state))
                    outs[t] = _where(masks[t], new[0], zero)
        return outs, state


def time_major(input: Tensor | PackedSequence, batch_first: bool,  # noqa: A002
               name: str) -> tuple[Tensor, bool, np.ndarray | None]:
    """A recurrent layer's input checked and laid out time-major ``(L, N, H_in)``: that tensor,
    whether the input was batched, and for a ``PackedSequence`` (run as its padded batch) the
    ``(L, N, 1)`` mask of the sequences still running at each step, else None."""
    if isinstance(input, PackedSequence):
        if input.data.ndim != 2:
            raise ValueError(
                f"{name}: packed input data must be 2-D (sum(lengths), H_in), got shape {list(input.data.shape)}"
            )
        x, lengths = pad_packed_sequence(input)
        steps = np.arange(int(lengths._data.max()))
        return x, True, (steps[:, None] < lengths._data[None, :])[..., None]
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor or PackedSequence, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
    if input.ndim == 2:
        return input.unsqueeze(1), False, None
    return (input.transpose(0, 1) if batch_first else input), True, None


def packed_like(rows: Tensor, input: PackedSequence) -> PackedSequence:  # noqa: A002
    """The time-major rows ``(L*N, H)`` of a padded run (row ``t*N + n`` is step t of sequence n)
    packed as ``input`` is."""
    batch = int(input.batch_sizes._data[0])
    t_idx, b_idx = _packed_positions(input.batch_sizes._data,
                                     None if input.sorted_indices is None else input.sorted_indices._data)
    data = _getitem(rows, index=t_idx * batch + b_idx)
    return PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)


def _step_sources(xp: Tensor, length: int, batch: int) -> list[tuple[Tensor, int]]:
    """For each time step, a tensor holding its rows of ``xp (L*N, G)`` and its position in it.

    Slicing every step straight out of ``xp`` makes the backward pass quadratic in L: each
    slice's gradient is a dense array as large as ``xp`` and the engine adds all L of them up.
    Cutting ``xp`` into quarters, recursively, bounds that to O(L log L) for about L/3 extra
    nodes. Short sequences, where the nodes cost more than the arrays, are sliced directly.
    """
    sources: list[tuple[Tensor, int]] = []

    def cut(rows: Tensor, count: int, fanout: int) -> None:
        if count <= fanout:
            sources.extend((rows, i) for i in range(count))
            return
        size = -(-count // fanout)
        for start in range(0, count, size):
            n = min(size, count - start)
            cut(_getitem(rows, index=slice(start * batch, (start + n) * batch)), n, 4)

    cut(xp, length, 8 if length <= 8 else 4)
    return sources


def _stack(tensors: list[Tensor]) -> Tensor:
    """``stack(tensors)`` for equally shaped tensors, recorded as at most two nodes."""
    shape = (len(tensors),) + tensors[0]._data.shape
    return _reshape(tensors[0] if len(tensors) == 1 else ops.Cat.apply(*tensors, axis=0), shape=shape)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` with act tanh or relu.

    Shapes: see ``RNNBase.forward``. Parameters ``weight_ih_l{k} (H, H_in)`` (``(H, D*H)`` for
    k > 0), ``weight_hh_l{k} (H, H)``, ``bias_ih_l{k}``, ``bias_hh_l{k} (H,)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, generator=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype, generator=generator)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's formulation and gate order (i, f, g, o)::

        i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c' = f * c + i * g,  h' = o * tanh(c')

    Shapes: see ``RNNBase.forward``; weights are ``(4H, H_in)`` and ``(4H, H)``, biases ``(4H,)``.
    ``proj_size > 0`` is not supported.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype, generator=generator)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's formulation and gate order (r, z, n)::

        r, z = sigmoid(W_i* x + b_i* + W_h* h + b_h*),  n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Shapes: see ``RNNBase.forward``; weights are ``(3H, H_in)`` and ``(3H, H)``, biases ``(3H,)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype, generator=generator)


# ----------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """Parameters and checks shared by the cells: ``weight_ih (G*H, H_in)``, ``weight_hh (G*H, H)``,
    ``bias_ih`` and ``bias_hh (G*H,)`` (None when ``bias=False``), from U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(_creation.empty(gate_size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(gate_size, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gate_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(gate_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: tuple[Tensor, ...] | None, n_state: int,  # noqa: A002
                 hx_names: tuple[str, ...]) -> tuple[Tensor, State, bool]:
        """Validate and batch the input and state: ``(x (N, H_in), state of (N, H) tensors, batched)``."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]}, expected {self.input_size}"
            )
        if input._data.dtype != self.weight_ih._data.dtype:
            raise ValueError(
                f"{name} input dtype ({input.dtype}) does not match weight dtype ({self.weight_ih.dtype}). "
                f"Convert input: input.to({self.weight_ih.dtype}), or convert model: model.to({input.dtype})"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        batch = x.shape[0]
        if hx is None:
            return x, _zero_state(n_state, batch, self.hidden_size, input.dtype), batched
        state = []
        for t, hname in zip(hx, hx_names):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {hname} must be a Tensor, got {type(t).__name__}")
            if t.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {hname} to be 1D or 2D, got {t.ndim}D instead")
            if t.ndim != input.ndim:
                raise RuntimeError(
                    f"{name}: {hname} must be {input.ndim}-D like the input (shape {list(input.shape)}), "
                    f"got shape {list(t.shape)}"
                )
            t = t if batched else t.unsqueeze(0)
            if t.shape[0] != batch:
                raise RuntimeError(f"{name}: Input batch size {batch} doesn't match {hname} batch size {t.shape[0]}")
            if t.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"{name}: {hname} has inconsistent hidden_size: got {t.shape[1]}, expected {self.hidden_size}"
                )
            if t._data.dtype != input._data.dtype:
                raise ValueError(f"{name}: {hname} dtype ({t.dtype}) does not match input dtype ({input.dtype})")
            state.append(t)
        return x, tuple(state), batched

    def _step(self, step: Step, x: Tensor, state: State, batched: bool) -> State:
        new = step(F.linear(x, self.weight_ih, self.bias_ih), state, self.weight_hh, self.bias_hh)
        return new if batched else tuple(t.squeeze(0) for t in new)


class RNNCell(RNNCellBase):
    """One Elman RNN step ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or relu.

    Shapes: input ``(N, H_in)`` or ``(H_in,)``, hx and output ``(N, H)`` or ``(H,)``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        if self.nonlinearity == "tanh":
            step = _rnn_tanh_step
        elif self.nonlinearity == "relu":
            step = _rnn_relu_step
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x, state, batched = self._prepare(input, None if hx is None else (hx,), 1, ("hidden",))
        return self._step(step, x, state, batched)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gate order i, f, g, o, as ``LSTM``).

    Shapes: input ``(N, H_in)`` or ``(H_in,)``; ``hx = (h, c)`` each ``(N, H)`` or ``(H,)``.
    Returns ``(h', c')``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        if hx is not None and not (isinstance(hx, tuple) and len(hx) == 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c) of two tensors, got {type(hx).__name__}")
        x, state, batched = self._prepare(input, hx, 2, ("hx[0]", "hx[1]"))
        h, c = self._step(_lstm_step, x, state, batched)
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step (gate order r, z, n, as ``GRU``).

    Shapes: input ``(N, H_in)`` or ``(H_in,)``, hx and output ``(N, H)`` or ``(H,)``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, state, batched = self._prepare(input, None if hx is None else (hx,), 1, ("hidden",))
        return self._step(_gru_step, x, state, batched)[0]
