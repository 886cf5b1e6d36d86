"""Texton histograms (Leung and Malik 2001; Varma and Zisserman 2005): the estimator that learns textons."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._sklearn import BaseEstimator, FittedParams, NotFittedError, TransformerMixin
from fastlin._spec import MR8_SIZE
from fastlin._validation import (
    MAX_ITERS,
    as_array,
    check_bool,
    check_int,
    check_random_state,
    check_result_size,
    check_scalar,
    check_tier,
)
from fastlin.kmeans import kmeans
from fastlin.textons import as_bank, gray_batch, prepared

#: images whose responses are computed at once while fitting (their samples are kept)
FIT_BATCH = 1000


class TextonFeatures(FittedParams, TransformerMixin, BaseEstimator, fitted_params=("mr8", "normalize")):
    """Texton histograms: each pixel's nearest texton, counted over a grid of cells.

    ``fit`` computes the filter responses (:func:`fastlin.filter_responses`) of the training
    images a part at a time, keeps a random sample of pixels' response vectors and learns
    ``n_textons`` textons from them with :func:`fastlin.kmeans`; ``transform`` assigns
    every pixel to its nearest texton and returns, per cell of a ``cells`` x ``cells``
    grid, the share of its pixels each texton takes. The responses of a whole dataset are
    never held at once (those of CIFAR-10 with the LM bank would be 12 GB).

    Parameters
    ----------
    n_textons : int, default 64
    bank : {"LM", "RFS", "S"} or array_like, default "LM"
        The filter bank (see :func:`fastlin.filter_responses`).
    mr8 : bool, default False
        Describe pixels by MR8's 8 maximum responses (bank "RFS").
    normalize : bool, default True
        Varma and Zisserman's contrast normalization (see :func:`fastlin.filter_responses`).
    cells : int, default 2
        The histograms' grid: ``cells`` x ``cells`` cells (edges ``k * H // cells``).
    power : float in (0, 1], default 1.0
        Each share raised to this power (0.5: the square root, Hellinger's map).
    n_samples : int, default 100000
        Pixels sampled (evenly over the images) to learn the textons from.
    max_iter : int, default 50
        Lloyd iterations of k-means (k-means++ start).
    random_state : int, optional
        Seeds the sampling and k-means.
    impl : {"jit", "vectorized", "naive"}, default "jit"
    n_threads : int, optional

    Attributes
    ----------
    textons_ : ndarray of shape (n_textons, K), float32
        The learned textons, K responses each.
    bank_ : ndarray of shape (n_filters, s, s)
        The filters the textons were learned with.
    image_shape_ : tuple
        (H, W) of the fitted images; ``transform`` takes only images of that size.
    inertia_ : float
        k-means inertia of the textons.
    """

    def __init__(
        self,
        n_textons: int = 64,
        bank: str | ArrayLike = "LM",
        mr8: bool = False,
        normalize: bool = True,
        cells: int = 2,
        power: float = 1.0,
        n_samples: int = 100_000,
        max_iter: int = 50,
        random_state: int | None = None,
        impl: str = "jit",
        n_threads: int | None = None,
    ):
        self.n_textons = n_textons
        self.bank = bank
        self.mr8 = mr8
        self.normalize = normalize
        self.cells = cells
        self.power = power
        self.n_samples = n_samples
        self.max_iter = max_iter
        self.random_state = random_state
        self.impl = impl
        self.n_threads = n_threads

    def _check_params(self) -> tuple[np.ndarray, int | None]:
        check_int("n_textons", self.n_textons, low=1)
        mr8 = check_bool("mr8", self.mr8)
        check_bool("normalize", self.normalize)
        check_int("cells", self.cells, low=1)
        check_scalar("power", self.power, low=0.0, low_open=True, high=1.0)
        check_int("n_samples", self.n_samples, low=1)
        check_int("max_iter", self.max_iter, low=1, high=MAX_ITERS)
        return as_bank(self.bank, mr8), check_tier(self.impl, self.n_threads)[1]

    def _gray(self, images: ArrayLike, bank: np.ndarray) -> np.ndarray:
        arr = as_array("images", images)
        gray = gray_batch(arr, -1 if arr.ndim == 4 else None)
        if self.cells > min(gray.shape[1:]):
            raise ValueError(f"cells={self.cells} makes cells smaller than a pixel for images of {gray.shape[1:]}")
        return prepared(gray, bank, self.normalize)

    def fit(self, images: ArrayLike, y=None) -> TextonFeatures:
        """Learn the textons from ``images`` (N, H, W) or (N, H, W, 3)."""
        bank, n_threads = self._check_params()
        gray = self._gray(images, bank)
        N, H, W = gray.shape
        if self.n_textons > min(self.n_samples, N * H * W):
            raise ValueError(
                f"n_textons={self.n_textons} is more than the {min(self.n_samples, N * H * W)} pixels to learn from"
            )
        rng = check_random_state("random_state", self.random_state)
        per_image = min(H * W, math.ceil(self.n_samples / N))
        parts = []
        for a in range(0, N, FIT_BATCH):
            r = _tiers.run("textons", "filter_responses", self.impl, n_threads, gray[a : a + FIT_BATCH], bank,
                           self.mr8, self.normalize)  # fmt: skip
            r = r.reshape(len(r), H * W, -1)
            picks = np.argsort(rng.random((len(r), H * W)), axis=1)[:, :per_image]
            parts.append(np.take_along_axis(r, picks[:, :, None], axis=1).reshape(-1, r.shape[2]))
        points = np.concatenate(parts)[: self.n_samples]
        seed = int(rng.integers(2**31))
        self.textons_, _, self.inertia_ = kmeans(
            points, self.n_textons, max_iter=self.max_iter, random_state=seed, impl=self.impl, n_threads=n_threads
        )
        self.bank_ = bank.copy()
        self.image_shape_ = (H, W)
        self._record_fitted_params()
        return self

    def transform(self, images: ArrayLike) -> np.ndarray:
        """Texton shares per cell: (N, cells * cells * n_textons) float32, cells in row-major order."""
        if not hasattr(self, "textons_"):
            raise NotFittedError("this TextonFeatures is not fitted yet: call fit first")
        bank, n_threads = self._check_params()
        self._check_fitted_params()
        if not (isinstance(self.bank_, np.ndarray) and np.array_equal(bank, self.bank_)):
            raise ValueError("bank is not the bank this TextonFeatures was fitted with: set it back or fit again")
        gray = self._gray(images, bank)
        if gray.shape[1:] != self.image_shape_:
            raise ValueError(f"images are {gray.shape[1:]}; this TextonFeatures was fitted on {self.image_shape_}")
        textons = np.ascontiguousarray(self.textons_, dtype=np.float32)
        K = MR8_SIZE if self.mr8 else len(bank)
        if textons.ndim != 2 or textons.shape[0] < 1 or textons.shape[1] != K or not np.isfinite(textons).all():
            raise ValueError(
                f"textons_ must be finite with shape (n_textons, {K}), got {textons.shape}: it was changed after "
                "fit; fit again"
            )
        check_result_size("the images and n_textons", len(gray) * self.cells**2 * len(textons), itemsize=4)
        out = _tiers.run("textons", "texton_histograms", self.impl, n_threads, gray, bank, self.mr8, self.normalize,
                         textons, self.cells)  # fmt: skip
        if self.power != 1.0:
            np.power(out, np.float32(self.power), out=out)
        return out


TextonFeatures.transform.takes_batch = True  # the protocol of fastlin.extract_features
