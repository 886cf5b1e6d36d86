"""Feature standardization as a fitted step, for pipelines of fastlin or scikit-learn."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin._sklearn import BaseEstimator, NotFittedError, TransformerMixin
from fastlin._stats import block_rows, column_mean_std
from fastlin._validation import as_features, check_bool, check_scalar, compute_dtype

#: rows per step of ``transform``
ROWS = 4096


class Standardizer(TransformerMixin, BaseEstimator):
    """Subtract each feature's mean and divide by ``sqrt(var + eps)``.

    The statistics are computed in float64 in one streaming pass (:func:`column_mean_std`);
    ``transform`` keeps float32 features float32 and float16 features float16 (features
    stored in half the memory, which fastlin's classifiers read as they are). ``eps`` keeps constant features finite
    (Coates, Lee & Ng use 0.01 on their k-means features); ``eps=0`` with a constant
    feature divides by 1 instead, as scikit-learn's ``StandardScaler`` does. Any finite X
    gives finite statistics and a finite transform of itself, up to the ends of the float
    range; new data whose standardized values leave X's dtype raise ``FloatingPointError``.

    Parameters
    ----------
    eps : float, default 0.0
        Added to every variance.
    copy : bool, default True
        False: ``transform`` writes into X itself when X is a C-contiguous float array
        (no second copy of a large feature matrix); otherwise it returns a new array.

    Attributes
    ----------
    mean_ : ndarray of shape (D,), float64
    scale_ : ndarray of shape (D,), float64
        ``sqrt(var + eps)``, or 1 where that is 0.
    n_features_in_ : int
    """

    def __init__(self, eps: float = 0.0, copy: bool = True):
        self.eps = eps
        self.copy = copy

    def fit(self, X: ArrayLike, y=None):
        """Learn the mean and scale of each column of X (N, D)."""
        eps = check_scalar("eps", self.eps, low=0.0)
        X = as_features(X, half=True)
        mean, std = column_mean_std(X)
        scale = np.hypot(std, np.sqrt(eps))  # sqrt(var + eps) without squaring a deviation near 1e308
        self.mean_ = mean
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """``(X - mean_) / scale_`` in X's float dtype (float16 stays float16, computed in float32)."""
        if not hasattr(self, "mean_"):
            raise NotFittedError("this Standardizer is not fitted yet: call fit first")
        copy = check_bool("copy", self.copy)
        given = X
        X = as_features(X, half=True)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but Standardizer is expecting {self.n_features_in_} features as input"
            )
        in_place = not copy and X is given and X.flags.writeable
        out = X if in_place else np.empty_like(X)
        # in X's dtype while that is exact enough: deviations below float32's smallest normal
        # number would lose bits there (and 1 / scale could overflow)
        dtype = compute_dtype(X.dtype)
        limits = np.finfo(dtype)
        fast = bool((self.scale_ >= limits.tiny).all() and (np.abs(self.mean_) <= limits.max).all())
        if fast:  # (a result past float16's range raises at the cast into out: that block again)
            mean = self.mean_.astype(dtype)
            inv = (1.0 / self.scale_).astype(dtype)
        step = block_rows(X.shape[1], 8, ROWS)
        for a in range(0, X.shape[0], step):
            block = slice(a, a + step)
            if fast:
                try:
                    with np.errstate(over="raise", invalid="raise"):
                        np.multiply(X[block] - mean, inv, out=out[block])
                    continue
                except FloatingPointError:
                    pass  # values near the end of the range: this block in float64
            with np.errstate(over="ignore", invalid="ignore"):
                out[block] = _standardized(X[block], self.mean_, self.scale_)
            if not np.isfinite(out[block]).all():
                raise FloatingPointError(
                    f"X standardized leaves {X.dtype}'s range (rows {a} to {a + len(out[block]) - 1}): its values "
                    "lie far outside those Standardizer was fitted on"
                )
        return out


def _standardized(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(x - mean) / scale`` in float64, halved first where ``x - mean`` would overflow."""
    x = x.astype(np.float64)
    out = (x - mean) / scale
    bad = ~np.isfinite(out)
    if bad.any():
        out = np.where(bad, (x * 0.5 - mean * 0.5) / scale * 2.0, out)
    return out
