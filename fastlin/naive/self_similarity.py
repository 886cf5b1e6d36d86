"""Local self-similarity (Shechtman and Irani 2007), a transcription of OpenCV 2.4's ``SelfSimDescriptor``.

Every tier exposes::

    self_similarity_batch(images, step, small_size, large_size, angles, start_bucket, distance_buckets)
        -> (N, rows * cols, angles * (distance_buckets - start_bucket)) float32

``images`` is (N, H, W) uint8, gray. As ``SelfSimDescriptor::compute`` with ``winStride =
(step, step)`` and no locations: with ``border = large_size // 2 + small_size // 2``, the
points are ``(x, y) = (border + c * step, border + r * step)``, ``r`` over ``rows = (H - 2 *
border + step - 1) // step`` and ``c`` likewise over ``cols``, in row-major order. At each:

1. the SSD surface: for every offset (u, v) within ``large_size // 2``, the sum over the
   ``small_size`` x ``small_size`` patch of the squared differences between the patch
   moved by (u, v) and the patch at the point (integer arithmetic, then float32);
2. ``var = max(1000, the largest SSD of the 3 x 3 offsets around (0, 0))``;
3. each log-polar bin (``fastlin._spec.ssim_log_polar_bins``) takes the smallest SSD of its
   offsets (a bin without any keeps float32's largest value);
4. the descriptor is ``exp(smallest * (-1 / var))``, in float32.
"""

import numpy as np

from fastlin._spec import ssim_grid, ssim_log_polar_bins


def _descriptor(img, py, px, r0, r1, bins, n_bins):
    centre = img[py - r1 : py + r1 + 1, px - r1 : px + r1 + 1]
    ssd = np.empty((2 * r0 + 1, 2 * r0 + 1), dtype=np.float32)
    for y in range(-r0, r0 + 1):
        for x in range(-r0, r0 + 1):
            moved = img[py + y - r1 : py + y + r1 + 1, px + x - r1 : px + x + r1 + 1]
            ssd[y + r0, x + r0] = np.float32(np.sum((moved - centre) ** 2))
    var_noise = max(np.float32(1000), np.max(ssd[r0 - 1 : r0 + 2, r0 - 1 : r0 + 2]))
    feature = np.full(n_bins + 1, np.finfo(np.float32).max, dtype=np.float32)
    for y in range(2 * r0 + 1):
        for x in range(2 * r0 + 1):
            feature[bins[y, x]] = min(feature[bins[y, x]], ssd[y, x])
    return np.exp(feature[:n_bins] * (np.float32(-1) / var_noise))


def self_similarity_batch(images, step, small_size, large_size, angles, start_bucket, distance_buckets):
    N, H, W = images.shape
    bins = ssim_log_polar_bins(large_size, angles, start_bucket, distance_buckets)
    n_bins = angles * (distance_buckets - start_bucket)
    border, rows, cols = ssim_grid(H, W, step, small_size, large_size)
    out = np.empty((N, rows * cols, n_bins), dtype=np.float32)
    for i in range(N):
        img = images[i].astype(np.int64)
        for r in range(rows):
            for c in range(cols):
                py, px = border + r * step, border + c * step
                out[i, r * cols + c] = _descriptor(img, py, px, large_size // 2, small_size // 2, bins, n_bins)
    return out
