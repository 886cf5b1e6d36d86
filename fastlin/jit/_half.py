"""float16 features read by the jit kernels: a block of rows widened to float32 in cache.

Numba has no float16 type on the CPU, so a float16 X reaches a kernel as its bits
(``X.view(np.uint16)``). :func:`block_rows` is what a kernel calls for each block of
rows: given float32/float64 X it hands back X itself and the block's row indices (no
copy, nothing compiled for the half case); given uint16 bits it widens the block's rows
into a small float32 scratch (``BLOCK_ROWS x D``, in L2) and hands that back, so the
register tiles run on float32 as they do for float32 X. Which of the two is chosen at
typing time (an ``overload``): each dtype compiles only its own branch.

The widening is exact (every float16 is a float32): the 15 low bits shifted into a
float32's exponent and mantissa give ``value * 2**-112`` for normal and subnormal halves
alike, and one multiplication by ``2**112`` (exact: a power of two) rescales them;
infinities and NaNs (exponent 31) are rebuilt, then the sign is set. No branch, no table:
the three loops vectorize.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

from fastlin._config import HELPER_OPTIONS
from fastlin._spec import BLOCK_ROWS

#: 2**112: a float16's exponent bias (15) against a float32's (127)
REBIAS = np.float32(2.0**112)


@njit(**HELPER_OPTIONS)
def widen_row(bits, out):
    """``out[:] = bits`` read as float16, in float32 (``bits`` uint16, ``out`` float32, same length)."""
    n = bits.shape[0]
    raw = out.view(np.uint32)
    for d in range(n):
        raw[d] = (np.uint32(bits[d]) & np.uint32(0x7FFF)) << np.uint32(13)
    for d in range(n):
        out[d] *= REBIAS
    for d in range(n):
        h = np.uint32(bits[d])
        special = (h & np.uint32(0x7C00)) == np.uint32(0x7C00)  # inf or NaN
        v = (np.uint32(0x7F800000) | ((h & np.uint32(0x3FF)) << np.uint32(13))) if special else raw[d]
        raw[d] = v | ((h & np.uint32(0x8000)) << np.uint32(16))


def block_rows(X, rows, start, n_rows, scratch, identity):
    """``(A, A_rows, A_start)``: where the tiles read the block ``X[rows[start:start + n_rows]]``.

    float X: ``(X, rows, start)``, read in place. uint16 X (float16 bits): the block
    widened into ``scratch`` (float32, at least ``n_rows`` rows), ``(scratch, identity, 0)``
    with ``identity = arange(len(scratch))``.
    """
    raise NotImplementedError  # pragma: no cover - compiled through the overload below


@overload(block_rows)
def _block_rows(X, rows, start, n_rows, scratch, identity):
    if X.dtype == types.uint16:

        def widened(X, rows, start, n_rows, scratch, identity):
            for r in range(n_rows):
                widen_row(X[rows[start + r]], scratch[r])
            return scratch, identity, 0

        return widened

    def in_place(X, rows, start, n_rows, scratch, identity):
        return X, rows, start

    return in_place


def half_scratch(X, WT):
    """``(scratch, identity)`` for :func:`block_rows`.

    ``BLOCK_ROWS x D`` in WT's dtype for uint16 X; empty for float X (read in place).
    """
    raise NotImplementedError  # pragma: no cover - compiled through the overload below


@overload(half_scratch)
def _half_scratch(X, WT):
    n = BLOCK_ROWS if X.dtype == types.uint16 else 0

    def make(X, WT):
        return np.empty((n, X.shape[1]), dtype=WT.dtype), np.arange(n)

    return make
