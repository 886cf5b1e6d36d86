"""CS231n's ``extract_features``: per-image feature functions, applied to a batch and concatenated."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from fastlin import descriptors
from fastlin._validation import as_array, check_bool


def _batch_form(fn: object, image_shape: tuple) -> Callable | None:
    """The batch function doing what ``fn`` does to each image, if there is one.

    The one protocol: a callable with ``takes_batch = True`` maps a whole batch (N, ...) to
    (N, F) itself (``BagOfVisualWords.transform``, ``fastlin.lbp_histogram``); a
    descriptor's name stands for its batch function with the table's defaults; a per-image
    function of the table (``fastlin.hog``, ``fastlin.color_histogram_hsv``, bare or as a
    ``functools.partial`` with keywords) runs as the table's batch form.
    """
    if isinstance(fn, str):
        return descriptors.get(fn).featurizer(image_shape)
    if getattr(fn, "takes_batch", False) is True:
        return fn
    return descriptors.batch_form(fn)


def extract_features(images: ArrayLike, feature_fns: Sequence[Callable], *, progress: bool = False) -> np.ndarray:
    """Apply each feature function to each image and concatenate: CS231n's ``extract_features``.

    Parameters
    ----------
    images : array_like of shape (N, ...)
        Each image is passed as ``images[i].squeeze()``, as CS231n does.
    feature_fns : sequence of callables or descriptor names
        Each maps one image to a 1-D feature vector. Functions that offer a batch form run
        as one batch kernel over all images instead of a Python loop: fastlin's
        :func:`~fastlin.hog` and :func:`~fastlin.color_histogram_hsv` (bare or as
        ``functools.partial`` with keywords), :func:`~fastlin.lbp_histogram`, and
        ``transform`` of a fitted :class:`~fastlin.BagOfVisualWords` or
        :class:`~fastlin.KMeansFeatures`. A name of :data:`fastlin.descriptors.DESCRIPTORS`
        (``"hog"``, ``"color"``, ``"lbp"``, ...) stands for that descriptor with its
        defaults. Your own function can offer a batch form too: set its
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
        if not (callable(fn) or isinstance(fn, str)):
            raise TypeError(f"feature_fns[{k}] must be callable or a descriptor's name, got {type(fn).__name__}")
    n = images.shape[0]
    squeezed = images.reshape((n,) + tuple(s for s in images.shape[1:] if s != 1))
    blocks = []
    for k, fn in enumerate(feature_fns):
        batch_fn = _batch_form(fn, squeezed.shape[1:])
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
