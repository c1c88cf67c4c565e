import numpy as np
import pytest

import ottorch
from ottorch.utils.data import (
    BucketBatchSampler,
    BucketedDataLoader,
    DataLoader,
    StackedBatch,
    TensorDataset,
    VarLenDataset,
)

LENGTHS = [4, 7, 4, 5, 7, 7, 4, 5, 6, 4, 4, 7, 5]


def _dataset(feature_size: int | None = None) -> tuple[VarLenDataset, list[np.ndarray]]:
    """Sequence i is filled with i (so a batch row tells which sample it is); label i."""
    shape = (lambda n: (n,)) if feature_size is None else (lambda n: (n, feature_size))
    seqs = [np.full(shape(n), i, dtype=np.float32) for i, n in enumerate(LENGTHS)]
    return VarLenDataset(seqs, list(range(len(seqs)))), seqs


def _loader(seed: int, **kwargs) -> BucketedDataLoader:
    return BucketedDataLoader(_dataset()[0], batch_size=2, generator=ottorch.Generator().manual_seed(seed), **kwargs)


def _epoch(loader) -> list[list[int]]:
    return [y.tolist() for _, y in loader]


# ----------------------------------------------------------------------------- VarLenDataset


def test_varlen_dataset_items_1d_get_a_feature_axis():
    ds, seqs = _dataset()
    assert len(ds) == len(LENGTHS)
    np.testing.assert_array_equal(ds.lengths, LENGTHS)
    assert ds.lengths.dtype == np.int64
    assert ds.feature_size == 1
    x, y = ds[1]
    assert x.shape == (7, 1) and x.dtype == ottorch.float32
    np.testing.assert_array_equal(x.numpy()[:, 0], seqs[1])
    assert y.item() == 1 and y.dtype == ottorch.int64
    assert ds[-1][1].item() == len(LENGTHS) - 1


def test_varlen_dataset_2d_sequences_and_tensor_inputs():
    seqs = [ottorch.randn(3, 2), ottorch.randn(5, 2)]
    ds = VarLenDataset(seqs, ottorch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert ds.feature_size == 2
    np.testing.assert_array_equal(ds[1][0].numpy(), seqs[1].numpy())
    assert ds[0][1].tolist() == [1.0, 0.0]


def test_varlen_dataset_getitems():
    ds, seqs = _dataset(feature_size=3)
    same = ds.__getitems__([0, 9, 2])
    assert isinstance(same, StackedBatch)
    x, y = same.columns
    assert x.shape == (3, 4, 3)
    np.testing.assert_array_equal(x.numpy(), np.stack([seqs[0], seqs[9], seqs[2]]))
    assert y.tolist() == [0, 9, 2]
    mixed = ds.__getitems__([0, 1])
    assert isinstance(mixed, list) and [s[0].shape[0] for s in mixed] == [4, 7]
    with pytest.raises(IndexError, match="out of range"):
        ds.__getitems__([0, 13])
    with pytest.raises(IndexError, match="out of range"):
        ds[-14]


def test_varlen_dataset_works_with_a_plain_dataloader():
    ds, _ = _dataset()
    x, y = next(iter(DataLoader(ds, batch_size=1)))
    assert x.shape == (1, 4, 1) and y.tolist() == [0]


@pytest.mark.parametrize(
    ("sequences", "labels", "msg"),
    [
        ([], [], "at least one sequence"),
        ([np.zeros((2, 2, 2))], [0], r"sequence 0 has shape \[2, 2, 2\]"),
        ([np.zeros((2, 3)), np.zeros((4, 2))], [0, 1], "sequence 0 has 3, sequence 1 has 2"),
        ([np.zeros(2), np.zeros(0)], [0, 1], "sequence 1 is empty"),
        ([np.zeros(2), np.zeros(3)], [0], r"2 sequences, labels of shape \[1\]"),
        ([np.zeros(2)], 5, r"labels of shape \[\]"),
    ],
)
def test_varlen_dataset_errors(sequences, labels, msg):
    with pytest.raises(ValueError, match=msg):
        VarLenDataset(sequences, labels)


# ----------------------------------------------------------------------------- BucketedDataLoader


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_sample_once_per_epoch_in_equal_length_batches(shuffle):
    ds, seqs = _dataset()
    loader = BucketedDataLoader(ds, batch_size=2, shuffle=shuffle, generator=ottorch.Generator().manual_seed(0))
    seen = []
    for batch in loader:
        assert isinstance(batch, tuple)
        x, y = batch
        ids = y.tolist()
        assert x.ndim == 3 and x.shape[0] == len(ids) <= 2 and x.shape[2] == 1
        assert {LENGTHS[i] for i in ids} == {x.shape[1]}
        np.testing.assert_array_equal(x.numpy()[:, :, 0], np.stack([seqs[i] for i in ids]))
        seen += ids
    assert sorted(seen) == list(range(len(LENGTHS)))
    # lengths 4,5,6,7 hold 5,3,1,4 samples -> 3+2+1+2 batches
    assert len(loader) == 8


def test_bucketed_loader_without_shuffle_goes_by_increasing_length():
    assert _epoch(_loader(0, shuffle=False)) == [[0, 2], [6, 9], [10], [3, 7], [12], [8], [1, 4], [5, 11]]


def test_bucketed_loader_drop_last():
    loader = _loader(0, drop_last=True)
    batches = _epoch(loader)
    assert len(loader) == len(batches) == 5
    assert all(len(b) == 2 for b in batches)
    assert loader.batch_size == 2 and loader.drop_last


def test_bucketed_loader_is_reproducible_and_reshuffles_each_epoch():
    a, b = _loader(1), _loader(1)
    epochs_a = [_epoch(a) for _ in range(3)]
    assert epochs_a == [_epoch(b) for _ in range(3)]
    assert epochs_a[0] != epochs_a[1]
    assert epochs_a[0] != _epoch(_loader(2))


def test_bucketed_loader_needs_lengths():
    ds = TensorDataset(ottorch.zeros(3, 2))
    with pytest.raises(TypeError, match="needs a dataset with a `lengths` attribute"):
        BucketedDataLoader(ds, batch_size=2)
    ds.lengths = np.array([1, 2])
    with pytest.raises(ValueError, match="2 entries for 3 samples"):
        BucketedDataLoader(ds, batch_size=2)


def test_bucket_batch_sampler_alone():
    s = BucketBatchSampler(ottorch.tensor([2, 1, 2, 2, 1]), batch_size=2, shuffle=False)
    assert list(s) == [[1, 4], [0, 2], [3]]
    assert len(s) == 3
    with pytest.raises(ValueError, match="batch_size=0"):
        BucketBatchSampler([1, 2], batch_size=0)
