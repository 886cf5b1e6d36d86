"""Dense SIFT equal to VLFeat's ``vl_dsift``, and its batch form.

One SIFT descriptor (4 x 4 spatial bins of 8 orientations, 128 values) on every frame of a
regular grid: the descriptor people compare with is VLFeat's (Vedaldi and Fulkerson), and
fastlin's equals MATLAB's ``vl_dsift`` bit for bit, float descriptors included, in every
tier (``docs/design.md`` says how).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._spec import DSIFT_BINS, DSIFT_ORIENTATIONS, dsift_geometry, phow_smoothing_kernel
from fastlin._validation import (
    check_bool,
    check_finite,
    check_int,
    check_result_size,
    check_scalar,
    check_tier,
    gray_images,
)

#: values per descriptor
DESCRIPTOR_SIZE = DSIFT_BINS * DSIFT_BINS * DSIFT_ORIENTATIONS
#: the largest bin size: its kernels are 2 size - 1 taps, its frames 3 size + 1 pixels wide
MAX_SIZE = 1000


def _gray_batch(name: str, images: ArrayLike, batch: bool) -> np.ndarray:
    """(N, H, W) float32 in VLFeat's units: uint8 divided by 255, floats as they are (finite)."""
    arr = gray_images(name, images, batch=batch)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype == np.uint8:
        out = arr.astype(np.float32) / np.float32(255)
    else:
        with np.errstate(over="ignore"):
            out = arr.astype(np.float32)
        check_finite(name, arr)
        if not np.isfinite(out).all():
            raise ValueError(f"{name} has values beyond float32's range: dense SIFT computes in float32")
    return np.ascontiguousarray(out if batch else out[None])


def _params(step, size, bounds, fast, window_size, shape) -> tuple:
    """Checked parameters, with ``bounds`` clipped to the image as VLFeat clips them."""
    step = check_int("step", step, low=1)
    size = check_int("size", size, low=1, high=MAX_SIZE)
    fast = check_bool("fast", fast)
    window_size = check_scalar("window_size", window_size, low=0.0, low_open=True, high=1e6)
    H, W = shape
    if bounds is None:
        bounds = (0, 0, W - 1, H - 1)
    else:
        try:
            values = [check_int(f"bounds[{i}]", v, low=-(2**62)) for i, v in enumerate(bounds)]
        except TypeError as e:
            raise TypeError(f"bounds must be 4 ints (min_x, min_y, max_x, max_y): {e}") from None
        if len(values) != 4:
            raise ValueError(f"bounds must be 4 ints (min_x, min_y, max_x, max_y), got {len(values)}")
        min_x, min_y, max_x, max_y = values
        bounds = (max(min_x, 0), max(min_y, 0), min(max_x, W - 1), min(max_y, H - 1))
    span = size * (DSIFT_BINS - 1) + 1
    if bounds[2] - bounds[0] + 1 < span or bounds[3] - bounds[1] + 1 < span:
        raise ValueError(
            f"no frame fits: a frame of size={size} spans {span} x {span} pixels, the region of the images is "
            f"{bounds[2] - bounds[0] + 1} x {bounds[3] - bounds[1] + 1} (bounds {bounds})"
        )
    return step, size, bounds, fast, window_size


def _frames(step, size, bounds) -> np.ndarray:
    """(n, 2) float64 frame centres (x, y), 0-based, in MATLAB's order: x outer, y inner."""
    min_x, min_y, max_x, max_y = bounds
    ys, xs = dsift_geometry((min_y, min_x, max_y, max_x), step, size)  # VLFeat's x runs down the rows
    centre = 0.5 * size * (DSIFT_BINS - 1)
    x, y = np.meshgrid(xs + centre, ys + centre, indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float64)


def _run(name, images, batch, step, size, bounds, fast, window_size, impl, n_threads):
    """Check everything once, then the tier's kernel: (frames, norms (N, n), descriptors (N, n, 128))."""
    impl, n_threads = check_tier(impl, n_threads)
    gray = _gray_batch(name, images, batch=batch)
    step, size, bounds, fast, window_size = _params(step, size, bounds, fast, window_size, gray.shape[1:])
    frames = _frames(step, size, bounds)
    check_result_size("the descriptors", gray.shape[0] * len(frames) * DESCRIPTOR_SIZE, itemsize=4)
    args = (gray, step, size, bounds, fast, window_size)
    return (frames, *_tiers.run("dsift", "dsift_batch", impl, n_threads, *args))


