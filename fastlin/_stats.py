"""Streaming column statistics, shared by k-means and the Standardizer (no scikit-learn import)."""

from __future__ import annotations

import numpy as np

#: rows per step of the streaming statistics: their float64 temporaries stay this small
ROWS = 4096


def column_mean_var(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) variance of X's columns in one streaming pass, float64.

    Blocks of ``ROWS`` rows are centred on their own mean and merged with Chan's pairwise
    update: one read of X, float64 temporaries of one block, no cancellation for columns
    far from zero.
    """
    n = 0
    mean = np.zeros(X.shape[1])
    m2 = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], ROWS):
        block = X[start : start + ROWS].astype(np.float64)
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
