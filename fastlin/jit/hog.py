"""HOG kernels. The contract of :mod:`fastlin.naive.hog` (whose docstring gives the steps).

No fastmath here: the orientation of a gradient decides its bin through exact comparisons
with the edges, so it is computed exactly as NumPy does (``atan2`` in degrees, mod 180); a
reassociated or approximated version put vertical gradients at 179.99 degrees, in the wrong
bin. A batch runs ``prange`` over images; a single image runs ``prange`` over its rows of
cells and then its rows of blocks, each iteration writing only its own rows.
"""

import math

import numpy as np
from numba import njit, prange

from fastlin._config import EXACT_HELPER_OPTIONS, EXACT_PARALLEL_OPTIONS
from fastlin._spec import HOG_EPS as EPS
from fastlin._spec import HOG_NORMS, hog_bin_edges, hog_numpy_bins, n_chunks, working_dtype

L1, L1_SQRT, L2, L2_HYS = range(4)


@njit(**EXACT_HELPER_OPTIONS)
def _load(image, one, transform_sqrt, v):
    """V = image in the working dtype (the dtype of ``one``), square-rooted if asked."""
    H, W, C = image.shape
    for r in range(H):
        for c in range(W):
            for ch in range(C):
                x = one * image[r, c, ch]
                v[r, c, ch] = np.sqrt(x) if transform_sqrt else x


@njit(**EXACT_HELPER_OPTIONS)
def _orientation_bin(g_row, g_col, edges):
    n = edges.shape[0] - 1
    angle = math.atan2(g_row, g_col) * (180.0 / math.pi) % 180.0
    if not 0.0 <= angle < 180.0:  # NaN included: no bin
        return -1
    b = max(0, min(int(angle * n / 180.0), n - 1))  # a guess, corrected by the exact edges below
    while b > 0 and angle < edges[b]:
        b -= 1
    while b < n - 1 and angle >= edges[b + 1]:
        b += 1
    if angle < edges[b] or angle >= edges[b + 1]:
        return -1
    return b


NEAR_EDGE = -2


@njit(**EXACT_HELPER_OPTIONS)
def _fast_bin(g_row, g_col, bins):
    """The bin of a gradient without ``atan2``, or ``NEAR_EDGE`` when it lies near an edge.

    In the upper half-plane, an angle is past edge ``e`` exactly when the cross product
    ``cos(e) * y - sin(e) * x`` is positive. Where that product is within a relative 1e-9 of
    zero (far wider than any rounding in it or in an ``atan2``), the bin is whatever NumPy's
    ``arctan2`` makes of it on this machine, which only NumPy can say: the caller records it.
    ``bins`` holds the edges, their cosines and their sines.
    """
    edges, cos_e, sin_e = bins[0], bins[1], bins[2]
    if g_row == 0.0:
        return 0  # atan2 gives 0 or +-180 degrees exactly: 0 mod 180, bin 0
    y, x = g_row, g_col
    if y < 0.0:
        y, x = -y, -x
    tol = 1e-9 * (y + abs(x))
    if y <= tol:
        return NEAR_EDGE  # within a hair of 0 or 180 degrees
    b = 0
    for i in range(1, edges.shape[0] - 1):
        cross = cos_e[i] * y - sin_e[i] * x
        if abs(cross) <= tol:
            return NEAR_EDGE
        b += cross > 0.0
    return b


@njit(inline="always", **EXACT_HELPER_OPTIONS)
def _strongest(image, r, c, up, down, left, right):
    """The (row, column) gradient at (r, c) of the channel with the largest magnitude.

    Integer pixels, exact. ``up``/``down`` and ``left``/``right`` index the neighbours (the
    pixel itself on a border, where that gradient is 0). The first channel wins a tie, as in
    scikit-image. Branch-free, so a row's loop vectorizes.
    """
    best, g_row, g_col = np.int32(-1), np.int32(0), np.int32(0)
    for ch in range(image.shape[2]):
        gr = np.int32(image[down, c, ch]) - np.int32(image[up, c, ch])
        gc = np.int32(image[r, right, ch]) - np.int32(image[r, left, ch])
        m = gr * gr + gc * gc  # exact: at most 2 * 255**2
        take = m > best
        best = m if take else best
        g_row = gr if take else g_row
        g_col = gc if take else g_col
    return g_row, g_col


