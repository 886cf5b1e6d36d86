"""Bag of visual words: dense local descriptors, a k-means codebook, codes pooled over a pyramid."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers, descriptors
from fastlin._sklearn import BaseEstimator, FittedParams, NotFittedError, TransformerMixin
from fastlin._validation import (
    MAX_ITERS,
    as_array,
    as_image_batch,
    check_choice,
    check_int,
    check_random_state,
    check_result_size,
    check_scalar,
    check_tier,
)
from fastlin.kmeans import kmeans

#: the largest |pixel| whose patch's sum of squares stays finite in float64
MAX_PIXEL = 1e150
NORMALIZE = ("l1", "l2", None)
ENCODINGS = ("hard", "triangle")
#: images encoded per kernel call: their descriptors (images x positions x size) stay small
TRANSFORM_BATCH = 2000
#: the finest pyramid level (L x L cells)
MAX_LEVEL = 64


def local_descriptors() -> tuple[str, ...]:
    """The descriptors a bag of words can encode: ``"patch"`` and the table's local or dense ones."""
    table = descriptors.DESCRIPTORS.values()
    return ("patch", *(d.name for d in table if d.patch is not None or d.dense is not None))


def _check_pyramid(pyramid: object) -> tuple[int, ...]:
    if isinstance(pyramid, (str, bytes)) or not hasattr(pyramid, "__iter__"):
        raise TypeError(f"pyramid must be a tuple of levels such as (1, 2), got {pyramid!r}")
    levels = tuple(check_int("pyramid level", v, low=1, high=MAX_LEVEL) for v in pyramid)
    if not levels or len(set(levels)) != len(levels):
        raise ValueError(f"pyramid must list distinct levels, such as (1, 2, 4), got {pyramid!r}")
    return levels


def pyramid_cells(centres: np.ndarray, shape: tuple[int, int], levels: tuple[int, ...]) -> np.ndarray:
    """(m, len(levels)) int64: the cell of each position at each level, numbered across levels.

    Level L cuts the image into L x L cells (row-major); a position at (x, y) in an H x W
    image falls in cell ``(int(y * L / H), int(x * L / W))``.
    """
    H, W = shape
    cells = np.empty((len(centres), len(levels)), dtype=np.int64)
    offset = 0
    for i, L in enumerate(levels):
        row = np.minimum((centres[:, 1] * L / H).astype(np.int64), L - 1)
        col = np.minimum((centres[:, 0] * L / W).astype(np.int64), L - 1)
        cells[:, i] = offset + row * L + col
        offset += L * L
    return cells


