"""GIST kernels. The contract of :mod:`fastlin.naive.gist`.

The transforms are the work (a forward FFT per image, an inverse per image and filter): they
run through SciPy's pocketfft with as many workers as the tier has threads, in complex64 as
``LMgist.m`` runs them (single precision), and pruned twice:

- each filter is a smooth bump in the frequency plane, below 1e-12 on many whole rows or
  columns of it: the first pass of its inverse transform (down the columns, or along the
  rows when fewer rows than columns hold the filter) runs on those lines only, and the
  rest, whose transform would be below 1e-12 of the image's energy, is zero;
- the second pass runs only on the lines the crop keeps.

For a 32 x 32 image that is 88 one-dimensional transforms per filter instead of 192. Every
transform runs along the last, contiguous axis (pocketfft took 4x as long down strided
columns): what is not a transform is fused here, parallel over (image, line) pairs: the
spectrum times the filter, gathered (from the transposed spectrum where the first pass
runs down columns) into the buffer the first pass reads; the first pass's kept lines
scattered, transposed, among zeros for the second; the magnitudes averaged over the blocks. The
prefilter runs in float64 with real transforms (its Gaussian is even, so its result is
real). ``docs/design.md`` says why this FFT and not another.
"""

import functools

import numba
import numpy as np
import scipy.fft
from numba import njit, prange

from fastlin._config import PARALLEL_OPTIONS
from fastlin._spec import gist_block_edges, gist_gabor, gist_padded, gist_prefiltered, gist_rescaled

#: complex values of one filter's responses held at once (8 MiB of complex64)
CHUNK_VALUES = 1 << 20
#: filter values below this are left out of the transforms (their share of a response is
#: below ``TINY`` times the image's mean spectral magnitude: about 1e-10 of a GIST value)
TINY = 1e-12


@njit(**PARALLEL_OPTIONS)
def gather_columns_kernel(spectra_t, filt_t, lines, out):
    """out[i, j, r] = spectra[i, r, lines[j]] * filt[r, lines[j]]: the reached columns, as rows.

    ``spectra_t`` and ``filt_t`` are the spectra and the filter transposed (C-contiguous), so
    that each column is read in memory order.
    """
    n, m, rows = out.shape
    for item in prange(n * m):
        i, j = item // m, item % m
        c = lines[j]
        for r in range(rows):
            out[i, j, r] = spectra_t[i, c, r] * filt_t[c, r]


@njit(**PARALLEL_OPTIONS)
def gather_rows_kernel(spectra, filt, lines, out):
    """out[i, j, c] = spectra[i, lines[j], c] * filt[lines[j], c]."""
    n, m = out.shape[:2]
    cols = spectra.shape[2]
    for item in prange(n * m):
        i, j = item // m, item % m
        for c in range(cols):
            out[i, j, c] = spectra[i, lines[j], c] * filt[lines[j], c]


@njit(**PARALLEL_OPTIONS)
def scatter_transposed_kernel(part, lines, out):
    """``out[i, h, lines[j]] = part[i, j, h]``, zero elsewhere.

    The first pass's lines, transposed so that the second pass too runs along the last axis.
    """
    n, height = out.shape[:2]
    for item in prange(n * height):
        i, h = item // height, item % height
        out[i, h, :] = 0
        for j in range(len(lines)):
            out[i, h, lines[j]] = part[i, j, h]


