"""The registry: every topic's contract and the three tiers that implement it.

The tier packages mirror each other file for file (``fastlin/<tier>/<topic>.py``, the same
function names and signatures, documented in the naive tier's module), so one table serves
every public function. This is the only module that reaches into a tier package. Modules
are imported on first use: ``import fastlin`` does not import numba.

To add an operation: write its contract in ``fastlin/naive/<topic>.py``, implement it in
``vectorized/`` and ``jit/``, list it in :data:`CONTRACTS`, call it through :func:`run`,
and give it an entry in ``tests/registry.py`` (which drives the tier tests and the ladder).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

#: the tiers, slowest first
TIERS = ("naive", "vectorized", "jit")

#: topic -> the functions every tier implements for it
CONTRACTS: dict[str, tuple[str, ...]] = {
    "losses": ("loss_grad_rows",),
    "hog": ("hog_batch", "cell_histograms"),
    "color": ("color_histogram_hsv_batch",),
    "kmeans": ("lloyd_step", "closer", "potentials"),
    "bow": ("describe_patches", "encode_patches", "count_nearest_words", "encode_cells"),
    "lbp": ("lbp_codes", "lbp_histograms"),
    "kmeans_features": ("encode_pooled",),
    "dsift": ("dsift_batch", "smooth_batch"),
    "gist": ("gist_batch",),
    "textons": ("filter_responses", "texton_histograms"),
    "self_similarity": ("self_similarity_batch",),
}


def _interrupted(error: BaseException) -> bool:
    """Whether ``error`` hides a KeyboardInterrupt among its causes."""
    seen = 0
    while error is not None and seen < 16:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _passing_interrupts(fn: Callable) -> Callable:
    """``fn``, with a Ctrl-C during a compiled kernel raised as ``KeyboardInterrupt``.

    A signal that arrives while a nopython kernel runs is noticed only as the kernel
    returns, and Numba then reports a ``SystemError`` ("returned a result with an exception
    set") whose cause is the interrupt; ``except KeyboardInterrupt`` and Jupyter's interrupt
    button would not see it.
    """

    @functools.wraps(fn)
    def call(*args):
        try:
            return fn(*args)
        except SystemError as e:
            if _interrupted(e):
                raise KeyboardInterrupt from None
            raise

    return call


@functools.cache
def get(topic: str, name: str, impl: str) -> Callable:
    """``fastlin.<impl>.<topic>.<name>``; ``impl`` has been validated by the caller."""
    if name not in CONTRACTS[topic]:
        raise KeyError(f"{name!r} is not part of the {topic!r} contract")
    return _passing_interrupts(getattr(importlib.import_module(f"fastlin.{impl}.{topic}"), name))


def threads(impl: str, n_threads: int | None):
    """The tier's context for running on ``n_threads`` threads (the jit tier's numba threads)."""
    return importlib.import_module(f"fastlin.{impl}").threads(n_threads)


def run(topic: str, name: str, impl: str, n_threads: int | None, *args):
    """Call ``name`` of ``topic`` in tier ``impl`` on ``n_threads`` threads."""
    fn = get(topic, name, impl)
    with threads(impl, n_threads):
        return fn(*args)
