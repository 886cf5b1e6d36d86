"""scikit-learn's estimator base classes when it is installed, small stand-ins otherwise.

fastlin's estimators follow scikit-learn's conventions; scikit-learn itself stays optional.
"""

import inspect

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
    from sklearn.exceptions import DataConversionWarning, NotFittedError
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    DataConversionWarning = UserWarning

    class NotFittedError(ValueError, AttributeError):
        """Raised when an estimator is used before ``fit``."""

    class BaseEstimator:
        """The parts of scikit-learn's BaseEstimator that fastlin's estimators use."""

        @classmethod
        def _get_param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep=True):
            """The constructor's parameters and their values."""
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            """Set constructor parameters; returns self."""
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}")
                setattr(self, key, value)
            return self

    class ClassifierMixin:
        """Accuracy as the default score."""

        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            """Mean accuracy of ``predict(X)`` against ``y``."""
            return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))

    class TransformerMixin:
        """``fit_transform`` as ``fit`` then ``transform``."""

        def fit_transform(self, X, y=None, **fit_params):
            """Fit to X, then transform it."""
            return self.fit(X, y, **fit_params).transform(X)


__all__ = ["BaseEstimator", "ClassifierMixin", "DataConversionWarning", "NotFittedError", "TransformerMixin"]