class BagOfVisualWords(FittedParams, TransformerMixin, BaseEstimator, fitted_params=("patch_size", "descriptor")):
    """Describe images by the codes of their local descriptors against a learned vocabulary.

    ``fit`` describes the images densely (patches of ``patch_size`` every ``stride`` pixels,
    or a dense descriptor's grid; at most ``max_patches`` sampled per image) and learns
    ``n_words`` words with :func:`fastlin.kmeans`; ``transform`` encodes every descriptor
    (its nearest word, or the soft "triangle" code) and sums the codes over the cells of a
    spatial pyramid (Lazebnik, Schmid and Ponce 2006): one histogram of ``n_words`` values
    per cell, concatenated level by level.

    Parameters
    ----------
    n_words : int, default 64
        Size of the codebook.
    patch_size : int, default 8
        Side of the square patches, in pixels; for a dense descriptor (``"dsift"``) its bin
        size (a SIFT frame spans ``3 * patch_size + 1`` pixels).
    stride : int, default 4
        Step between patches (or frames).
    descriptor : str, default "patch"
        ``"patch"``: the patch's pixels, mean-removed and L2-normalized (a flat patch gives
        zeros), computed and encoded in one fused kernel. Or a local descriptor of
        :data:`fastlin.descriptors.DESCRIPTORS`: ``"hog"`` (:func:`fastlin.hog` of the patch
        with cells of half its side and one block of 2x2 cells, 36 values) or ``"dsift"``
        (VLFeat's dense SIFT over the whole image, 128 values a frame; colour images are
        taken to gray).
    encoding : {"hard", "triangle"}, default "hard"
        ``"hard"``: each descriptor counts for its nearest word. ``"triangle"``: it adds
        ``max(0, mean_j(z_j) - z_w)`` to word ``w``, ``z`` its distances to the words (the
        soft assignment of Coates, Lee & Ng).
    pyramid : tuple of int, default (1,)
        Levels of the spatial pyramid: level L pools over an L x L grid of cells; ``(1, 2)``
        is the whole image and its quadrants, ``(1, 2, 4)`` Lazebnik et al.'s 21 cells.
    power : float in (0, 1], default 1.0
        Each pooled value raised to this power before normalizing (0.5: the square root,
        which evens out bursty words).
    normalize : {"l1", "l2", None}, default "l1"
        Normalization of each image's vector (``"l1"`` of hard counts: fractions).
    max_patches : int, optional
        Patches sampled per image for fitting; None uses them all.
    max_iter : int, default 100
        Lloyd iterations of the codebook (k-means++ start).
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
        encoding: str = "hard",
        pyramid: tuple[int, ...] = (1,),
        power: float = 1.0,
        normalize: str | None = "l1",
        max_patches: int | None = None,
        max_iter: int = 100,
        random_state: int | None = None,
        impl: str = "jit",
        n_threads: int | None = None,
    ):
        self.n_words = n_words
        self.patch_size = patch_size
        self.stride = stride
        self.descriptor = descriptor
        self.encoding = encoding
        self.pyramid = pyramid
        self.power = power
        self.normalize = normalize
        self.max_patches = max_patches
        self.max_iter = max_iter
        self.random_state = random_state
        self.impl = impl
        self.n_threads = n_threads

    def _check_params(self):
        check_int("n_words", self.n_words, low=1)
        check_choice("descriptor", self.descriptor, local_descriptors())
        check_int("patch_size", self.patch_size, low=1 if self.descriptor == "patch" else 2)
        check_int("stride", self.stride, low=1)
        check_choice("encoding", self.encoding, ENCODINGS)
        _check_pyramid(self.pyramid)
        check_scalar("power", self.power, low=0.0, low_open=True, high=1.0)
        check_choice("normalize", self.normalize, NORMALIZE)
        if self.max_patches is not None:
            check_int("max_patches", self.max_patches, low=1)
        check_int("max_iter", self.max_iter, low=1, high=MAX_ITERS)
        return check_tier(self.impl, self.n_threads)[1]

    def _dense(self):
        """The table's dense function of the descriptor, or None (patches, cut here)."""
        return None if self.descriptor == "patch" else descriptors.get(self.descriptor).dense

    def _images(self, images: ArrayLike) -> np.ndarray:
        arr = as_array("images", images)
        color = arr.ndim == 4
        batch = as_image_batch("images", arr, batch=True, channel_axis=-1 if color else None)
        if batch.dtype.kind == "f" and float(np.abs(batch).max()) > MAX_PIXEL:
            raise ValueError(f"images has values beyond +-{MAX_PIXEL:g}: the patch norms would overflow; scale it down")
        p = self.patch_size
        if self._dense() is None and (p > batch.shape[1] or p > batch.shape[2]):
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

    def _describe_all(self, batch: np.ndarray, n_threads: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Centres (m, 2) as (x, y) and descriptors (N, m, size) of every position of every image."""
        dense = self._dense()
        if dense is not None:
            centres, desc = dense(batch, step=self.stride, size=self.patch_size, impl=self.impl, n_threads=n_threads)
            return centres, np.ascontiguousarray(desc, dtype=np.float32)
        R, Q = self._grid(batch.shape)
        positions = np.ascontiguousarray(np.broadcast_to(np.arange(R * Q), (batch.shape[0], R * Q)))
        rows, cols = np.divmod(np.arange(R * Q), Q)
        centre = (self.patch_size - 1) / 2
        centres = np.stack([cols * self.stride + centre, rows * self.stride + centre], axis=1).astype(np.float64)
        return centres, self._descriptors(batch, positions, n_threads)

    def _descriptor_size(self, image_shape: tuple) -> int:
        """Values per descriptor: what the words must have."""
        H, W, C = image_shape
        if self.descriptor == "patch":
            return self.patch_size**2 * C
        if self._dense() is not None:
            zeros = np.zeros((1, H, W, C) if C > 1 else (1, H, W), dtype=np.float32)
            return self._describe_all(zeros, 1)[1].shape[2]
        zeros = np.zeros((1, self.patch_size, self.patch_size, C), dtype=np.float32)
        return descriptors.get(self.descriptor).patch(zeros, impl="vectorized", n_threads=None).shape[1]

    def fit(self, images: ArrayLike, y=None):
        """Learn the codebook from the descriptors of ``images`` (N, H, W) or (N, H, W, 3)."""
        n_threads = self._check_params()
        batch = self._images(images)
        rng = check_random_state("random_state", self.random_state)
        N = batch.shape[0]
        sample = self.max_patches
        if self._dense() is not None:  # described a chunk at a time, only the samples kept
            parts = []
            for a in range(0, N, TRANSFORM_BATCH):
                desc = self._describe_all(batch[a : a + TRANSFORM_BATCH], n_threads)[1]
                if sample is not None and sample < desc.shape[1]:
                    picks = np.argsort(rng.random((len(desc), desc.shape[1])), axis=1)[:, :sample]
                    desc = np.take_along_axis(desc, picks[:, :, None], axis=1)
                parts.append(desc)
            desc = np.concatenate(parts)
        else:
            n_pos = int(np.prod(self._grid(batch.shape)))
            if sample is None or sample >= n_pos:
                positions = np.broadcast_to(np.arange(n_pos), (N, n_pos))
            else:
                positions = np.argsort(rng.random((N, n_pos)), axis=1)[:, :sample]
            desc = self._descriptors(batch, np.ascontiguousarray(positions, dtype=np.int64), n_threads)
        points = desc.reshape(-1, desc.shape[2])
        if self.n_words > points.shape[0]:
            raise ValueError(f"n_words={self.n_words} is more than the {points.shape[0]} patches to learn from")
        seed = int(rng.integers(2**31))
        self.words_, _, self.inertia_ = kmeans(
            points, self.n_words, max_iter=self.max_iter, random_state=seed, impl=self.impl, n_threads=n_threads
        )
        self.image_shape_ = batch.shape[1:]
        self._record_fitted_params()
        return self

    def transform(self, images: ArrayLike) -> np.ndarray:
        """Codes pooled per pyramid cell: (N, cells * n_words), float64; one image gives a 1-D vector.

        Feature ``cell * n_words + w`` belongs to word ``w`` and cell ``cell``, the cells
        numbered level by level (level L: L x L cells, row-major).
        """
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
        size = self._descriptor_size(self.image_shape_)
        if words.ndim != 2 or words.shape[0] < 1 or words.shape[1] != size:
            raise ValueError(
                f"words_ must have shape (n_words, {size}) for {self.descriptor!r} descriptors, got {words.shape}: "
                "it was changed after fit; fit again"
            )
        levels = _check_pyramid(self.pyramid)
        n_cells = sum(L * L for L in levels)
        N, K = batch.shape[0], words.shape[0]
        check_result_size("the features", N * n_cells * K)
        out = np.empty((N, n_cells * K))
        for a in range(0, N, TRANSFORM_BATCH):
            chunk = batch[a : a + TRANSFORM_BATCH]
            if self.descriptor == "patch" and self.encoding == "hard" and levels == (1,):
                # described and counted in one fused kernel
                codes = _tiers.run("bow", "encode_patches", self.impl, n_threads, chunk, self.patch_size,
                                   self.stride, words)  # fmt: skip
            else:
                centres, desc = self._describe_all(chunk, n_threads)
                cells = pyramid_cells(centres, (H, W), levels)
                codes = _tiers.run("bow", "encode_cells", self.impl, n_threads, desc, words, cells, n_cells,
                                   self.encoding == "triangle")  # fmt: skip
            out[a : a + len(chunk)] = codes.reshape(len(chunk), -1)
        if self.power == 0.5:
            np.sqrt(out, out=out)
        elif self.power != 1.0:
            np.power(out, self.power, out=out)
        if self.normalize == "l1":
            out /= np.maximum(out.sum(axis=1, keepdims=True), 1.0 if self.encoding == "hard" else 1e-300)
        elif self.normalize == "l2":
            out /= np.maximum(np.sqrt(np.einsum("ij,ij->i", out, out))[:, None], 1e-300)
        return out[0] if single else out


BagOfVisualWords.transform.takes_batch = True  # the protocol of fastlin.extract_features
