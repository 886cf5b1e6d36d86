"""Single-layer k-means features: the whole encoding of a batch in one parallel kernel.

The contract of :mod:`fastlin.naive.kmeans_features`. Each image (a ``prange`` iteration, so each
owns its row of the output) is walked in blocks of patches (all of a CIFAR image's at once): the block's
normalized patches go into a scratch matrix, two single-threaded BLAS products whiten them
and score them against every centroid (``|w|^2 + |c|^2 - 2 w.c``), and each patch's code is
added to its pooling cell while its row of distances is still in cache. No matrix of all
patches of all images is ever built.

The products are 95% of the work (``2 * n_positions * D * (K + D)`` flops per image) and
run at the BLAS's single-core GEMM rate on every core at once. The BLAS must not start its
own threads inside the parallel region: :func:`encode_pooled` pins it to one thread for
the call (threadpoolctl), so Numba's threads and the BLAS's never compete.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import HELPER_OPTIONS, PARALLEL_OPTIONS, single_threaded_blas
from fastlin._spec import KMEANS_FEATURES_ENCODINGS

#: bytes of scores (block x K float32) a block of patches may fill per thread: a CIFAR
#: image's 729 patches make one block up to K = 11,500. Whole images beat blocks that fit
#: the L2 cache (243 patches): with fewer, larger calls the GEMM repacks the centroids less
#: often (soft-split on 200 images, AVX-512, 2 cores: K = 1600, 67% of the sgemm rate with
#: 243 patches a block, 69% with 729; K = 3200, 67% and 71%; K = 6000, 65% with two blocks
#: of 365, 68% with one).
SCORE_BYTES = 1 << 25


@njit(**HELPER_OPTIONS)
def _fill_patches(image, small_ints, first, n_rows, p, stride, Q, eps, shift, x, P):
    """Rows [0, n_rows) of ``P``: patches number ``first + t``, normalized, minus ``shift``.

    ``x`` (D,) float64 is scratch: the statistics of float images are taken before any
    rounding to float32, in two passes (no cancellation for large values). ``small_ints``
    (integers of at most 16 bits): the sum and the sum of squares are exact in int64, so one
    pass gives the same variance (9.6 against 6.1 ms for the patches of 200 CIFAR images).
    """
    C = image.shape[2]
    D = P.shape[1]
    row_values = p * C
    flat = image.reshape(image.shape[0], image.shape[1] * C)  # a patch row is contiguous here
    for t in range(n_rows):
        pos = first + t
        r0 = (pos // Q) * stride
        c0 = (pos % Q) * stride * C
        total = 0.0
        int_total = 0
        int_squares = 0
        k = 0
        for r in range(p):
            line = flat[r0 + r]
            for j in range(row_values):
                x[k] = np.float64(line[c0 + j])
                if small_ints:
                    v = np.int64(line[c0 + j])
                    int_total += v
                    int_squares += v * v
                else:
                    total += x[k]
                k += 1
        mean = 0.0
        scale = 1.0
        if eps >= 0.0:
            if small_ints:
                mean = int_total / D
                ss = (int_squares * D - int_total * int_total) / D  # exact integers until here
            else:
                mean = total / D
                ss = 0.0
                for k in range(D):
                    d = x[k] - mean
                    ss += d * d
            scale = 1.0 / np.sqrt(ss / (D - 1) + eps)
        for k in range(D):
            P[t, k] = (x[k] - mean) * scale - shift[k]


@njit(**HELPER_OPTIONS)
def _triangle_row(S, t, w_sq, c_sq, cell_sums):
    """Add the triangle code of patch ``t`` (distances from its scores ``S[t]``) to ``cell_sums``."""
    K = S.shape[1]
    zero = np.float32(0.0)
    total = np.float32(0.0)
    for k in range(K):
        z = np.sqrt(max(w_sq + c_sq[k] - np.float32(2.0) * S[t, k], zero))
        S[t, k] = z
        total += z
    mean = total / np.float32(K)
    for k in range(K):
        cell_sums[k] += max(zero, mean - S[t, k])


@njit(**HELPER_OPTIONS)
def _hard_row(S, t, c_sq, cell_sums):
    """Add one to the count of the nearest centroid of patch ``t`` (the first on ties)."""
    best = 0
    best_d = np.inf
    for k in range(S.shape[1]):
        d = np.float64(c_sq[k]) - 2.0 * np.float64(S[t, k])
        if d < best_d:
            best, best_d = k, d
    cell_sums[best] += np.float32(1.0)


@njit(**HELPER_OPTIONS)
def _soft_row(S, t, alpha, split, cell_sums):
    """Add the soft-threshold code of patch ``t`` (and its sign-split half) to ``cell_sums``."""
    K = S.shape[1]
    zero = np.float32(0.0)
    row = S[t]
    if split:  # one pass over the scores for both halves (10% faster than two)
        positive, negative = cell_sums[:K], cell_sums[K:]
        for k in range(K):
            s = row[k]
            positive[k] += max(zero, s - alpha)
            negative[k] += max(zero, -s - alpha)
    else:
        for k in range(K):
            cell_sums[k] += max(zero, row[k] - alpha)


#: the encodings as the kernel takes them: 0 triangle, 1 hard, 2 soft, 3 soft-split
ENCODING_CODES = {name: code for code, name in enumerate(KMEANS_FEATURES_ENCODINGS)}


@njit(**PARALLEL_OPTIONS)
def encode_pooled_kernel(
    images, small_ints, p, stride, eps, shift, whiten, CT, c_sq, encoding, alpha, grid_rows, grid_cols, out
):
    N, H, W, C = images.shape
    R = (H - p) // stride + 1
    Q = (W - p) // stride + 1
    n_pos = R * Q
    D, K = CT.shape
    max_rows = max(1, SCORE_BYTES // (4 * K))
    n_blocks = (n_pos + max_rows - 1) // max_rows
    block = (n_pos + n_blocks - 1) // n_blocks  # blocks of equal size
    for n in prange(N):
        P = np.zeros((block, D), dtype=np.float32)
        Wh = np.empty((block, D), dtype=np.float32)
        S = np.empty((block, K), dtype=np.float32)
        x = np.empty(D)
        sums = out[n]
        for b in range(0, n_pos, block):
            n_rows = min(block, n_pos - b)
            _fill_patches(images[n], small_ints, b, n_rows, p, stride, Q, eps, shift, x, P)
            np.dot(P, whiten, Wh)
            np.dot(Wh, CT, S)
            for t in range(n_rows):
                pos = b + t
                cell = ((pos // Q) * grid_rows // R) * grid_cols + (pos % Q) * grid_cols // Q
                if encoding == 0:
                    w_sq = np.float32(0.0)
                    for k in range(D):
                        w_sq += Wh[t, k] * Wh[t, k]
                    _triangle_row(S, t, w_sq, c_sq, sums[cell])
                elif encoding == 1:
                    _hard_row(S, t, c_sq, sums[cell])
                else:
                    _soft_row(S, t, alpha, encoding == 3, sums[cell])


def encode_pooled(images, p, stride, eps, shift, whiten, centroids, encoding, alpha, grid):
    images = np.ascontiguousarray(images)  # the patch rows are read as flat runs (no copy when already so)
    centroids = np.ascontiguousarray(centroids, dtype=np.float32)
    CT = np.ascontiguousarray(centroids.T)
    c_sq = np.einsum("ij,ij->i", centroids, centroids)
    K = centroids.shape[0] * (2 if encoding == "soft-split" else 1)
    out = np.zeros((images.shape[0], grid[0] * grid[1], K), dtype=np.float32)
    code = ENCODING_CODES[encoding]
    shift = np.ascontiguousarray(shift, dtype=np.float32)
    whiten = np.ascontiguousarray(whiten, dtype=np.float32)
    eps = -1.0 if eps is None else float(eps)
    small_ints = images.dtype.kind in "ui" and images.dtype.itemsize <= 2
    with single_threaded_blas():
        encode_pooled_kernel(images, small_ints, p, stride, eps, shift, whiten, CT, c_sq, code, np.float32(alpha),
                             grid[0], grid[1], out)  # fmt: skip
    return out
