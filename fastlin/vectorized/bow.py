"""Bag-of-visual-words encoding in whole-array NumPy. The contract of :mod:`fastlin.naive.bow`."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _all_patches(images, p, stride):
    """(N, n_pos, p*p*C) float32 descriptors of every patch, in row-major grid order."""
    windows = sliding_window_view(images, (p, p), axis=(1, 2))[:, ::stride, ::stride]  # N, R, Cc, C, p, p
    N, R, Cc = windows.shape[:3]
    patches = np.moveaxis(windows, 3, -1).reshape(N, R * Cc, -1).astype(np.float64)  # (row, col, channel)
    patches -= patches.mean(axis=2, keepdims=True)
    norm = np.sqrt((patches**2).sum(axis=2, keepdims=True))
    return (patches / np.where(norm > 0, norm, np.inf)).astype(np.float32)


def describe_patches(images, p, stride, positions):
    return np.take_along_axis(_all_patches(images, p, stride), positions[:, :, None], axis=1)


def count_nearest_words(desc, words):
    N, n_pos, _ = desc.shape
    w_sq = np.einsum("ij,ij->i", words, words, dtype=np.float64)
    nearest = np.argmin(w_sq[None, :] - 2.0 * (desc.reshape(N * n_pos, -1) @ words.T), axis=1)
    return np.stack([np.bincount(row, minlength=len(words)) for row in nearest.reshape(N, n_pos)]).astype(np.int64)


def encode_patches(images, p, stride, words):
    return count_nearest_words(_all_patches(images, p, stride), words)


def encode_cells(desc, words, cells, n_cells, triangle):
    N, m, _ = desc.shape
    x = desc.reshape(N * m, -1).astype(np.float64)
    w = words.astype(np.float64)
    d2 = (x * x).sum(axis=1)[:, None] + (w * w).sum(axis=1)[None, :] - 2.0 * (x @ w.T)
    if triangle:
        z = np.sqrt(np.maximum(d2, 0.0))
        codes = np.maximum(0.0, z.mean(axis=1, keepdims=True) - z)
    else:
        codes = np.zeros_like(d2)
        codes[np.arange(len(d2)), np.argmin(d2, axis=1)] = 1.0
    codes = codes.reshape(N, m, -1)
    out = np.zeros((N, n_cells, words.shape[0]))
    for level in range(cells.shape[1]):
        for cell in np.unique(cells[:, level]):
            out[:, cell] += codes[:, cells[:, level] == cell].sum(axis=1)
    return out.astype(np.float32)
