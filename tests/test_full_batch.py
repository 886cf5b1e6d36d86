"""L-BFGS on the full-batch loss (fastlin.full_batch) and the classifiers' ``polish_iters``."""

import numpy as np
import pytest

import fastlin
from fastlin.datasets import load_digits
from fastlin.full_batch import lbfgs
from fastlin.losses import loss_grad_rows
from fastlin.optim import new_state

TIERS = ("naive", "vectorized", "jit")


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits()
    X = images.reshape(len(images), -1).astype(np.float64)[:600]
    X = (X - X.mean(0)) / (X.std(0) + 1.0)
    return X, labels[:600].astype(np.intp)


def _gradient_norm(kind, X, y, state, reg, weights=None):
    """|gradient| of the full-batch objective (float64, the naive tier) at ``state``."""
    w = np.full(len(y), 1.0 / len(y)) if weights is None else weights / weights.sum()
    WT = np.ascontiguousarray(state.W.T, dtype=np.float64)
    _, dWT, db = loss_grad_rows(kind, X, None, WT, state.b.astype(np.float64), y, w, 1.0, (reg, 0.0), "naive", 1)
    return np.sqrt((dWT**2).sum() + (db**2).sum())


def _start(X, C=10, seed=0):
    rng = np.random.default_rng(seed)
    return new_state((1e-3 * rng.standard_normal((X.shape[1], C))).astype(X.dtype), np.zeros(C, X.dtype))


@pytest.mark.parametrize("kind", ["softmax", "squared_hinge", "ovr_squared_hinge"])
@pytest.mark.parametrize("impl", TIERS)
def test_reaches_the_optimum_of_a_smooth_loss(digits, kind, impl):
    X, y = digits
    state = _start(X)
    before = _gradient_norm(kind, X, y, state, 1e-2)
    history = lbfgs(kind, X, y, state, max_iter=500, reg=1e-2, impl=impl, n_threads=2)
    assert 0 < len(history) <= 500
    assert np.all(np.diff(history) <= 1e-12 * abs(history[0]))  # L-BFGS-B never accepts a rise
    assert _gradient_norm(kind, X, y, state, 1e-2) < 1e-4 * before


def test_every_tier_finds_the_same_minimizer(digits):
    X, y = digits
    found = []
    for impl in TIERS:
        state = _start(X)
        lbfgs("softmax", X, y, state, max_iter=500, reg=1e-2, impl=impl)
        found.append(np.concatenate([state.W.ravel(), state.b]))
    for other in found[1:]:
        np.testing.assert_allclose(other, found[0], rtol=0, atol=1e-4 * np.abs(found[0]).max())


def test_softmax_minimizer_equals_scikit_learns_logistic_regression(digits):
    pytest.importorskip("sklearn", reason="scikit-learn is an optional peer")
    from sklearn.linear_model import LogisticRegression

    X, y = digits
    C = 0.1  # scikit-learn: ||W||^2 / 2 + C * sum of losses; fastlin: mean loss + reg * ||W||^2
    reg = 1.0 / (2 * C * len(y))
    state = _start(X)
    lbfgs("softmax", X, y, state, max_iter=2000, reg=reg)
    theirs = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    # the softmax is invariant to adding a constant to every class's weights: compare centred
    ours_W = state.W - state.W.mean(axis=1, keepdims=True)
    their_W = theirs.coef_.T - theirs.coef_.T.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(ours_W, their_W, rtol=0, atol=2e-3 * np.abs(their_W).max())
    assert (np.argmax(X @ state.W + state.b, 1) == theirs.predict(X)).mean() > 0.995


