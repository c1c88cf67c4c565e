"""The optimizers' update rules as pure functions on numpy arrays (in-place, no autograd).

Each takes lists of parameter, gradient and state arrays plus the hyper-parameters as keywords, and
is what the matching optimizer class calls once per param group.
"""

from ottorch.optim.adagrad import adagrad
from ottorch.optim.adam import adam, adamw
from ottorch.optim.rmsprop import rmsprop
from ottorch.optim.sgd import sgd

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]
