"""Variable-length batches for recurrent layers (PyTorch's ``nn.utils.rnn``).

A ``PackedSequence`` stores a batch of sequences of different lengths without padding: ``data``
holds the valid time steps time-major, sequences sorted by decreasing length, so the first
``batch_sizes[0]`` rows are time step 0 of every sequence, the next ``batch_sizes[1]`` rows time
step 1 of the sequences that are at least 2 long, and so on. ``sorted_indices[j]`` is the original
batch position of the j-th longest sequence; ``unsorted_indices`` is its inverse.

Packing and unpacking are single gather/scatter ops, so gradients flow through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ottorch import _creation, _dtype, ops
from ottorch._functions import cat
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

_UNSORTED_MSG = (
    "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
    "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
    "if you do not need ONNX exportability."
)


def _int64(values) -> Tensor:
    return _make(np.asarray(values, dtype=np.int64), False, None)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data if isinstance(permutation, Tensor) else np.asarray(permutation)
    out = np.empty(p.shape, dtype=np.int64)
    out[p] = np.arange(p.size, dtype=np.int64)
    return _make(out, False, None)


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """A packed batch of variable-length sequences (see the module docstring for the layout).

    Fields: ``data (sum(lengths), *)``, ``batch_sizes`` (int64, one entry per time step),
    ``sorted_indices`` and ``unsorted_indices`` (int64 permutations, or None when the batch was
    already sorted). Build one with ``pack_padded_sequence`` or ``pack_sequence``.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if batch_sizes is None:
            # PyTorch's legacy form ``PackedSequence((data, batch_sizes))``.
            data, batch_sizes = data
        if not isinstance(data, Tensor):
            raise TypeError(f"PackedSequence: data must be a Tensor, got {type(data).__name__}")
        sizes = batch_sizes._data if isinstance(batch_sizes, Tensor) else np.asarray(batch_sizes)
        if sizes.ndim != 1 or sizes.dtype.kind not in "iu":
            raise TypeError(
                f"PackedSequence: batch_sizes must be a 1-D integer tensor, got {sizes.ndim}-D {sizes.dtype}"
            )
        rows = data.shape[0] if data.ndim else 0
        if int(sizes.sum()) != rows:
            raise ValueError(f"PackedSequence: batch_sizes sum to {int(sizes.sum())} but data has {rows} rows")
        sorted_indices = _as_index(sorted_indices)
        unsorted_indices = _as_index(unsorted_indices)
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, _as_index(batch_sizes), sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """A copy with ``data`` converted (dtype or "cpu"); ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(_dtype.float64)

    def float(self) -> PackedSequence:
        return self.to(_dtype.float32)

    def half(self) -> PackedSequence:
        return self.to(_dtype.float16)

    def long(self) -> PackedSequence:
        return self.to(_dtype.int64)

    def int(self) -> PackedSequence:
        return self.to(_dtype.int32)

    @property
    def is_cuda(self) -> bool:
        return False


def _as_index(indices) -> Tensor | None:
    """``indices`` as an int64 tensor (the same object when it already is one)."""
    if indices is None or (isinstance(indices, Tensor) and indices._data.dtype == np.int64):
        return indices
    return _int64(indices._data if isinstance(indices, Tensor) else indices)


def _packed_positions(batch_sizes: np.ndarray, sorted_indices: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """For every row of a packed ``data``: its time step and its original batch position."""
    steps = np.arange(batch_sizes.size)
    t_idx = np.repeat(steps, batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    rank = np.arange(t_idx.size) - np.repeat(starts, batch_sizes)
    b_idx = rank if sorted_indices is None else sorted_indices[rank]
    return t_idx, b_idx


def _lengths_array(lengths) -> np.ndarray:
    arr = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D tensor")
    if arr.size and arr.dtype.kind not in "iuf":
        raise TypeError(f"'lengths' must hold numbers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences with ``lengths``.

    With ``enforce_sorted`` the lengths must be in decreasing order; otherwise the batch is sorted
    here (stably) and the permutation kept in ``sorted_indices``.
    """
    lengths = _lengths_array(lengths)
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input must be at least 2-D (T, B, *), got shape {list(input.shape)}")
    batch_axis = 0 if batch_first else 1
    batch, steps = input.shape[batch_axis], input.shape[1 - batch_axis]
    if lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} (batch_size={batch})"
        )
    if batch == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(_UNSORTED_MSG)
        sorted_indices = None
        sorted_lengths = lengths
    else:
        sorted_indices = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[sorted_indices]
    if sorted_lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if sorted_lengths[0] > steps:
        raise ValueError(
            f"pack_padded_sequence: a length of {int(sorted_lengths[0])} exceeds the padded sequence length "
            f"{steps} of the input (shape {list(input.shape)}, batch_first={batch_first})"
        )
    batch_sizes = (sorted_lengths[:, None] > np.arange(sorted_lengths[0])).sum(axis=0)
    t_idx, b_idx = _packed_positions(batch_sizes, sorted_indices)
    data = input[(b_idx, t_idx) if batch_first else (t_idx, b_idx)]
    return PackedSequence(data, _int64(batch_sizes), None if sorted_indices is None else _int64(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: ``(padded, lengths)`` with ``padded`` of shape ``(T, B, *)``
    (``(B, T, *)`` with ``batch_first``) in the original batch order and ``lengths`` int64.

    ``T`` is the longest length, or ``total_length`` when given (it must not be shorter).
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence expects a PackedSequence, got {type(sequence).__name__}")
    data = sequence.data
    batch_sizes = sequence.batch_sizes._data
    max_len = batch_sizes.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_len}"
            )
        max_len = total_length
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    sorted_indices = None if sequence.sorted_indices is None else sequence.sorted_indices._data
    t_idx, b_idx = _packed_positions(batch_sizes, sorted_indices)
    shape = ((batch, max_len) if batch_first else (max_len, batch)) + tuple(data.shape[1:])
    padded = _creation.full(shape, padding_value, dtype=data.dtype)
    padded = ops.IndexPut.apply(padded, data, index=(b_idx, t_idx) if batch_first else (t_idx, b_idx))
    sorted_lengths = (batch_sizes[:, None] > np.arange(batch)).sum(axis=0)
    lengths = sorted_lengths if sequence.unsorted_indices is None else sorted_lengths[sequence.unsorted_indices._data]
    return padded, _int64(lengths)


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``),
    ``T = max(L_i)``, filling with ``padding_value`` on the ``padding_side`` ("right" or "left")."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(seqs[0].shape[1:]) if seqs[0].ndim else None
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence: sequence {i} is a {type(s).__name__}, expected a Tensor")
        if s.ndim == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have shape (L, *) with the same trailing dimensions; "
                f"sequence 0 has shape {list(seqs[0].shape)} and sequence {i} has shape {list(s.shape)}"
            )
    lengths = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    max_len = int(lengths.max())
    data = cat(seqs, 0)
    b_idx = np.repeat(np.arange(lengths.size), lengths)
    starts = np.cumsum(lengths) - lengths
    t_idx = np.arange(b_idx.size) - np.repeat(starts, lengths)
    if padding_side == "left":
        t_idx += np.repeat(max_len - lengths, lengths)
    shape = ((lengths.size, max_len) if batch_first else (max_len, lengths.size)) + trailing
    padded = _creation.full(shape, padding_value, dtype=data.dtype)
    return ops.IndexPut.apply(padded, data, index=(b_idx, t_idx) if batch_first else (t_idx, b_idx))


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into a list of sequences ``(L_i, *)`` (inverse of ``pad_sequence``)."""
    lengths = _lengths_array(lengths)
    padded = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    if lengths.size != padded.shape[0]:
        raise RuntimeError(
            f"unpad_sequence: got {lengths.size} lengths for a batch of {padded.shape[0]} sequences"
        )
    return [padded[i, : int(n)] for i, n in enumerate(lengths)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``; with ``enforce_sorted`` they must be longest first."""
    seqs = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) and s.ndim else 0 for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences ``(L_i, *)`` in a ``PackedSequence``, in the original batch order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
