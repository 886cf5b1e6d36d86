"""Schedules, the SGD step with in-kernel batch gathering, random search."""

import numpy as np
import pytest

import fastlin
from fastlin import optim
from fastlin.losses import loss_grad_rows
from tests.helpers import assert_close, make_problem


def test_schedules():
    assert optim.Constant(0.1)(500) == 0.1
    assert optim.StepDecay(1.0, 0.5, 10)(25) == 0.25
    assert optim.Exponential(1.0, 0.9)(2) == pytest.approx(0.81)
    assert optim.InverseScaling(1.0, 0.5)(3) == pytest.approx(0.5)
    cos = optim.Cosine(1.0, 100)
    assert cos(0) == 1.0 and cos(50) == pytest.approx(0.5) and cos(100) == pytest.approx(0.0)
    for name in optim.SCHEDULES:
        s = optim.make_schedule(name, 0.2, 100)
        assert s(0) == pytest.approx(0.2)
        assert s(99) <= 0.2
    assert optim.make_schedule(lambda t: 7.0, 0.2, 10)(3) == 7.0
    with pytest.raises(ValueError, match="schedule must be one of"):
        optim.make_schedule("linear", 0.1, 10)


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@pytest.mark.parametrize("gathered", [False, True])
def test_batch_loss_grad_tiers_agree_with_rows_and_bias(kind, gathered, dtype):
    W, X, y_all = make_problem(90, 13, 6, dtype=dtype, seed=2)
    bias = np.linspace(-1, 1, 6).astype(dtype)
    rows = np.random.default_rng(0).permutation(90)[:37] if gathered else None
    y = y_all if rows is None else y_all[rows]
    n = len(y)
    w = np.random.default_rng(1).uniform(0.5, 1.5, n)
    w /= w.sum()
    WT = np.ascontiguousarray(W.T)
    out = {
        impl: loss_grad_rows(kind, X, rows, WT, bias, y, w, 1.0, (0.0, 0.0), impl, None)
        for impl in ("naive", "vectorized", "jit")
    }
    for _impl, (loss, dWT, db) in out.items():
        dW = dWT.T
        assert_close(loss, out["naive"][0], dtype)
        assert_close(dW, out["naive"][1].T, dtype)
        assert_close(db, out["naive"][2], dtype)
        assert dW.shape == W.shape and db.shape == (6,)
    # the bias is the bias trick: a column of ones and a last row of W
    Xb = np.hstack([X if rows is None else X[rows], np.ones((n, 1), dtype)])
    loss_ref, dW_ref = getattr(fastlin, f"{kind}_loss")(np.vstack([W, bias]), Xb, y, sample_weight=w)
    assert_close(out["jit"][0], loss_ref, dtype)
    assert_close(out["jit"][2], dW_ref[-1], dtype)


def learnable(N=300, D=20, C=4):
    W, X, _ = make_problem(N, D, C, seed=3)
    return W, X, np.argmax(X @ W, axis=1)  # labels a linear classifier can learn


def sgd_run(seed, **kw):
    W, X, y = learnable()
    state = optim.new_state(np.zeros_like(W), np.zeros(4))
    kw = {"num_iters": 60, "schedule": optim.Constant(0.05), "batch_size": 32, "reg": 1e-3, **kw}
    history = optim.sgd("softmax", X, y, state, rng=np.random.default_rng(seed), **kw)
    return history, state


def test_sgd_is_reproducible_and_learns():
    h1, s1 = sgd_run(0)
    h2, s2 = sgd_run(0)
    np.testing.assert_array_equal(h1, h2)
    np.testing.assert_array_equal(s1.W, s2.W)
    h3, _ = sgd_run(1)
    assert not np.array_equal(h1, h3)
    assert h1[-10:].mean() < 0.7 * h1[0]


@pytest.mark.parametrize("impl", ["naive", "vectorized"])
def test_sgd_tiers_follow_the_same_path(impl):
    h_jit, s_jit = sgd_run(0, momentum=0.5)
    h, s = sgd_run(0, momentum=0.5, impl=impl)
    np.testing.assert_allclose(h, h_jit, rtol=1e-9)
    np.testing.assert_allclose(s.W, s_jit.W, rtol=1e-8, atol=1e-12)


def test_full_batch_gradient_descent_decreases_the_loss_every_step():
    history, _ = sgd_run(0, batch_size=None, num_iters=30, schedule=optim.Constant(0.1))
    assert (np.diff(history) < 0).all()


def test_sgd_diverging_is_an_error():
    with pytest.raises(FloatingPointError, match="diverged"):
        sgd_run(0, schedule=optim.Constant(1e200), num_iters=20)


def test_random_search_loses_clearly_to_sgd():
    W, X, y = learnable()
    _, best = optim.random_search(lambda w: fastlin.softmax_loss(w, X, y)[0], W.shape, num_tries=200, random_state=0)
    model = fastlin.SoftmaxClassifier(num_iters=200, random_state=0, fit_intercept=False, reg=0.0).fit(X, y)
    sgd_loss = fastlin.softmax_loss(model.coef_, X, y)[0]
    assert best > np.log(4) - 0.05  # random W barely beats chance
    assert sgd_loss < 0.8 * best
    with pytest.raises(TypeError, match="loss must be callable"):
        optim.random_search(None, (2, 2))
    with pytest.raises(ValueError, match="num_tries must be >= 1"):
        optim.random_search(np.sum, (2, 2), num_tries=0)
