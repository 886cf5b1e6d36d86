"""CS231n's colour (hue) histogram, and its batch form."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._validation import as_image_batch, check_hist_params, check_impl, check_rgb_images, check_tier


def color_histogram_hsv(
    im: ArrayLike,
    nbin: int = 10,
    xmin: float = 0,
    xmax: float = 255,
    normalized: bool = True,
    *,
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
        A finite range, ``xmin < xmax``, ``xmax > 0``.
    normalized : bool, default True
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    ndarray of shape (nbin,), float64
    """
    params = check_hist_params(nbin, xmin, xmax, normalized)
    impl = check_impl(impl)
    images = as_image_batch("im", im, batch=False, channel_axis=-1 if np.ndim(im) == 3 else None)
    check_rgb_images(images, params[2], "im")
    return _tiers.run("color", "color_histogram_hsv_batch", impl, None, images, *params)[0]


def color_histogram_hsv_batch(
    images: ArrayLike,
    nbin: int = 10,
    xmin: float = 0,
    xmax: float = 255,
    normalized: bool = True,
    *,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """:func:`color_histogram_hsv` of every image of an (N, H, W, 3) batch, in one kernel call.

    Returns
    -------
    ndarray of shape (N, nbin), float64
    """
    params = check_hist_params(nbin, xmin, xmax, normalized)
    impl, n_threads = check_tier(impl, n_threads)
    batch = as_image_batch("images", images, batch=True, channel_axis=-1 if np.ndim(images) == 4 else None)
    check_rgb_images(batch, params[2], "images")
    return _tiers.run("color", "color_histogram_hsv_batch", impl, n_threads, batch, *params)
