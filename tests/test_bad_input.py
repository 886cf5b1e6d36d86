"""Every bad input of the loss API gets a clear error naming the argument."""

import numpy as np
import pytest

import fastlin
from tests.helpers import make_problem

W, X, y = make_problem(6, 4, 3)


def call(kind="svm", W=W, X=X, y=y, **kw):
    fn = fastlin.svm_loss if kind == "svm" else fastlin.softmax_loss
    return fn(W, X, y, **kw)


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"X": X[:, :3]}, ValueError, "X has 3 columns"),
        ({"y": y[:5]}, ValueError, "y has 5 labels"),
        ({"y": np.array([0, 1, 2, 3, 0, 1])}, ValueError, r"y must be in \[0, 3\)"),
        ({"y": np.array([0, 1, -1, 0, 0, 1])}, ValueError, r"y must be in \[0, 3\)"),
        ({"y": y.astype(float)}, TypeError, "y must hold integer"),
        ({"y": y[:, None]}, ValueError, "y must be 1-D"),
        ({"X": np.where(np.eye(6, 4) > 0, np.nan, X)}, ValueError, "X contains NaN or inf"),
        ({"X": np.where(np.eye(6, 4) > 0, np.inf, X)}, ValueError, "X contains NaN or inf"),
        ({"W": np.where(np.eye(4, 3) > 0, np.nan, W)}, ValueError, "W contains NaN or inf"),
        ({"reg": -1.0}, ValueError, "reg must be >= 0"),
        ({"reg": np.nan}, ValueError, "reg must be finite"),
        ({"impl": "fast"}, ValueError, "impl must be one of"),
        ({"penalty": "l3"}, ValueError, "penalty must be one of"),
        ({"penalty": "elasticnet", "l1_ratio": 1.5}, ValueError, "l1_ratio must be <= 1"),
        ({"penalty": "elasticnet", "l1_ratio": -0.1}, ValueError, "l1_ratio must be >= 0"),
        ({"sample_weight": -np.ones(6)}, ValueError, "sample_weight must be non-negative"),
        ({"sample_weight": np.zeros(6)}, ValueError, "sample_weight must not be all zero"),
        ({"sample_weight": np.ones(5)}, ValueError, r"sample_weight must have shape \(6,\)"),
        ({"sample_weight": np.full(6, np.nan)}, ValueError, "sample_weight contains NaN"),
        ({"X": np.empty((0, 4)), "y": np.empty(0, int)}, ValueError, "X is empty"),
        ({"X": X[0]}, ValueError, "X must be 2-D"),
        ({"X": X.astype(complex)}, TypeError, "X must hold real numbers"),
        ({"W": W[:, 0]}, ValueError, "W must be 2-D"),
        ({"W": W.astype(int)}, TypeError, "W must be a float32 or float64"),
        ({"W": W.astype(np.float16)}, TypeError, "W must be a float32 or float64"),
        ({"n_threads": 0}, ValueError, "n_threads must be in"),
        ({"n_threads": 1000}, ValueError, "n_threads must be in"),
        ({"n_threads": 1.5}, TypeError, "n_threads must be None or a positive int"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
@pytest.mark.parametrize("impl", ["naive", "vectorized", "jit"])
def test_bad_input(kind, kwargs, exc, match, impl):
    kwargs = {"impl": impl, **kwargs}
    with pytest.raises(exc, match=match):
        call(kind, **kwargs)


def test_bad_delta():
    with pytest.raises(ValueError, match="delta must be >= 0"):
        fastlin.svm_loss(W, X, y, delta=-1.0)
    with pytest.raises(TypeError, match="delta must be a real number"):
        fastlin.svm_loss(W, X, y, delta="1")


@pytest.mark.parametrize("impl", ["naive", "vectorized", "jit"])
def test_overflow_is_reported_not_returned(impl):
    big = np.full((3, 2), 1e200)
    Wb = np.full((2, 2), 1e200)
    Wb[:, 1] = -1e200
    with pytest.raises(FloatingPointError, match="overflowed"):
        fastlin.softmax_loss(Wb, big, np.array([0, 1, 0]), impl=impl)


def test_regularization_bad_input():
    with pytest.raises(ValueError, match="penalty must be one of"):
        fastlin.regularization(W, 1.0, "l0")
    with pytest.raises(ValueError, match="reg must be >= 0"):
        fastlin.regularization(W, -1.0)
    with pytest.raises(ValueError, match="W must be 2-D"):
        fastlin.regularization(W[0], 1.0)
