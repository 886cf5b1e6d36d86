"""Loss-and-gradient, one sample and one class at a time (CS231n's ``*_loss_naive``).

Every tier exposes the same two functions::

    svm_loss_grad(X, W, y, weights, delta) -> (data_loss, dW)
    softmax_loss_grad(X, W, y, weights)    -> (data_loss, dW)

``X`` (N, D) and ``W`` (D, C) share a float dtype, ``y`` holds valid labels and ``weights``
the per-sample factors ``w_i / sum(w)`` (float64). ``dW`` has ``X``'s dtype. No
regularization here: the public layer adds it.
"""

import math

import numpy as np


def svm_loss_grad(X, W, y, weights, delta):
    N, C = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.float64)
    for i in range(N):
        scores = X[i].astype(np.float64) @ W
        correct = scores[y[i]]
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[j] - correct + delta
            if margin > 0:  # a margin of exactly 0 is inactive
                loss += weights[i] * margin
                dW[:, j] += weights[i] * X[i]
                dW[:, y[i]] -= weights[i] * X[i]
    return float(loss), dW.astype(X.dtype)


def softmax_loss_grad(X, W, y, weights):
    N, C = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.float64)
    for i in range(N):
        scores = X[i].astype(np.float64) @ W
        top = max(scores)  # shift so that the largest exponent is 0: no overflow
        total = 0.0
        for j in range(C):
            total += math.exp(scores[j] - top)
        log_total = math.log(total) + top
        loss += weights[i] * (log_total - scores[y[i]])
        for j in range(C):
            p = math.exp(scores[j] - log_total)
            dW[:, j] += weights[i] * (p - (j == y[i])) * X[i]
    return float(loss), dW.astype(X.dtype)