def dsift_batch(
    images: ArrayLike,
    *,
    step: int = 1,
    size: int = 3,
    bounds: tuple[int, int, int, int] | None = None,
    fast: bool = False,
    window_size: float = 2.0,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense SIFT of every image of an (N, H, W) batch, in one parallel call.

    Parameters and values as :func:`dsift`.

    Returns
    -------
    frames : ndarray of shape (n, 2), float64
        The frame centres (x, y), 0-based, shared by every image.
    norms : ndarray of shape (N, n), float32
        Each descriptor's mass before normalization (VLFeat's ``norm``: its contrast).
    descriptors : ndarray of shape (N, n, 128), float32
        Unit-norm descriptors.
    """
    return _run("images", images, True, step, size, bounds, fast, window_size, impl, n_threads)


def dsift(
    image: ArrayLike,
    *,
    step: int = 1,
    size: int = 3,
    bounds: tuple[int, int, int, int] | None = None,
    fast: bool = False,
    window_size: float = 2.0,
    impl: str = "jit",
) -> tuple[np.ndarray, np.ndarray]:
    """Dense SIFT of a gray image, equal to MATLAB's ``vl_dsift`` (VLFeat 0.9.21).

    ``frames, descriptors = dsift(I, step=s, size=b, fast=f)`` gives what
    ``[F, D] = vl_dsift(single(I), 'Step', s, 'Size', b, 'Norm', 'FloatDescriptors')`` (with
    ``'Fast'`` when ``f``) gives in MATLAB, with ``F`` 0-based (``F(1:2,:) - 1``) and ``D``
    divided by 512 (VLFeat's C API values; MATLAB's default uint8 output is
    ``uint8(min(512 * descriptors, 255))``, truncated), frames in the same order. Not
    OpenCV's ``SIFT.compute`` on a grid, which windows and interpolates otherwise.

    Parameters
    ----------
    image : array_like of shape (H, W)
        Gray pixels in [0, 1] as VLFeat expects; uint8 images are divided by 255. Colour
        images are refused: convert them first.
    step : int, default 1
        Pixels between neighbouring frames.
    size : int, default 3
        Width of a spatial bin in pixels; a frame spans ``3 * size + 1`` pixels.
    bounds : (min_x, min_y, max_x, max_y), optional
        Inclusive, 0-based, x = column: the region the frames must fit in (clipped to the
        image, as VLFeat clips it). Default: the whole image.
    fast : bool, default False
        VLFeat's flat window: a triangular filter per orientation, then each bin weighted by
        the Gaussian window's mean over it (much faster); else each bin's own Gaussian
        window enters the filter.
    window_size : float, default 2.0
        The Gaussian window's standard deviation, in bins.
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    frames : ndarray of shape (n, 3), float64
        x, y (0-based centres) and the descriptor's norm before normalization.
    descriptors : ndarray of shape (n, 128), float32
        Unit-norm, clamped at 0.2 and renormalized, in MATLAB's bin order.
    """
    frames, norms, descriptors = _run("image", image, False, step, size, bounds, fast, window_size, impl, None)
    return np.column_stack([frames, norms[0].astype(np.float64)]), descriptors[0]


#: ``vl_phow``'s bin sizes
PHOW_SIZES = (4, 6, 8, 10)


def _phow_params(sizes, step, fast, magnif, window_size, contrast_threshold):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) == 0:
        raise TypeError(f"sizes must be a non-empty sequence of bin sizes, got {sizes!r}")
    sizes = tuple(check_int(f"sizes[{i}]", v, low=1, high=MAX_SIZE) for i, v in enumerate(sizes))
    step = check_int("step", step, low=1)
    fast = check_bool("fast", fast)
    magnif = check_scalar("magnif", magnif, low=0.0, low_open=True, high=1e6)
    window_size = check_scalar("window_size", window_size, low=0.0, low_open=True, high=1e6)
    contrast_threshold = check_scalar("contrast_threshold", contrast_threshold, low=0.0)
    return sizes, step, fast, magnif, window_size, contrast_threshold


def _run_phow(name, images, batch, sizes, step, fast, magnif, window_size, contrast_threshold, impl, n_threads):
    """(frames (n, 3): x, y, size; norms (N, n); descriptors (N, n, 128)), as ``vl_phow`` gives them."""
    impl, n_threads = check_tier(impl, n_threads)
    gray = _gray_batch(name, images, batch=batch)
    sizes, step, fast, magnif, window_size, threshold = _phow_params(
        sizes, step, fast, magnif, window_size, contrast_threshold
    )
    H, W = gray.shape[1:]
    plan = []
    for size in sizes:
        # vl_phow aligns the sizes' frames on one set of centres: MATLAB bounds [off off +inf +inf]
        off = int(np.floor(1 + 1.5 * (max(sizes) - size))) - 1
        bounds = (off, off, W - 1, H - 1)
        span = size * (DSIFT_BINS - 1) + 1
        if bounds[2] - bounds[0] + 1 >= span and bounds[3] - bounds[1] + 1 >= span:
            plan.append((size, bounds, _frames(step, size, bounds)))
    if not plan:
        raise ValueError(f"no frame fits: images of {H} x {W} are smaller than a frame of any of sizes={sizes}")
    check_result_size("the descriptors", gray.shape[0] * sum(len(f) for *_, f in plan) * DESCRIPTOR_SIZE, itemsize=4)
    frames, norms, descriptors = [], [], []
    for size, bounds, centres in plan:
        sigma = size / magnif
        smoothed = gray
        if sigma >= 0.01:  # vl_imsmooth returns its input below
            smoothed = _tiers.run("dsift", "smooth_batch", impl, n_threads, gray, phow_smoothing_kernel(sigma))
        args = (smoothed, step, size, bounds, fast, window_size)
        norm, desc = _tiers.run("dsift", "dsift_batch", impl, n_threads, *args)
        desc[norm < threshold] = 0  # vl_phow's contrast threshold: weak descriptors become zeros
        frames.append(np.column_stack([centres, np.full(len(centres), float(size))]))
        norms.append(norm)
        descriptors.append(desc)
    return np.concatenate(frames), np.concatenate(norms, axis=1), np.concatenate(descriptors, axis=1)


def phow_batch(
    images: ArrayLike,
    *,
    sizes: tuple[int, ...] = PHOW_SIZES,
    step: int = 2,
    fast: bool = True,
    magnif: float = 6.0,
    window_size: float = 1.5,
    contrast_threshold: float = 0.005,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PHOW of every image of an (N, H, W) batch. Parameters and values as :func:`phow`.

    Returns
    -------
    frames : ndarray of shape (n, 3), float64
        x, y (0-based centres) and the bin size of each frame, shared by every image.
    norms : ndarray of shape (N, n), float32
        Each descriptor's norm before normalization (its contrast).
    descriptors : ndarray of shape (N, n, 128), float32
    """
    args = (sizes, step, fast, magnif, window_size, contrast_threshold, impl, n_threads)
    return _run_phow("images", images, True, *args)


