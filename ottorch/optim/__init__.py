"""Optimizers and learning-rate schedulers with PyTorch's names: ``ottorch.optim.SGD``, ``Adam``,
``AdamW``, ``RMSprop``, ``Adagrad`` and ``ottorch.optim.lr_scheduler``. The update rules are also
available as pure numpy functions in ``ottorch.optim.functional``."""

from ottorch.optim import functional, lr_scheduler
from ottorch.optim.adagrad import Adagrad
from ottorch.optim.adam import Adam, AdamW
from ottorch.optim.optimizer import Optimizer
from ottorch.optim.rmsprop import RMSprop
from ottorch.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "functional", "lr_scheduler"]
