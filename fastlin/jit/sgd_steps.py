"""Mini-batch SGD steps in one compiled loop: the loss kernel and the update, step after step.

Between two steps run from Python (the Python of a step takes about 28 us) Numba's threads
outlast their short spin (``GOMP_SPINCOUNT=1000``, see ``docs/threads.md``) and go to sleep,
and waking them cost about 100 us a step: 1500 steps of 200 rows of 49,000 x 3073 float32
took 1.3x the loss kernel's own time. :func:`sgd_steps` runs a segment of steps without
returning to Python; :mod:`fastlin.optim` prepares each segment's batches and rates (from
the same permutations and schedule as its own loop) and returns to Python between segments
for Ctrl-C, the divergence check and the progress line.

Each step is exactly :func:`fastlin.optim._update` after :func:`fastlin.jit.losses.loss_grad_kernel`
(the same products and roundings: ``dW * lr`` in W's dtype, then momentum), so a fit gives
the same weights either way. A step whose loss, penalty or gradient is not finite stops the
segment before its update; the caller replays it in Python, which raises the error it
always raised.
"""

import numpy as np
from numba import njit

from fastlin._config import EXACT_OPTIONS
from fastlin.jit.losses import loss_grad_kernel


@njit(**EXACT_OPTIONS)
def sgd_steps(
    X, rows, WT, b, y, weights, delta, kind, l2, l1, chunks, rates, momentum, fit_intercept, VWT, vb, history
):
    """Run ``len(rates)`` steps; returns how many completed (fewer: the next one was not finite).

    ``rows``, ``y`` and ``weights`` are (steps, batch): each step's rows of X, their labels
    and weights. ``WT``/``VWT`` are W and its velocity transposed (C, D), ``b``/``vb`` the
    intercept and its velocity, all updated in place; ``rates`` and ``momentum`` (a 1-array)
    are in W's dtype. ``history[s]`` receives step s's loss (data + penalty).
    """
    C, D = WT.shape
    db_cast = np.empty_like(b)
    for s in range(rates.shape[0]):
        loss, penalty, dWT, db, finite = loss_grad_kernel(
            X, rows[s], WT, b, y[s], weights[s], delta, kind, l2, l1, chunks
        )
        total = loss + penalty
        if not (finite and np.isfinite(penalty) and np.isfinite(total)):
            return s
        # Branch-free loops, so that they vectorize: an early exit or a test of the momentum
        # inside the loop kept them scalar (32 against 7.5 ms for 1500 steps of 10 x 3073).
        grad_finite = True
        for c in range(C):
            for d in range(D):
                grad_finite &= np.isfinite(dWT[c, d])
        if not grad_finite:
            return s
        history[s] = total
        lr = rates[s]
        m = momentum[0]
        if m != 0:
            for c in range(C):
                for d in range(D):
                    VWT[c, d] = VWT[c, d] * m - dWT[c, d] * lr
                    WT[c, d] += VWT[c, d]
        else:
            for c in range(C):
                for d in range(D):
                    WT[c, d] -= dWT[c, d] * lr
        if fit_intercept:
            db_cast[:] = db
            for c in range(C):
                vb[c] = vb[c] * momentum[0] - lr * db_cast[c]
                b[c] += vb[c]
    return rates.shape[0]
