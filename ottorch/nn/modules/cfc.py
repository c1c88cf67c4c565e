"""Closed-form continuous-time networks: ``CfCCell`` and ``CfC``.

The CfC of Hasani et al., "Closed-form continuous-time neural networks" (Nature Machine
Intelligence, 2022), with the semantics, defaults, parameter names and initialisation of the
authors' reference implementation ``ncps.torch``, so that its state dicts load unchanged. A shared
backbone reads ``[x, h]``; heads ``ff1``, ``ff2``, ``time_a`` and ``time_b`` read the backbone and,
with the elapsed time ``t`` since the previous sample, give the new state:

- default: ``h' = tanh(ff1) * (1 - s) + s * tanh(ff2)``, ``s = sigmoid(time_a * t + time_b)``;
- ``no_gate``: ``h' = tanh(ff1) + s * tanh(ff2)``;
- ``pure``, the closed-form solution of the ODE: ``h' = A - A * exp(-t * (|w_tau| + |ff1|)) * ff1``.

Everything is composed from ordinary ops, as the other recurrent layers are. The input's share of
the first layer is one matmul for the whole sequence, and the heads are one matmul per step.

One deliberate difference from ``ncps.torch.CfC``: a per-sample elapsed time scales that sample's
row. ``ncps`` squeezes a ``(N, L, 1)`` ``timespans`` to ``(N,)`` per step, which then broadcasts
along the units instead: an error when ``N != units``, silently wrong when they are equal. Its
Keras implementation and the paper use one elapsed time per sample, as here.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ottorch import _creation, ops
from ottorch._tensor import Tensor
from ottorch.autograd.graph import step_scope
from ottorch.nn import functional as F
from ottorch.nn import init
from ottorch.nn.modules.activation import GELU, ReLU, SiLU, Tanh
from ottorch.nn.modules.container import Sequential
from ottorch.nn.modules.dropout import Dropout
from ottorch.nn.modules.linear import Identity, Linear
from ottorch.nn.modules.module import Module
from ottorch.nn.modules.rnn import _step_sources, packed_like, time_major
from ottorch.nn.parameter import Parameter
from ottorch.nn.utils.rnn import PackedSequence, pad_packed_sequence

__all__ = ["CfC", "CfCCell", "LeCunTanh"]

_linear, _add, _sub, _mul = ops.Linear.apply, ops.Add.apply, ops.Sub.apply, ops.Mul.apply
_sigmoid, _tanh, _exp, _abs, _neg = ops.Sigmoid.apply, ops.Tanh.apply, ops.Exp.apply, ops.Abs.apply, ops.Neg.apply
_getitem, _where, _reshape, _cat = ops.GetItem.apply, ops.Where.apply, ops.Reshape.apply, ops.Cat.apply
_addcmul = ops.Addcmul.apply

MODES = ("default", "pure", "no_gate")


class LeCunTanh(Module):
    """LeCun's scaled tanh ``1.7159 * tanh(0.666 * x)``, the CfC backbone's default activation.

    Shape: any; the output has the input's shape.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return (input * 0.666).tanh() * 1.7159


_ACTIVATIONS = {"lecun_tanh": LeCunTanh, "silu": SiLU, "relu": ReLU, "tanh": Tanh, "gelu": GELU}


def _cols(t: Tensor, start: int, stop: int) -> Tensor:
    return _getitem(t, index=(slice(None), slice(start, stop)))


