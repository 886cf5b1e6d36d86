"""Explicit feature maps: a linear classifier on mapped histograms acts like an additive-kernel SVM.

Vedaldi and Zisserman (2012), "Efficient additive kernels via explicit feature maps": the
chi-squared kernel ``k(x, y) = 2 x y / (x + y)`` between histograms is approximated by the dot
product of a few sampled values of each feature's map. :class:`AdditiveChi2Map` gives the
same numbers as scikit-learn's ``AdditiveChi2Sampler`` for the same ``sample_steps`` and
``sample_interval`` (its peer); :class:`HellingerMap` is the exact map of the Hellinger
kernel ``sqrt(x y)``: the square root.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastlin._sklearn import BaseEstimator, TransformerMixin
from fastlin._validation import as_features, check_int, check_scalar

#: the sampling period Vedaldi and Zisserman recommend for 1, 2 and 3 steps (their Fig. 2c)
DEFAULT_INTERVALS = {1: 0.8, 2: 0.5, 3: 0.4}


def _non_negative(X: ArrayLike) -> np.ndarray:
    X = as_features(X)
    if (X < 0).any():
        raise ValueError("X must be non-negative (histograms or pooled codes): the kernel maps take no negatives")
    return X


class AdditiveChi2Map(TransformerMixin, BaseEstimator):
    """The approximate feature map of the additive chi-squared kernel, per feature.

    Each value ``x`` becomes ``2 sample_steps - 1`` values: ``sqrt(x L)`` and, for ``j`` in
    ``1 .. sample_steps - 1``, ``sqrt(2 x L / cosh(pi j L)) * cos(j L log x)`` and the same with
    ``sin`` (``L`` = ``sample_interval``; 0 maps to zeros). The blocks are laid out as
    scikit-learn's ``AdditiveChi2Sampler`` lays them: all features' first values, then the
    cosines of step 1, the sines of step 1, ...

    Parameters
    ----------
    sample_steps : int, default 2
    sample_interval : float, optional
        Default: 0.8, 0.5 or 0.4 for 1, 2 or 3 steps; required for more.
    """

    def __init__(self, sample_steps: int = 2, sample_interval: float | None = None):
        self.sample_steps = sample_steps
        self.sample_interval = sample_interval

    def _params(self) -> tuple[int, float]:
        steps = check_int("sample_steps", self.sample_steps, low=1, high=100)
        if self.sample_interval is None:
            if steps not in DEFAULT_INTERVALS:
                raise ValueError(f"sample_steps={steps} needs a sample_interval (defaults exist for 1, 2 and 3)")
            return steps, DEFAULT_INTERVALS[steps]
        return steps, check_scalar("sample_interval", self.sample_interval, low=0.0, low_open=True, high=1e3)

    def fit(self, X: ArrayLike, y=None):
        """Check the parameters and X (the map learns nothing)."""
        self._params()
        self.n_features_in_ = _non_negative(X).shape[1]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """The mapped features, (N, D * (2 sample_steps - 1)), in X's float dtype."""
        steps, interval = self._params()
        X = _non_negative(X)
        positive = X > 0
        safe = np.where(positive, X, 1)
        blocks = [np.sqrt(X * interval)]
        log_x = interval * np.log(safe)
        for j in range(1, steps):
            factor = np.where(positive, np.sqrt(2 * safe * interval / np.cosh(np.pi * j * interval)), 0)
            blocks.append((factor * np.cos(j * log_x)).astype(X.dtype))
            blocks.append((factor * np.sin(j * log_x)).astype(X.dtype))
        return np.hstack(blocks).astype(X.dtype, copy=False)


class HellingerMap(TransformerMixin, BaseEstimator):
    """The exact feature map of the Hellinger kernel ``sqrt(x y)``: each value's square root."""

    def fit(self, X: ArrayLike, y=None):
        """Check X (the map learns nothing)."""
        self.n_features_in_ = _non_negative(X).shape[1]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """``sqrt(X)``, in X's float dtype."""
        return np.sqrt(_non_negative(X))
