"""Textons with NumPy: the responses through ``numpy.fft`` (float64), every filter of a chunk of images at once."""

import numpy as np

from fastlin._spec import MR8_ABS_GROUPS, MR8_ORIENTATIONS, WEBER_L0, gist_block_edges, texton_padded

#: complex values of filter responses held at once (64 MiB of complex128)
CHUNK_VALUES = 1 << 22


def _mr8(r):
    """(..., 38) -> (..., 8)."""
    groups = r[..., :-2].reshape(*r.shape[:-1], -1, MR8_ORIENTATIONS)
    signed = groups.max(axis=-1)
    largest = np.abs(groups).max(axis=-1)
    picked = np.where(np.arange(groups.shape[-2]) < MR8_ABS_GROUPS, largest, signed)
    return np.concatenate([picked, r[..., -2:]], axis=-1)


def _weber(r):
    norm = np.sqrt(np.sum(r * r, axis=-1, keepdims=True))
    scale = np.divide(np.log1p(norm / WEBER_L0), norm, out=np.zeros_like(norm), where=norm > 0)
    return r * scale


def _chunks(images, bank, mr8, weber):
    """Yield (start, responses (n, H, W, K) float32) chunk by chunk."""
    N, H, W = images.shape
    s = bank.shape[1]
    shape = (H + s - 1, W + s - 1)  # no wrap-around reaches the kept outputs (they start at s - 1)
    spectra = np.fft.rfft2(bank, s=shape)
    chunk = max(1, CHUNK_VALUES // spectra.size)
    for start in range(0, N, chunk):
        padded = texton_padded(images[start : start + chunk], s)
        conv = np.fft.irfft2(np.fft.rfft2(padded)[:, None] * spectra, s=shape)[..., s - 1 :, s - 1 :]
        r = conv.transpose(0, 2, 3, 1)
        if mr8:
            r = _mr8(r)
        if weber:
            r = _weber(r)
        yield start, r.astype(np.float32)


def filter_responses(images, bank, mr8, weber):
    N, H, W = images.shape
    out = None
    for start, r in _chunks(images, bank, mr8, weber):
        if out is None:
            out = np.empty((N, H, W, r.shape[-1]), dtype=np.float32)
        out[start : start + len(r)] = r
    return out


def texton_histograms(images, bank, mr8, weber, textons, cells):
    N, H, W = images.shape
    T = len(textons)
    rows, cols = gist_block_edges(H, cells), gist_block_edges(W, cells)
    cell = (np.searchsorted(rows, np.arange(H), side="right") - 1)[:, None] * cells + (
        np.searchsorted(cols, np.arange(W), side="right") - 1
    )[None, :]
    sizes = np.bincount(cell.ravel(), minlength=cells * cells).astype(np.float64)
    t = textons.astype(np.float64)
    half_sq = 0.5 * np.sum(t * t, axis=1)
    out = np.empty((N, cells * cells * T), dtype=np.float32)
    for start, r in _chunks(images, bank, mr8, weber):
        n = len(r)
        nearest = np.argmin(half_sq - r.reshape(-1, r.shape[-1]).astype(np.float64) @ t.T, axis=1)
        index = (np.arange(n)[:, None] * (cells * cells) + cell.ravel()[None, :]) * T + nearest.reshape(n, -1)
        counts = np.bincount(index.ravel(), minlength=n * cells * cells * T).reshape(n, cells * cells, T)
        out[start : start + n] = (counts / sizes[:, None]).reshape(n, -1)
    return out
