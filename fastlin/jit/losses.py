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

With many classes (``_spec.use_gemm``: 16 or more for float32, 32 for float64) the two products are wide enough for
the machine's GEMM to beat the register tiles: the scores are ``X[rows] @ W`` and the
gradient ``G.T @ X[rows]`` by the BLAS NumPy uses, and only the pass over the scores (margins,
or probabilities with a vectorizable ``exp``) runs between them, serially, in place, with
per-chunk partial losses. In float64 from 1000 rows the scores are held class-major,
``W.T @ X[rows].T`` (C, N), where OpenBLAS runs both products faster
(``_spec.gemm_class_major``; their pass is :mod:`fastlin.jit._lanes`). BLAS splits a
product over its output, so its result does not depend on its thread count either.

A NaN or inf in X always makes a score of its row non-finite (W is checked finite by the
caller); the kernel reports that instead of making a second pass over X to look for it.
"""

import numpy as np
from numba import njit, prange

from fastlin._config import HELPER_OPTIONS, JIT_OPTIONS, PARALLEL_OPTIONS
from fastlin._spec import BLOCK_ROWS, gemm_class_major, n_chunks, use_gemm
from fastlin.jit._bits import float_keys, order_key
from fastlin.jit._exp import exp_shifted
from fastlin.jit._half import block_rows, half_scratch
from fastlin.jit._lanes import LANES, hinge_lanes, ovr_lanes, softmax_lanes
from fastlin.jit._tiles import block_grad, block_scores

SLICE = 256  # columns of dWT summed at a time in the final sum (they stay in L1)
SVM, SOFTMAX, SQUARED_HINGE, OVR_SVM, OVR_SQUARED_HINGE = 0, 1, 2, 3, 4
CODES = {
    "svm": SVM,
    "softmax": SOFTMAX,
    "squared_hinge": SQUARED_HINGE,
    "ovr_svm": OVR_SVM,
    "ovr_squared_hinge": OVR_SQUARED_HINGE,
}

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
def _ovr_row(S, r, yi, wi, delta, squared, G):
    """Weighted one-versus-rest hinge losses of row ``r`` (each squared when ``squared``).

    Class ``j``'s binary label is +1 for ``yi``, -1 otherwise; its margin
    ``delta - label * s_j``, inactive at exactly 0. dL/dscores go into ``G[r]``.
    """
    loss = 0.0
    for j in range(S.shape[1]):
        sign = 1.0 if j == yi else -1.0
        margin = delta - sign * np.float64(S[r, j])
        if margin > 0.0:
            loss += wi * margin * margin if squared else wi * margin
            G[r, j] = -sign * (2.0 * wi * margin if squared else wi)
        else:
            G[r, j] = 0.0
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
        elif kind >= OVR_SVM:
            loss += _ovr_row(S, r, yi, wi, delta, kind == OVR_SQUARED_HINGE, G)
        else:
            loss += _hinge_row(S, r, yi, wi, delta, kind == SQUARED_HINGE, G)
    return loss, finite


@njit(inline="always", **HELPER_OPTIONS)
def _sum_partials(partial_loss, partial_db):
    """The chunks' losses and dL/db summed in chunk order (the same bits for any thread count)."""
    loss = 0.0
    db = np.zeros(partial_db.shape[1])
    for k in range(partial_loss.shape[0]):
        loss += partial_loss[k]
        db += partial_db[k]
    return loss, db


