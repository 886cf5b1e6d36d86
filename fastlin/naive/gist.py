"""GIST (Oliva and Torralba 2001), a line-by-line transcription of Torralba's ``LMgist.m``.

Every tier exposes::

    gist_batch(images, orientations, blocks, prefilter, boundary) -> (N, sum(orientations) * blocks**2) float32

``images`` is (N, H, W) float64, gray (colour already averaged over its channels, as
``LMgist`` does first), H and W even. For each image, as ``LMgist.m`` with
``imageSize = [H W]`` (no resizing), ``orientationsPerScale = orientations``,
``numberBlocks = blocks``, ``fc_prefilt = prefilter`` and ``boundaryExtension = boundary``:

1. the image rescaled to 0..255 (``img - min``, then ``255 * img / max``; a constant image,
   where ``LMgist`` divides 0 by 0, becomes all zeros, and so does its descriptor);
2. ``prefilt``: ``log(1 + img)``, padded by 5 pixels (symmetric) and then, after the image,
   to an even square; whitened by subtracting its low-pass (a Gaussian transfer function
   ``exp(-(fx^2 + fy^2) / s1^2)``, ``s1 = prefilter / sqrt(log 2)``, in cycles per image);
   divided by ``0.2 + sqrt(|low-pass of its square|)``; cropped back;
3. ``gistGabor``: the prefiltered image padded by ``boundary`` (symmetric), its FFT times
   each transfer function of ``createGabor(orientations, [H, W] + 2 * boundary)``, the
   magnitude of the inverse FFT, cropped back, averaged over ``blocks`` x ``blocks``
   blocks (``downN``: block edges ``fix(linspace(0, H, blocks + 1))``).

The values come filter by filter (scales from fine to coarse, orientations in order), and
within a filter the block means in MATLAB's column-major order (block rows fastest). This
tier computes in float64 where MATLAB computes some steps in single precision (the
difference is about 1e-7).
"""

import math

import numpy as np


def create_gabor(orientations, shape):
    """``createGabor(orientations, shape)``: (n_filters, rows, cols) transfer functions, FFT order."""
    rows, cols = shape
    param = []
    for i, n_orient in enumerate(orientations):
        for j in range(n_orient):
            param.append((0.35, 0.3 / 1.85**i, 16 * n_orient**2 / 32**2, math.pi / n_orient * j))
    G = np.zeros((len(param), rows, cols))
    for r in range(rows):
        for c in range(cols):
            # meshgrid(-cols/2:cols/2-1, -rows/2:rows/2-1), then fftshift: entry (r, c) holds
            # the frequency of the shifted grid's entry ((r + rows/2) mod rows, ...)
            fy = (r + rows // 2) % rows - rows // 2
            fx = (c + cols // 2) % cols - cols // 2
            fr = math.sqrt(fx * fx + fy * fy)
            t = math.atan2(fy, fx)
            for k, (a, b, s, theta) in enumerate(param):
                tr = t + theta
                if tr < -math.pi:
                    tr += 2 * math.pi
                elif tr > math.pi:
                    tr -= 2 * math.pi
                G[k, r, c] = math.exp(-10 * a * (fr / cols / b - 1) ** 2 - 2 * s * math.pi * tr * tr)
    return G


def symmetric_index(n_out, size, start):
    """Source indices of MATLAB's ``padarray(..., 'symmetric')``: output i reads this entry."""
    period = [*range(size), *range(size - 1, -1, -1)]
    return [period[(i + start) % (2 * size)] for i in range(n_out)]


def pad_symmetric(img, before, after):
    rows = symmetric_index(img.shape[0] + before[0] + after[0], img.shape[0], -before[0])
    cols = symmetric_index(img.shape[1] + before[1] + after[1], img.shape[1], -before[1])
    out = np.empty((len(rows), len(cols)))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            out[i, j] = img[r, c]
    return out


def lowpass(img, s1):
    """``ifft2(fft2(img) .* gf)``, the prefilter's Gaussian transfer function, for a square img."""
    n = img.shape[0]
    gf = np.empty((n, n))
    for r in range(n):
        for c in range(n):
            fy = (r + n // 2) % n - n // 2
            fx = (c + n // 2) % n - n // 2
            gf[r, c] = math.exp(-(fx * fx + fy * fy) / (s1 * s1))
    return np.fft.ifft2(np.fft.fft2(img) * gf)


def prefilt(img, fc):
    w = 5
    s1 = fc / math.sqrt(math.log(2))
    img = np.log(img + 1)
    img = pad_symmetric(img, (w, w), (w, w))
    sn, sm = img.shape
    n = max(sn, sm)
    n = n + n % 2
    img = pad_symmetric(img, (0, 0), (n - sn, n - sm))
    output = img - lowpass(img, s1).real
    localstd = np.sqrt(np.abs(lowpass(output**2, s1)))
    output = output / (0.2 + localstd)
    return output[w : sn - w, w : sm - w]


def down_n(x, n):
    rows = [int(v) for v in np.fix(np.linspace(0, x.shape[0], n + 1))]
    cols = [int(v) for v in np.fix(np.linspace(0, x.shape[1], n + 1))]
    y = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            total = 0.0
            for r in range(rows[a], rows[a + 1]):
                for c in range(cols[b], cols[b + 1]):
                    total += x[r, c]
            y[a, b] = total / ((rows[a + 1] - rows[a]) * (cols[b + 1] - cols[b]))
    return y


def gist_gabor(img, G, blocks, boundary):
    be = boundary
    ny, nx = G.shape[1:]
    spectrum = np.fft.fft2(pad_symmetric(img, (be, be), (be, be)))
    g = []
    for k in range(G.shape[0]):
        ig = np.abs(np.fft.ifft2(spectrum * G[k]))[be : ny - be, be : nx - be]
        g.extend(down_n(ig, blocks).ravel(order="F"))  # reshape(v, [W N]): column-major
    return g


def gist_batch(images, orientations, blocks, prefilter, boundary):
    N, H, W = images.shape
    G = create_gabor(orientations, (H + 2 * boundary, W + 2 * boundary))
    out = np.zeros((N, G.shape[0] * blocks * blocks), dtype=np.float32)
    for i in range(N):
        img = images[i] - images[i].min()
        top = img.max()
        if top == 0:
            continue  # constant: LMgist's 0 / 0; the zero image's GIST is zero
        img = 255 * img / top
        out[i] = gist_gabor(prefilt(img, prefilter), G, blocks, boundary)
    return out
