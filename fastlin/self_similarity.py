"""Local self-similarity (Shechtman and Irani 2007) equal to OpenCV 2.4's ``SelfSimDescriptor``.

The "SSIM" of the lecture's descriptor list (not the image-quality index): how a small
patch resembles its surroundings, as the smallest sum of squared differences in each bin of
a log-polar window, mapped through ``exp(-ssd / var)``. OpenCV dropped it in version 3; every
tier here equals a transcription of 2.4's ``modules/contrib/src/selfsimilarity.cpp`` to
1e-6. Its window (41 pixels) does not fit a 32 x 32 image, so this module's own defaults
are smaller; :data:`OPENCV` holds OpenCV's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._spec import RGB_TO_GRAY, ssim_grid
from fastlin._validation import as_image_batch, check_int, check_result_size, check_tier

#: ``cv::SelfSimDescriptor``'s defaults: pass ``**OPENCV`` for OpenCV's descriptor (80 values)
OPENCV = dict(small_size=5, large_size=41, angles=20, start_bucket=3, distance_buckets=7)
#: the largest patch and window sides (the SSD sums stay exact integers)
MAX_SMALL = 101
MAX_LARGE = 255


def _params(step, small_size, large_size, angles, start_bucket, distance_buckets) -> tuple:
    step = check_int("step", step, low=1)
    small_size = check_int("small_size", small_size, low=1, high=MAX_SMALL)
    large_size = check_int("large_size", large_size, low=3, high=MAX_LARGE)
    for name, value in (("small_size", small_size), ("large_size", large_size)):
        if value % 2 == 0:
            raise ValueError(f"{name} must be odd (a patch centred on its pixel), got {value}")
    angles = check_int("angles", angles, low=1, high=360)
    if 360 % angles:
        raise ValueError(f"angles must divide 360 (OpenCV's buckets are 360 // angles degrees wide), got {angles}")
    start_bucket = check_int("start_bucket", start_bucket, low=0, high=1000)
    distance_buckets = check_int("distance_buckets", distance_buckets, low=start_bucket + 1, high=1000)
    return step, small_size, large_size, angles, start_bucket, distance_buckets


def _gray_uint8(name: str, images: ArrayLike, batch: bool, channel_axis: int | None) -> np.ndarray:
    arr = as_image_batch(name, images, batch=batch, channel_axis=channel_axis)
    if arr.dtype != np.uint8:
        raise TypeError(
            f"{name} must be uint8 (OpenCV's descriptor compares 8-bit pixels), got {arr.dtype}: "
            "convert, e.g. np.uint8(np.rint(255 * image)) for pixels in [0, 1]"
        )
    C = arr.shape[-1]
    if C == 1:
        return np.ascontiguousarray(arr[..., 0])
    if C != 3:
        raise ValueError(f"{name} must be gray or have 3 colour channels, got {C} channels")
    return np.rint(arr @ RGB_TO_GRAY).astype(np.uint8)


def _run(name, images, batch, step, small_size, large_size, angles, start_bucket, distance_buckets, channel_axis,
         impl, n_threads):  # fmt: skip
    impl, n_threads = check_tier(impl, n_threads)
    params = _params(step, small_size, large_size, angles, start_bucket, distance_buckets)
    step, small_size, large_size = params[:3]
    gray = _gray_uint8(name, images, batch, channel_axis)
    N, H, W = gray.shape
    border, rows, cols = ssim_grid(H, W, step, small_size, large_size)
    if min(H, W) <= 2 * border:
        raise ValueError(
            f"{name} are {H} x {W}: with large_size={large_size} and small_size={small_size} a point needs "
            f"{2 * border + 1} pixels each way; use smaller sizes (this function's defaults serve 32 x 32 images)"
        )
    n_bins = params[3] * (params[5] - params[4])
    check_result_size("the images and sizes", N * rows * cols * n_bins, itemsize=4)
    ys, xs = np.mgrid[0:rows, 0:cols]
    centres = np.stack([border + xs.ravel() * step, border + ys.ravel() * step], axis=1).astype(np.float64)
    desc = _tiers.run("self_similarity", "self_similarity_batch", impl, n_threads, gray, *params)
    return centres, desc


def self_similarity_batch(
    images: ArrayLike,
    *,
    step: int = 1,
    small_size: int = 3,
    large_size: int = 7,
    angles: int = 4,
    start_bucket: int = 0,
    distance_buckets: int = 3,
    channel_axis: int | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Self-similarity descriptors on a grid, for every image of a batch, in one parallel call.

    Parameters and values as :func:`self_similarity`; ``descriptors`` has shape (N, m, F).
    """
    return _run("images", images, True, step, small_size, large_size, angles, start_bucket, distance_buckets,
                channel_axis, impl, n_threads)  # fmt: skip


def self_similarity(
    image: ArrayLike,
    *,
    step: int = 1,
    small_size: int = 3,
    large_size: int = 7,
    angles: int = 4,
    start_bucket: int = 0,
    distance_buckets: int = 3,
    channel_axis: int | None = None,
    impl: str = "jit",
) -> tuple[np.ndarray, np.ndarray]:
    """Local self-similarity descriptors on a dense grid, as OpenCV 2.4's ``SelfSimDescriptor``.

    With ``from fastlin.self_similarity import OPENCV``, ``self_similarity(img, step=s, **OPENCV)`` gives what
    ``cv::SelfSimDescriptor().compute(img, descriptors, cv::Size(s, s))`` gives (without its
    one trailing value), one row per point.

    Parameters
    ----------
    image : array_like of shape (H, W), uint8
        Gray pixels; with ``channel_axis``, colour ones taken to gray with rgb2gray's weights
        (rounded).
    step : int, default 1
        Pixels between neighbouring points (OpenCV's ``winStride``).
    small_size : int, default 3
        Side of the patch compared with its surroundings (odd; OpenCV: 5).
    large_size : int, default 7
        Side of the window it is compared over (odd; OpenCV: 41). A point needs
        ``large_size // 2 + small_size // 2`` pixels on every side.
    angles : int, default 4
        Angular bins (dividing 360; OpenCV: 20).
    start_bucket, distance_buckets : int, default 0 and 3
        The log-polar distance buckets kept, ``start_bucket <= bucket < distance_buckets``,
        a bucket ``round(log10(d) * distance_buckets / log10(large_size // 2))`` (OpenCV: 3, 7).
    channel_axis : int, optional
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    centres : ndarray of shape (m, 2), float64
        The points (x, y), 0-based, row by row: x from ``border`` by ``step``, with
        ``border = large_size // 2 + small_size // 2``, as long as the window fits.
    descriptors : ndarray of shape (m, angles * (distance_buckets - start_bucket)), float32
        ``exp(-ssd / var)`` per bin (angles fastest, then distance buckets): ``ssd`` the
        smallest sum of squared differences between the patch and the patches at the bin's
        offsets, ``var`` the largest of those within one pixel of the centre, at least 1000.
        The defaults (12 values a point, 576 points on a 32 x 32 image) are this module's,
        chosen on CIFAR-10's validation split (``docs/results.md``); their first bin holds
        the centre itself, so it is always 1, as any setting with ``start_bucket=0``.

    Examples
    --------
    >>> import numpy as np, fastlin
    >>> centres, d = fastlin.self_similarity(np.zeros((32, 32), np.uint8))
    >>> d.shape, float(d.max())
    ((576, 12), 1.0)
    """
    centres, desc = _run("image", image, False, step, small_size, large_size, angles, start_bucket,
                         distance_buckets, channel_axis, impl, None)  # fmt: skip
    return centres, desc[0]
