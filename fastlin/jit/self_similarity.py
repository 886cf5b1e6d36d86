"""Local self-similarity kernels. The contract of :mod:`fastlin.naive.self_similarity`.

Parallel over (image, row of points). For each offset of the large window the kernel sums
the squared differences down the small patch's columns once for the whole row, then slides
along them: ``small_size + 2`` additions a point and offset instead of ``small_size**2``
multiply-adds. The sums are integers (exact), so every tier has the same SSD bits.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import PARALLEL_OPTIONS
from fastlin._spec import ssim_grid, ssim_log_polar_bins


@njit(**PARALLEL_OPTIONS)
def self_similarity_kernel(images, step, r0, r1, bins, n_bins, rows, cols, out):
    N = images.shape[0]
    border = r0 + r1
    big = np.finfo(np.float32).max
    first = border - r1  # the first column a row's patches reach
    width = (cols - 1) * step + 2 * r1 + 1
    for item in prange(N * rows):
        i, r = item // rows, item % rows
        py = border + r * step
        feature = np.full((cols, n_bins + 1), big, dtype=np.float32)
        var_noise = np.full(cols, np.float32(1000))
        colsum = np.empty(width, dtype=np.int64)
        for u in range(-r0, r0 + 1):
            for v in range(-r0, r0 + 1):
                for j in range(width):
                    x = first + j
                    total = 0
                    for dy in range(-r1, r1 + 1):
                        d = np.int64(images[i, py + u + dy, x + v]) - np.int64(images[i, py + dy, x])
                        total += d * d
                    colsum[j] = total
                b = bins[u + r0, v + r0]
                central = abs(u) <= 1 and abs(v) <= 1
                for c in range(cols):
                    total = 0
                    for j in range(c * step, c * step + 2 * r1 + 1):
                        total += colsum[j]
                    ssd = np.float32(total)
                    if ssd < feature[c, b]:
                        feature[c, b] = ssd
                    if central and ssd > var_noise[c]:
                        var_noise[c] = ssd
        for c in range(cols):
            scale = np.float32(-1) / var_noise[c]
            for k in range(n_bins):
                out[i, r * cols + c, k] = np.exp(feature[c, k] * scale)


def self_similarity_batch(images, step, small_size, large_size, angles, start_bucket, distance_buckets):
    N, H, W = images.shape
    bins = ssim_log_polar_bins(large_size, angles, start_bucket, distance_buckets)
    n_bins = angles * (distance_buckets - start_bucket)
    r0, r1 = large_size // 2, small_size // 2
    border, rows, cols = ssim_grid(H, W, step, small_size, large_size)
    out = np.empty((N, rows * cols, n_bins), dtype=np.float32)
    if rows * cols:
        self_similarity_kernel(images, step, r0, r1, bins, n_bins, rows, cols, out)
    return out
