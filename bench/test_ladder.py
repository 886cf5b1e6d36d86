"""The speed ladder: every operation of ``tests/registry.py``, every tier and every peer.

One benchmark group per (operation, shape, dtype); ``python -m bench.report`` turns the
saved medians into tables of ratios. Compile time is kept out (a warm-up call runs first;
``python -m bench.compile_times`` measures it apart).
"""

import time

import numpy as np
import pytest

import fastlin
from tests.registry import LOSS_BENCH_SHAPES, OPERATIONS

ROUNDS = 5  # a median of this many rounds for calls long enough to be timed one at a time


def test_ladder(benchmark, ladder_case):
    name, shape, dtype, who = ladder_case
    op = OPERATIONS[name]
    case = op.case(shape, dtype, bench=True)
    if who in op.tiers:
        run = lambda: op.run(case, case.data, who, None)  # noqa: E731
    else:
        peer = next(p for p in op.peers if p.name == who)
        run = peer.make(case)
        if run is None:
            pytest.skip(f"{who} is not installed or does not take {dtype}")
    start = time.perf_counter()
    result = run()  # warm-up: compilation, caches
    warm_up = time.perf_counter() - start
    benchmark.group = f"{name}|{case.label}|{dtype}"
    benchmark.extra_info["who"] = who
    if op.flops is not None:
        benchmark.extra_info["flops"] = op.flops(shape)
    if name == "kmeans":
        benchmark.extra_info["inertia"] = float(result[2])
    if warm_up > 0.2:  # long calls: a fixed number of rounds
        benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    else:  # short calls: as many rounds as a second holds, so the BLAS threads a previous
        benchmark(run)  # contender left spinning do not decide the median


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_reference(benchmark, smoke, dtype):
    """A large square NumPy matmul: the machine's practical FLOP rate."""
    n = 256 if smoke else 2048
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    a @ b
    benchmark.group = f"matmul|{n}x{n}|{dtype}"
    benchmark.extra_info["flops"] = 2 * n**3
    benchmark(np.matmul, a, b)


def test_streaming_read_reference(benchmark, smoke):
    """One streaming pass over an X of the full-batch loss shape: the machine's memory floor."""
    shape = (1000, 3073) if smoke else (49000, 3073)
    X = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    X.sum()
    benchmark.group = f"read|{'x'.join(map(str, shape))}|float32"
    benchmark.extra_info["bytes"] = X.nbytes
    benchmark(np.sum, X)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("who", ["fastlin", "numpy", "alternating"])
def test_alternating_with_numpy(benchmark, smoke, who, dtype):
    """A training script's turn: the loss, then a NumPy matrix product (BLAS threads)."""
    op = OPERATIONS["svm"]
    case = op.case((64, 33, 10) if smoke else (500, 3073, 10), dtype, bench=True)
    d = case.data
    V = np.random.default_rng(1).standard_normal((d["X"].shape[1], 64)).astype(dtype)
    turns = {
        "fastlin": lambda: fastlin.svm_loss(d["W"], d["X"], d["y"], case.params["reg"]),
        "numpy": lambda: d["X"] @ V,
        "alternating": lambda: (fastlin.svm_loss(d["W"], d["X"], d["y"], case.params["reg"]), d["X"] @ V),
    }
    run = turns[who]
    run()
    benchmark.group = f"alternating|{case.label} + X@V|{dtype}"
    benchmark.extra_info["who"] = who
    benchmark(run)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("who", ["numpy", "numpy class-major", "torch"])
@pytest.mark.parametrize("shape", [s for s in LOSS_BENCH_SHAPES["softmax"] if s[2] >= 100])
def test_loss_gemms_reference(benchmark, smoke, shape, who, dtype):
    """The two products of a loss with many classes alone (``X @ W``, then ``X.T @ dS``): the
    floor of the GEMM path, in NumPy's BLAS and in PyTorch's (which may link another). NumPy's
    also class-major (``W.T @ X.T``, then ``dS.T @ X`` from a (C, N) dS), the layout the jit
    tier takes where the BLAS runs it faster (``fastlin._spec.gemm_class_major``)."""
    N, D, C = (64, 33, 16) if smoke else shape
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D)).astype(dtype)
    W = rng.standard_normal((D, C)).astype(dtype)
    G = rng.standard_normal((N, C)).astype(dtype)
    if who == "torch":
        torch = pytest.importorskip("torch")
        X, W, G = (torch.from_numpy(a) for a in (X, W, G))
    if who == "numpy class-major":
        GT = np.ascontiguousarray(G.T)
        run = lambda: (W.T @ X.T, GT @ X)  # noqa: E731
    else:
        run = lambda: (X @ W, X.T @ G)  # noqa: E731
    run()
    benchmark.group = f"gemms|{N}x{D}x{C}|{dtype}"
    benchmark.extra_info["who"] = who
    benchmark(run)


@pytest.mark.parametrize("shape", [(1000, 32, 32), (1, 256, 256)])
def test_gist_fft_floor(benchmark, smoke, shape):
    """GIST's transforms alone, the ones its jit tier runs (a forward FFT per image; per image
    and filter, the first pass on the lines the filter reaches, the second on the kept lines;
    complex64, every core) on the same batch: the floor of its rows."""
    import numba
    import scipy.fft

    from fastlin.jit.gist import CHUNK_VALUES, _bank

    N, H, W = (4, 16, 16) if smoke else shape
    b = 32
    workers = numba.get_num_threads()
    rows, cols = H + 2 * b, W + 2 * b
    _, _, supports = _bank((8, 8, 8, 8), (rows, cols))
    rng = np.random.default_rng(0)
    padded = rng.random((N, rows, cols), dtype=np.float32)
    chunk = max(1, min(N, CHUNK_VALUES // (rows * cols)))
    # every pass along the last axis, as the jit tier runs them
    firsts = [rng.random((chunk, len(lines), rows if axis == 2 else cols)) for axis, lines in supports]
    seconds = [rng.random((chunk, H, cols) if axis == 2 else (chunk, W, rows)) for axis, _ in supports]
    firsts = [x.astype(np.complex64) for x in firsts]
    seconds = [x.astype(np.complex64) for x in seconds]

    def transforms():
        for start in range(0, N, chunk):
            n = len(padded[start : start + chunk])
            scipy.fft.fft2(padded[start : start + n], workers=workers)
            for first, second in zip(firsts, seconds, strict=True):
                scipy.fft.ifft(first[:n], axis=-1, workers=workers)
                scipy.fft.ifft(second[:n], axis=-1, workers=workers)

    transforms()
    benchmark.group = f"fft|{N}x{H}x{W}|gist"
    benchmark.extra_info["images"] = N
    benchmark.pedantic(transforms, rounds=ROUNDS, iterations=1)
