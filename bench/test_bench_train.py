"""Training: SoftmaxClassifier.fit against CS231n's SGD loop, 1500 steps of batch 200."""

import warnings
from functools import lru_cache

import numpy as np
import pytest

import fastlin
from tests import peers

C, BATCH, LR, REG = 10, 200, 1e-7, 2.5e4
FULL = (49000, 3073, 1500)  # N, D, steps: CIFAR-10's training split, raw pixels and the bias
SMOKE = (1000, 65, 5)


@lru_cache(maxsize=2)
def cifar_like(N, D):
    rng = np.random.default_rng(0)
    X = rng.uniform(-128, 128, (N, D)).astype(np.float32)  # mean-subtracted pixels, bias column
    X[:, -1] = 1.0
    y = rng.integers(0, C, N)
    return X, y


def _kernel_alone(X, y, W0, steps):
    """The jit tier's loss kernel alone on ``steps`` batches gathered beforehand: the floor of
    ``fit``'s steps (what lies above it is the step's own overhead: Python, checks, update)."""
    from fastlin import _tiers
    from fastlin.regularizers import penalty_coefficients

    kernel = _tiers.get("losses", "loss_grad_rows", "jit")
    rng = np.random.default_rng(2)
    picks = [rng.integers(0, len(X), BATCH) for _ in range(steps)]
    batches = [(np.ascontiguousarray(X[rows]), y[rows]) for rows in picks]
    WT, bias, weights = np.ascontiguousarray(W0.T), np.zeros(C, np.float32), np.full(BATCH, 1.0 / BATCH)
    l2, l1 = penalty_coefficients(REG, "l2", 0.5)

    def run():
        for Xb, yb in batches:
            kernel(Xb, None, WT, bias, yb, weights, 1.0, "softmax", l2, l1)

    return run


@pytest.mark.parametrize("who", ["jit", "vectorized", "cs231n", "kernel"])
def test_sgd_training(benchmark, who, smoke):
    N, D, STEPS = SMOKE if smoke else FULL
    X, y = cifar_like(N, D)
    W0 = (1e-3 * np.random.default_rng(1).standard_normal((D, C))).astype(np.float32)
    if who == "cs231n":
        run = lambda: peers.cs231n_softmax_train(X, y, W0, LR, REG, STEPS, BATCH)  # noqa: E731
    elif who == "kernel":
        run = _kernel_alone(X, y, W0, STEPS)
    else:
        model = fastlin.SoftmaxClassifier(
            reg=REG,
            learning_rate=LR,
            schedule="constant",
            batch_size=BATCH,
            num_iters=STEPS,
            momentum=0.0,
            fit_intercept=False,
            random_state=0,
            impl=who,
        )
        run = lambda: model.fit(X, y)  # noqa: E731
        model.set_params(num_iters=5).fit(X, y)  # warm-up (compilation)
        model.set_params(num_iters=STEPS)
    run()
    benchmark.group = f"train|{STEPS}x{BATCH} on {N}x{D}|float32"
    benchmark.extra_info["steps"] = STEPS
    benchmark.pedantic(run, rounds=3, iterations=1)


LBFGS_FULL = (10000, 3073, 200)  # N, D, L-BFGS iterations at most
LBFGS_SMOKE = (500, 65, 50)


@pytest.mark.parametrize("who", ["jit", "vectorized", "sklearn"])
def test_lbfgs_training(benchmark, who, smoke):
    """Full-batch L-BFGS on the softmax loss to convergence: fastlin's polish (its loss kernel
    under SciPy's L-BFGS-B) against scikit-learn's LogisticRegression, each stopping by its
    own rule; both must reach the same objective."""
    N, D, ITERS = LBFGS_SMOKE if smoke else LBFGS_FULL
    X, y = cifar_like(N, D)
    X = X / 128.0  # a scale at which the penalty below matters
    reg = 1e-3
    if who == "sklearn":
        sklearn_lm = pytest.importorskip("sklearn.linear_model", reason="scikit-learn is not installed")
        # scikit-learn: ||W||^2 / 2 + C * sum of losses, so C = 1 / (2 * reg * N). Its default
        # tol (1e-4) stops 8e-4 above the optimum here; with tol=0 its L-BFGS-B stops by SciPy's
        # own rule, as fastlin's does
        model = sklearn_lm.LogisticRegression(C=1.0 / (2 * reg * N), max_iter=ITERS, tol=0.0, fit_intercept=False)
    else:
        model = fastlin.SoftmaxClassifier(
            reg=reg, num_iters=1, batch_size=None, learning_rate=1e-12, fit_intercept=False, impl=who,  # SGD: a no-op
            polish_iters=ITERS, random_state=0,
        )  # fmt: skip

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning, if any
            return model.fit(X, y)

    run()  # warm-up (compilation)
    benchmark.group = f"train|L-BFGS to convergence on {N}x{D}|float32"
    benchmark.pedantic(run, rounds=3, iterations=1)
    W = model.coef_.T if who == "sklearn" else model.coef_
    objective = fastlin.softmax_loss(W.astype(np.float64), X.astype(np.float64), y, reg=reg)[0]
    benchmark.extra_info["objective"] = objective
    iterations = model.n_iter_[0] if who == "sklearn" else model.n_polish_iter_
    benchmark.extra_info["iterations"] = int(iterations)
    # the same optimum: the objective's minimum is about 0.787 at the full shape
    reference = _lbfgs_reference_objective(N, D, reg)
    assert objective == pytest.approx(reference, rel=1e-4)


@lru_cache(maxsize=2)
def _lbfgs_reference_objective(N, D, reg):
    """The objective at the optimum: fastlin's polish in float64, run to its own convergence."""
    X, y = cifar_like(N, D)
    X = X.astype(np.float64) / 128.0
    model = fastlin.SoftmaxClassifier(
        reg=reg, num_iters=1, batch_size=None, learning_rate=1e-12, fit_intercept=False, polish_iters=2000
    ).fit(X, y)
    return fastlin.softmax_loss(model.coef_, X, y, reg=reg)[0]
