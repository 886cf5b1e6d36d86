"""Dense SIFT (VLFeat's ``vl_dsift``), one pixel, one bin and one frame at a time.

Every tier exposes::

    dsift_batch(images, step, size, bounds, fast, window_size) -> (norms (N, n), descriptors (N, n, 128))
    smooth_batch(images, kernel) -> (N, H, W) float32

``smooth_batch`` is MATLAB's ``vl_imsmooth`` with the Gaussian ``kernel`` (2 W + 1 taps, from
``_spec.phow_smoothing_kernel``), the smoothing ``vl_phow`` applies before each bin size:
VLFeat's column filter with the border replicated, along the image's rows first, then down
its columns (the mex's two transposing passes on MATLAB's column-major buffer), float32
sums in VLFeat's order.

``images`` is (N, H, W) float32. The result is MATLAB's ``vl_dsift(I, 'Step', step, 'Size',
size, 'Bounds', ..., 'WindowSize', window_size, 'Fast' if fast, 'FloatDescriptors', 'Norm')``
for each image ``I``, divided by 512 (VLFeat's unit-norm float descriptors), in MATLAB's
frame order (x outer, y inner) and bin order. MATLAB hands VLFeat its column-major buffer,
so VLFeat computes on the transposed image (its x runs down the image's rows) and the mex
transposes each descriptor back: every tier does the same, which is not the same as
computing on the image itself (the fast approximations of ``atan2`` and ``sqrt`` and the
order of the two convolutions are not symmetric). ``bounds`` = (min_x, min_y, max_x,
max_y), inclusive, x = column; ``size`` is the bin size in pixels (4 x 4 bins of 8
orientations); ``fast`` is VLFeat's flat window (a triangular filter, then each bin weighted
by the Gaussian window's mean over it), else each bin's Gaussian window is applied in the
convolution. ``norms`` is VLFeat's descriptor mass before normalization (its "contrast").

Arithmetic is VLFeat's, in float32 and in its order: gradients by central differences
(one-sided at the border), ``vl_fast_atan2_f`` and ``vl_fast_sqrt_f`` (a polynomial and
the bit-trick inverse square root with two Newton steps), the angle split linearly between
two of 8 orientation planes, separable convolutions with the border replicated, then per
frame: L2 normalization, clamping at 0.2, L2 normalization again.
"""

import math

import numpy as np

from fastlin._spec import DSIFT_BINS, DSIFT_ORIENTATIONS, dsift_geometry, dsift_kernel, dsift_window_means

F = np.float32
EPS = F(1.19209290e-07)
TWO_PI = F(2 * math.pi)


def fast_atan2(y, x):
    abs_y = F(abs(y) + EPS)
    if x >= 0:
        r, angle = F((x - abs_y) / (x + abs_y)), F(math.pi / 4)
    else:
        r, angle = F((x + abs_y) / (abs_y - x)), F(3 * math.pi / 4)
    angle = F(angle + (F(0.1821) * r * r - F(0.9675)) * r)
    return -angle if y < 0 else angle


def fast_sqrt(x):
    if float(x) < 1e-8:
        return F(0)
    u = (np.int32(0x5F3759DF) - (np.array(x, dtype=np.float32).view(np.int32) >> 1)).view(np.float32)
    u, half = F(u), F(0.5) * x
    u = F(u * (F(1.5) - half * u * u))
    u = F(u * (F(1.5) - half * u * u))
    return F(x * u)


def orientation_planes(A):
    H, W = A.shape
    planes = np.zeros((DSIFT_ORIENTATIONS, H, W), dtype=np.float32)
    for y in range(H):
        for x in range(W):
            gy = (
                A[y + 1, x] - A[y, x]
                if y == 0
                else A[y, x] - A[y - 1, x]
                if y == H - 1
                else F(0.5) * (A[y + 1, x] - A[y - 1, x])
            )
            gx = (
                A[y, x + 1] - A[y, x]
                if x == 0
                else A[y, x] - A[y, x - 1]
                if x == W - 1
                else F(0.5) * (A[y, x + 1] - A[y, x - 1])
            )
            angle = fast_atan2(gy, gx)
            mod = fast_sqrt(F(gx * gx + gy * gy))
            while angle > TWO_PI:
                angle = F(angle - TWO_PI)
            while angle < 0:
                angle = F(angle + TWO_PI)
            nt = F(float(angle) * (DSIFT_ORIENTATIONS / (2 * math.pi)))
            bint = int(nt)
            rbint = F(nt - F(bint))
            planes[bint % DSIFT_ORIENTATIONS, y, x] = (F(1) - rbint) * mod
            planes[(bint + 1) % DSIFT_ORIENTATIONS, y, x] = rbint * mod
    return planes


