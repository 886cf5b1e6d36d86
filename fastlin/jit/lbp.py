"""Local-binary-pattern kernels. The contract of :mod:`fastlin.naive.lbp`.

No fastmath: a sample compared with its centre decides a bit, so the bilinear interpolation
runs in scikit-image's exact order of operations. Work is cut into (image, row) items, or
(image, row of cells) items for the histograms, so a batch of small images and one large
image both spread over every thread; each item writes only its own output rows.
"""

import math

import numpy as np
from numba import njit, prange

from fastlin._config import EXACT_OPTIONS, EXACT_PARALLEL_OPTIONS
from fastlin._spec import lbp_offsets

DEFAULT, ROR, UNIFORM, NRI_UNIFORM, VAR = range(5)


@njit(**EXACT_OPTIONS)
def _pixel(image, r, c):
    H, W = image.shape
    if 0 <= r < H and 0 <= c < W:
        return image[r, c]
    return 0.0


@njit(**EXACT_OPTIONS)
def _sample(image, r, c):
    """Bilinear interpolation at (r, c); pixels outside the image are 0."""
    fr, fc = math.floor(r), math.floor(c)
    r0, c0 = int(fr), int(fc)
    r1, c1 = int(math.ceil(r)), int(math.ceil(c))
    dr, dc = r - fr, c - fc
    top = (1 - dc) * _pixel(image, r0, c0) + dc * _pixel(image, r0, c1)
    bottom = (1 - dc) * _pixel(image, r1, c0) + dc * _pixel(image, r1, c1)
    return (1 - dr) * top + dr * bottom


@njit(**EXACT_OPTIONS)
def _code(image, r, c, rows, cols, method, texture):
    """The code of pixel (r, c); ``texture`` is scratch space of P values."""
    P = rows.shape[0]
    for p in range(P):
        texture[p] = _sample(image, r + rows[p], c + cols[p])
    if method == VAR:
        total = 0.0
        squares = 0.0
        for p in range(P):
            total += texture[p]
            squares += texture[p] * texture[p]
        var = (squares - total * total / P) / P
        return var if var != 0 else np.nan
    centre = image[r, c]
    if method == DEFAULT or method == ROR:
        value = 0
        for p in range(P):
            if texture[p] - centre >= 0:
                value |= 1 << p
        if method == ROR:
            best = value
            for _ in range(P - 1):
                value = (value >> 1) | ((value & 1) << (P - 1))
                best = min(best, value)
            value = best
        return float(value)
    changes = 0
    ones = 0
    first_one = -1
    first_zero = -1
    previous = -1
    for p in range(P):
        bit = 1 if texture[p] - centre >= 0 else 0
        if previous >= 0 and bit != previous:
            changes += 1
        previous = bit
        if bit:
            ones += 1
            if first_one < 0:
                first_one = p
        elif first_zero < 0:
            first_zero = p
    if method == UNIFORM:
        return float(ones if changes <= 2 else P + 1)
    if changes > 2:
        return float(P * (P - 1) + 2)
    if ones == 0:
        return 0.0
    if ones == P:
        return float(P * (P - 1) + 1)
    rotation = ones - first_zero if first_one == 0 else P - first_one
    return float(1 + (ones - 1) * P + rotation)


@njit(**EXACT_PARALLEL_OPTIONS)
def lbp_codes_kernel(images, rows, cols, method, out):
    N, H, W = images.shape
    for item in prange(N * H):
        n, r = item // H, item % H
        texture = np.empty(rows.shape[0])
        for c in range(W):
            out[n, r, c] = _code(images[n], r, c, rows, cols, method, texture)


@njit(**EXACT_PARALLEL_OPTIONS)
def lbp_histograms_kernel(images, rows, cols, method, counts):
    """``counts[n, i, j, code]`` of every cell: items are (image, row of cells)."""
    N, H, W = images.shape
    g_row, g_col, n_bins = counts.shape[1], counts.shape[2], counts.shape[3]
    for item in prange(N * g_row):
        n, i = item // g_row, item % g_row
        texture = np.empty(rows.shape[0])
        for j in range(g_col):
            for r in range(i * H // g_row, (i + 1) * H // g_row):
                for c in range(j * W // g_col, (j + 1) * W // g_col):
                    code = int(_code(images[n], r, c, rows, cols, method, texture))
                    counts[n, i, j, min(max(code, 0), n_bins - 1)] += 1  # clamped: in range by construction


def lbp_codes(images, P, R, method):
    rows, cols = lbp_offsets(P, R)
    out = np.empty(images.shape)
    lbp_codes_kernel(images, rows, cols, method, out)
    return out


def lbp_histograms(images, P, R, method, cells, n_bins):
    rows, cols = lbp_offsets(P, R)
    counts = np.zeros((images.shape[0], cells[0], cells[1], n_bins), dtype=np.int64)
    lbp_histograms_kernel(images, rows, cols, method, counts)
    return counts
