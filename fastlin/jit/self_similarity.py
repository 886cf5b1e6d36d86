"""Local self-similarity kernels. The contract of :mod:`fastlin.naive.self_similarity`.

Parallel over (image, band of point rows). For each offset (u, v) of the large window the kernel squares the
differences between the image and the image moved by (u, v) once for every pixel the
points' patches cover, sums them down each column over a patch's height, then along the
rows over its width at the points only: the SSD of every point for that offset in a few
additions a pixel, contiguous and vectorized, where the descriptor's own loop takes
``small_size**2`` per point. The sums are integers (exact), so every tier has the same SSD
bits; each point's bins keep their minimum as the offsets go by, and the ``exp`` of the
last step runs as one NumPy call over the batch.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import PARALLEL_OPTIONS
from fastlin._spec import ssim_grid, ssim_log_polar_bins

#: rows of points a work item takes: a single large image still splits among the threads
BAND_ROWS = 8


@njit(**PARALLEL_OPTIONS)
def self_similarity_kernel(images, step, r0, r1, bins, n_bins, rows, cols, out):
    """``out[i, point]``: ``-smallest / var`` per bin, whose ``exp`` is the descriptor."""
    N, H, W = images.shape
    k = 2 * r1 + 1
    w = W - 2 * r0  # the columns the points' patches cover, from r0
    n_bands = (rows + BAND_ROWS - 1) // BAND_ROWS
    big = np.finfo(np.float32).max
    for item in prange(N * n_bands):
        i, band = item // n_bands, item % n_bands
        first, last = band * BAND_ROWS, min(rows, (band + 1) * BAND_ROWS)  # its rows of points
        y0 = first * step  # its first patch row, from r0
        h = (last - 1 - first) * step + k  # the patch rows it covers
        img = images[i].astype(np.int32)
        feature = np.full((n_bins + 1, last - first, cols), big, dtype=np.float32)  # a bin's row contiguous
        var_noise = np.full((last - first, cols), np.float32(1000))
        sq = np.empty((h, w), dtype=np.int32)
        down = np.empty((h - k + 1, w), dtype=np.int32)
        for u in range(-r0, r0 + 1):
            for v in range(-r0, r0 + 1):
                for y in range(h):
                    for x in range(w):
                        d = img[r0 + y0 + u + y, r0 + v + x] - img[r0 + y0 + y, r0 + x]
                        sq[y, x] = d * d
                down[0, :] = 0
                for dy in range(k):
                    for x in range(w):
                        down[0, x] += sq[dy, x]
                for y in range(1, h - k + 1):
                    for x in range(w):
                        down[y, x] = down[y - 1, x] + sq[y + k - 1, x] - sq[y - 1, x]
                b = bins[u + r0, v + r0]
                central = abs(u) <= 1 and abs(v) <= 1
                for r in range(last - first):
                    for c in range(cols):
                        total = 0
                        for dx in range(k):
                            total += down[r * step, c * step + dx]
                        ssd = np.float32(total)
                        feature[b, r, c] = min(feature[b, r, c], ssd)
                        if central:
                            var_noise[r, c] = max(var_noise[r, c], ssd)
        for r in range(last - first):
            for c in range(cols):
                scale = np.float32(-1) / var_noise[r, c]
                for j in range(n_bins):
                    out[i, (first + r) * cols + c, j] = feature[j, r, c] * scale


def self_similarity_batch(images, step, small_size, large_size, angles, start_bucket, distance_buckets):
    N, H, W = images.shape
    bins = ssim_log_polar_bins(large_size, angles, start_bucket, distance_buckets)
    n_bins = angles * (distance_buckets - start_bucket)
    border, rows, cols = ssim_grid(H, W, step, small_size, large_size)
    out = np.empty((N, rows * cols, n_bins), dtype=np.float32)
    if rows * cols:
        self_similarity_kernel(images, step, large_size // 2, small_size // 2, bins, n_bins, rows, cols, out)
        np.exp(out, out=out)  # NumPy's SIMD exp: a loop of expf took half the kernel's time
    return out
