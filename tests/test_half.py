"""float16 features: widened exactly, read by every tier and the classifiers, never copied whole."""

import numpy as np
import pytest
from numba import njit

import fastlin
from fastlin.jit._half import widen_row
from fastlin.losses import loss_grad_rows
from tests.helpers import IMPLS, assert_close, make_problem

KINDS = ("svm", "squared_hinge", "softmax", "ovr_svm", "ovr_squared_hinge")


def test_every_float16_widens_exactly():
    bits = np.arange(2**16, dtype=np.uint32).astype(np.uint16)  # every half: zeros, subnormals, inf, NaN
    out = np.empty(len(bits), dtype=np.float32)
    njit(lambda b, o: widen_row(b, o))(bits, out)  # a kernels' helper: no entry from Python of its own
    expected = bits.view(np.float16).astype(np.float32)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(out.view(np.uint32)[finite], expected.view(np.uint32)[finite])  # -0 too
    assert np.array_equal(np.isnan(out), np.isnan(expected))
    assert np.array_equal(np.isposinf(out), np.isposinf(expected)) and np.isneginf(out).sum() == 1


def _half_problem(N, D, C, seed):
    W, X, y = make_problem(N, D, C, dtype=np.float32, seed=seed, scale=0.3)
    X = X.astype(np.float16)
    X[0, :3] = np.array([6e-8, -3e-6, 0.0], dtype=np.float16)  # subnormal halves and a zero
    return W, X, y


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("C", [3, 10, 40], ids=lambda c: f"C{c}")  # 40: the jit tier's GEMM path
def test_float16_equals_its_float32_widening_in_every_tier(kind, C):
    W, X, y = _half_problem(300, 37, C, seed=C)
    rng = np.random.default_rng(0)
    rows = rng.permutation(300)[:130]
    weights = np.full(130, 1 / 130)
    WT = np.ascontiguousarray(W.T)
    bias = (0.1 * rng.standard_normal(C)).astype(np.float32)
    wide = X.astype(np.float32)
    for impl in IMPLS:
        half = loss_grad_rows(kind, X, rows, WT, bias, y[rows], weights, 1.0, (0.1, 0.05), impl, None)
        ref = loss_grad_rows(kind, wide, rows, WT, bias, y[rows], weights, 1.0, (0.1, 0.05), impl, None)
        assert half[1].dtype == np.float32, impl
        if impl == "jit":  # the same float32 tiles on the same widened rows: the same bits
            assert half[0] == ref[0]
            np.testing.assert_array_equal(half[1], ref[1])
            np.testing.assert_array_equal(half[2], ref[2])
        else:
            assert_close(half[0], ref[0], np.float32)
            assert_close(half[1], ref[1], np.float32)


@pytest.mark.parametrize("C", [5, 40], ids=lambda c: f"C{c}")
def test_public_losses_take_float16(C):
    W, X, y = _half_problem(90, 20, C, seed=1)
    for fn in (fastlin.svm_loss, fastlin.squared_hinge_loss, fastlin.softmax_loss):
        ref_loss, ref_dW = fn(W, X.astype(np.float32), y, 0.1, impl="naive")
        for impl in IMPLS:
            loss, dW = fn(W, X, y, 0.1, impl=impl)
            assert dW.dtype == np.float32
            assert_close(loss, ref_loss, np.float32)
            assert_close(dW, ref_dW, np.float32)


def test_the_gemm_path_widens_a_piece_at_a_time(monkeypatch):
    from fastlin.jit import losses as jit_losses

    W, X, y = _half_problem(1000, 16, 40, seed=2)
    whole = fastlin.softmax_loss(W, X, y, 0.1)
    monkeypatch.setattr(jit_losses, "HALF_GEMM_ROWS", 128)  # eight pieces
    pieces = fastlin.softmax_loss(W, X, y, 0.1)
    assert_close(pieces[0], whole[0], np.float32)
    assert_close(pieces[1], whole[1], np.float32)


def test_nan_or_inf_in_float16_is_refused():
    W, X, y = _half_problem(20, 6, 3, seed=3)
    for bad in (np.nan, np.inf):
        Xb = X.copy()
        Xb[4, 2] = bad
        for impl in IMPLS:
            with pytest.raises(ValueError, match="NaN or inf"):
                fastlin.svm_loss(W, Xb, y, impl=impl)


@pytest.mark.parametrize("cls", [fastlin.LinearSVM, fastlin.SoftmaxClassifier])
def test_classifiers_fit_float16_as_its_float32_widening(cls):
    W, X, y = _half_problem(600, 30, 4, seed=4)
    kw = dict(num_iters=60, batch_size=50, random_state=0, polish_iters=10, n_threads=1)
    half = cls(**kw).fit(X, y)
    wide = cls(**kw).fit(X.astype(np.float32), y)
    assert half.coef_.dtype == np.float32
    np.testing.assert_array_equal(half.coef_, wide.coef_)  # the jit tier reads the same float32 values
    np.testing.assert_array_equal(half.decision_function(X), wide.decision_function(X.astype(np.float32)))
    part = cls(**kw).partial_fit(X[:300], y[:300], classes=np.arange(4)).partial_fit(X[300:], y[300:])
    assert part.coef_.dtype == np.float32


def test_scores_of_float16_are_widened_a_block_at_a_time(monkeypatch):
    import fastlin.classifiers

    W, X, y = _half_problem(500, 12, 3, seed=5)
    model = fastlin.LinearSVM(num_iters=20, random_state=0).fit(X, y)
    whole = model.decision_function(X)
    monkeypatch.setattr(fastlin.classifiers, "SCORE_ROWS", 64)
    np.testing.assert_array_equal(model.decision_function(X), whole)


def test_standardizer_keeps_float16_and_computes_in_float32():
    rng = np.random.default_rng(6)
    X = (3 * rng.standard_normal((5000, 40)) + 7).astype(np.float16)
    scaler = fastlin.Standardizer(eps=0.01).fit(X)
    ref = fastlin.Standardizer(eps=0.01).fit(X.astype(np.float32))
    np.testing.assert_allclose(scaler.mean_, ref.mean_, rtol=1e-12)  # the same float64 statistics
    Z = scaler.transform(X)
    assert Z.dtype == np.float16
    np.testing.assert_allclose(Z, ref.transform(X.astype(np.float32)), rtol=1e-3, atol=1e-3)
    in_place = fastlin.Standardizer(eps=0.01, copy=False).fit(X)
    assert in_place.transform(X) is X
    narrow = (1 + rng.normal(0, 1e-3, (5000, 1))).astype(np.float16)  # a deviation of 1e-3
    with pytest.raises(FloatingPointError, match="float16"):
        fastlin.Standardizer().fit(narrow).transform(np.full((2, 1), 6e4, dtype=np.float16))


def test_sgd_on_float16_never_copies_x():
    import tracemalloc

    W, X, y = _half_problem(20000, 200, 10, seed=7)
    model = fastlin.LinearSVM(num_iters=5, batch_size=256, random_state=0)
    model.fit(X, y)  # compile outside the measurement
    tracemalloc.start()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 4  # no float32 (16 MB) or float16 (8 MB) copy of X
