"""The tier-equivalence matrix and the peer checks, derived from ``tests/registry.py``.

For every operation, shape and dtype of the table: the vectorized and jit tiers equal the
naive tier for C- and Fortran-ordered and strided (non-contiguous) inputs, writeable or
read-only, on 1 and 2 threads; no call changes its input; the jit tier gives the same bits
whatever the layout or thread count. Every peer of the table agrees with fastlin.
"""

import numpy as np
import pytest

from fastlin._config import max_threads
from tests.registry import OPERATIONS

LAYOUTS = ("C", "F", "strided")
THREADS = sorted({1, min(2, max_threads())})


def relayout(a: np.ndarray, layout: str, readonly: bool) -> np.ndarray:
    """The same values as ``a`` in another memory layout, optionally read-only."""
    if layout == "C":
        out = np.array(a, order="C")
    elif layout == "F":
        out = np.array(a, order="F")
    else:  # every other element of a twice-as-wide buffer: a view that no kernel can read flat
        big = np.empty(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        out = big[..., ::2]
        assert not out.flags.c_contiguous and not out.flags.f_contiguous
    out.flags.writeable = not readonly
    return out


def _flat(result):
    """The arrays of a result, for bit-for-bit comparison."""
    items = result if isinstance(result, tuple) else (result,)
    return [np.asarray(r) for r in items]


MATRIX = [
    pytest.param(name, shape, dtype, id=f"{name}-{'x'.join(map(str, shape))}-{dtype}")
    for name, op in OPERATIONS.items()
    for shape in op.test_shapes
    for dtype in op.dtypes
]


@pytest.mark.parametrize("name, shape, dtype", MATRIX)
def test_tiers_agree_over_layouts_and_threads(name, shape, dtype):
    check_tiers(OPERATIONS[name], shape, dtype)


def check_tiers(op, shape, dtype):
    """Every tier of ``op`` equals the naive one over layouts and threads; jit is bit-stable."""
    name = op.name
    case = op.case(shape, dtype)
    reference = op.run(case, case.data, "naive", None)
    first_jit = None
    for impl in (t for t in op.tiers if t != "naive"):
        for layout in LAYOUTS:
            for readonly in (False, True):
                for n_threads in THREADS:
                    data = dict(case.data)
                    data[op.main] = relayout(case.data[op.main], layout, readonly)
                    before = data[op.main].copy()
                    out = op.run(case, data, impl, n_threads)
                    where = f"{impl}, {layout}, read-only={readonly}, n_threads={n_threads}"
                    try:
                        op.compare(out, reference, dtype)
                    except AssertionError as e:
                        raise AssertionError(f"{name} {where} differs from the naive tier: {e}") from None
                    np.testing.assert_array_equal(data[op.main], before, err_msg=f"{where} changed its input")
                    if impl == "jit":
                        if first_jit is None:
                            first_jit = _flat(out)
                        for a, b in zip(_flat(out), first_jit, strict=True):
                            np.testing.assert_array_equal(a, b, err_msg=f"jit is not bit-identical: {where}")


@pytest.mark.parametrize(
    "op, peer, dtype",
    [(op, peer, dtype) for op in OPERATIONS.values() for peer in op.peers for dtype in op.dtypes],
    ids=lambda v: getattr(v, "name", v),
)
def test_peers_agree(op, peer, dtype):
    peer_name = peer.name
    case = op.case(op.smoke_shape, dtype)
    runner = peer.make(case)
    if runner is None:
        pytest.skip(f"{peer_name} is not installed or does not take {dtype}")
    peer.check(runner(), op.run(case, case.data, "jit", None), case)
