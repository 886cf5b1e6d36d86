"""Bag of visual words one patch and one word at a time: the readable reference.

Every tier exposes::

    describe_patches(images, p, stride, positions) -> (N, m, p * p * C) float32
    encode_patches(images, p, stride, words)       -> (N, k) int64
    count_nearest_words(desc, words)               -> (N, k) int64
    encode_cells(desc, words, cells, n_cells, triangle) -> (N, n_cells, k) float32

``images`` is (N, H, W, C) of uint8, float32 or float64. Patch positions are numbered
row-major over the grid of ``p`` x ``p`` patches taken every ``stride`` pixels;
``positions`` (N, m) names the patches of each image to describe. A patch's descriptor is
its pixels flattened (row, column, channel), minus their mean, over their L2 norm (zeros
for a flat patch), in float32. ``words`` (k, size) float32 is the codebook; a descriptor's
word is the nearest one (``|w|^2 - 2 w.d``, the first on ties), and
``encode_patches`` counts, per image, the words of all its patches (every grid position);
``count_nearest_words`` counts those of precomputed descriptors ``desc`` (N, m, size).
``encode_cells`` pools codes of precomputed descriptors into cells: ``cells`` (m, L) int64
names the L cells (one per pyramid level, numbered across levels) each position belongs
to, and each descriptor adds its code to all of them; the code is, with ``triangle``,
``max(0, mean_j(z_j) - z_w)`` for ``z_w`` the Euclidean distance to word ``w`` (the soft
"triangle" assignment of Coates, Lee & Ng), else the one-hot vector of its nearest word.
"""

import numpy as np


def _grid_cols(width, p, stride):
    return (width - p) // stride + 1


def _describe(image, r0, c0, p):
    patch = image[r0 : r0 + p, c0 : c0 + p].astype(np.float64).ravel()
    patch = patch - patch.mean()
    norm = np.sqrt(np.sum(patch * patch))
    return (patch / norm if norm > 0 else np.zeros_like(patch)).astype(np.float32)


def describe_patches(images, p, stride, positions):
    n_cols = _grid_cols(images.shape[2], p, stride)
    out = np.empty((images.shape[0], positions.shape[1], p * p * images.shape[3]), dtype=np.float32)
    for n, image in enumerate(images):
        for q, pos in enumerate(positions[n]):
            out[n, q] = _describe(image, (pos // n_cols) * stride, (pos % n_cols) * stride, p)
    return out


def _nearest(d, words):
    best, best_d = 0, np.inf
    for k, w in enumerate(words):
        score = float(np.dot(w.astype(np.float64), w)) - 2.0 * float(np.dot(w, d))
        if score < best_d:
            best, best_d = k, score
    return best


def count_nearest_words(desc, words):
    counts = np.zeros((desc.shape[0], words.shape[0]), dtype=np.int64)
    for n in range(desc.shape[0]):
        for d in desc[n]:
            counts[n, _nearest(d, words)] += 1
    return counts


def encode_patches(images, p, stride, words):
    n_pos = ((images.shape[1] - p) // stride + 1) * _grid_cols(images.shape[2], p, stride)
    positions = np.tile(np.arange(n_pos), (images.shape[0], 1))
    return count_nearest_words(describe_patches(images, p, stride, positions), words)


def _code(d, words, triangle):
    d = d.astype(np.float64)
    dist2 = [float(np.sum((d - w.astype(np.float64)) ** 2)) for w in words]
    code = np.zeros(len(words))
    if triangle:
        z = [np.sqrt(v) for v in dist2]
        mean = sum(z) / len(z)
        for k, zk in enumerate(z):
            code[k] = max(0.0, mean - zk)
    else:
        code[int(np.argmin(dist2))] = 1.0
    return code


def encode_cells(desc, words, cells, n_cells, triangle):
    out = np.zeros((desc.shape[0], n_cells, words.shape[0]))
    for n in range(desc.shape[0]):
        for q, d in enumerate(desc[n]):
            code = _code(d, words, triangle)
            for cell in cells[q]:
                out[n, cell] += code
    return out.astype(np.float32)
