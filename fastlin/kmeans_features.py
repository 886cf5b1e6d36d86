"""Single-layer k-means features (Coates, Lee & Ng, AISTATS 2011): the bag of words done well.

Small patches, each normalized for brightness and contrast, ZCA-whitened; a k-means
codebook of the whitened patches; every patch of an image encoded by its "triangle"
activation against the codebook and the codes summed over the quadrants of the image. On
CIFAR-10 the paper reaches 77.9% with 1600 centroids and a linear SVM.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._progress import Progress
from fastlin._sklearn import BaseEstimator, FittedParams, NotFittedError, TransformerMixin
from fastlin._spec import KMEANS_FEATURES_DICTIONARIES, KMEANS_FEATURES_ENCODINGS
from fastlin._validation import (
    MAX_ITERS,
    as_array,
    as_image_batch,
    check_bool,
    check_choice,
    check_impl,
    check_int,
    check_n_threads,
    check_pair,
    check_random_state,
    check_result_size,
    check_scalar,
)
from fastlin.kmeans import kmeans

ENCODINGS = KMEANS_FEATURES_ENCODINGS
DICTIONARIES = KMEANS_FEATURES_DICTIONARIES
KMEANS_INITS = ("gaussian", "random", "k-means++")
POOLINGS = ("sum", "mean")
#: images per kernel call of ``transform``: the unit of its progress bar
TRANSFORM_BATCH = 2000
#: the largest |pixel| accepted: a patch's squared norm (and its distances to the centroids)
#: stays far inside float32's range, so the encoding cannot overflow
MAX_PIXEL = 1e15
#: sampled patches normalized at a time in ``fit`` (their float64 copy stays small)
SAMPLE_BLOCK = 65536


def unit_rows(a: np.ndarray) -> np.ndarray:
    """Each row scaled to unit Euclidean norm (a zero row stays zero), float32."""
    a = np.asarray(a, dtype=np.float32)
    return a / np.sqrt(np.einsum("ij,ij->i", a, a) + np.float32(1e-20))[:, None]


def omp1(X: np.ndarray, n_atoms: int, n_iter: int, rng: np.random.Generator) -> np.ndarray:
    """A dictionary of unit-norm atoms learned by OMP-1 (Coates & Ng, ICML 2011), float32.

    Each round assigns every row of ``X`` to the atom of largest absolute dot product and
    replaces each atom by the sum of its rows weighted by those dot products, scaled to unit
    norm; an atom no row chose takes a random row of ``X``. The dot products are one GEMM a
    block of rows, the sums a sparse product, both on NumPy's BLAS threads.
    """
    from scipy import sparse

    atoms = unit_rows(rng.standard_normal((n_atoms, X.shape[1])))
    for _ in range(n_iter):
        total = np.zeros_like(atoms)
        counts = np.zeros(n_atoms, dtype=np.int64)
        for a in range(0, len(X), SAMPLE_BLOCK):
            x = X[a : a + SAMPLE_BLOCK]
            dots = x @ atoms.T
            labels = np.abs(dots).argmax(axis=1)
            weights = dots[np.arange(len(x)), labels]
            total += sparse.csr_matrix((weights, (labels, np.arange(len(x)))), shape=(n_atoms, len(x))) @ x
            counts += np.bincount(labels, minlength=n_atoms)
        empty = np.flatnonzero(counts == 0)
        total[empty] = X[rng.choice(len(X), len(empty), replace=len(empty) > len(X))]
        atoms = unit_rows(total)
    return atoms


class KMeansFeatures(FittedParams, TransformerMixin, BaseEstimator, fitted_params=("patch_size", "contrast_eps")):
    """Encode images by a k-means codebook of whitened patches, pooled over a grid.

    ``fit`` samples ``n_patches`` random patches of the training images, normalizes each
    (``(x - mean) / sqrt(var + contrast_eps)``), fits a ZCA whitening to them and learns
    ``n_centroids`` centroids by k-means (the paper's Gaussian start, ``max_iter`` Lloyd
    iterations, empty clusters moved to far points). ``transform`` encodes every patch of
    every image (``stride`` apart) against the centroids and sums (or averages) the codes
    over the cells of ``pooling_grid``: ``n_centroids * rows * cols`` features per image,
    one parallel kernel call per batch. The defaults are the paper's CIFAR-10 settings.

    Parameters
    ----------
    n_centroids : int, default 1600
    patch_size : int, default 6
        Side of the square patches, in pixels.
    stride : int, default 1
        Step between the encoded patches.
    contrast_eps : float > 0 or None, default 10.0
        Added to each patch's variance before dividing by its square root, in the images'
        units (10 for pixels in 0-255, the paper's value; about 1.5e-4 for pixels in 0-1).
        None: no per-patch normalization. ``patch_size`` and ``contrast_eps`` are part of
        the fitted state: ``transform`` refuses them changed after ``fit``.
    whiten : bool, default True
        ZCA-whiten the patches.
    zca_eps : float, default 0.1
        Added to the eigenvalues of the patch covariance before whitening.
    encoding : {"triangle", "hard", "soft", "soft-split"}, default "triangle"
        ``"triangle"``: ``max(0, mean_j(z_j) - z_k)`` with ``z_k`` the distance to centroid
        ``k``; ``"hard"``: 1 for the nearest centroid, 0 elsewhere (a bag of words);
        ``"soft"``: ``max(0, d_k . x - alpha)``, Coates & Ng's soft threshold (ICML 2011) of
        the whitened patch ``x`` against atom ``d_k``; ``"soft-split"``: that, then
        ``max(0, -d_k . x - alpha)``: ``2 * n_centroids`` values per cell.
    alpha : float >= 0, default 0.25
        The soft threshold (Coates & Ng's 0.25).
    dictionary : {"kmeans", "omp1", "patches"}, default "kmeans"
        The codebook: k-means centroids; atoms learned by OMP-1 (each patch assigned to the
        atom of largest ``|d_k . x|``, each atom refit as the sum of its patches weighted by
        those dot products, then scaled to unit norm; ``max_iter`` rounds from random unit
        atoms); or ``n_centroids`` random whitened patches scaled to unit norm.
    pooling_grid : (int, int), default (2, 2)
        Cells over the grid of patch positions; ``(1, 1)`` is one global histogram.
    pooling : {"sum", "mean"}, default "sum"
    power : float in (0, 1], default 1.0
        Each pooled feature is raised to this power; 0.5 (the square root) evens out the
        heavy-tailed sums and adds 1-3 points of accuracy on CIFAR-10 (not in the paper).
        At most 1, so the pooled features stay within float32's range.
    mirror : bool, default False
        Average each image's features with those of its left-right mirror image (after
        ``power``): the features, and so a linear model on them, see an image and its mirror
        image alike. Twice the encoding time, the same number of features; on CIFAR-10 it
        adds 1.7 points of test accuracy with 1600 atoms (docs/results.md).
    n_patches : int, default 400000
        Patches sampled to fit the whitening and the codebook (held in memory as float32:
        at most 16 GiB of them).
    max_iter : int, default 10
        Lloyd iterations of the codebook.
    kmeans_init : {"gaussian", "random", "k-means++"}, default "gaussian"
        ``"gaussian"``: the paper's ``0.1 * N(0, 1)`` centroids. They all start near the
        origin, so the first assignment splits the whitened patches by direction and every
        centroid becomes an edge-like filter; starting from random patches instead spends
        many centroids on near-flat patches (measured on CIFAR-10, 10,000 training images:
        68.0% against 65.9% test accuracy).
    random_state : int, optional
    impl : {"jit", "vectorized", "naive"}, default "jit"
    n_threads : int, optional
    verbose : bool, default False
        Progress bars for k-means' sampling and for ``transform``.

    Attributes
    ----------
    centroids_ : ndarray of shape (n_centroids, D), float32
        D = patch_size**2 * channels.
    shift_ : ndarray of shape (D,), float32
        Mean of the normalized patches (subtracted before whitening).
    whiten_ : ndarray of shape (D, D), float32
        The ZCA matrix (the identity when ``whiten=False``).
    image_shape_ : tuple (H, W, C)
    inertia_ : float or None
        k-means inertia of the codebook on the sampled patches (None for other dictionaries).
    """

    def __init__(
        self,
        n_centroids: int = 1600,
        patch_size: int = 6,
        stride: int = 1,
        contrast_eps: float | None = 10.0,
        whiten: bool = True,
        zca_eps: float = 0.1,
        encoding: str = "triangle",
        alpha: float = 0.25,
        dictionary: str = "kmeans",
        pooling_grid: tuple[int, int] = (2, 2),
        pooling: str = "sum",
        power: float = 1.0,
        mirror: bool = False,
        n_patches: int = 400_000,
        max_iter: int = 10,
        kmeans_init: str = "gaussian",
        random_state: int | None = None,
        impl: str = "jit",
        n_threads: int | None = None,
        verbose: bool = False,
    ):
        self.n_centroids = n_centroids
        self.patch_size = patch_size
        self.stride = stride
        self.contrast_eps = contrast_eps
        self.whiten = whiten
        self.zca_eps = zca_eps
        self.encoding = encoding
        self.alpha = alpha
        self.dictionary = dictionary
        self.pooling_grid = pooling_grid
        self.pooling = pooling
        self.power = power
        self.mirror = mirror
        self.n_patches = n_patches
        self.max_iter = max_iter
        self.kmeans_init = kmeans_init
        self.random_state = random_state
        self.impl = impl
        self.n_threads = n_threads
        self.verbose = verbose

    def _check_params(self) -> dict:
        return dict(
            n_centroids=check_int("n_centroids", self.n_centroids, low=1),
            p=check_int("patch_size", self.patch_size, low=1),
            stride=check_int("stride", self.stride, low=1),
            eps=(
                None
                if self.contrast_eps is None
                else check_scalar("contrast_eps", self.contrast_eps, low=0.0, low_open=True)
            ),
            whiten=check_bool("whiten", self.whiten),
            zca_eps=check_scalar("zca_eps", self.zca_eps, low=0.0, low_open=True),
            encoding=check_choice("encoding", self.encoding, ENCODINGS),
            alpha=check_scalar("alpha", self.alpha, low=0.0, high=1e6),
            dictionary=check_choice("dictionary", self.dictionary, DICTIONARIES),
            grid=check_pair("pooling_grid", self.pooling_grid),
            mean=check_choice("pooling", self.pooling, POOLINGS) == "mean",
            power=check_scalar("power", self.power, low=0.0, low_open=True, high=1.0),
            mirror=check_bool("mirror", self.mirror),
            n_patches=check_int("n_patches", self.n_patches, low=1),
            max_iter=check_int("max_iter", self.max_iter, low=1, high=MAX_ITERS),
            init=check_choice("kmeans_init", self.kmeans_init, KMEANS_INITS),
            impl=check_impl(self.impl),
            n_threads=check_n_threads(self.n_threads),
            verbose=check_bool("verbose", self.verbose),
        )

    def _images(self, images: ArrayLike, params: dict) -> np.ndarray:
        arr = as_array("images", images)
        batch = as_image_batch("images", arr, batch=True, channel_axis=-1 if arr.ndim == 4 else None)
        p = params["p"]
        if p > batch.shape[1] or p > batch.shape[2]:
            raise ValueError(f"patch_size={p} is larger than the images ({batch.shape[1]}x{batch.shape[2]})")
        R, Q = self._positions(batch.shape, params)
        if params["grid"][0] > R or params["grid"][1] > Q:
            raise ValueError(f"pooling_grid={params['grid']} has more cells than the {R}x{Q} patch positions")
        if params["eps"] is not None and p * p * batch.shape[3] < 2:
            raise ValueError("a patch of one value has no variance: use patch_size >= 2 or contrast_eps=None")
        if batch.dtype.kind == "f" and float(np.abs(batch).max()) > MAX_PIXEL:
            raise ValueError(f"images has values beyond +-{MAX_PIXEL:g}: the patch statistics would overflow")
        return batch

    def _positions(self, shape: tuple, params: dict) -> tuple[int, int]:
        p, s = params["p"], params["stride"]
        return (shape[1] - p) // s + 1, (shape[2] - p) // s + 1

    def _sample(self, batch: np.ndarray, params: dict, rng: np.random.Generator) -> np.ndarray:
        """``n_patches`` random patches (with replacement), normalized, as (M, D) float32."""
        from numpy.lib.stride_tricks import sliding_window_view

        p, s, eps = params["p"], params["stride"], params["eps"]
        R, Q = self._positions(batch.shape, params)
        M = params["n_patches"]
        which = rng.integers(batch.shape[0], size=M)
        rows = rng.integers(R, size=M) * s
        cols = rng.integers(Q, size=M) * s
        windows = sliding_window_view(batch, (p, p), axis=(1, 2))  # N, H', W', C, p, p
        out = np.empty((M, p * p * batch.shape[3]), dtype=np.float32)
        for a in range(0, M, SAMPLE_BLOCK):
            b = min(M, a + SAMPLE_BLOCK)
            x = np.moveaxis(windows[which[a:b], rows[a:b], cols[a:b]], 1, -1).reshape(b - a, -1).astype(np.float64)
            if eps is not None:
                x -= x.mean(axis=1, keepdims=True)
                x /= np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + eps)
            out[a:b] = x
        return out

    def _fit_whitening(self, patches: np.ndarray, params: dict) -> None:
        D = patches.shape[1]
        mean = patches.mean(axis=0, dtype=np.float64)
        if not params["whiten"]:
            self.shift_ = np.zeros(D, dtype=np.float32)
            self.whiten_ = np.eye(D, dtype=np.float32)
            return
        centred = patches - mean.astype(np.float32)
        cov = (centred.T.astype(np.float64) @ centred) / max(1, patches.shape[0] - 1)
        values, vectors = np.linalg.eigh(cov)
        values = np.maximum(values, 0.0)  # rounding can leave tiny negative eigenvalues
        self.shift_ = mean.astype(np.float32)
        self.whiten_ = ((vectors / np.sqrt(values + params["zca_eps"])) @ vectors.T).astype(np.float32)

    def fit(self, images: ArrayLike, y=None):
        """Fit the patch whitening and the codebook to random patches of ``images``.

        Parameters
        ----------
        images : array_like of shape (N, H, W, C) or (N, H, W)
            uint8, float32 or float64 pixels.
        y : ignored

        Returns
        -------
        self
        """
        params = self._check_params()
        batch = self._images(images, params)
        rng = check_random_state("random_state", self.random_state)
        if params["n_centroids"] > params["n_patches"]:
            raise ValueError(f"n_centroids={params['n_centroids']} is more than n_patches={params['n_patches']}")
        check_result_size("n_patches", params["n_patches"] * params["p"] ** 2 * batch.shape[3], itemsize=4)
        patches = self._sample(batch, params, rng)
        self._fit_whitening(patches, params)
        patches -= self.shift_
        whitened = patches @ self.whiten_
        del patches
        K = params["n_centroids"]
        if params["dictionary"] == "patches":
            self.centroids_, self.inertia_ = unit_rows(whitened[rng.choice(len(whitened), K, replace=False)]), None
        elif params["dictionary"] == "omp1":
            self.centroids_, self.inertia_ = omp1(whitened, K, params["max_iter"], rng), None
        else:
            init = params["init"]
            if init == "gaussian":
                init = (0.1 * rng.standard_normal((K, whitened.shape[1]))).astype(np.float32)
            self.centroids_, _, self.inertia_ = kmeans(
                whitened,
                K,
                init=init,
                max_iter=params["max_iter"],
                tol=0.0,
                random_state=int(rng.integers(2**31)),
                impl=params["impl"],
                n_threads=params["n_threads"],
            )
        self.centroids_ = np.ascontiguousarray(self.centroids_, dtype=np.float32)
        if not (np.isfinite(self.centroids_).all() and np.isfinite(self.whiten_).all()):
            raise FloatingPointError("the patch statistics overflowed float32: scale the images down")
        self.image_shape_ = batch.shape[1:]
        self._record_fitted_params()
        return self

    def _check_fitted_arrays(self, D: int) -> None:
        """The fitted arrays agree with the patch size: the kernel sizes its buffers from them."""
        K = getattr(self.centroids_, "shape", (0,))[0]
        expected = {"centroids_": (max(K, 1), D), "shift_": (D,), "whiten_": (D, D)}
        for name, shape in expected.items():
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != np.float32:
                raise ValueError(
                    f"{name} must be a float32 array of shape {shape} for patches of {D} values, got "
                    f"{getattr(arr, 'shape', type(arr).__name__)}: it was changed after fit; fit again"
                )

    def transform(self, images: ArrayLike) -> np.ndarray:
        """Pooled codes of ``images``: (N, rows * cols * n_centroids) float32, cell by cell.

        Feature ``cell * n_centroids + k`` is the sum (or mean) over the patches of pooling
        cell ``cell`` (row-major) of their code for centroid ``k``; with
        ``encoding="soft-split"`` each cell holds ``2 * n_centroids`` values (the positive
        halves, then the negative ones).
        """
        if not hasattr(self, "centroids_"):
            raise NotFittedError("this KMeansFeatures is not fitted yet: call fit first")
        params = self._check_params()
        self._check_fitted_params()
        batch = self._images(images, params)
        if batch.shape[1:] != self.image_shape_:
            raise ValueError(
                f"images have shape {batch.shape[1:]} (H, W, C); this KMeansFeatures was fitted on {self.image_shape_}"
            )
        self._check_fitted_arrays(params["p"] ** 2 * batch.shape[3])
        N = batch.shape[0]
        rows, cols = params["grid"]
        K = self.centroids_.shape[0] * (2 if params["encoding"] == "soft-split" else 1)
        check_result_size("the features", N * rows * cols * K, itemsize=4)
        out = np.empty((N, rows * cols * K), dtype=np.float32)
        progress = Progress(N, params["verbose"], what="encode")
        fitted = tuple(np.ascontiguousarray(a) for a in (self.shift_, self.whiten_, self.centroids_))
        for a in range(0, N, TRANSFORM_BATCH):
            b = min(N, a + TRANSFORM_BATCH)
            chunk = out[a:b]
            self._encode(batch[a:b], fitted, params, chunk)
            if params["mirror"]:
                chunk += self._encode(np.ascontiguousarray(batch[a:b, :, ::-1]), fitted, params)
                chunk *= np.float32(0.5)
            progress.update(b, n=b - a)
        progress.close()
        return out

    def _encode(self, images: np.ndarray, fitted: tuple, params: dict, out: np.ndarray | None = None) -> np.ndarray:
        """The pooled codes of a few images, divided by the cells' sizes and raised to ``power``."""
        rows, cols = params["grid"]
        codes = _tiers.run(
            "kmeans_features", "encode_pooled", params["impl"], params["n_threads"], images,
            params["p"], params["stride"], params["eps"], *fitted, params["encoding"], params["alpha"], (rows, cols),
        )  # fmt: skip
        codes = codes.reshape(len(images), -1)
        if out is None:
            out = codes
        else:
            out[...] = codes
        if params["mean"]:
            R, Q = self._positions(images.shape, params)
            i, j = np.divmod(np.arange(R * Q), Q)
            cells = np.bincount((i * rows // R) * cols + j * cols // Q, minlength=rows * cols)
            out /= np.repeat(cells, out.shape[1] // (rows * cols)).astype(np.float32)
        if params["power"] == 0.5:
            np.sqrt(out, out=out)
        elif params["power"] != 1.0:
            np.power(out, np.float32(params["power"]), out=out)
        return out


KMeansFeatures.transform.takes_batch = True  # the protocol of fastlin.extract_features
