import warnings

import numpy as np
import pytest

import ottorch
from ottorch.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackedBatch,
    Subset,
    TensorDataset,
    random_split,
)


def _xy(n: int = 10):
    return ottorch.arange(n * 2, dtype=ottorch.float32).reshape(n, 2), ottorch.arange(n)


class Squares(Dataset):
    """A per-sample dataset without __getitems__."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i):
        return i * i

    def __len__(self) -> int:
        return self.n


class Count(IterableDataset):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


# ----------------------------------------------------------------------------- TensorDataset


def test_tensor_dataset_items_and_len():
    x, y = _xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), [6.0, 7.0])
    assert yi.item() == 3
    assert ds.tensors[0] is x


def test_tensor_dataset_wraps_numpy_arrays():
    a = np.arange(6.0).reshape(3, 2)
    ds = TensorDataset(a)
    assert isinstance(ds[1][0], ottorch.Tensor)
    assert ds.tensors[0].dtype == ottorch.float64


def test_tensor_dataset_size_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"Size mismatch.*\[3, 2\].*\[4\]"):
        TensorDataset(ottorch.zeros(3, 2), ottorch.zeros(4))


@pytest.mark.parametrize(
    ("args", "err", "msg"),
    [
        ((), ValueError, "at least one tensor"),
        ((ottorch.tensor(1.0),), ValueError, "0-dimensional"),
        (([1, 2],), TypeError, "argument 0 must be a Tensor"),
    ],
)
def test_tensor_dataset_bad_arguments(args, err, msg):
    with pytest.raises(err, match=msg):
        TensorDataset(*args)


def test_tensor_dataset_getitems_matches_getitem():
    x, y = _xy()
    ds = TensorDataset(x, y)
    batch = ds.__getitems__([4, 0, -1, 4])
    assert isinstance(batch, StackedBatch)
    assert len(batch) == 4
    np.testing.assert_array_equal(batch.columns[0].numpy(), x.numpy()[[4, 0, -1, 4]])
    np.testing.assert_array_equal(batch.columns[1].numpy(), [4, 0, 9, 4])
    for got, idx in zip(batch, [4, 0, -1, 4]):
        np.testing.assert_array_equal(got[0].numpy(), ds[idx][0].numpy())


def test_tensor_dataset_getitems_rejects_float_indices():
    with pytest.raises(TypeError, match="must be integers"):
        TensorDataset(ottorch.zeros(3)).__getitems__([0.5])


# ----------------------------------------------------------------------------- StackedBatch


def test_stacked_batch_sequence_protocol():
    b = StackedBatch([ottorch.arange(3), ottorch.arange(3) * 10])
    assert len(b) == 3
    assert [int(v) for v in b[2]] == [2, 20]
    sliced = b[1:]
    assert isinstance(sliced, StackedBatch) and len(sliced) == 2
    assert repr(b) == "StackedBatch(len=3, columns=2)"


def test_stacked_batch_errors():
    with pytest.raises(ValueError, match="at least one column"):
        StackedBatch([])
    with pytest.raises(ValueError, match=r"share their first dimension.*\[2, 3\]"):
        StackedBatch([ottorch.zeros(2), ottorch.zeros(3)])


# ----------------------------------------------------------------------------- Dataset / Subset


def test_dataset_base_class():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    both = Squares(2) + Squares(3)
    assert isinstance(both, ConcatDataset)
    assert [both[i] for i in range(len(both))] == [0, 1, 0, 1, 4]


def test_subset_indexing():
    x, y = _xy()
    sub = Subset(TensorDataset(x, y), [7, 2, 5])
    assert len(sub) == 3
    assert sub[0][1].item() == 7
    assert sub[-1][1].item() == 5
    np.testing.assert_array_equal(sub[[0, 2]][1].numpy(), [7, 5])


def test_subset_getitems_delegates_to_dataset_getitems():
    x, y = _xy()
    batch = Subset(TensorDataset(x, y), [7, 2, 5, 9]).__getitems__([3, 0])
    assert isinstance(batch, StackedBatch)
    np.testing.assert_array_equal(batch.columns[1].numpy(), [9, 7])


def test_subset_getitems_without_dataset_getitems():
    assert Subset(Squares(10), [3, 4]).__getitems__([1, 0]) == [16, 9]


def test_subset_indices_can_be_replaced_or_a_tensor():
    sub = Subset(Squares(10), ottorch.tensor([1, 2]))
    assert sub[1] == 4
    sub.indices = [9]
    assert len(sub) == 1 and sub[0] == 81 and sub.indices == [9]


def test_subset_subclass_with_own_getitem_is_respected():
    class Negated(Subset):
        def __getitem__(self, i):
            return -super().__getitem__(i)

    assert Negated(Squares(5), [2, 3]).__getitems__([0, 1]) == [-4, -9]


# ----------------------------------------------------------------------------- ConcatDataset / ChainDataset


def test_concat_dataset_indexing():
    ds = ConcatDataset([Squares(2), Squares(0), Squares(3)])
    assert len(ds) == 5
    assert ds.cumulative_sizes == [2, 2, 5]
    assert [ds[i] for i in range(5)] == [0, 1, 0, 1, 4]
    assert ds[-1] == 4 and ds[-5] == 0


@pytest.mark.parametrize(
    ("datasets", "err", "msg"),
    [
        ([], ValueError, "empty"),
        ([Squares(2), Count(0, 2)], TypeError, r"datasets\[1\]"),
    ],
)
def test_concat_dataset_construction_errors(datasets, err, msg):
    with pytest.raises(err, match=msg):
        ConcatDataset(datasets)


def test_concat_dataset_index_errors():
    ds = ConcatDataset([Squares(2), Squares(3)])
    with pytest.raises(ValueError, match="absolute value"):
        ds[-6]
    with pytest.raises(IndexError, match="out of range"):
        ds[5]


def test_iterable_dataset_and_chain():
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())
    chained = Count(0, 2) + Count(5, 7)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 5, 6]
    assert len(chained) == 4
    with pytest.raises(TypeError, match=r"datasets\[1\]"):
        list(ChainDataset([Count(0, 1), Squares(2)]))


# ----------------------------------------------------------------------------- random_split


def test_random_split_int_lengths_partition_the_dataset():
    parts = random_split(Squares(10), [3, 7], generator=ottorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert all(isinstance(p, Subset) for p in parts)
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))


@pytest.mark.parametrize(
    ("n", "fractions", "expected"),
    [
        (10, [0.33, 0.33, 0.34], [4, 3, 3]),
        (11, [0.5, 0.5], [6, 5]),
        (7, [0.1, 0.1, 0.1, 0.7], [1, 1, 1, 4]),
        (10, [0.25, 0.25, 0.25, 0.25], [3, 3, 2, 2]),
    ],
)
def test_random_split_fractions_match_pytorch(n, fractions, expected):
    assert [len(p) for p in random_split(range(n), fractions)] == expected


def test_random_split_is_reproducible_with_a_generator():
    def split(seed):
        parts = random_split(Squares(20), [0.5, 0.5], generator=ottorch.Generator().manual_seed(seed))
        return [p.indices for p in parts]

    assert split(3) == split(3)
    assert split(3) != split(4)


def test_random_split_default_generator_follows_manual_seed():
    ottorch.manual_seed(5)
    first = random_split(Squares(20), [10, 10])[0].indices
    ottorch.manual_seed(5)
    assert random_split(Squares(20), [10, 10])[0].indices == first


def test_random_split_warns_about_empty_splits():
    with pytest.warns(UserWarning, match="split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


@pytest.mark.parametrize(
    ("lengths", "msg"),
    [
        ([3, 3], r"Sum of input lengths \(6\) does not equal .* \(10\)"),
        ([1.5, -0.5], "Fraction at index 0 is not between 0 and 1"),
        ([2.5, 7.5], "ints or fractions"),
        ([12, -2], "non-negative"),
        ([], "must not be empty"),
    ],
)
def test_random_split_errors(lengths, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=msg):
            random_split(Squares(10), lengths)