@njit(**HELPER_OPTIONS)
def _chunk(X, rows, WT, bias, y, weights, delta, kind, start, stop, dWT, db):
    """Rows [start, stop) of the batch: returns their loss; adds their dL/dW to ``dWT``.

    ``dWT`` and ``db`` (dL/db) are this chunk's own partials.
    """
    C = WT.shape[0]
    S = np.empty((BLOCK_ROWS, C), dtype=WT.dtype)
    G = np.empty((BLOCK_ROWS, C), dtype=WT.dtype)
    scratch, identity = half_scratch(X, WT)
    loss = 0.0
    finite = True
    for b in range(start, stop, BLOCK_ROWS):
        n_rows = min(BLOCK_ROWS, stop - b)
        A, A_rows, a = block_rows(X, rows, b, n_rows, scratch, identity)
        block_scores(A, A_rows, a, n_rows, WT, S)
        for r in range(n_rows):
            for c in range(C):
                S[r, c] += bias[c]
        block_loss, block_finite = _block_loss(S, n_rows, y, weights, b, delta, kind, G)
        loss += block_loss
        finite &= block_finite
        for r in range(n_rows):
            for c in range(C):
                db[c] += G[r, c]
        block_grad(A, A_rows, a, n_rows, dWT, G)
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
    partial_dWT = np.zeros((chunks, C, D), dtype=WT.dtype)
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
    dWT = np.empty((C, D), dtype=WT.dtype)
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
    loss, db = _sum_partials(partial_loss, partial_db)
    penalty = 0.0
    for s in range(n_slices):
        penalty += partial_penalty[s]
    return loss, penalty, dWT, db, partial_finite.all()


# --- many classes: the machine's GEMM for the products, one fused pass over the scores ------


@njit(inline="always", **HELPER_OPTIONS)
def _add_bias_range(S, keys, r, bias, extremes, extreme_keys):
    """``S[r] += bias``; returns the row's largest and smallest values, NaN if it holds one.

    Found over the order keys of :mod:`fastlin.jit._bits`, whose loop vectorizes (a float
    ``max`` reduction stays scalar without the no-NaN fastmath flag: 4x slower on 1M
    scores). ``keys`` is S's integer view, ``extreme_keys`` that of the scratch
    ``extremes`` (2,) of S's dtype: views made once by the caller, not per row (three views
    a row were 0.5 of 1.9 ms over 10000 x 100 float32 scores).
    """
    for j in range(S.shape[1]):
        S[r, j] += bias[j]
    high = order_key(keys[r, 0])
    low = high
    for j in range(S.shape[1]):
        k = order_key(keys[r, j])
        high = max(high, k)
        low = min(low, k)
    extreme_keys[0] = order_key(high)
    extreme_keys[1] = order_key(low)
    return extremes[0], extremes[1]


@njit(inline="always", **HELPER_OPTIONS)
def _hinge_row_wide(S, r, yi, wi, delta, squared):
    """:func:`_hinge_row` in place for one row of many classes, written so its loop vectorizes.

    Every class, the correct one included, is scored in one branch-free loop; the correct
    class's own term (its margin is ``delta``) is taken back out afterwards.
    """
    correct = np.float64(S[r, yi])
    loss = 0.0
    total = 0.0
    for j in range(S.shape[1]):
        margin = np.float64(S[r, j]) - correct + delta
        active = margin > 0.0
        g = (2.0 * wi * margin if squared else wi) if active else 0.0
        loss += (wi * margin * margin if squared else wi * margin) if active else 0.0
        S[r, j] = g
        total += g
    if delta > 0.0:  # the correct class's margin, delta, was counted as active
        loss -= wi * delta * delta if squared else wi * delta
        total -= 2.0 * wi * delta if squared else wi
    S[r, yi] = -total
    return loss


@njit(inline="always", **HELPER_OPTIONS)
def _ovr_row_wide(S, r, yi, wi, delta, squared):
    """:func:`_ovr_row` in place for one row of many classes, its loop branch-free.

    Every class is first scored as a negative (label -1); the correct class is redone after.
    """
    correct = np.float64(S[r, yi])
    loss = 0.0
    for j in range(S.shape[1]):
        margin = delta + np.float64(S[r, j])
        active = margin > 0.0
        loss += (wi * margin * margin if squared else wi * margin) if active else 0.0
        S[r, j] = (2.0 * wi * margin if squared else wi) if active else 0.0
    margin = delta + correct  # take the correct class's negative term back out
    if margin > 0.0:
        loss -= wi * margin * margin if squared else wi * margin
    margin = delta - correct
    S[r, yi] = 0.0
    if margin > 0.0:
        loss += wi * margin * margin if squared else wi * margin
        S[r, yi] = -(2.0 * wi * margin if squared else wi)
    return loss


