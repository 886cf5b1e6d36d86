"""The lecture's pictures (CS231n lecture 3), computed from real runs: ``fastlin lecture``.

Each experiment is a function of the data that returns the numbers behind one figure (a
JSON-ready dict); :mod:`fastlin.lecture_figures` draws them and :func:`run` writes the
figures, the numbers and an ``index.html`` with a caption each. Nothing is drawn from
anything but what the run computed, except the k-means features' accuracy on the full
CIFAR-10, which is quoted from the project's results (and marked as quoted).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import fastlin
from fastlin.classifiers import default_learning_rate
from fastlin.optim import SCHEDULES, new_state, random_search, sgd

#: the k-means features' test accuracy on the full CIFAR-10 (docs/results.md), quoted in the
#: features figure beside what the run measures
KMEANS_FEATURES_CIFAR10 = 0.8015
#: losses whose late steps average above this many times the first are called diverging
DIVERGED = 1.5


@dataclass
class Data:
    """Standardized pixels (one row an image) of the three splits, and what the figures need."""

    name: str
    Xtr: np.ndarray
    ytr: np.ndarray
    Xval: np.ndarray
    yval: np.ndarray
    Xte: np.ndarray
    yte: np.ndarray
    images: tuple[np.ndarray, np.ndarray, np.ndarray]  # the splits' images, for the features
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        """C, the number of classes."""
        return len(self.class_names)

    @property
    def colour(self) -> bool:
        """Whether the images have colour channels."""
        return self.images[0].ndim == 4

    def rows(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` training rows (a fixed subset for the experiments that loop over losses)."""
        return self.Xtr[:n], self.ytr[:n]


def prepare(splits, class_names, name: str) -> Data:
    """Standardize the pixels with the training split's statistics."""
    from fastlin.preprocessing import Standardizer

    (Xtr, ytr), (Xval, yval), (Xte, yte) = splits
    flat = [x.reshape(len(x), -1).astype(np.float64) for x in (Xtr, Xval, Xte)]
    scaler = Standardizer().fit(flat[0])
    F = [scaler.transform(f) for f in flat]
    return Data(name, F[0], ytr, F[1], yval, F[2], yte, (Xtr, Xval, Xte), tuple(class_names))


