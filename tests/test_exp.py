"""The softmax pass's vectorizable pieces on the GEMM path: ``exp`` (``fastlin.jit._exp``) and the
row extremes over order keys (``fastlin.jit._bits``)."""

import numpy as np
import pytest
from numba import njit

from fastlin.jit._bits import float_keys
from fastlin.jit._exp import FLOOR_32, FLOOR_64, exp_shifted
from fastlin.jit.losses import _add_bias_range


@njit(cache=False)
def _exp_row(row, top):
    scales = np.empty_like(row)
    return exp_shifted(row.reshape(1, -1), 0, top, scales, float_keys(scales))


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


@njit(cache=False)
def _range(row, bias):
    S = row.reshape(1, -1)
    extremes = np.empty(2, dtype=row.dtype)
    return _add_bias_range(S, float_keys(S), 0, bias, extremes, float_keys(extremes))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_extremes_by_order_keys_are_numpys(dtype):
    rng = np.random.default_rng(1)
    specials = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).max, np.finfo(dtype).tiny]
    for trial in range(600):
        n = int(rng.integers(1, 70))  # short rows and rows past the vector width, with remainders
        row = (rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30)).astype(dtype)
        if trial % 2:
            row[rng.integers(n)] = specials[trial // 2 % len(specials)]
        bias = rng.standard_normal(n).astype(dtype)
        expected = row + bias
        top, bottom = _range(row, bias)
        np.testing.assert_array_equal(row, expected)  # the bias is added in place
        if np.isnan(expected).any():
            assert np.isnan(top) or np.isnan(bottom)  # a NaN is never skipped
        else:
            assert top == expected.max() and bottom == expected.min()
