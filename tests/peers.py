"""Outside implementations fastlin is checked and benchmarked against, in one place.

``tests/registry.py`` names them per operation; the tier tests and the ladder in ``bench/``
both take them from there. A peer whose library is not installed is ``None`` (or its
runner returns None), and its checks and benchmarks skip.
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

    def run(W, X, y, reg=0.0):
        """Forward and backward of the loss (plus ``reg * sum(W**2)``) with autograd; (loss, dW)."""
        Wt = torch.from_numpy(W).requires_grad_(True)
        scores = torch.from_numpy(X) @ Wt
        target = torch.from_numpy(np.asarray(y, dtype=np.int64))
        if kind == "svm":
            loss = W.shape[1] * F.multi_margin_loss(scores, target)
        elif kind == "squared_hinge":
            loss = W.shape[1] * F.multi_margin_loss(scores, target, p=2)
        elif kind.startswith("ovr_"):  # one binary hinge per class, labels +1 / -1
            labels = 2.0 * F.one_hot(target, W.shape[1]).to(scores.dtype) - 1.0
            hinge = F.relu(1.0 - labels * scores)
            loss = (hinge * hinge if kind == "ovr_squared_hinge" else hinge).sum(dim=1).mean()
        else:
            loss = F.cross_entropy(scores, target)
        if reg:
            loss = loss + reg * (Wt * Wt).sum()
        loss.backward()
        return float(loss.detach()), Wt.grad.numpy()

    return run


#: loss kind -> PyTorch forward+backward (None when torch is missing)
TORCH_LOSSES = {kind: _torch_loss(kind) for kind in ("svm", "squared_hinge", "softmax", "ovr_svm", "ovr_squared_hinge")}


def _cs231n_margins(W, X, y):
    """The hinge margins of CS231n's vectorized SVM, the correct class's set to 0."""
    rows = np.arange(X.shape[0])
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[rows, y][:, np.newaxis] + 1)
    margins[rows, y] = 0
    return rows, margins


def cs231n_svm_loss_vectorized(W, X, y, reg):
    """CS231n's ``svm_loss_vectorized`` (assignment 1) as students write it: mean hinge loss
    with delta 1 plus ``reg * sum(W * W)``, the gradient from a margin mask."""
    num_train = X.shape[0]
    rows, margins = _cs231n_margins(W, X, y)
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)
    mask = (margins > 0).astype(X.dtype)
    mask[rows, y] = -np.sum(mask, axis=1)
    dW = X.T.dot(mask) / num_train + 2 * reg * W
    return loss, dW


def cs231n_squared_hinge_loss_vectorized(W, X, y, reg):
    """:func:`cs231n_svm_loss_vectorized` with squared margins (the L2-SVM), written the same way."""
    num_train = X.shape[0]
    rows, margins = _cs231n_margins(W, X, y)
    loss = np.sum(margins * margins) / num_train + reg * np.sum(W * W)
    coef = 2 * margins
    coef[rows, y] = -np.sum(coef, axis=1)
    dW = X.T.dot(coef) / num_train + 2 * reg * W
    return loss, dW


def numpy_ovr_squared_hinge_loss(W, X, y, reg):
    """One-versus-rest L2-SVMs as Coates and Ng's demo computes them (``my_l2svmloss``), in
    NumPy: labels +1 / -1 per class, mean squared hinge plus ``reg * sum(W * W)``."""
    num_train = X.shape[0]
    labels = (2 * (y[:, np.newaxis] == np.arange(W.shape[1])) - 1).astype(X.dtype)
    margins = np.maximum(0, 1 - labels * X.dot(W))
    loss = np.sum(margins * margins) / num_train + reg * np.sum(W * W)
    dW = X.T.dot(-2 * labels * margins) / num_train + 2 * reg * W
    return loss, dW


def cs231n_softmax_loss_vectorized(W, X, y, reg):
    """CS231n's ``softmax_loss_vectorized``: shifted scores, probabilities, mean cross-entropy
    plus ``reg * sum(W * W)``."""
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[rows, y])) / num_train + reg * np.sum(W * W)
    probs[rows, y] -= 1
    dW = X.T.dot(probs) / num_train + 2 * reg * W
    return loss, dW


def skimage_hog_loop(images, channel_axis=None, **kw):
    """``skimage.feature.hog`` image by image: the reference fastlin's HOG matches."""
    from skimage.feature import hog

    return np.stack([hog(im, channel_axis=channel_axis, **kw) for im in images])


def with_sklearn(runner):
    """``runner`` when scikit-learn is installed, else None (the peer skips)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:  # pragma: no cover - optional peer
        return None
    return runner


def skimage_lbp_loop(images, P, R, method):
    """``skimage.feature.local_binary_pattern`` image by image (integer images: no warning)."""
    import warnings

    from skimage.feature import local_binary_pattern

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # its caution about float images
        return np.stack([local_binary_pattern(im, P, R, method) for im in images])


def sklearn_kmeans(X, k, max_iter, seed=0):
    """scikit-learn's ``KMeans`` (Lloyd, one initialization): (centers, labels, inertia)."""
    from sklearn.cluster import KMeans

    km = KMeans(k, n_init=1, algorithm="lloyd", max_iter=max_iter, tol=0, random_state=seed).fit(X)
    return km.cluster_centers_, km.labels_, float(km.inertia_)


