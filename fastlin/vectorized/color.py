"""CS231n's colour histogram in whole-array NumPy. Same signature as :mod:`fastlin.naive.color`."""

import numpy as np

from fastlin._spec import color_bin_edges, histogram_from_counts, working_dtype


def hues(images, xmax):
    """Matplotlib's ``rgb_to_hsv(images / xmax)[..., 0]`` for a batch, in the working dtype."""
    dtype = working_dtype(images.dtype)
    rgb = images.astype(dtype) / dtype(xmax)
    top = rgb.max(axis=-1)
    delta = top - rgb.min(axis=-1)
    safe = np.where(delta > 0, delta, 1)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    h = np.zeros_like(top)
    h = np.where(r == top, (g - b) / safe, h)  # later rules win ties, as in matplotlib
    h = np.where(g == top, 2 + (b - r) / safe, h)
    h = np.where(b == top, 4 + (r - g) / safe, h)
    h = np.where(delta > 0, h, 0)
    return (h / 6) % 1


def color_histogram_hsv_batch(images, nbin, xmin, xmax, normalized):
    dtype = working_dtype(images.dtype)
    values = (hues(images, xmax) * dtype(xmax)).reshape(images.shape[0], -1)
    edges = color_bin_edges(nbin, xmin, xmax)
    # bin i holds [e_i, e_{i+1}); the last bin also holds e_nbin; outside: none
    idx = np.searchsorted(edges, values, side="right") - 1
    idx[values == edges[-1]] = nbin - 1
    idx = np.where((values >= edges[0]) & (values <= edges[-1]), idx, nbin)
    counts = np.stack([np.bincount(row, minlength=nbin + 1)[:nbin] for row in idx]).astype(np.float64)
    return histogram_from_counts(counts, edges, normalized)
