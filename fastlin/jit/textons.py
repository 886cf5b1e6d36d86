"""Textons kernels. The contract of :mod:`fastlin.naive.textons`.

The convolutions run in the frequency domain: a real FFT of each padded image, its product
with every filter's spectrum, and the inverse in two passes through SciPy's pocketfft
(``workers`` = the tier's threads, complex64): down the columns, then, on the rows the
crop keeps only, along them. With 49 x 49 filters on 32 x 32 images that is 48 inverse
transforms of 80 x 80 per image; in the spatial domain each response would take 2401
multiply-adds a pixel. The products, the arrangement pixel by pixel (MR8's maxima, the
contrast normalization) and the nearest texton with its count are Numba kernels, parallel
over (image, row) pairs.
"""

import numba
import numpy as np
import scipy.fft
from numba import njit, prange

from fastlin._config import HELPER_OPTIONS, PARALLEL_OPTIONS
from fastlin._spec import MR8_ABS_GROUPS, MR8_ORIENTATIONS, MR8_SIZE, WEBER_L0, gist_block_edges, texton_padded

#: complex values of filter products held at once (16 MiB of complex64)
CHUNK_VALUES = 1 << 21


@njit(**PARALLEL_OPTIONS)
def product_kernel(spectra, bank_spectra, out):
    """out[i * K + k] = spectra[i] * bank_spectra[k]."""
    n, rows, cols = spectra.shape
    K = bank_spectra.shape[0]
    for item in prange(n * K):
        i, k = item // K, item % K
        for r in range(rows):
            for c in range(cols):
                out[item, r, c] = spectra[i, r, c] * bank_spectra[k, r, c]


@njit(**HELPER_OPTIONS)
def _finish(r, mr8, weber, v):
    """One pixel's responses ``r`` (n_filters,) -> ``v``: MR8's maxima, then the contrast normalization."""
    if mr8:
        for g in range(MR8_SIZE - 2):
            best = -np.inf
            for j in range(g * MR8_ORIENTATIONS, (g + 1) * MR8_ORIENTATIONS):
                value = abs(r[j]) if g < MR8_ABS_GROUPS else r[j]
                best = max(best, value)
            v[g] = best
        v[MR8_SIZE - 2] = r[len(r) - 2]
        v[MR8_SIZE - 1] = r[len(r) - 1]
    else:
        v[:] = r
    if weber:
        total = 0.0
        for k in range(len(v)):
            total += np.float64(v[k]) * v[k]
        norm = np.sqrt(total)
        scale = np.log1p(norm / WEBER_L0) / norm if norm > 0 else 0.0
        for k in range(len(v)):
            v[k] = v[k] * scale


@njit(**PARALLEL_OPTIONS)
def arrange_kernel(conv, offset, mr8, weber, out):
    """out[i, y, x] = the finished responses conv[i, :, y, offset + x]."""
    n, K, H = conv.shape[:3]
    W = out.shape[2]
    for item in prange(n * H):
        i, y = item // H, item % H
        r = np.empty(K, dtype=np.float32)
        v = np.empty(out.shape[3], dtype=np.float32)
        for x in range(W):
            for k in range(K):
                r[k] = conv[i, k, y, offset + x]
            _finish(r, mr8, weber, v)
            out[i, y, x, :] = v


@njit(**PARALLEL_OPTIONS)
def histogram_kernel(conv, offset, mr8, weber, textons_t, rows, cols, out):
    """out[i, (a * cells + b) * T + t]: the share of cell (a, b)'s pixels whose nearest texton is t.

    ``textons_t`` is (K, T): the distances to every texton build up one response at a time,
    along the textons (contiguous, vectorized), with no sum across lanes.
    """
    n, K = conv.shape[:2]
    D, T = textons_t.shape
    cells = len(rows) - 1
    for item in prange(n * cells):
        i, a = item // cells, item % cells
        r = np.empty(K, dtype=np.float32)
        v = np.empty(D, dtype=np.float32)
        dist = np.empty(T, dtype=np.float32)
        for j in range(a * cells * T, (a + 1) * cells * T):
            out[i, j] = 0
        for y in range(rows[a], rows[a + 1]):
            b = 0
            for x in range(cols[-1]):
                while x >= cols[b + 1]:
                    b += 1
                for k in range(K):
                    r[k] = conv[i, k, y, offset + x]
                _finish(r, mr8, weber, v)
                dist[:] = 0
                for k in range(D):
                    vk = v[k]
                    for t in range(T):
                        e = vk - textons_t[k, t]
                        dist[t] += e * e
                nearest = 0
                for t in range(1, T):
                    if dist[t] < dist[nearest]:
                        nearest = t
                out[i, (a * cells + b) * T + nearest] += 1
        for b in range(cells):
            size = (rows[a + 1] - rows[a]) * (cols[b + 1] - cols[b])
            for t in range(T):
                out[i, (a * cells + b) * T + t] /= size


def _convolved(images, bank):
    """Yield (start, conv (n, K, H, columns) float32, offset): response k of pixel (y, x) at [:, k, y, offset + x]."""
    N, H, W = images.shape
    s = bank.shape[1]
    workers = numba.get_num_threads()
    rows = scipy.fft.next_fast_len(H + s - 1, real=True)  # no wrap-around reaches the kept outputs
    cols = scipy.fft.next_fast_len(W + s - 1, real=True)
    bank_spectra = scipy.fft.rfft2(bank, s=(rows, cols), workers=workers).astype(np.complex64)
    K = len(bank)
    chunk = max(1, min(N, CHUNK_VALUES // bank_spectra.size))
    products = np.empty((chunk * K, rows, cols // 2 + 1), dtype=np.complex64)
    for start in range(0, N, chunk):
        padded = texton_padded(images[start : start + chunk], s).astype(np.float32)
        n = len(padded)
        spectra = scipy.fft.rfft2(padded, s=(rows, cols), workers=workers)
        product_kernel(spectra, bank_spectra, products[: n * K])
        down = scipy.fft.ifft(products[: n * K], axis=1, workers=workers, overwrite_x=True)[:, s - 1 : s - 1 + H]
        conv = scipy.fft.irfft(down, n=cols, axis=2, workers=workers, overwrite_x=True)
        yield start, conv.reshape(n, K, H, cols), s - 1


def filter_responses(images, bank, mr8, weber):
    N, H, W = images.shape
    out = np.empty((N, H, W, MR8_SIZE if mr8 else len(bank)), dtype=np.float32)
    for start, conv, offset in _convolved(images, bank):
        arrange_kernel(conv, offset, mr8, weber, out[start : start + len(conv)])
    return out


def texton_histograms(images, bank, mr8, weber, textons, cells):
    N, H, W = images.shape
    rows, cols = gist_block_edges(H, cells), gist_block_edges(W, cells)
    out = np.empty((N, cells * cells * len(textons)), dtype=np.float32)
    textons_t = np.ascontiguousarray(textons.T)
    for start, conv, offset in _convolved(images, bank):
        histogram_kernel(conv, offset, mr8, weber, textons_t, rows, cols, out[start : start + len(conv)])
    return out
