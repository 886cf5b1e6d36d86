"""k-means kernels. The contract of :mod:`fastlin.naive.kmeans`.

``lloyd_step`` is one parallel pass over X: blocks of points get their dot products with
every center (``|c|^2 - 2 x.c`` then decides the nearest center), the exact squared distance
to the chosen center, and their contribution to per-chunk float64 sums and counts, which are
added up in chunk order at the end (no two ``prange`` iterations write one element).

The dot products of a block of 256 rows are one single-threaded BLAS GEMM from ``k * D >=
GEMM_WORK`` (256) on; below it, the loss kernels' register tiles, which need no call. With 32
centers or more the nearest one is found by loops that vectorize (``_tiles.nearest_lanes``). Measured
on 100,000 points of 32 values and 64 centers (AVX-512, 2 cores): 11.4 ms a step with the
tiles and a scalar search, 4.8 with the GEMM and the vectorized one; with 8 x 8 the tiles
stay ahead (2.0 against 2.4 ms), with 16 x 16 the GEMM (1.5 against 3.1).
"""

import numpy as np
from numba import njit, prange

from fastlin._config import HELPER_OPTIONS, PARALLEL_OPTIONS, single_threaded_blas
from fastlin._spec import BLOCK_ROWS, n_chunks
from fastlin.jit._tiles import LANES, block_scores, nearest, nearest_lanes


@njit(**HELPER_OPTIONS)
def _assign(X, b, n_rows, S, centers, c_sq, labels, min_sq, sums, counts, d, lanes):
    """Rows ``b + r`` (r < n_rows) to their nearest center, from their dot products ``S[r]``.

    The exact squared distance to the chosen center and the row's share of its center's sum
    and count are taken while the row is in cache.
    """
    D = X.shape[1]
    wide = centers.shape[0] >= 2 * LANES  # enough centers for the lanes to pay
    for r in range(n_rows):
        i = b + r
        best = nearest_lanes(S, r, c_sq, d, lanes) if wide else nearest(S, r, c_sq)
        labels[i] = best
        exact = 0.0
        for j in range(D):
            diff = np.float64(X[i, j]) - np.float64(centers[best, j])
            exact += diff * diff
            sums[best, j] += X[i, j]
        min_sq[i] = exact
        counts[best] += 1


@njit(**HELPER_OPTIONS)
def _chunk(X, rows, centers, c_sq, start, stop, labels, min_sq, sums, counts):
    S = np.empty((BLOCK_ROWS, centers.shape[0]), dtype=X.dtype)
    d, lanes = np.empty(centers.shape[0]), np.empty(LANES)
    for b in range(start, stop, BLOCK_ROWS):
        n_rows = min(BLOCK_ROWS, stop - b)
        block_scores(X, rows, b, n_rows, centers, S)
        _assign(X, b, n_rows, S, centers, c_sq, labels, min_sq, sums, counts, d, lanes)


#: ``k * D`` from which the dot products of a block are a BLAS GEMM (below it the register
#: tiles, which need no call, are faster)
GEMM_WORK = 256
#: rows per GEMM block
GEMM_ROWS = 256


@njit(**HELPER_OPTIONS)
def _chunk_gemm(X, centers, CT, c_sq, start, stop, labels, min_sq, sums, counts):
    k, D = centers.shape
    S = np.empty((GEMM_ROWS, k), dtype=X.dtype)
    d, lanes = np.empty(k), np.empty(LANES)
    for b in range(start, stop, GEMM_ROWS):
        n_rows = min(GEMM_ROWS, stop - b)
        np.dot(X[b : b + n_rows], CT, S[:n_rows])  # X is C-contiguous: its rows in place
        _assign(X, b, n_rows, S, centers, c_sq, labels, min_sq, sums, counts, d, lanes)


@njit(**PARALLEL_OPTIONS)
def lloyd_step_kernel(X, centers, chunks):
    N, D = X.shape
    k = centers.shape[0]
    rows = np.arange(N)
    c_sq = np.empty(k)
    for c in range(k):
        acc = 0.0
        for j in range(D):
            acc += np.float64(centers[c, j]) * centers[c, j]
        c_sq[c] = acc
    labels = np.empty(N, dtype=np.int64)
    min_sq = np.empty(N)
    partial_sums = np.zeros((chunks, k, D))
    partial_counts = np.zeros((chunks, k), dtype=np.int64)
    gemm = k * D >= GEMM_WORK
    CT = np.ascontiguousarray(centers.T)
    for ch in prange(chunks):
        start, stop = ch * N // chunks, (ch + 1) * N // chunks
        if gemm:
            _chunk_gemm(X, centers, CT, c_sq, start, stop, labels, min_sq, partial_sums[ch], partial_counts[ch])
        else:
            _chunk(X, rows, centers, c_sq, start, stop, labels, min_sq, partial_sums[ch], partial_counts[ch])
    sums = np.zeros((k, D))
    counts = np.zeros(k, dtype=np.int64)
    for ch in range(chunks):
        sums += partial_sums[ch]
        counts += partial_counts[ch]
    return labels, min_sq, sums, counts


@njit(**PARALLEL_OPTIONS)
def closer_kernel(X, center, d2):
    for i in prange(X.shape[0]):
        d = 0.0
        for j in range(X.shape[1]):
            diff = np.float64(X[i, j]) - np.float64(center[j])
            d += diff * diff
        d2[i] = min(d2[i], d)


@njit(**PARALLEL_OPTIONS)
def potentials_kernel(X, candidates, d2, chunks):
    N, D = X.shape
    m = candidates.shape[0]
    partial = np.zeros((chunks, m))
    for ch in prange(chunks):
        for i in range(ch * N // chunks, (ch + 1) * N // chunks):
            for c in range(m):
                d = 0.0
                for j in range(D):
                    diff = np.float64(X[i, j]) - np.float64(candidates[c, j])
                    d += diff * diff
                partial[ch, c] += min(d2[i], d)
    out = np.zeros(m)
    for ch in range(chunks):
        out += partial[ch]
    return out


def potentials(X, candidates, d2):
    return potentials_kernel(X, np.ascontiguousarray(candidates, dtype=X.dtype), d2, n_chunks(X.shape[0], "kmeans"))


def lloyd_step(X, centers):
    X = np.ascontiguousarray(X)  # the GEMM reads blocks of rows in place (no copy when already so)
    with single_threaded_blas():
        return lloyd_step_kernel(X, np.ascontiguousarray(centers, dtype=X.dtype), n_chunks(X.shape[0], "kmeans"))


def closer(X, center, d2):
    closer_kernel(X, np.ascontiguousarray(center, dtype=X.dtype), d2)
