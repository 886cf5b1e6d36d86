"""Numba options and thread control, in one place.

Nothing here imports numba at module level: ``import fastlin`` stays cheap and compiles
nothing. The jit tier calls :func:`setup_numba` when it is first imported.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# fastmath without ``nnan``/``ninf``: NaN and inf keep their IEEE meaning, so ``np.isfinite``
# inside a kernel still works and a NaN cannot be optimized away. Without ``arcp`` either: with
# it, LLVM may turn a division into a reciprocal estimate, and did so differently when it
# compiled a kernel for the on-disk cache than when it compiled it in memory, so a cold run
# and a warm one of the same loss gave different last bits (1 ulp in 21 of 55 gradient
# entries; tests/test_config.py checks a cached kernel against a fresh one).
FASTMATH = frozenset({"nsz", "contract", "afn", "reassoc"})

#: Options of every serial kernel.
JIT_OPTIONS: dict = {
    "nogil": True,
    "cache": True,
    "error_model": "numpy",
    "fastmath": set(FASTMATH),
}
# Only explicit ``prange`` loops run in parallel. Numba would otherwise turn every array
# expression of a parallel kernel (``np.zeros``, ``acc[:] = 0``, ``a += b``, ``.all()``) into
# a parallel loop of its own, each compiled as a separate function: the loss kernel took 2.3 s
# more to compile for those small steps, which run as well serially.
PRANGE_ONLY: dict = {
    "prange": True,
    "numpy": False,
    "setitem": False,
    "reduction": False,
    "inplace_binop": False,
    "comprehension": False,
    "stencil": False,
    "fusion": False,
}
#: Options of kernels whose exact comparisons decide a bin: no fastmath at all.
EXACT_OPTIONS: dict = {**JIT_OPTIONS, "fastmath": False}
# Helpers called only from other kernels need no entry point from Python: building those
# wrappers for every helper was 1.7 s of the loss kernel's 14 s cold compile.
_NO_WRAPPERS: dict = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
#: Options of a serial helper that only kernels call.
HELPER_OPTIONS: dict = {**JIT_OPTIONS, **_NO_WRAPPERS}
#: Exact, and only kernels call it.
EXACT_HELPER_OPTIONS: dict = {**EXACT_OPTIONS, **_NO_WRAPPERS}


def _parallel(options: dict) -> dict:
    """``options`` with ``parallel`` limited to PRANGE_ONLY.

    As a ``ParallelOptions`` object, not a dict: Numba empties a dict it is given (it pops
    each key), so a shared dict would silently turn every later kernel fully parallel.
    """
    from numba.core.cpu import ParallelOptions

    return {**options, "parallel": ParallelOptions(dict(PRANGE_ONLY))}


def __getattr__(name: str) -> dict:
    # PARALLEL_OPTIONS (every ``prange`` kernel) and EXACT_PARALLEL_OPTIONS (exact and
    # parallel) need numba to build: made on first use, by the jit tier, so that
    # ``import fastlin`` still imports no numba.
    if name == "PARALLEL_OPTIONS":
        value = _parallel(JIT_OPTIONS)
    elif name == "EXACT_PARALLEL_OPTIONS":
        value = _parallel(EXACT_OPTIONS)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


# The ``workqueue`` threading layer aborts the process when two Python threads launch
# parallel kernels at once. We ask for a thread-safe layer (OpenMP or TBB); if numba still
# ends up on workqueue (the user forced it, or neither is installed), launches are serialized
# with this lock instead.
_launch_lock = threading.RLock()
_numba_ready = False

# GNU OpenMP cannot run a parallel region in a child forked from a process that already ran
# one: Numba aborts the child, and a ``multiprocessing.Pool`` with the fork start method then
# waits forever for the lost task. The workqueue layer survives fork but launches kernels
# more slowly (measured: k-means seeding, many short kernels, 1.6x slower), so OpenMP stays
# the default and such a child gets a clear error instead of a hang.
_forked_after_openmp = False
FORK_MESSAGE = (
    "fastlin's parallel kernels cannot run in a process forked after OpenMP ran in its parent "
    "(GNU OpenMP is not fork-safe). Use multiprocessing's 'spawn' or 'forkserver' start method "
    "(multiprocessing.get_context('spawn').Pool(...)), or set NUMBA_THREADING_LAYER=workqueue "
    "before the first fastlin call, or use impl='vectorized' in the child."
)


def _note_fork() -> None:
    """In a freshly forked child: remember whether the parent had started OpenMP's threads."""
    global _forked_after_openmp
    import numba

    try:
        _forked_after_openmp = numba.threading_layer() == "omp"
    except ValueError:  # the parent never ran a parallel kernel
        _forked_after_openmp = False


