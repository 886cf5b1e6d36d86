"""CS231n's ``extract_features``: per-image feature functions, applied to a batch and concatenated."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from fastlin._validation import as_array, check_bool


def _batch_form(fn: Callable) -> Callable | None:
    """The batch function doing what ``fn`` does to each image, if ``fn`` offers one.

    The protocol: a callable with ``takes_batch = True`` maps a whole batch (N, ...) to
    (N, F) itself (``BagOfVisualWords.transform``); a per-image function with a
    ``batch_form(**keywords)`` attribute (``fastlin.hog``, ``fastlin.color_histogram_hsv``)
    returns the batch function for those keywords, or None, also when it is wrapped in a
    ``functools.partial`` with keyword arguments only.
    """
    if getattr(fn, "takes_batch", False) is True:
        return fn
    keywords: dict = {}
    if isinstance(fn, functools.partial) and not fn.args:
        keywords, fn = dict(fn.keywords), fn.func
    make = getattr(fn, "batch_form", None)
    return make(**keywords) if callable(make) else None


def extract_features(images: ArrayLike, feature_fns: Sequence[Callable], *, progress: bool = False) -> np.ndarray:
    """Apply each feature function to each image and concatenate: CS231n's ``extract_features``.

    Parameters
    ----------
    images : array_like of shape (N, ...)
        Each image is passed as ``images[i].squeeze()``, as CS231n does.
    feature_fns : sequence of callables
        Each maps one image to a 1-D feature vector. Functions that offer a batch form (see
        below) run as one batch kernel over all images instead of a Python loop: fastlin's
        :func:`~fastlin.hog` and :func:`~fastlin.color_histogram_hsv` (bare or as
        ``functools.partial`` with keywords), and ``transform`` of a fitted
        :class:`~fastlin.BagOfVisualWords`. Your own function can offer one too: set its
        ``takes_batch = True`` when it maps the whole (N, ...) batch to (N, F) itself.
    progress : bool, default False
        Report progress on stderr (per function for batch kernels, every 1000 images for
        others).

    Returns
    -------
    ndarray of shape (N, sum of feature sizes), float64
    """
    progress = check_bool("progress", progress)
    images = as_array("images", images)
    if images.ndim < 2 or images.shape[0] == 0:
        raise ValueError(f"images must be a non-empty batch (N, ...), got shape {images.shape}")
    if isinstance(feature_fns, (str, bytes)) or not isinstance(feature_fns, Sequence) or callable(feature_fns):
        raise TypeError(f"feature_fns must be a list of callables, got {type(feature_fns).__name__}")
    if not feature_fns:
        raise TypeError("feature_fns is empty: it must be a non-empty list of callables")
    for k, fn in enumerate(feature_fns):
        if not callable(fn):
            raise TypeError(f"feature_fns[{k}] must be callable, got {type(fn).__name__}")
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
