"""HOG one pixel at a time: the readable reference of scikit-image's ``hog``.

Every tier exposes::

    hog_batch(images, orientations, pixels_per_cell, cells_per_block, block_norm,
              transform_sqrt) -> (N, n_blocks_row, n_blocks_col, b_row, b_col, orientations)
    cell_histograms(images, orientations, pixels_per_cell, transform_sqrt)
              -> (N, n_cells_row, n_cells_col, orientations) float64

``images`` is (N, H, W, C) (C = 1 for grayscale) of uint8, float32 or float64, finite and,
with ``transform_sqrt``, non-negative. The result is float32 for float32 images and float64
otherwise, as in scikit-image. The steps, as scikit-image takes them:

1. pixels in the working dtype, square-rooted with ``transform_sqrt``;
2. centred differences ``v[r+1] - v[r-1]`` along rows and columns (0 on the border), and
   per pixel the channel with the largest gradient magnitude (the first one on ties);
3. per cell, the magnitudes of its pixels summed into the bin of their orientation
   ``np.arctan2(g_row, g_col)`` in degrees mod 180; bin ``i`` is ``[e_i, e_{i+1})`` with the
   float64 edges ``e_i = 180 / orientations * i``; the sum runs in float32 and is divided by
   the cell's area; pixels past the last whole cell are ignored;
4. each block of cells normalized (``L1``, ``L1-sqrt``, ``L2``, ``L2-Hys``, eps = 1e-5).
"""

import numpy as np

from fastlin._spec import HOG_EPS as EPS
from fastlin._spec import hog_angles, hog_bin_edges, working_dtype


def orientation_bin(g_row, g_col, edges):
    """The bin of a gradient, or -1 when its angle is past the last edge (exactly 180).

    The angle is NumPy's ``arctan2`` (a one-element array, so NumPy takes the same code path
    as on scikit-image's whole image), in degrees mod 180.
    """
    angle = float(hog_angles(np.array([g_row]), np.array([g_col]))[0])
    for i in range(len(edges) - 1):
        if edges[i] <= angle < edges[i + 1]:
            return i
    return -1


def normalize_block(block, block_norm):
    """One block of cell histograms (float64) normalized as scikit-image does."""
    if block_norm == "L1":
        return block / (np.sum(np.abs(block)) + EPS)
    if block_norm == "L1-sqrt":
        return np.sqrt(block / (np.sum(np.abs(block)) + EPS))
    out = block / np.sqrt(np.sum(block**2) + EPS**2)
    if block_norm == "L2-Hys":
        out = np.minimum(out, 0.2)
        out = out / np.sqrt(np.sum(out**2) + EPS**2)
    return out


def strongest_gradient(v, r, c):
    """(g_row, g_col) at pixel (r, c) of the channel with the largest magnitude."""
    H, W, C = v.shape
    best = None
    for ch in range(C):
        g_row = v[r + 1, c, ch] - v[r - 1, c, ch] if 0 < r < H - 1 else v.dtype.type(0)
        g_col = v[r, c + 1, ch] - v[r, c - 1, ch] if 0 < c < W - 1 else v.dtype.type(0)
        # NumPy's hypot, in the working dtype, as scikit-image compares the channels (Python's
        # math.hypot has its own algorithm and can differ in the last bit)
        magnitude = np.hypot(v.dtype.type(g_row), v.dtype.type(g_col))
        if best is None or magnitude > best[0]:
            best = (magnitude, g_row, g_col)
    return float(best[1]), float(best[2])


def _cell_histograms(image, orientations, pixels_per_cell, transform_sqrt):
    """(n_cells_row, n_cells_col, orientations) float64 histograms of one (H, W, C) image."""
    v = image.astype(working_dtype(image.dtype))
    if transform_sqrt:
        v = np.sqrt(v)
    c_row, c_col = pixels_per_cell
    n_cells_row, n_cells_col = v.shape[0] // c_row, v.shape[1] // c_col
    edges = hog_bin_edges(orientations)
    hist = np.zeros((n_cells_row, n_cells_col, orientations))
    for i in range(n_cells_row):
        for j in range(n_cells_col):
            totals = [np.float32(0.0)] * orientations
            for r in range(i * c_row, (i + 1) * c_row):
                for c in range(j * c_col, (j + 1) * c_col):
                    g_row, g_col = strongest_gradient(v, r, c)
                    b = orientation_bin(g_row, g_col, edges)
                    if b >= 0:
                        totals[b] = np.float32(float(totals[b]) + float(np.hypot(g_col, g_row)))
            for b in range(orientations):
                hist[i, j, b] = totals[b] / np.float32(c_row * c_col)
    return hist


def cell_histograms(images, orientations, pixels_per_cell, transform_sqrt):
    return np.stack([_cell_histograms(im, orientations, pixels_per_cell, transform_sqrt) for im in images])


def hog_batch(images, orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    b_row, b_col = cells_per_block
    results = []
    for hist in cell_histograms(images, orientations, pixels_per_cell, transform_sqrt):
        n_blocks_row = hist.shape[0] - b_row + 1
        n_blocks_col = hist.shape[1] - b_col + 1
        blocks = np.zeros((n_blocks_row, n_blocks_col, b_row, b_col, orientations))
        for r in range(n_blocks_row):
            for c in range(n_blocks_col):
                blocks[r, c] = normalize_block(hist[r : r + b_row, c : c + b_col], block_norm)
        results.append(blocks)
    return np.stack(results).astype(working_dtype(images.dtype))
