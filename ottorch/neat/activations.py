"""Node activation functions with neat-python's definitions (e.g. ``sigmoid(z) = 1/(1+exp(-5z))``),
so imported neat-python experiments behave the same. Each entry is ``(f, df)``: the function on a
numpy array and its derivative given ``(z, f(z))``, used by the genome network primitive."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _clip(z, lo, hi):
    # np.minimum/np.maximum: np.clip's Python wrapper costs ~10 us per call, which matters on small arrays
    return np.minimum(np.maximum(z, lo), hi)


def _sigmoid(z):
    # The tanh form of the logistic function cannot overflow. neat-python clips 5z to +-60 first; tanh
    # saturates to exactly +-1 long before, so the clip (and, in the derivatives below, the mask of the
    # clipped range, where a * (1 - a) is already exactly 0) would change no bit and are left out.
    return 0.5 * (np.tanh(2.5 * z) + 1.0)


def _inside(z, limit):
    return np.abs(z) < limit


ACTIVATION_FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (_sigmoid, lambda z, a: 5.0 * a * (1.0 - a)),
    "tanh": (lambda z: np.tanh(2.5 * z), lambda z, a: 2.5 * (1.0 - a * a)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
    "sin": (lambda z: np.sin(_clip(5.0 * z, -60, 60)), lambda z, a: 5.0 * np.cos(5.0 * z) * _inside(z, 12.0)),
    "gauss": (lambda z: np.exp(-5.0 * _clip(z, -3.4, 3.4) ** 2), lambda z, a: -10.0 * z * a * _inside(z, 3.4)),
    "abs": (np.abs, lambda z, a: np.sign(z)),
    "softplus": (lambda z: 0.2 * np.logaddexp(0.0, _clip(5.0 * z, -60, 60)),
                 lambda z, a: _sigmoid(z) * _inside(z, 12.0)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))), lambda z, a: np.where(z > 0, 1.0, a + 1.0)),
    "clamped": (lambda z: _clip(z, -1.0, 1.0), lambda z, a: _inside(z, 1.0).astype(z.dtype)),
    "square": (lambda z: z * z, lambda z, a: 2.0 * z),
    "cube": (lambda z: z**3, lambda z, a: 3.0 * z * z),
    "exp": (lambda z: np.exp(_clip(z, -60, 60)), lambda z, a: a * _inside(z, 60.0)),
    "inv": (lambda z: np.where(np.abs(z) < 1e-7, 0.0, 1.0 / np.where(np.abs(z) < 1e-7, 1.0, z)),
            lambda z, a: -a * a),
    "log": (lambda z: np.log(np.maximum(z, 1e-7)), lambda z, a: np.where(z > 1e-7, 1.0 / np.maximum(z, 1e-7), 0.0)),
    "lelu": (lambda z: np.where(z > 0, z, 0.005 * z), lambda z, a: np.where(z > 0, 1.0, 0.005)),
    "selu": (lambda z: _SELU_SCALE * np.where(z > 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
             lambda z, a: np.where(z > 0, _SELU_SCALE, a + _SELU_SCALE * _SELU_ALPHA)),
    "hat": (lambda z: np.maximum(0.0, 1.0 - np.abs(z)), lambda z, a: -np.sign(z) * _inside(z, 1.0)),
}
