"""The GEMM path's pass over class-major scores: a block of rows at a time, one lane per row.

When the scores are held class-major, ``ST`` (C, N) (``fastlin._spec.GEMM_CLASS_MAJOR``),
one class's scores of a block of rows are contiguous, so every loop here runs over the
block's rows, a lane each: the row's maximum, its sum of exponentials, its loss and its
count of active margins are elementwise updates of a lane, never a reduction across a
vector, and they vectorize without any fastmath flag and without a remainder per row. Each
helper takes the block ``ST[:, a:a + m]`` and scratch lanes of length ``>= m``; the losses
and gradients are those of the row-wise helpers of :mod:`fastlin.jit.losses`, dL/dscores
written in place of the scores.
"""

import numpy as np
from numba import njit

from fastlin._config import HELPER_OPTIONS
from fastlin.jit._exp import exp_shifted_lanes

#: rows of a block: one class's lane of 128 float64 is 1 KiB, the block of 100 classes
#: 100 KiB (in L2 across the block's loops)
LANES = 128


@njit(inline="always", **HELPER_OPTIONS)
def bias_lanes(ST, a, m, bias, y, correct, check):
    """``ST[:, a:a + m] += bias[:, None]``; ``correct[i]`` gets row ``a + i``'s correct score.

    ``check[i]`` (float64) becomes 0 if every score of the row is finite, NaN otherwise (the
    sum of ``v * 0``: exact, and no finite score can overflow it).
    """
    for i in range(m):
        check[i] = 0.0
    for c in range(ST.shape[0]):
        lane = ST[c, a : a + m]
        b = bias[c]
        for i in range(m):
            v = lane[i] + b
            lane[i] = v
            check[i] += v * 0.0
    for i in range(m):
        correct[i] = ST[y[a + i], a + i]


@njit(inline="always", **HELPER_OPTIONS)
def hinge_lanes(ST, a, m, y, weights, delta, squared, correct, totals, losses):
    """Weighted (squared) hinge losses of the block's rows, summed; dL/dscores in place.

    As in the row-wise helper, every class is scored in one branch-free loop and the
    correct class's own term (its margin is ``delta``) is taken back out afterwards.
    """
    for i in range(m):
        totals[i] = 0.0
        losses[i] = 0.0
    for c in range(ST.shape[0]):
        lane = ST[c, a : a + m]
        for i in range(m):
            wi = weights[a + i]
            margin = np.float64(lane[i]) - correct[i] + delta
            active = margin > 0.0
            g = (2.0 * wi * margin if squared else wi) if active else 0.0
            losses[i] += (wi * margin * margin if squared else wi * margin) if active else 0.0
            lane[i] = g
            totals[i] += g
    loss = 0.0
    for i in range(m):
        wi = weights[a + i]
        if delta > 0.0:  # the correct class's margin, delta, was counted as active
            losses[i] -= wi * delta * delta if squared else wi * delta
            totals[i] -= 2.0 * wi * delta if squared else wi
        ST[y[a + i], a + i] = -totals[i]
        loss += losses[i]
    return loss


@njit(inline="always", **HELPER_OPTIONS)
def ovr_lanes(ST, a, m, y, weights, delta, squared, correct, losses):
    """Weighted one-versus-rest (squared) hinge losses of the block's rows, summed; dL/dscores in place.

    Every class is first scored as a negative (label -1); the correct class is redone after.
    """
    for i in range(m):
        losses[i] = 0.0
    for c in range(ST.shape[0]):
        lane = ST[c, a : a + m]
        for i in range(m):
            wi = weights[a + i]
            margin = delta + np.float64(lane[i])
            active = margin > 0.0
            losses[i] += (wi * margin * margin if squared else wi * margin) if active else 0.0
            lane[i] = (2.0 * wi * margin if squared else wi) if active else 0.0
    loss = 0.0
    for i in range(m):
        wi = weights[a + i]
        margin = delta + correct[i]  # take the correct class's negative term back out
        if margin > 0.0:
            losses[i] -= wi * margin * margin if squared else wi * margin
        margin = delta - correct[i]
        g = 0.0
        if margin > 0.0:
            losses[i] += wi * margin * margin if squared else wi * margin
            g = -(2.0 * wi * margin if squared else wi)
        ST[y[a + i], a + i] = g
        loss += losses[i]
    return loss


@njit(inline="always", **HELPER_OPTIONS)
def softmax_lanes(ST, a, m, y, weights, correct, tops, scales, totals, db):
    """Weighted cross-entropy of the block's rows, summed; dL/dscores in place, added to ``db``.

    ``tops`` and ``scales`` are lanes of ST's dtype. The exponentials are
    :func:`fastlin.jit._exp.exp_shifted_lanes` (each row shifted by its own maximum), their
    sums and the loss float64; the probabilities are scaled in float64 and rounded once.
    """
    C = ST.shape[0]
    for i in range(m):
        tops[i] = ST[0, a + i]
    for c in range(1, C):  # a NaN never wins here; the caller's check reports it
        lane = ST[c, a : a + m]
        for i in range(m):
            v = lane[i]
            tops[i] = v if v > tops[i] else tops[i]
    for i in range(m):
        totals[i] = 0.0
    for c in range(C):
        exp_shifted_lanes(ST[c, a : a + m], tops[:m], scales[:m], totals[:m])
    loss = 0.0
    for i in range(m):
        wi = weights[a + i]
        loss += wi * (np.log(totals[i]) + np.float64(tops[i]) - correct[i])
        totals[i] = wi / totals[i]  # from here on, each row's scale
    for c in range(C):
        lane = ST[c, a : a + m]
        acc = 0.0
        for i in range(m):
            lane[i] = lane[i] * totals[i]
            acc += lane[i]  # the stored (rounded) gradient, as the GEMM reads it
        db[c] += acc
    for i in range(m):
        yi = y[a + i]
        before = ST[yi, a + i]
        ST[yi, a + i] = before - weights[a + i]
        db[yi] += np.float64(ST[yi, a + i]) - np.float64(before)
    return loss


@njit(inline="always", **HELPER_OPTIONS)
def db_lanes(ST, a, m, db):
    """``db[c] += ST[c, a:a + m].sum()`` (float64) for every class."""
    for c in range(ST.shape[0]):
        lane = ST[c, a : a + m]
        acc = 0.0
        for i in range(m):
            acc += lane[i]
        db[c] += acc