def sklearn_bow_counts(images, words, p):
    """Every patch at stride 1 with ``extract_patches_2d``, normalized, nearest word by
    ``KMeans.predict`` on the same codebook, counted per image."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.image import extract_patches_2d

    km = KMeans(len(words), n_init=1, max_iter=1, random_state=0).fit(words)
    km.cluster_centers_ = np.ascontiguousarray(words, dtype=np.float32)
    out = np.empty((len(images), len(words)))
    for i, im in enumerate(images):
        patches = extract_patches_2d(im, (p, p)).reshape(-1, p * p * (1 if im.ndim == 2 else im.shape[2]))
        patches = patches.astype(np.float32)
        patches -= patches.mean(axis=1, keepdims=True)
        patches /= np.maximum(np.linalg.norm(patches, axis=1, keepdims=True), 1e-12)
        out[i] = np.bincount(km.predict(patches), minlength=len(words))
    return out


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


def vlfeat_dsift_loop(images, step, size, fast):
    """VLFeat's own dense SIFT (MATLAB's vl_dsift through tests/vlfeat.py), image by image; None without it."""
    from tests import vlfeat

    if vlfeat.available() is not None:
        return None
    scale = np.float32(255) if images.dtype == np.uint8 else np.float32(1)
    return np.stack([vlfeat.matlab_dsift(im.astype(np.float32) / scale, step, size, fast)[1] for im in images])


def vlfeat_phow_loop(images, **params):
    """PHOW as vl_phow runs it over VLFeat's own smoothing and dense SIFT, image by image; None without it."""
    from tests import vlfeat

    if vlfeat.available() is not None:
        return None
    scale = np.float32(255) if images.dtype == np.uint8 else np.float32(1)
    return np.stack([vlfeat.matlab_phow(im.astype(np.float32) / scale, **params)[1] for im in images])


def opencv_sift_grid_loop(images, step, size):
    """OpenCV's ``SIFT.compute`` on the same dense grid, image by image: what Python users loop
    today (a different descriptor: its own Gaussian window and interpolation). None without OpenCV."""
    if cv2 is None:
        return None
    H, W = images.shape[1:3]
    span = 3 * size + 1
    centre = 0.5 * (span - 1)
    points = [cv2.KeyPoint(float(x + centre), float(y + centre), float(4 * size))
              for x in range(0, W - span + 1, step) for y in range(0, H - span + 1, step)]  # fmt: skip
    sift = cv2.SIFT_create()
    out = []
    for im in images:
        gray = im if im.dtype == np.uint8 else np.clip(im * 255, 0, 255).astype(np.uint8)
        out.append(sift.compute(gray, points)[1])
    return np.stack(out)


def torchgist_model(rows, cols, attempts=20):
    """torchgist's ``GIST`` for (rows, cols) images, its Gabor bank checked against
    ``createGabor`` (float64) to 1e-5; None without torchgist.

    With torch 2.13, about one construction in 30 to 300 (measured on two Intel machines)
    builds a bank off by up to 7e-4 (1.5e-3 relative), a nondeterminism inside torch's
    elementwise operations; such a model is thrown away and built again.
    """
    try:
        from torchgist.models import GIST
    except ImportError:
        return None
    from fastlin import _spec

    exact = _spec.gist_gabor((8, 8, 8, 8), (rows + 64, cols + 64)).transpose(1, 2, 0)
    for _ in range(attempts):
        model = GIST(image_size=(rows, cols))
        if np.abs(model.gabors.numpy() - exact).max() < 1e-5:
            return model
    raise RuntimeError(f"torchgist built a wrong Gabor bank {attempts} times in a row")


def torchgist_loop(images, model=None):
    """torchgist 1.0.0 (a PyTorch port of LMgist, float32), image by image as it runs a batch;
    None without it. It averages the channels of a (C, H, W) tensor and rescales it in place,
    so each image goes in as a fresh tensor. ``model``: one from ``torchgist_model``, built
    here when not given."""
    if model is None:
        model = torchgist_model(*images.shape[1:3])
    if model is None:
        return None
    out = []
    for im in images:
        chw = im.transpose(2, 0, 1) if im.ndim == 3 else im[None]
        out.append(model(torch.tensor(chw, dtype=torch.float32)).numpy())
    return np.stack(out)


def scipy_fftconvolve_responses(images, bank, chunk=20):
    """Every filter's response as ``scipy.signal.fftconvolve`` gives it on the reflect-padded
    images: batched over ``chunk`` images and the whole bank (its ``axes``), float64."""
    from scipy.signal import fftconvolve

    s = bank.shape[1]
    h = s // 2
    out = []
    for a in range(0, len(images), chunk):
        padded = np.pad(np.asarray(images[a : a + chunk], dtype=np.float64), ((0, 0), (h, h), (h, h)), mode="symmetric")
        conv = fftconvolve(padded[:, None], bank[None], mode="valid", axes=(2, 3))
        out.append(conv.transpose(0, 2, 3, 1))
    return np.concatenate(out).astype(np.float32)