@njit(inline="always", **HELPER_OPTIONS)
def _pass_partials(chunks, C):
    """A row-wise pass's partial sums per chunk: losses, db (float64) and finiteness flags."""
    return np.zeros(chunks), np.zeros((chunks, C)), np.ones(chunks, dtype=np.bool_)


@njit(inline="always", **HELPER_OPTIONS)
def _softmax_views(S):
    """S's integer view and the row pass's scratch with theirs: (keys, scales, bits, extremes, extreme_keys)."""
    scales = np.empty(S.shape[1], dtype=S.dtype)
    extremes = np.empty(2, dtype=S.dtype)
    return float_keys(S), scales, float_keys(scales), extremes, float_keys(extremes)


def scores_pass_rows(S, bias, y, weights, delta, kind, chunks):
    """The pass between the two GEMMs: ``S += bias``, then each row's loss; ``S`` becomes dL/dscores.

    Returns the data loss (summed per chunk, then in chunk order), db (float64) and whether
    every score was finite. Serial: between two BLAS calls a parallel region competes with
    the BLAS's spinning threads, and with GNU OpenMP's when torch loaded it first (10000 x 512
    x 100 float32 softmax: 9.4 ms serial against 12.6 ms parallel with torch imported, 9.6
    against 9.1 without). The softmax has a kernel of its own, as in the class-major pass.
    """
    if kind == "softmax":
        return _softmax_rows(S, bias, y, weights, chunks)
    return _margins_rows(S, bias, y, weights, delta, CODES[kind], chunks)


