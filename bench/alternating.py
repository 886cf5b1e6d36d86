"""A loss alternating with a NumPy product, under the thread settings that decide its cost.

Usage: ``python -m bench.alternating [ROUNDS]``. Each setting runs in a fresh process, since
the variables are read when the libraries load: OpenBLAS's ``OPENBLAS_THREAD_TIMEOUT`` at
``import numpy``, GNU OpenMP's ``GOMP_SPINCOUNT`` at Numba's first parallel launch (fastlin
sets 1000 unless the user chose a spin count or a wait policy; a library that ships its own
``libgomp.so.1``, such as torch, imported before fastlin's first kernel, has read them before
fastlin could set them, and the process shares that copy). Prints, per setting and
dtype, the medians of the loss alone, ``X @ V`` alone and the two in turn, and the turn's
time over the sum of the parts (1.0: no cost for living next to NumPy).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

PROBE = """
import sys, time

if sys.argv[2] == "torch-first":
    import torch  # noqa: F401  (its libgomp.so.1 loads, and reads the environment, first)
import numpy as np
import fastlin

rounds = int(sys.argv[1])
rng = np.random.default_rng(0)


def median_ms(fn):
    fn()
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


for dtype in ("float32", "float64"):
    X = rng.standard_normal((500, 3073)).astype(dtype)
    W = (1e-3 * rng.standard_normal((3073, 10))).astype(dtype)
    y = rng.integers(0, 10, 500)
    V = rng.standard_normal((3073, 64)).astype(dtype)
    alone = median_ms(lambda: fastlin.svm_loss(W, X, y, 2.5e4))
    product = median_ms(lambda: X @ V)
    turn = median_ms(lambda: (fastlin.svm_loss(W, X, y, 2.5e4), X @ V))
    print(f"{dtype} {alone:.3f} {product:.3f} {turn:.3f}")
"""

# (setting, extra environment, probe flag)
SETTINGS = (
    ("fastlin's default (GOMP_SPINCOUNT=1000)", {}, ""),
    ("GNU OpenMP's default spin (GOMP_SPINCOUNT=300000)", {"GOMP_SPINCOUNT": "300000"}, ""),
    ("torch imported first: its libgomp read the environment before fastlin set it", {}, "torch-first"),
    ("torch imported first, GOMP_SPINCOUNT=1000 set by the user", {"GOMP_SPINCOUNT": "1000"}, "torch-first"),
    ("GOMP_SPINCOUNT=1000, OPENBLAS_THREAD_TIMEOUT=4", {"OPENBLAS_THREAD_TIMEOUT": "4"}, ""),
)


def main(rounds: int = 41) -> None:
    base = {
        k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")
    }
    print("| setting | dtype | fastlin alone | numpy alone | alternating | alternating / sum |")
    print("|---|---|---|---|---|---|")
    for name, extra, flag in SETTINGS:
        if flag == "torch-first" and importlib.util.find_spec("torch") is None:
            continue
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(rounds), flag or "-"],
            env={**base, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        for line in out.stdout.split("\n"):
            if not line.strip():
                continue
            dtype, alone, product, turn = line.split()
            ratio = float(turn) / (float(alone) + float(product))
            print(f"| {name} | {dtype} | {alone} ms | {product} ms | {turn} ms | {ratio:.2f} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
