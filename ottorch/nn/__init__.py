"""Neural-network building blocks with PyTorch's names: modules, layers, losses, init, utils."""

from ottorch.nn import functional, init, utils
from ottorch.nn.modules import *  # noqa: F403 - the layer namespace, as torch.nn offers it
from ottorch.nn.modules import Module
from ottorch.nn.parameter import Parameter
