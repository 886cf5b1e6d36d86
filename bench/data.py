"""Benchmark inputs, made once per process and cached."""

from functools import lru_cache

import numpy as np

#: (N, D, C): the CIFAR-10 minibatch, the full CIFAR-10 training set, a wide-class case
LOSS_SHAPES = [(500, 3073, 10), (49000, 3073, 10), (10000, 512, 100)]


@lru_cache(maxsize=2)
def loss_problem(N, D, C, dtype_name):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D), dtype=np.float32).astype(dtype_name)
    W = (1e-2 * rng.standard_normal((D, C))).astype(dtype_name)
    y = rng.integers(0, C, N)
    return W, X, y