def test_ovr_minimizer_equals_scikit_learns_linear_svc(digits):
    # LIBLINEAR's L2-loss SVC, one versus the rest, solved to its own optimum: the same
    # objective as fastlin's LinearSVM(loss="squared_hinge", multi_class="ovr") without intercept
    pytest.importorskip("sklearn", reason="scikit-learn is an optional peer")
    from sklearn.svm import LinearSVC

    X, y = digits
    C = 0.05  # scikit-learn: ||w_c||^2 / 2 + C * sum of squared hinges, per class
    reg = 1.0 / (2 * C * len(y))
    theirs = LinearSVC(C=C, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, y)
    ours = fastlin.LinearSVM(
        loss="squared_hinge", multi_class="ovr", reg=reg, num_iters=1, learning_rate=1e-6,
        fit_intercept=False, polish_iters=2000, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert ours.n_polish_iter_ < 2000  # converged
    np.testing.assert_allclose(ours.coef_, theirs.coef_.T, rtol=0, atol=1e-3 * np.abs(theirs.coef_).max())
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_a_sample_weight_of_two_is_a_duplicated_row(digits):
    X, y = digits[0][:200], digits[1][:200]
    weights = np.ones(len(y))
    weights[:50] = 2.0
    weighted = _start(X)
    lbfgs("softmax", X, y, weighted, max_iter=1000, reg=1e-2, sample_weight=weights)
    duplicated = _start(X)
    lbfgs("softmax", np.concatenate([X, X[:50]]), np.concatenate([y, y[:50]]), duplicated, max_iter=1000, reg=1e-2)
    np.testing.assert_allclose(weighted.W, duplicated.W, rtol=0, atol=1e-4 * np.abs(duplicated.W).max())


def test_without_an_intercept_the_bias_stays_where_it_was(digits):
    X, y = digits
    state = _start(X)
    state.b[:] = 0.5
    lbfgs("squared_hinge", X, y, state, max_iter=20, reg=1e-2, fit_intercept=False)
    np.testing.assert_array_equal(state.b, np.full(10, 0.5))


def test_float32_stays_float32(digits):
    X, y = digits
    state = _start(X.astype(np.float32))
    lbfgs("softmax", X.astype(np.float32), y, state, max_iter=50, reg=1e-2)
    assert state.W.dtype == np.float32 and state.b.dtype == np.float32
    assert state.W.T.flags.c_contiguous  # the kernels' layout, for the SGD that may follow


@pytest.mark.parametrize("cls", [fastlin.SoftmaxClassifier, fastlin.LinearSVM])
def test_polish_lowers_the_full_batch_loss_after_sgd(digits, cls):
    X, y = digits
    kw = dict(reg=1e-2, num_iters=50, batch_size=32, learning_rate=1e-3, random_state=0)
    if cls is fastlin.LinearSVM:
        kw["loss"] = "squared_hinge"
    sgd_only = cls(**kw).fit(X, y)
    polished = cls(**kw, polish_iters=100).fit(X, y)
    assert sgd_only.n_polish_iter_ == 0 and len(sgd_only.loss_history_) == 50
    assert 0 < polished.n_polish_iter_ <= 100
    assert len(polished.loss_history_) == 50 + polished.n_polish_iter_
    kind = "softmax" if cls is fastlin.SoftmaxClassifier else "squared_hinge"
    w = np.full(len(y), 1.0 / len(y))

    def full_loss(m):
        WT = np.ascontiguousarray(m.coef_.T)
        return loss_grad_rows(kind, X, None, WT, m.intercept_, y, w, 1.0, (1e-2, 0.0), "naive", 1)[0]

    assert full_loss(polished) < 0.9 * full_loss(sgd_only)
    assert polished.loss_history_[-1] == pytest.approx(full_loss(polished), rel=1e-9)
    # the SGD part is unchanged: the same seed gives the same steps
    np.testing.assert_array_equal(polished.loss_history_[:50], sgd_only.loss_history_)


@pytest.mark.parametrize("value", [-1, 1.5, "3", None])
def test_polish_iters_must_be_a_count(digits, value):
    X, y = digits
    with pytest.raises((ValueError, TypeError), match="polish_iters"):
        fastlin.SoftmaxClassifier(polish_iters=value).fit(X, y)


def test_lbfgs_refuses_bad_input(digits):
    X, y = digits
    with pytest.raises(TypeError, match="SGDState"):
        lbfgs("softmax", X, y, (np.zeros((64, 10)), np.zeros(10)), max_iter=5)
    with pytest.raises(ValueError, match="max_iter"):
        lbfgs("softmax", X, y, _start(X), max_iter=0)
    with pytest.raises(ValueError, match="kind"):
        lbfgs("hinge", X, y, _start(X), max_iter=5)
    with pytest.raises(ValueError, match="labels|y"):
        lbfgs("softmax", X, y + 10, _start(X), max_iter=5)
    bad = X.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        lbfgs("softmax", bad, y, _start(X), max_iter=5)


def test_the_command_polishes(tmp_path, capsys):
    from fastlin import cli

    assert cli.main(["train", "--dataset", "digits", "--iters", "50", "--polish", "20", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "L-BFGS iterations" in out
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "--dataset", "digits", "--polish", "-1"])
    assert e.value.code == 2
