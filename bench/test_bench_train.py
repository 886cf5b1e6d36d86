"""Training: SoftmaxClassifier.fit against CS231n's SGD loop, 1500 steps of batch 200."""

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


@pytest.mark.parametrize("who", ["jit", "vectorized", "cs231n"])
def test_sgd_training(benchmark, who, smoke):
    N, D, STEPS = SMOKE if smoke else FULL
    X, y = cifar_like(N, D)
    W0 = (1e-3 * np.random.default_rng(1).standard_normal((D, C))).astype(np.float32)
    if who == "cs231n":
        run = lambda: peers.cs231n_softmax_train(X, y, W0, LR, REG, STEPS, BATCH)  # noqa: E731
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
