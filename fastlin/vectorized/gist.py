"""GIST with NumPy: the batch through ``numpy.fft``, every filter of a chunk of images at once."""

import numpy as np

from fastlin._spec import gist_block_edges, gist_gabor, gist_padded, gist_prefiltered, gist_rescaled

#: complex values of filter responses held at once (64 MiB of complex128)
CHUNK_VALUES = 1 << 22


def block_means(magnitude, row_edges, col_edges):
    """(n, K, H, W) -> (n, K * B * B): ``downN`` per filter, blocks in column-major order."""
    sums = np.add.reduceat(np.add.reduceat(magnitude, row_edges[:-1], axis=2), col_edges[:-1], axis=3)
    areas = np.diff(row_edges)[:, None] * np.diff(col_edges)[None, :]
    means = sums / areas
    return means.transpose(0, 1, 3, 2).reshape(len(means), -1)


def _lowpass(x, gf):
    return np.fft.ifft2(np.fft.fft2(x) * gf)


def gist_batch(images, orientations, blocks, prefilter, boundary):
    N, H, W = images.shape
    b = boundary
    G = gist_gabor(tuple(orientations), (H + 2 * b, W + 2 * b))
    row_edges, col_edges = gist_block_edges(H, blocks), gist_block_edges(W, blocks)
    out = np.empty((N, len(G) * blocks * blocks), dtype=np.float32)
    chunk = max(1, CHUNK_VALUES // G.size)
    for start in range(0, N, chunk):
        x = gist_rescaled(images[start : start + chunk])
        spectrum = np.fft.fft2(gist_padded(gist_prefiltered(x, prefilter, _lowpass), b))
        magnitude = np.abs(np.fft.ifft2(spectrum[:, None] * G[None]))[..., b : b + H, b : b + W]
        out[start : start + len(x)] = block_means(magnitude, row_edges, col_edges)
    return out
