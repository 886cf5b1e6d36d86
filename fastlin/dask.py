"""fastlin's kernels on Dask: features, exact full-batch losses, incremental training.

Features of image arrays larger than memory, exact full-batch losses of row-chunked data,
and incremental training that streams the chunks. Dask arrays are chunked NumPy arrays,
and Dask's ``distributed`` scheduler runs the same graph on a laptop (``LocalCluster``) or
a cluster (``Client("tcp://scheduler:8786")``): every function here builds a graph whose
tasks call fastlin's ordinary batch kernels on one chunk. Needs the ``dask`` extra
(``pip install "fastlin[dask]"``); ``import fastlin`` never imports Dask.

Threads: a task runs its kernel on :func:`task_threads` threads, ``cores // tasks_at_once``
capped by ``OMP_NUM_THREADS`` (which Dask's nanny sets to 1 in its worker processes), so
Numba's threads times Dask's never exceed the cores: parallelism comes from Dask's worker
processes and threads, as Dask intends.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from fastlin._progress import Progress
from fastlin._validation import check_int, check_labels, check_penalty, check_scalar, check_weights

try:
    import dask
    import dask.array as da
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError('fastlin.dask needs Dask: pip install "fastlin[dask]"') from e


def task_threads() -> int:
    """Kernel threads for a task running now, so that tasks at once never exceed the cores.

    The cores this process may use over the number of tasks it runs at once (a
    ``distributed`` worker's ``nthreads``; one per core for Dask's threaded scheduler), and
    at most ``OMP_NUM_THREADS`` when that is set: Dask's nanny sets it to 1 in the worker
    processes it starts, because several worker processes share a machine's cores (measured
    on 2 cores: 2 workers x 2 kernel threads were slower than 2 workers x 1 thread).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    at_once = cores  # the threaded scheduler runs one task per core
    try:
        from distributed import get_worker

        at_once = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        pass
    threads = cores // max(1, at_once)
    cap = os.environ.get("OMP_NUM_THREADS", "")
    if cap.isdigit() and int(cap) > 0:
        threads = min(threads, int(cap))
    return max(1, threads)


def _as_image_array(images) -> da.Array:
    """A Dask array of images (N, H, W[, C]) chunked along N only, or a clear error."""
    if not isinstance(images, da.Array):
        arr = np.asarray(images)
        return da.from_array(arr, chunks=(max(1, min(len(arr), 10_000)),) + arr.shape[1:])
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got shape {images.shape}")
    split = [axis for axis in range(1, images.ndim) if len(images.chunks[axis]) != 1]
    if split:
        raise ValueError(
            f"images must be chunked along N (axis 0) only, but axes {split} are split too (chunks "
            f"{images.chunks}); rechunk first: images.rechunk({{0: 'auto', **{{a: -1 for a in {split}}}}})"
        )
    return images


def _features(images, fn: Callable, name: str) -> da.Array:
    """``fn`` (a batch function (n, ...) -> (n, F)) mapped over the chunks of ``images``: lazy (N, F)."""
    images = _as_image_array(images)
    probe = fn(np.zeros((1, *images.shape[1:]), dtype=images.dtype), 1)  # F and dtype, computed locally
    F, dtype = probe.shape[1], probe.dtype
    # the function (with any fitted encoder inside it) is one key of the graph: shipped to
    # each worker once, not once per task
    shared = dask.delayed(fn, pure=True, traverse=False)

    def block(chunk, fn):
        return fn(chunk, task_threads())

    return da.map_blocks(
        block,
        images,
        shared,
        chunks=(images.chunks[0], (F,)),
        drop_axis=list(range(2, images.ndim)),
        dtype=dtype,
        meta=np.empty((0, F), dtype=dtype),
        token=f"fastlin-{name}",  # a prefix: the key itself hashes the inputs
    )


class _Described:
    """A descriptor of the table (fastlin.descriptors) with its parameters, for one chunk."""

    def __init__(self, name: str, params: dict):
        self.name, self.params = name, params

    def __call__(self, chunk: np.ndarray, n_threads: int) -> np.ndarray:
        from fastlin.descriptors import get

        return get(self.name).batch(chunk, n_threads=n_threads, **self.params)


