"""The explicit kernel maps against scikit-learn's AdditiveChi2Sampler and the kernels themselves."""

import numpy as np
import pytest

import fastlin


@pytest.mark.parametrize("steps, interval", [(1, None), (2, None), (3, None), (5, 0.3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equal_to_scikit_learns_sampler(steps, interval, dtype):
    sklearn_ka = pytest.importorskip("sklearn.kernel_approximation")
    X = np.random.default_rng(0).random((40, 7)).astype(dtype)
    X[3, 2] = X[5, 0] = 0.0  # zeros map to zeros
    ours = fastlin.AdditiveChi2Map(steps, interval).fit_transform(X)
    theirs = sklearn_ka.AdditiveChi2Sampler(sample_steps=steps, sample_interval=interval).fit_transform(X)
    assert ours.shape == theirs.shape == (40, 7 * (2 * steps - 1)) and ours.dtype == dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_the_map_approximates_the_chi2_kernel():
    rng = np.random.default_rng(1)
    X = rng.random((30, 16))
    X /= X.sum(axis=1, keepdims=True)
    mapped = fastlin.AdditiveChi2Map(3).fit_transform(X)
    exact = np.array([[np.sum(2 * a * b / (a + b)) for b in X] for a in X])
    np.testing.assert_allclose(mapped @ mapped.T, exact, rtol=6e-2)  # 3 samples of the spectrum: within 5%
    hell = fastlin.HellingerMap().fit_transform(X)
    np.testing.assert_allclose(hell @ hell.T, np.sqrt(X[:, None, :] * X[None, :, :]).sum(-1), rtol=1e-12)


@pytest.mark.parametrize(
    "make, X, exc, match",
    [
        (lambda: fastlin.AdditiveChi2Map(), -np.ones((2, 2)), ValueError, "non-negative"),
        (lambda: fastlin.AdditiveChi2Map(4), np.ones((2, 2)), ValueError, "needs a sample_interval"),
        (lambda: fastlin.AdditiveChi2Map(0), np.ones((2, 2)), ValueError, "sample_steps must be >= 1"),
        (lambda: fastlin.AdditiveChi2Map(2, -1.0), np.ones((2, 2)), ValueError, "sample_interval must be > 0"),
        (lambda: fastlin.HellingerMap(), np.full((2, 2), np.nan), ValueError, "NaN"),
    ],
)
def test_bad_input(make, X, exc, match):
    with pytest.raises(exc, match=match):
        make().fit_transform(X)
