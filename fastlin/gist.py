"""GIST (Oliva and Torralba 2001) equal to Torralba's ``LMgist.m``, and its batch form.

The global scene descriptor of the Tiny Images work from which CIFAR-10 was drawn: the
image whitened and contrast-normalized, filtered by a bank of Gabor filters (4 scales x 8
orientations by default), each filter's output magnitude averaged over a 4 x 4 grid of
blocks: 512 values for a gray image. Every tier equals ``LMgist.m`` (run in GNU Octave) to
within 1e-6 (``tests/test_gist.py``; ``docs/design.md`` says how it is computed fast).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._validation import as_image_batch, check_int, check_result_size, check_scalar, check_tier

#: the default Gabor bank: 4 scales (fine to coarse) of 8 orientations
ORIENTATIONS = (8, 8, 8, 8)
#: the largest padding, block grid and orientation count a caller may ask for
MAX_BOUNDARY = 4096
MAX_ORIENTATIONS = 360


def _orientations(value: object) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"orientations must be a sequence of ints (orientations per scale), got {value!r}")
    if len(value) == 0:
        raise ValueError("orientations must name at least one scale, got an empty sequence")
    return tuple(check_int(f"orientations[{i}]", v, low=1, high=MAX_ORIENTATIONS) for i, v in enumerate(value))


def _check_bank(orientations: tuple[int, ...], padded_cols: int) -> None:
    """Refuse a bank the image cannot hold.

    That is a scale centred below one cycle per image, or more orientations than there are
    frequency samples around a scale's centre frequency.
    """
    for i, n in enumerate(orientations):
        radius = 0.3 / 1.85**i * padded_cols  # the filter's centre, in cycles per (padded) image
        if radius < 1:
            raise ValueError(
                f"orientations has {len(orientations)} scales, but scale {i} would be centred at {radius:.2f} "
                f"cycles per image (below 1) for images {padded_cols} pixels wide once padded: use fewer scales"
            )
        if n > math.pi * radius:
            raise ValueError(
                f"orientations[{i}]={n} is too many for scale {i}: its filters are centred {radius:.1f} cycles from "
                f"the origin, where at most {int(math.pi * radius)} orientations are one frequency sample apart"
            )


def _resized(gray: np.ndarray, size: int) -> np.ndarray:
    """``imresizecrop``: scaled (bilinear, scikit-image's) so both sides reach ``size``, then the centre cropped."""
    from skimage.transform import resize

    N, H, W = gray.shape
    scale = max(size / H, size / W)
    rows, cols = round(H * scale), round(W * scale)
    out = np.empty((N, size, size))
    top, left = (rows - size) // 2, (cols - size) // 2
    for i, img in enumerate(gray):
        out[i] = resize(img, (rows, cols), order=1)[top : top + size, left : left + size]
    return out


def _gray(images: ArrayLike, batch: bool, channel_axis: int | None, image_size: int | None) -> np.ndarray:
    """(N, H, W) float64 gray images as ``LMgist`` sees them: the mean of the channels."""
    arr = as_image_batch("images" if batch else "image", images, batch=batch, channel_axis=channel_axis)
    gray = arr.mean(axis=-1, dtype=np.float64)
    peak = float(np.abs(gray).max())
    if peak > 2.0**1000:  # GIST ignores the pixels' scale; an exact power of two keeps 255 * x from overflowing
        gray *= 2.0**-100
    if image_size is not None:
        gray = _resized(gray, image_size)
    return gray


def _run(images, batch, orientations, blocks, prefilter, boundary, image_size, channel_axis, impl, n_threads):
    impl, n_threads = check_tier(impl, n_threads)
    orientations = _orientations(orientations)
    blocks = check_int("blocks", blocks, low=1)
    prefilter = check_scalar("prefilter", prefilter, low=0.0, low_open=True, high=1e6)
    boundary = check_int("boundary", boundary, low=0, high=MAX_BOUNDARY)
    if image_size is not None:
        image_size = check_int("image_size", image_size, low=2, high=1 << 15)
        if image_size % 2:
            raise ValueError(f"image_size must be even (LMgist's filters are defined on even grids), got {image_size}")
    gray = _gray(images, batch, channel_axis, image_size)
    N, H, W = gray.shape
    if H % 2 or W % 2:
        raise ValueError(
            f"images are {H} x {W}: LMgist's filters are defined for even sizes only; crop a row or column, "
            "or pass image_size"
        )
    if blocks > min(H, W):
        raise ValueError(f"blocks={blocks} makes blocks smaller than a pixel for images of {H} x {W}")
    _check_bank(orientations, W + 2 * boundary)
    check_result_size("the images and orientations", N * sum(orientations) * blocks * blocks, itemsize=4)
    return _tiers.run("gist", "gist_batch", impl, n_threads, gray, orientations, blocks, prefilter, boundary)


def gist_batch(
    images: ArrayLike,
    *,
    orientations: Sequence[int] = ORIENTATIONS,
    blocks: int = 4,
    prefilter: float = 4.0,
    boundary: int = 32,
    image_size: int | None = None,
    channel_axis: int | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """GIST of every image of a batch (N, H, W) or (N, H, W, C), in one parallel call.

    Parameters and values as :func:`gist`.

    Returns
    -------
    ndarray of shape (N, sum(orientations) * blocks**2), float32
    """
    return _run(images, True, orientations, blocks, prefilter, boundary, image_size, channel_axis, impl, n_threads)


def gist(
    image: ArrayLike,
    *,
    orientations: Sequence[int] = ORIENTATIONS,
    blocks: int = 4,
    prefilter: float = 4.0,
    boundary: int = 32,
    image_size: int | None = None,
    channel_axis: int | None = None,
    impl: str = "jit",
) -> np.ndarray:
    """The GIST descriptor of an image, equal to Torralba's ``LMgist.m``.

    ``gist(img, orientations=o, blocks=b, prefilter=f)`` gives what
    ``LMgist(img, '', param)`` gives in MATLAB with ``param.orientationsPerScale = o``,
    ``param.numberBlocks = b``, ``param.fc_prefilt = f`` and ``param.imageSize`` the image's
    own size (within 1e-6; MATLAB computes the filtering in single precision).

    Parameters
    ----------
    image : array_like of shape (H, W), or (H, W, C) with ``channel_axis``
        Any real pixels: GIST rescales each image to 0..255 first, so the pixels' scale
        does not matter. Colour images become gray as ``LMgist`` makes them, the plain mean
        of the channels. H and W must be even (``LMgist``'s filters are defined on even
        grids). A constant image, where ``LMgist`` divides 0 by 0, gives zeros.
    orientations : sequence of int, default (8, 8, 8, 8)
        Orientations of each scale of the Gabor bank, finest scale first
        (``orientationsPerScale``).
    blocks : int, default 4
        The filter outputs are averaged over a ``blocks`` x ``blocks`` grid (``numberBlocks``).
    prefilter : float, default 4.0
        Cut-off of the whitening prefilter in cycles per image (``fc_prefilt``).
    boundary : int, default 32
        Pixels of symmetric padding around the image before filtering
        (``boundaryExtension``).
    image_size : int, optional
        Resize (bilinear, scikit-image's ``resize``) and crop the centre to
        ``image_size`` x ``image_size`` first, as ``LMgist``'s ``imageSize`` does. Not
        value-equal to MATLAB's ``imresize``, whose antialiasing differs. Default: the image
        as it is.
    channel_axis : int, optional
        The axis of ``image`` holding colour channels.
    impl : {"jit", "vectorized", "naive"}, default "jit"

    Returns
    -------
    ndarray of shape (sum(orientations) * blocks**2,), float32
        Filter by filter (scales fine to coarse, orientations in order), and within a
        filter the block means in MATLAB's column-major order (block rows fastest).
    """
    return _run(image, False, orientations, blocks, prefilter, boundary, image_size, channel_axis, impl, None)[0]