class _Stack:
    """Several feature functions of a batch, side by side (float32), as fastlin.extract_features."""

    def __init__(self, fns: Sequence[Callable]):
        self.fns = list(fns)

    def __call__(self, chunk: np.ndarray, n_threads: int) -> np.ndarray:
        from fastlin.features import extract_features

        return extract_features(chunk, self.fns).astype(np.float32, copy=False)


def describe(images, name: str, **params) -> da.Array:
    """Descriptor ``name`` of :data:`fastlin.descriptors.DESCRIPTORS` for a Dask array of images.

    ``images`` are chunked along N; ``params`` are those of the descriptor's batch function
    (``n_threads`` excepted: each task picks its threads). Returns a lazy (N, F) array, one
    task per chunk. Descriptors that must be fitted (a codebook) go through
    :func:`extract_features` with the fitted estimator's ``transform`` instead.
    """
    from fastlin.descriptors import get

    d = get(name)
    if d.fitted:
        raise TypeError(
            f"the {name!r} descriptor must be fitted first: pass its fitted estimator's transform to extract_features"
        )
    _no_threads(params)
    return _features(images, _Described(name, params), name)


def hog_batch(images, **hog_kwargs) -> da.Array:
    """:func:`fastlin.hog_batch` of a Dask array of images chunked along N: a lazy (N, F) array.

    ``channel_axis`` defaults to -1 for 4-D images; the other keywords are those of
    :func:`fastlin.hog_batch` (``impl`` and ``n_threads`` excepted: each task picks its threads).
    """
    return describe(images, "hog", **hog_kwargs)


def color_histogram_hsv_batch(images, **kwargs) -> da.Array:
    """:func:`fastlin.color_histogram_hsv_batch` of RGB images chunked along N: a lazy (N, nbin) array."""
    return describe(images, "color", **kwargs)


def extract_features(images, feature_fns: Sequence[Callable]) -> da.Array:
    """:func:`fastlin.extract_features` over the chunks of ``images``: a lazy (N, F) float32 array.

    ``feature_fns`` are what :func:`fastlin.extract_features` takes (per-image functions,
    batch functions, descriptor names, a fitted encoder's ``transform``); they travel to
    each worker once.
    """
    if not feature_fns:
        raise ValueError("feature_fns is empty: give at least one feature function")
    return _features(images, _Stack(feature_fns), "features")


def _no_threads(kwargs: dict) -> None:
    if "n_threads" in kwargs:
        raise TypeError("n_threads is chosen per task (see fastlin.dask.task_threads); do not pass it")


# --- losses -------------------------------------------------------------------------------


