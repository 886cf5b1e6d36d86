"""Bag-of-visual-words kernels: dense patch descriptors and their nearest-word counts.

The contract of :mod:`fastlin.naive.bow`.

``encode_patches_kernel`` is the whole encoding of a batch in one call: per image (in
parallel), the mean-removed, L2-normalized descriptors of its patches go into a scratch
matrix, their dot products with every word come from the loss kernels' register tiles, and
each patch adds one to the count of its nearest word (``|w|^2 - 2 w.d``). Each image owns
its row of counts.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import HELPER_OPTIONS, PARALLEL_OPTIONS, single_threaded_blas
from fastlin._spec import BLOCK_ROWS, n_chunks
from fastlin.jit._tiles import block_scores, nearest


@njit(**HELPER_OPTIONS)
def _describe(image, r0, c0, p, out):
    """Descriptor of the patch at (r0, c0) into ``out``.

    The pixels flattened (row, col, channel), minus their mean, over their L2 norm (all
    zeros for a flat patch).
    """
    C = image.shape[2]
    mean = 0.0
    for r in range(p):
        for c in range(p):
            for ch in range(C):
                mean += np.float64(image[r0 + r, c0 + c, ch])
    mean /= p * p * C
    norm = 0.0
    for r in range(p):
        for c in range(p):
            for ch in range(C):
                d = np.float64(image[r0 + r, c0 + c, ch]) - mean
                norm += d * d
    scale = 1.0 / np.sqrt(norm) if norm > 0.0 else 0.0
    # normalized in float64 before the float32 store: large pixels never overflow ``out``
    t = 0
    for r in range(p):
        for c in range(p):
            for ch in range(C):
                out[t] = (np.float64(image[r0 + r, c0 + c, ch]) - mean) * scale
                t += 1


@njit(**HELPER_OPTIONS)
def _integral(image, sums, squares):
    """Summed-area tables of the pixels (all channels) and of their squares, float64.

    For integer pixels both are exact, so a patch's mean and norm come from four lookups
    each, exactly, instead of two passes over its pixels.
    """
    H, W, C = image.shape
    sums[0, :] = 0.0
    squares[0, :] = 0.0
    for r in range(H):
        sums[r + 1, 0] = 0.0
        squares[r + 1, 0] = 0.0
        row_sum = 0.0
        row_sq = 0.0
        for c in range(W):
            for ch in range(C):
                x = np.float64(image[r, c, ch])
                row_sum += x
                row_sq += x * x
            sums[r + 1, c + 1] = sums[r, c + 1] + row_sum
            squares[r + 1, c + 1] = squares[r, c + 1] + row_sq


@njit(**HELPER_OPTIONS)
def _describe_exact_sums(image, r0, c0, p, sums, squares, out):
    """:func:`_describe` for integer pixels, with the mean and norm from the tables."""
    H, W, C = image.shape
    n = p * p * C
    r1, c1 = r0 + p, c0 + p
    total = sums[r1, c1] - sums[r0, c1] - sums[r1, c0] + sums[r0, c0]
    total_sq = squares[r1, c1] - squares[r0, c1] - squares[r1, c0] + squares[r0, c0]
    mean = total / n
    norm_sq = total_sq - total * mean  # sum((x - mean)^2), exact up to the last rounding
    scale = 1.0 / np.sqrt(norm_sq) if norm_sq > 0.0 else 0.0
    flat = image.reshape(-1)
    width = p * C  # a patch row is contiguous in the image: one loop over it vectorizes
    for r in range(p):
        src = ((r0 + r) * W + c0) * C
        dst = r * width
        for t in range(width):
            out[dst + t] = (np.float64(flat[src + t]) - mean) * scale


@njit(**HELPER_OPTIONS)
def _describe_image(image, p, stride, positions, exact_sums, sums, squares, out):
    n_cols = (image.shape[1] - p) // stride + 1
    if exact_sums:
        _integral(image, sums, squares)
    for q in range(positions.shape[0]):
        pos = positions[q]
        r0, c0 = (pos // n_cols) * stride, (pos % n_cols) * stride
        if exact_sums:
            _describe_exact_sums(image, r0, c0, p, sums, squares, out[q])
        else:
            _describe(image, r0, c0, p, out[q])


@njit(**HELPER_OPTIONS)
def _count_nearest(desc, rows, words, w_sq, S, counts):
    """Add one to ``counts[w]`` for each row of ``desc`` whose nearest word is ``w``."""
    n = desc.shape[0]
    for b in range(0, n, BLOCK_ROWS):
        n_rows = min(BLOCK_ROWS, n - b)
        block_scores(desc, rows, b, n_rows, words, S)
        for r in range(n_rows):
            counts[nearest(S, r, w_sq)] += 1


@njit(**PARALLEL_OPTIONS)
def describe_patches_kernel(images, p, stride, positions, exact_sums, out):
    """``out[n, q]`` = descriptor of patch ``positions[n, q]`` of image n (row-major order).

    ``exact_sums``: the pixels are integers (summed-area tables are exact for them).
    """
    N, H, W, _ = images.shape
    for n in prange(N):
        sums = np.empty((H + 1, W + 1))
        squares = np.empty((H + 1, W + 1))
        _describe_image(images[n], p, stride, positions[n], exact_sums, sums, squares, out[n])


@njit(**PARALLEL_OPTIONS)
def encode_patches_kernel(images, p, stride, exact_sums, words, w_sq, chunks, counts):
    """Nearest-word counts of every patch of every image: ``counts[n, w]``."""
    N, H, W, C = images.shape
    n_pos = ((H - p) // stride + 1) * ((W - p) // stride + 1)
    for ch in prange(chunks):
        desc = np.empty((n_pos, p * p * C), dtype=words.dtype)
        S = np.empty((BLOCK_ROWS, words.shape[0]), dtype=words.dtype)
        sums = np.empty((H + 1, W + 1))
        squares = np.empty((H + 1, W + 1))
        positions = np.arange(n_pos)
        for n in range(ch * N // chunks, (ch + 1) * N // chunks):
            _describe_image(images[n], p, stride, positions, exact_sums, sums, squares, desc)
            _count_nearest(desc, positions, words, w_sq, S, counts[n])


@njit(**PARALLEL_OPTIONS)
def encode_descriptors_kernel(desc, words, w_sq, counts):
    """Nearest-word counts of precomputed descriptors ``desc`` (N, n_pos, D)."""
    rows = np.arange(desc.shape[1])
    for n in prange(desc.shape[0]):
        S = np.empty((BLOCK_ROWS, words.shape[0]), dtype=words.dtype)
        _count_nearest(desc[n], rows, words, w_sq, S, counts[n])


@njit(**PARALLEL_OPTIONS)
def encode_cells_kernel(desc, words_T, w_sq, cells, triangle, out):
    """Codes of every descriptor of image n (a ``prange`` iteration) added to its cells of ``out[n]``.

    The distances come from one GEMM per image (``desc[n] @ words.T``, BLAS on one thread:
    the caller pins it) and the descriptors' squared norms, in float64.
    """
    N, m, D = desc.shape
    K = words_T.shape[1]
    for n in prange(N):
        scores = np.dot(desc[n], words_T)  # (m, K) float32
        z = np.empty(K)
        for q in range(m):
            x_sq = 0.0
            for d in range(D):
                v = np.float64(desc[n, q, d])
                x_sq += v * v
            if triangle:
                total = 0.0
                for k in range(K):
                    z[k] = np.sqrt(max(x_sq + w_sq[k] - 2.0 * np.float64(scores[q, k]), 0.0))
                    total += z[k]
                mean = total / K
                for level in range(cells.shape[1]):
                    row = out[n, cells[q, level]]
                    for k in range(K):
                        row[k] += max(0.0, mean - z[k])
            else:
                best = 0
                best_d = np.inf
                for k in range(K):
                    d2 = w_sq[k] - 2.0 * np.float64(scores[q, k])
                    if d2 < best_d:
                        best, best_d = k, d2
                for level in range(cells.shape[1]):
                    out[n, cells[q, level], best] += 1.0


def _word_norms(words):
    return np.einsum("ij,ij->i", words, words, dtype=np.float64)


def describe_patches(images, p, stride, positions):
    out = np.empty((images.shape[0], positions.shape[1], p * p * images.shape[3]), dtype=np.float32)
    describe_patches_kernel(images, p, stride, positions, images.dtype == np.uint8, out)
    return out


def encode_patches(images, p, stride, words):
    counts = np.zeros((images.shape[0], words.shape[0]), dtype=np.int64)
    exact = images.dtype == np.uint8
    chunks = n_chunks(images.shape[0], "images")
    encode_patches_kernel(images, p, stride, exact, words, _word_norms(words), chunks, counts)
    return counts


def count_nearest_words(desc, words):
    counts = np.zeros((desc.shape[0], words.shape[0]), dtype=np.int64)
    encode_descriptors_kernel(desc, words, _word_norms(words), counts)
    return counts


def encode_cells(desc, words, cells, n_cells, triangle):
    out = np.zeros((desc.shape[0], n_cells, words.shape[0]), dtype=np.float32)
    words_T = np.ascontiguousarray(words.T, dtype=np.float32)
    with single_threaded_blas():
        encode_cells_kernel(np.ascontiguousarray(desc, dtype=np.float32), words_T, _word_norms(words), cells,
                            bool(triangle), out)  # fmt: skip
    return out
