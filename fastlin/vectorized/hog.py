"""HOG in whole-array NumPy, the whole batch at once. Same signature as :mod:`fastlin.naive.hog`."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from fastlin._spec import HOG_EPS as EPS
from fastlin._spec import hog_angles, hog_bin_edges, hog_gradients, working_dtype


def cell_histograms(images, orientations, pixels_per_cell, transform_sqrt):
    """(N, n_cells_row, n_cells_col, orientations) float64 cell histograms."""
    g_row, g_col = hog_gradients(images, transform_sqrt)
    c_row, c_col = pixels_per_cell
    N, H, W = g_row.shape
    n_cells_row, n_cells_col = H // c_row, W // c_col
    g_row = g_row[:, : n_cells_row * c_row, : n_cells_col * c_col]
    g_col = g_col[:, : n_cells_row * c_row, : n_cells_col * c_col]
    magnitude = np.hypot(g_col, g_row)
    angle = hog_angles(g_row, g_col)
    # bin i holds [e_i, e_{i+1}); an angle of exactly 180 (a rounding of -0) falls in none
    bins = np.searchsorted(hog_bin_edges(orientations), angle, side="right") - 1
    shape = (N, n_cells_row, c_row, n_cells_col, c_col)
    hist = np.stack(
        [np.where(bins == b, magnitude, 0.0).reshape(shape).sum(axis=(2, 4)) for b in range(orientations)],
        axis=-1,
    )
    # scikit-image sums in float32 and divides in float32: round the same way
    return (hist.astype(np.float32) / np.float32(c_row * c_col)).astype(np.float64)


def normalize_blocks(hist, cells_per_block, block_norm):
    """(N, n_blocks_row, n_blocks_col, b_row, b_col, orientations) normalized blocks."""
    b_row, b_col = cells_per_block
    blocks = sliding_window_view(hist, (b_row, b_col), axis=(1, 2))  # (..., o, b_row, b_col)
    blocks = np.moveaxis(blocks, 3, 5)  # (N, n_br, n_bc, b_row, b_col, o)
    axes = (3, 4, 5)
    if block_norm in ("L1", "L1-sqrt"):
        out = blocks / (np.abs(blocks).sum(axis=axes, keepdims=True) + EPS)
        return np.sqrt(out) if block_norm == "L1-sqrt" else out
    out = blocks / np.sqrt((blocks**2).sum(axis=axes, keepdims=True) + EPS**2)
    if block_norm == "L2-Hys":
        out = np.minimum(out, 0.2)
        out = out / np.sqrt((out**2).sum(axis=axes, keepdims=True) + EPS**2)
    return out


def hog_batch(images, orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    hist = cell_histograms(images, orientations, pixels_per_cell, transform_sqrt)
    return normalize_blocks(hist, cells_per_block, block_norm).astype(working_dtype(images.dtype))
