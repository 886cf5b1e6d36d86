"""The GEMM path with class-major scores (float64, ``fastlin._spec.gemm_class_major``).

Its pass (``scores_pass_columns`` and ``fastlin.jit._lanes``) must give what the row-wise
pass gives on the same scores, and the whole loss what the naive tier gives.
"""

import numpy as np
import pytest
from numba import njit

import fastlin
import fastlin._spec as spec
import fastlin.jit.losses as jit_losses
from fastlin.jit._bits import float_keys
from fastlin.jit._exp import FLOOR_32, FLOOR_64, exp_shifted_lanes
from fastlin.jit.losses import CODES, scores_pass_columns, scores_pass_rows
from tests.helpers import assert_close, make_problem
from tests.test_losses import LOSSES


def _passes(kind, S, bias, y, weights, delta):
    """Both passes on copies of S: (row-wise loss, db, finite, dS), (class-major ...)."""
    rows = S.copy()
    loss_r, db_r, finite_r = scores_pass_rows(rows, bias, y, weights, delta, kind, 3)
    columns = np.ascontiguousarray(S.T)
    loss_c, db_c, finite_c = scores_pass_columns(columns, bias, y, weights, delta, kind)
    return (loss_r, db_r, finite_r, rows), (loss_c, db_c, finite_c, columns.T)


@pytest.mark.parametrize("kind", sorted(CODES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("delta", [1.0, 0.0])
def test_the_class_major_pass_equals_the_row_wise_pass(kind, dtype, delta):
    rng = np.random.default_rng(7)
    N, C = 300, 37  # 300 rows: two whole blocks of 128 lanes and a remainder
    S = (3 * rng.standard_normal((N, C))).astype(dtype)
    S[5, :] = S[5, 0]  # a row of ties
    bias = rng.standard_normal(C).astype(dtype)
    y = rng.integers(0, C, N)
    weights = rng.uniform(0, 2, N) / N
    row, col = _passes(kind, S, bias, y, weights, delta)
    assert col[2] and row[2]
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(col[0], row[0], rtol=rtol)
    np.testing.assert_allclose(col[1], row[1], rtol=rtol, atol=rtol * np.abs(row[1]).max())
    np.testing.assert_allclose(col[3], row[3], rtol=rtol, atol=rtol * np.abs(row[3]).max())


@pytest.mark.parametrize("kind", sorted(CODES))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_the_class_major_pass_reports_a_non_finite_score(kind, bad):
    rng = np.random.default_rng(1)
    S = rng.standard_normal((200, 40))
    S[150, 17] = bad  # in the second block of lanes
    y = rng.integers(0, 40, 200)
    ST = np.ascontiguousarray(S.T)
    _, _, finite = scores_pass_columns(ST, np.zeros(40), y, np.full(200, 1 / 200), 1.0, kind)
    assert not finite


def test_scores_near_the_float64_limit_are_not_taken_for_non_finite():
    # the check sums every score times 0: it cannot overflow, where a sum of the scores would
    rng = np.random.default_rng(5)
    S = np.where(rng.random((130, 40)) < 0.5, 1e308, -1e308)
    S[:, 0] = 1e308
    y = np.zeros(130, dtype=np.int64)  # each row's correct class holds its largest score
    ST = np.ascontiguousarray(S.T)
    loss, _, finite = scores_pass_columns(ST, np.zeros(40), y, np.full(130, 1 / 130), 1.0, "softmax")
    assert finite and np.isfinite(loss)


@njit(cache=False)
def _exp_lanes(values, tops):
    scales = np.empty_like(values)
    totals = np.zeros(values.shape[0])
    exp_shifted_lanes(values, tops, scales, float_keys(scales), totals)
    return totals


@pytest.mark.parametrize(("dtype", "floor", "ulps"), [(np.float32, FLOOR_32, 4), (np.float64, FLOOR_64, 2)])
def test_exp_shifted_lanes_each_with_its_own_top(dtype, floor, ulps):
    rng = np.random.default_rng(2)
    x = np.concatenate([np.linspace(floor - 10, 0, 50_001), [0.0, -0.0]]).astype(dtype)
    tops = rng.uniform(-50, 50, len(x)).astype(dtype)
    values = (x + tops).astype(dtype)
    shifted = (values - tops).astype(np.float64)  # as the kernel rounds it
    out = values.copy()
    totals = _exp_lanes(out, tops)
    reference = np.exp(shifted)
    kept = shifted >= floor
    rel = np.abs(out[kept] - reference[kept]) / reference[kept]
    assert rel.max() <= ulps * np.finfo(dtype).eps
    assert (out[~kept] == 0).all() and kept.sum() < len(x)
    np.testing.assert_array_equal(totals, out.astype(np.float64))  # each lane's own sum


def test_the_rule_takes_the_class_major_path_for_float64_only():
    n = spec.CLASS_MAJOR_MIN_ROWS
    assert spec.gemm_class_major(n, 100, np.float64)
    assert not spec.gemm_class_major(n - 1, 100, np.float64)
    assert not spec.gemm_class_major(n, spec.CLASS_MAJOR_MAX_CLASSES + 1, np.float64)
    assert not spec.gemm_class_major(n, 100, np.float32)


@pytest.mark.parametrize("kind", sorted(LOSSES))
@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_class_major_losses_equal_the_naive_tier(kind, penalty):
    # at the rule's own threshold: the jit tier takes the class-major path by itself
    W, X, y = make_problem(spec.CLASS_MAJOR_MIN_ROWS, 6, 40, dtype=np.float64, seed=11)
    assert spec.gemm_class_major(X.shape[0], W.shape[1], X.dtype)
    w = np.random.default_rng(3).uniform(0, 2, X.shape[0])
    kw = dict(reg=0.3, penalty=penalty, l1_ratio=0.25, sample_weight=w)
    loss, dW = LOSSES[kind](W, X, y, impl="jit", **kw)
    ref_loss, ref_dW = LOSSES[kind](W, X, y, impl="naive", **kw)
    assert dW.dtype == np.float64 and dW.flags.c_contiguous
    assert_close(loss, ref_loss, np.float64)
    assert_close(dW, ref_dW, np.float64)


def test_class_major_mini_batches_and_bias_in_sgd(monkeypatch):
    # SGD's steps pass row indices and a bias: the same weights either way
    calls = []
    monkeypatch.setattr(jit_losses, "scores_pass_columns", lambda *a: calls.append(1) or scores_pass_columns(*a))
    monkeypatch.setattr(spec, "CLASS_MAJOR_MIN_ROWS", 1)
    W, X, y = make_problem(400, 8, 40, dtype=np.float64, seed=4)
    fits = []
    for max_classes in (spec.CLASS_MAJOR_MAX_CLASSES, 0):  # class-major, then row-major
        monkeypatch.setattr(spec, "CLASS_MAJOR_MAX_CLASSES", max_classes)
        clf = fastlin.SoftmaxClassifier(learning_rate=0.1, reg=1e-3, num_iters=30, batch_size=64, random_state=0)
        fits.append(clf.fit(X, y))
        assert len(calls) == 30  # one class-major pass a step, none in the row-major fit
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fits[0].intercept_, fits[1].intercept_, rtol=1e-10, atol=1e-13)
