"""Loss-and-gradient in whole-array NumPy (CS231n's ``*_loss_vectorized``).

Same signatures as :mod:`fastlin.naive.losses`.
"""

import numpy as np


def svm_loss_grad(X, W, y, weights, delta):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    margins = scores - scores[rows, y][:, None] + delta
    margins[rows, y] = 0.0
    active = margins > 0  # a margin of exactly 0 is inactive
    loss = float(weights @ np.where(active, margins, 0.0).sum(axis=1, dtype=np.float64))
    coef = active.astype(X.dtype)
    coef[rows, y] = -coef.sum(axis=1)
    coef *= weights[:, None].astype(X.dtype)
    return loss, X.T @ coef


def softmax_loss_grad(X, W, y, weights):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, dtype=np.float64))
    loss = float(weights @ (log_norm - shifted[rows, y]))
    coef = np.exp(shifted - log_norm[:, None].astype(X.dtype))
    coef[rows, y] -= 1.0
    coef *= weights[:, None].astype(X.dtype)
    return loss, X.T @ coef
