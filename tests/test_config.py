"""Package hygiene: shared kernel options, nothing compiled or imported at import time."""

import importlib
import os
import pkgutil
import subprocess
import sys

import numpy as np
import pytest

from fastlin import _config


def jit_kernels():
    from numba.core.registry import CPUDispatcher

    import fastlin.jit

    for info in pkgutil.iter_modules(fastlin.jit.__path__):
        module = importlib.import_module(f"fastlin.jit.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", obj


def test_every_kernel_uses_the_shared_options():
    kernels = list(jit_kernels())
    assert len(kernels) >= 5
    allowed = [
        _config.JIT_OPTIONS,
        _config.PARALLEL_OPTIONS,
        _config.EXACT_OPTIONS,
        _config.EXACT_PARALLEL_OPTIONS,
        _config.HELPER_OPTIONS,
        _config.EXACT_HELPER_OPTIONS,
    ]
    allowed = [{k: v for k, v in a.items() if k != "cache"} for a in allowed]
    for name, kernel in kernels:
        # inline: Numba-level inlining of a small helper into its caller, a per-function choice
        opts = {k: v for k, v in kernel.targetoptions.items() if k not in ("nopython", "boundscheck", "inline")}
        assert any(opts == a for a in allowed), (name, opts)
        assert type(kernel._cache).__name__ != "NullCache", f"{name} is not cached"
        fm = opts["fastmath"]
        assert not fm or ("nnan" not in fm and "ninf" not in fm), name


def test_every_kernel_has_its_own_cache_files():
    # Numba updates a function's cache index unlocked: two kernels sharing an index file (two
    # closures of one factory keep one name unless renamed) could, when two processes compile
    # at once, record one kernel's machine code under the other's key.
    index_files = {}
    for name, kernel in jit_kernels():
        cache_file = kernel._cache._cache_file
        path = (kernel._cache._cache_path, cache_file._index_name)
        assert path not in index_files, f"{name} and {index_files[path]} share the cache index {path[1]}"
        index_files[path] = name


def test_import_compiles_nothing_and_skips_numba():
    code = (
        "import sys, time; t = time.perf_counter(); import fastlin; dt = time.perf_counter() - t; "
        "print(dt, 'numba' in sys.modules, 'sklearn' in sys.modules, 'dask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dt, numba_loaded, sklearn_loaded, dask_loaded = out.stdout.split()
    assert numba_loaded == "False" and sklearn_loaded == "False" and dask_loaded == "False"
    assert float(dt) < 2.0  # generous: a loaded CI machine; the benchmark report measures it


def test_threading_layer_is_thread_safe():
    import numpy as np

    import fastlin

    fastlin.svm_loss(np.ones((2, 2)), np.ones((3, 2)), [0, 1, 0])
    import numba

    assert numba.threading_layer() in ("omp", "tbb")


def test_n_threads_is_restored():
    import numba
    import numpy as np

    import fastlin

    before = numba.get_num_threads()
    fastlin.softmax_loss(np.ones((2, 2)), np.ones((3, 2)), [0, 1, 0], n_threads=1)
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError):
        fastlin.softmax_loss(np.ones((2, 2)), np.ones((3, 2)), [0, 1, 5], n_threads=1)
    assert numba.get_num_threads() == before


@pytest.mark.parametrize(
    "user_env, expected",
    [({}, _config.GOMP_SPINCOUNT), ({"GOMP_SPINCOUNT": "5"}, "5"), ({"OMP_WAIT_POLICY": "ACTIVE"}, None)],
)
def test_openmp_spin_count_is_ours_unless_the_user_chose(user_env, expected):
    import os

    code = (
        "import os, numpy as np, fastlin; fastlin.svm_loss(np.ones((2, 2)), np.ones((3, 2)), [0, 1, 0]); "
        "print(os.environ.get('GOMP_SPINCOUNT'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**env, **user_env}
    )
    assert out.stdout.split()[-1] == str(expected)


def test_the_command_sets_openblas_spin_before_numpy_loads(monkeypatch):
    import fastlin.cli
    import fastlin_command

    # the entry module itself imports nothing that loads NumPy
    out = subprocess.run(
        [sys.executable, "-c", "import sys, fastlin_command; print('numpy' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.strip() == "False", out.stderr
    seen = []
    monkeypatch.setattr(fastlin.cli, "main", lambda: seen.append(os.environ.get("OPENBLAS_THREAD_TIMEOUT")) or 0)
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    assert fastlin_command.main() == 0
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "28")  # the user's choice stands
    assert fastlin_command.main() == 0
    assert seen == ["4", "28"]


CACHED_RUN = """
import sys, numpy as np, fastlin
rng = np.random.default_rng(0)
X, W, y = rng.standard_normal((37, 11)), 0.1 * rng.standard_normal((11, 5)), rng.integers(0, 5, 37)
out = {}
for dtype in (np.float64, np.float32):
    for name, fn in (("softmax", fastlin.softmax_loss), ("svm", fastlin.svm_loss)):
        loss, dW = fn(W.astype(dtype), X.astype(dtype), y, 0.1, n_threads=1)
        out[f"{name}_{np.dtype(dtype).name}"] = np.append(dW.ravel().astype(np.float64), loss)
np.savez(sys.argv[1], **out)
"""


def test_a_cached_kernel_gives_the_bits_of_a_fresh_compile(tmp_path):
    # the first run compiles and writes the cache, the second loads it: the same bits (fastmath's
    # ``arcp`` once let the two codegens lower a division differently)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    for run in ("fresh", "cached"):
        subprocess.run(
            [sys.executable, "-c", CACHED_RUN, str(tmp_path / f"{run}.npz")], check=True, env=env, timeout=600
        )
    fresh, cached = np.load(tmp_path / "fresh.npz"), np.load(tmp_path / "cached.npz")
    assert any((tmp_path / "cache").rglob("*.nbc"))  # the second run had a cache to load
    for key in fresh.files:
        np.testing.assert_array_equal(cached[key], fresh[key], err_msg=key)