@njit(**EXACT_HELPER_OPTIONS)
def _int_gradient_row(image, r, g_rows, g_cols):
    """``g_rows[c], g_cols[c]``: the strongest channel's gradient of each pixel of row ``r``.

    Integer pixels (the squared magnitudes are exact and order the channels as scikit-image's
    ``hypot`` does). A whole row at a time, in a loop that vectorizes: with three channels the
    per-pixel loop with its branches took 4.3 ms more than gray on 1000 CIFAR images.
    """
    H, W, _ = image.shape
    up, down = (r - 1, r + 1) if 0 < r < H - 1 else (r, r)
    for c in range(1, W - 1):
        g_rows[c], g_cols[c] = _strongest(image, r, c, up, down, c - 1, c + 1)
    for c in (0, W - 1):  # the border columns have no column gradient
        g_rows[c], g_cols[c] = _strongest(image, r, c, up, down, c, c)


@njit(**EXACT_HELPER_OPTIONS)
def _cell_row(v, one, int_pixels, i, cell, bins, exact_bins, near, slot, mag_scratch, int_grads, totals, hist):
    """Histograms of row ``i`` of cells into ``hist[i]`` (float64, as scikit-image rounds).

    ``v`` holds the pixels, in the working dtype (that of ``one``) or as raw integers
    (``int_pixels``: then the strongest channel's gradients are taken a row at a time into
    ``int_grads``, int32 (2, cell rows, W)). ``exact_bins`` (H, W), when not
    empty, gives every pixel's bin as NumPy computed it; otherwise a gradient near an edge
    sets ``near[slot]`` (its image is then computed again with exact bins) and is binned by
    the C library's ``atan2`` meanwhile.
    """
    H, W, C = v.shape
    c_row, c_col = cell
    n_cells_col = hist.shape[1]
    n_bins = hist.shape[2]
    area = np.float32(c_row * c_col)
    if int_pixels:  # every gradient a row at a time, exact
        for r in range(c_row):
            _int_gradient_row(v, i * c_row + r, int_grads[0, r], int_grads[1, r])
    for j in range(n_cells_col):
        totals[:] = 0.0
        for r in range(i * c_row, (i + 1) * c_row):
            for c in range(j * c_col, (j + 1) * c_col):
                g_row = 0.0
                g_col = 0.0
                best = -1.0
                if int_pixels:
                    g_row = np.float64(int_grads[0, r - i * c_row, c])
                    g_col = np.float64(int_grads[1, r - i * c_row, c])
                for ch in range(0 if int_pixels else C):
                    gr = one * v[r + 1, c, ch] - one * v[r - 1, c, ch] if 0 < r < H - 1 else one - one
                    gc = one * v[r, c + 1, ch] - one * v[r, c - 1, ch] if 0 < c < W - 1 else one - one
                    if C == 1:
                        m = 0.0
                    else:
                        # compare magnitudes in the working dtype, as scikit-image does
                        mag_scratch[0] = math.hypot(gr, gc)
                        m = np.float64(mag_scratch[0])
                    if m > best:
                        best = m
                        g_row = np.float64(gr)
                        g_col = np.float64(gc)
                if g_row == 0.0 and g_col == 0.0:
                    continue  # adds nothing to any bin
                if exact_bins.shape[0] > 0:
                    b = np.intp(exact_bins[r, c])
                else:
                    b = _fast_bin(g_row, g_col, bins)
                    if b == NEAR_EDGE:
                        near[slot] = True
                        b = _orientation_bin(g_row, g_col, bins[0])
                if 0 <= b < n_bins:
                    # sqrt(x*x + y*y) is hypot to an ulp; scikit-image sums in float32
                    totals[b] = np.float32(totals[b] + math.sqrt(g_col * g_col + g_row * g_row))
        for b in range(n_bins):
            hist[i, j, b] = totals[b] / area


