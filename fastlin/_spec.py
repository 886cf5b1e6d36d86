"""Definitions every tier shares: working dtypes, constants, bin edges, the chunking rule.

The three tiers import what they agree on from here (never from each other), so a
definition changes in one place. Nothing here imports numba.
"""

from __future__ import annotations

import functools

import numpy as np

#: rows of X (or patches, or points) handled together inside a chunk: a block of 16 rows of
#: 3073 float32 values stays in L2 between the scoring and the gradient passes
BLOCK_ROWS = 16
#: upper bound of the chunks a batch is cut into (one partial buffer each)
MAX_CHUNKS = 64

#: classes from which the jit loss computes its two products with the machine's GEMM (the
#: BLAS NumPy uses), fusing only the pass over the scores, per dtype of X: below, the register
#: tiles of the fused kernel win; above, the BLAS's blocked products do. Measured on an Intel
#: Xeon with AVX-512 (2 cores, OpenBLAS 0.3.31): float32 gains 0.95-1.96x at C = 16 and
#: 1.27-2.15x at 24; float64 0.92-2.26x at 16 and 1.02-3.07x at 32 (N 200-10000, D 512-3073).
GEMM_MIN_CLASSES = {np.dtype(np.float32): 16, np.dtype(np.float64): 32}


#: float64 losses on the GEMM path hold their scores class-major, (C, N), from this many rows
#: up to ``CLASS_MAJOR_MAX_CLASSES`` classes: NumPy's OpenBLAS runs float64's two products
#: 1.2-1.7x faster in that layout for C = 32-300 (10000x512x100: 15.8 against 22.7 ms;
#: 256x14400x100: 12.3 against 18.9), 0.94-1.11x for C = 500-1000; float32's 5-15% slower.
#: The gradient then comes out (C, D), and adding the penalty's gradient reads W across its
#: rows (4-5 ns an entry of W, as slow as a transposing copy on this machine), a cost the
#: faster products repay only over enough rows. Whole float64 softmax losses with an L2
#: penalty, class-major against row-major: 10000x512x100 18.9 against 25.8 ms, 10000x3072x100
#: 103 against 161, 1000x512x100 2.35 against 2.60, 2000x3073x200 37.7 against 42.3; slower
#: below the rule (512x3073x200 12.1 against 11.2, 200x3073x100 3.7 against 3.2) and at its
#: edge (1024x14400x300 163 against 158). Measured on an Intel Xeon with AVX-512 (2 cores,
#: OpenBLAS 0.3.31).
CLASS_MAJOR_MIN_ROWS = 1000
CLASS_MAJOR_MAX_CLASSES = 300


def gemm_class_major(n_rows: int, n_classes: int, dtype: np.dtype) -> bool:
    """Whether the GEMM path holds a loss's scores class-major (see ``CLASS_MAJOR_MIN_ROWS``)."""
    return np.dtype(dtype) == np.float64 and n_classes <= CLASS_MAJOR_MAX_CLASSES and n_rows >= CLASS_MAJOR_MIN_ROWS


def use_gemm(n_classes: int, dtype: np.dtype) -> bool:
    """Whether the jit loss runs its products as GEMMs for ``n_classes`` classes of ``dtype``."""
    return n_classes >= GEMM_MIN_CLASSES[np.dtype(dtype)]


#: the chunk sizes of each kernel family, in items per chunk at least
MIN_CHUNK = {"losses": 128, "kmeans": 1024, "images": 1, "rows": 16}

#: the k-means features' encodings (the jit kernel numbers them in this order) and dictionaries
KMEANS_FEATURES_ENCODINGS = ("triangle", "hard", "soft", "soft-split")
KMEANS_FEATURES_DICTIONARIES = ("kmeans", "omp1", "patches")

#: scikit-image's HOG block normalizations and their epsilon
HOG_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
HOG_EPS = 1e-5


def working_dtype(dtype: np.dtype) -> type:
    """float32 inputs are computed in float32; everything else (uint8, ints, float64) in float64."""
    return np.float32 if dtype == np.float32 else np.float64


