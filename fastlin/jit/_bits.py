"""A float's bits as an integer that orders as the float does, for reductions that vectorize.

LLVM vectorizes a ``max`` or ``min`` over floats only under the no-NaN fastmath flag, which
fastlin never sets; over integers it always does. :func:`float_keys` views a float32 or
float64 array as integers of its width and :func:`order_key` maps each to
``b ^ ((b >> (w - 1)) & (2**(w - 1) - 1))``: a positive float keeps its bits, a negative one
has its magnitude bits flipped, so the keys order as the floats do (-0.0 just below +0.0)
and a NaN lands past +inf, or, with its sign bit set, past -inf. The map is its own
inverse. The width is chosen at typing time (``overload``).
"""

import numpy as np
from numba import types
from numba.extending import overload


def float_keys(a):
    """``a`` (float32 or float64) viewed as integers of its width."""
    raise NotImplementedError  # pragma: no cover - compiled through the overload below


def order_key(b):
    """The order-preserving key of a float's bits ``b`` (int32 or int64); its own inverse."""
    raise NotImplementedError  # pragma: no cover - compiled through the overload below


@overload(float_keys)
def _float_keys(a):
    if a.dtype == types.float32:
        return lambda a: a.view(np.int32)
    return lambda a: a.view(np.int64)


@overload(order_key)
def _order_key(b):
    if b == types.int32:  # Numba widens int32 arithmetic to int64: narrowed back, exactly
        return lambda b: np.int32(b ^ ((b >> 31) & 0x7FFFFFFF))
    return lambda b: b ^ ((b >> 63) & 0x7FFFFFFFFFFFFFFF)
