"""The naive tier: explicit Python loops, the readable reference and the ground truth in tests."""

from contextlib import nullcontext


def threads(n_threads):
    """Python loops run on the calling thread: nothing to set up."""
    return nullcontext()
