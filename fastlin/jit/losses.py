"""Loss-and-gradient kernels: one fused, parallel pass over X.

The contract of :mod:`fastlin.naive.losses`: a mini-batch named by row indices is read in
place, never gathered into a copy. The batch is cut into chunks of rows by the shared rule
of :func:`fastlin._spec.n_chunks` (it depends on the batch size only, never on the thread
count, so results are identical for any ``n_threads``); ``prange`` runs over chunks. A
chunk walks its rows in blocks of ``BLOCK_ROWS``: scores of the block (register-tiled dot
products), then the block's dL/dscores ``G`` (margins or probabilities, from float64
scores), then ``dWT += G.T @ X_block`` into the chunk's own partial gradient while the
block is still in cache. The partials are summed at the end in a
fixed order, slice of D by slice, serially: a second parallel region cost 1.4 s more
of cold compile (the first ``fastlin train`` has to stay under 15 s) for 3% of the time of
the largest sums (64 partials of 100x512), and nothing on CIFAR's shapes. Each X row is read
from memory once.

A NaN or inf in X always makes a score of its row non-finite (W is checked finite by the
caller); the kernel reports that instead of making a second pass over X to look for it.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import HELPER_OPTIONS, PARALLEL_OPTIONS
from fastlin._spec import BLOCK_ROWS, n_chunks
from fastlin.jit._tiles import block_grad, block_scores

SLICE = 256  # columns of dWT summed at a time in the final sum (they stay in L1)
SVM, SOFTMAX, SQUARED_HINGE = 0, 1, 2
CODES = {"svm": SVM, "softmax": SOFTMAX, "squared_hinge": SQUARED_HINGE}

# The row and block helpers are inlined by Numba into _chunk (inline="always"): small, and
# three fewer separately built functions take 0.4 s off the kernel's cold compile. The tiles
# stay separate (see _tiles).


@njit(inline="always", **HELPER_OPTIONS)
def _hinge_row(S, r, yi, wi, delta, squared, G):
    """Weighted hinge loss of row ``r`` of the scores (each margin squared when ``squared``).

    Its dL/dscores go into ``G[r]``; a margin of exactly 0 is inactive.
    """
    correct = np.float64(S[r, yi])
    loss = 0.0
    total = 0.0
    for j in range(S.shape[1]):
        margin = np.float64(S[r, j]) - correct + delta
        if j != yi and margin > 0.0:
            loss += wi * margin * margin if squared else wi * margin
            g = 2.0 * wi * margin if squared else wi
            G[r, j] = g
            total += g
        else:
            G[r, j] = 0.0
    G[r, yi] = -total
    return loss


@njit(inline="always", **HELPER_OPTIONS)
def _softmax_row(S, r, yi, wi, G):
    """Weighted cross-entropy of row ``r`` of the scores; its dL/dscores into ``G[r]``.

    The exponentials run in S's dtype (float32 data takes the cheaper ``expf``), their sum
    and the loss in float64.
    """
    C = S.shape[1]
    top = S[r, 0]
    for j in range(C):
        top = max(top, S[r, j])
    total = 0.0
    for j in range(C):
        e = np.exp(S[r, j] - top)  # <= 1: no overflow, whatever the scores
        G[r, j] = e  # unnormalized for now: one exp per score
        total += e
    scale = wi / total
    for j in range(C):
        G[r, j] *= scale
    G[r, yi] -= wi
    return wi * (np.log(total) + np.float64(top) - np.float64(S[r, yi]))


@njit(inline="always", **HELPER_OPTIONS)
def _block_loss(S, n_rows, y, weights, start, delta, kind, G):
    """Loss of a block's rows and its dL/dscores; returns (loss, all scores finite)."""
    loss = 0.0
    finite = True
    for r in range(n_rows):
        for j in range(S.shape[1]):
            finite &= np.isfinite(S[r, j])
        yi = y[start + r]
        wi = weights[start + r]
        if kind == SOFTMAX:
            loss += _softmax_row(S, r, yi, wi, G)
        else:
            loss += _hinge_row(S, r, yi, wi, delta, kind == SQUARED_HINGE, G)
    return loss, finite


