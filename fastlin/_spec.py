"""Definitions every tier shares: working dtypes, constants, bin edges, the chunking rule.

The three tiers import what they agree on from here (never from each other), so a
definition changes in one place. Nothing here imports numba.
"""

from __future__ import annotations

import numpy as np

#: rows of X (or patches, or points) handled together inside a chunk: a block of 16 rows of
#: 3073 float32 values stays in L2 between the scoring and the gradient passes
BLOCK_ROWS = 16
#: upper bound of the chunks a batch is cut into (one partial buffer each)
MAX_CHUNKS = 64

#: the chunk sizes of each kernel family, in items per chunk at least
MIN_CHUNK = {"losses": 128, "kmeans": 1024, "images": 1}

#: scikit-image's HOG block normalizations and their epsilon
HOG_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
HOG_EPS = 1e-5


def working_dtype(dtype: np.dtype) -> type:
    """float32 inputs are computed in float32; everything else (uint8, ints, float64) in float64."""
    return np.float32 if dtype == np.float32 else np.float64


def n_chunks(n_items: int, family: str) -> int:
    """How many chunks a batch of ``n_items`` is cut into: one rule for every kernel.

    It depends on the batch size only, never on the thread count, so a reduction summed in
    chunk order gives the same bits for any ``n_threads``.
    """
    per_chunk = MIN_CHUNK[family]
    return max(1, min(MAX_CHUNKS, -(-n_items // per_chunk)))


def hog_bin_edges(orientations: int) -> np.ndarray:
    """HOG's orientation bin edges ``180 / orientations * i`` in degrees, float64.

    scikit-image compares float64 angles with these float64 edges: bin ``i`` is
    ``[e_i, e_{i+1})``.
    """
    return np.array([180.0 / orientations * i for i in range(orientations + 1)], dtype=np.float64)


def color_bin_edges(nbin: int, xmin: float, xmax: float) -> np.ndarray:
    """The colour histogram's edges, ``np.linspace(xmin, xmax, nbin + 1)`` as CS231n builds them."""
    return np.linspace(xmin, xmax, nbin + 1)


def histogram_from_counts(counts: np.ndarray, edges: np.ndarray, normalized: bool) -> np.ndarray:
    """CS231n's last step on (N, nbin) counts: ``density`` normalization, times the widths.

    An image with no counted pixel gives zeros (NumPy's ``density`` would give NaN).
    """
    widths = np.diff(edges)
    if not normalized:
        return counts * widths
    totals = counts.sum(axis=1, keepdims=True)
    out = counts / widths / np.where(totals > 0, totals, 1) * widths
    return np.where(totals > 0, out, 0.0)
