"""Register tiles of the two products inside a loss kernel, written so LLVM vectorizes them.

Rows of X are named through an index array: row ``a`` of a tile is ``X[rows[i + a]]``, so a
mini-batch is read in place, never gathered into a copy. ``dot_*`` fill a tile of scores
``S[r + a, c + b] = X[rows[i + a]] . WT[c + b]`` (dot products along D); ``axpy_*`` add
``G[r + a, c + b] * X[rows[i + a]]`` to ``dWT[c + b]``. The 4x4 tiles keep
16 accumulators in registers, so each loaded vector of X or W feeds four FMAs instead of one;
the 4x1 and 1x1 tiles take the leftover classes and rows. They are separate (not inlined at
the Numba level) functions on purpose: inlining them into one big kernel stopped LLVM from
vectorizing the loops (measured: five times slower).
"""

from numba import njit

from fastlin._config import JIT_OPTIONS


@njit(**JIT_OPTIONS)
def dot_4x4(X, rows, i, WT, c, S, r):
    x0, x1, x2, x3 = X[rows[i]], X[rows[i + 1]], X[rows[i + 2]], X[rows[i + 3]]
    w0, w1, w2, w3 = WT[c], WT[c + 1], WT[c + 2], WT[c + 3]
    z = x0[0] - x0[0]  # a zero of X's dtype (inputs are finite)
    a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = z
    a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = z
    for d in range(X.shape[1]):
        v0, v1, v2, v3 = x0[d], x1[d], x2[d], x3[d]
        u0, u1, u2, u3 = w0[d], w1[d], w2[d], w3[d]
        a00 += v0 * u0
        a01 += v0 * u1
        a02 += v0 * u2
        a03 += v0 * u3
        a10 += v1 * u0
        a11 += v1 * u1
        a12 += v1 * u2
        a13 += v1 * u3
        a20 += v2 * u0
        a21 += v2 * u1
        a22 += v2 * u2
        a23 += v2 * u3
        a30 += v3 * u0
        a31 += v3 * u1
        a32 += v3 * u2
        a33 += v3 * u3
    S[r, c], S[r, c + 1], S[r, c + 2], S[r, c + 3] = a00, a01, a02, a03
    S[r + 1, c], S[r + 1, c + 1], S[r + 1, c + 2], S[r + 1, c + 3] = a10, a11, a12, a13
    S[r + 2, c], S[r + 2, c + 1], S[r + 2, c + 2], S[r + 2, c + 3] = a20, a21, a22, a23
    S[r + 3, c], S[r + 3, c + 1], S[r + 3, c + 2], S[r + 3, c + 3] = a30, a31, a32, a33


@njit(**JIT_OPTIONS)
def dot_4x1(X, rows, i, WT, c, S, r):
    x0, x1, x2, x3 = X[rows[i]], X[rows[i + 1]], X[rows[i + 2]], X[rows[i + 3]]
    w = WT[c]
    z = x0[0] - x0[0]
    a0 = a1 = a2 = a3 = z
    for d in range(X.shape[1]):
        u = w[d]
        a0 += x0[d] * u
        a1 += x1[d] * u
        a2 += x2[d] * u
        a3 += x3[d] * u
    S[r, c], S[r + 1, c], S[r + 2, c], S[r + 3, c] = a0, a1, a2, a3


@njit(**JIT_OPTIONS)
def dot_1x1(X, rows, i, WT, c, S, r):
    x = X[rows[i]]
    w = WT[c]
    a = x[0] - x[0]
    for d in range(X.shape[1]):
        a += x[d] * w[d]
    S[r, c] = a


@njit(**JIT_OPTIONS)
def axpy_4x4(X, rows, i, G, r, dWT, c):
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


@njit(**JIT_OPTIONS)
def axpy_4x1(X, rows, i, G, r, dWT, c):
    x0, x1, x2, x3 = X[rows[i]], X[rows[i + 1]], X[rows[i + 2]], X[rows[i + 3]]
    g0, g1, g2, g3 = G[r, c], G[r + 1, c], G[r + 2, c], G[r + 3, c]
    o = dWT[c]
    for d in range(X.shape[1]):
        o[d] += x0[d] * g0 + x1[d] * g1 + x2[d] * g2 + x3[d] * g3


@njit(**JIT_OPTIONS)
def axpy_1x1(X, rows, i, G, r, dWT, c):
    x = X[rows[i]]
    g = G[r, c]
    o = dWT[c]
    for d in range(X.shape[1]):
        o[d] += x[d] * g


# block_scores and block_grad walk the same tiles; they stay two functions because one walker
# that writes ``wide`` on one branch cannot be compiled for a read-only ``WT`` on the other.
@njit(**JIT_OPTIONS)
def block_scores(X, rows, start, n_rows, WT, S):
    """``S[:n_rows] = X[rows[start:start + n_rows]] @ WT.T``: 4x4 tiles, 4x1 leftovers, 1x1 rows."""
    C = WT.shape[0]
    c4 = C - C % 4
    r4 = n_rows - n_rows % 4
    for r in range(0, r4, 4):
        for c in range(0, c4, 4):
            dot_4x4(X, rows, start + r, WT, c, S, r)
        for c in range(c4, C):
            dot_4x1(X, rows, start + r, WT, c, S, r)
    for r in range(r4, n_rows):
        for c in range(C):
            dot_1x1(X, rows, start + r, WT, c, S, r)


@njit(**JIT_OPTIONS)
def block_grad(X, rows, start, n_rows, G, dWT):
    """``dWT += G[:n_rows].T @ X[rows[start:start + n_rows]]``, over the same tiles."""
    C = dWT.shape[0]
    c4 = C - C % 4
    r4 = n_rows - n_rows % 4
    for r in range(0, r4, 4):
        for c in range(0, c4, 4):
            axpy_4x4(X, rows, start + r, G, r, dWT, c)
        for c in range(c4, C):
            axpy_4x1(X, rows, start + r, G, r, dWT, c)
    for r in range(r4, n_rows):
        for c in range(C):
            axpy_1x1(X, rows, start + r, G, r, dWT, c)


@njit(**JIT_OPTIONS)
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
