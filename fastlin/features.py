"""Image features for a linear classifier: HOG, the hue histogram, and their concatenation."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._config import tier_threads
from fastlin._validation import (
    as_image_batch,
    check_choice,
    check_impl,
    check_int,
    check_n_threads,
    check_pair,
    check_scalar,
)
from fastlin.naive.hog import NORMS


def _run(topic: str, name: str, impl: str, n_threads: int | None, *args):
    fn = _tiers.get(topic, name, impl)
    with tier_threads(impl, n_threads):
        return fn(*args)


def _hog_params(orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    orientations = check_int("orientations", orientations, low=1)
    pixels_per_cell = check_pair("pixels_per_cell", pixels_per_cell)
    cells_per_block = check_pair("cells_per_block", cells_per_block)
    block_norm = check_choice("block_norm", block_norm, NORMS)
    return orientations, pixels_per_cell, cells_per_block, block_norm, bool(transform_sqrt)


def _hog_checked(images, params):
    """Refuse images smaller than one block, and negative pixels under ``transform_sqrt``."""
    _, (c_row, c_col), (b_row, b_col), _, transform_sqrt = params
    H, W = images.shape[1:3]
    if H // c_row < b_row or W // c_col < b_col:
        raise ValueError(
            f"the image ({H}x{W}) is smaller than one block: pixels_per_cell={(c_row, c_col)} and "
            f"cells_per_block={(b_row, b_col)} need at least {b_row * c_row} rows and {b_col * c_col} cols"
        )
    if transform_sqrt and images.dtype.kind == "f" and (images < 0).any():
        raise ValueError("transform_sqrt needs non-negative pixels; the image has negative values")


def hog(
    image: ArrayLike,
    orientations: int = 9,
    pixels_per_cell: tuple[int, int] = (8, 8),
    cells_per_block: tuple[int, int] = (3, 3),
    block_norm: str = "L2-Hys",
    visualize: bool = False,
    transform_sqrt: bool = False,
    feature_vector: bool = True,
    *,
    channel_axis: int | None = None,
    impl: str = "jit",
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Histogram of Oriented Gradients, a drop-in for ``skimage.feature.hog``.

    Same parameters, defaults, output shapes and values (to float rounding) as scikit-image:
    centred-difference gradients (per pixel, the channel with the strongest one), orientation
    histograms of ``pixels_per_cell`` cells (unsigned, 0-180 degrees, magnitude votes,
    divided by the cell area), normalized over blocks of ``cells_per_block`` cells. Pixels
    past the last whole cell are ignored.

    Parameters
    ----------
    image : array_like of shape (H, W), or (H, W, C) with ``channel_axis``
        uint8, int or float pixels; float32 images give float32 features, others float64.
    orientations : int, default 9
        Orientation bins over 180 degrees.
    pixels_per_cell : (int, int), default (8, 8)
    cells_per_block : (int, int), default (3, 3)
    block_norm : {"L2-Hys", "L2", "L1", "L1-sqrt"}, default "L2-Hys"
    visualize : bool, default False
        Also return scikit-image's picture of the cell histograms.
    transform_sqrt : bool, default False
        Square-root the pixels first (they must be non-negative).
    feature_vector : bool, default True
        Flatten; otherwise the (n_blocks_row, n_blocks_col, b_row, b_col, orientations) array.
    channel_axis : int, optional
        The colour axis of ``image``; None for grayscale.
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    features : ndarray
    hog_image : ndarray of shape (H, W), only with ``visualize``
    """
    params = _hog_params(orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt)
    check_impl(impl)
    images = as_image_batch("image", image, batch=False, channel_axis=channel_axis)
    _hog_checked(images, params)
    out = _run("hog", "hog_batch", impl, None, images, *params)[0]
    features = out.ravel() if feature_vector else out
    if not visualize:
        return features
    return features, _hog_picture(images, params)