@njit(**JIT_OPTIONS)
def _softmax_rows(S, bias, y, weights, chunks):
    """:func:`_softmax_row` for rows of many classes, in place, the bias added first.

    Each row becomes dL/dscores, added to db (float64). Five loops over a row, each
    vectorized: the bias; the largest and smallest scores; the exponentials
    (:func:`fastlin.jit._exp.exp_shifted`, two loops); the probabilities and db. The row's
    work is written out in the loop over rows: as a helper of its own, inlined, it took 1.7
    against 1.3 ms over 10000 x 100 float32 scores, and so did views made per row.
    """
    N, C = S.shape
    partial_loss, partial_db, partial_finite = _pass_partials(chunks, C)
    keys, scales, bits, extremes, extreme_keys = _softmax_views(S)
    for k in range(chunks):
        db = partial_db[k]
        loss = 0.0
        finite = True
        for r in range(k * N // chunks, (k + 1) * N // chunks):
            yi = y[r]
            wi = weights[r]
            top, bottom = _add_bias_range(S, keys, r, bias, extremes, extreme_keys)
            correct = np.float64(S[r, yi])
            total = exp_shifted(S, r, top, scales, bits)
            scale = wi / total
            for j in range(C):
                S[r, j] *= scale
                db[j] += S[r, j]  # the stored (rounded) gradient, as the GEMM reads it
            before = S[r, yi]
            S[r, yi] = before - wi
            db[yi] += np.float64(S[r, yi]) - np.float64(before)
            finite &= np.isfinite(top) and np.isfinite(bottom) and np.isfinite(total)
            loss += wi * (np.log(total) + np.float64(top) - correct)
        partial_loss[k] = loss
        partial_finite[k] = finite
    loss, db = _sum_partials(partial_loss, partial_db)
    return loss, db, partial_finite.all()


@njit(**JIT_OPTIONS)
def _margins_rows(S, bias, y, weights, delta, kind, chunks):
    N, C = S.shape
    partial_loss, partial_db, partial_finite = _pass_partials(chunks, C)
    for k in range(chunks):
        db = partial_db[k]
        loss = 0.0
        finite = True
        for r in range(k * N // chunks, (k + 1) * N // chunks):
            yi = y[r]
            wi = weights[r]
            total = 0.0  # in float64 no finite score overflows it: a NaN or inf among them shows
            for c in range(C):
                v = S[r, c] + bias[c]
                S[r, c] = v
                total += v
            finite &= np.isfinite(total)
            if kind >= OVR_SVM:
                loss += _ovr_row_wide(S, r, yi, wi, delta, kind == OVR_SQUARED_HINGE)
            else:
                loss += _hinge_row_wide(S, r, yi, wi, delta, kind == SQUARED_HINGE)
            for c in range(C):
                db[c] += S[r, c]
        partial_loss[k] = loss
        partial_finite[k] = finite
    loss, db = _sum_partials(partial_loss, partial_db)
    return loss, db, partial_finite.all()


def scores_pass_columns(ST, bias, y, weights, delta, kind):
    """:func:`scores_pass_rows` over class-major scores ``ST`` (C, N), a block of rows at a time.

    Returns the data loss (summed per block, then in block order), db (float64) and whether
    the loss is finite: a NaN or inf score makes it NaN (:mod:`fastlin.jit._lanes`), and a
    loss that overflows is reported alike. ``ST`` becomes dL/dscores. The loops run over
    the block's rows. Serial, for the same reason as the row-wise pass. The softmax has a
    kernel of its own: inside one kernel with the margins' loops it took 2.3 against 1.8 ms
    over 10000 x 100 float64 scores.
    """
    if kind == "softmax":
        loss, db = _softmax_columns(ST, bias, y, weights)
    else:
        loss, db = _margins_columns(ST, bias, y, weights, delta, CODES[kind])
    return loss, db, bool(np.isfinite(loss))


@njit(**JIT_OPTIONS)
def _softmax_columns(ST, bias, y, weights):
    C, N = ST.shape
    correct = np.empty(LANES)
    totals = np.empty(LANES)
    tops = np.empty(LANES, dtype=ST.dtype)
    scales = np.empty(LANES, dtype=ST.dtype)
    bits = float_keys(scales)  # once: a view is an array of its own (0.2 ms made per class)
    db = np.zeros(C)
    loss = 0.0
    for a in range(0, N, LANES):
        m = min(LANES, N - a)
        loss += softmax_lanes(ST, a, m, bias, y, weights, correct, tops, scales, bits, totals, db)
    return loss, db


@njit(**JIT_OPTIONS)
def _margins_columns(ST, bias, y, weights, delta, kind):
    C, N = ST.shape
    correct = np.empty(LANES)
    totals = np.empty(LANES)
    db = np.zeros(C)
    loss = 0.0
    for a in range(0, N, LANES):
        m = min(LANES, N - a)
        if kind >= OVR_SVM:
            loss += ovr_lanes(ST, a, m, bias, y, weights, delta, kind == OVR_SQUARED_HINGE, correct, totals, db)
        else:
            loss += hinge_lanes(ST, a, m, bias, y, weights, delta, kind == SQUARED_HINGE, correct, totals, db)
    return loss, db


@njit(**JIT_OPTIONS)
def add_penalty(dW, W, l2, l1):
    """``dW += 2 l2 W + l1 sign(W)`` (each sum in float64, then rounded); returns the penalty.

    ``dW`` and ``W`` of one shape; the loops follow dW's rows, its memory order: both (D, C)
    C-contiguous, or a class-major gradient's dWT with WT (W then read across its rows).
    Serial: right after a BLAS call a parallel region competes with the BLAS's spinning
    threads, which cost more (measured) than the work it would split.
    """
    penalty = 0.0
    for d in range(W.shape[0]):
        for c in range(W.shape[1]):
            w = np.float64(W[d, c])
            penalty += l2 * (w * w) + l1 * abs(w)
            dW[d, c] = np.float64(dW[d, c]) + 2.0 * l2 * w + l1 * np.sign(w)
    return penalty


#: rows of float16 X widened to float32 at a time on the GEMM path (a bounded copy)
HALF_GEMM_ROWS = 8192


def _loss_grad_gemm(X, rows, WT, bias, y, weights, delta, kind, l2, l1):
    """The contract for many classes: GEMM, the fused pass over the scores (in place), GEMM.

    The scores are held in the layout in which the BLAS runs the dtype's products faster
    (:func:`fastlin._spec.gemm_class_major`): row-major ``batch @ W`` (N, C), its gradient ``batch.T @ G``;
    or class-major ``WT @ batch.T`` (C, N), its gradient ``GT @ batch`` (C, D). W's own (D, C)
    layout serves both: given ``WT`` as the transposed view of a C-contiguous W, as the public
    functions pass it, nothing is transposed in memory. float16 X is widened to float32
    ``HALF_GEMM_ROWS`` rows at a time, each piece's products and pass in turn.
    """
    half = X.dtype == np.float16
    rows = np.arange(X.shape[0]) if rows is None and half else rows
    n = X.shape[0] if rows is None else len(rows)
    class_major = gemm_class_major(n, WT.shape[0], WT.dtype)
    step = HALF_GEMM_ROWS if half else n  # float X: one piece, the whole batch
    loss, finite, db, dWT = 0.0, True, np.zeros(WT.shape[0]), None
    for a in range(0, n, step):
        piece = slice(a, a + step)
        batch = X if rows is None else np.take(X, rows[piece], axis=0)
        batch = batch.astype(WT.dtype, copy=False)
        if class_major:
            G = WT @ batch.T  # the scores (C, N); the pass turns them into dL/dscores
            part_loss, part_db, part_finite = scores_pass_columns(G, bias, y[piece], weights[piece], float(delta), kind)
            part_dWT = G @ batch  # (C, D), C-contiguous
        else:
            G = batch @ WT.T  # the scores (N, C)
            chunks = n_chunks(len(batch), "losses")
            part_loss, part_db, part_finite = scores_pass_rows(
                G, bias, y[piece], weights[piece], float(delta), kind, chunks
            )
            part_dWT = (batch.T @ G).T  # (C, D), the transpose of a C-contiguous dW
        loss, finite, db = loss + part_loss, finite and part_finite, db + part_db
        dWT = part_dWT if dWT is None else np.add(dWT, part_dWT, out=dWT)
    penalty = 0.0
    if l2 != 0.0 or l1 != 0.0:
        if class_major:  # dWT's rows in memory order, W read across its rows (see _spec)
            penalty = add_penalty(dWT, WT, float(l2), float(l1))
        else:
            penalty = add_penalty(dWT.T, np.ascontiguousarray(WT.T), float(l2), float(l1))
    return (float(loss) if finite else float("nan")), float(penalty), dWT, db


def loss_grad_rows(X, rows, WT, bias, y, weights, delta, kind, l2, l1):
    if use_gemm(WT.shape[0], WT.dtype):
        return _loss_grad_gemm(X, rows, WT, bias, y, weights, delta, kind, l2, l1)
    rows = np.arange(X.shape[0]) if rows is None else rows
    if X.dtype == np.float16:
        X = X.view(np.uint16)  # the kernel widens its blocks of rows (fastlin.jit._half)
    code = CODES[kind]
    chunks = n_chunks(len(rows), "losses")
    loss, penalty, dWT, db, finite = loss_grad_kernel(
        X, rows, WT, bias, y, weights, float(delta), code, float(l2), float(l1), chunks
    )
    return (float(loss) if finite else float("nan")), float(penalty), dWT, db
