"""The vectorized tier: whole-array NumPy, as a careful NumPy user writes it."""

from contextlib import nullcontext


def threads(n_threads):
    """NumPy picks its own (BLAS) threads: nothing to set up."""
    return nullcontext()
