"""Shared test helpers: random problems and the tier tolerance."""

import numpy as np

IMPLS = ("naive", "vectorized", "jit")
#: relative tolerance between tiers, per dtype
RTOL = {np.float32: 1e-4, np.float64: 1e-10}


def make_problem(N, D, C, dtype=np.float64, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    W = (scale * rng.standard_normal((D, C))).astype(dtype)
    y = rng.integers(0, C, N)
    return W, X, y


def assert_close(a, b, dtype):
    """Loss or gradient agreement at the tier tolerance, scaled by the largest entry."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)
