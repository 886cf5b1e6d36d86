"""scikit-learn's estimator base classes when it is installed, small stand-ins otherwise.

fastlin's estimators follow scikit-learn's conventions; scikit-learn itself stays optional.
"""

import inspect
import numbers

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


def _same(a: object, b: object) -> bool:
    """Equal values of one kind: 10 and 10.0 are the same, None and 0, or "4" and 4, are not."""
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (a, b))
    return (numeric or type(a) is type(b)) and bool(a == b)


class FittedParams:
    """Parameters that ``transform`` reads together with what ``fit`` learned from them.

    A patch size changed by ``set_params`` after ``fit`` would pair the new patches with a
    codebook of the old size; ``fit`` records these parameters and ``transform`` refuses
    any that changed, so the kernels' buffers are always sized by the fitted state.
    """

    #: the names of the parameters ``transform`` must find as ``fit`` left them, declared with
    #: the class: ``class Encoder(FittedParams, ..., fitted_params=("patch_size",))``
    _fitted_params: tuple[str, ...] = ()

    def __init_subclass__(cls, fitted_params: tuple[str, ...] = (), **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fitted_params = tuple(fitted_params)

    def _record_fitted_params(self) -> None:
        self._fitted_values = {name: getattr(self, name) for name in self._fitted_params}

    def _check_fitted_params(self) -> None:
        # an estimator fitted by an older fastlin has no record: its arrays' shapes are still checked
        for name, fitted in getattr(self, "_fitted_values", {}).items():
            now = getattr(self, name)
            if not _same(now, fitted):
                raise ValueError(
                    f"{name}={now!r}, but this {type(self).__name__} was fitted with {name}={fitted!r}: "
                    f"set it back or fit again"
                )


__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "DataConversionWarning",
    "FittedParams",
    "NotFittedError",
    "TransformerMixin",
]
