"""Filter-bank responses, the per-pixel description behind textons (Leung and Malik 2001; Varma and Zisserman 2005).

Every pixel is described by its responses to a bank of filters (:func:`fastlin.filter_bank`:
the VGG texture code's LM, RFS or Schmid bank), optionally reduced to the 8 maximum
responses of MR8 and contrast-normalized. :class:`fastlin.TextonFeatures` learns textons
from them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._spec import MR8_BANK_SIZE, RGB_TO_GRAY
from fastlin._validation import (
    as_array,
    as_image_batch,
    check_bool,
    check_result_size,
    check_tier,
)
from fastlin.filter_banks import BANKS, filter_bank

#: pixel values beyond this are refused: the responses are float32
MAX_PIXEL = 1e30
#: the largest filter side a custom bank may have
MAX_SUPPORT = 1025


def as_bank(bank: str | ArrayLike, mr8: bool = False) -> np.ndarray:
    """A bank by name (:data:`fastlin.filter_banks.BANKS`) or a stack of square filters of odd side.

    Returns (n_filters, s, s) float64, C-contiguous; ``mr8`` needs the RFS bank's 38 filters.
    """
    if isinstance(bank, str):
        arr = filter_bank(bank)
    else:
        arr = as_array("bank", bank)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"bank must be a bank's name ({', '.join(BANKS)}) or real filters, got dtype {arr.dtype}")
        if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] != arr.shape[2] or arr.shape[1] % 2 == 0:
            raise ValueError(f"bank must have shape (n_filters, s, s) with s odd and n_filters >= 1, got {arr.shape}")
        if arr.shape[1] > MAX_SUPPORT:
            raise ValueError(f"bank's filters are {arr.shape[1]} pixels wide; at most {MAX_SUPPORT}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.isfinite(arr).all():
            raise ValueError("bank has NaN or infinite values")
    if mr8 and len(arr) != MR8_BANK_SIZE:
        raise ValueError(f"mr8=True needs the RFS bank (bank='RFS', {MR8_BANK_SIZE} filters), got {len(arr)} filters")
    return arr


def gray_batch(images: ArrayLike, channel_axis: int | None, name: str = "images") -> np.ndarray:
    """(N, H, W) float64: gray images as they are, colour ones (3 channels) through rgb2gray's weights."""
    arr = as_image_batch(name, images, batch=True, channel_axis=channel_axis)
    C = arr.shape[-1]
    if C not in (1, 3):
        raise ValueError(f"{name} must be gray or have 3 colour channels, got {C} channels")
    gray = arr[..., 0].astype(np.float64) if C == 1 else arr.astype(np.float64) @ RGB_TO_GRAY
    if float(np.abs(gray).max()) > MAX_PIXEL:
        raise ValueError(f"{name} has values beyond +-{MAX_PIXEL:g}: the responses are float32; scale it down")
    return gray


def standardized(gray: np.ndarray) -> np.ndarray:
    """Each image less its mean, divided by its root mean square (a constant image becomes zeros)."""
    centred = gray - gray.mean(axis=(1, 2), keepdims=True)
    rms = np.sqrt(np.mean(centred * centred, axis=(1, 2), keepdims=True))
    return np.divide(centred, rms, out=np.zeros_like(centred), where=rms > 0)


def prepared(gray: np.ndarray, bank: np.ndarray, normalize: bool) -> np.ndarray:
    """The images as the tiers take them: standardized (``normalize``), or less their means.

    The means go for a bank of zero-sum filters only, which do not see them: what remains is
    smaller, and so are the rounding errors of float32 transforms (a nearly flat image's
    small responses would otherwise carry the error of its large mean).
    """
    if normalize:
        return standardized(gray)
    sums = np.abs(bank.sum(axis=(1, 2)))
    if np.all(sums <= 1e-12 * np.abs(bank).sum(axis=(1, 2))):
        return gray - gray.mean(axis=(1, 2), keepdims=True)
    return gray


def filter_responses(
    images: ArrayLike,
    bank: str | ArrayLike = "LM",
    *,
    mr8: bool = False,
    normalize: bool = False,
    channel_axis: int | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """Every pixel's responses to a filter bank, for a batch of images, in one parallel call.

    Parameters
    ----------
    images : array_like of shape (N, H, W), or (N, H, W, C) with ``channel_axis``
        Gray images; colour ones (C = 3) are taken to gray with rgb2gray's weights. Any size:
        each image is padded by half a filter on every side, mirrored with the edge pixel
        repeated (``scipy.ndimage``'s ``mode="reflect"``, continued periodically when a
        filter is wider than the image).
    bank : {"LM", "RFS", "S"} or array_like of shape (n_filters, s, s), default "LM"
        A bank of :func:`fastlin.filter_bank`, or filters of odd side ``s``.
    mr8 : bool, default False
        The RFS bank's maximum responses (Varma and Zisserman): per scale, the largest
        absolute response of the 6 first-derivative filters and the largest response of
        the 6 second-derivative filters, then the Gaussian and the Laplacian: 8 values.
    normalize : bool, default False
        Varma and Zisserman's contrast normalization: each image scaled to zero mean and unit
        variance first, each pixel's response vector ``r`` then ``r * log(1 + |r| / 0.03) / |r|``.
    channel_axis : int, optional
        The channel axis of colour images.
    impl : {"jit", "vectorized", "naive"}, default "jit"
    n_threads : int, optional

    Returns
    -------
    ndarray of shape (N, H, W, K), float32
        ``[n, y, x, k]`` is filter ``k``'s response at pixel (y, x), as the VGG code's
        ``conv2(I, F(:, :, k), 'valid')`` on the padded image: equal to
        ``scipy.ndimage.convolve(image, bank[k], mode="reflect")``. K is the bank's size,
        or 8 with ``mr8``.

    Examples
    --------
    >>> import numpy as np, fastlin
    >>> fastlin.filter_responses(np.zeros((2, 32, 32)), "RFS", mr8=True).shape
    (2, 32, 32, 8)
    """
    impl, n_threads = check_tier(impl, n_threads)
    mr8 = check_bool("mr8", mr8)
    normalize = check_bool("normalize", normalize)
    arr = as_bank(bank, mr8)
    gray = gray_batch(images, channel_axis)
    N, H, W = gray.shape
    check_result_size("the images and the bank", N * H * W * (8 if mr8 else len(arr)), itemsize=4)
    gray = prepared(gray, arr, normalize)
    return _tiers.run("textons", "filter_responses", impl, n_threads, gray, arr, mr8, normalize)
