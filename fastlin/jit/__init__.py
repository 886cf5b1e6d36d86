"""The jit tier: Numba kernels, fused and parallel. They trust their input."""

from fastlin._config import numba_threads as threads
from fastlin._config import setup_numba

setup_numba()

__all__ = ["threads"]
