"""The k-means steps in whole-array NumPy. Same signatures as :mod:`fastlin.naive.kmeans`.

Distances for the assignment come from the expansion ``|c|^2 - 2 x.c`` (one matrix product,
as scikit-learn computes them); the returned distance to the chosen center is then
computed directly.
"""

import numpy as np


def lloyd_step(X, centers):
    k, D = centers.shape
    partial = np.einsum("ij,ij->i", centers, centers)[None, :] - 2.0 * (X @ centers.T)
    labels = np.argmin(partial, axis=1).astype(np.int64)
    diff = X.astype(np.float64) - centers[labels]
    min_sq = np.einsum("ij,ij->i", diff, diff)
    counts = np.bincount(labels, minlength=k).astype(np.int64)
    sums = np.zeros((k, D))
    np.add.at(sums, labels, X)
    return labels, min_sq, sums, counts


def closer(X, center, d2):
    diff = X.astype(np.float64) - center
    np.minimum(d2, np.einsum("ij,ij->i", diff, diff), out=d2)


def potentials(X, candidates, d2):
    diff = X[None, :, :].astype(np.float64) - candidates[:, None, :]
    return np.minimum(d2[None, :], np.einsum("mij,mij->mi", diff, diff)).sum(axis=1)
