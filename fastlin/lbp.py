"""Local binary patterns: scikit-image's ``local_binary_pattern``, its batch, cell histograms.

The histograms of the codes over a grid of cells are the texture features a linear
classifier takes (``--features lbp`` of the ``fastlin`` command).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._spec import LBP_METHODS, lbp_n_bins
from fastlin._validation import (
    as_array,
    as_image_batch,
    check_bool,
    check_choice,
    check_int,
    check_pair,
    check_result_size,
    check_scalar,
    check_tier,
    gray_images,
)

#: the most sample points: scikit-image's codes are C ints of P bits
MAX_P = 31
#: the most sample points of a ``default``/``ror`` histogram (2**P bins per cell)
MAX_HISTOGRAM_P = 16
#: the largest radius: the kernels pad each image by R on every side (a (H + 2R)^2 buffer per
#: chunk of work), and a circle wider than this samples nothing any use could need
MAX_R = 1000
#: the largest |pixel| for ``method="var"``: the sum of P <= 31 squared samples stays finite
MAX_VAR_PIXEL = 1e150


def _lbp_params(P, R, method) -> tuple[int, float, int]:
    P = check_int("P", P, low=1, high=MAX_P)
    R = check_scalar("R", R, low=0.0, high=MAX_R)
    if not isinstance(method, str):
        raise TypeError(f"method must be one of {LBP_METHODS}, got {method!r}")
    return P, R, LBP_METHODS.index(check_choice("method", method.lower(), LBP_METHODS))


def _gray_batch(name: str, images: ArrayLike, batch: bool) -> np.ndarray:
    """(N, H, W), C-contiguous: uint8 as it is, anything else as float64.

    scikit-image computes LBP on float64 pixels; uint8 converts to float64 exactly, so the
    tiers convert it themselves (the jit tier while padding, without a float64 copy of the batch).
    """
    images = gray_images(name, images, batch=batch)
    arr = as_image_batch(name, images, batch=batch, channel_axis=None)[..., 0]
    return np.ascontiguousarray(arr, dtype=np.uint8 if arr.dtype == np.uint8 else np.float64)


def _check_var_pixels(name: str, batch: np.ndarray, code: int) -> None:
    """``var`` squares the samples: pixels whose squares would overflow are refused."""
    if LBP_METHODS[code] == "var" and batch.dtype != np.uint8 and batch.size:
        if float(np.abs(batch).max()) > MAX_VAR_PIXEL:
            raise ValueError(
                f"{name} has pixels beyond +-{MAX_VAR_PIXEL:g}: method='var' squares them, which would overflow; "
                "scale the image down"
            )


#: scikit-image's warning for float images, word for word (its own tests expect it)
FLOAT_WARNING = (
    "Applying `local_binary_pattern` to floating-point images may give unexpected results when small "
    "numerical differences between adjacent pixels are present. It is recommended to use this function "
    "with images of integer dtype."
)


def _warn_if_float(images: np.ndarray) -> None:
    if images.dtype.kind == "f":
        warnings.warn(FLOAT_WARNING, UserWarning, stacklevel=3)


def local_binary_pattern(image: ArrayLike, P: int, R: float, method: str = "default") -> np.ndarray:
    """Local binary pattern codes of a grayscale image, a drop-in for scikit-image's.

    Same parameters, methods and output (float64, the image's shape) as
    ``skimage.feature.local_binary_pattern``: ``P`` samples on a circle of radius ``R``
    (bilinear interpolation, 0 outside the image) compared with the centre pixel.

    Parameters
    ----------
    image : array_like of shape (H, W)
        Integer or float pixels (integer images are the safer choice: tiny differences
        between float neighbours flip bits; float images give scikit-image's
        ``UserWarning`` saying so, here and in :func:`lbp_batch`).
    P : int
        Sample points on the circle, 1 to 31.
    R : float
        Radius of the circle, 0 to 1000.
    method : {"default", "ror", "uniform", "nri_uniform", "var"}
        ``default``: the P bits as a number; ``ror``: its smallest rotation; ``uniform``:
        the number of ones of patterns with at most two bit changes, ``P + 1`` for the
        others (rotation invariant); ``nri_uniform``: uniform patterns numbered by ones and
        rotation (``P (P - 1) + 3`` codes); ``var``: the variance of the samples (NaN where
        it is 0, as in scikit-image; pixels beyond +-1e150 are refused: their squares
        would overflow).

    Returns
    -------
    ndarray of shape (H, W), float64
    """
    params = _lbp_params(P, R, method)
    _warn_if_float(as_array("image", image))
    images = _gray_batch("image", image, batch=False)
    _check_var_pixels("image", images, params[2])
    return _tiers.run("lbp", "lbp_codes", "jit", None, images, *params)[0]


def lbp_batch(
    images: ArrayLike,
    P: int,
    R: float,
    method: str = "default",
    *,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """:func:`local_binary_pattern` of every image of an (N, H, W) batch, in one parallel call.

    Returns
    -------
    ndarray of shape (N, H, W), float64
    """
    params = _lbp_params(P, R, method)
    impl, n_threads = check_tier(impl, n_threads)
    _warn_if_float(as_array("images", images))
    batch = _gray_batch("images", images, batch=True)
    _check_var_pixels("images", batch, params[2])
    return _tiers.run("lbp", "lbp_codes", impl, n_threads, batch, *params)


def lbp_histogram(
    images: ArrayLike,
    P: int = 8,
    R: float = 1,
    method: str = "uniform",
    cells: tuple[int, int] = (4, 4),
    normalize: bool = True,
    *,
    impl: str = "jit",
    n_threads: int | None = None,
) -> np.ndarray:
    """Per-cell histograms of the LBP codes, concatenated: a texture feature vector.

    The image is cut into a ``cells`` grid (cell ``i`` holds rows ``[i H // n, (i + 1) H // n)``,
    columns likewise); each cell's codes are counted in as many bins as the method has codes
    (``P + 2`` for ``uniform``, ``P (P - 1) + 3`` for ``nri_uniform``, ``2**P`` for
    ``default`` and ``ror``), divided by the cell's pixel count with ``normalize``. The jit
    tier counts the codes as it computes them, without storing them.

    Parameters
    ----------
    images : array_like of shape (N, H, W), or one image (H, W)
    P, R, method
        As in :func:`local_binary_pattern`; ``var`` has real values, no histogram.
    cells : (int, int), default (4, 4)
        At most the image's height and width.
    normalize : bool, default True
    impl : {"jit", "vectorized", "naive"}, default "jit"
    n_threads : int, optional

    Returns
    -------
    ndarray of shape (N, cells[0] * cells[1] * n_bins), or (cells[0] * cells[1] * n_bins,)
    for one image; float64
    """
    P, R, code = _lbp_params(P, R, method)
    name = LBP_METHODS[code]
    if name == "var":
        raise ValueError("method='var' gives real values, not codes to count: use lbp_batch and bin them yourself")
    if name in ("default", "ror") and P > MAX_HISTOGRAM_P:
        raise ValueError(f"P must be <= {MAX_HISTOGRAM_P} for a {name!r} histogram (2**P bins a cell), got {P}")
    cells = check_pair("cells", cells)
    normalize = check_bool("normalize", normalize)
    impl, n_threads = check_tier(impl, n_threads)
    single = as_array("images", images).ndim == 2
    batch = _gray_batch("images", images, batch=not single)
    N, H, W = batch.shape
    if cells[0] > H or cells[1] > W:
        raise ValueError(f"cells={cells} is more than the image's {H}x{W} pixels")
    n_bins = lbp_n_bins(P, name)
    check_result_size("P", N * cells[0] * cells[1] * n_bins)
    counts = _tiers.run("lbp", "lbp_histograms", impl, n_threads, batch, P, R, code, cells, n_bins)
    hist = counts.astype(np.float64)
    if normalize:
        rows = np.diff(np.arange(cells[0] + 1) * H // cells[0])
        cols = np.diff(np.arange(cells[1] + 1) * W // cells[1])
        hist /= (rows[:, None] * cols[None, :])[None, :, :, None]
    hist = hist.reshape(N, -1)
    return hist[0] if single else hist


lbp_histogram.takes_batch = True  # the protocol of fastlin.extract_features: it takes a batch
