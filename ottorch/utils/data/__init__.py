"""Datasets, samplers and data loaders with PyTorch's ``torch.utils.data`` API, plus the
variable-length ``VarLenDataset`` / ``BucketedDataLoader`` pair (batches of equal-length sequences).

Everything runs in the calling process; ``DataLoader(num_workers=k)`` is accepted and loads in-process.
"""

from ottorch.utils.data.dataloader import (
    DataLoader,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
)
from ottorch.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackedBatch,
    Subset,
    TensorDataset,
    random_split,
)
from ottorch.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from ottorch.utils.data.varlen import BucketBatchSampler, BucketedDataLoader, VarLenDataset

__all__ = [
    "BatchSampler",
    "BucketBatchSampler",
    "BucketedDataLoader",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackedBatch",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "VarLenDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
