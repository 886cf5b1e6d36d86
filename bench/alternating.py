"""A loss alternating with a NumPy product, under the thread settings that decide its cost.

Usage: ``python -m bench.alternating [ROUNDS]``, or ``python -m bench.alternating threads``
for where the cores go during the turns (Linux: each thread's CPU time, from ``/proc``).
Each setting runs in a fresh process, since the variables are read when the libraries
load: OpenBLAS's ``OPENBLAS_THREAD_TIMEOUT`` at ``import numpy``, GNU OpenMP's
``GOMP_SPINCOUNT`` at Numba's first parallel launch (fastlin sets 1000 unless the user
chose a spin count or a wait policy; a library that ships its own ``libgomp.so.1``, such as
torch, imported before fastlin's first kernel, has read them before fastlin could set them,
and the process shares that copy). Prints, per setting and dtype, the medians of the loss
alone, ``X @ V`` alone and the two in turn, and the turn's time over the sum of the parts
(1.0: no cost for living next to NumPy).
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
    time.sleep(0.5)  # past OpenBLAS's idle spin (about 0.1 s) after the last product: truly alone
    alone = median_ms(lambda: fastlin.svm_loss(W, X, y, 2.5e4))
    product = median_ms(lambda: X @ V)
    turn = median_ms(lambda: (fastlin.svm_loss(W, X, y, 2.5e4), X @ V))
    print(f"{dtype} {alone:.3f} {product:.3f} {turn:.3f}")
"""

THREADS_PROBE = """
import os, threading, time
import numpy as np
import fastlin

rng = np.random.default_rng(0)
X = rng.standard_normal((500, 3073))
W = 1e-3 * rng.standard_normal((3073, 10))
y = rng.integers(0, 10, 500)
V = rng.standard_normal((3073, 64))


def cpu_ticks():
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks[int(tid)] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


for _ in range(5):
    fastlin.svm_loss(W, X, y, 2.5e4), X @ V
before, start = cpu_ticks(), time.perf_counter()
for _ in range(150):
    fastlin.svm_loss(W, X, y, 2.5e4), X @ V
wall, after = time.perf_counter() - start, cpu_ticks()
hz = os.sysconf("SC_CLK_TCK")
main = threading.get_native_id()
cores = sorted(((after[t] - before.get(t, 0)) / hz / wall, t == main) for t in after)[::-1]
print(f"{1e3 * wall / 150:.3f}", " ".join(f"{c:.2f}{'(main)' if m else ''}" for c, m in cores if c >= 0.01))
"""

# (setting, extra environment, probe flag)
SETTINGS = (
    ("fastlin's default (GOMP_SPINCOUNT=1000)", {}, ""),
    ("GNU OpenMP's default spin (GOMP_SPINCOUNT=300000)", {"GOMP_SPINCOUNT": "300000"}, ""),
    ("torch imported first: its libgomp read the environment before fastlin set it", {}, "torch-first"),
    ("torch imported first, GOMP_SPINCOUNT=1000 set by the user", {"GOMP_SPINCOUNT": "1000"}, "torch-first"),
    ("the fastlin command: GOMP_SPINCOUNT=1000, OPENBLAS_THREAD_TIMEOUT=4", {"OPENBLAS_THREAD_TIMEOUT": "4"}, ""),
)


def _clean_environment() -> dict:
    names = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")
    return {k: v for k, v in os.environ.items() if k not in names}


def threads() -> None:
    """Each thread's share of a core during 150 float64 turns, with and without OpenBLAS's spin."""
    print("| setting | one turn | cores used by each thread, busiest first |")
    print("|---|---|---|")
    for name, extra in (
        ("fastlin's default", {}),
        ("OPENBLAS_THREAD_TIMEOUT=4", {"OPENBLAS_THREAD_TIMEOUT": "4"}),
    ):
        out = subprocess.run(
            [sys.executable, "-c", THREADS_PROBE],
            env={**_clean_environment(), **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        turn, *cores = out.stdout.split()
        print(f"| {name} | {turn} ms | {', '.join(cores)} |")


def main(rounds: int = 41) -> None:
    base = _clean_environment()
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
    if sys.argv[1:2] == ["threads"]:
        threads()
    else:
        main(*(int(a) for a in sys.argv[1:2]))
