"""Local binary patterns in whole-array NumPy. The contract of :mod:`fastlin.naive.lbp`.

Each of the P samples is one bilinear interpolation over the whole padded batch; the codes
follow from the stacked bits with array operations.
"""

import numpy as np

from fastlin._spec import LBP_METHODS, lbp_offsets


def _samples(images, P, R):
    """(P, N, H, W) bilinear samples, pixels outside the image counting as 0."""
    N, H, W = images.shape
    pad = int(np.ceil(R)) + 1
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad)))
    r = np.arange(H)[:, None].astype(np.float64)
    c = np.arange(W)[None, :].astype(np.float64)
    out = np.empty((P, N, H, W))
    for p, (dr_off, dc_off) in enumerate(zip(*lbp_offsets(P, R), strict=True)):
        rr, cc = r + dr_off, c + dc_off
        r0, c0 = np.floor(rr), np.floor(cc)
        r1, c1 = np.ceil(rr), np.ceil(cc)
        dr, dc = rr - r0, cc - c0

        def at(a, b):
            return padded[:, a.astype(np.intp) + pad, b.astype(np.intp) + pad]

        top = (1 - dc) * at(r0, c0) + dc * at(r0, c1)
        bottom = (1 - dc) * at(r1, c0) + dc * at(r1, c1)
        out[p] = (1 - dr) * top + dr * bottom
    return out


def lbp_codes(images, P, R, method):
    images = images.astype(np.float64, copy=False)  # uint8 arrives as it is
    name = LBP_METHODS[method]
    samples = _samples(images, P, R)
    if name == "var":
        total = samples.sum(axis=0)
        squares = (samples * samples).sum(axis=0)
        var = (squares - total * total / P) / P
        return np.where(var != 0, var, np.nan)
    bits = (samples - images[None] >= 0).astype(np.int64)
    if name in ("default", "ror"):
        value = (bits << np.arange(P)[:, None, None, None]).sum(axis=0)
        if name == "ror":
            best = value.copy()
            for _ in range(P - 1):
                value = (value >> 1) | ((value & 1) << (P - 1))
                np.minimum(best, value, out=best)
            value = best
        return value.astype(np.float64)
    changes = (bits[1:] != bits[:-1]).sum(axis=0)
    ones = bits.sum(axis=0)
    if name == "uniform":
        return np.where(changes <= 2, ones, P + 1).astype(np.float64)
    first_one = np.argmax(bits == 1, axis=0)
    first_zero = np.argmax(bits == 0, axis=0)
    rotation = np.where(first_one == 0, ones - first_zero, P - first_one)
    code = 1 + (ones - 1) * P + rotation
    code = np.where(ones == 0, 0, np.where(ones == P, P * (P - 1) + 1, code))
    return np.where(changes <= 2, code, P * (P - 1) + 2).astype(np.float64)


def lbp_histograms(images, P, R, method, cells, n_bins):
    codes = lbp_codes(images, P, R, method).astype(np.int64)
    N, H, W = images.shape
    g_row, g_col = cells
    counts = np.zeros((N, g_row, g_col, n_bins), dtype=np.int64)
    for i in range(g_row):
        for j in range(g_col):
            block = codes[:, i * H // g_row : (i + 1) * H // g_row, j * W // g_col : (j + 1) * W // g_col]
            counts[:, i, j] = np.stack([np.bincount(b.ravel(), minlength=n_bins) for b in block])
    return counts
