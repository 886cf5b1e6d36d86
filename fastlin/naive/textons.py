"""Textons: filter-bank responses and texton histograms, the readable reference.

Every tier exposes::

    filter_responses(images, bank, mr8, weber) -> (N, H, W, K) float32
    texton_histograms(images, bank, mr8, weber, textons, cells) -> (N, cells * cells * T) float32

``images`` is (N, H, W) float64, gray; ``bank`` (n_filters, s, s) float64 with s odd.

1. Each image is padded by ``s // 2`` pixels on every side, mirrored with the edge pixel
   repeated (``scipy.ndimage``'s ``"reflect"``, MATLAB's ``padarray(..., 'symmetric')``,
   continued periodically when the padding is wider than the image), and convolved with
   every filter as the VGG code's ``conv2(I, F(:, :, k), 'valid')`` does: response ``k``
   equals ``scipy.ndimage.convolve(image, bank[k], mode="reflect")``.
2. ``mr8`` (the RFS bank's 38 filters): per scale, the largest absolute response of the 6
   first-derivative filters and the largest response of the 6 second-derivative filters,
   then the Gaussian's and the Laplacian's: K = 8 (else K = n_filters, in the bank's order).
3. ``weber``: each pixel's response vector ``r`` becomes ``r * log(1 + L / 0.03) / L``,
   ``L = |r|`` (Varma and Zisserman's contrast normalization; 0 stays 0).

The responses are rounded to float32. ``texton_histograms`` assigns every pixel to its
nearest texton (rows of ``textons`` (T, K) float32, squared Euclidean distance from the
float32 responses, the first of equals) and counts the assignments in each of ``cells`` x
``cells`` cells (edges ``k * H // cells``), divided by the cell's pixels: cell by cell in
row-major order, each a histogram of T values summing to 1.
"""

import numpy as np

from fastlin._spec import MR8_ABS_GROUPS, MR8_ORIENTATIONS, MR8_SIZE, WEBER_L0, gist_block_edges, texton_padded


def _convolved(padded, bank, H, W):
    """(H, W, n_filters): every filter convolved with one padded image, window by window."""
    s = bank.shape[1]
    out = np.empty((H, W, len(bank)))
    for k, f in enumerate(bank):
        flipped = f[::-1, ::-1]  # a convolution is a correlation with the flipped filter
        for y in range(H):
            for x in range(W):
                out[y, x, k] = np.sum(padded[y : y + s, x : x + s] * flipped)
    return out


def _mr8(r):
    out = np.empty(MR8_SIZE)
    for g in range(MR8_SIZE - 2):
        group = r[g * MR8_ORIENTATIONS : (g + 1) * MR8_ORIENTATIONS]
        out[g] = np.max(np.abs(group)) if g < MR8_ABS_GROUPS else np.max(group)
    out[-2:] = r[-2:]
    return out


def _weber(r):
    norm = np.sqrt(np.sum(r * r))
    return r * (np.log1p(norm / WEBER_L0) / norm) if norm > 0 else np.zeros_like(r)


def _responses(image, bank, mr8, weber):
    H, W = image.shape
    padded = texton_padded(image[None], bank.shape[1])[0]
    conv = _convolved(padded, bank, H, W)
    out = np.empty((H, W, MR8_SIZE if mr8 else len(bank)), dtype=np.float32)
    for y in range(H):
        for x in range(W):
            r = _mr8(conv[y, x]) if mr8 else conv[y, x]
            out[y, x] = _weber(r) if weber else r
    return out


def filter_responses(images, bank, mr8, weber):
    return np.stack([_responses(image, bank, mr8, weber) for image in images])


def texton_histograms(images, bank, mr8, weber, textons, cells):
    N, H, W = images.shape
    rows, cols = gist_block_edges(H, cells), gist_block_edges(W, cells)
    hist = np.zeros((N, cells, cells, len(textons)))
    for i, image in enumerate(images):
        r = _responses(image, bank, mr8, weber).astype(np.float64)
        for a in range(cells):
            for b in range(cells):
                for y in range(rows[a], rows[a + 1]):
                    for x in range(cols[b], cols[b + 1]):
                        d = np.sum((textons - r[y, x]) ** 2, axis=1)
                        hist[i, a, b, int(np.argmin(d))] += 1
                hist[i, a, b] /= (rows[a + 1] - rows[a]) * (cols[b + 1] - cols[b])
    return hist.reshape(N, -1).astype(np.float32)
