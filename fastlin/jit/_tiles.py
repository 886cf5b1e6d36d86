"""Register tiles of the two products inside a loss kernel, written so LLVM vectorizes them.

Rows of X are named through an index array: row ``a`` of a tile is ``X[rows[i + a]]``, so a
mini-batch is read in place, never gathered into a copy. ``dot_*`` fill a tile of scores
``S[r + a, c + b] = X[rows[i + a]] . WT[c + b]`` (dot products along D); ``axpy_*`` add
``G[r + a, c + b] * X[rows[i + a]]`` to ``dWT[c + b]``.

The score tile is 2 rows x 5 classes: 10 vector accumulators, 2 vectors of X and one of W
at a time, 13 registers, so it fits the 16 of AVX2 as well as the 32 of AVX-512 (a 4x4 tile
needs 24 and, on AVX2, spilled six accumulators to the stack every iteration: 22 against 33
GFLOP/s float32 on one core of an AMD EPYC). CIFAR-10's 10 classes are two tiles.
The gradient tile stays 4 rows x 4 classes: each dWT row is read and written once per four
rows of X (4x2, 4x3 and 8x1 tiles measured no faster). The 2x1, 4x1 and 1x1 tiles take the
leftover classes and rows. They are separate (not inlined at the Numba level) functions on
purpose: inlining them into one big kernel stopped LLVM from vectorizing the loops
(measured: five times slower).
"""

import numpy as np
from numba import njit

from fastlin._config import HELPER_OPTIONS


@njit(**HELPER_OPTIONS)
def dot_2x5(X, rows, i, WT, c, S, r):
    x0, x1 = X[rows[i]], X[rows[i + 1]]
    w0, w1, w2, w3, w4 = WT[c], WT[c + 1], WT[c + 2], WT[c + 3], WT[c + 4]
    z = x0[0] - x0[0]  # a zero of X's dtype (inputs are finite)
    a00 = a01 = a02 = a03 = a04 = a10 = a11 = a12 = a13 = a14 = z
    for d in range(X.shape[1]):  # a line per class: its weight times each of the two rows
        v0, v1 = x0[d], x1[d]
        a00, a10 = a00 + v0 * w0[d], a10 + v1 * w0[d]
        a01, a11 = a01 + v0 * w1[d], a11 + v1 * w1[d]
        a02, a12 = a02 + v0 * w2[d], a12 + v1 * w2[d]
        a03, a13 = a03 + v0 * w3[d], a13 + v1 * w3[d]
        a04, a14 = a04 + v0 * w4[d], a14 + v1 * w4[d]
    S[r, c], S[r, c + 1], S[r, c + 2], S[r, c + 3], S[r, c + 4] = a00, a01, a02, a03, a04
    S[r + 1, c], S[r + 1, c + 1], S[r + 1, c + 2], S[r + 1, c + 3], S[r + 1, c + 4] = a10, a11, a12, a13, a14


@njit(**HELPER_OPTIONS)
def dot_2x1(X, rows, i, WT, c, S, r):
    x0, x1 = X[rows[i]], X[rows[i + 1]]
    w = WT[c]
    a0 = a1 = x0[0] - x0[0]
    for d in range(X.shape[1]):
        u = w[d]
        a0 += x0[d] * u
        a1 += x1[d] * u
    S[r, c], S[r + 1, c] = a0, a1


@njit(**HELPER_OPTIONS)
def dot_1x1(X, rows, i, WT, c, S, r):
    x = X[rows[i]]
    w = WT[c]
    a = x[0] - x[0]
    for d in range(X.shape[1]):
        a += x[d] * w[d]
    S[r, c] = a


@njit(**HELPER_OPTIONS)
def axpy_4x4(X, rows, i, dWT, c, G, r):
    x0, x1, x2, x3 = X[rows[i]], X[rows[i + 1]], X[rows[i + 2]], X[rows[i + 3]]
    g00, g01, g02, g03 = G[r, c], G[r, c + 1], G[r, c + 2], G[r, c + 3]
    g10, g11, g12, g13 = G[r + 1, c], G[r + 1, c + 1], G[r + 1, c + 2], G[r + 1, c + 3]
    g20, g21, g22, g23 = G[r + 2, c], G[r + 2, c + 1], G[r + 2, c + 2], G[r + 2, c + 3]
    g30, g31, g32, g33 = G[r + 3, c], G[r + 3, c + 1], G[r + 3, c + 2], G[r + 3, c + 3]
    o0, o1, o2, o3 = dWT[c], dWT[c + 1], dWT[c + 2], dWT[c + 3]
    for d in range(X.shape[1]):
        v0, v1, v2, v3 = x0[d], x1[d], x2[d], x3[d]
        o0[d] += v0 * g00 + v1 * g10 + v2 * g20 + v3 * g30
        o1[d] += v0 * g01 + v1 * g11 + v2 * g21 + v3 * g31
        o2[d] += v0 * g02 + v1 * g12 + v2 * g22 + v3 * g32
        o3[d] += v0 * g03 + v1 * g13 + v2 * g23 + v3 * g33


