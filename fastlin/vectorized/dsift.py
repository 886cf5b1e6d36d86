"""Dense SIFT in NumPy, VLFeat's float32 arithmetic step by step. The contract of :mod:`fastlin.naive.dsift`.

Every step is an elementwise float32 operation in VLFeat's order (no reduction that NumPy
would sum pairwise: sums run as sequential loops over the summed axis), so the results are
VLFeat's bits.
"""

import numpy as np

from fastlin._spec import DSIFT_BINS, DSIFT_ORIENTATIONS, dsift_geometry, dsift_kernel, dsift_window_means

F = np.float32
EPS = F(1.19209290e-07)
TWO_PI = F(2 * np.pi)
C1, C3 = F(0.9675), F(0.1821)


def _fast_atan2(y, x):
    abs_y = np.abs(y) + EPS
    with np.errstate(divide="ignore", invalid="ignore"):  # the branch np.where drops may divide by 0
        r = np.where(x >= 0, (x - abs_y) / (x + abs_y), (x + abs_y) / (abs_y - x))
    angle = np.where(x >= 0, F(np.pi / 4), F(3 * np.pi / 4)) + (C3 * r * r - C1) * r
    return np.where(y < 0, -angle, angle)


def _fast_sqrt(x):
    u = (np.int32(0x5F3759DF) - (x.view(np.int32) >> 1)).view(np.float32)
    half = F(0.5) * x
    u = u * (F(1.5) - half * u * u)
    u = u * (F(1.5) - half * u * u)
    return np.where(x.astype(np.float64) < 1e-8, F(0), x * u)


def _orientation_planes(A):
    """VLFeat's gradient of A (rows = its y) split into DSIFT_ORIENTATIONS planes (T, H, W)."""
    gy = np.empty_like(A)
    gy[0] = A[1] - A[0]
    gy[-1] = A[-1] - A[-2]
    gy[1:-1] = F(0.5) * (A[2:] - A[:-2])
    gx = np.empty_like(A)
    gx[:, 0] = A[:, 1] - A[:, 0]
    gx[:, -1] = A[:, -1] - A[:, -2]
    gx[:, 1:-1] = F(0.5) * (A[:, 2:] - A[:, :-2])
    angle = _fast_atan2(gy, gx)
    mod = _fast_sqrt(gx * gx + gy * gy)
    angle = np.where(angle > TWO_PI, angle - TWO_PI, angle)
    angle = np.where(angle < 0, angle + TWO_PI, angle)
    nt = (angle.astype(np.float64) * (DSIFT_ORIENTATIONS / (2 * np.pi))).astype(np.float32)
    bint = nt.astype(np.int64)  # nt >= 0: truncation is the floor
    rbint = nt - bint.astype(np.float32)
    planes = np.zeros((DSIFT_ORIENTATIONS, *A.shape), dtype=np.float32)
    rows, cols = np.indices(A.shape)
    planes[bint % DSIFT_ORIENTATIONS, rows, cols] = (F(1) - rbint) * mod
    planes[(bint + 1) % DSIFT_ORIENTATIONS, rows, cols] = rbint * mod
    return planes


def _convolve_rows(src, ker):
    """Along axis 0, border replicated: out[y] = sum over k = W..-W of src[y - k] * ker[k], in that order."""
    H = src.shape[0]
    W = (len(ker) - 1) // 2
    acc = np.zeros_like(src)
    ys = np.arange(H)
    for k in range(W, -W - 1, -1):
        acc = acc + src[np.clip(ys - k, 0, H - 1)] * ker[k + W]
    return acc


