"""Loss-and-gradient in whole-array NumPy (CS231n's ``*_loss_vectorized``).

Same contract as :mod:`fastlin.naive.losses`: a batch ``X[rows]`` is gathered into a copy,
as NumPy code does.
"""

import numpy as np


def _svm_coef(scores, y, delta, squared):
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + delta
    margins[rows, y] = 0.0
    active = margins > 0  # a margin of exactly 0 is inactive
    hinge = np.where(active, margins, 0.0)
    coef = (2.0 * hinge).astype(scores.dtype) if squared else active.astype(scores.dtype)
    coef[rows, y] = -coef.sum(axis=1)
    return (hinge * hinge if squared else hinge).sum(axis=1, dtype=np.float64), coef


def _ovr_coef(scores, y, delta, squared):
    sign = np.full(scores.shape, -1.0, dtype=scores.dtype)
    sign[np.arange(len(y)), y] = 1.0  # each class's binary label
    margins = delta - sign * scores
    active = margins > 0  # a margin of exactly 0 is inactive
    hinge = np.where(active, margins, 0.0)
    coef = -sign * (2.0 * hinge if squared else active.astype(scores.dtype))
    return (hinge * hinge if squared else hinge).sum(axis=1, dtype=np.float64), coef


def _softmax_coef(scores, y):
    rows = np.arange(len(y))
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, dtype=np.float64))
    coef = np.exp(shifted - log_norm[:, None].astype(scores.dtype))
    coef[rows, y] -= 1.0
    return log_norm - shifted[rows, y], coef


def loss_grad_rows(X, rows, WT, bias, y, weights, delta, kind, l2, l1):
    Xb = (X if rows is None else X[rows]).astype(WT.dtype, copy=False)  # float16 X: computed in float32
    scores = Xb @ WT.T + bias.astype(WT.dtype)
    W64 = WT.astype(np.float64)
    penalty = l2 * float(np.sum(W64 * W64)) + l1 * float(np.abs(W64).sum())
    penalty_grad = 2.0 * l2 * W64 + l1 * np.sign(W64)
    if not np.isfinite(scores).all():
        return np.nan, penalty, np.zeros(WT.shape, dtype=WT.dtype), np.zeros(WT.shape[0])
    if kind == "softmax":
        row_loss, coef = _softmax_coef(scores, y)
    elif kind.startswith("ovr_"):
        row_loss, coef = _ovr_coef(scores, y, delta, kind == "ovr_squared_hinge")
    else:
        row_loss, coef = _svm_coef(scores, y, delta, kind == "squared_hinge")
    coef *= weights[:, None].astype(WT.dtype)
    dWT = (coef.T @ Xb + penalty_grad).astype(WT.dtype)
    return float(weights @ row_loss), penalty, dWT, coef.sum(axis=0, dtype=np.float64)