@njit(**EXACT_HELPER_OPTIONS)
def _block_row(hist, i, block, out):
    """Normalized blocks of row ``i`` of blocks into ``out[i]``; ``block`` = (b_row, b_col, norm)."""
    b_row, b_col, norm = block
    n_blocks_col = out.shape[1]
    n_bins = hist.shape[2]
    for j in range(n_blocks_col):
        s = 0.0
        for a in range(b_row):
            for b in range(b_col):
                for k in range(n_bins):
                    x = hist[i + a, j + b, k]
                    s += abs(x) if norm <= L1_SQRT else x * x
        if norm <= L1_SQRT:
            scale = 1.0 / (s + EPS)
        else:
            scale = 1.0 / math.sqrt(s + EPS * EPS)
        s2 = 0.0
        for a in range(b_row):
            for b in range(b_col):
                for k in range(n_bins):
                    x = hist[i + a, j + b, k] * scale
                    if norm == L1_SQRT:
                        x = math.sqrt(x)
                    elif norm == L2_HYS:
                        x = min(x, 0.2)
                        s2 += x * x
                    out[i, j, a, b, k] = x
        if norm == L2_HYS:
            scale2 = 1.0 / math.sqrt(s2 + EPS * EPS)
            for a in range(b_row):
                for b in range(b_col):
                    for k in range(n_bins):
                        out[i, j, a, b, k] = out[i, j, a, b, k] * scale2


@njit(**EXACT_HELPER_OPTIONS)
def _image_cells(
    image, one, int_pixels, transform_sqrt, cell, bins, exact_bins, near, slot, v, totals, scratch, int_grads, hist
):
    """Every cell histogram of one image into ``hist``."""
    if transform_sqrt:
        _load(image, one, transform_sqrt, v)
        for i in range(hist.shape[0]):
            _cell_row(v, one, False, i, cell, bins, exact_bins, near, slot, scratch, int_grads, totals, hist)
    else:  # read the pixels where they are
        for i in range(hist.shape[0]):
            _cell_row(image, one, int_pixels, i, cell, bins, exact_bins, near, slot, scratch, int_grads, totals, hist)


