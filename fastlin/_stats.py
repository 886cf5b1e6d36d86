"""Streaming column statistics, shared by k-means and the Standardizer (no scikit-learn import)."""

from __future__ import annotations

import numpy as np

#: rows per step of the streaming statistics, at most: their float64 temporaries stay small
ROWS = 4096
#: bytes of one step's temporary block, at most (a wide matrix takes fewer rows a step)
BLOCK_BYTES = 2**27


def block_rows(n_cols: int, itemsize: int = 8, most: int = ROWS) -> int:
    """Rows per step of a streaming pass over ``n_cols`` columns.

    ``most``, or fewer so that a block of ``itemsize``-byte values stays within
    ``BLOCK_BYTES`` (128 MB).
    """
    return max(1, min(most, BLOCK_BYTES // max(1, n_cols * itemsize)))


#: a deviation below this may come from squares that underflowed: computed again, scaled
TINY_STD = 1e-150


def column_mean_var(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) variance of X's columns in one streaming pass, float64.

    Blocks of rows (:func:`block_rows`) are centred on their own mean and merged with Chan's pairwise
    update: one read of X, float64 temporaries of one block, no cancellation for columns
    far from zero.
    """
    n = 0
    mean = np.zeros(X.shape[1])
    m2 = np.zeros(X.shape[1])
    step = block_rows(X.shape[1])
    for start in range(0, X.shape[0], step):
        block = X[start : start + step].astype(np.float64)
        nb = block.shape[0]
        mb = block.mean(axis=0)
        block -= mb
        m2b = np.einsum("ij,ij->j", block, block)
        delta = mb - mean
        total = n + nb
        mean += delta * (nb / total)
        m2 += m2b + delta * delta * (n * nb / total)
        n = total
    return mean, m2 / n


def column_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) standard deviation of X's columns, float64, finite for any finite X.

    :func:`column_mean_var` in one pass; the columns whose sums or squares left float64's
    range (values near 1e308, or so small that the variance underflows) are computed again
    scaled by a power of two, which is exact, so their mean and deviation come out right.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        mean, var = column_mean_var(X)
    std = np.sqrt(var)
    redo = np.flatnonzero(~np.isfinite(mean) | ~np.isfinite(std) | (std < TINY_STD))
    if redo.size:
        cols = X[:, redo].astype(np.float64)
        top = np.abs(cols).max(axis=0)
        factor = np.ldexp(1.0, -np.frexp(top)[1])  # |cols * factor| < 1: no overflow, no underflow
        m, v = column_mean_var(cols * factor)
        mean[redo] = m / factor
        std[redo] = np.sqrt(v) / factor
    return mean, std
