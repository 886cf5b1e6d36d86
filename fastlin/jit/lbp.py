"""Local-binary-pattern kernels. The contract of :mod:`fastlin.naive.lbp`.

No fastmath: a sample compared with its centre decides a bit, so the bilinear interpolation
runs in scikit-image's exact order of operations. Each image is copied into a zero-padded
buffer (samples outside the image read 0, as scikit-image's constant mode gives), so the
inner loops over columns have no bounds checks and vectorize. Work is cut into chunks of
(image, row) items, or (image, row of cells) for the histograms, so a batch of small images
and one large image both spread over every thread; each item writes only its own rows.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import EXACT_HELPER_OPTIONS, EXACT_OPTIONS, EXACT_PARALLEL_OPTIONS
from fastlin._spec import lbp_offsets, lbp_uniform_code, n_chunks

DEFAULT, ROR, UNIFORM, NRI_UNIFORM, VAR = range(5)

_uniform_code = njit(**EXACT_HELPER_OPTIONS)(lbp_uniform_code)


@njit(**EXACT_HELPER_OPTIONS)
def _from_bits(bits, P, method):
    """The code of a pattern of P bits (bit p set when sample p >= centre)."""
    if method == DEFAULT:
        return float(bits)
    if method == ROR:
        best = bits
        value = bits
        for _ in range(P - 1):
            value = (value >> 1) | ((value & 1) << (P - 1))
            best = min(best, value)
        return float(best)
    ones = 0
    changes = 0
    first_one = -1
    first_zero = -1
    for p in range(P):
        bit = (bits >> p) & 1
        if p > 0 and bit != (bits >> (p - 1)) & 1:
            changes += 1  # along p = 0 .. P-1, not around the circle, as scikit-image counts
        if bit:
            ones += 1
            if first_one < 0:
                first_one = p
        elif first_zero < 0:
            first_zero = p
    return _uniform_code(ones, changes, first_one, first_zero, P, method == NRI_UNIFORM)


@njit(**EXACT_HELPER_OPTIONS)
def _pad_rows(image, pad, first, last, padded):
    """Copy the image rows that rows ``[first, last)`` sample into ``padded``, ``pad`` cells in.

    ``padded`` starts as zeros and its border is never written, so samples outside the image
    read 0; only the rows this chunk needs are copied.
    """
    H, W = image.shape
    for r in range(max(0, first - pad), min(H, last + pad)):
        for c in range(W):
            padded[r + pad, c + pad] = image[r, c]


@njit(**EXACT_HELPER_OPTIONS)
def _row_bits(padded, pad, r, tables, method, bits, total, squares):
    """The bits of every pixel of row ``r`` (``var``: the sum and sum of squares of its samples).

    ``tables`` = (row offsets floor/ceil (P,), column offsets floor/ceil (P,), dr (H, P),
    dc (P, W)). Sample by sample, the inner loop over columns reads contiguous rows of the
    padded image. Each row is sliced to its W columns first (``padded[row, a:a + W]``, a 2-D
    slice): indexed by the loop counter alone, the loads need no negative-index fix-up and
    the loops vectorize; indexing ``row[c + offset]`` with a signed offset, or slicing a row
    taken out first, measured about twice as slow.
    """
    r_lo, r_hi, c_lo, c_hi, dr_table, dc_table = tables
    P = r_lo.shape[0]
    W = bits.shape[0]
    centre = padded[r + pad, pad : pad + W]
    bits[:] = 0
    if method == VAR:
        total[:] = 0.0
        squares[:] = 0.0
    for p in range(P):
        dr = dr_table[r, p]
        upper, lower = r + r_lo[p] + pad, r + r_hi[p] + pad
        left, right = c_lo[p] + pad, c_hi[p] + pad
        top_left, top_right = padded[upper, left : left + W], padded[upper, right : right + W]
        bottom_left, bottom_right = padded[lower, left : left + W], padded[lower, right : right + W]
        dc = dc_table[p]
        bit = np.int64(1) << p
        if r_lo[p] == r_hi[p] and c_lo[p] == c_hi[p] and method != VAR:
            # an integer offset: both fractions are 0 in every row and column, and the
            # bilinear formula gives the pixel itself exactly ((1 - 0) * a + 0 * b == a)
            for c in range(W):
                bits[c] |= bit if top_left[c] - centre[c] >= 0 else 0
        elif method == VAR:
            for c in range(W):
                top = (1 - dc[c]) * top_left[c] + dc[c] * top_right[c]
                bottom = (1 - dc[c]) * bottom_left[c] + dc[c] * bottom_right[c]
                sample = (1 - dr) * top + dr * bottom
                total[c] += sample
                squares[c] += sample * sample
        else:
            for c in range(W):
                top = (1 - dc[c]) * top_left[c] + dc[c] * top_right[c]
                bottom = (1 - dc[c]) * bottom_left[c] + dc[c] * bottom_right[c]
                sample = (1 - dr) * top + dr * bottom
                bits[c] |= bit if sample - centre[c] >= 0 else 0


@njit(**EXACT_OPTIONS)
def _code_table(P, method):
    """The code of every pattern of P bits (P <= 16), so a pixel's code is one lookup."""
    table = np.empty(1 << P)
    for bits in range(1 << P):
        table[bits] = _from_bits(bits, P, method)
    return table