def _check_int(name: str, value, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


class CfCCell(Module):
    """One CfC step: ``(h_out, h_new) = cell(input, hx, ts)``, both ``h_new``, as in ``ncps``.

    ``mode`` is "default", "pure" or "no_gate"; ``backbone_activation`` one of "lecun_tanh",
    "silu", "relu", "tanh", "gelu". The backbone is ``backbone_layers`` Linear + activation layers
    of ``backbone_units`` (dropout ``backbone_dropout`` after every layer but the first, as in
    ``ncps``); with ``backbone_layers=0`` the heads read ``[x, h]`` directly. ``sparsity_mask``
    (an array ``(width, hidden_size)``, nonzero where a connection exists) masks ``ff1`` and
    ``ff2``. Every 2-D parameter is drawn Glorot-uniform, ``w_tau`` and ``A`` of the pure mode
    included, as ``ncps`` does.

    Shapes: input ``(N, H_in)`` or ``(H_in,)``; ``hx`` ``(N, H)`` or ``(H,)``, zeros if None;
    ``ts`` the elapsed time, a number, a 0-d tensor or one per sample ``(N,)`` / ``(N, 1)``.
    """

    def __init__(self, input_size: int, hidden_size: int, mode: str = "default",
                 backbone_activation: str = "lecun_tanh", backbone_units: int = 128, backbone_layers: int = 1,
                 backbone_dropout: float = 0.0, sparsity_mask=None, device=None, dtype=None, *,
                 generator=None) -> None:
        super().__init__()
        _check_int("input_size", input_size, 1)
        _check_int("hidden_size", hidden_size, 1)
        _check_int("backbone_units", backbone_units, 1)
        _check_int("backbone_layers", backbone_layers, 0)
        if mode not in MODES:
            raise ValueError(f"Unknown mode '{mode}', valid options are {list(MODES)}")
        if backbone_activation not in _ACTIVATIONS:
            raise ValueError(f"Unknown activation {backbone_activation!r}, valid options are {list(_ACTIVATIONS)}")
        if (not isinstance(backbone_dropout, numbers.Real) or isinstance(backbone_dropout, bool)
                or not 0.0 <= backbone_dropout < 1.0):
            raise ValueError(f"backbone_dropout must be a number in [0, 1), got {backbone_dropout!r}")
        if backbone_dropout > 0 and backbone_layers < 2:
            warnings.warn(
                "backbone_dropout adds dropout after every backbone layer but the first (as ncps does), so "
                f"non-zero dropout expects backbone_layers >= 2, got {backbone_layers}",
                stacklevel=2,
            )
        self.input_size, self.hidden_size, self.mode = input_size, hidden_size, mode
        self.backbone_layers = backbone_layers
        act = _ACTIVATIONS[backbone_activation]
        factory = {"device": device, "dtype": dtype}
        self.backbone = None
        if backbone_layers > 0:
            layers: list[Module] = [Linear(input_size + hidden_size, backbone_units, **factory), act()]
            for _ in range(1, backbone_layers):
                layers += [Linear(backbone_units, backbone_units, **factory), act()]
                if backbone_dropout > 0.0:
                    layers.append(Dropout(backbone_dropout, generator=generator))
            self.backbone = Sequential(*layers)
        width = backbone_units if backbone_layers > 0 else input_size + hidden_size
        self.ff1 = Linear(width, hidden_size, **factory)
        if mode == "pure":
            self.w_tau = Parameter(_creation.zeros(1, hidden_size, **factory))
            self.A = Parameter(_creation.ones(1, hidden_size, **factory))
        else:
            self.ff2 = Linear(width, hidden_size, **factory)
            self.time_a = Linear(width, hidden_size, **factory)
            self.time_b = Linear(width, hidden_size, **factory)
        if sparsity_mask is None:
            self.sparsity_mask = None
        else:
            mask = np.abs(np.asarray(sparsity_mask._data if isinstance(sparsity_mask, Tensor) else sparsity_mask)).T
            if mask.shape != (hidden_size, width):
                raise ValueError(
                    f"sparsity_mask must have shape {(width, hidden_size)} (width, hidden_size), got {mask.T.shape}"
                )
            self.register_buffer("sparsity_mask", _creation.from_numpy(mask.astype(self.ff1.weight._data.dtype)))
        self.init_weights()

    def init_weights(self) -> None:
        """Redraw every 2-D parameter Glorot-uniform (biases keep ``Linear``'s default), as ``ncps``."""
        for w in self.parameters():
            if w.ndim == 2:
                init.xavier_uniform_(w)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, mode={self.mode!r}"

    # ------------------------------------------------------------------ the step, shared with CfC

    def _first_layer(self, heads: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """The layer reading ``[x, h]`` (the backbone's first, else the heads): its weight split into
        input and hidden columns, and its bias."""
        w, b = (self.backbone[0].weight, self.backbone[0].bias) if self.backbone is not None else heads
        n = self.input_size
        return _cols(w, 0, n), _cols(w, n, w.shape[1]), b

    def _heads(self, timed: bool) -> tuple[Tensor, Tensor]:
        """The heads as one weight and bias: ``ff1`` alone in pure mode, else ``[ff1; ff2; time_a;
        time_b]``. Without elapsed times (``timed=False``, t = 1) ``time_a + time_b`` is one head."""
        w1, b1 = self.ff1.weight, self.ff1.bias
        if self.sparsity_mask is not None:
            w1 = _mul(w1, self.sparsity_mask)
        if self.mode == "pure":
            return w1, b1
        w2, b2 = self.ff2.weight, self.ff2.bias
        if self.sparsity_mask is not None:
            w2 = _mul(w2, self.sparsity_mask)
        wa, ba, wb, bb = self.time_a.weight, self.time_a.bias, self.time_b.weight, self.time_b.bias
        if timed:
            return _cat(w1, w2, wa, wb, axis=0), _cat(b1, b2, ba, bb, axis=0)
        return _cat(w1, w2, _add(wa, wb), axis=0), _cat(b1, b2, _add(ba, bb), axis=0)

    def _step(self, xp: Tensor, h: Tensor, ts: Tensor | None, w_h: Tensor, heads: tuple[Tensor, Tensor]) -> Tensor:
        """The new state from ``xp`` (N, K), the input's share of the first layer, the state ``h``
        (N, H) and the elapsed time ``ts`` ((N, 1) or 0-d; None means 1)."""
        z = _linear(h, w_h, xp)  # xp as the bias: one node for xp + W_h h
        if self.backbone is not None:
            # ``forward`` rather than a module call: hooks and summaries would otherwise list every
            # backbone layer once per time step.
            for layer in list(self.backbone)[1:]:
                z = layer.forward(z)
            z = _linear(z, *heads)
        hs = self.hidden_size
        if self.mode == "pure":
            decay = _add(_abs(self.w_tau), _abs(z))
            if ts is not None:
                decay = _mul(decay, ts)
            return _sub(self.A, _mul(_mul(self.A, _exp(_neg(decay))), z))
        f = _tanh(_cols(z, 0, 2 * hs))
        ff1, ff2 = _cols(f, 0, hs), _cols(f, hs, 2 * hs)
        if ts is None:
            gate = _sigmoid(_cols(z, 2 * hs, 3 * hs))
        else:
            gate = _sigmoid(_addcmul(_cols(z, 3 * hs, 4 * hs), _cols(z, 2 * hs, 3 * hs), ts))
        if self.mode == "no_gate":
            return _addcmul(ff1, gate, ff2)
        # ff1 * (1 - gate) + gate * ff2 as ff1 + gate * (ff2 - ff1): two nodes instead of four.
        return _addcmul(ff1, gate, _sub(ff2, ff1))

    def _check_input(self, x: Tensor, who: str) -> None:
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{who}: input has {x.shape[-1]} features, expected input_size={self.input_size}")
        w = self.ff1.weight
        if x._data.dtype != w._data.dtype:
            raise ValueError(
                f"{who} input dtype ({x.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                f"input.to({w.dtype}), or convert model: model.to({x.dtype})"
            )

    def forward(self, input: Tensor, hx: Tensor | None = None, ts=1.0) -> tuple[Tensor, Tensor]:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"CfCCell: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"CfCCell: Expected input to be 1D or 2D, got {input.ndim}D instead")
        self._check_input(input, "CfCCell")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        h = _state(hx, x, self.hidden_size, batched, "CfCCell", "hx")
        ts = _cell_time(ts, x)
        heads = self._heads(ts is not None)
        w_x, w_h, b = self._first_layer(heads)
        new = self._step(F.linear(x, w_x, b), h, ts, w_h, heads)
        new = new if batched else new.squeeze(0)
        return new, new


class _MemoryCell(Module):
    """The LSTM that ``ncps``'s ``mixed_memory`` runs before the CfC cell at every step.

    Its own formulation, not ``nn.LSTMCell``'s: ``input_map (4H, H_in)`` with bias and
    ``recurrent_map (4H, H)`` without, chunks (input, input gate, forget gate, output gate), and
    the forget gate biased by +1. Initialisation as ``ncps``: Glorot weights, orthogonal recurrent
    weights, biases U(-0.1, 0.1).
    """

    def __init__(self, input_size: int, hidden_size: int, device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.input_map = Linear(input_size, 4 * hidden_size, device=device, dtype=dtype)
        self.recurrent_map = Linear(hidden_size, 4 * hidden_size, bias=False, device=device, dtype=dtype)
        init.xavier_uniform_(self.input_map.weight)
        init.uniform_(self.input_map.bias, -0.1, 0.1)
        init.orthogonal_(self.recurrent_map.weight)

    def _step(self, xp: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        """``xp`` is the input map of this step, (N, 4H)."""
        hs = self.hidden_size
        z = _linear(h, self.recurrent_map.weight, xp)
        s = _sigmoid(z)
        forget = _sigmoid(_add(_cols(z, 2 * hs, 3 * hs), np.ones((), dtype=z._data.dtype)))
        c = _addcmul(_mul(c, forget), _tanh(_cols(z, 0, hs)), _cols(s, hs, 2 * hs))
        return _mul(_tanh(c), _cols(s, 3 * hs, 4 * hs)), c


class CfC(Module):
    """A CfC layer over sequences, with ``ncps.torch.CfC``'s arguments and defaults.

    ``units`` is the state size (``ncps``'s wirings are not supported). ``proj_size`` adds a
    Linear readout ``fc``; ``mixed_memory`` runs an LSTM (``lstm``) before the cell at each step
    and makes the state a pair ``(h, c)``. ``backbone_units``, ``backbone_layers`` and
    ``backbone_dropout`` default to 128, 1 and 0; the rest is as ``CfCCell``.

    Shapes: input ``(N, L, H_in)`` with ``batch_first`` (the default, as in ``ncps``),
    ``(L, N, H_in)`` without, ``(L, H_in)`` unbatched, or a ``PackedSequence``. ``hx`` ``(N, H)``
    (``(H,)`` unbatched; a pair with ``mixed_memory``), zeros if None. ``timespans``, the time
    elapsed before each sample: laid out like the input without the feature axis, optionally with
    a trailing 1 (``(N, L)`` or ``(N, L, 1)`` batch-first), a ``PackedSequence`` of them for
    packed input, or a number for all; None means 1.

    Returns ``(output, hx)``: output ``(N, L, P)`` (P = ``proj_size`` or H; sequence-first and
    packed inputs give the same layout back) with ``return_sequences``, else ``(N, P)`` from the
    final state; ``hx`` the final state, which for a packed sequence is its state after its last
    sample. Padded steps of a packed batch leave the state alone.
    """

    def __init__(self, input_size: int, units: int, proj_size: int | None = None, return_sequences: bool = True,
                 batch_first: bool = True, mixed_memory: bool = False, mode: str = "default",
                 activation: str = "lecun_tanh", backbone_units: int | None = None,
                 backbone_layers: int | None = None, backbone_dropout: float | None = None, device=None,
                 dtype=None, *, generator=None) -> None:
        super().__init__()
        if not isinstance(units, int) or isinstance(units, bool):
            raise TypeError(
                f"CfC: units must be an int (ncps wirings, the WiredCfCCell, are not supported), "
                f"got {type(units).__name__}"
            )
        if proj_size is not None:
            _check_int("proj_size", proj_size, 1)
        self.input_size, self.units, self.proj_size = input_size, units, proj_size
        self.batch_first, self.return_sequences, self.use_mixed = batch_first, return_sequences, mixed_memory
        self.state_size = self.output_size = units
        factory = {"device": device, "dtype": dtype}
        self.rnn_cell = CfCCell(
            input_size, units, mode, activation,
            128 if backbone_units is None else backbone_units,
            1 if backbone_layers is None else backbone_layers,
            0.0 if backbone_dropout is None else backbone_dropout,
            **factory, generator=generator,
        )
        if mixed_memory:
            self.lstm = _MemoryCell(input_size, units, **factory)
        self.fc = Identity() if proj_size is None else Linear(units, proj_size, **factory)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.units}"
        if self.proj_size is not None:
            s += f", proj_size={self.proj_size}"
        if self.use_mixed:
            s += ", mixed_memory=True"
        if not self.batch_first:
            s += ", batch_first=False"
        if not self.return_sequences:
            s += ", return_sequences=False"
        return s

    def forward(self, input: Tensor | PackedSequence, hx=None, timespans=None) -> tuple:  # noqa: A002
        x, batched, masks = time_major(input, self.batch_first, "CfC")
        packed = masks is not None
        cell = self.rnn_cell
        cell._check_input(x, "CfC")
        length, batch = x.shape[0], x.shape[1]
        if length == 0:
            raise ValueError(f"CfC: expected a sequence of at least one time step, got shape {list(x.shape)}")
        ts = self._timespans(timespans, input, packed, batched, length, batch, x)
        h, c = self._initial_state(hx, x, batched)

        heads = cell._heads(ts is not None)
        w_x, w_h, b = cell._first_layer(heads)
        rows = _reshape(x, shape=(length * batch, self.input_size))
        sources = _step_sources(F.linear(rows, w_x, b), length, batch)
        memory = _step_sources(F.linear(rows, self.lstm.input_map.weight, self.lstm.input_map.bias), length,
                               batch) if self.use_mixed else None
        zero = np.zeros((), dtype=x._data.dtype)
        outs = []
        for t in range(length):
            with step_scope(t):
                if memory is not None:
                    part, at = memory[t]
                    new_h, new_c = self.lstm._step(_getitem(part, index=slice(at * batch, (at + 1) * batch)), h, c)
                    h, c = (new_h, new_c) if masks is None else (_where(masks[t], new_h, h), _where(masks[t], new_c, c))
                part, at = sources[t]
                step_ts = None if ts is None else (ts if ts.ndim == 0 else _getitem(ts, index=t))
                new = cell._step(_getitem(part, index=slice(at * batch, (at + 1) * batch)), h, step_ts, w_h, heads)
                if masks is None:
                    h = new
                    outs.append(new)
                else:
                    h = _where(masks[t], new, h)
                    outs.append(_where(masks[t], new, zero))
        state = (h, c) if self.use_mixed else h
        if not self.return_sequences:
            readout = self.fc(h)
        elif packed:
            out = packed_like(_cat(*outs, axis=0), input)
            return PackedSequence(self.fc(out.data), out.batch_sizes, out.sorted_indices, out.unsorted_indices), state
        elif batched and self.batch_first:
            # Joining the steps along the features gives the batch-major layout without a transpose.
            readout = self.fc(_reshape(_cat(*outs, axis=1), shape=(batch, length, self.units)))
        else:
            readout = self.fc(_reshape(_cat(*outs, axis=0), shape=(length, batch, self.units)))
        if not batched:
            readout = readout.squeeze(1 if self.return_sequences else 0)
            state = (h.squeeze(0), c.squeeze(0)) if self.use_mixed else h.squeeze(0)
        return readout, state

    def _initial_state(self, hx, x: Tensor, batched: bool) -> tuple[Tensor, Tensor | None]:
        if self.use_mixed:
            if hx is None:
                zeros = _state(None, x[0], self.units, True, "CfC", "hx")
                return zeros, zeros
            if not (isinstance(hx, tuple) and len(hx) == 2):
                raise RuntimeError(
                    "Running a CfC with mixed_memory=True requires a tuple (h0, c0) to be passed as state "
                    f"(got {type(hx).__name__} instead)"
                )
            return (_state(hx[0], x[0], self.units, batched, "CfC", "hx[0]"),
                    _state(hx[1], x[0], self.units, batched, "CfC", "hx[1]"))
        if isinstance(hx, tuple):
            raise TypeError("CfC: hx must be a Tensor (a tuple (h0, c0) only with mixed_memory=True)")
        return _state(hx, x[0], self.units, batched, "CfC", "hx"), None

    def _timespans(self, timespans, input, packed: bool, batched: bool, length: int, batch: int,
                   x: Tensor) -> Tensor | None:
        """``timespans`` as time-major ``(L, N, 1)`` (or 0-d for a number) in the input's dtype."""
        if timespans is None:
            return None
        dtype = x._data.dtype
        if isinstance(timespans, numbers.Real) and not isinstance(timespans, bool):
            return _creation.from_numpy(np.asarray(timespans, dtype=dtype))
        if packed:
            if not isinstance(timespans, PackedSequence):
                raise TypeError(f"CfC: with packed input, timespans must be a PackedSequence, "
                                f"got {type(timespans).__name__}")
            if not np.array_equal(timespans.batch_sizes._data, input.batch_sizes._data):
                raise ValueError("CfC: timespans must be packed like the input (their batch_sizes differ)")
            ts, _ = pad_packed_sequence(timespans)
            expected = (length, batch)
        else:
            if not isinstance(timespans, Tensor):
                raise TypeError(f"CfC: timespans must be a Tensor, a number or None, got {type(timespans).__name__}")
            ts = timespans
            if batched:
                expected = (batch, length) if self.batch_first else (length, batch)
            else:
                expected = (length,)
        if tuple(ts.shape) not in (expected, expected + (1,)):
            raise ValueError(
                f"CfC: timespans must have shape {list(expected)} or {list(expected + (1,))} for input of shape "
                f"{list(input.data.shape if packed else input.shape)}, got {list(ts.shape)}"
            )
        if ts._data.dtype.kind != "f":
            raise TypeError(f"CfC: timespans must be floating point, got {ts.dtype}")
        if ts._data.dtype != dtype:
            ts = ts.to(x.dtype)
        ts = ts.reshape(expected + (1,))
        if not batched:
            return ts.unsqueeze(1)
        return ts.transpose(0, 1) if self.batch_first and not packed else ts


def _state(hx: Tensor | None, x: Tensor, hidden: int, batched: bool, who: str, name: str) -> Tensor:
    """Validate an initial state against the batched input ``x`` (N, H_in): ``(N, H)``, zeros if None."""
    batch = x.shape[0]
    if hx is None:
        return _creation.zeros(batch, hidden, dtype=x.dtype)
    if not isinstance(hx, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(hx).__name__}")
    if hx.ndim != (2 if batched else 1):
        kind = "batched 2-D" if batched else "unbatched 1-D"
        raise RuntimeError(f"{who}: for {kind} input, {name} should be {2 if batched else 1}-D, got {hx.ndim}-D")
    h = hx if batched else hx.unsqueeze(0)
    if tuple(h.shape) != (batch, hidden):
        raise RuntimeError(f"{who}: expected {name} of shape {[batch, hidden] if batched else [hidden]}, "
                           f"got {list(hx.shape)}")
    if h._data.dtype != x._data.dtype:
        raise ValueError(f"{who}: {name} dtype ({hx.dtype}) does not match input dtype ({x.dtype})")
    return h


def _cell_time(ts, x: Tensor) -> Tensor | None:
    """The cell's elapsed time as None (exactly 1), a 0-d tensor or ``(N, 1)``."""
    if isinstance(ts, numbers.Real) and not isinstance(ts, bool):
        return None if ts == 1.0 else _creation.from_numpy(np.asarray(ts, dtype=x._data.dtype))
    if not isinstance(ts, Tensor):
        raise TypeError(f"CfCCell: ts must be a number or a Tensor, got {type(ts).__name__}")
    if ts._data.dtype.kind != "f":
        raise TypeError(f"CfCCell: ts must be floating point, got {ts.dtype}")
    ts = ts if ts._data.dtype == x._data.dtype else ts.to(x.dtype)
    if ts.ndim == 0:
        return ts
    if ts.numel() != x.shape[0] or ts.ndim > 2:
        raise ValueError(f"CfCCell: ts must be a number, 0-d, (N,) or (N, 1) with N={x.shape[0]}, "
                         f"got shape {list(ts.shape)}")
    return ts.reshape(x.shape[0], 1)