def phow(
    image: ArrayLike,
    *,
    sizes: tuple[int, ...] = PHOW_SIZES,
    step: int = 2,
    fast: bool = True,
    magnif: float = 6.0,
    window_size: float = 1.5,
    contrast_threshold: float = 0.005,
    impl: str = "jit",
) -> tuple[np.ndarray, np.ndarray]:
    """PHOW (gray), equal to VLFeat 0.9.21's ``vl_phow``: dense SIFT at several bin sizes.

    ``frames, descriptors = phow(I)`` gives what ``[F, D] = vl_phow(single(I), 'FloatDescriptors',
    true)`` gives in MATLAB, with ``F(1:2, :)`` 0-based and ``D`` divided by 512: for each bin
    size, the image smoothed by MATLAB's ``vl_imsmooth`` with sigma ``size / magnif`` (its
    kernel truncated at 4 sigma), dense SIFT on frames whose centres line up across the sizes,
    and descriptors whose norm is below ``contrast_threshold`` set to zero. Sizes whose frame
    does not fit the image give no frames, as in VLFeat.

    Parameters
    ----------
    image : array_like of shape (H, W)
        Gray pixels in [0, 1]; uint8 images are divided by 255.
    sizes : tuple of int, default (4, 6, 8, 10)
        Bin sizes in pixels.
    step : int, default 2
    fast : bool, default True
        VLFeat's flat window (see :func:`dsift`).
    magnif : float, default 6.0
        The smoothing's sigma is ``size / magnif``.
    window_size : float, default 1.5
    contrast_threshold : float, default 0.005
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    frames : ndarray of shape (n, 4), float64
        x, y (0-based centres), the norm before normalization and the bin size, size by size.
    descriptors : ndarray of shape (n, 128), float32
    """
    args = (sizes, step, fast, magnif, window_size, contrast_threshold, impl, None)
    frames, norms, descriptors = _run_phow("image", image, False, *args)
    return np.column_stack([frames[:, :2], norms[0].astype(np.float64), frames[:, 2]]), descriptors[0]
