import numpy as np
import pytest

import ottorch
from ottorch.utils.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def _gen(seed: int) -> ottorch.Generator:
    return ottorch.Generator().manual_seed(seed)


def test_sampler_base_class():
    class Evens(Sampler[int]):
        def __iter__(self):
            return iter([0, 2, 4])

    assert list(Evens(range(5))) == [0, 2, 4]
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_sequential_sampler():
    s = SequentialSampler(range(4))
    assert list(s) == [0, 1, 2, 3]
    assert len(s) == 4


def test_random_sampler_is_a_permutation_each_epoch():
    s = RandomSampler(range(50), generator=_gen(0))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(50)) == sorted(second)
    assert first != second
    assert all(type(i) is int for i in first)
    assert len(s) == 50


def test_random_sampler_is_reproducible():
    assert list(RandomSampler(range(20), generator=_gen(7))) == list(RandomSampler(range(20), generator=_gen(7)))
    ottorch.manual_seed(2)
    a = list(RandomSampler(range(20)))
    ottorch.manual_seed(2)
    assert list(RandomSampler(range(20))) == a


def test_random_sampler_more_samples_than_data_chains_permutations():
    draw = list(RandomSampler(range(4), num_samples=10, generator=_gen(1)))
    assert len(draw) == 10
    assert sorted(draw[:4]) == sorted(draw[4:8]) == [0, 1, 2, 3]
    assert len(set(draw[8:])) == 2


def test_random_sampler_with_replacement():
    s = RandomSampler(range(3), replacement=True, num_samples=100, generator=_gen(0))
    draw = list(s)
    assert len(s) == 100 == len(draw)
    assert set(draw) == {0, 1, 2}


@pytest.mark.parametrize(
    ("kwargs", "err", "msg"),
    [
        ({"replacement": 1}, TypeError, "replacement should be a boolean"),
        ({"num_samples": 0}, ValueError, "num_samples=0"),
        ({"num_samples": 2.5}, ValueError, "num_samples=2.5"),
    ],
)
def test_random_sampler_errors(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        RandomSampler(range(3), **kwargs)


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=_gen(0))
    draws = [list(s) for _ in range(5)]
    assert all(sorted(d) == [10, 20, 30, 40] for d in draws)
    assert len({tuple(d) for d in draws}) > 1
    assert len(s) == 4
    assert sorted(SubsetRandomSampler(ottorch.tensor([3, 1]))) == [1, 3]


def test_weighted_random_sampler():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=400, generator=_gen(0))
    draw = np.array(list(s))
    assert len(s) == 400 == len(draw)
    assert not (draw == 0).any()
    assert 0.65 < (draw == 2).mean() < 0.85
    unique = list(WeightedRandomSampler(ottorch.tensor([1.0, 1.0, 1.0]), 3, replacement=False, generator=_gen(0)))
    assert sorted(unique) == [0, 1, 2]


@pytest.mark.parametrize(
    ("args", "kwargs", "msg"),
    [
        (([1.0], 0), {}, "num_samples should be a positive integer"),
        (([1.0], 1), {"replacement": 0}, "replacement should be a boolean"),
        (([[1.0]], 1), {}, r"1d sequence .* shape \(1, 1\)"),
        (([-1.0, 2.0], 1), {}, "non-negative"),
        (([1.0, 0.0], 2), {"replacement": False}, "without replacement"),
    ],
)
def test_weighted_random_sampler_errors(args, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        WeightedRandomSampler(*args, **kwargs)


@pytest.mark.parametrize(
    ("drop_last", "expected"),
    [(False, [[0, 1, 2], [3, 4, 5], [6]]), (True, [[0, 1, 2], [3, 4, 5]])],
)
def test_batch_sampler(drop_last, expected):
    s = BatchSampler(SequentialSampler(range(7)), 3, drop_last)
    assert list(s) == expected
    assert len(s) == len(expected)


def test_batch_sampler_accepts_any_iterable():
    assert list(BatchSampler(range(4), 2, False)) == [[0, 1], [2, 3]]


@pytest.mark.parametrize(
    ("batch_size", "drop_last", "msg"),
    [(0, False, "batch_size=0"), (True, False, "batch_size=True"), (2, 1, "drop_last=1")],
)
def test_batch_sampler_errors(batch_size, drop_last, msg):
    with pytest.raises(ValueError, match=msg):
        BatchSampler(range(3), batch_size, drop_last)
