"""The table of image descriptors: each family declared once, read everywhere it is listed.

:func:`fastlin.extract_features` (descriptor names, and the batch forms of per-image
functions), ``fastlin train --features`` (its words, help, model presets and featurizing),
:func:`fastlin.dask.describe`, ``BagOfVisualWords(descriptor=...)`` (the local
descriptors) and the ladder's families all take their list from :data:`DESCRIPTORS`.

Adding a descriptor is its topic module (with its tier files) and one :func:`register`
call at the bottom of this module; see ``docs/design.md``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from fastlin._spec import RGB_TO_GRAY
from fastlin.color import color_histogram_hsv, color_histogram_hsv_batch
from fastlin.gist import gist, gist_batch
from fastlin.hog import hog, hog_batch, hog_batch_form
from fastlin.lbp import lbp_histogram

#: skimage.color.rgb2gray's weights: the gray-only descriptors take colour images through them
GRAY = RGB_TO_GRAY


@dataclass(frozen=True)
class Descriptor:
    """One image descriptor: how to compute it for a batch, and what it needs.

    Attributes
    ----------
    name : str
        Its word in ``fastlin train --features`` and in :func:`fastlin.extract_features`.
    summary : str
        One line for the command's help.
    batch : callable
        ``batch(images, *, n_threads=None, **params) -> (N, F)`` for images (N, H, W) or
        (N, H, W, C); for a fitted descriptor, ``make(**params)``'s estimator is used instead.
    defaults : callable
        ``defaults(image_shape) -> dict``: the parameters used when none are given, for
        images of shape (H, W) or (H, W, C) (the command's presets).
    make : callable, optional
        ``make(**params)`` -> an unfitted estimator with ``fit(images)`` and
        ``transform(images) -> (N, F)``: the descriptor must be fitted first (a codebook).
    per_image : (callable, callable), optional
        ``(function, batch_form)``: a function of one image that :func:`extract_features`
        runs as one batch call, and ``batch_form(**keywords)`` -> the batch function doing
        what ``functools.partial(function, **keywords)`` does per image (or None).
    patch : callable, optional
        ``patch(patches, *, impl, n_threads) -> (M, d)`` float32 for square patches
        (M, p, p, C): a local descriptor that a bag of visual words can encode.
    dense : callable, optional
        ``dense(images, *, step, size, impl, n_threads) -> (centres (m, 2) as (x, y),
        descriptors (N, m, d) float32)``: local descriptors on the whole image's grid (a bag
        of visual words encodes them; its ``patch_size`` and ``stride`` are ``size`` and ``step``).
    needs : {"any", "rgb"}
        ``"rgb"``: colour images only.
    model : dict
        Settings ``fastlin train`` trains this descriptor's features with (its preset): the
        keys of ``fastlin.cli.DEFAULT_MODEL``.
    """

    name: str
    summary: str
    batch: Callable[..., np.ndarray]
    defaults: Callable[[tuple], dict]
    make: Callable | None = None
    per_image: tuple[Callable, Callable] | None = None
    patch: Callable | None = None
    dense: Callable | None = None
    needs: str = "any"
    model: dict = field(default_factory=dict)

    @property
    def fitted(self) -> bool:
        """Whether the descriptor learns from the training images first (``fit``/``transform``)."""
        return self.make is not None

    def featurizer(self, image_shape: tuple, n_threads: int | Callable | None = None, **params) -> Featurizer:
        """A batch function (N, ...) -> (N, F) float32 with the defaults for ``image_shape``.

        ``params`` override the defaults; ``n_threads`` may be a callable, asked at each call
        (a Dask task picks its share of the cores where it runs). A fitted descriptor's
        featurizer must be fitted (:meth:`Featurizer.fit`) before it is called.
        """
        return Featurizer(self, {**self.defaults(tuple(image_shape)), **params}, n_threads)


#: images a fitted descriptor transforms at once inside a Featurizer, at most; and the bytes
#: of one part's codes, at most (6000 atoms' 48,000 float32 values: 1398 images a part)
FEATURIZE_PART = 5000
PART_BYTES = 2**28


class Featurizer:
    """A descriptor with its parameters: ``fit`` (fitted descriptors), then call it on batches."""

    takes_batch = True  # the protocol of fastlin.extract_features

    def __init__(
        self, descriptor: Descriptor, params: dict, n_threads: int | Callable | None, dtype: type = np.float32
    ):
        self.descriptor, self.params, self.n_threads = descriptor, params, n_threads
        self.dtype = np.dtype(dtype)  # of a fitted descriptor's codes: float32, or float16 for large ones
        self.estimator = None

    def _threads(self) -> int | None:
        return self.n_threads() if callable(self.n_threads) else self.n_threads

    def fit(self, images: np.ndarray) -> Featurizer:
        """Fit the descriptor's estimator to ``images`` (a no-op for descriptors that need no fit)."""
        if self.descriptor.fitted:
            self.estimator = self.descriptor.make(**self.params, n_threads=self._threads()).fit(images)
        return self

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """The features of a batch of images: (N, F) float32 (a fitted descriptor's: ``dtype``)."""
        d = self.descriptor
        if d.needs == "rgb" and np.ndim(images) != 4:
            raise ValueError(f"the {d.name!r} descriptor needs colour images (N, H, W, 3), got {np.shape(images)}")
        if not d.fitted:
            out = d.batch(images, n_threads=self._threads(), **self.params)
            return np.ascontiguousarray(out, dtype=np.float32).reshape(len(out), -1)
        if self.estimator is None:
            raise TypeError(f"the {d.name!r} descriptor must be fitted first: call fit(training images)")
        # a part at a time into float32: an estimator may return float64 (a bag of words does), and
        # 49,000 CIFAR-10 codes of 12,000 values are 4.7 GB in float64 against 2.4 in float32
        # (1.2 in float16)
        out = None
        a, step = 0, min(FEATURIZE_PART, 64)  # a small first part: the codes' width sizes the others
        while out is None or a < len(images):  # empty input: the estimator says why
            part = np.asarray(self.estimator.transform(images[a : a + step]))
            part = part.reshape(len(part), -1)
            if out is None:
                out = np.empty((len(images), part.shape[1]), dtype=self.dtype)
                step = int(np.clip(PART_BYTES // max(1, part.shape[1] * part.itemsize), 1, FEATURIZE_PART))
            try:
                with np.errstate(over="raise"):
                    out[a : a + len(part)] = part
            except FloatingPointError:
                raise ValueError(f"the {d.name!r} codes exceed {self.dtype}'s range: store them in float32") from None
            a += len(part)
        return out


#: name -> descriptor, in the order the command lists them
DESCRIPTORS: dict[str, Descriptor] = {}


def register(descriptor: Descriptor) -> Descriptor:
    """Add ``descriptor`` to the table (its name must be new)."""
    if descriptor.name in DESCRIPTORS:
        raise ValueError(f"a descriptor named {descriptor.name!r} is already registered")
    if "+" in descriptor.name or not descriptor.name:
        raise ValueError(f"descriptor names are words without '+', got {descriptor.name!r}")
    DESCRIPTORS[descriptor.name] = descriptor
    return descriptor


@contextmanager
def registered(descriptor: Descriptor) -> Iterator[Descriptor]:
    """``descriptor`` in the table for the duration of a ``with`` block (tests, experiments)."""
    register(descriptor)
    try:
        yield descriptor
    finally:
        DESCRIPTORS.pop(descriptor.name, None)


def get(name: str) -> Descriptor:
    """The descriptor called ``name``, or a ValueError listing the known ones."""
    if not isinstance(name, str) or name not in DESCRIPTORS:
        raise ValueError(f"unknown descriptor {name!r}; known: {', '.join(DESCRIPTORS)}")
    return DESCRIPTORS[name]


def batch_form(fn: Callable) -> Callable | None:
    """The batch function doing what ``fn`` does to each image, from the table, or None.

    ``fn`` is a table descriptor's per-image function, bare or as a ``functools.partial``
    with keyword arguments only.
    """
    keywords: dict = {}
    if isinstance(fn, functools.partial) and not fn.args:
        keywords, fn = dict(fn.keywords), fn.func
    for d in DESCRIPTORS.values():
        if d.per_image is not None and d.per_image[0] is fn:
            return d.per_image[1](**keywords)
    return None


def _lazy(module: str, name: str) -> Callable:
    """``module.name``, imported on first call: the estimators' modules stay out of ``import fastlin``."""

    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


def _small(shape: tuple) -> bool:
    return shape[0] < 16  # 8x8 digits against 32x32 CIFAR-10


# --- the descriptors -----------------------------------------------------------------------


def _raw(images, *, n_threads=None):
    return np.asarray(images).reshape(len(images), -1).astype(np.float32)


def _channels_last(batch_fn: Callable) -> Callable:
    """``batch_fn`` with ``channel_axis="auto"``: the last axis of (N, H, W, C) batches, none of gray ones."""

    def run(images, *, n_threads=None, channel_axis="auto", **params):
        axis = (-1 if np.ndim(images) == 4 else None) if channel_axis == "auto" else channel_axis
        return batch_fn(images, channel_axis=axis, n_threads=n_threads, **params)

    return run


_hog = _channels_last(hog_batch)


def _color(images, *, n_threads=None, **params):
    return color_histogram_hsv_batch(images, n_threads=n_threads, **params)


def _lbp(images, *, n_threads=None, P=8, R=1, method="uniform", **params):
    images = np.asarray(images)
    if images.ndim == 4:  # integer gray pixels, as LBP prefers
        images = np.rint(images[..., :3] @ GRAY).astype(np.uint8)
    return lbp_histogram(images, P, R, method, n_threads=n_threads, **params)


def _hog_patches(patches, *, impl, n_threads):
    """HOG of each patch: cells of half its side, one block of 2x2 cells (36 values)."""
    half = patches.shape[1] // 2
    desc = hog_batch(
        patches, pixels_per_cell=(half, half), cells_per_block=(2, 2), channel_axis=-1, impl=impl, n_threads=n_threads
    )
    return np.ascontiguousarray(desc, dtype=np.float32)


def _gray_unit(images) -> np.ndarray:
    """(N, H, W) float32 gray pixels in [0, 1]: uint8 divided by 255, colour through rgb2gray's weights."""
    images = np.asarray(images)
    unit = images.astype(np.float32) / np.float32(255) if images.dtype == np.uint8 else images.astype(np.float32)
    if unit.ndim == 4:
        return unit[..., 0] if unit.shape[-1] == 1 else unit[..., :3] @ GRAY.astype(np.float32)
    return unit


def _dsift_dense(images, *, step, size, impl="jit", n_threads=None, fast=True):
    from fastlin.dsift import dsift_batch

    frames, _, desc = dsift_batch(_gray_unit(images), step=step, size=size, fast=fast, impl=impl, n_threads=n_threads)
    return frames, desc


def _dsift(images, *, n_threads=None, step=4, size=4, fast=True):
    desc = _dsift_dense(images, step=step, size=size, n_threads=n_threads, fast=fast)[1]
    return desc.reshape(len(desc), -1)


def _phow_sizes(size: int, image_shape: tuple) -> tuple[int, ...]:
    """vl_phow's four bin sizes, two pixels apart, from ``size`` (its defaults: 4, 6, 8, 10).

    Without those whose frame (3 size + 1 pixels) is larger than the images: the largest size
    sets every size's offset, so one that does not fit would leave the others no frame.
    """
    fitting = tuple(s for s in (size + 2 * k for k in range(4)) if 3 * s + 1 <= min(image_shape[1:3]))
    return fitting or (size,)


def _phow_dense(images, *, step, size, impl="jit", n_threads=None):
    from fastlin.dsift import phow_batch

    gray = _gray_unit(images)
    sizes = _phow_sizes(size, gray.shape)
    frames, _, desc = phow_batch(gray, sizes=sizes, step=step, impl=impl, n_threads=n_threads)
    return frames[:, :2], desc


def _phow(images, *, n_threads=None, **params):
    from fastlin.dsift import phow_batch

    desc = phow_batch(_gray_unit(images), n_threads=n_threads, **params)[2]
    return desc.reshape(len(desc), -1)


def _phow_defaults(shape):
    return dict(sizes=(1, 2), step=1) if _small(shape) else {}  # vl_phow's own for CIFAR-size images


def _dsift_defaults(shape):
    size = 2 if _small(shape) else 4  # a frame spans 3 size + 1 pixels: 7 of the digits' 8, 13 of CIFAR's 32
    return dict(size=size, step=size)


def _gray_uint8(images) -> np.ndarray:
    """(N, H, W) uint8 gray pixels: uint8 as they are, floats in [0, 1] times 255, colour through rgb2gray."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = np.rint(np.clip(_gray_unit(images), 0, 1) * 255).astype(np.uint8)
    elif images.ndim == 4:
        images = images[..., 0] if images.shape[-1] == 1 else np.rint(images[..., :3] @ GRAY).astype(np.uint8)
    return images


def _ssim_dense(images, *, step, size, impl="jit", n_threads=None, **params):
    from fastlin.self_similarity import self_similarity_batch

    return self_similarity_batch(_gray_uint8(images), step=step, large_size=size, impl=impl, n_threads=n_threads,
                                 **params)  # fmt: skip


def _ssim(images, *, n_threads=None, **params):
    from fastlin.self_similarity import self_similarity_batch

    desc = self_similarity_batch(_gray_uint8(images), n_threads=n_threads, **params)[1]
    return desc.reshape(len(desc), -1)


def _ssim_defaults(shape):
    # the digits' 8 x 8: a 5-pixel window of single pixels, radii 1-2 in 8 directions
    small = dict(step=1, small_size=1, large_size=5, angles=8, start_bucket=0, distance_buckets=3)
    return small if _small(shape) else {}


def _gist_batch_form(channel_axis=None, **keywords):
    if isinstance(channel_axis, int) and not isinstance(channel_axis, bool) and channel_axis >= 0:
        channel_axis += 1  # an image's axis is one further in a batch
    return functools.partial(gist_batch, channel_axis=channel_axis, **keywords)


def _dsift_bow_defaults(shape):
    small = _small(shape)
    return dict(
        descriptor="dsift", n_words=64 if small else 2400, patch_size=2 if small else 4, stride=1,
        encoding="triangle", pyramid=(1, 2), power=0.5, normalize=None, max_patches=4, max_iter=10, random_state=0,
    )  # fmt: skip


#: the L2-SVM of Coates, Lee & Ng on standardized features (chosen on CIFAR-10's validation
#: split for the k-means features; docs/results.md), with the paper's eps of the standardization
L2_SVM = dict(
    model="svm", loss="squared_hinge", lr=1e-4, reg=1e-3, iters=10000, batch_size=256, schedule="cosine",
    standardize_eps=0.01, progress=True,
)  # fmt: skip


def _phow_bow_defaults(shape):
    patch, stride = (2, 1) if _small(shape) else (4, 2)  # bin size 2 on the digits; vl_phow's 4-10, step 2
    return {**_dsift_bow_defaults(shape), "descriptor": "phow", "patch_size": patch, "stride": stride}


def _bow_defaults(shape):
    patch = 4 if _small(shape) else 8
    return dict(n_words=64, patch_size=patch, stride=patch // 2, max_patches=8, random_state=0)


def _texton_defaults(shape):
    small = _small(shape)
    return dict(
        n_textons=32 if small else 512, bank="LM", normalize=True, cells=2 if small else 4, power=0.5,
        n_samples=200_000, max_iter=30, random_state=0,
    )  # fmt: skip


def _ssim_bow_defaults(shape):
    small = _small(shape)  # patch_size is the self-similarity window; 12 values a point need fewer words
    words, window = (64, 5) if small else (1000, 7)
    return {**_dsift_bow_defaults(shape), "descriptor": "ssim", "n_words": words, "patch_size": window,
            "max_patches": 16}  # fmt: skip


def _coates_defaults(shape):
    return dict(
        n_centroids=2400, n_patches=200_000, pooling_grid=(2, 2), power=0.5, encoding="soft-split", alpha=0.25,
        dictionary="omp1", mirror=True, random_state=0,
    )  # fmt: skip


#: the L2-SVM of the k-means features: one versus the rest, as Coates and Ng train theirs, by
#: 30,000 SGD steps on features held in float16 (chosen on CIFAR-10; docs/results.md; with 6000
#: atoms the loss overshoots in the first steps and still ends better than at half the rate)
COATES_SVM = {**L2_SVM, "multi_class": "ovr", "iters": 30_000, "storage": "float16"}


register(Descriptor("raw", "the pixels themselves", _raw, lambda shape: {}))
register(
    Descriptor(
        "hog",
        "histograms of oriented gradients (Dalal & Triggs; scikit-image's hog)",
        _hog,
        lambda shape: dict(pixels_per_cell=(2, 2) if _small(shape) else (8, 8), cells_per_block=(2, 2)),
        per_image=(hog, hog_batch_form),
        patch=_hog_patches,
    )
)
register(
    Descriptor(
        "color",
        "the hue histogram of CS231n's color_histogram_hsv",
        _color,
        lambda shape: {},
        per_image=(color_histogram_hsv, lambda **keywords: functools.partial(color_histogram_hsv_batch, **keywords)),
        needs="rgb",
    )
)
register(
    Descriptor(
        "lbp",
        "uniform local binary patterns, histograms over a grid of cells (gray)",
        _lbp,
        lambda shape: dict(cells=(2, 2) if _small(shape) else (4, 4)),
    )
)
register(
    Descriptor(
        "dsift",
        "dense SIFT equal to VLFeat's vl_dsift (flat window), descriptors of a grid concatenated (gray)",
        _dsift,
        _dsift_defaults,
        dense=_dsift_dense,
    )
)
register(
    Descriptor(
        "phow",
        "PHOW equal to VLFeat's vl_phow: dense SIFT at bin sizes 4-10 on a smoothed image, concatenated (gray)",
        _phow,
        _phow_defaults,
        dense=_phow_dense,
    )
)
register(
    Descriptor(
        "gist",
        "GIST equal to Torralba's LMgist: Gabor energies (4 scales x 8 orientations) over 4 x 4 blocks",
        _channels_last(gist_batch),
        lambda shape: {},
        per_image=(gist, _gist_batch_form),
    )
)
register(
    Descriptor(
        "texton",
        "texton histograms over 4 x 4 cells: the nearest of 512 textons learned from the LM filter bank's responses",
        None,
        _texton_defaults,
        make=_lazy("fastlin.texton_features", "TextonFeatures"),
        model=L2_SVM,
    )
)
register(
    Descriptor(
        "ssim",
        "local self-similarity (Shechtman & Irani; OpenCV 2.4's SelfSimDescriptor), a grid's descriptors (gray)",
        _ssim,
        _ssim_defaults,
        dense=_ssim_dense,
    )
)
register(
    Descriptor(
        "bow",
        "a bag of visual words over dense patches (a 64-word codebook)",
        None,  # fitted: the estimator computes it
        _bow_defaults,
        make=_lazy("fastlin.bow", "BagOfVisualWords"),
    )
)
register(
    Descriptor(
        "coates",
        "single-layer k-means features (Coates, Lee & Ng 2011)",
        None,
        _coates_defaults,
        make=_lazy("fastlin.kmeans_features", "KMeansFeatures"),
        model=COATES_SVM,
    )
)
register(
    Descriptor(
        "dsift-bow",
        "a bag of visual words over dense SIFT: soft codes pooled over the image and its quadrants",
        None,
        _dsift_bow_defaults,
        make=_lazy("fastlin.bow", "BagOfVisualWords"),
        model=L2_SVM,
    )
)
register(
    Descriptor(
        "ssim-bow",
        "a bag of visual words over dense local self-similarity: soft codes over the image and its quadrants",
        None,
        _ssim_bow_defaults,
        make=_lazy("fastlin.bow", "BagOfVisualWords"),
        model=L2_SVM,
    )
)
register(
    Descriptor(
        "phow-bow",
        "a bag of visual words over PHOW (dense SIFT at four bin sizes): soft codes over the image and its quadrants",
        None,
        _phow_bow_defaults,
        make=_lazy("fastlin.bow", "BagOfVisualWords"),
        model=L2_SVM,
    )
)
