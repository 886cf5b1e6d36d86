"""The loss ladder: naive / vectorized / jit and PyTorch, one group per (loss, shape, dtype)."""

import numpy as np
import pytest

import fastlin
from bench.data import LOSS_SHAPES, loss_problem
from bench.peers import TORCH_LOSSES

LOSSES = {"svm": fastlin.svm_loss, "softmax": fastlin.softmax_loss}
CONTENDERS = ["naive", "vectorized", "jit", "cs231n", "torch"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", LOSS_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", sorted(LOSSES))
@pytest.mark.parametrize("who", CONTENDERS)
def test_loss(benchmark, who, kind, shape, dtype):
    if who == "naive" and shape[0] > 500:
        pytest.skip("the naive tier runs on the minibatch shape only")
    W, X, y = loss_problem(*shape, dtype)
    if who == "cs231n":  # CS231n's vectorized loss as people write it: no input checks at all
        from fastlin.vectorized import losses as cs231n

        weights = np.full(len(y), 1.0 / len(y))
        fn = getattr(cs231n, f"{kind}_loss_grad")
        args = (X, W, y, weights, 1.0) if kind == "svm" else (X, W, y, weights)
    elif who == "torch":
        if TORCH_LOSSES[kind] is None:
            pytest.skip("PyTorch is not installed")
        import torch

        torch.set_num_threads(fastlin._config.max_threads())
        fn = TORCH_LOSSES[kind]
        args = (W, X, y)
    else:
        fn = LOSSES[kind]
        args = (W, X, y)
        benchmark.extra_info["impl"] = who
    kw = {"impl": who} if who in ("naive", "vectorized", "jit") else {}
    fn(*args, **kw)  # warm-up: compile time is measured apart (bench/compile_times.py)
    benchmark.group = f"{kind}|{'x'.join(map(str, shape))}|{dtype}"
    benchmark.extra_info["flops"] = 4 * shape[0] * shape[1] * shape[2]
    loss, dW = benchmark(fn, *args, **kw)
    assert np.isfinite(loss) and dW.shape == W.shape


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_reference(benchmark, dtype):
    """A large square NumPy matmul: the machine's practical FLOP rate, for comparison."""
    n = 2048
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    a @ b
    benchmark.group = f"matmul|{n}x{n}|{dtype}"
    benchmark.extra_info["flops"] = 2 * n**3
    benchmark(np.matmul, a, b)
