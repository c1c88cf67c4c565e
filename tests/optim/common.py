"""Shared inputs of the optimizer tests: two parameters and four steps of fixed gradients."""

import numpy as np

import ottorch
from ottorch.nn.parameter import Parameter

INIT = [np.array([[0.5, -1.0, 2.0], [0.25, 0.0, -3.0]]), np.array([1.5, -0.5])]
GRADS = [
    [np.array([[0.1, -0.2, 0.3], [1.0, -1.0, 0.5]]), np.array([0.7, -0.1])],
    [np.array([[-0.4, 0.6, 0.2], [0.3, 0.9, -0.8]]), np.array([-0.3, 0.2])],
    [np.array([[0.05, 0.1, -0.6], [-0.2, 0.4, 1.2]]), np.array([0.4, 0.9])],
    [np.array([[0.3, -0.3, 0.1], [0.6, -0.7, 0.0]]), np.array([-1.1, 0.5])],
]
# Four float32 steps whose results were recorded from PyTorch 2.x (see the test_matches_pytorch_* tests).
TORCH_INIT = [0.5, -1.25, 2.0]
TORCH_GRADS = [[0.3, -0.7, 1.1], [-0.2, 0.4, 0.9], [0.05, -0.6, -1.3], [0.8, 0.1, -0.4]]


def make_params(dtype=ottorch.float64) -> list[Parameter]:
    return [Parameter(ottorch.tensor(a, dtype=dtype)) for a in INIT]


def run_optimizer(cls, kwargs: dict, dtype=ottorch.float64) -> list[list[np.ndarray]]:
    """Apply the GRADS steps with ``cls(params, **kwargs)``; the parameters after each step."""
    params = make_params(dtype)
    opt = cls(params, **kwargs)
    history = []
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = ottorch.tensor(g, dtype=dtype)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def run_torch_case(cls, kwargs: dict) -> np.ndarray:
    """The float32 parameter after the four TORCH_GRADS steps."""
    p = Parameter(ottorch.tensor(TORCH_INIT))
    opt = cls([p], **kwargs)
    for g in TORCH_GRADS:
        p.grad = ottorch.tensor(g)
        opt.step()
    return p.detach().numpy()


def assert_close_to_torch(got: np.ndarray, want: list[float]) -> None:
    """Float32 agreement with PyTorch up to rounding: the update rules round products that PyTorch fuses."""
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.array(want, dtype=np.float32), rtol=1e-6, atol=1e-7)


def assert_histories_close(got, want, rtol=1e-12, atol=1e-14) -> None:
    assert len(got) == len(want)
    for got_step, want_step in zip(got, want):
        for g, w in zip(got_step, want_step):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
