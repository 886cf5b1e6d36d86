"""Local binary patterns one pixel at a time: the readable reference of scikit-image's.

Every tier exposes::

    lbp_codes(images, P, R, method)                      -> (N, H, W) float64
    lbp_histograms(images, P, R, method, cells, n_bins)  -> (N, cells[0], cells[1], n_bins) int64

``images`` is (N, H, W), uint8 or float64 (uint8 converts exactly; each tier does it
itself). ``method`` is one of :data:`fastlin._spec.LBP_METHODS`, by its index. The
steps, as ``skimage.feature.local_binary_pattern`` takes them:

1. ``P`` sample points on a circle of radius ``R`` around each pixel, at row offset
   ``round(-R sin(2 pi p / P), 5)`` and column offset ``round(R cos(2 pi p / P), 5)``;
2. each sample's value by bilinear interpolation between the four pixels around it, pixels
   outside the image counting as 0;
3. the bits ``sample_p >= centre``; ``default``: ``sum bit_p 2^p``; ``ror``: the smallest of
   the P bit rotations of that number; ``uniform``: the number of ones when the bits change
   at most twice along p = 0 .. P-1 (not around the circle), else ``P + 1``;
   ``nri_uniform``: each uniform pattern numbered by its ones and rotation, the others
   ``P (P - 1) + 2``; ``var``: the variance of the samples (NaN where it is 0).

``lbp_histograms`` counts the (integer) codes of each cell of a ``cells`` grid (cell ``i``
holds rows ``[i H // n, (i + 1) H // n)``, columns likewise) into ``n_bins`` bins.
"""

import math

import numpy as np

from fastlin._spec import LBP_METHODS, lbp_offsets, lbp_uniform_code


def _pixel(image, r, c):
    H, W = image.shape
    return image[r, c] if 0 <= r < H and 0 <= c < W else 0.0


def _sample(image, r, c):
    """Bilinear interpolation at (r, c), scikit-image's formula and order of operations."""
    r0, c0 = math.floor(r), math.floor(c)
    r1, c1 = math.ceil(r), math.ceil(c)
    dr, dc = r - r0, c - c0
    top = (1 - dc) * _pixel(image, r0, c0) + dc * _pixel(image, r0, c1)
    bottom = (1 - dc) * _pixel(image, r1, c0) + dc * _pixel(image, r1, c1)
    return (1 - dr) * top + dr * bottom


def _code(samples, centre, P, method):
    name = LBP_METHODS[method]
    if name == "var":
        total = sum(samples)
        squares = sum(s * s for s in samples)
        var = (squares - total * total / P) / P
        return var if var != 0 else math.nan
    bits = [1 if s - centre >= 0 else 0 for s in samples]
    if name in ("default", "ror"):
        value = sum(b << p for p, b in enumerate(bits))
        if name == "ror":
            rotations = [value]
            for _ in range(P - 1):
                v = rotations[-1]
                rotations.append((v >> 1) | ((v & 1) << (P - 1)))
            value = min(rotations)
        return float(value)
    changes = sum(bits[p] != bits[p + 1] for p in range(P - 1))
    first_one = bits.index(1) if 1 in bits else -1
    first_zero = bits.index(0) if 0 in bits else -1
    return lbp_uniform_code(sum(bits), changes, first_one, first_zero, P, name == "nri_uniform")


def lbp_codes(images, P, R, method):
    images = images.astype(np.float64, copy=False)  # uint8 arrives as it is
    rows, cols = lbp_offsets(P, R)
    out = np.empty(images.shape)
    for n, image in enumerate(images):
        for r in range(image.shape[0]):
            for c in range(image.shape[1]):
                samples = [_sample(image, r + rows[p], c + cols[p]) for p in range(P)]
                out[n, r, c] = _code(samples, image[r, c], P, method)
    return out


def lbp_histograms(images, P, R, method, cells, n_bins):
    codes = lbp_codes(images, P, R, method)
    N, H, W = images.shape
    g_row, g_col = cells
    counts = np.zeros((N, g_row, g_col, n_bins), dtype=np.int64)
    for n in range(N):
        for i in range(g_row):
            for j in range(g_col):
                for r in range(i * H // g_row, (i + 1) * H // g_row):
                    for c in range(j * W // g_col, (j + 1) * W // g_col):
                        counts[n, i, j, int(codes[n, r, c])] += 1
    return counts
