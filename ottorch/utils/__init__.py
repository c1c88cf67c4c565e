"""Utilities (PyTorch's ``torch.utils``): ``ottorch.utils.data`` holds datasets, samplers and loaders."""

from ottorch.utils import data
