"""CS231n's colour histogram, one pixel at a time.

Every tier exposes::

    color_histogram_hsv_batch(images, nbin, xmin, xmax, normalized) -> (N, nbin) float64

``images`` is (N, H, W, 3) RGB of uint8, float32 or float64 with values in ``[0, xmax]``.
The definition (CS231n ``color_histogram_hsv``): the hue of
``matplotlib.colors.rgb_to_hsv(im / xmax)``, times ``xmax``, counted in the bins of
``np.histogram(hue, bins=np.linspace(xmin, xmax, nbin + 1))`` (bin ``i`` is
``[e_i, e_{i+1})``, the last bin also holds ``e_nbin``; values outside are not counted).
With ``normalized`` the counts become fractions (``density=True`` times the bin widths);
without, CS231n's code still multiplies the counts by the bin widths, and so do we. An image
with no pixel in ``[xmin, xmax]`` gets an all-zero histogram (NumPy would give NaN).
Arithmetic runs in float32 for float32 images (as matplotlib does) and in float64 otherwise.
"""

import numpy as np

from fastlin._spec import color_bin_edges, histogram_from_counts, working_dtype


def hue(r, g, b):
    """Matplotlib's hue in [0, 1) of one pixel; where channels tie, blue wins, then green."""
    top = max(r, g, b)
    delta = top - min(r, g, b)
    h = r - r  # a zero of the working dtype
    if delta > 0:
        if b == top:
            h = 4 + (r - g) / delta
        elif g == top:
            h = 2 + (b - r) / delta
        else:
            h = (g - b) / delta
    return (h / 6) % 1


def bin_index(value, edges):
    """np.histogram's bin of ``value`` for sorted ``edges``, or -1 outside them."""
    n = len(edges) - 1
    if value == edges[n]:
        return n - 1
    for i in range(n):
        if edges[i] <= value < edges[i + 1]:
            return i
    return -1


def color_histogram_hsv_batch(images, nbin, xmin, xmax, normalized):
    dtype = working_dtype(images.dtype)
    scale = dtype(xmax)
    edges = color_bin_edges(nbin, xmin, xmax)
    counts = np.zeros((images.shape[0], nbin))
    for n, image in enumerate(images):
        for row in image:
            for pixel in row:
                r, g, b = (dtype(channel) / scale for channel in pixel)
                i = bin_index(hue(r, g, b) * scale, edges)
                if i >= 0:
                    counts[n, i] += 1
    return histogram_from_counts(counts, edges, normalized)