def _accuracy(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def _small_weights(data: Data, rng: np.random.Generator, scale: float = 1e-3) -> np.ndarray:
    return scale * rng.standard_normal((data.Xtr.shape[1], data.n_classes))


def good_rate(data: Data) -> float:
    """The command's default softmax learning rate for these features (4 / D)."""
    return default_learning_rate("softmax", data.Xtr.shape[1])


# --- 1. loss landscape --------------------------------------------------------------------


def landscape(data: Data, rng: np.random.Generator, n_rows: int = 500, steps: int = 41) -> dict:
    """``L(W + a W1)`` and ``L(W + a W1 + b W2)`` for the SVM and softmax, one example and a batch."""
    X, y = data.rows(n_rows)
    D, C = X.shape[1], data.n_classes
    W = _small_weights(data, rng)
    W1, W2 = (rng.standard_normal((D, C)) / math.sqrt(D) for _ in range(2))  # a = 1 moves scores by ~1
    a = np.linspace(-3, 3, 4 * steps + 1)
    grid = np.linspace(-3, 3, steps)
    losses = {"svm": fastlin.svm_loss, "softmax": fastlin.softmax_loss}
    out: dict = {"a": a.tolist(), "grid": grid.tolist(), "n_rows": n_rows}
    for name, fn in losses.items():
        for who, (Xs, ys) in {"one": (X[:1], y[:1]), "batch": (X, y)}.items():
            out[f"{name}_{who}_1d"] = [fn(W + s * W1, Xs, ys)[0] for s in a]
            out[f"{name}_{who}_2d"] = [[fn(W + s * W1 + t * W2, Xs, ys)[0] for s in grid] for t in grid]
    return out


# --- 2. sanity check at initialization ---------------------------------------------------


def sanity(data: Data, rng: np.random.Generator, n_rows: int = 2000) -> dict:
    """With small random W and no regularization: SVM ~ C - 1, softmax ~ ln C; then as reg grows."""
    X, y = data.rows(n_rows)
    W = _small_weights(data, rng, scale=1e-4)
    regs = np.logspace(-1, 7, 17)
    return {
        "C": data.n_classes,
        "svm": fastlin.svm_loss(W, X, y)[0],
        "softmax": fastlin.softmax_loss(W, X, y)[0],
        "expected_svm": data.n_classes - 1,
        "expected_softmax": math.log(data.n_classes),
        "regs": regs.tolist(),
        "svm_with_reg": [fastlin.svm_loss(W, X, y, r)[0] for r in regs],
        "softmax_with_reg": [fastlin.softmax_loss(W, X, y, r)[0] for r in regs],
    }


# --- 3. random search against the gradient ------------------------------------------------


def search(data: Data, rng: np.random.Generator, n_evals: int = 1000, n_rows: int = 1000) -> dict:
    """Test accuracy after the same number of loss evaluations.

    Random search, random local search and full-batch gradient descent, all on the SVM loss
    of the same training rows.
    """
    X, y = data.rows(n_rows)
    D, C = X.shape[1], data.n_classes
    scale = 1 / math.sqrt(D)
    checkpoints = sorted({int(v) for v in np.geomspace(1, n_evals, 12).round()})
    loss = lambda W: fastlin.svm_loss(W, X, y)[0]  # noqa: E731

    best = {"W": None, "loss": math.inf, "evals": 0, "curve": []}

    def tracked(W):
        value = loss(W)
        best["evals"] += 1
        if value < best["loss"]:
            best["W"], best["loss"] = W, value
        if best["evals"] in checkpoints:
            best["curve"].append(_accuracy(best["W"], data.Xte, data.yte))
        return value

    seed = int(rng.integers(2**31))
    random_search(tracked, (D, C), num_tries=n_evals, scale=scale, random_state=seed)
    random_curve = best["curve"]

    W = scale * rng.standard_normal((D, C))
    current, local_curve = loss(W), []  # the starting point is the first evaluation
    for k in range(1, n_evals + 1):
        if k > 1:
            trial = W + 0.1 * scale * rng.standard_normal((D, C))
            value = loss(trial)
            if value < current:
                W, current = trial, value
        if k in checkpoints:
            local_curve.append(_accuracy(W, data.Xte, data.yte))

    state, done, gd_curve = new_state(np.zeros((D, C)), np.zeros(C)), 0, []
    rate = default_learning_rate("svm", D)
    for k in checkpoints:
        sgd("svm", X, y, state, num_iters=k - done, schedule="constant", learning_rate=rate, batch_size=None)
        done = k
        gd_curve.append(_accuracy(state.W, data.Xte, data.yte))
    return {
        "evals": checkpoints,
        "random_search": random_curve,
        "random_local_search": local_curve,
        "gradient_descent": gd_curve,
        "chance": 1 / C,
    }


# --- 4. numerical against analytic gradient ----------------------------------------------


def gradient_check(data: Data, rng: np.random.Generator, n_rows: int = 200, n_checks: int = 12) -> dict:
    """The centred difference's relative error as its step ``h`` shrinks, in float32 and float64."""
    hs = np.logspace(-1, -10, 10)
    out: dict = {"h": hs.tolist()}
    X64, y = data.rows(n_rows)
    W64 = _small_weights(data, rng)
    for dtype in (np.float64, np.float32):
        X, W = X64.astype(dtype), W64.astype(dtype)
        f = lambda w, X=X: fastlin.softmax_loss(w, X, y, 0.1)[0]  # noqa: E731
        dW = fastlin.softmax_loss(W, X, y, 0.1)[1]  # the first call of a dtype loads its kernel
        analytic_time = math.inf
        for _ in range(3):
            start = time.perf_counter()
            fastlin.softmax_loss(W, X, y, 0.1)
            analytic_time = min(analytic_time, time.perf_counter() - start)
        errors, start = [], time.perf_counter()
        for h in hs:
            errors.append(float(np.median(fastlin.grad_check_sparse(f, W, dW, n_checks, h=float(h), seed=1))))
        per_entry = (time.perf_counter() - start) / (len(hs) * n_checks)
        name = np.dtype(dtype).name
        out[name] = errors
        out[f"{name}_analytic_seconds"] = analytic_time
        out[f"{name}_numerical_seconds"] = per_entry * W.size  # every entry by centred differences
    return out


# --- 5. step size -------------------------------------------------------------------------


def step_size(data: Data, rng: np.random.Generator, n_rows: int = 2000) -> dict:
    """The loss after one step along the negative gradient, as the step grows (until it overshoots)."""
    X, y = data.rows(n_rows)
    W = _small_weights(data, rng)
    start, dW = fastlin.softmax_loss(W, X, y)
    steps, losses = [], []
    step = 1e-5 / float(np.linalg.norm(dW))
    while len(steps) < 200 and (len(losses) < 8 or losses[-8] < 2 * start):  # 8 points past twice the start
        steps.append(step)
        losses.append(fastlin.softmax_loss(W - step * dW, X, y)[0])
        step *= 10 ** (1 / 8)
    return {"start": start, "steps": steps, "loss": losses}


# --- 6. learning rates --------------------------------------------------------------------


def _run_sgd(data: Data, rate: float, *, steps: int, batch_size: int | None, schedule: str = "constant", seed=0):
    """(losses, diverged, seconds): SGD on the softmax loss; a divergence ends the curve, not the run."""
    D, C = data.Xtr.shape[1], data.n_classes
    state = new_state(np.zeros((D, C)), np.zeros(C))
    start = time.perf_counter()
    try:
        history = sgd(
            "softmax", data.Xtr, data.ytr, state, num_iters=steps, schedule=schedule, learning_rate=rate,
            batch_size=batch_size, reg=1e-3, rng=np.random.default_rng(seed),
        )  # fmt: skip
        raised = False
    except FloatingPointError as e:
        history, raised = e.loss_history, True
    seconds = time.perf_counter() - start
    tail = history[-max(1, len(history) // 10) :]
    diverged = raised or not np.isfinite(tail).all() or float(np.mean(tail)) > DIVERGED * float(history[0])
    return np.asarray(history, dtype=np.float64), bool(diverged), seconds, state


def learning_rates(data: Data, rng: np.random.Generator, steps: int = 300) -> dict:
    """Loss curves of a very high, a high, a good and a low constant learning rate."""
    good = good_rate(data)
    rates = {"very high": 1000 * good, "high": 30 * good, "good": good, "low": good / 30}
    out: dict = {"steps": steps, "runs": {}}
    for name, rate in rates.items():
        history, diverged, _, _ = _run_sgd(data, rate, steps=steps, batch_size=200)
        out["runs"][name] = {"rate": rate, "loss": history.tolist(), "diverged": diverged}
    return out


# --- 7. mini-batch against full batch -----------------------------------------------------


def batch_sizes(data: Data, rng: np.random.Generator, steps: int = 200) -> dict:
    """Loss per step and per second for batch sizes 1 to the full batch (constant rate)."""
    out: dict = {"steps": steps, "runs": {}}
    for size in (1, 32, 64, 128, 256, None):
        rate = good_rate(data) * (1 if size is None or size >= 32 else 0.1)  # one example is noisy
        history, _, seconds, _ = _run_sgd(data, rate, steps=steps, batch_size=size)
        label = "full" if size is None else str(size)
        out["runs"][label] = {
            "loss": history.tolist(),
            "seconds": seconds,
            "step_to_step_variance": float(np.var(np.diff(history))),
        }
    return out


# --- 8. SVM against softmax on the same scores --------------------------------------------


def svm_vs_softmax(data: Data, rng: np.random.Generator) -> dict:
    """Both losses on a few score vectors (correct class 0), and as one wrong score moves."""
    identity = np.eye(3)

    def losses(scores):
        X = np.array([scores])
        return fastlin.svm_loss(identity, X, [0])[0], fastlin.softmax_loss(identity, X, [0])[0]

    vectors = [[10.0, -2.0, 3.0], [10.0, 9.0, 9.0], [10.0, -100.0, -100.0]]
    sweep = np.linspace(-15, 15, 121)
    moved = [losses([10.0, float(s), 3.0]) for s in sweep]
    return {
        "vectors": vectors,
        "svm": [losses(v)[0] for v in vectors],
        "softmax": [losses(v)[1] for v in vectors],
        "sweep": sweep.tolist(),
        "svm_sweep": [m[0] for m in moved],
        "softmax_sweep": [m[1] for m in moved],
    }


# --- 9. regularization --------------------------------------------------------------------


def regularization(data: Data, rng: np.random.Generator, steps: int = 1000) -> dict:
    """The lecture's w1/w2 example under L2 and L1, and the learned weights under L2, L1, elastic net."""
    x = np.ones(4)
    w1, w2 = np.array([1.0, 0, 0, 0]), np.full(4, 0.25)
    out: dict = {
        "scores": [float(x @ w1), float(x @ w2)],
        "l2": [fastlin.regularization(w[:, None], 1.0, "l2")[0] for w in (w1, w2)],
        "l1": [fastlin.regularization(w[:, None], 1.0, "l1")[0] for w in (w1, w2)],
        "weights": {},
    }
    reg = 0.01
    for penalty in ("l2", "l1", "elasticnet"):
        model = fastlin.SoftmaxClassifier(
            reg=reg, penalty=penalty, learning_rate=good_rate(data), num_iters=steps, random_state=0
        ).fit(data.Xtr, data.ytr)
        w = model.coef_.ravel()
        out["weights"][penalty] = {
            "values": w.tolist(),
            "near_zero": float(np.mean(np.abs(w) < 1e-3 * np.abs(w).max())),
            "val_accuracy": float(model.score(data.Xval, data.yval)),
        }
    out["reg"] = reg
    return out


# --- 10. learning-rate schedules ----------------------------------------------------------


def schedules(data: Data, rng: np.random.Generator, steps: int = 1000) -> dict:
    """The same run (rate, batches, steps) under every schedule fastlin has."""
    out: dict = {"steps": steps, "runs": {}}
    for name in SCHEDULES:
        history, _, _, state = _run_sgd(data, 3 * good_rate(data), steps=steps, batch_size=200, schedule=name)
        rate = fastlin.optim.make_schedule(name, 3 * good_rate(data), steps)
        out["runs"][name] = {
            "loss": history.tolist(),
            "rate": [rate(k) for k in range(steps)],
            "val_accuracy": _accuracy(state.W, data.Xval, data.yval),
        }
    return out


# --- 11. what the features see ------------------------------------------------------------


def _families(colour: bool) -> list[str]:
    gray = ["raw", "hog", "lbp", "gist", "dsift"]
    return gray + (["color", "hog+color", "hog+color+lbp", "gist+hog+color"] if colour else ["hog+lbp"])


def features(data: Data, rng: np.random.Generator, steps: int = 1000, budget: float = 60.0) -> dict:
    """What a linear classifier sees, and what each feature family gives it.

    Weight templates of raw pixels, HOG's and the hue histogram's picture of an image, and
    the accuracy of raw pixels against each feature family that extracts within ``budget``
    seconds (all three splits), with the command's default model.
    """
    from fastlin.preprocessing import Standardizer

    model = fastlin.SoftmaxClassifier(learning_rate=good_rate(data), num_iters=steps, random_state=0)
    model.fit(data.Xtr, data.ytr)
    shape = data.images[0].shape[1:]
    templates = [model.coef_[:, c].reshape(shape) for c in range(data.n_classes)]
    image = data.images[0][0]
    gray = image.mean(axis=-1) if image.ndim == 3 else image
    _, hog_picture = fastlin.hog(gray, pixels_per_cell=(2, 2) if gray.shape[0] < 16 else (8, 8), visualize=True)
    out: dict = {
        "templates": [t.tolist() for t in templates],
        "image": image.tolist(),
        "image_class": data.class_names[int(data.ytr[0])],
        "hog_picture": hog_picture.tolist(),
        "hue_histogram": fastlin.color_histogram_hsv(image).tolist() if data.colour else None,
        "families": {},
        "skipped": [],
        "class_names": list(data.class_names),
    }
    for name in _families(data.colour):
        start = time.perf_counter()
        F = [fastlin.extract_features(images, name.split("+")) for images in data.images]
        seconds = time.perf_counter() - start
        if seconds > budget:
            out["skipped"].append(name)
            continue
        scaler = Standardizer().fit(F[0])
        Ftr, Fval, Fte = (scaler.transform(f) for f in F)
        clf = fastlin.SoftmaxClassifier(
            learning_rate=default_learning_rate("softmax", Ftr.shape[1]), num_iters=steps, random_state=0
        ).fit(Ftr, data.ytr)
        out["families"][name] = {
            "test_accuracy": float(clf.score(Fte, data.yte)),
            "dimensions": int(Ftr.shape[1]),
            "extract_seconds": seconds,
        }
    if data.name == "cifar10":
        out["quoted"] = {"coates (full CIFAR-10, docs/results.md)": KMEANS_FEATURES_CIFAR10}
    return out


#: (file stem, title, experiment, caption) of every figure, in the lecture's order
EXPERIMENTS: list[tuple[str, str, Callable, str]] = [
    ("01-landscape", "Loss landscape", landscape,
     "The multiclass SVM and softmax losses along a random direction, L(W + a W1), and on a random plane, "
     "L(W + a W1 + b W2), for one example and for a batch. The hinge is piecewise linear, a bowl of facets; "
     "the softmax is smooth."),
    ("02-sanity", "Sanity check at initialization", sanity,
     "With small random weights and no regularization the SVM loss is about C - 1 (every margin near 1) and "
     "the softmax loss about ln C (uniform probabilities). Adding reg * sum(W**2) lifts both as reg grows."),
    ("03-search", "Random search against the gradient", search,
     "Test accuracy after the same number of loss evaluations: the best of random weight matrices, random "
     "local search (keep a random step when it lowers the loss), and gradient descent."),
    ("04-gradient-check", "Numerical against analytic gradient", gradient_check,
     "Relative error of the centred difference against the analytic gradient as the step h shrinks: "
     "truncation error falls, rounding error rises, and float32 reaches its floor much sooner."),
    ("05-step-size", "Step size", step_size,
     "The loss after one step along the negative gradient as the step grows: progress, then overshoot."),
    ("06-learning-rates", "Learning rates", learning_rates,
     "SGD with a constant rate on the same batches: too high diverges, high stalls at a worse loss, low "
     "creeps down."),
    ("07-batch-size", "Mini-batch against full batch", batch_sizes,
     "The batch's loss at every step for batch sizes 1 to the full batch, per step and per second: small "
     "batches are noisy and cheap, the full batch smooth and costly."),
    ("08-svm-vs-softmax", "SVM against softmax on the same scores", svm_vs_softmax,
     "Both losses for the lecture's score vectors (correct class first), and as one wrong score moves: the "
     "SVM is indifferent once the margin is met, the softmax never is."),
    ("09-regularization", "Regularization", regularization,
     "x = [1, 1, 1, 1] scores 1 with w1 = [1, 0, 0, 0] and with w2 = [0.25] * 4; L2 prefers the spread w2, "
     "L1 does not care. Learned weights under L2, L1 and elastic net: L1 makes many of them zero."),
    ("10-schedules", "Learning-rate schedules", schedules,
     "The same run under every schedule fastlin has: the rate over the steps, and the loss it gives."),
    ("11-features", "What the features see", features,
     "The weight templates of a linear classifier on raw pixels (one per class), HOG's picture of an image, "
     "the hue histogram of it, and the test accuracy of the same classifier on each feature family."),
]  # fmt: skip


def run(data: Data, out: str | Path, *, seed: int = 0, log: Callable[[str], None] = print) -> dict[str, dict]:
    """Run every experiment on ``data``; write ``NN-name.png``, ``NN-name.json`` and ``index.html`` to ``out``."""
    from fastlin import lecture_figures

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for k, (stem, title, experiment, _caption) in enumerate(EXPERIMENTS, start=1):
        start = time.perf_counter()
        numbers = experiment(data, np.random.default_rng([seed, k]))
        numbers = {"dataset": data.name, **numbers}
        (folder / f"{stem}.json").write_text(json.dumps(numbers, default=float))
        lecture_figures.draw(stem, numbers, data, folder / f"{stem}.png")
        results[stem] = numbers
        line = f"[{k:2d}/{len(EXPERIMENTS)}] {title}: {time.perf_counter() - start:.1f} s"
        summary = lecture_figures.summary(stem, numbers)
        log(f"{line}. {summary}" if summary else line)
    (folder / "index.html").write_text(lecture_figures.index_html(data, results))
    return results
