"""Every check of user input, in one place.

Public functions validate here once and hand the kernels C-contiguous arrays of the right
dtype; the kernels themselves trust their input.
"""

from __future__ import annotations

import numbers

import numpy as np

from fastlin._spec import HOG_NORMS
from fastlin._tiers import TIERS as IMPLS

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: features stored in half the memory of float32: the losses and classifiers read them as they
#: are and compute in float32
HALF = np.dtype(np.float16)
#: the most histogram bins (HOG orientations, colour bins) a call may ask for: far more than
#: any use, and a bound that keeps a typo from allocating terabytes
MAX_BINS = 65536
#: more iterations than this is a typo, not a run (a loss history of this many floats is 800 MB)
MAX_ITERS = 100_000_000
#: the largest array a call may allocate for its result, in bytes
MAX_RESULT_BYTES = 2**34
PENALTIES = ("l2", "l1", "elasticnet")


def check_impl(impl: object) -> str:
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    return impl  # type: ignore[return-value]


def check_n_threads(n_threads: object) -> int | None:
    """``None`` (all cores) or an int in ``[1, max_threads]``."""
    if n_threads is None:
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be None or a positive int, got {n_threads!r}")
    from fastlin._config import max_threads

    limit = max_threads()
    if not 1 <= n_threads <= limit:
        raise ValueError(f"n_threads must be in [1, {limit}] (the cores numba may use), got {n_threads}")
    return int(n_threads)


def check_tier(impl: object, n_threads: object) -> tuple[str, int | None]:
    """Which tier runs a call and on how many threads: ``(check_impl(impl), check_n_threads(n_threads))``."""
    return check_impl(impl), check_n_threads(n_threads)


