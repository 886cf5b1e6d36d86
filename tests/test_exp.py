"""The vectorizable ``exp`` of the softmax pass on the GEMM path (``fastlin.jit._exp``)."""

import numpy as np
import pytest
from numba import njit

from fastlin.jit._exp import FLOOR_32, FLOOR_64, exp_shifted


@njit(cache=False)
def _exp_row(row, top):
    exponents = np.empty(row.shape[0], dtype=np.int32)
    return exp_shifted(row, top, exponents)


@pytest.mark.parametrize(("dtype", "floor", "ulps"), [(np.float32, FLOOR_32, 4), (np.float64, FLOOR_64, 2)])
def test_exp_shifted_is_within_a_few_ulps_of_numpy(dtype, floor, ulps):
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(floor - 20, 0, 200_001), -rng.exponential(5.0, 100_000)]).astype(dtype)
    top = dtype(1.5)
    scores = x + top  # exp_shifted subtracts top back
    shifted = (scores - top).astype(np.float64)  # as the kernel rounds it
    row = scores.copy()
    total = _exp_row(row, top)
    reference = np.exp(shifted)
    kept = shifted >= floor
    rel = np.abs(row[kept] - reference[kept]) / reference[kept]
    assert rel.max() <= ulps * np.finfo(dtype).eps
    assert (row[~kept] == 0).all() and kept.sum() < len(x)  # below the floor: exactly 0
    assert total == pytest.approx(float(row.astype(np.float64).sum()), rel=1e-12)
    assert total == pytest.approx(reference[kept].sum(), rel=1e-6 if dtype == np.float32 else 1e-12)


def test_exp_shifted_of_the_maximum_is_one():
    for dtype in (np.float32, np.float64):
        row = np.array([3.0, -2.0, 3.0], dtype=dtype)
        total = _exp_row(row, dtype(3.0))
        assert row[0] == row[2] == 1.0
        assert total == pytest.approx(2.0 + np.exp(-5.0), rel=4 * np.finfo(dtype).eps)
