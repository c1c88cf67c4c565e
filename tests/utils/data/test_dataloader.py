from collections import namedtuple

import numpy as np
import pytest

import ottorch
import ottorch.utils.data
from ottorch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    StackedBatch,
    Subset,
    TensorDataset,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
)

Point = namedtuple("Point", ["a", "b"])


def _dataset(n: int = 10) -> TensorDataset:
    return TensorDataset(ottorch.arange(n * 3, dtype=ottorch.float32).reshape(n, 3), ottorch.arange(n))


class PerItem(Dataset):
    """Wraps a dataset and hides its __getitems__, forcing the per-sample path."""

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __getitem__(self, i):
        return self.dataset[i]

    def __len__(self) -> int:
        return len(self.dataset)


class Dicts(Dataset):
    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "label": i, "name": f"s{i}"}

    def __len__(self) -> int:
        return 5


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


def _labels(loader) -> list[list[int]]:
    return [batch[1].tolist() for batch in loader]


# ----------------------------------------------------------------------------- batching


def test_package_is_importable_as_attribute_path():
    assert ottorch.utils.data.DataLoader is DataLoader


def test_batches_and_len():
    loader = DataLoader(_dataset(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert isinstance(batches[0], list)
    assert batches[0][0].shape == (4, 3) and batches[0][0].dtype == ottorch.float32
    assert batches[0][1].dtype == ottorch.int64
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last():
    loader = DataLoader(_dataset(), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_default_batch_size_is_one():
    batches = list(DataLoader(_dataset(3)))
    assert len(batches) == 3 and batches[0][0].shape == (1, 3)


def test_loader_is_reiterable():
    loader = DataLoader(_dataset(), batch_size=3)
    assert _labels(loader) == _labels(loader)


# ----------------------------------------------------------------------------- shuffling


def test_shuffle_is_reproducible_with_seeded_generators():
    def epochs(seed):
        loader = DataLoader(_dataset(20), batch_size=6, shuffle=True, generator=ottorch.Generator().manual_seed(seed))
        return [_labels(loader) for _ in range(3)]

    a, b = epochs(0), epochs(0)
    assert a == b
    assert a[0] != a[1] != a[2]
    assert all(sorted(sum(epoch, [])) == list(range(20)) for epoch in a)
    assert epochs(1) != a


def test_shuffle_uses_the_default_generator():
    loader = DataLoader(_dataset(20), batch_size=5, shuffle=True)
    ottorch.manual_seed(3)
    first = _labels(loader)
    ottorch.manual_seed(3)
    assert _labels(loader) == first


def test_numpy_generator_is_accepted():
    a = _labels(DataLoader(_dataset(), batch_size=5, shuffle=True, generator=np.random.default_rng(4)))
    b = _labels(DataLoader(_dataset(), batch_size=5, shuffle=True, generator=np.random.default_rng(4)))
    assert a == b


# ----------------------------------------------------------------------------- fetch paths


@pytest.mark.parametrize("shuffle", [False, True])
def test_getitems_fast_path_equals_per_item_path(shuffle):
    ds = _dataset(11)

    def batches(dataset):
        g = ottorch.Generator().manual_seed(9)
        return list(DataLoader(dataset, batch_size=4, shuffle=shuffle, generator=g))

    fast, slow = batches(ds), batches(PerItem(ds))
    assert len(fast) == len(slow) == 3
    for f, s in zip(fast, slow):
        assert type(f) is type(s) is list
        for ft, st in zip(f, s):
            assert ft.dtype == st.dtype
            np.testing.assert_array_equal(ft.numpy(), st.numpy())


def test_subset_fast_path():
    ds = _dataset()
    (x, y), = DataLoader(Subset(ds, [9, 1, 4]), batch_size=3)
    assert y.tolist() == [9, 1, 4]
    np.testing.assert_array_equal(x.numpy(), ds.tensors[0].numpy()[[9, 1, 4]])


def test_custom_collate_gets_the_list_of_samples():
    seen = []

    def collate(batch):
        seen.append(batch)
        return ottorch.stack([x for x, _ in batch]).sum()

    out = list(DataLoader(_dataset(4), batch_size=2, collate_fn=collate))
    assert all(type(b) is list and type(b[0]) is tuple for b in seen)
    assert [float(o) for o in out] == [15.0, 51.0]


def test_custom_getitems_result_goes_to_collate():
    class Batched(Dataset):
        def __getitems__(self, indices):
            return [i * 10 for i in indices]

        def __len__(self) -> int:
            return 4

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=2)] == [[0, 10], [20, 30]]


def test_batch_size_none_disables_batching():
    loader = DataLoader(_dataset(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3
    assert isinstance(samples[0], list) and samples[0][0].shape == (3,)
    assert samples[2][1].item() == 2
    assert loader.batch_sampler is None


def test_dict_samples():
    (batch,) = list(DataLoader(Dicts(), batch_size=5))
    assert set(batch) == {"x", "label", "name"}
    assert batch["x"].shape == (5, 2) and batch["x"].dtype == ottorch.float32
    assert batch["label"].tolist() == [0, 1, 2, 3, 4]
    assert batch["name"] == ["s0", "s1", "s2", "s3", "s4"]


def test_custom_sampler_and_batch_sampler():
    ds = _dataset()
    assert _labels(DataLoader(ds, batch_size=2, sampler=[9, 8, 7])) == [[9, 8], [7]]
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(range(5)), 2, True))
    assert _labels(loader) == [[0, 1], [2, 3]]
    assert len(loader) == 2 and loader.batch_size is None


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"sampler": [0], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "shuffle": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "sampler": [0]}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
        ({"batch_size": 0}, "batch_size should be a positive integer"),
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used"),
    ],
)
def test_option_errors(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        DataLoader(_dataset(), **kwargs)


def test_attributes_are_frozen_after_init():
    loader = DataLoader(_dataset(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # other attributes stay writable


# ----------------------------------------------------------------------------- IterableDataset


def test_iterable_dataset_batches():
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    unbatched = DataLoader(Stream(3), batch_size=None)
    assert list(unbatched) == [0, 1, 2] and len(unbatched) == 3


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"shuffle": True}, "expected unspecified shuffle option"),
        ({"sampler": [0]}, "expected unspecified sampler option"),
        ({"batch_sampler": [[0]]}, "expected unspecified batch_sampler option"),
    ],
)
def test_iterable_dataset_option_errors(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        DataLoader(Stream(3), **kwargs)


# ----------------------------------------------------------------------------- in-process workers


def test_num_workers_runs_in_process_like_one_worker():
    calls, infos = [], []

    class Spy(Dataset):
        def __getitem__(self, i):
            infos.append(get_worker_info())
            return i

        def __len__(self) -> int:
            return 4

    loader = DataLoader(Spy(), batch_size=2, num_workers=3, worker_init_fn=calls.append, prefetch_factor=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]
    list(loader)
    assert calls == [0, 0]
    info = infos[0]
    assert isinstance(info, WorkerInfo) and info.id == 0 and info.num_workers == 1
    assert isinstance(info.dataset, Spy)
    assert get_worker_info() is None


def test_persistent_workers_initialise_once():
    calls = []
    loader = DataLoader(_dataset(), batch_size=5, num_workers=1, persistent_workers=True, worker_init_fn=calls.append)
    list(loader)
    list(loader)
    assert calls == [0]


def test_iterable_dataset_sees_worker_info_when_iterated():
    class Sharded(IterableDataset):
        def __iter__(self):
            info = get_worker_info()
            return iter(range(info.id, 6, info.num_workers))

    assert [b.tolist() for b in DataLoader(Sharded(), batch_size=3, num_workers=2)] == [[0, 1, 2], [3, 4, 5]]


# ----------------------------------------------------------------------------- default_collate / default_convert


def test_collate_python_numbers_match_pytorch_dtypes():
    assert default_collate([1.0, 2.0]).dtype == ottorch.float64
    assert default_collate([1, 2]).dtype == ottorch.int64
    assert default_collate([True, False]).dtype == ottorch.bool
    assert default_collate([1, 2.5]).dtype == ottorch.float32


def test_collate_numpy():
    out = default_collate([np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)])
    assert out.shape == (2, 2, 3) and out.dtype == ottorch.float32
    assert default_collate([np.float32(1), np.float32(2)]).dtype == ottorch.float32
    assert default_collate([np.array(1.0), np.array(2.0)]).tolist() == [1.0, 2.0]


