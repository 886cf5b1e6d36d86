"""The GEMM path's pass over class-major scores: a block of rows at a time, one lane per row.

When the scores are held class-major, ``ST`` (C, N) (:func:`fastlin._spec.gemm_class_major`),
one class's scores of a block of rows are contiguous, so every loop here runs over the
block's rows, a lane each: the row's maximum, its sum of exponentials and its count of
active margins are elementwise updates of a lane, never a reduction across a vector. Each
helper takes the block ``ST[:, a:a + m]`` and scratch lanes of length ``>= m``; the losses
and gradients are those of the row-wise helpers of :mod:`fastlin.jit.losses`, dL/dscores
written in place of the scores. The layout is chosen for the two products around the pass
(faster so in OpenBLAS's float64); the pass itself is a little slower than the row-wise
one (design.md, "Class-major scores").
"""

import numpy as np
from numba import njit

from fastlin._config import HELPER_OPTIONS
from fastlin.jit._exp import exp_shifted_lanes

#: rows of a block: one class's lane of 128 float64 is 1 KiB, the block of 100 classes
#: 100 KiB (in L2 across the block's loops)
LANES = 128


@njit(inline="always", **HELPER_OPTIONS)
def _gather_correct(ST, a, m, bias, y, correct):
    """``correct[i]``: row ``a + i``'s score of its own class, its bias added (float64)."""
    for i in range(m):
        yi = y[a + i]
        correct[i] = np.float64(ST[yi, a + i] + bias[yi])


@njit(inline="always", **HELPER_OPTIONS)
def _hinge_term(margin, wi, squared):
    """A margin's weighted loss and its dL/dscore (both 0 when the margin is not positive)."""
    active = margin > 0.0
    loss = (wi * margin * margin if squared else wi * margin) if active else 0.0
    return loss, (2.0 * wi * margin if squared else wi) if active else 0.0


@njit(inline="always", **HELPER_OPTIONS)
def _margin_lanes(ST, a, m, bias, weights, delta, squared, ovr, correct, totals, db):
    """The margins' loop over every class: returns (the block's loss, NaN-or-0 check).

    One loop a class adds the bias, scores the class's margin branch-free (Weston-Watkins
    ``s_j - s_y + delta``, or one-versus-rest as a negative, ``delta + s_j``), writes its
    dL/dscores, adds them to ``totals`` (each row's sum) and to ``db``. The check is the sum
    of every score times 0: NaN if a score is NaN or inf.
    """
    loss = 0.0
    bad = 0.0
    for i in range(m):
        totals[i] = 0.0
    for c in range(ST.shape[0]):
        lane = ST[c, a : a + m]
        b = bias[c]
        acc = 0.0
        for i in range(m):
            v = lane[i] + b
            bad += v * 0.0
            margin = delta + np.float64(v) if ovr else np.float64(v) - correct[i] + delta
            term, g = _hinge_term(margin, weights[a + i], squared)
            loss += term
            lane[i] = g
            totals[i] += g
            acc += lane[i]
        db[c] += acc
    return loss, bad


@njit(inline="always", **HELPER_OPTIONS)
def hinge_lanes(ST, a, m, bias, y, weights, delta, squared, correct, totals, db):
    """Weighted (squared) hinge losses of the block's rows, summed; dL/dscores in place.

    As in the row-wise helper, every class is scored (:func:`_margin_lanes`) and the correct
    class's own term (its margin is ``delta``) is taken back out afterwards. The sum is NaN
    if a score is NaN or inf.
    """
    _gather_correct(ST, a, m, bias, y, correct)
    loss, bad = _margin_lanes(ST, a, m, bias, weights, delta, squared, False, correct, totals, db)
    for i in range(m):
        wi = weights[a + i]
        term, g = _hinge_term(delta, wi, squared)  # the correct class's, counted above
        loss -= term
        yi = y[a + i]
        before = ST[yi, a + i]
        ST[yi, a + i] = -(totals[i] - g)
        db[yi] += np.float64(ST[yi, a + i]) - np.float64(before)
    return loss + bad


@njit(inline="always", **HELPER_OPTIONS)
def ovr_lanes(ST, a, m, bias, y, weights, delta, squared, correct, totals, db):
    """Weighted one-versus-rest (squared) hinge losses of the block's rows, summed; dL/dscores in place.

    Every class is first scored as a negative (label -1, :func:`_margin_lanes`); the correct
    class is redone after. The sum is NaN if a score is NaN or inf.
    """
    _gather_correct(ST, a, m, bias, y, correct)
    loss, bad = _margin_lanes(ST, a, m, bias, weights, delta, squared, True, correct, totals, db)
    for i in range(m):
        wi = weights[a + i]
        term, _ = _hinge_term(delta + correct[i], wi, squared)  # its negative term, counted above
        loss -= term
        term, g = _hinge_term(delta - correct[i], wi, squared)
        loss += term
        yi = y[a + i]
        before = ST[yi, a + i]
        ST[yi, a + i] = -g
        db[yi] += np.float64(ST[yi, a + i]) - np.float64(before)
    return loss + bad


@njit(inline="always", **HELPER_OPTIONS)
def softmax_lanes(ST, a, m, bias, y, weights, correct, tops, scales, bits, totals, db):
    """Weighted cross-entropy of the block's rows, summed; dL/dscores in place, added to ``db``.

    ``tops`` and ``scales`` are lanes of ST's dtype, ``bits`` the integer view of ``scales``
    (made once per pass: a view costs an array of its own). The first loop a class adds the bias
    and keeps each row's maximum (and the sum of every score times 0, NaN if a score is NaN
    or inf, added to the returned loss); the exponentials are
    :func:`fastlin.jit._exp.exp_shifted_lanes` (each row shifted by its own maximum), their
    sums and the loss float64; the probabilities are scaled in float64 and rounded once.
    """
    C = ST.shape[0]
    _gather_correct(ST, a, m, bias, y, correct)
    for i in range(m):
        tops[i] = ST[0, a + i] + bias[0]
    bad = 0.0
    for c in range(C):  # a NaN never wins the maximum; ``bad`` reports it
        lane = ST[c, a : a + m]
        b = bias[c]
        for i in range(m):
            v = lane[i] + b
            lane[i] = v
            bad += v * 0.0
            tops[i] = v if v > tops[i] else tops[i]
    for i in range(m):
        totals[i] = 0.0
    for c in range(C):
        exp_shifted_lanes(ST[c, a : a + m], tops, scales, bits, totals)
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
    return loss + bad
