"""GIST kernels. The contract of :mod:`fastlin.naive.gist`.

The transforms are the work (a forward FFT per image, an inverse per image and filter): they
run through SciPy's pocketfft with as many workers as the tier has threads, in complex64 as
``LMgist.m`` runs them (single precision), and pruned twice:

- each filter is a smooth bump in the frequency plane, below 1e-12 on many whole rows or
  columns of it: the first pass of its inverse transform (down the columns, or along the
  rows when fewer rows than columns hold the filter) runs on those lines only, and the
  rest, whose transform would be below 1e-12 of the image's energy, is zero;
- the second pass runs only on the lines the crop keeps.

For a 32 x 32 image that is 88 one-dimensional transforms per filter instead of 192. What is
not a transform is fused here, parallel over (image, line) pairs: the spectrum times the
filter, gathered into the buffer the first pass reads; the first pass's kept lines
scattered among zeros for the second; the magnitudes averaged over the blocks. The
prefilter runs in float64 with real transforms (its Gaussian is even, so its result is
real). ``docs/design.md`` says why this FFT and not another.
"""

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
def gather_columns_kernel(spectra, filt, lines, out):
    """out[i, r, j] = spectra[i, r, lines[j]] * filt[r, lines[j]]."""
    n, rows = spectra.shape[:2]
    for item in prange(n * rows):
        i, r = item // rows, item % rows
        for j in range(len(lines)):
            out[i, r, j] = spectra[i, r, lines[j]] * filt[r, lines[j]]


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
def scatter_kernel(part, lines, axis, out):
    """``out`` zero but for ``part``'s lines placed at ``lines`` along ``axis`` (1 or 2)."""
    n, rows, cols = out.shape
    for item in prange(n * rows):
        i, r = item // rows, item % rows
        out[i, r, :] = 0
        if axis == 2:
            for j in range(len(lines)):
                out[i, r, lines[j]] = part[i, r, j]
    if axis == 1:
        for item in prange(n * len(lines)):
            i, j = item // len(lines), item % len(lines)
            out[i, lines[j], :] = part[i, j, :]


@njit(**PARALLEL_OPTIONS)
def block_magnitudes_kernel(responses, row_edges, col_edges, k, out):
    """out[i, k * B * B + b * B + a] = mean |responses[i]| over block (a, b) (block row a, column b)."""
    n = responses.shape[0]
    B = len(row_edges) - 1
    for item in prange(n * B * B):
        i, a, b = item // (B * B), item % B, (item // B) % B
        total = 0.0
        for r in range(row_edges[a], row_edges[a + 1]):
            for c in range(col_edges[b], col_edges[b + 1]):
                z = responses[i, r, c]
                total += np.sqrt(z.real * z.real + z.imag * z.imag)
        area = (row_edges[a + 1] - row_edges[a]) * (col_edges[b + 1] - col_edges[b])
        out[i, (k * B + b) * B + a] = total / area


def _supports(bank):
    """Per filter: (axis of the first pass, the lines of the other axis the filter reaches)."""
    out = []
    for g in bank:
        cols, rows = np.flatnonzero(g.max(axis=0) >= TINY), np.flatnonzero(g.max(axis=1) >= TINY)
        out.append((2, cols) if len(cols) <= len(rows) else (1, rows))
    return out


def gist_batch(images, orientations, blocks, prefilter, boundary):
    N, H, W = images.shape
    b = boundary
    workers = numba.get_num_threads()

    def lowpass(x, gf):
        half = gf[:, : gf.shape[1] // 2 + 1]
        return scipy.fft.irfft2(scipy.fft.rfft2(x, workers=workers) * half, s=x.shape[1:], workers=workers)

    def ifft(x, axis):
        return scipy.fft.ifft(x, axis=axis, workers=workers, overwrite_x=True)

    bank = gist_gabor(tuple(orientations), (H + 2 * b, W + 2 * b), np.float32)
    rows, cols = bank.shape[1:]
    row_edges, col_edges = gist_block_edges(H, blocks), gist_block_edges(W, blocks)
    out = np.empty((N, len(bank) * blocks * blocks), dtype=np.float32)
    chunk = max(1, min(N, CHUNK_VALUES // (rows * cols)))
    by_columns = np.empty((chunk, H, cols), dtype=np.complex64)  # the second passes' inputs
    by_rows = np.empty((chunk, rows, W), dtype=np.complex64)
    supports = _supports(bank)
    for start in range(0, N, chunk):
        x = gist_rescaled(images[start : start + chunk])
        n = len(x)
        padded = gist_padded(gist_prefiltered(x, prefilter, lowpass), b).astype(np.float32)
        spectra = scipy.fft.fft2(padded, workers=workers)
        for k, (axis, lines) in enumerate(supports):
            if axis == 2:  # down the reached columns, keep the crop's rows, then along them
                gathered = np.empty((n, rows, len(lines)), dtype=np.complex64)
                gather_columns_kernel(spectra, bank[k], lines, gathered)
                scatter_kernel(ifft(gathered, -2)[:, b : b + H], lines, 2, by_columns[:n])
                responses = ifft(by_columns[:n], -1)[..., b : b + W]
            else:
                gathered = np.empty((n, len(lines), cols), dtype=np.complex64)
                gather_rows_kernel(spectra, bank[k], lines, gathered)
                scatter_kernel(ifft(gathered, -1)[..., b : b + W], lines, 1, by_rows[:n])
                responses = ifft(by_rows[:n], -2)[:, b : b + H]
            block_magnitudes_kernel(responses, row_edges, col_edges, k, out[start : start + n])
    return out
