"""Single-layer k-means features in NumPy, a block of images at a time.

The contract of :mod:`fastlin.naive.kmeans_features`, written as NumPy code would: the patches of a
block of images become one matrix, whitened and scored against the centroids by two matrix
products, then pooled.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: images per block: their patches and distances stay a few hundred MB at most
BLOCK_IMAGES = 32


def _patches(images, p, stride, eps):
    windows = sliding_window_view(images, (p, p), axis=(1, 2))[:, ::stride, ::stride]  # B, R, Q, C, p, p
    B, R, Q = windows.shape[:3]
    x = np.moveaxis(windows, 3, -1).reshape(B * R * Q, -1).astype(np.float32)  # (row, col, channel)
    if eps is not None:
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=1, keepdims=True)
        scale = 1.0 / np.sqrt(x64.var(axis=1, ddof=1, keepdims=True) + eps)
        x = ((x64 - mean) * scale).astype(np.float32)
    return x, R, Q


def _pool_index(R, Q, grid):
    rows, cols = grid
    i, j = np.divmod(np.arange(R * Q), Q)
    return (i * rows // R) * cols + j * cols // Q


def encode_pooled(images, p, stride, eps, shift, whiten, centroids, encoding, alpha, grid):
    N = images.shape[0]
    K = centroids.shape[0] * (2 if encoding == "soft-split" else 1)
    n_cells = grid[0] * grid[1]
    c_sq = np.einsum("ij,ij->i", centroids, centroids)
    out = np.zeros((N, n_cells, K), dtype=np.float32)
    for start in range(0, N, BLOCK_IMAGES):
        block = images[start : start + BLOCK_IMAGES]
        x, R, Q = _patches(block, p, stride, eps)
        w = (x - shift) @ whiten
        scores = w @ centroids.T
        d2 = np.einsum("ij,ij->i", w, w)[:, None] + c_sq[None, :] - 2.0 * scores
        if encoding == "soft":
            codes = np.maximum(scores - np.float32(alpha), 0.0)
        elif encoding == "soft-split":
            codes = np.concatenate([np.maximum(scores - np.float32(alpha), 0.0),
                                    np.maximum(-scores - np.float32(alpha), 0.0)], axis=1)  # fmt: skip
        elif encoding == "triangle":
            z = np.sqrt(np.maximum(d2, 0.0))
            codes = np.maximum(z.mean(axis=1, keepdims=True) - z, 0.0)
        else:
            codes = np.zeros_like(d2)
            codes[np.arange(len(d2)), np.argmin(d2, axis=1)] = 1.0
        cells = _pool_index(R, Q, grid)
        codes = codes.reshape(len(block), R * Q, K)
        for cell in range(n_cells):
            out[start : start + len(block), cell] = codes[:, cells == cell].sum(axis=1)
    return out
