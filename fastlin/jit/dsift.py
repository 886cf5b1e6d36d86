"""Dense SIFT kernels: VLFeat's arithmetic, compiled, one image per ``prange`` iteration.

The contract of :mod:`fastlin.naive.dsift`. No fastmath: VLFeat's float32 operations run in
its order (no fused multiply-adds, no reassociated sums), so the descriptors are its bits.
Work VLFeat does and the frames never read is skipped: with the Gaussian window, each
bin's column filter runs only on the rows the frames sample and its row filter only at the
sampled columns (every output value is still the same sum in the same order). The flat
window's triangular filter is a running sum, whose rounding depends on the whole column,
so its first pass runs on every column; its second pass only on the sampled rows.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import EXACT_HELPER_OPTIONS, EXACT_PARALLEL_OPTIONS
from fastlin._spec import DSIFT_BINS, DSIFT_ORIENTATIONS, dsift_geometry, dsift_kernel, dsift_window_means, n_chunks

T = DSIFT_ORIENTATIONS
B = DSIFT_BINS
EPS = np.float32(1.19209290e-07)
TWO_PI = np.float32(2 * np.pi)
QUARTER_PI = np.float32(np.pi / 4)
THREE_QUARTER_PI = np.float32(3 * np.pi / 4)
C1 = np.float32(0.9675)
C3 = np.float32(0.1821)
HALF = np.float32(0.5)
ONE_AND_HALF = np.float32(1.5)
ONE = np.float32(1.0)
ZERO = np.float32(0.0)
CLAMP = np.float32(0.2)
MAGIC = np.int32(0x5F3759DF)
PER_RADIAN = T / (2 * np.pi)  # float64, as VLFeat's int / double


@njit(**EXACT_HELPER_OPTIONS)
def _fast_sqrt_into(x, out, bits):
    """``out = vl_fast_sqrt_f(x)`` elementwise (``bits``: int32 scratch of x's length)."""
    xi = x.view(np.int32)
    for i in range(x.shape[0]):
        bits[i] = MAGIC - (xi[i] >> 1)
    u = bits.view(np.float32)
    for i in range(x.shape[0]):
        half = HALF * x[i]
        v = u[i]
        v = v * (ONE_AND_HALF - half * v * v)
        v = v * (ONE_AND_HALF - half * v * v)
        out[i] = ZERO if np.float64(x[i]) < 1e-8 else x[i] * v


@njit(**EXACT_HELPER_OPTIONS)
def _orientation_planes(image, planes, gx, gy, sq, mod, bits):
    """VLFeat's gradient of A = image.T split into T planes (planes: (T, W, H) zeros)."""
    H, W = image.shape  # A is (W, H): its row y is the image's column y
    for y in range(W):
        for x in range(H):
            if y == 0:
                gy[x] = image[x, y + 1] - image[x, y]
            elif y == W - 1:
                gy[x] = image[x, y] - image[x, y - 1]
            else:
                gy[x] = HALF * (image[x, y + 1] - image[x, y - 1])
            if x == 0:
                gx[x] = image[x + 1, y] - image[x, y]
            elif x == H - 1:
                gx[x] = image[x, y] - image[x - 1, y]
            else:
                gx[x] = HALF * (image[x + 1, y] - image[x - 1, y])
            sq[x] = gx[x] * gx[x] + gy[x] * gy[x]
        _fast_sqrt_into(sq, mod, bits)
        for x in range(H):
            abs_y = abs(gy[x]) + EPS
            if gx[x] >= ZERO:
                r = (gx[x] - abs_y) / (gx[x] + abs_y)
                angle = QUARTER_PI
            else:
                r = (gx[x] + abs_y) / (abs_y - gx[x])
                angle = THREE_QUARTER_PI
            angle = angle + (C3 * r * r - C1) * r
            if gy[x] < ZERO:
                angle = -angle
            while angle > TWO_PI:
                angle = angle - TWO_PI
            while angle < ZERO:
                angle = angle + TWO_PI
            nt = np.float32(np.float64(angle) * PER_RADIAN)
            bint = int(nt)
            rbint = nt - np.float32(bint)
            planes[bint % T, y, x] = (ONE - rbint) * mod[x]
            planes[(bint + 1) % T, y, x] = rbint * mod[x]


@njit(**EXACT_HELPER_OPTIONS)
def _triangle(src, size, buf, out):
    """VLFeat's ``vl_imconvcoltri`` of one row ``src`` into ``out`` (:func:`_triangle_down` does columns).

    A triangle of half-width ``size`` through two running sums, border replicated (``buf``:
    ``len(src) + size`` scratch).
    """
    H = src.shape[0]
    o = size  # buf[o + y] is VLFeat's buffer[y]
    buf[o + H - 1] = src[H - 1]
    for y in range(H - 2, -1, -1):
        buf[o + y] = buf[o + y + 1] + src[y]
    for y in range(-1, -size - 1, -1):
        buf[o + y] = buf[o + y + 1] + src[0]
    for y in range(-size, H - size):
        buf[o + y] = buf[o + y] - buf[o + y + size]
    last = buf[o + H - 1]
    for y in range(H - size, H):
        buf[o + y] = buf[o + y] - last * np.float32(H - size - y)
    for y in range(-size + 1, H):
        buf[o + y] = buf[o + y] + buf[o + y - 1]
    scale = np.float32(1.0 / (np.float64(size) * np.float64(size)))
    for y in range(H):
        out[y] = scale * (buf[o + y] - buf[o + y - size])


@njit(**EXACT_HELPER_OPTIONS)
def _triangle_down(plane, size, buf, out):
    """:func:`_triangle` down every column of ``plane`` at once (``buf``: (H + size, W) scratch).

    The same running sums, a row of columns per step: the inner loops run along rows, read
    memory in order and vectorize (a column at a time, through strided views, took 1.6x as
    long on CIFAR-size images).
    """
    H, W = plane.shape
    o = size
    buf[o + H - 1] = plane[H - 1]
    for y in range(H - 2, -1, -1):
        for x in range(W):
            buf[o + y, x] = buf[o + y + 1, x] + plane[y, x]
    for y in range(-1, -size - 1, -1):
        for x in range(W):
            buf[o + y, x] = buf[o + y + 1, x] + plane[0, x]
    for y in range(-size, H - size):
        for x in range(W):
            buf[o + y, x] = buf[o + y, x] - buf[o + y + size, x]
    for y in range(H - size, H):
        factor = np.float32(H - size - y)
        for x in range(W):
            buf[o + y, x] = buf[o + y, x] - buf[o + H - 1, x] * factor if y < H - 1 else buf[o + y, x]
    for x in range(W):  # the last row reads its own old value (VLFeat reads it before writing)
        buf[o + H - 1, x] = buf[o + H - 1, x] - buf[o + H - 1, x] * np.float32(1 - size)
    for y in range(-size + 1, H):
        for x in range(W):
            buf[o + y, x] = buf[o + y, x] + buf[o + y - 1, x]
    scale = np.float32(1.0 / (np.float64(size) * np.float64(size)))
    for y in range(H):
        for x in range(W):
            out[y, x] = scale * (buf[o + y, x] - buf[o + y - size, x])


@njit(**EXACT_HELPER_OPTIONS)
def _normalize(raw, one):
    """``raw /= vl_fast_sqrt_f(sum of squares) + eps`` (``one``: a float32[1] scratch for the bit trick)."""
    total = ZERO
    for i in range(raw.shape[0]):
        total = total + raw[i] * raw[i]
    if np.float64(total) < 1e-8:
        norm = EPS
    else:
        one[0] = total
        as_int = one.view(np.int32)
        as_int[0] = MAGIC - (as_int[0] >> 1)
        v = one[0]
        half = HALF * total
        v = v * (ONE_AND_HALF - half * v * v)
        v = v * (ONE_AND_HALF - half * v * v)
        norm = total * v + EPS
    for i in range(raw.shape[0]):
        raw[i] = raw[i] / norm


@njit(**EXACT_HELPER_OPTIONS)
def _finish(raw, norms, out, k, frame_area, one):
    """Frame ``k``'s mass, two normalizations around the clamp, and MATLAB's bin order into ``out[k]``."""
    mass = ZERO
    for i in range(raw.shape[0]):
        mass = mass + raw[i]
    norms[k] = mass / frame_area
    _normalize(raw, one)
    for i in range(raw.shape[0]):
        if raw[i] > CLAMP:
            raw[i] = CLAMP
    _normalize(raw, one)
    for by in range(B):  # vl_dsift_transpose_descriptor
        for bx in range(B):
            for t in range(T):
                out[k, (bx * B + by) * T + (T // 4 - t + T) % T] = raw[(by * B + bx) * T + t]


@njit(**EXACT_PARALLEL_OPTIONS)
def dsift_batch_kernel(images, size, xs, ys, fast, kernels, weights, raws):
    """Every image (a ``prange`` iteration): planes, per-bin filters at the sampled places, into ``raws``.

    ``xs``/``ys``: the frames' upper-left bins in A = image.T (its x runs down the image's rows).
    ``kernels`` (B, 2 size - 1): each bin's Gaussian-windowed kernel, along y and x alike; ``weights`` (B, B):
    the flat window's per-bin weight.
    """
    N, H, W = images.shape  # A is (W, H)
    nx, ny = xs.shape[0], ys.shape[0]
    half_width = size - 1
    for n in prange(N):
        image = images[n]
        planes = np.zeros((T, W, H), dtype=np.float32)
        gx = np.empty(H, dtype=np.float32)
        gy = np.empty(H, dtype=np.float32)
        sq = np.empty(H, dtype=np.float32)
        mod = np.empty(H, dtype=np.float32)
        bits = np.empty(H, dtype=np.int32)
        _orientation_planes(image, planes, gx, gy, sq, mod, bits)
        raw = raws[n]
        if fast:
            down = np.empty((W, H), dtype=np.float32)
            across = np.empty((W, H), dtype=np.float32)
            buf2 = np.empty((W + size, H), dtype=np.float32)
            buf = np.empty(H + size, dtype=np.float32)
            needed = np.zeros(W, dtype=np.bool_)  # the rows some frame's bin samples: each filtered once
            for by in range(B):
                for j in range(ny):
                    needed[ys[j] + by * size] = True
            for t in range(T):
                _triangle_down(planes[t], size, buf2, down)
                for r in range(W):
                    if needed[r]:
                        _triangle(down[r], size, buf, across[r])
                for by in range(B):
                    for j in range(ny):
                        row = across[ys[j] + by * size]
                        for bx in range(B):
                            w = weights[by, bx]
                            for i in range(nx):
                                raw[j * nx + i, (by * B + bx) * T + t] = w * row[xs[i] + bx * size]
        else:
            tmp = np.empty(H, dtype=np.float32)
            for by in range(B):
                yker = kernels[by]
                for t in range(T):
                    plane = planes[t]
                    for j in range(ny):
                        r = ys[j] + by * size
                        for x in range(H):  # the column filter, on the sampled row only
                            acc = ZERO
                            for k in range(half_width, -half_width - 1, -1):
                                acc = acc + plane[min(max(r - k, 0), W - 1), x] * yker[k + half_width]
                            tmp[x] = acc
                        for bx in range(B):
                            xker = kernels[bx]
                            for i in range(nx):  # the row filter, at the sampled column only
                                c = xs[i] + bx * size
                                acc = ZERO
                                for k in range(half_width, -half_width - 1, -1):
                                    acc = acc + tmp[min(max(c - k, 0), H - 1)] * xker[k + half_width]
                                raw[j * nx + i, (by * B + bx) * T + t] = acc


@njit(**EXACT_PARALLEL_OPTIONS)
def finish_kernel(raw, size, chunks, norms, out):
    """Every frame of every image, ``prange`` over chunks of frames (one large image spreads too)."""
    N, n = raw.shape[0], raw.shape[1]
    frame_area = np.float32((size * (B - 1) + 1) * (size * (B - 1) + 1))
    items = N * n
    for c in prange(chunks):
        one = np.empty(1, dtype=np.float32)
        for item in range(c * items // chunks, (c + 1) * items // chunks):
            i, k = item // n, item % n
            _finish(raw[i, k], norms[i], out[i], k, frame_area, one)


def dsift_batch(images, step, size, bounds, fast, window_size):
    min_x, min_y, max_x, max_y = bounds
    xs, ys = dsift_geometry((min_y, min_x, max_y, max_x), step, size)  # in A = image.T
    xs, ys = xs.astype(np.int64), ys.astype(np.int64)
    kernels = np.stack([dsift_kernel(size, b, window_size) for b in range(B)])
    means = dsift_window_means(size, window_size) * np.float32(size)
    weights = np.ascontiguousarray(means[None, :] * means[:, None])  # [by, bx] = (wx * size) * (wy * size)
    n = len(xs) * len(ys)
    raws = np.empty((images.shape[0], n, B * B * T), dtype=np.float32)  # VLFeat's bin order, unnormalized
    dsift_batch_kernel(images, size, xs, ys, bool(fast), kernels, weights, raws)
    norms = np.empty((images.shape[0], n), dtype=np.float32)
    out = np.empty_like(raws)
    finish_kernel(raws, size, n_chunks(images.shape[0] * n, "rows"), norms, out)
    return norms, out


@njit(**EXACT_PARALLEL_OPTIONS)
def smooth_kernel(images, kernel, across, out):
    """Along every row, then down every column, ``prange`` over (image, row) then (image, column)."""
    N, H, W = images.shape
    half = (kernel.shape[0] - 1) // 2
    for item in prange(N * H):
        n, r = item // H, item % H
        for c in range(W):
            acc = ZERO
            for k in range(half, -half - 1, -1):
                acc = acc + images[n, r, min(max(c - k, 0), W - 1)] * kernel[k + half]
            across[n, r, c] = acc
    for item in prange(N * W):
        n, c = item // W, item % W
        for r in range(H):
            acc = ZERO
            for k in range(half, -half - 1, -1):
                acc = acc + across[n, min(max(r - k, 0), H - 1), c] * kernel[k + half]
            out[n, r, c] = acc


def smooth_batch(images, kernel):
    across = np.empty_like(images)
    out = np.empty_like(images)
    smooth_kernel(images, kernel, across, out)
    return out
