"""Variable-length batch helpers: padding, packing, unpacking, their gradients and errors."""

import numpy as np
import pytest

import ottorch
from ottorch.nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)


def grid(steps=4, batch=3):
    """(T, B, 1) with x[t, b] = batch * t + b."""
    return ottorch.arange(steps * batch, dtype=ottorch.float32).reshape(steps, batch, 1)


def flat(t):
    return t.detach().numpy().ravel().tolist()


# ----------------------------------------------------------------------------- pad_sequence


def test_pad_sequence_right_left_and_batch_first():
    a, b = ottorch.tensor([1.0, 2.0]), ottorch.tensor([3.0, 4.0, 5.0])
    np.testing.assert_array_equal(pad_sequence([a, b]).numpy(), [[1, 3], [2, 4], [0, 5]])
    np.testing.assert_array_equal(pad_sequence([a, b], batch_first=True, padding_value=-1).numpy(),
                                  [[1, 2, -1], [3, 4, 5]])
    np.testing.assert_array_equal(pad_sequence([a, b], batch_first=True, padding_side="left").numpy(),
                                  [[0, 1, 2], [3, 4, 5]])


def test_pad_sequence_trailing_dims_and_gradient():
    a = ottorch.ones(2, 3, requires_grad=True)
    b = ottorch.ones(1, 3, requires_grad=True)
    out = pad_sequence([a, b])
    assert tuple(out.shape) == (2, 2, 3)
    (out * ottorch.arange(1.0, 3.0).reshape(2, 1, 1)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(b.grad.numpy(), [[1, 1, 1]])


def test_pad_sequence_errors():
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle"):
        pad_sequence([ottorch.ones(2)], padding_side="middle")
    with pytest.raises(RuntimeError, match="empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \[3\]"):
        pad_sequence([ottorch.ones(2, 2), ottorch.ones(3)])


# ----------------------------------------------------------------------------- packing


def test_pack_padded_sorted_layout():
    p = pack_padded_sequence(grid(), [3, 2, 1])
    assert isinstance(p, PackedSequence) and isinstance(p, tuple)
    assert PackedSequence._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert flat(p.data) == [0, 1, 2, 3, 4, 6]
    assert p.batch_sizes.dtype == ottorch.int64 and p.batch_sizes.tolist() == [3, 2, 1]
    assert p.sorted_indices is None and p.unsorted_indices is None
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data is p.data and batch_sizes is p.batch_sizes


def test_pack_padded_unsorted_is_stable():
    p = pack_padded_sequence(grid(), ottorch.tensor([2, 3, 2]), enforce_sorted=False)
    assert flat(p.data) == [1, 0, 2, 4, 3, 5, 7]
    assert p.batch_sizes.tolist() == [3, 3, 1]
    assert p.sorted_indices.tolist() == [1, 0, 2] and p.unsorted_indices.tolist() == [1, 0, 2]
    assert p.sorted_indices.dtype == ottorch.int64


def test_pack_padded_batch_first():
    x = ottorch.arange(12.0).reshape(4, 3, 1)  # (B, T, 1)
    p = pack_padded_sequence(x, [2, 3, 2, 3], batch_first=True, enforce_sorted=False)
    assert flat(p.data) == [3, 9, 0, 6, 4, 10, 1, 7, 5, 11]
    assert p.batch_sizes.tolist() == [4, 4, 2]
    assert p.sorted_indices.tolist() == [1, 3, 0, 2] and p.unsorted_indices.tolist() == [2, 0, 3, 1]


def test_pack_errors_like_pytorch():
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        pack_padded_sequence(grid(), [2, 3, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_padded_sequence(grid(), [3, 1, 0])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_padded_sequence(grid(), [3, 0, 1], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2"):
        pack_padded_sequence(grid(), [3, 2])
    with pytest.raises(RuntimeError, match="should be a 1D CPU int64 tensor, but got 2D"):
        pack_padded_sequence(grid(), [[3, 2, 1]])
    with pytest.raises(ValueError, match="a length of 5 exceeds the padded sequence length 4"):
        pack_padded_sequence(grid(), [5, 3, 1])
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors"):
        pack_padded_sequence(ottorch.zeros(4, 0, 1), [])


def test_pack_gradient_reaches_valid_positions_only():
    x = grid().requires_grad_()
    pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False).data.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[..., 0], [[1, 1, 1], [0, 1, 1], [0, 1, 0], [0, 0, 0]])


# ----------------------------------------------------------------------------- unpacking


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip(batch_first):
    x = grid(5, 4)
    if batch_first:
        x = x.transpose(0, 1)
    lengths = [2, 5, 1, 3]
    p = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    padded, got_lengths = pad_packed_sequence(p, batch_first=batch_first, padding_value=-1.0)
    assert got_lengths.dtype == ottorch.int64 and got_lengths.tolist() == lengths
    want = x.numpy().copy()
    steps = np.arange(5)[:, None] < np.array(lengths)[None, :]
    if batch_first:
        steps = steps.T
    want[~steps] = -1.0
    np.testing.assert_array_equal(padded.numpy(), want)


def test_pad_packed_total_length_and_error():
    p = pack_padded_sequence(grid(), [3, 2, 1])
    padded, _ = pad_packed_sequence(p, total_length=6)
    assert tuple(padded.shape) == (6, 3, 1)
    np.testing.assert_array_equal(padded.numpy()[3:], 0.0)
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        pad_packed_sequence(p, total_length=2)
    with pytest.raises(TypeError, match="expects a PackedSequence"):
        pad_packed_sequence(grid())


def test_pad_packed_gradient():
    data = ottorch.arange(6.0, requires_grad=True)
    p = PackedSequence(data, ottorch.tensor([3, 2, 1]))
    padded, _ = pad_packed_sequence(p)
    (padded * padded).sum().backward()
    np.testing.assert_array_equal(data.grad.numpy(), 2 * np.arange(6.0))


def test_pack_sequence_and_unpack_round_trip():
    seqs = [ottorch.tensor([1.0, 2.0]), ottorch.tensor([3.0, 4.0, 5.0]), ottorch.tensor([6.0])]
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_sequence(seqs)
    p = pack_sequence(seqs, enforce_sorted=False)
    assert flat(p.data) == [3, 1, 6, 4, 2, 5]
    back = unpack_sequence(p)
    assert [flat(s) for s in back] == [flat(s) for s in seqs]
    sorted_pack = pack_sequence([seqs[1], seqs[0], seqs[2]])
    assert sorted_pack.sorted_indices is None and sorted_pack.batch_sizes.tolist() == [3, 2, 1]


def test_unpad_sequence():
    seqs = [ottorch.ones(3, 2), ottorch.ones(1, 2) * 2]
    for batch_first in (False, True):
        back = unpad_sequence(pad_sequence(seqs, batch_first=batch_first), ottorch.tensor([3, 1]), batch_first)
        assert [tuple(s.shape) for s in back] == [(3, 2), (1, 2)]
        np.testing.assert_array_equal(back[1].numpy(), [[2, 2]])
    with pytest.raises(RuntimeError, match="got 1 lengths for a batch of 2"):
        unpad_sequence(pad_sequence(seqs), [3])


# ----------------------------------------------------------------------------- PackedSequence


def test_packed_sequence_constructor_and_conversions():
    p = PackedSequence(ottorch.ones(3, 2), ottorch.tensor([2, 1]), ottorch.tensor([1, 0]))
    assert p.unsorted_indices.tolist() == [1, 0]  # computed from sorted_indices
    legacy = PackedSequence((ottorch.ones(3, 2), [2, 1]))
    assert legacy.batch_sizes.dtype == ottorch.int64 and legacy.sorted_indices is None
    d = p.double()
    assert d.data.dtype == ottorch.float64 and d.batch_sizes is p.batch_sizes and d.sorted_indices is p.sorted_indices
    assert p.to(ottorch.float32) is p and p.cpu() is p and not p.is_cuda
    assert p.float() is p
    assert p.long().data.dtype == ottorch.int64 and p.int().data.dtype == ottorch.int32
    assert p.half().data.dtype == ottorch.float16
    with pytest.raises(ValueError, match="batch_sizes sum to 4 but data has 3 rows"):
        PackedSequence(ottorch.ones(3, 2), ottorch.tensor([2, 2]))
    with pytest.raises(TypeError, match="batch_sizes must be a 1-D integer tensor"):
        PackedSequence(ottorch.ones(3, 2), ottorch.tensor([2.0, 1.0]))


def test_invert_permutation():
    assert invert_permutation(None) is None
    perm = ottorch.tensor([2, 0, 3, 1])
    inv = invert_permutation(perm)
    assert inv.tolist() == [1, 3, 0, 2] and inv.dtype == ottorch.int64