@njit(**HELPER_OPTIONS)
def axpy_4x1(X, rows, i, dWT, c, G, r):
    x0, x1, x2, x3 = X[rows[i]], X[rows[i + 1]], X[rows[i + 2]], X[rows[i + 3]]
    g0, g1, g2, g3 = G[r, c], G[r + 1, c], G[r + 2, c], G[r + 3, c]
    o = dWT[c]
    for d in range(X.shape[1]):
        o[d] += x0[d] * g0 + x1[d] * g1 + x2[d] * g2 + x3[d] * g3


@njit(**HELPER_OPTIONS)
def axpy_1x1(X, rows, i, dWT, c, G, r):
    x = X[rows[i]]
    g = G[r, c]
    o = dWT[c]
    for d in range(X.shape[1]):
        o[d] += x[d] * g


def _walker(grad: bool):
    """The walker of one product over a block of rows, tile by tile.

    Whole tiles first, then 1-wide tiles for the leftover classes, then 1x1 tiles for the
    leftover rows. ``M`` is the (C, D) matrix (``WT``, read; or ``dWT``, added to) and ``T``
    the block's (rows, C) one (``S``, written; or ``G``, read). ``grad`` (the gradient's
    axpy tiles, or the scores' dot tiles) is a constant of the returned function, a closure
    variable: Numba compiles only the branches it takes, so the score walker, which never
    writes ``M``, compiles for a read-only ``WT``. Tiles passed as arguments instead would
    make everything above uncachable.
    """
    tile_rows, tile_classes = (4, 4) if grad else (2, 5)

    def walk(X, rows, start, n_rows, M, T):
        C = M.shape[0]
        c_main = C - C % tile_classes
        r_main = n_rows - n_rows % tile_rows
        for r in range(0, r_main, tile_rows):
            for c in range(0, c_main, tile_classes):
                if grad:
                    axpy_4x4(X, rows, start + r, M, c, T, r)
                else:
                    dot_2x5(X, rows, start + r, M, c, T, r)
            for c in range(c_main, C):
                if grad:
                    axpy_4x1(X, rows, start + r, M, c, T, r)
                else:
                    dot_2x1(X, rows, start + r, M, c, T, r)
        for r in range(r_main, n_rows):
            for c in range(C):
                if grad:
                    axpy_1x1(X, rows, start + r, M, c, T, r)
                else:
                    dot_1x1(X, rows, start + r, M, c, T, r)

    # Its own name, so that each walker has its own cache files: Numba keeps one index file
    # per function name and updates it unlocked, so two walkers sharing one could, when two
    # processes compile at once, record one walker's machine code under the other's key.
    walk.__name__ = walk.__qualname__ = "block_grad" if grad else "block_scores"
    return njit(**HELPER_OPTIONS)(walk)


#: ``block_scores(X, rows, start, n_rows, WT, S)``: ``S[:n_rows] = X[rows[start:start + n_rows]] @ WT.T``
block_scores = _walker(grad=False)
#: ``block_grad(X, rows, start, n_rows, dWT, G)``: ``dWT += G[:n_rows].T @ X[rows[start:start + n_rows]]``
block_grad = _walker(grad=True)


@njit(**HELPER_OPTIONS)
def nearest(S, r, sq_norms):
    """The ``c`` minimizing ``sq_norms[c] - 2 S[r, c]`` (the first on ties).

    With ``S[r, c] = x . v_c`` from :func:`block_scores`, that is the nearest ``v_c`` to
    ``x`` (``|x - v|^2`` without the ``|x|^2`` all candidates share): k-means assignment and
    visual-word lookup.
    """
    best = 0
    best_d = sq_norms[0] - 2.0 * S[r, 0]
    for c in range(1, S.shape[1]):
        d = sq_norms[c] - 2.0 * S[r, c]
        if d < best_d:
            best, best_d = c, d
    return best


#: lanes of the vectorized minimum in :func:`nearest_lanes`
LANES = 16


@njit(inline="always", **HELPER_OPTIONS)
def nearest_lanes(S, r, sq_norms, d, lanes):
    """:func:`nearest` for many candidates (32 or more pay); ``d`` (k,) and ``lanes`` (16,) are scratch.

    Loops that vectorize (the distances, their minimum 16 lanes at a time), then the first
    index holding it, where one ``argmin`` loop with its branch stays scalar: the search alone over 100,000
    points and 64 centers took 2.1 against 2.4 ms.
    """
    k = S.shape[1]
    for c in range(k):
        d[c] = sq_norms[c] - 2.0 * np.float64(S[r, c])
    lanes[:] = d[0]
    for c0 in range(0, k - LANES + 1, LANES):
        for lane in range(LANES):
            v = d[c0 + lane]
            lanes[lane] = v if v < lanes[lane] else lanes[lane]
    low = lanes[0]
    for lane in range(LANES):
        low = lanes[lane] if lanes[lane] < low else low
    for c in range(k - k % LANES, k):
        low = d[c] if d[c] < low else low
    for c in range(k):
        if d[c] == low:
            return c
    return 0  # only if a distance is NaN: the caller's finiteness check reports it