def n_chunks(n_items: int, family: str) -> int:
    """How many chunks a batch of ``n_items`` is cut into: one rule for every kernel.

    It depends on the batch size only, never on the thread count, so a reduction summed in
    chunk order gives the same bits for any ``n_threads``.
    """
    per_chunk = MIN_CHUNK[family]
    return max(1, min(MAX_CHUNKS, -(-n_items // per_chunk)))


def hog_bin_edges(orientations: int) -> np.ndarray:
    """HOG's orientation bin edges ``180 / orientations * i`` in degrees, float64.

    scikit-image compares float64 angles with these float64 edges: bin ``i`` is
    ``[e_i, e_{i+1})``.
    """
    return np.array([180.0 / orientations * i for i in range(orientations + 1)], dtype=np.float64)


def color_bin_edges(nbin: int, xmin: float, xmax: float) -> np.ndarray:
    """The colour histogram's edges, ``np.linspace(xmin, xmax, nbin + 1)`` as CS231n builds them."""
    return np.linspace(xmin, xmax, nbin + 1)


def histogram_from_counts(counts: np.ndarray, edges: np.ndarray, normalized: bool) -> np.ndarray:
    """CS231n's last step on (N, nbin) counts: ``density`` normalization, times the widths.

    An image with no counted pixel gives zeros (NumPy's ``density`` would give NaN).
    """
    widths = np.diff(edges)
    if not normalized:
        return counts * widths
    totals = counts.sum(axis=1, keepdims=True)
    out = counts / widths / np.where(totals > 0, totals, 1) * widths
    return np.where(totals > 0, out, 0.0)


def hog_gradients(images: np.ndarray, transform_sqrt: bool) -> tuple[np.ndarray, np.ndarray]:
    """float64 (g_row, g_col) of shape (N, H, W), as scikit-image builds them.

    Pixels in the working dtype (square-rooted with ``transform_sqrt``), centred differences
    (0 on the border), and per pixel the channel with the largest ``hypot`` (the first on
    ties), cast to float64.
    """
    v = images.astype(working_dtype(images.dtype))
    if transform_sqrt:
        v = np.sqrt(v)
    g_row = np.zeros_like(v)
    g_col = np.zeros_like(v)
    g_row[:, 1:-1] = v[:, 2:] - v[:, :-2]
    g_col[:, :, 1:-1] = v[:, :, 2:] - v[:, :, :-2]
    if v.shape[3] == 1:
        return g_row[..., 0].astype(np.float64), g_col[..., 0].astype(np.float64)
    strongest = np.hypot(g_row, g_col).argmax(axis=3)[..., None]
    pick = lambda g: np.take_along_axis(g, strongest, axis=3)[..., 0].astype(np.float64)  # noqa: E731
    return pick(g_row), pick(g_col)


def hog_angles(g_row: np.ndarray, g_col: np.ndarray) -> np.ndarray:
    """Gradient orientations in degrees mod 180, exactly as scikit-image computes them.

    ``np.arctan2`` on whole contiguous float64 arrays: NumPy's own (SIMD, where the CPU has
    it) code path, whose last bit can differ from the C library's ``atan2``.
    """
    return np.rad2deg(np.arctan2(np.ascontiguousarray(g_row), np.ascontiguousarray(g_col))) % 180


def hog_numpy_bins(images: np.ndarray, orientations: int, transform_sqrt: bool) -> np.ndarray:
    """(N, H, W) int32 bin of every pixel's gradient, by :func:`hog_angles`; -1 in no bin.

    The jit tier bins without ``atan2`` and asks this for the rare images that have a
    gradient within rounding of an edge, where only NumPy can say which bin it falls in.
    """
    g_row, g_col = hog_gradients(images, transform_sqrt)
    bins = np.searchsorted(hog_bin_edges(orientations), hog_angles(g_row, g_col), side="right") - 1
    bins[bins >= orientations] = -1
    return bins.astype(np.int32)


#: scikit-image's local binary pattern methods; the kernels take their index
LBP_METHODS = ("default", "ror", "uniform", "nri_uniform", "var")


def lbp_offsets(P: int, R: float) -> tuple[np.ndarray, np.ndarray]:
    """Row and column offsets of the P sample points, rounded to 5 decimals as scikit-image does."""
    angles = 2 * np.pi * np.arange(P, dtype=np.float64) / P
    return np.round(-R * np.sin(angles), 5), np.round(R * np.cos(angles), 5)


def lbp_uniform_code(ones: int, changes: int, first_one: int, first_zero: int, P: int, numbered: bool) -> float:
    """The code of a pattern of P bits by its ones and bit changes along p = 0 .. P-1.

    ``uniform`` (``numbered`` False): the number of ones when the bits change at most twice,
    else ``P + 1``. ``nri_uniform`` (``numbered`` True): each uniform pattern numbered by its
    ones and rotation (``first_one``/``first_zero``: the first set and the first clear bit,
    -1 when none), all-zero 0, all-one ``P (P - 1) + 1``, the others ``P (P - 1) + 2``.
    Plain scalar Python: the naive tier calls it, the jit tier compiles it.
    """
    if not numbered:
        return float(ones if changes <= 2 else P + 1)
    if changes > 2:
        return float(P * (P - 1) + 2)
    if ones == 0:
        return 0.0
    if ones == P:
        return float(P * (P - 1) + 1)
    rotation = ones - first_zero if first_one == 0 else P - first_one
    return float(1 + (ones - 1) * P + rotation)


def lbp_n_bins(P: int, method: str) -> int:
    """How many distinct codes a method gives: the bins of its histogram."""
    return {"default": 2**P, "ror": 2**P, "uniform": P + 2, "nri_uniform": P * (P - 1) + 3}[method]


#: dense SIFT's descriptor geometry (VLFeat's and Lowe's): 4 x 4 spatial bins of 8 orientations
DSIFT_BINS = 4
DSIFT_ORIENTATIONS = 8


def dsift_geometry(bounds: tuple, step: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The upper-left bin positions (xs, ys) of the frames inside ``bounds``, as VLFeat places them.

    ``bounds`` = (min_x, min_y, max_x, max_y), inclusive. A frame spans
    ``size * (DSIFT_BINS - 1) + 1`` pixels; frames start at the minimum and go ``step`` apart
    while they fit inside the bounds.
    """
    min_x, min_y, max_x, max_y = bounds
    span = size * (DSIFT_BINS - 1) + 1
    return np.arange(min_x, max_x - span + 2, step), np.arange(min_y, max_y - span + 2, step)


def dsift_kernel(size: int, index: int, window_size: float) -> np.ndarray:
    """VLFeat's bin ``index`` kernel (Gaussian window): a triangle of half-width ``size`` times a Gaussian, float32.

    ``exp`` is taken in float64 and rounded once, as glibc's correctly rounded ``expf`` gives it.
    """
    f = np.float32
    delta = f(size) * (f(index) - f(0.5) * f(DSIFT_BINS - 1))
    sigma = f(size) * f(window_size)
    x = np.arange(-size + 1, size, dtype=np.float32)
    z = (x - delta) / sigma
    gauss = np.exp((f(-0.5) * z * z).astype(np.float64)).astype(np.float32)
    return (f(1) - np.abs(x) / f(size)) * gauss


def dsift_window_means(size: int, window_size: float) -> np.ndarray:
    """VLFeat's mean Gaussian window weight of each spatial bin (the flat window's reweighting), float32."""
    f = np.float32
    sigma = f(size) * f(window_size)
    x = np.arange(-size + 1, size, dtype=np.float32)
    means = np.empty(DSIFT_BINS, dtype=np.float32)
    for index in range(DSIFT_BINS):
        delta = f(size) * (f(index) - f(0.5) * f(DSIFT_BINS - 1))
        z = (x - delta) / sigma
        acc = f(0)
        for g in np.exp((f(-0.5) * z * z).astype(np.float64)).astype(np.float32):
            acc = f(acc + g)  # in order, as VLFeat sums
        means[index] = acc / f(2 * size - 1)
    return means


def phow_smoothing_kernel(sigma: float) -> np.ndarray:
    """The Gaussian kernel of MATLAB's ``vl_imsmooth`` (VLFeat 0.9.21's mex), float32, 2 ceil(4 sigma) + 1 taps.

    In the mex's types: z = float(j - W) / (sigma + FLT_EPSILON) rounded to float, ``exp`` of
    -0.5 z^2 in double rounded to float, the taps summed in float in order and each divided
    by the sum in float.
    """
    f = np.float32
    half = int(np.ceil(4.0 * sigma))
    taps = np.empty(2 * half + 1, dtype=np.float32)
    total = f(0)
    for j in range(2 * half + 1):
        z = f(float(f(j) - f(half)) / (sigma + float(np.float32(1.19209290e-07))))
        taps[j] = f(np.exp(-0.5 * float(f(z * z))))
        total = f(total + taps[j])
    return (taps / total).astype(np.float32)


#: GIST's prefilter pads by this many pixels before whitening (``prefilt`` in ``LMgist.m``)
GIST_PREFILTER_PAD = 5


def symmetric_index(n_out: int, size: int, start: int) -> np.ndarray:
    """Source indices of MATLAB's ``padarray(..., 'symmetric')`` along one axis of ``size``.

    Output ``i`` reads entry ``index[i]``; ``start`` is minus the padding before. The mirror
    repeats the edge and continues periodically, however far the padding reaches.
    """
    period = np.concatenate([np.arange(size), np.arange(size - 1, -1, -1)])
    return period[(np.arange(n_out) + start) % (2 * size)]


@functools.lru_cache(maxsize=8)
def gist_gabor(orientations: tuple, shape: tuple, dtype: type = np.float64) -> np.ndarray:
    """``createGabor(orientations, shape)`` of ``LMgist``: (n_filters, rows, cols), FFT order, read-only.

    Computed in float64, then cast to ``dtype``; kept for the next call with the same arguments
    (a bank for 256 x 256 images takes longer to build than to apply).
    """
    rows, cols = shape
    fy = np.fft.ifftshift(np.arange(-(rows // 2), rows - rows // 2))[:, None]  # fftshift of -n/2:n/2-1
    fx = np.fft.ifftshift(np.arange(-(cols // 2), cols - cols // 2))[None, :]
    fr = np.sqrt(fx * fx + fy * fy)
    t = np.arctan2(fy * np.ones_like(fx), fx * np.ones_like(fy))
    G = []
    for i, n_orient in enumerate(orientations):
        for j in range(n_orient):
            tr = t + np.pi / n_orient * j
            tr = tr + 2 * np.pi * (tr < -np.pi) - 2 * np.pi * (tr > np.pi)
            width = 16 * n_orient**2 / 32**2
            G.append(np.exp(-10 * 0.35 * (fr / cols / (0.3 / 1.85**i) - 1) ** 2 - 2 * width * np.pi * tr**2))
    bank = np.array(G).astype(dtype)
    bank.flags.writeable = False
    return bank


def gist_prefilter_gain(n: int, fc: float) -> np.ndarray:
    """The prefilter's Gaussian transfer function on an n x n grid, FFT order (``gf`` of ``prefilt``)."""
    f = np.fft.ifftshift(np.arange(-(n // 2), n - n // 2)).astype(np.float64)
    s1 = fc / np.sqrt(np.log(2))
    return np.exp(-(f[:, None] ** 2 + f[None, :] ** 2) / (s1 * s1))


def gist_block_edges(size: int, blocks: int) -> np.ndarray:
    """``fix(linspace(0, size, blocks + 1))`` of ``downN``, in exact integer arithmetic."""
    return np.array([k * size // blocks for k in range(blocks + 1)], dtype=np.int64)


def gist_rescaled(images: np.ndarray) -> np.ndarray:
    """Each image shifted and scaled to 0..255 as ``LMgist`` does; a constant image becomes zeros."""
    low = images.min(axis=(1, 2), keepdims=True)
    out = images - low
    top = out.max(axis=(1, 2), keepdims=True)
    return np.divide(255 * out, top, out=np.zeros_like(out), where=top > 0)


def gist_prefiltered(images: np.ndarray, fc: float, lowpass) -> np.ndarray:
    """``prefilt`` of ``LMgist`` on a batch (N, H, W) of 0..255 images.

    ``lowpass(x, gf)`` is ``ifft2(fft2(x) .* gf)`` over the last two axes, complex as MATLAB
    leaves it or its real part (the same up to rounding: ``gf`` is even, so the result is real).
    """
    N, H, W = images.shape
    w = GIST_PREFILTER_PAD
    sn, sm = H + 2 * w, W + 2 * w
    n = max(sn, sm)
    n += n % 2
    rows = symmetric_index(sn, H, -w)[symmetric_index(n, sn, 0)]  # pad by w, then after, to n
    cols = symmetric_index(sm, W, -w)[symmetric_index(n, sm, 0)]
    img = np.log(images + 1)[:, rows[:, None], cols[None, :]]
    gf = gist_prefilter_gain(n, fc)
    output = img - lowpass(img, gf).real
    localstd = np.sqrt(np.abs(lowpass(output * output, gf)))
    return (output / (0.2 + localstd))[:, w : sn - w, w : sm - w]


def gist_padded(images: np.ndarray, boundary: int) -> np.ndarray:
    """The batch padded by ``boundary`` pixels on every side, symmetric (``gistGabor``)."""
    N, H, W = images.shape
    rows = symmetric_index(H + 2 * boundary, H, -boundary)
    cols = symmetric_index(W + 2 * boundary, W, -boundary)
    return images[:, rows[:, None], cols[None, :]]


#: skimage.color.rgb2gray's weights: gray-only descriptors take colour images through them
RGB_TO_GRAY = np.array([0.2125, 0.7154, 0.0721])

#: MR8 (Varma and Zisserman): the RFS bank's 36 oriented filters come as 6 groups (first
#: derivatives at 3 scales, then second derivatives at 3 scales) of this many orientations
MR8_ORIENTATIONS = 6
#: filters of the RFS bank (the 36 oriented ones, a Gaussian and a Laplacian of Gaussian)
MR8_BANK_SIZE = 38
#: responses MR8 keeps: one per group, then the two rotation-invariant filters
MR8_SIZE = 8
#: the first this many groups (first derivatives: odd filters, whose sign flips with the
#: edge's direction) keep their largest absolute response, the others their largest
MR8_ABS_GROUPS = 3
#: the contrast normalization's constant: ``r * log(1 + L / WEBER_L0) / L``, ``L = |r|``
WEBER_L0 = 0.03


def texton_padded(images: np.ndarray, support: int) -> np.ndarray:
    """(N, H, W) padded by ``support // 2`` on every side, symmetric (``scipy.ndimage``'s "reflect")."""
    N, H, W = images.shape
    h = support // 2
    rows = symmetric_index(H + 2 * h, H, -h)
    cols = symmetric_index(W + 2 * h, W, -h)
    return images[:, rows[:, None], cols[None, :]]


def ssim_log_polar_bins(large_size: int, angles: int, start_bucket: int, distance_buckets: int) -> np.ndarray:
    """OpenCV 2.4's ``SelfSimDescriptor::computeLogPolarMapping``: (large_size, large_size) int64 bins.

    Offset (y - r, x - r) from the centre, ``r = large_size // 2``, falls in bin
    ``(distance bucket - start_bucket) * angles + angle bucket``, or in ``n_bins =
    angles * (distance_buckets - start_bucket)`` (no bin) outside the buckets. The distance
    bucket rounds ``log10(d) * distance_buckets / log10(r)`` (``d`` the float32 distance), the
    angle bucket takes ``atan2(y, x)`` in float32 degrees, rounded, shifted by half a bucket
    (``360 // angles`` degrees); ``np.rint`` rounds half to even, as OpenCV's ``cvRound``.
    """
    r = large_size // 2
    size = 360 // angles
    n_bins = angles * (distance_buckets - start_bucket)
    inv_log10m = distance_buckets / np.log10(np.float64(r))
    y, x = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    dist = np.sqrt(x * x + y * y)
    with np.errstate(divide="ignore"):
        bucket = np.where(dist > 0, np.rint(np.log10(dist.astype(np.float64)) * inv_log10m), 0).astype(np.int64)
    degrees = np.arctan2(y, x) / np.float32(np.pi) * np.float32(180)
    degrees = np.where(degrees < 0, degrees + np.float32(360), degrees)
    angle = ((np.rint(degrees).astype(np.int64) + size // 2) % 360) // size
    inside = (start_bucket <= bucket) & (bucket < distance_buckets)
    return np.where(inside, (bucket - start_bucket) * angles + angle, n_bins)


def ssim_grid(H: int, W: int, step: int, small_size: int, large_size: int) -> tuple[int, int, int]:
    """(border, rows, cols) of the points' grid, as ``SelfSimDescriptor::getGridSize`` sizes it."""
    border = large_size // 2 + small_size // 2
    return border, max(H - 2 * border + step - 1, 0) // step, max(W - 2 * border + step - 1, 0) // step