# How long GNU OpenMP's idle threads spin before they sleep. Its default (300,000 spins, about
# a millisecond) keeps Numba's worker spinning through the user's next NumPy product, where it
# takes a core from OpenBLAS's threads. 1,000 spins keep a worker awake across the short Python
# gap between two kernel launches (SGD steps keep their speed) and asleep during a BLAS call;
# 0 (sleep at once, like OMP_WAIT_POLICY=PASSIVE) alternates no better and slows SGD. The
# figures are in docs/threads.md (`python -m bench.alternating`).
GOMP_SPINCOUNT = "1000"


def _set_openmp_spin() -> None:
    """Give GNU OpenMP our spin count unless the user set a wait policy of their own.

    Read by libgomp when it loads, i.e. at Numba's first parallel launch, which comes after this.
    """
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = GOMP_SPINCOUNT


def setup_numba() -> None:
    """Prefer a thread-safe threading layer unless the user chose one; watch for fork. Idempotent."""
    global _numba_ready
    if _numba_ready:
        return
    _set_openmp_spin()
    import numba

    if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "threadsafe"
    os.register_at_fork(after_in_child=_note_fork)
    _numba_ready = True


_threadsafe_layer: bool | None = None  # known once the first parallel kernel has run


def _layer_is_threadsafe() -> bool:
    global _threadsafe_layer
    if _threadsafe_layer is None:
        import numba

        try:
            _threadsafe_layer = numba.threading_layer() != "workqueue"
        except ValueError:  # no parallel kernel has run yet: the layer is still unknown
            return False
    return _threadsafe_layer


def max_threads() -> int:
    """The number of threads numba was started with (all cores by default)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


@contextmanager
def numba_threads(n_threads: int | None) -> Iterator[None]:
    """Run the enclosed kernels on ``n_threads`` threads (``None``: all), then restore.

    ``numba.set_num_threads`` is thread-local, so concurrent callers do not disturb each
    other. ``n_threads`` must already be validated.
    """
    import numba

    setup_numba()
    if _forked_after_openmp:
        raise RuntimeError(FORK_MESSAGE)
    n = max_threads() if n_threads is None else n_threads
    previous = numba.get_num_threads()
    lock = None if _layer_is_threadsafe() else _launch_lock
    if lock is not None:
        lock.acquire()
    try:
        if n != previous:  # the common case (all cores, already set) costs no call
            numba.set_num_threads(n)
        yield
    finally:
        if n != previous:
            numba.set_num_threads(previous)
        if lock is not None:
            lock.release()


_blas_controller = None


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Pin every loaded BLAS to one thread while the enclosed kernel calls it from ``prange``.

    A kernel that calls GEMM from each of its Numba threads must not let the BLAS start
    threads of its own: on 2 cores, 2 x 2 threads made the encoding 1.7x slower (measured).
    SciPy's BLAS (the one Numba calls) is imported first so that the limit reaches it.
    """
    global _blas_controller
    if _blas_controller is None:
        import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS Numba's np.dot calls)
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()
    with _blas_controller.limit(limits=1, user_api="blas"):
        yield
