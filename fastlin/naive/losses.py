"""Loss-and-gradient, one sample and one class at a time (CS231n's ``*_loss_naive``).

Every tier exposes the same contract::

    loss_grad_rows(X, rows, WT, bias, y, weights, delta, kind, l2, l1)
        -> (data_loss, penalty, dWT, db)

The batch is ``X[rows]`` (all of ``X`` when ``rows`` is None), read in place by the jit tier;
``WT`` (C, D) is W transposed, in X's float dtype (float32 for float16 X); ``bias`` (C,) is added to every score
(``s = X[i] @ WT.T + bias``); ``y`` holds the batch's labels in ``[0, C)`` and ``weights``
its per-sample factors ``w_i / sum(w)`` (float64); ``kind`` is ``"svm"`` (Weston-Watkins
hinge with margin ``delta``), ``"squared_hinge"`` (the same margins, squared),
``"ovr_svm"`` / ``"ovr_squared_hinge"`` (one binary hinge per class, one against the rest:
``max(0, delta - t_j s_j)`` with ``t_j = +1`` for the sample's class and -1 for the others,
or its square) or ``"softmax"`` (cross-entropy). The penalty is
``l2 * sum(W**2) + l1 * sum(|W|)`` with gradient ``2 l2 W + l1 sign(W)`` (the public layer
turns ``reg``, ``penalty`` and ``l1_ratio`` into ``l2`` and ``l1``), computed on ``WT``.
X may be float16 (features stored in half the memory): it is then computed in float32, with
``WT`` and ``bias`` float32. Returns the weighted data loss (a float, NaN when a score was
not finite), the penalty (a float), ``dWT`` (C, D) in WT's dtype, data and penalty
gradients summed in float64 before the rounding, and ``db`` (C,) float64.
"""

import math

import numpy as np


def _svm_row(scores, yi, delta, squared):
    """Hinge loss (or its square) of one sample and its dL/dscores (a margin of exactly 0 is inactive)."""
    coef = np.zeros(len(scores))
    loss = 0.0
    for j in range(len(scores)):
        if j == yi:
            continue
        margin = scores[j] - scores[yi] + delta
        if margin > 0:
            loss += margin * margin if squared else margin
            slope = 2.0 * margin if squared else 1.0
            coef[j] += slope
            coef[yi] -= slope
    return loss, coef


def _ovr_row(scores, yi, delta, squared):
    """One-versus-rest hinge losses (or their squares) of one sample and its dL/dscores."""
    coef = np.zeros(len(scores))
    loss = 0.0
    for j in range(len(scores)):
        sign = 1.0 if j == yi else -1.0  # the class's binary label
        margin = delta - sign * scores[j]
        if margin > 0:  # a margin of exactly 0 is inactive
            loss += margin * margin if squared else margin
            coef[j] = -sign * (2.0 * margin if squared else 1.0)
    return loss, coef


def _softmax_row(scores, yi):
    """Cross-entropy of one sample and its dL/dscores, shifted so no exponent overflows."""
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    log_total = math.log(total) + top
    coef = np.array([math.exp(s - log_total) for s in scores])
    coef[yi] -= 1.0
    return log_total - scores[yi], coef


def loss_grad_rows(X, rows, WT, bias, y, weights, delta, kind, l2, l1):
    rows = range(X.shape[0]) if rows is None else rows
    C, D = WT.shape
    loss = 0.0
    dWT = np.zeros((C, D))
    db = np.zeros(C)
    finite = True
    for k, i in enumerate(rows):
        x = X[i].astype(np.float64)
        scores = [float(x @ WT[c].astype(np.float64)) + float(bias[c]) for c in range(C)]
        if not all(math.isfinite(s) for s in scores):
            finite = False
            continue
        if kind == "softmax":
            row_loss, coef = _softmax_row(scores, y[k])
        elif kind.startswith("ovr_"):
            row_loss, coef = _ovr_row(scores, y[k], delta, kind == "ovr_squared_hinge")
        else:
            row_loss, coef = _svm_row(scores, y[k], delta, kind == "squared_hinge")
        loss += weights[k] * row_loss
        for c in range(C):
            dWT[c] += weights[k] * coef[c] * x
            db[c] += weights[k] * coef[c]
    penalty = 0.0
    for c in range(C):
        for d in range(D):
            w = float(WT[c, d])
            penalty += l2 * w * w + l1 * abs(w)
            dWT[c, d] += 2.0 * l2 * w + l1 * float(np.sign(w))
    return (loss if finite else math.nan), penalty, dWT.astype(WT.dtype), db