def _chunk_sums(X, y, WT, kind, delta, n_total):
    """One chunk's contribution to the full-batch mean loss and its gradient (no penalty)."""
    from fastlin._tiers import run

    X = np.ascontiguousarray(X)
    # in the task, before the kernel: a label out of range would index outside WT's rows
    y = check_labels(y, X.shape[0], WT.shape[0])
    bias = np.zeros(WT.shape[0], dtype=X.dtype)
    weights = np.full(len(y), 1.0 / n_total)
    args = (X, None, WT, bias, y, weights, delta, kind, 0.0, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite loss is reported by the caller
        loss, _, dWT, _ = run("losses", "loss_grad_rows", "jit", task_threads(), *args)
    return float(loss), dWT.astype(np.float64)


def _add(a, b):
    return a[0] + b[0], a[1] + b[1]


def _loss(kind, W, X, y, reg, delta, penalty, l1_ratio, split_every):
    from fastlin.regularizers import penalty_coefficients

    W = check_weights(W)
    reg, l1_ratio = check_penalty(reg, penalty, l1_ratio)
    split_every = check_int("split_every", split_every, low=2)
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise TypeError("X must be a 2-D dask array (N, D) chunked along rows")
    if len(X.chunks[1]) != 1:
        raise ValueError(f"X must be chunked along rows only (one chunk of columns), got chunks {X.chunks}")
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X has {X.shape[1]} columns but W has {W.shape[0]} rows; they must match (X @ W)")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    y = y if isinstance(y, da.Array) else da.from_array(np.asarray(y), chunks=(X.chunks[0],))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.chunks[0] != X.chunks[0]:
        raise ValueError(f"the chunks of y {y.chunks[0]} must match the row chunks of X {X.chunks[0]}")
    WT = np.ascontiguousarray(W.T, dtype=X.dtype)
    shared = dask.delayed(WT, pure=True)
    parts = [
        dask.delayed(_chunk_sums, pure=True)(xb, yb, shared, kind, delta, X.shape[0])
        for xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True)
    ]
    while len(parts) > 1:  # a tree of sums: no task adds more than split_every partials
        parts = [_tree_sum(parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    data_loss, dWT = parts[0].compute()
    if not np.isfinite(data_loss):
        raise FloatingPointError(f"the {kind} loss is not finite: NaN/inf in X, or scores too large for {X.dtype}")
    l2, l1 = penalty_coefficients(reg, penalty, l1_ratio)
    W64 = W.astype(np.float64)
    value = data_loss + l2 * float(np.sum(W64 * W64)) + l1 * float(np.abs(W64).sum())
    dW = dWT.T + 2.0 * l2 * W64 + l1 * np.sign(W64)
    return value, dW.astype(W.dtype)


def _tree_sum(parts):
    if len(parts) == 1:
        return parts[0]
    return dask.delayed(_sum_all, pure=True)(parts)


def _sum_all(parts):
    total = parts[0]
    for p in parts[1:]:
        total = _add(total, p)
    return total


def svm_loss(W: ArrayLike, X, y, reg: float = 0.0, *, delta: float = 1.0, penalty: str = "l2", l1_ratio: float = 0.5,
             split_every: int = 8) -> tuple[float, np.ndarray]:  # fmt: skip
    """:func:`fastlin.svm_loss` of row-chunked Dask arrays: the exact full-batch loss and gradient.

    Each chunk's weighted sums are computed where the chunk lives and added in a tree
    (``split_every`` partials per task); only W goes out and one (D, C) gradient per task
    comes back, so X can be larger than any one machine's memory.
    """
    delta = check_scalar("delta", delta, low=0.0)
    return _loss("svm", W, X, y, reg, delta, penalty, l1_ratio, split_every)


def softmax_loss(W: ArrayLike, X, y, reg: float = 0.0, *, penalty: str = "l2", l1_ratio: float = 0.5,
                 split_every: int = 8) -> tuple[float, np.ndarray]:  # fmt: skip
    """:func:`fastlin.softmax_loss` of row-chunked Dask arrays (see :func:`svm_loss`)."""
    return _loss("softmax", W, X, y, reg, 0.0, penalty, l1_ratio, split_every)


# --- incremental training -----------------------------------------------------------------


def fit_incremental(estimator, X, y, *, classes: ArrayLike | None = None, epochs: int = 1, progress: bool = True):
    """Stream the row chunks of (X, y) to ``estimator.partial_fit``, ``epochs`` times over.

    X may be a lazy feature array (e.g. from :func:`extract_features`): each chunk is computed
    on the cluster while the estimator trains on the previous one on the client.

    Parameters
    ----------
    estimator : fastlin.SoftmaxClassifier, fastlin.LinearSVM or any estimator with ``partial_fit``
    X : dask array (N, D) chunked along rows
    y : dask array or array_like (N,), chunked as X's rows
    classes : array_like, optional
        Every label; computed from y (one pass) when not given.
    epochs : int, default 1
    progress : bool, default True

    Returns
    -------
    estimator
    """
    epochs = check_int("epochs", epochs, low=1)
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise TypeError("X must be a 2-D dask array (N, D) chunked along rows")
    if len(X.chunks[1]) != 1:
        raise ValueError(f"X must be chunked along rows only (one chunk of columns), got chunks {X.chunks}")
    y = y if isinstance(y, da.Array) else da.from_array(np.asarray(y), chunks=(X.chunks[0],))
    if y.shape[0] != X.shape[0] or y.chunks[0] != X.chunks[0]:
        raise ValueError(f"the chunks of y {y.chunks[0]} must match the row chunks of X {X.chunks[0]}")
    if classes is None:
        classes = np.unique(y.compute())
    n_blocks = X.numblocks[0]
    order = [(epoch, i) for epoch in range(epochs) for i in range(n_blocks)]
    bar = Progress(len(order), progress, what="fit_incremental")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the next chunk computes meanwhile
        fetch = lambda i: dask.compute(X.blocks[i], y.blocks[i])  # noqa: E731
        pending = pool.submit(fetch, order[0][1])
        for step in range(len(order)):
            xb, yb = pending.result()
            if step + 1 < len(order):
                pending = pool.submit(fetch, order[step + 1][1])
            estimator.partial_fit(xb, yb, classes=classes)
            bar.update(step + 1)
    bar.close()
    return estimator
