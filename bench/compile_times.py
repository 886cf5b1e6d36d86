"""Cold compile time, cached load time and import time of fastlin, in fresh processes.

Usage: ``python -m bench.compile_times``. Uses a temporary NUMBA_CACHE_DIR so the first
process compiles from nothing and the second loads what the first cached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

PROBE = """
import time
t0 = time.perf_counter()
import numpy as np
import fastlin
t1 = time.perf_counter()
rng = np.random.default_rng(0)
out = [f"import {t1 - t0:.3f}"]
def timed(name, fn):
    t = time.perf_counter()
    fn()
    out.append(f"{name} {time.perf_counter() - t:.3f}")

for dtype in ("float32", "float64"):
    X = rng.standard_normal((64, 32)).astype(dtype)
    W = rng.standard_normal((32, 10)).astype(dtype)
    y = rng.integers(0, 10, 64)
    timed(f"losses-{dtype}", lambda: fastlin.svm_loss(W, X, y, 0.1))
images = rng.integers(0, 256, (4, 32, 32, 3)).astype(np.uint8)
timed("hog-uint8", lambda: fastlin.hog_batch(images, channel_axis=-1))
timed("color-uint8", lambda: fastlin.color_histogram_hsv_batch(images))
timed("kmeans-float32", lambda: fastlin.kmeans(X.astype(np.float32), 4, random_state=0))
timed("bow-uint8", lambda: fastlin.BagOfVisualWords(n_words=4, random_state=0).fit(images).transform(images))
digits = fastlin.datasets.load_digits()
timed("train-digits", lambda: fastlin.SoftmaxClassifier(num_iters=10, random_state=0).fit(
    digits[0].reshape(len(digits[0]), -1).astype(np.float32), digits[1]))
print(";".join(out))
"""


def run_probe(cache_dir: str) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return {k: float(v) for k, v in (item.split() for item in out.stdout.strip().split(";"))}


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        cold = run_probe(cache)
        warm = run_probe(cache)
    print("| what | first process (cold compile) | second process (cache) |")
    print("|---|---|---|")
    for key in cold:
        print(f"| {key} | {cold[key]:.2f} s | {warm[key]:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
