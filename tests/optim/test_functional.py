"""``ottorch.optim.functional`` re-exports the update rules, and ``ottorch.optim`` the PyTorch names."""

import ottorch.optim as optim
from ottorch.optim import adagrad, adam, functional, lr_scheduler, rmsprop, sgd


def test_functional_reexports_each_rule():
    assert functional.sgd is sgd.sgd
    assert functional.adam is adam.adam and functional.adamw is adam.adamw
    assert functional.rmsprop is rmsprop.rmsprop
    assert functional.adagrad is adagrad.adagrad
    assert set(functional.__all__) == {"sgd", "adam", "adamw", "rmsprop", "adagrad"}


def test_package_exports_like_torch_optim():
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Optimizer"]:
        assert isinstance(getattr(optim, name), type)
    assert optim.lr_scheduler is lr_scheduler
    assert optim.lr_scheduler.StepLR.__module__ == "ottorch.optim.lr_scheduler"
    assert issubclass(optim.AdamW, optim.Adam) and issubclass(optim.SGD, optim.Optimizer)