def test_collate_containers():
    assert default_collate(["a", "b"]) == ["a", "b"]
    nums, names = default_collate([(1, "a"), (2, "b")])
    assert nums.tolist() == [1, 2] and names == ["a", "b"]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.a.tolist() == [1, 3] and p.b.dtype == ottorch.float64
    nested = default_collate([{"y": [1, 2]}, {"y": [3, 4]}])
    assert [t.tolist() for t in nested["y"]] == [[1, 3], [2, 4]]


def test_collate_stacked_batch_returns_columns():
    cols = [ottorch.zeros(2, 3), ottorch.arange(2)]
    out = default_collate(StackedBatch(cols))
    assert out[0] is cols[0] and out[1] is cols[1]


def test_collate_keeps_the_autograd_graph():
    w = ottorch.ones(2, requires_grad=True)
    out = default_collate([w * 2, w * 3])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0])


@pytest.mark.parametrize(
    ("batch", "err", "msg"),
    [
        ([ottorch.zeros(3), ottorch.zeros(4)], RuntimeError, r"stack expects each tensor to be equal size"),
        ([[1, 2], [1]], RuntimeError, "each element in list of batch should be of equal size"),
        ([object()], TypeError, "default_collate: batch must contain"),
        ([np.array(["a"])], TypeError, "default_collate: batch must contain"),
    ],
)
def test_collate_errors(batch, err, msg):
    with pytest.raises(err, match=msg):
        default_collate(batch)


def test_default_convert():
    arr, number, text = default_convert((np.arange(3), 1.0, "a"))
    assert isinstance(arr, ottorch.Tensor) and arr.dtype == ottorch.int64
    assert number == 1.0 and text == "a"
    assert default_convert(np.float32(3)).shape == ()
    assert isinstance(default_convert({"k": np.zeros(1)})["k"], ottorch.Tensor)
    assert isinstance(default_convert(Point(np.zeros(1), 2)), Point)
    strings = np.array(["x"])
    assert default_convert(strings) is strings
    t = ottorch.zeros(1)
    assert default_convert(t) is t
