"""Random number generators. Every random draw in ottorch goes through a ``numpy.random.Generator``.

``ottorch.Generator`` wraps one; ``ottorch.manual_seed`` reseeds ottorch's default generator and
never touches numpy's global state. Functions taking ``generator=`` also accept a plain
``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

# PyTorch's default CPU seed, so an unseeded program is reproducible here too.
DEFAULT_SEED = 67280421310721


class Generator:
    """A seedable source of randomness (PyTorch's ``torch.Generator``) backed by numpy's PCG64."""

    def __init__(self, device: str = "cpu", seed: int | None = None) -> None:
        if str(device) != "cpu":
            raise ValueError(f"ottorch is CPU only; got device={device!r}")
        self.device = "cpu"
        self.manual_seed(DEFAULT_SEED if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed the generator; returns itself like PyTorch."""
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")
        self._seed = seed
        self.numpy = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from OS entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The bit generator's state as a JSON-serialisable dict."""
        return self.numpy.bit_generator.state

    def set_state(self, new_state: dict) -> Generator:
        self.numpy.bit_generator.state = new_state
        return self

    def __repr__(self) -> str:
        return f"<ottorch.Generator seed={self._seed}>"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed ottorch's default generator (not numpy's global one) and return it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(new_state: dict) -> None:
    default_generator.set_state(new_state)


def as_numpy_generator(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The numpy Generator behind ``generator`` (the default generator when None)."""
    if generator is None:
        return default_generator.numpy
    if isinstance(generator, Generator):
        return generator.numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be an ottorch.Generator or numpy.random.Generator, got {type(generator).__name__}"
    )
