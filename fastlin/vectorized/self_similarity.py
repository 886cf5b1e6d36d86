"""Local self-similarity with NumPy: the SSD of every point at once, one offset at a time, by box sums."""

import numpy as np

from fastlin._spec import ssim_grid, ssim_log_polar_bins


def self_similarity_batch(images, step, small_size, large_size, angles, start_bucket, distance_buckets):
    N, H, W = images.shape
    bins = ssim_log_polar_bins(large_size, angles, start_bucket, distance_buckets)
    n_bins = angles * (distance_buckets - start_bucket)
    r0, r1 = large_size // 2, small_size // 2
    border, rows, cols = ssim_grid(H, W, step, small_size, large_size)
    img = images.astype(np.int64)
    # the patches' pixels: rows r0 .. H - r0 of the image (the points' rows +- r1)
    h, w = H - 2 * r0, W - 2 * r0
    base = img[:, r0 : r0 + h, r0 : r0 + w]
    feature = np.full((N, rows, cols, n_bins + 1), np.finfo(np.float32).max, dtype=np.float32)
    var_noise = np.full((N, rows, cols), 1000, dtype=np.float32)
    for u in range(-r0, r0 + 1):
        for v in range(-r0, r0 + 1):
            sq = (img[:, r0 + u : r0 + u + h, r0 + v : r0 + v + w] - base) ** 2
            box = np.pad(sq.cumsum(axis=1).cumsum(axis=2), ((0, 0), (1, 0), (1, 0)))
            k = 2 * r1 + 1
            ssd = (box[:, k:, k:] - box[:, :-k, k:] - box[:, k:, :-k] + box[:, :-k, :-k]).astype(np.float32)
            ssd = ssd[:, : (rows - 1) * step + 1 : step, : (cols - 1) * step + 1 : step]
            b = bins[u + r0, v + r0]
            np.minimum(feature[..., b], ssd, out=feature[..., b])
            if abs(u) <= 1 and abs(v) <= 1:
                np.maximum(var_noise, ssd, out=var_noise)
    scale = np.float32(-1) / var_noise
    out = np.exp(feature[..., :n_bins] * scale[..., None])
    return out.reshape(N, rows * cols, n_bins)
