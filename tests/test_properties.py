"""Property tests: the tiers agree over random shapes, dtypes, penalties and weights."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlin
from tests.helpers import assert_close

LOSSES = {"svm": fastlin.svm_loss, "softmax": fastlin.softmax_loss}


@st.composite
def problems(draw):
    N = draw(st.integers(1, 40))
    D = draw(st.integers(1, 12))
    C = draw(st.integers(2, 9))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    W = (draw(st.floats(0.01, 3.0)) * rng.standard_normal((D, C))).astype(dtype)
    y = rng.integers(0, C, N)
    weights = rng.uniform(0.1, 2.0, N) if draw(st.booleans()) else None
    return W, X, y, weights, dtype


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    problem=problems(),
    kind=st.sampled_from(sorted(LOSSES)),
    penalty=st.sampled_from(["l2", "l1", "elasticnet"]),
    reg=st.floats(0.0, 2.0),
    l1_ratio=st.floats(0.0, 1.0),
)
def test_tiers_agree(problem, kind, penalty, reg, l1_ratio):
    W, X, y, weights, dtype = problem
    kw = dict(reg=reg, penalty=penalty, l1_ratio=l1_ratio, sample_weight=weights)
    ref_loss, ref_dW = LOSSES[kind](W, X, y, impl="naive", **kw)
    assert ref_loss >= 0.0
    for impl in ("vectorized", "jit"):
        loss, dW = LOSSES[kind](W, X, y, impl=impl, **kw)
        assert dW.dtype == dtype
        assert_close(loss, ref_loss, dtype)
        assert_close(dW, ref_dW, dtype)