def convolve_column(column, ker):
    """out[y] = sum over k = W..-W of column[y - k] * ker[k] (border replicated), summed in that order."""
    H, W = len(column), (len(ker) - 1) // 2
    out = np.empty(H, dtype=np.float32)
    for y in range(H):
        acc = F(0)
        for k in range(W, -W - 1, -1):
            acc = F(acc + column[min(max(y - k, 0), H - 1)] * ker[k + W])
        out[y] = acc
    return out


def triangle_column(column, size):
    """VLFeat's ``vl_imconvcoltri``: a triangle of half-width ``size`` by two running sums."""
    H = len(column)
    buf = {}  # VLFeat's buffer, indices -size .. H-1
    buf[H - 1] = column[H - 1]
    for y in range(H - 2, -1, -1):
        buf[y] = F(buf[y + 1] + column[y])
    for y in range(-1, -size - 1, -1):
        buf[y] = F(buf[y + 1] + column[0])
    for y in range(-size, H - size):  # reads buf[y + size] before its own turn comes
        buf[y] = F(buf[y] - buf[y + size])
    last = buf[H - 1]
    for y in range(H - size, H):  # the replicated border past the end
        buf[y] = F(buf[y] - last * F(H - size - y))
    for y in range(-size + 1, H):
        buf[y] = F(buf[y] + buf[y - 1])
    scale = F(1.0 / (float(size) * float(size)))
    return np.array([F(scale * (buf[y] - buf[y - size])) for y in range(H)], dtype=np.float32)


def _separable(plane, column_filter):
    """The filter down every column, then along every row (VLFeat's two transposed passes)."""
    down = np.stack([column_filter(plane[:, x]) for x in range(plane.shape[1])], axis=1)
    return np.stack([column_filter(down[y, :]) for y in range(plane.shape[0])], axis=0)


def _normalize(d):
    total = F(0)
    for v in d:
        total = F(total + v * v)
    norm = F(fast_sqrt(total) + EPS)
    return np.array([F(v / norm) for v in d], dtype=np.float32)


def _one(A, step, size, bounds, fast, window_size):
    planes = orientation_planes(A)
    min_x, min_y, max_x, max_y = bounds
    xs, ys = dsift_geometry((min_y, min_x, max_y, max_x), step, size)  # A's x runs down the image's rows
    T, B = DSIFT_ORIENTATIONS, DSIFT_BINS
    raw = np.zeros((len(ys) * len(xs), B, B, T), dtype=np.float32)
    means = dsift_window_means(size, window_size)

    def sample(conv, by, bx, t, w):
        k = 0
        for fy in ys:  # VLFeat's loops: frames y outer, x inner
            for fx in xs:
                v = conv[fy + by * size, fx + bx * size]
                raw[k, by, bx, t] = v if w is None else F(w * v)
                k += 1

    for t in range(T):
        if fast:  # one triangular filter per orientation, each bin then weighted by its window's mean
            conv = _separable(planes[t], lambda c: triangle_column(c, size))
            for by in range(B):
                for bx in range(B):
                    sample(conv, by, bx, t, F(F(means[bx] * F(size)) * F(means[by] * F(size))))
        else:  # each bin its own Gaussian-weighted triangle
            for by in range(B):
                for bx in range(B):
                    yker, xker = dsift_kernel(size, by, window_size), dsift_kernel(size, bx, window_size)
                    down = np.stack([convolve_column(planes[t][:, x], yker) for x in range(A.shape[1])], axis=1)
                    conv = np.stack([convolve_column(down[y, :], xker) for y in range(A.shape[0])], axis=0)
                    sample(conv, by, bx, t, None)
    norms = np.empty(len(raw), dtype=np.float32)
    out = np.empty((len(raw), B * B * T), dtype=np.float32)
    frame = F((size * (B - 1) + 1) ** 2)
    for k in range(len(raw)):
        d = raw[k].ravel()
        mass = F(0)
        for v in d:
            mass = F(mass + v)
        norms[k] = F(mass / frame)
        d = _normalize(d)
        d = np.array([F(0.2) if v > F(0.2) else v for v in d], dtype=np.float32)
        d = _normalize(d).reshape(B, B, T)
        for y in range(B):  # vl_dsift_transpose_descriptor: bins (y, x) -> (x, y), orientation t -> T/4 - t
            for x in range(B):
                for t in range(T):
                    out[k, (x * B + y) * T + (T // 4 - t) % T] = d[y, x, t]
    return norms, out


def dsift_batch(images, step, size, bounds, fast, window_size):
    results = [_one(np.ascontiguousarray(image.T), step, size, bounds, fast, window_size) for image in images]
    return np.stack([r[0] for r in results]), np.stack([r[1] for r in results])


def smooth_batch(images, kernel):
    column_filter = lambda column: convolve_column(column, kernel)  # noqa: E731
    return np.stack([_separable(np.ascontiguousarray(image.T), column_filter).T for image in images])