@njit(**HELPER_OPTIONS)
def _chunk(X, rows, WT, bias, y, weights, delta, kind, start, stop, dWT, db):
    """Rows [start, stop) of the batch: returns their loss; adds their dL/dW to ``dWT``.

    ``dWT`` and ``db`` (dL/db) are this chunk's own partials.
    """
    C = WT.shape[0]
    S = np.empty((BLOCK_ROWS, C), dtype=X.dtype)
    G = np.empty((BLOCK_ROWS, C), dtype=X.dtype)
    loss = 0.0
    finite = True
    for b in range(start, stop, BLOCK_ROWS):
        n_rows = min(BLOCK_ROWS, stop - b)
        block_scores(X, rows, b, n_rows, WT, S)
        for r in range(n_rows):
            for c in range(C):
                S[r, c] += bias[c]
        block_loss, block_finite = _block_loss(S, n_rows, y, weights, b, delta, kind, G)
        loss += block_loss
        finite &= block_finite
        for r in range(n_rows):
            for c in range(C):
                db[c] += G[r, c]
        block_grad(X, rows, b, n_rows, dWT, G)
    return loss, finite


@njit(**PARALLEL_OPTIONS)
def loss_grad_kernel(X, rows, WT, bias, y, weights, delta, kind, l2, l1, chunks):
    """Data loss, penalty, dWT (C, D) in X's dtype, db (C,) and whether every score was finite.

    The batch is ``X[rows]``, read in place; ``y`` and ``weights`` are the batch's own.
    Scores are ``X @ WT.T + bias``. The penalty and its gradient are added in the pass that
    sums the chunks' partial gradients: no separate pass over W, and no BLAS call between
    two parallel regions (its threads and Numba's would compete for the cores).
    """
    D = X.shape[1]
    N = rows.shape[0]
    C = WT.shape[0]
    partial_dWT = np.zeros((chunks, C, D), dtype=X.dtype)
    partial_db = np.zeros((chunks, C))
    partial_loss = np.zeros(chunks)
    partial_finite = np.ones(chunks, dtype=np.bool_)
    for k in prange(chunks):
        start = k * N // chunks
        stop = (k + 1) * N // chunks
        partial_loss[k], partial_finite[k] = _chunk(
            X, rows, WT, bias, y, weights, delta, kind, start, stop, partial_dWT[k], partial_db[k]
        )
    # Sum the partials in chunk order (float64), a slice of D at a time,
    # and add the penalty's gradient; the penalty is summed per slice, then in slice order.
    dWT = np.empty((C, D), dtype=X.dtype)
    n_slices = (D + SLICE - 1) // SLICE
    partial_penalty = np.zeros(n_slices)
    for s in range(n_slices):
        lo = s * SLICE
        hi = min(D, lo + SLICE)
        acc = np.empty(hi - lo)
        penalty = 0.0
        for c in range(C):
            acc[:] = 0.0
            for k in range(chunks):
                part = partial_dWT[k, c]
                for d in range(lo, hi):
                    acc[d - lo] += part[d]
            if l2 != 0.0 or l1 != 0.0:
                for d in range(lo, hi):
                    w = np.float64(WT[c, d])
                    penalty += l2 * (w * w) + l1 * abs(w)
                    acc[d - lo] += 2.0 * l2 * w + l1 * np.sign(w)
            for d in range(lo, hi):
                dWT[c, d] = acc[d - lo]
        partial_penalty[s] = penalty
    loss = 0.0
    db = np.zeros(C)
    for k in range(chunks):
        loss += partial_loss[k]
        db += partial_db[k]
    penalty = 0.0
    for s in range(n_slices):
        penalty += partial_penalty[s]
    return loss, penalty, dWT, db, partial_finite.all()


def loss_grad_rows(X, rows, WT, bias, y, weights, delta, kind, l2, l1):
    rows = np.arange(X.shape[0]) if rows is None else rows
    code = CODES[kind]
    chunks = n_chunks(len(rows), "losses")
    loss, penalty, dWT, db, finite = loss_grad_kernel(
        X, rows, WT, bias, y, weights, float(delta), code, float(l2), float(l1), chunks
    )
    return (float(loss) if finite else float("nan")), float(penalty), dWT, db
