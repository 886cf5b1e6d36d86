"""Single-layer k-means features (Coates, Lee & Ng 2011), one patch and one centroid at a time.

Every tier exposes::

    encode_pooled(images, p, stride, eps, shift, whiten, centroids, encoding, alpha, grid)
        -> (N, grid[0] * grid[1], K or 2 K) float32

``images`` is (N, H, W, C) of uint8, float32 or float64. Every ``p`` x ``p`` patch taken
every ``stride`` pixels is flattened (row, column, channel) in float64; when ``eps`` is not
None it is brightness- and contrast-normalized, ``(x - mean(x)) / sqrt(var(x) + eps)`` with
the unbiased variance (the paper's MATLAB ``var``); then whitened, ``w = (x - shift) @
whiten`` (``shift`` (D,), ``whiten`` (D, D) float32: the ZCA fit, or zeros and the
identity). With ``z_k = |w - c_k|`` its distance to centroid ``k`` of ``centroids`` (K, D)
float32 and ``s_k = w . c_k`` their dot product, the patch's code is, by ``encoding``:

- ``"triangle"``: ``max(0, mean_j(z_j) - z_k)`` (Coates, Lee & Ng's "triangle" activation);
- ``"hard"``: the one-hot vector of its nearest centroid (the first on ties);
- ``"soft"``: ``max(0, s_k - alpha)`` (Coates & Ng's soft threshold, for unit-norm atoms);
- ``"soft-split"``: ``max(0, s_k - alpha)`` for k < K, then ``max(0, -s_k - alpha)``: 2 K values.

The codes are summed over the cells of a ``grid`` (rows, cols) laid over the grid of patch
positions: a patch at position (i, j) of an R x Q position grid falls in cell
``(i * rows // R, j * cols // Q)``. Sums are returned per cell, row-major.
"""

import math

import numpy as np


def _patch(image, r0, c0, p, eps):
    x = image[r0 : r0 + p, c0 : c0 + p].astype(np.float64).ravel()
    if eps is not None:
        x = (x - x.mean()) / math.sqrt(x.var(ddof=1) + eps)
    return x


def _code(w, centroids, encoding, alpha):
    K = centroids.shape[0]
    if encoding in ("soft", "soft-split"):
        s = [float(np.dot(w, centroids[k].astype(np.float64))) for k in range(K)]
        code = [max(0.0, v - alpha) for v in s]
        if encoding == "soft-split":
            code += [max(0.0, -v - alpha) for v in s]
        return np.array(code)
    d2 = [float(np.sum((w - centroids[k].astype(np.float64)) ** 2)) for k in range(K)]
    if encoding == "triangle":
        z = [math.sqrt(v) for v in d2]
        mean = sum(z) / K
        return np.array([max(0.0, mean - zk) for zk in z])
    code = np.zeros(K)
    code[int(np.argmin(d2))] = 1.0
    return code


def encode_pooled(images, p, stride, eps, shift, whiten, centroids, encoding, alpha, grid):
    N, H, W, _ = images.shape
    R, Q = (H - p) // stride + 1, (W - p) // stride + 1
    rows, cols = grid
    out = np.zeros((N, rows * cols, centroids.shape[0] * (2 if encoding == "soft-split" else 1)))
    for n in range(N):
        for i in range(R):
            for j in range(Q):
                x = _patch(images[n], i * stride, j * stride, p, eps)
                w = (x - shift.astype(np.float64)) @ whiten.astype(np.float64)
                cell = (i * rows // R) * cols + j * cols // Q
                out[n, cell] += _code(w, centroids, encoding, alpha)
    return out.astype(np.float32)
