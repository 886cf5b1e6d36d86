"""The k-means steps one point and one center at a time.

Every tier exposes::

    lloyd_step(X, centers) -> (labels, min_sq_dist, sums, counts)
    closer(X, center, d2)  -> None
    potentials(X, candidates, d2) -> (m,)

``lloyd_step`` assigns each row of ``X`` (N, D) to its nearest row of ``centers`` (k, D)
(the first one on ties), returns the labels (int64), the squared distance to that center
(float64, computed directly as ``sum((x - c)**2)``), and per cluster the float64 sum of its
points and their count: the assignment step and the statistics of the update step in one
pass. ``closer`` lowers ``d2[i]`` to ``|X[i] - center|**2`` where that is smaller (the
k-means++ seeding step). ``potentials`` gives, for each candidate center, the sum over the
points of ``min(d2[i], |X[i] - candidate|**2)``: the inertia the seeding would reach by
adding it (greedy k-means++ keeps the best of several candidates).
"""

import numpy as np


def lloyd_step(X, centers):
    N, D = X.shape
    k = centers.shape[0]
    labels = np.empty(N, dtype=np.int64)
    min_sq = np.empty(N)
    sums = np.zeros((k, D))
    counts = np.zeros(k, dtype=np.int64)
    for i in range(N):
        best, best_d = 0, np.inf
        for c in range(k):
            d = 0.0
            for j in range(D):
                diff = float(X[i, j]) - float(centers[c, j])
                d += diff * diff
            if d < best_d:
                best, best_d = c, d
        labels[i] = best
        min_sq[i] = best_d
        sums[best] += X[i]
        counts[best] += 1
    return labels, min_sq, sums, counts


def closer(X, center, d2):
    for i in range(X.shape[0]):
        d = 0.0
        for j in range(X.shape[1]):
            diff = float(X[i, j]) - float(center[j])
            d += diff * diff
        d2[i] = min(d2[i], d)


def potentials(X, candidates, d2):
    out = np.zeros(candidates.shape[0])
    for m in range(candidates.shape[0]):
        trial = d2.copy()
        closer(X, candidates[m], trial)
        out[m] = trial.sum()
    return out