@njit(**PARALLEL_OPTIONS)
def block_magnitudes_kernel(responses, transposed, row_edges, col_edges, k, out):
    """out[i, k * B * B + b * B + a] = mean |response| over block (a, b) (block row a, column b).

    The response at (r, c) is ``responses[i, r, c]``, or ``responses[i, c, r]`` if ``transposed``.
    """
    n = responses.shape[0]
    B = len(row_edges) - 1
    for item in prange(n * B * B):
        i, a, b = item // (B * B), item % B, (item // B) % B
        # the lines in memory order: (outer, inner) are (r, c), or (c, r) if transposed
        outer = (col_edges[b], col_edges[b + 1]) if transposed else (row_edges[a], row_edges[a + 1])
        inner = (row_edges[a], row_edges[a + 1]) if transposed else (col_edges[b], col_edges[b + 1])
        total = 0.0
        for u in range(outer[0], outer[1]):
            line = responses[i, u]
            for v in range(inner[0], inner[1]):
                re, im = line[v].real, line[v].imag
                total += np.sqrt(re * re + im * im)
        area = (row_edges[a + 1] - row_edges[a]) * (col_edges[b + 1] - col_edges[b])
        out[i, (k * B + b) * B + a] = total / area


@functools.lru_cache(maxsize=8)
def _bank(orientations, shape):
    """The float32 Gabor bank at ``shape``, transposed, and each filter's passes.

    Per filter: the axis of its first pass and the lines of the other axis it reaches
    (above ``TINY``).
    """
    bank = gist_gabor(orientations, shape, np.float32)
    supports = []
    for g in bank:
        cols, rows = np.flatnonzero(g.max(axis=0) >= TINY), np.flatnonzero(g.max(axis=1) >= TINY)
        supports.append((2, cols) if len(cols) <= len(rows) else (1, rows))
    return bank, np.ascontiguousarray(bank.transpose(0, 2, 1)), tuple(supports)


def gist_batch(images, orientations, blocks, prefilter, boundary):
    N, H, W = images.shape
    b = boundary
    workers = numba.get_num_threads()

    def lowpass(x, gf):
        half = gf[:, : gf.shape[1] // 2 + 1]
        return scipy.fft.irfft2(scipy.fft.rfft2(x, workers=workers) * half, s=x.shape[1:], workers=workers)

    def ifft(x):
        return scipy.fft.ifft(x, axis=-1, workers=workers, overwrite_x=True)

    shape = (H + 2 * b, W + 2 * b)
    bank, bank_t, supports = _bank(tuple(orientations), shape)
    rows, cols = shape
    row_edges, col_edges = gist_block_edges(H, blocks), gist_block_edges(W, blocks)
    out = np.empty((N, len(bank) * blocks * blocks), dtype=np.float32)
    chunk = max(1, min(N, CHUNK_VALUES // (rows * cols)))
    by_columns = np.empty((chunk, H, cols), dtype=np.complex64)  # the second passes' inputs
    by_rows = np.empty((chunk, W, rows), dtype=np.complex64)
    for start in range(0, N, chunk):
        x = gist_rescaled(images[start : start + chunk])
        n = len(x)
        padded = gist_padded(gist_prefiltered(x, prefilter, lowpass), b).astype(np.float32)
        spectra = scipy.fft.fft2(padded, workers=workers)
        spectra_t = np.ascontiguousarray(spectra.transpose(0, 2, 1))
        for k, (axis, lines) in enumerate(supports):
            # Every transform runs along the last axis: down the columns strided, pocketfft
            # took 4x as long (32 filters on a 320 x 320 spectrum: 11 against 2.6 ms).
            gathered = np.empty((n, len(lines), rows if axis == 2 else cols), dtype=np.complex64)
            if axis == 2:  # the reached columns (as rows), keep the crop's rows, then along them
                gather_columns_kernel(spectra_t, bank_t[k], lines, gathered)
                scatter_transposed_kernel(ifft(gathered)[..., b : b + H], lines, by_columns[:n])
                responses = ifft(by_columns[:n])[..., b : b + W]
            else:  # the reached rows, keep the crop's columns, then down them (as rows)
                gather_rows_kernel(spectra, bank[k], lines, gathered)
                scatter_transposed_kernel(ifft(gathered)[..., b : b + W], lines, by_rows[:n])
                responses = ifft(by_rows[:n])[..., b : b + H]
            block_magnitudes_kernel(responses, axis == 1, row_edges, col_edges, k, out[start : start + n])
    return out