@njit(**EXACT_HELPER_OPTIONS)
def _codes(bits, total, squares, P, method, table, out_row):
    """The codes of one row; the method is decided once per row, not per pixel."""
    if method == VAR:
        for c in range(out_row.shape[0]):
            var = (squares[c] - total[c] * total[c] / P) / P
            out_row[c] = var if var != 0 else np.nan
    elif table.shape[0] > 0:
        for c in range(out_row.shape[0]):
            out_row[c] = table[bits[c]]
    else:
        for c in range(out_row.shape[0]):
            out_row[c] = _from_bits(bits[c], P, method)


@njit(**EXACT_PARALLEL_OPTIONS)
def lbp_codes_kernel(images, pad, tables, method, table, chunks, out):
    """Codes of every pixel: ``prange`` over chunks of (image, row) items."""
    N, H, W = images.shape
    P = tables[0].shape[0]
    items = N * H
    for k in prange(chunks):
        start, stop = k * items // chunks, (k + 1) * items // chunks
        padded = np.zeros((H + 2 * pad, W + 2 * pad))
        bits = np.empty(W, dtype=np.int64)
        total = np.empty(W)
        squares = np.empty(W)
        current = -1
        for item in range(start, stop):
            n, r = item // H, item % H
            if n != current:  # this chunk's rows of image n, and the rows they sample
                _pad_rows(images[n], pad, max(start, n * H) - n * H, min(stop, (n + 1) * H) - n * H, padded)
                current = n
            _row_bits(padded, pad, r, tables, method, bits, total, squares)
            _codes(bits, total, squares, P, method, table, out[n, r])


@njit(**EXACT_PARALLEL_OPTIONS)
def lbp_histograms_kernel(images, pad, tables, method, table, chunks, counts):
    """``counts[n, i, j, code]`` of every cell: items are (image, row of cells), each owning its counts."""
    N, H, W = images.shape
    P = tables[0].shape[0]
    g_row, g_col, n_bins = counts.shape[1], counts.shape[2], counts.shape[3]
    items = N * g_row
    for k in prange(chunks):
        padded = np.zeros((H + 2 * pad, W + 2 * pad))
        bits = np.empty(W, dtype=np.int64)
        total = np.empty(W)
        squares = np.empty(W)
        codes = np.empty(W)
        for item in range(k * items // chunks, (k + 1) * items // chunks):
            n, i = item // g_row, item % g_row
            first, last = i * H // g_row, (i + 1) * H // g_row
            _pad_rows(images[n], pad, first, last, padded)
            for r in range(first, last):
                _row_bits(padded, pad, r, tables, method, bits, total, squares)
                _codes(bits, total, squares, P, method, table, codes)
                for j in range(g_col):
                    for c in range(j * W // g_col, (j + 1) * W // g_col):
                        code = min(max(int(codes[c]), 0), n_bins - 1)  # in range by construction
                        counts[n, i, j, code] += 1


def _tables(shape, P, R):
    """Where each sample falls: integer offsets and the bilinear weights.

    As scikit-image computes them: ``r + offset`` in float64, then floor, ceil and the
    fraction.
    For an integer ``r`` and an offset rounded to 5 decimals, ``floor(r + offset)`` is
    ``r + floor(offset)``, so the integer parts are per sample; the fractions depend on
    ``r`` (the rounding of the sum), so they are tabulated per row and per column.
    """
    H, W = shape
    rows, cols = lbp_offsets(P, R)
    rr = np.arange(H, dtype=np.float64)[:, None] + rows[None, :]
    cc = np.arange(W, dtype=np.float64)[None, :] + cols[:, None]
    r_lo, r_hi = np.floor(rows).astype(np.int64), np.ceil(rows).astype(np.int64)
    c_lo, c_hi = np.floor(cols).astype(np.int64), np.ceil(cols).astype(np.int64)
    return r_lo, r_hi, c_lo, c_hi, np.ascontiguousarray(rr - np.floor(rr)), np.ascontiguousarray(cc - np.floor(cc))


def _pad_width(R):
    return int(np.ceil(R)) + 1


def _lookup(P, method):
    """The pattern -> code table for P <= 16 (empty above: codes computed pixel by pixel)."""
    return _code_table(P, method) if P <= 16 and method != VAR else np.empty(0)


def lbp_codes(images, P, R, method):
    out = np.empty(images.shape)
    chunks = n_chunks(images.shape[0] * images.shape[1], "rows")
    tables = _tables(images.shape[1:], P, R)
    lbp_codes_kernel(images, _pad_width(R), tables, method, _lookup(P, method), chunks, out)
    return out


def lbp_histograms(images, P, R, method, cells, n_bins):
    counts = np.zeros((images.shape[0], cells[0], cells[1], n_bins), dtype=np.int64)
    chunks = n_chunks(images.shape[0] * cells[0], "images")
    tables = _tables(images.shape[1:], P, R)
    lbp_histograms_kernel(images, _pad_width(R), tables, method, _lookup(P, method), chunks, counts)
    return counts
