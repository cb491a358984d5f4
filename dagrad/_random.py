"""Random numbers: one default generator (``dagrad.manual_seed``) and ``dagrad.Generator``.

dagrad draws from NumPy's PCG64, so seeded sequences are reproducible within dagrad but differ
from PyTorch's (which uses its own Mersenne Twister and transforms).
"""
from __future__ import annotations

from typing import Any

import numpy as np


class Generator:
    """A random-number generator: ``g = dagrad.Generator().manual_seed(0)``."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = 67280421310721
        self.rng = np.random.default_rng(self._seed)
        self.device = device

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        from dagrad._tensor import Tensor
        import json
        state = json.dumps(self.rng.bit_generator.state).encode()
        return Tensor._make(np.frombuffer(state, dtype=np.uint8).copy())

    def set_state(self, state: Any) -> Generator:
        import json
        self.rng.bit_generator.state = json.loads(bytes(state._data.tolist()).decode())
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng


def normal(shape: tuple, generator: Generator | None = None) -> np.ndarray:
    return _rng(generator).standard_normal(shape)


def uniform(shape: tuple, generator: Generator | None = None) -> np.ndarray:
    return _rng(generator).random(shape)


def integers(low: int, high: int, shape: tuple, generator: Generator | None = None) -> np.ndarray:
    return _rng(generator).integers(low, high, shape, dtype=np.int64)
