"""Colour-histogram kernels: hue and bin fused, one pass over the pixels.

Same signature as :mod:`fastlin.naive.color`. No fastmath: exact comparisons (which channel
is the maximum, which bin a hue falls in) decide the counts. A batch runs ``prange`` over
images; a single image runs ``prange`` over chunks of rows with one count buffer per chunk.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import EXACT_HELPER_OPTIONS, EXACT_PARALLEL_OPTIONS
from fastlin._spec import color_bin_edges, histogram_from_counts, n_chunks, working_dtype


@njit(**EXACT_HELPER_OPTIONS)
def _hues(image, row, scale, table, rgb, values):
    """``values[col]`` = matplotlib's hue of pixel (row, col), times ``scale``.

    Two loops: the first gathers the row's channels, divided by ``scale``, into ``rgb``
    (``table[v] = v / scale`` for uint8 images: the same divisions, done 256 times instead of
    three times a pixel; empty otherwise); the second computes the hues with selects only, no
    branches and no lookups, so it vectorizes (one fused loop did not).
    """
    one = scale / scale  # constants in the working dtype: a float64 literal would promote float32
    two, four, six = one + one, one + one + one + one, (one + one) * (one + one + one)
    zero = one - one
    W = image.shape[1]
    if table.shape[0] > 0:
        for col in range(W):
            rgb[0, col] = table[np.intp(image[row, col, 0])]
            rgb[1, col] = table[np.intp(image[row, col, 1])]
            rgb[2, col] = table[np.intp(image[row, col, 2])]
    else:
        for col in range(W):
            rgb[0, col] = image[row, col, 0] / scale
            rgb[1, col] = image[row, col, 1] / scale
            rgb[2, col] = image[row, col, 2] / scale
    reds, greens, blues = rgb[0], rgb[1], rgb[2]
    for col in range(W):
        r, g, b = reds[col], greens[col], blues[col]
        top = max(r, max(g, b))
        delta = top - min(r, min(g, b))
        # matplotlib's three cases: blue wins ties, then green
        blue_top = b == top
        green_top = g == top
        base = four if blue_top else (two if green_top else zero)
        num = r - g if blue_top else (b - r if green_top else g - b)
        h = base + num / (delta if delta > 0 else one)
        h = h if delta > 0 else zero
        h = h / six  # in [-1/6, 5/6]: Python's h % 1 is h + 1 below 0, +0.0 at -0.0
        h = h + one if h < 0 else (h if h != 0 else zero)
        values[col] = h * scale


@njit(**EXACT_HELPER_OPTIONS)
def _count_rows(image, r0, r1, scale, table, edges, rgb, values, counts):
    """Add the bins of rows [r0, r1) of one (H, W, 3) image to ``counts`` (nbin + 1 slots)."""
    n = edges.shape[0] - 1
    lo, hi = edges[0], edges[n]
    guess = n / (hi - lo)
    for row in range(r0, r1):
        _hues(image, row, scale, table, rgb, values)
        for col in range(image.shape[1]):
            value = values[col]
            if not lo <= value <= hi:  # NaN included: never an index
                counts[n] += 1  # outside every bin
                continue
            # The guess from equal widths is off by one bin at most (only for a value within
            # rounding of an edge of np.linspace's edges); the exact edges correct it. The
            # clamp keeps the index inside the buffer whatever the arithmetic gives.
            i = max(0, min(int((value - lo) * guess), n - 1))
            i -= value < edges[i]
            i += (i < n - 1) & (value >= edges[i + 1])
            counts[i] += 1


@njit(**EXACT_PARALLEL_OPTIONS)
def count_images_kernel(images, scale, table, edges, n_chunks, counts):
    N = images.shape[0]
    for k in prange(n_chunks):
        values = np.empty(images.shape[2], dtype=table.dtype)
        rgb = np.empty((3, images.shape[2]), dtype=table.dtype)
        for n in range(k * N // n_chunks, (k + 1) * N // n_chunks):
            _count_rows(images[n], 0, images.shape[1], scale, table, edges, rgb, values, counts[n])


@njit(**EXACT_PARALLEL_OPTIONS)
def count_image_kernel(image, scale, table, edges, n_chunks, counts):
    partial = np.zeros((n_chunks, counts.shape[0]), dtype=counts.dtype)
    H = image.shape[0]
    for k in prange(n_chunks):
        values = np.empty(image.shape[1], dtype=table.dtype)
        rgb = np.empty((3, image.shape[1]), dtype=table.dtype)
        _count_rows(image, k * H // n_chunks, (k + 1) * H // n_chunks, scale, table, edges, rgb, values, partial[k])
    for k in range(n_chunks):
        counts += partial[k]


def color_histogram_hsv_batch(images, nbin, xmin, xmax, normalized):
    dtype = working_dtype(images.dtype)
    scale = dtype(xmax)
    table = np.arange(256, dtype=dtype) / scale if images.dtype == np.uint8 else np.empty(0, dtype)
    edges = color_bin_edges(nbin, xmin, xmax)
    counts = np.zeros((images.shape[0], nbin + 1), dtype=np.int64)
    if images.shape[0] == 1:
        count_image_kernel(images[0], scale, table, edges, n_chunks(images.shape[1], "images"), counts[0])
    else:
        count_images_kernel(images, scale, table, edges, n_chunks(images.shape[0], "images"), counts)
    counts = counts[:, :nbin].astype(np.float64)
    return histogram_from_counts(counts, edges, normalized)