def _hog_picture(images, params):
    """scikit-image's visualization: per cell and bin, a line through the cell's centre."""
    from skimage.draw import line

    from fastlin.naive.hog import working_dtype
    from fastlin.vectorized.hog import cell_histograms

    orientations, (c_row, c_col), _, _, transform_sqrt = params
    hist = cell_histograms(images, orientations, (c_row, c_col), transform_sqrt)[0]
    radius = min(c_row, c_col) // 2 - 1
    mid = np.pi * (np.arange(orientations) + 0.5) / orientations
    d_row, d_col = radius * np.sin(mid), radius * np.cos(mid)
    picture = np.zeros(images.shape[1:3], dtype=working_dtype(images.dtype))
    for r in range(hist.shape[0]):
        for c in range(hist.shape[1]):
            centre = (r * c_row + c_row // 2, c * c_col + c_col // 2)
            for o in range(orientations):
                rr, cc = line(
                    int(centre[0] - d_col[o]),
                    int(centre[1] + d_row[o]),
                    int(centre[0] + d_col[o]),
                    int(centre[1] - d_row[o]),
                )
                picture[rr, cc] += hist[r, c, o]
    return picture


def hog_batch(
    images: ArrayLike,
    orientations: int = 9,
    pixels_per_cell: tuple[int, int] = (8, 8),
    cells_per_block: tuple[int, int] = (3, 3),
    block_norm: str = "L2-Hys",
    transform_sqrt: bool = False,
    feature_vector: bool = True,
    *,
    channel_axis: int | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """:func:`hog` of every image of a batch, in one parallel kernel call.

    Parameters
    ----------
    images : array_like of shape (N, H, W), or (N, H, W, C) with ``channel_axis`` (e.g. -1)
    orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt, feature_vector
        As in :func:`hog`.
    channel_axis : int, optional
        The colour axis of ``images`` (not 0, the image axis).
    impl : {"jit", "vectorized", "naive"}, default "jit"
    n_threads : int, optional
        Threads of the jit tier; None uses every core.

    Returns
    -------
    ndarray of shape (N, F), or (N, n_blocks_row, n_blocks_col, b_row, b_col, orientations)
    """
    params = _hog_params(orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt)
    check_impl(impl)
    n_threads = check_n_threads(n_threads)
    batch = as_image_batch("images", images, batch=True, channel_axis=channel_axis)
    _hog_checked(batch, params)
    out = _run("hog", "hog_batch", impl, n_threads, batch, *params)
    return out.reshape(len(out), -1) if feature_vector else out


def _hist_params(nbin, xmin, xmax, normalized):
    nbin = check_int("nbin", nbin, low=1)
    xmin = check_scalar("xmin", xmin)
    xmax = check_scalar("xmax", xmax, low=0.0, low_open=True)
    if xmin >= xmax:
        raise ValueError(f"xmin must be < xmax, got xmin={xmin}, xmax={xmax}")
    return nbin, xmin, xmax, bool(normalized)


def _rgb_checked(images, xmax, name):
    if images.shape[-1] != 3:
        raise ValueError(f"{name} must be RGB with 3 channels last, got shape {images.shape[1:]} per image")
    low, high = images.min(), images.max()
    if low < 0 or high > xmax:
        raise ValueError(f"{name} values must be in [0, xmax={xmax}], got [{low}, {high}]")


def color_histogram_hsv(
    im: ArrayLike,
    nbin: int = 10,
    xmin: float = 0,
    xmax: float = 255,
    normalized: bool = True,
    impl: str = "jit",
) -> np.ndarray:
    """Histogram of the hue of an RGB image: CS231n's ``color_histogram_hsv``.

    The hue of ``matplotlib.colors.rgb_to_hsv(im / xmax)``, scaled by ``xmax``, counted in
    ``nbin`` equal bins over ``[xmin, xmax]`` (``np.histogram`` with
    ``bins=np.linspace(xmin, xmax, nbin + 1)``). With ``normalized`` the result holds the
    fractions of pixels (they sum to 1); without, the counts times the bin width, as in
    CS231n's code. An image with no pixel in ``[xmin, xmax]`` gives zeros. float32 images
    are computed in float32 (as matplotlib does), others in float64.

    Parameters
    ----------
    im : array_like of shape (H, W, 3)
        RGB pixels in ``[0, xmax]``.
    nbin : int, default 10
    xmin, xmax : float, default 0 and 255
    normalized : bool, default True
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    ndarray of shape (nbin,), float64
    """
    params = _hist_params(nbin, xmin, xmax, normalized)
    check_impl(impl)
    images = as_image_batch("im", im, batch=False, channel_axis=-1 if np.ndim(im) == 3 else None)
    _rgb_checked(images, params[2], "im")
    return _run("color", "color_histogram_hsv_batch", impl, None, images, *params)[0]


def color_histogram_hsv_batch(
    images: ArrayLike,
    nbin: int = 10,
    xmin: float = 0,
    xmax: float = 255,
    normalized: bool = True,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """:func:`color_histogram_hsv` of every image of an (N, H, W, 3) batch, in one kernel call.

    Returns
    -------
    ndarray of shape (N, nbin), float64
    """
    params = _hist_params(nbin, xmin, xmax, normalized)
    check_impl(impl)
    n_threads = check_n_threads(n_threads)
    batch = as_image_batch("images", images, batch=True, channel_axis=-1 if np.ndim(images) == 4 else None)
    _rgb_checked(batch, params[2], "images")
    return _run("color", "color_histogram_hsv_batch", impl, n_threads, batch, *params)


def _batch_form(fn: Callable) -> Callable | None:
    """The batch function equivalent to a per-image fastlin feature function, if it is one.

    Recognized: :func:`hog` and :func:`color_histogram_hsv`, bare or as a
    ``functools.partial`` with keyword arguments only, and the ``transform`` method of a
    fitted :class:`fastlin.BagOfVisualWords`.
    """
    kwargs: dict = {}
    owner = getattr(fn, "__self__", None)
    if owner is not None and getattr(fn, "__name__", "") == "transform":
        from fastlin.bow import BagOfVisualWords

        if isinstance(owner, BagOfVisualWords):
            return fn  # its transform takes the whole batch
    if isinstance(fn, functools.partial) and not fn.args:
        kwargs = dict(fn.keywords)
        fn = fn.func
    if fn is hog:
        if kwargs.pop("visualize", False):
            return None
        axis = kwargs.pop("channel_axis", None)
        if axis is not None:
            axis = axis + 1 if axis >= 0 else axis  # an image's axis, one further in a batch
        return functools.partial(hog_batch, channel_axis=axis, **kwargs)
    if fn is color_histogram_hsv:
        return functools.partial(color_histogram_hsv_batch, **kwargs)
    return None


def extract_features(images: ArrayLike, feature_fns: Sequence[Callable], *, progress: bool = False) -> np.ndarray:
    """Apply each feature function to each image and concatenate: CS231n's ``extract_features``.

    Parameters
    ----------
    images : array_like of shape (N, ...)
        Each image is passed as ``images[i].squeeze()``, as CS231n does.
    feature_fns : sequence of callables
        Each maps one image to a 1-D feature vector. fastlin's own :func:`hog` and
        :func:`color_histogram_hsv` (bare or as ``functools.partial`` with keywords) run as
        one batch kernel over all images instead of a Python loop.
    progress : bool, default False
        Report progress on stderr (per function for batch kernels, every 1000 images for
        others).

    Returns
    -------
    ndarray of shape (N, sum of feature sizes), float64
    """
    images = np.asarray(images)
    if images.ndim < 2 or images.shape[0] == 0:
        raise ValueError(f"images must be a non-empty batch (N, ...), got shape {images.shape}")
    if not feature_fns or not all(callable(f) for f in feature_fns):
        raise TypeError("feature_fns must be a non-empty sequence of callables")
    n = images.shape[0]
    squeezed = images.reshape((n,) + tuple(s for s in images.shape[1:] if s != 1))
    blocks = []
    for k, fn in enumerate(feature_fns):
        batch_fn = _batch_form(fn)
        if batch_fn is not None:
            block = np.asarray(batch_fn(squeezed), dtype=np.float64).reshape(n, -1)
        else:
            first = np.asarray(fn(squeezed[0]))
            if first.ndim != 1:
                raise ValueError(f"feature_fns[{k}] must return a 1-D vector, got shape {first.shape}")
            block = np.empty((n, first.size))
            block[0] = first
            for i in range(1, n):
                block[i] = fn(squeezed[i])
                if progress and (i + 1) % 1000 == 0:
                    print(f"feature {k + 1}/{len(feature_fns)}: {i + 1}/{n} images", file=sys.stderr)
        if progress:
            print(f"feature {k + 1}/{len(feature_fns)} done: {block.shape[1]} values per image", file=sys.stderr)
        blocks.append(block)
    return np.concatenate(blocks, axis=1)
