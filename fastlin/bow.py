"""Bag of visual words: dense patches, a k-means codebook, nearest-word histograms."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers, descriptors
from fastlin._sklearn import BaseEstimator, FittedParams, NotFittedError, TransformerMixin
from fastlin._validation import (
    as_array,
    as_image_batch,
    check_choice,
    check_int,
    check_random_state,
    check_tier,
)
from fastlin.kmeans import kmeans

#: the largest |pixel| whose patch's sum of squares stays finite in float64
MAX_PIXEL = 1e150
NORMALIZE = ("l1", "l2", None)


def local_descriptors() -> tuple[str, ...]:
    """The descriptors a bag of words can encode: ``"patch"`` and the table's local ones."""
    return ("patch", *(d.name for d in descriptors.DESCRIPTORS.values() if d.patch is not None))


class BagOfVisualWords(FittedParams, TransformerMixin, BaseEstimator, fitted_params=("patch_size", "descriptor")):
    """Describe images by the histogram of their patches' nearest visual words.

    ``fit`` cuts dense patches of ``patch_size`` at ``stride`` from every image (at most
    ``max_patches`` sampled per image), describes them, and learns ``n_words`` words with
    :func:`fastlin.kmeans`; ``transform`` assigns every patch of an image to its nearest
    word and counts them, for the whole batch in one parallel kernel call.

    Parameters
    ----------
    n_words : int, default 64
        Size of the codebook.
    patch_size : int, default 8
        Side of the square patches, in pixels.
    stride : int, default 4
        Step between patches.
    descriptor : str, default "patch"
        ``"patch"``: the patch's pixels, mean-removed and L2-normalized (a flat patch gives
        zeros), computed and encoded in one fused kernel. Or any local descriptor of
        :data:`fastlin.descriptors.DESCRIPTORS` (those with a ``patch`` function), e.g.
        ``"hog"``: :func:`fastlin.hog` of the patch with cells of half its side and one
        block of 2x2 cells (36 values).
    normalize : {"l1", "l2", None}, default "l1"
        Normalization of each histogram (``"l1"``: fractions of the patches).
    max_patches : int, optional
        Patches sampled per image for fitting; None uses them all.
    random_state : int, optional
        Seeds the sampling and k-means: a fixed seed gives the same codebook.
    impl : {"jit", "vectorized", "naive"}, default "jit"
        Tier of the descriptor, encoding and k-means kernels.
    n_threads : int, optional
        Threads of the kernels; None uses every core.

    Attributes
    ----------
    words_ : ndarray of shape (n_words, descriptor size), float32
    image_shape_ : tuple
        (H, W, C) of the fitted images; ``transform`` takes only images of that shape.
    inertia_ : float
        k-means inertia of the fitted codebook.
    """

    def __init__(
        self,
        n_words: int = 64,
        patch_size: int = 8,
        stride: int = 4,
        descriptor: str = "patch",
        normalize: str | None = "l1",
        max_patches: int | None = None,
        random_state: int | None = None,
        impl: str = "jit",
        n_threads: int | None = None,
    ):
        self.n_words = n_words
        self.patch_size = patch_size
        self.stride = stride
        self.descriptor = descriptor
        self.normalize = normalize
        self.max_patches = max_patches
        self.random_state = random_state
        self.impl = impl
        self.n_threads = n_threads

    def _check_params(self):
        check_int("n_words", self.n_words, low=1)
        check_choice("descriptor", self.descriptor, local_descriptors())
        check_int("patch_size", self.patch_size, low=1 if self.descriptor == "patch" else 2)
        check_int("stride", self.stride, low=1)
        check_choice("normalize", self.normalize, NORMALIZE)
        if self.max_patches is not None:
            check_int("max_patches", self.max_patches, low=1)
        return check_tier(self.impl, self.n_threads)[1]

    def _images(self, images: ArrayLike) -> np.ndarray:
        arr = as_array("images", images)
        color = arr.ndim == 4
        batch = as_image_batch("images", arr, batch=True, channel_axis=-1 if color else None)
        if batch.dtype.kind == "f" and float(np.abs(batch).max()) > MAX_PIXEL:
            raise ValueError(f"images has values beyond +-{MAX_PIXEL:g}: the patch norms would overflow; scale it down")
        p = self.patch_size
        if p > batch.shape[1] or p > batch.shape[2]:
            raise ValueError(f"patch_size={p} is larger than the images ({batch.shape[1]}x{batch.shape[2]})")
        return batch

    def _grid(self, shape) -> tuple[int, int]:
        p, s = self.patch_size, self.stride
        return (shape[1] - p) // s + 1, (shape[2] - p) // s + 1

    def _descriptors(self, batch: np.ndarray, positions: np.ndarray, n_threads: int | None) -> np.ndarray:
        """(N, m, size) float32 descriptors of the patches ``positions[n]`` of each image."""
        p, s = self.patch_size, self.stride
        if self.descriptor == "patch":
            return _tiers.run("bow", "describe_patches", self.impl, n_threads, batch, p, s, positions)
        from numpy.lib.stride_tricks import sliding_window_view

        n_cols = self._grid(batch.shape)[1]
        windows = sliding_window_view(batch, (p, p), axis=(1, 2))  # N, H', W', C, p, p
        rows = (positions // n_cols) * s
        cols = (positions % n_cols) * s
        patches = windows[np.arange(batch.shape[0])[:, None], rows, cols]  # N, m, C, p, p
        patches = np.moveaxis(patches, 2, -1).reshape(-1, p, p, batch.shape[3])
        desc = descriptors.get(self.descriptor).patch(patches, impl=self.impl, n_threads=n_threads)
        return np.ascontiguousarray(desc.reshape(batch.shape[0], positions.shape[1], -1), dtype=np.float32)

    def _descriptor_size(self, channels: int) -> int:
        """Values per patch descriptor: what the words must have."""
        if self.descriptor == "patch":
            return self.patch_size**2 * channels
        zeros = np.zeros((1, self.patch_size, self.patch_size, channels), dtype=np.float32)
        return descriptors.get(self.descriptor).patch(zeros, impl="vectorized", n_threads=None).shape[1]

    def fit(self, images: ArrayLike, y=None):
        """Learn the codebook from the patches of ``images`` (N, H, W) or (N, H, W, 3)."""
        n_threads = self._check_params()
        batch = self._images(images)
        rng = check_random_state("random_state", self.random_state)
        n_pos = int(np.prod(self._grid(batch.shape)))
        N = batch.shape[0]
        if self.max_patches is None or self.max_patches >= n_pos:
            positions = np.broadcast_to(np.arange(n_pos), (N, n_pos))
        else:
            positions = np.argsort(rng.random((N, n_pos)), axis=1)[:, : self.max_patches]
        positions = np.ascontiguousarray(positions, dtype=np.int64)
        desc = self._descriptors(batch, positions, n_threads)
        points = desc.reshape(-1, desc.shape[2])
        if self.n_words > points.shape[0]:
            raise ValueError(f"n_words={self.n_words} is more than the {points.shape[0]} patches to learn from")
        seed = int(rng.integers(2**31))
        self.words_, _, self.inertia_ = kmeans(
            points, self.n_words, random_state=seed, impl=self.impl, n_threads=n_threads
        )
        self.image_shape_ = batch.shape[1:]
        self._record_fitted_params()
        return self

    def transform(self, images: ArrayLike) -> np.ndarray:
        """Histograms (N, n_words) of the nearest words of every patch; one image gives (n_words,)."""
        if not hasattr(self, "words_"):
            raise NotFittedError("this BagOfVisualWords is not fitted yet: call fit first")
        n_threads = self._check_params()
        self._check_fitted_params()
        arr = as_array("images", images)
        H, W, C = self.image_shape_
        single = arr.shape == ((H, W) if C == 1 else (H, W, C))
        batch = self._images(arr[None] if single else arr)
        if batch.shape[1:] != self.image_shape_:
            raise ValueError(
                f"images have shape {batch.shape[1:]} (H, W, C); this BagOfVisualWords was fitted on "
                f"{self.image_shape_}"
            )
        words = np.ascontiguousarray(self.words_, dtype=np.float32)
        size = self._descriptor_size(C)
        if words.ndim != 2 or words.shape[0] < 1 or words.shape[1] != size:
            raise ValueError(
                f"words_ must have shape (n_words, {size}) for {self.descriptor!r} descriptors, got {words.shape}: "
                "it was changed after fit; fit again"
            )
        if self.descriptor == "patch":  # described and counted in one fused kernel
            counts = _tiers.run(
                "bow", "encode_patches", self.impl, n_threads, batch, self.patch_size, self.stride, words
            )
        else:
            n_pos = int(np.prod(self._grid(batch.shape)))
            positions = np.ascontiguousarray(np.broadcast_to(np.arange(n_pos), (batch.shape[0], n_pos)))
            desc = self._descriptors(batch, positions, n_threads)
            counts = _tiers.run("bow", "count_nearest_words", self.impl, n_threads, desc, words)
        hist = counts.astype(np.float64)
        if self.normalize == "l1":
            hist /= np.maximum(hist.sum(axis=1, keepdims=True), 1.0)
        elif self.normalize == "l2":
            hist /= np.maximum(np.sqrt((hist**2).sum(axis=1, keepdims=True)), 1e-300)
        return hist[0] if single else hist


BagOfVisualWords.transform.takes_batch = True  # the protocol of fastlin.extract_features