def check_scalar(
    name: str, value: object, *, low: float | None = None, high: float | None = None, low_open: bool = False
) -> float:
    """A finite real number within ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_int(name: str, value: object, *, low: int = 1, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return int(value)


def check_choice(name: str, value: object, choices: tuple) -> str:
    # by identity or as equal strings: an array or a number never matches by accident
    if not any(value is c or (isinstance(value, str) and isinstance(c, str) and value == c) for c in choices):
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value  # type: ignore[return-value]


def check_bool(name: str, value: object) -> bool:
    """True or False (NumPy's bool too); a string such as "no" is refused, not taken as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_penalty(reg: object, penalty: object, l1_ratio: object) -> tuple[float, float]:
    """``reg`` >= 0, a known ``penalty`` and ``l1_ratio`` in [0, 1]."""
    check_choice("penalty", penalty, PENALTIES)
    return check_scalar("reg", reg, low=0.0), check_scalar("l1_ratio", l1_ratio, low=0.0, high=1.0)


#: values checked per np.isfinite call: the boolean temporary stays in cache instead of
#: being as large as X (half the time of one np.isfinite over a large X, measured)
FINITE_STEP = 1 << 18


def check_finite(name: str, a: np.ndarray) -> None:
    flat = a.ravel(order="K")  # a view when a is C- or F-contiguous
    for start in range(0, flat.size, FINITE_STEP):
        if not np.isfinite(flat[start : start + FINITE_STEP]).all():
            raise ValueError(f"{name} contains NaN or inf")


def writable_contiguous(a: np.ndarray, dtype=None) -> np.ndarray:
    """A C-contiguous, writeable array of ``dtype``: ``a`` itself when it is one.

    For the small arrays handed to kernels (labels, transposed weights): each read-only or
    differently laid out variant would cost Numba one more compilation.
    """
    out = np.ascontiguousarray(a, dtype=dtype)
    return out if out.flags.writeable else out.copy()


def as_array(name: str, a: object) -> np.ndarray:
    """``np.asarray(a)``, with a ragged nesting of sequences reported under the argument's name."""
    try:
        return np.asarray(a)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{name} must be a rectangular array of numbers: {e}") from None


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the kernels compute in for features of ``dtype``: float32 for float16."""
    return np.dtype(np.float32) if dtype == HALF else np.dtype(dtype)


def as_float_array(name: str, a: object, ndim: int, half: bool = False) -> np.ndarray:
    """``a`` as a C-contiguous float32/float64 array of ``ndim`` dimensions.

    float32 and float64 keep their dtype (no copy when already C-contiguous), and so does
    float16 when ``half`` (the callee reads it); other real dtypes (ints, bool, float16)
    become float64. Complex and object arrays are refused.
    """
    arr = as_array(name, a)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype not in FLOAT_DTYPES and not (half and arr.dtype == HALF):
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    return np.ascontiguousarray(arr)


def check_weights(W: object) -> np.ndarray:
    """W: a 2-D float32/float64 array of finite numbers (not converted from ints)."""
    arr = as_array("W", W)
    if arr.dtype not in FLOAT_DTYPES:
        raise TypeError(f"W must be a float32 or float64 array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"W must be 2-D (D, C), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"W is empty (shape {arr.shape})")
    check_finite("W", arr)
    return arr


def check_labels(y: object, n_samples: int, n_classes: int) -> np.ndarray:
    """Integer labels of shape (n_samples,) in ``[0, n_classes)``, as contiguous intp."""
    arr = as_array("y", y)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {arr.dtype}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"y has {arr.shape[0]} labels but X has {n_samples} rows")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"y must be in [0, {n_classes}) (W has {n_classes} columns), got labels in [{lo}, {hi}]")
    return writable_contiguous(arr, np.intp)


def check_sample_weight(sample_weight: object, n_samples: int) -> np.ndarray | None:
    """None, or finite non-negative real weights of shape (n_samples,), not all zero, as float64.

    The weights are rescaled by their largest value (which changes no normalized result),
    so that their sum cannot overflow.
    """
    if sample_weight is None:
        return None
    w = as_array("sample_weight", sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must hold real numbers, got dtype {w.dtype}")
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},), got {w.shape}")
    w = w.astype(np.float64)
    check_finite("sample_weight", w)
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative")
    top = w.max()
    if top <= 0:
        raise ValueError("sample_weight must not be all zero")
    w /= top
    if w.sum() <= 0:  # pragma: no cover - the largest weight is 1 after the rescaling
        raise ValueError("sample_weight cannot be normalized")
    return w


def normalized_sample_weight(sample_weight: object, n_samples: int) -> np.ndarray:
    """Per-sample factors ``w_i / sum(w)`` as float64 (``1 / N`` each when None)."""
    w = check_sample_weight(sample_weight, n_samples)
    if w is None:
        return np.full(n_samples, 1.0 / n_samples)
    return w / w.sum()


def as_features(X: object, name: str = "X", half: bool = False) -> np.ndarray:
    """A feature matrix for the estimators: C-contiguous float32/float64 2-D, finite.

    float16 stays float16 when ``half`` (the callee reads it), else it becomes float64.
    Object arrays of numbers are converted, as scikit-learn does; sparse matrices and complex
    values are refused.
    """
    if hasattr(X, "toarray"):
        raise TypeError(f"{name} is a sparse matrix: fastlin's classifiers need a dense array")
    arr = as_array(name, X)
    if arr.dtype == object:
        arr = arr.astype(np.float64)
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}. Reshape your data "
            "with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample."
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.dtype not in FLOAT_DTYPES and not (half and arr.dtype == HALF):
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    check_finite(name, arr)
    return np.ascontiguousarray(arr)


def gray_images(name: str, images: object, *, batch: bool) -> np.ndarray:
    """``images`` as an array of gray images: (N, H, W) for a batch, (H, W) for one, or a clear error."""
    arr = as_array(name, images)
    if arr.ndim != (3 if batch else 2):
        raise ValueError(
            f"{name} must be {'a batch (N, H, W)' if batch else 'an image (H, W)'} of gray pixels, got shape "
            f"{arr.shape}; convert colour images first (e.g. skimage.color.rgb2gray)"
        )
    return arr


def check_pair(name: str, value: object) -> tuple[int, int]:
    """A pair of positive ints, such as ``pixels_per_cell``."""
    try:
        a, b = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair of positive ints, got {value!r}") from None
    return check_int(name, a, low=1), check_int(name, b, low=1)


def as_image_batch(name: str, images: object, *, batch: bool, channel_axis: int | None) -> np.ndarray:
    """Images as a C-contiguous (N, H, W, C) array of uint8, float32 or float64.

    ``batch`` says whether ``images`` holds one image (H, W[, C]) or several (N, H, W[, C]);
    ``channel_axis`` (an axis of ``images``) marks colour images, whose channels are moved
    last. uint8, float32 and float64 are used as they are; other ints and bool become float64
    and float16 becomes float32, as scikit-image converts them. NaN and inf are refused.
    """
    arr = as_array(name, images)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    spatial = 3 if batch else 2
    expected = spatial + (channel_axis is not None)
    if arr.ndim != expected:
        what = "a batch (N, H, W" if batch else "an image (H, W"
        if channel_axis is None and arr.ndim == expected + 1:
            raise ValueError(
                f"{name} has shape {arr.shape}: {arr.ndim}-D input is taken as colour only with "
                "channel_axis set (e.g. channel_axis=-1)"
            )
        raise ValueError(
            f"{name} must be {what}{', C' if channel_axis is not None else ''}), "
            f"that is {expected}-D, got shape {arr.shape}"
        )
    if channel_axis is None:
        arr = arr[..., None]
    else:
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, numbers.Integral):
            raise TypeError(f"channel_axis must be None or an int, got {channel_axis!r}")
        if not -arr.ndim <= channel_axis < arr.ndim or (batch and channel_axis % arr.ndim == 0):
            raise ValueError(f"channel_axis={channel_axis} is not a channel axis of {name} with shape {arr.shape}")
        arr = np.moveaxis(arr, channel_axis, -1)
    if not batch:
        arr = arr[None]
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif arr.dtype not in (np.uint8, np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.dtype.kind == "f":
        check_finite(name, arr)
    return np.ascontiguousarray(arr)


def check_hog_params(orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt) -> tuple:
    """The HOG parameters as the tiers take them."""
    orientations = check_int("orientations", orientations, low=1, high=MAX_BINS)
    pixels_per_cell = check_pair("pixels_per_cell", pixels_per_cell)
    cells_per_block = check_pair("cells_per_block", cells_per_block)
    block_norm = check_choice("block_norm", block_norm, HOG_NORMS)
    return orientations, pixels_per_cell, cells_per_block, block_norm, check_bool("transform_sqrt", transform_sqrt)


def check_hog_images(images: np.ndarray, params: tuple, name: str) -> None:
    """Images at least one block large, and non-negative under ``transform_sqrt``.

    The message carries scikit-image's phrase ("image is too small given ...") so code that
    matches scikit-image's error keeps working.
    """
    orientations, (c_row, c_col), (b_row, b_col), _, transform_sqrt = params
    H, W = images.shape[1:3]
    if H // c_row < b_row or W // c_col < b_col:
        raise ValueError(
            "The input image is too small given the values of pixels_per_cell and cells_per_block: "
            f"{name} ({H}x{W}) is smaller than one block; pixels_per_cell={(c_row, c_col)} and "
            f"cells_per_block={(b_row, b_col)} need at least {b_row * c_row} rows and {b_col * c_col} cols"
        )
    n_blocks = (H // c_row - b_row + 1) * (W // c_col - b_col + 1)
    check_result_size("orientations", images.shape[0] * n_blocks * b_row * b_col * orientations)
    if images.dtype.kind != "f":
        return
    low, high = float(images.min()), float(images.max())
    if transform_sqrt and low < 0:
        raise ValueError(f"transform_sqrt needs non-negative pixels; {name} has negative values")
    # scikit-image sums a cell's gradient magnitudes (each up to 2 * sqrt(2) * |pixel|) in
    # float32: beyond this the sums overflow and every feature would be NaN
    peak = max(abs(low), abs(high))
    peak = np.sqrt(peak) if transform_sqrt else peak
    limit = float(np.finfo(np.float32).max) / (4.0 * c_row * c_col)
    if peak > limit:
        raise ValueError(
            f"{name} has values up to {peak:.3g}{' (after the square root)' if transform_sqrt else ''}, "
            f"beyond {limit:.3g}: HOG's float32 cell sums would overflow; scale {name} down"
        )


def check_hist_params(nbin, xmin, xmax, normalized) -> tuple:
    """The colour histogram's parameters: ``nbin`` >= 1 and a finite range of positive width."""
    nbin = check_int("nbin", nbin, low=1, high=MAX_BINS)
    xmin = check_scalar("xmin", xmin)
    xmax = check_scalar("xmax", xmax, low=0.0, low_open=True)
    if not xmin < xmax:
        raise ValueError(f"xmin must be < xmax, got xmin={xmin}, xmax={xmax}")
    if not np.isfinite(xmax - xmin):
        raise ValueError(f"the range [xmin, xmax] = [{xmin}, {xmax}] is too wide: its width overflows")
    return nbin, xmin, xmax, check_bool("normalized", normalized)


def check_rgb_images(images: np.ndarray, xmax: float, name: str) -> None:
    """RGB images, channels last, with values in ``[0, xmax]``."""
    if images.shape[-1] != 3:
        raise ValueError(f"{name} must be RGB with 3 channels last, got shape {images.shape[1:]} per image")
    low, high = images.min(), images.max()
    if low < 0 or high > xmax:
        raise ValueError(f"{name} values must be in [0, xmax={xmax}], got [{low}, {high}]")


def check_random_state(name: str, value: object) -> np.random.Generator:
    """A generator from None, a non-negative int seed, or a ``numpy.random.Generator``."""
    if value is None or isinstance(value, np.random.Generator):
        return np.random.default_rng(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be None, an int seed or a numpy.random.Generator, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {value}")
    return np.random.default_rng(int(value))


def check_real_array(name: str, a: object) -> np.ndarray:
    """An array of real numbers (complex and object values refused, not silently cast)."""
    arr = as_array(name, a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def check_result_size(name: str, n_values: int, itemsize: int = 8) -> None:
    """Refuse a result too large to allocate, naming the argument that makes it so."""
    if n_values * itemsize > MAX_RESULT_BYTES:
        raise ValueError(
            f"{name} makes the result {n_values * itemsize / 2**30:.0f} GiB "
            f"(more than {MAX_RESULT_BYTES / 2**30:.0f} GiB); lower it"
        )
