"""k-means: k-means++ seeding and Lloyd iterations, with the steps in three tiers."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._stats import column_mean_var
from fastlin._validation import (
    MAX_ITERS,
    as_float_array,
    check_finite,
    check_int,
    check_random_state,
    check_real_array,
    check_scalar,
    check_tier,
)


def _mean_column_variance(X: np.ndarray) -> float:
    """``mean(var(X, axis=0))`` in one streaming pass, float64 (no temporary as large as X)."""
    return float(np.mean(column_mean_var(X)[1]))


def _kmeans_plus_plus(X, k, rng, closer, potentials):
    """Greedy k-means++ seeding (D^2 sampling with 2 + log(k) candidates a step).

    Each step draws candidate points with probability proportional to their squared distance
    to the nearest center so far and keeps the one that lowers the total the most, as
    scikit-learn does; a single candidate a step left clusters merged on well-separated data.
    """
    N = X.shape[0]
    trials = 2 + int(np.log(k))
    centers = np.empty((k, X.shape[1]), dtype=X.dtype)
    centers[0] = X[int(rng.integers(N))]
    d2 = np.full(N, np.inf)
    closer(X, centers[0], d2)
    for j in range(1, k):
        cumulative = np.cumsum(d2)
        total = cumulative[-1]
        if total > 0:
            picks = np.searchsorted(cumulative, rng.random(trials) * total, side="right")
            picks = np.minimum(picks, N - 1)
        else:  # every point sits on a center already: any point will do
            picks = rng.integers(N, size=1)
        best = picks[int(np.argmin(potentials(X, X[picks], d2)))] if len(picks) > 1 else picks[0]
        centers[j] = X[best]
        closer(X, centers[j], d2)
    return centers


def _reseed_empty(centers, counts, X, min_sq):
    """Move each empty cluster's center onto a point far from its own center.

    The points are taken in decreasing order of their squared distance to their center
    (the farthest first), one per empty cluster, as scikit-learn does.
    """
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        far = np.argsort(min_sq, kind="stable")[::-1][: empty.size]
        centers[empty[: far.size]] = X[far]
    return empty.size


def kmeans(
    X: ArrayLike,
    n_clusters: int,
    *,
    init: str | ArrayLike = "k-means++",
    max_iter: int = 100,
    tol: float = 1e-4,
    random_state: int | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Cluster the rows of X with Lloyd's algorithm.

    Parameters
    ----------
    X : array_like of shape (N, D)
        float32 stays float32 (centers too); other real dtypes become float64.
    n_clusters : int
        1 <= n_clusters <= N.
    init : "k-means++", "random" or array of shape (n_clusters, D)
        Greedy k-means++ seeding (2 + log(k) candidates a step, as scikit-learn),
        ``n_clusters`` distinct random points, or the given centers.
    max_iter : int, default 100
        Lloyd iterations at most.
    tol : float, default 1e-4
        Stop when the centers move by less than ``tol`` times the mean variance of X's
        columns (summed squared shift, scikit-learn's criterion); 0 runs ``max_iter``
        iterations unless the labels stop changing.
    random_state : int or numpy.random.Generator, optional
    impl : {"jit", "vectorized", "naive"}, default "jit"
        Tier of the assignment and update steps.
    n_threads : int, optional

    Returns
    -------
    centers : ndarray of shape (n_clusters, D)
    labels : ndarray of shape (N,), int64
        The nearest center of each point (to the final centers).
    inertia : float
        Sum of squared distances of the points to their center.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, dtypes, parameters, NaN or inf in X.
    FloatingPointError
        Values of X so large that their squared distances overflow.

    Notes
    -----
    An empty cluster (no point nearest to its center) gets a new center at the point
    farthest from its own center, then the iterations go on.
    """
    X = as_float_array("X", X, ndim=2)
    check_finite("X", X)
    N, D = X.shape
    k = check_int("n_clusters", n_clusters, low=1)
    if k > N:
        raise ValueError(f"n_clusters={k} is more than the {N} points of X")
    max_iter = check_int("max_iter", max_iter, low=1, high=MAX_ITERS)
    tol = check_scalar("tol", tol, low=0.0)
    impl, n_threads = check_tier(impl, n_threads)
    rng = check_random_state("random_state", random_state)
    given = None
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++', 'random' or an array, got {init!r}")
    else:
        given = check_real_array("init", init).astype(X.dtype)
        if given.shape != (k, D):
            raise ValueError(f"init has shape {given.shape}; expected (n_clusters, D) = {(k, D)}")
        check_finite("init", given)
    with _tiers.threads(impl, n_threads):
        if given is not None:
            centers = given
        elif init == "k-means++":
            closer = _tiers.get("kmeans", "closer", impl)
            centers = _kmeans_plus_plus(X, k, rng, closer, _tiers.get("kmeans", "potentials", impl))
        else:
            centers = X[rng.choice(N, k, replace=False)].copy()
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            threshold = tol * _mean_column_variance(X) if tol > 0 else 0.0
            centers, labels, inertia = _lloyd(X, centers, max_iter, threshold, _tiers.get("kmeans", "lloyd_step", impl))
    if not (np.isfinite(inertia) and np.isfinite(centers).all()):
        raise FloatingPointError("the squared distances between the rows of X overflowed; scale X down")
    return centers, labels, inertia


def _lloyd(X, centers, max_iter, threshold, step):
    """Lloyd iterations from ``centers``, then the labels and inertia of the final centers.

    They stop when the labels stop changing, when the centers move by at most ``threshold``
    (summed squared shift), or after ``max_iter``.
    """
    labels = None
    for _ in range(max_iter):
        new_labels, min_sq, sums, counts = step(X, centers)
        new_centers = (sums / np.maximum(counts, 1)[:, None]).astype(X.dtype)
        reseeded = _reseed_empty(new_centers, counts, X, min_sq)
        shift = float(((new_centers.astype(np.float64) - centers) ** 2).sum())
        same = labels is not None and np.array_equal(labels, new_labels)
        centers, labels = new_centers, new_labels
        # A reseeded cluster needs more iterations, unless reseeding moved nothing (all the
        # points sit on centers already, e.g. fewer distinct points than clusters).
        if (same or shift <= threshold) and (not reseeded or shift == 0.0):
            break
    labels, min_sq, _, _ = step(X, centers)  # labels and inertia of the final centers
    return centers, labels, float(min_sq.sum())