@njit(**EXACT_PARALLEL_OPTIONS)
def hog_images_kernel(images, one, int_pixels, transform_sqrt, cell, block, bins, exact_bins, chunks, near, hist, out):
    """Many images: ``prange`` over chunks of images, scratch buffers per chunk.

    Either ``out`` receives the normalized blocks (and ``hist`` is empty along its first
    axis), or ``hist`` receives the cell histograms (and ``out`` is empty). ``near[n]`` is
    set when image n has a gradient near a bin edge; ``exact_bins`` (N, H, W) or empty.
    """
    N, H, W, C = images.shape
    n_bins = bins.shape[1] - 1
    keep_cells = hist.shape[0] > 0
    for k in prange(chunks):
        v = np.full((H, W, C) if transform_sqrt else (0, 0, 0), one)  # in the working dtype
        scratch = np.full(1, one)
        int_grads = np.empty((2, cell[0], W), dtype=np.int32)
        totals = np.empty(n_bins, dtype=np.float32)
        own = np.empty((0 if keep_cells else H // cell[0], W // cell[1], n_bins))
        no_exact = np.empty((0, 0), dtype=exact_bins.dtype)
        for n in range(k * N // chunks, (k + 1) * N // chunks):
            cells = hist[n] if keep_cells else own
            exact = exact_bins[n] if exact_bins.shape[0] > 0 else no_exact
            _image_cells(
                images[n],
                one,
                int_pixels,
                transform_sqrt,
                cell,
                bins,
                exact,
                near,
                n,
                v,
                totals,
                scratch,
                int_grads,
                cells,
            )
            if not keep_cells:
                for i in range(out.shape[1]):
                    _block_row(cells, i, block, out[n])


@njit(**EXACT_PARALLEL_OPTIONS)
def hog_image_kernel(image, one, int_pixels, transform_sqrt, cell, block, bins, exact_bins, near, out):
    """One image, parallel inside it: rows of cells, then rows of blocks.

    ``near`` has one flag per row of cells; ``exact_bins`` (H, W) or empty, as in
    :func:`hog_images_kernel`.
    """
    H, W, C = image.shape
    n_bins = bins.shape[1] - 1
    n_cells_row, n_cells_col = H // cell[0], W // cell[1]
    hist = np.empty((n_cells_row, n_cells_col, n_bins))
    if transform_sqrt:
        v = np.empty((H, W, C), dtype=out.dtype)
        for r in prange(H):
            _load(image[r : r + 1], one, transform_sqrt, v[r : r + 1])
        for i in prange(n_cells_row):
            totals = np.empty(n_bins, dtype=np.float32)
            scratch = np.empty(1, dtype=out.dtype)
            no_grads = np.empty((2, 0, 0), dtype=np.int32)
            _cell_row(v, one, False, i, cell, bins, exact_bins, near, i, scratch, no_grads, totals, hist)
    else:
        for i in prange(n_cells_row):
            totals = np.empty(n_bins, dtype=np.float32)
            scratch = np.empty(1, dtype=out.dtype)
            int_grads = np.empty((2, cell[0], W), dtype=np.int32)
            _cell_row(image, one, int_pixels, i, cell, bins, exact_bins, near, i, scratch, int_grads, totals, hist)
    for i in prange(out.shape[0]):
        _block_row(hist, i, block, out)


def _kernel_args(images, orientations, pixels_per_cell, transform_sqrt):
    edges = hog_bin_edges(orientations)
    radians = np.deg2rad(edges)
    bins = np.stack([edges, np.cos(radians), np.sin(radians)])
    dtype = working_dtype(images.dtype)
    return dtype(1), images.dtype == np.uint8, bool(transform_sqrt), tuple(pixels_per_cell), bins


_NO_EXACT = np.empty((0, 0, 0), dtype=np.int32)  # "no exact bins" for a batch
_NO_EXACT_2D = np.empty((0, 0), dtype=np.int32)  # and for one image


def _cells_or_blocks(images, orientations, pixels_per_cell, transform_sqrt, block, hist, out):
    """Run the batch kernel; redo, with NumPy's bins, the images that had a gradient near an edge."""
    one, int_pixels, sqrt, cell, bins = _kernel_args(images, orientations, pixels_per_cell, transform_sqrt)
    near = np.zeros(images.shape[0], dtype=np.bool_)
    chunks = n_chunks(images.shape[0], "images")
    hog_images_kernel(images, one, int_pixels, sqrt, cell, block, bins, _NO_EXACT, chunks, near, hist, out)
    redo = np.flatnonzero(near)
    if redo.size:
        sub = np.ascontiguousarray(images[redo])
        exact = hog_numpy_bins(sub, orientations, transform_sqrt)
        sub_hist = hist[redo] if hist.shape[0] else hist
        sub_out = out[redo] if out.shape[0] else out
        flags = np.zeros(redo.size, dtype=np.bool_)
        chunks = n_chunks(redo.size, "images")
        hog_images_kernel(sub, one, int_pixels, sqrt, cell, block, bins, exact, chunks, flags, sub_hist, sub_out)
        if hist.shape[0]:
            hist[redo] = sub_hist
        if out.shape[0]:
            out[redo] = sub_out


def cell_histograms(images, orientations, pixels_per_cell, transform_sqrt):
    N, H, W, _ = images.shape
    hist = np.empty((N, H // pixels_per_cell[0], W // pixels_per_cell[1], orientations))
    no_blocks = np.empty((0, 0, 0, 0, 0, 0), dtype=working_dtype(images.dtype))
    _cells_or_blocks(images, orientations, pixels_per_cell, transform_sqrt, (1, 1, 0), hist, no_blocks)
    return hist


def hog_batch(images, orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    N, H, W, _ = images.shape
    (c_row, c_col), (b_row, b_col) = pixels_per_cell, cells_per_block
    n_blocks_row = H // c_row - b_row + 1
    n_blocks_col = W // c_col - b_col + 1
    out = np.empty((N, n_blocks_row, n_blocks_col, b_row, b_col, orientations), dtype=working_dtype(images.dtype))
    block = (b_row, b_col, HOG_NORMS.index(block_norm))
    if N > 1:
        _cells_or_blocks(images, orientations, pixels_per_cell, transform_sqrt, block, np.empty((0, 0, 0, 0)), out)
        return out
    one, int_pixels, sqrt, cell, bins = _kernel_args(images, orientations, pixels_per_cell, transform_sqrt)
    near = np.zeros(max(1, H // c_row), dtype=np.bool_)
    hog_image_kernel(images[0], one, int_pixels, sqrt, cell, block, bins, _NO_EXACT_2D, near, out[0])
    if near.any():
        exact = hog_numpy_bins(images, orientations, transform_sqrt)[0]
        hog_image_kernel(images[0], one, int_pixels, sqrt, cell, block, bins, exact, near, out[0])
    return out