def _triangle_rows(src, size):
    """VLFeat's triangular filter of half-width ``size`` along axis 0 (integral signals, border replicated)."""
    H = src.shape[0]
    buf = np.empty((H + size, *src.shape[1:]), dtype=np.float32)  # buf[size + y] is VLFeat's buffer[y]
    back = np.cumsum(src[::-1], axis=0)[::-1]  # buffer[y] = buffer[y + 1] + src[y], y = H-1..0
    buf[size:] = back
    for y in range(size - 1, -1, -1):  # buffer[y] = buffer[y + 1] + src[0], y = -1..-size, in that order
        buf[y] = buf[y + 1] + src[0]
    # the forward differences read the buffer as it was before the loop
    head = H - size  # y < head: buffer[y] - buffer[y + size]; y >= head: the replicated tail
    old = buf.copy()
    lo = max(-size, min(head, H)) + size
    buf[:lo] = old[:lo] - old[size : lo + size]
    tail = np.arange(max(head, -size), H)
    buf[tail + size] = old[tail + size] - old[H - 1 + size] * (head - tail).astype(np.float32)[:, None]
    buf[1:] = np.cumsum(buf, axis=0)[1:]  # buffer[y] += buffer[y - 1], y = -size+1..H-1
    scale = F(1.0 / (float(size) * float(size)))
    return scale * (buf[size:] - buf[:H])


def _descriptors_one(A, step, size, bounds, fast, window_size):
    """One image as VLFeat sees it (A = image.T) -> (norms, raw (n, 128) in VLFeat's bin order)."""
    planes = _orientation_planes(A)
    min_x, min_y, max_x, max_y = bounds
    xs, ys = dsift_geometry((min_y, min_x, max_y, max_x), step, size)  # A's x is the image's y
    n = len(xs) * len(ys)
    out = np.empty((n, DSIFT_BINS, DSIFT_BINS, DSIFT_ORIENTATIONS), dtype=np.float32)  # frame, biny, binx, t
    fy, fx = np.meshgrid(ys, xs, indexing="ij")  # frames: y outer, x inner (VLFeat's loops)
    fy, fx = fy.ravel(), fx.ravel()
    if fast:
        means = dsift_window_means(size, window_size)
        for t in range(DSIFT_ORIENTATIONS):
            conv = _triangle_rows(_triangle_rows(planes[t], size).T, size).T
            for by in range(DSIFT_BINS):
                wy = means[by] * F(size)
                for bx in range(DSIFT_BINS):
                    w = (means[bx] * F(size)) * wy
                    out[:, by, bx, t] = w * conv[fy + by * size, fx + bx * size]
    else:
        for by in range(DSIFT_BINS):
            yker = dsift_kernel(size, by, window_size)
            for bx in range(DSIFT_BINS):
                xker = dsift_kernel(size, bx, window_size)
                for t in range(DSIFT_ORIENTATIONS):
                    conv = _convolve_rows(_convolve_rows(planes[t], yker).T, xker).T
                    out[:, by, bx, t] = conv[fy + by * size, fx + bx * size]
    flat = out.reshape(n, -1)
    frame = F((size * (DSIFT_BINS - 1) + 1) ** 2)
    mass = np.zeros(n, dtype=np.float32)
    for i in range(flat.shape[1]):
        mass = mass + flat[:, i]
    flat = _normalize(flat)
    flat = np.where(flat > F(0.2), F(0.2), flat)
    return mass / frame, _normalize(flat)


def _normalize(d):
    total = np.zeros(d.shape[0], dtype=np.float32)
    for i in range(d.shape[1]):
        total = total + d[:, i] * d[:, i]
    norm = _fast_sqrt(total) + EPS
    return d / norm[:, None]


def _transpose_descriptors(d):
    """VLFeat's vl_dsift_transpose_descriptor: bins (y, x) -> (x, y), orientation t -> T/4 - t."""
    T = DSIFT_ORIENTATIONS
    d = d.reshape(-1, DSIFT_BINS, DSIFT_BINS, T).transpose(0, 2, 1, 3)
    return d[:, :, :, (T // 4 - np.arange(T)) % T].reshape(-1, DSIFT_BINS * DSIFT_BINS * T)


def dsift_batch(images, step, size, bounds, fast, window_size):
    N = images.shape[0]
    norms, descs = [], []
    for n in range(N):
        norm, raw = _descriptors_one(np.ascontiguousarray(images[n].T), step, size, bounds, fast, window_size)
        norms.append(norm)
        descs.append(_transpose_descriptors(raw))
    return np.stack(norms), np.stack(descs)


def smooth_batch(images, kernel):
    across = _convolve_rows(images.transpose(2, 0, 1), kernel).transpose(1, 2, 0)  # along each row first
    return np.ascontiguousarray(_convolve_rows(across.transpose(1, 0, 2), kernel).transpose(1, 0, 2))
