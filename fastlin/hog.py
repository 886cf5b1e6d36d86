"""Histogram of Oriented Gradients: scikit-image's ``hog``, and its batch form."""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._spec import working_dtype
from fastlin._validation import (
    as_image_batch,
    check_bool,
    check_hog_images,
    check_hog_params,
    check_impl,
    check_tier,
)


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
    past the last whole cell are ignored. A gradient's bin is the one NumPy's ``arctan2``
    gives on the running machine, as in scikit-image.

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

    Raises
    ------
    ValueError
        An image smaller than one block ("image is too small given ..."), negative pixels
        with ``transform_sqrt``, NaN or inf, bad parameters.
    """
    params = check_hog_params(orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt)
    visualize = check_bool("visualize", visualize)
    feature_vector = check_bool("feature_vector", feature_vector)
    impl = check_impl(impl)
    images = as_image_batch("image", image, batch=False, channel_axis=channel_axis)
    check_hog_images(images, params, "image")
    out = _tiers.run("hog", "hog_batch", impl, None, images, *params)[0]
    features = out.ravel() if feature_vector else out
    if not visualize:
        return features
    return features, _picture(images, params, impl)


def _picture(images: np.ndarray, params: tuple, impl: str) -> np.ndarray:
    """scikit-image's visualization: per cell and bin, a line through the cell's centre."""
    from skimage.draw import line

    orientations, (c_row, c_col), _, _, transform_sqrt = params
    hist = _tiers.run("hog", "cell_histograms", impl, None, images, orientations, (c_row, c_col), transform_sqrt)[0]
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
    *,
    orientations: int = 9,
    pixels_per_cell: tuple[int, int] = (8, 8),
    cells_per_block: tuple[int, int] = (3, 3),
    block_norm: str = "L2-Hys",
    transform_sqrt: bool = False,
    feature_vector: bool = True,
    channel_axis: int | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """:func:`hog` of every image of a batch, in one parallel kernel call.

    Every option is keyword-only: :func:`hog`'s sixth positional parameter is
    ``visualize``, which a batch does not have, so the same positional call would otherwise
    mean ``transform_sqrt`` here.

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
    params = check_hog_params(orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt)
    feature_vector = check_bool("feature_vector", feature_vector)
    impl, n_threads = check_tier(impl, n_threads)
    batch = as_image_batch("images", images, batch=True, channel_axis=channel_axis)
    check_hog_images(batch, params, "images")
    out = _tiers.run("hog", "hog_batch", impl, n_threads, batch, *params)
    return out.reshape(len(out), -1) if feature_vector else out


def hog_batch_form(visualize: bool = False, channel_axis: int | None = None, **keywords):
    """The batch function doing what ``functools.partial(hog, **keywords)`` does per image.

    None with ``visualize`` (a batch has no picture to return).
    """
    if visualize:
        return None
    if channel_axis is not None and isinstance(channel_axis, int) and channel_axis >= 0:
        channel_axis += 1  # an image's axis is one further in a batch
    return functools.partial(hog_batch, channel_axis=channel_axis, **keywords)
