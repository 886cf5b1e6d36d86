"""Outside implementations the tiers are checked and benchmarked against.

Each peer takes the arguments of the public function it mirrors and is ``None`` when its
library is not installed, so ``tests/`` and ``bench/`` share one table and skip together.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - optional peer
    torch = None


def _torch_loss(kind):
    if torch is None:
        return None

    def run(W, X, y):
        """Forward and backward of the data loss with autograd; returns (loss, dW)."""
        Wt = torch.from_numpy(W).requires_grad_(True)
        scores = torch.from_numpy(X) @ Wt
        target = torch.from_numpy(np.asarray(y, dtype=np.int64))
        if kind == "svm":
            loss = W.shape[1] * F.multi_margin_loss(scores, target)
        else:
            loss = F.cross_entropy(scores, target)
        loss.backward()
        return float(loss.detach()), Wt.grad.numpy()

    return run


#: loss kind -> PyTorch forward+backward (None when torch is missing)
TORCH_LOSSES = {"svm": _torch_loss("svm"), "softmax": _torch_loss("softmax")}


def cs231n_color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """CS231n's ``color_histogram_hsv`` (assignment 1, ``features.py``), the definition we match."""
    import matplotlib.colors

    bins = np.linspace(xmin, xmax, nbin + 1)
    hsv = matplotlib.colors.rgb_to_hsv(im / xmax) * xmax
    hist, edges = np.histogram(hsv[:, :, 0], bins=bins, density=normalized)
    return hist * np.diff(edges)


try:
    import cv2
except ImportError:  # pragma: no cover - optional peer
    cv2 = None


def opencv_hog_loop(images, pixels_per_cell=(8, 8), cells_per_block=(2, 2), orientations=9):
    """OpenCV's ``HOGDescriptor.compute`` image by image (its own maths: Gaussian window,
    bilinear votes). None when OpenCV is missing."""
    if cv2 is None:
        return None
    H, W = images.shape[1:3]
    c_row, c_col = pixels_per_cell
    block = (c_col * cells_per_block[1], c_row * cells_per_block[0])
    descriptor = cv2.HOGDescriptor((W, H), block, (c_col, c_row), (c_col, c_row), orientations)
    return np.stack([descriptor.compute(im).ravel() for im in images])


def opencv_hue_histogram_loop(images, nbin=10):
    """OpenCV's ``cvtColor`` to HSV (hue on 0-255) and ``calcHist``, image by image."""
    if cv2 is None:
        return None
    out = np.empty((len(images), nbin))
    for i, im in enumerate(images):
        hsv = cv2.cvtColor(im, cv2.COLOR_RGB2HSV_FULL)
        hist = cv2.calcHist([hsv], [0], None, [nbin], [0, 256]).ravel()
        out[i] = hist / hist.sum()
    return out


def cs231n_softmax_train(X, y, W, learning_rate, reg, num_iters, batch_size, seed=0):
    """CS231n's ``LinearClassifier.train`` loop with its vectorized softmax loss: sample a
    batch with ``np.random.choice``, copy ``X[idx]``, compute loss and gradient, step."""
    rng = np.random.default_rng(seed)
    N = X.shape[0]
    W = W.copy()
    history = []
    for _ in range(num_iters):
        idx = rng.choice(N, batch_size)
        X_batch, y_batch = X[idx], y[idx]
        scores = X_batch @ W
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(batch_size), y_batch]).mean() + reg * np.sum(W * W)
        probs[np.arange(batch_size), y_batch] -= 1
        dW = X_batch.T @ probs / batch_size + 2 * reg * W
        W -= learning_rate * dW
        history.append(loss)
    return W, history
