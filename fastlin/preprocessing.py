"""Feature standardization as a fitted step, for pipelines of fastlin or scikit-learn."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin._sklearn import BaseEstimator, NotFittedError, TransformerMixin
from fastlin._stats import column_mean_var
from fastlin._validation import as_features, check_bool, check_scalar

#: rows per step of ``transform``
ROWS = 4096


class Standardizer(TransformerMixin, BaseEstimator):
    """Subtract each feature's mean and divide by ``sqrt(var + eps)``.

    The statistics are computed in float64 in one streaming pass (:func:`column_mean_var`);
    ``transform`` keeps float32 features float32. ``eps`` keeps constant features finite
    (Coates, Lee & Ng use 0.01 on their k-means features); ``eps=0`` with a constant
    feature divides by 1 instead, as scikit-learn's ``StandardScaler`` does.

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
        X = as_features(X)
        mean, var = column_mean_var(X)
        scale = np.sqrt(var + eps)
        self.mean_ = mean
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """``(X - mean_) / scale_``, in X's float dtype (float32 stays float32)."""
        if not hasattr(self, "mean_"):
            raise NotFittedError("this Standardizer is not fitted yet: call fit first")
        copy = check_bool("copy", self.copy)
        given = X
        X = as_features(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but Standardizer is expecting {self.n_features_in_} features as input"
            )
        in_place = not copy and X is given and X.flags.writeable
        out = X if in_place else np.empty_like(X)
        mean = self.mean_.astype(X.dtype)
        inv = (1.0 / self.scale_).astype(X.dtype)
        for a in range(0, X.shape[0], ROWS):
            np.multiply(X[a : a + ROWS] - mean, inv, out=out[a : a + ROWS])
        return out
