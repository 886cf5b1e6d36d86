"""Optimization: learning-rate schedules, mini-batch SGD with momentum, random search.

The CS231n progression: random search (the baseline never to use), then following the
gradient, full-batch gradient descent, and mini-batch SGD with a learning rate set high and
decayed. :func:`sgd` is what :class:`fastlin.LinearSVM` and
:class:`fastlin.SoftmaxClassifier` train with; training scripts can call it directly.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fastlin import _tiers
from fastlin._config import tier_threads
from fastlin._validation import check_choice, check_int, check_scalar
from fastlin.regularizers import penalty_value_grad

KINDS = ("svm", "softmax")


@dataclass(frozen=True)
class Constant:
    """``eta0`` at every step."""

    eta0: float

    def __call__(self, step: int) -> float:  # noqa: D102 - the class says what it returns
        return self.eta0


@dataclass(frozen=True)
class StepDecay:
    """``eta0 * factor ** (step // every)``: CS231n's 'decay by a factor every epoch'."""

    eta0: float
    factor: float = 0.95
    every: int = 100

    def __call__(self, step: int) -> float:  # noqa: D102 - the class says what it returns
        return self.eta0 * self.factor ** (step // self.every)


@dataclass(frozen=True)
class Exponential:
    """``eta0 * gamma ** step``."""

    eta0: float
    gamma: float = 0.999

    def __call__(self, step: int) -> float:  # noqa: D102 - the class says what it returns
        return self.eta0 * self.gamma**step


@dataclass(frozen=True)
class InverseScaling:
    """``eta0 / (step + 1) ** power_t`` (scikit-learn's 'invscaling', steps counted from 1)."""

    eta0: float
    power_t: float = 0.5

    def __call__(self, step: int) -> float:  # noqa: D102 - the class says what it returns
        return self.eta0 / (step + 1) ** self.power_t


@dataclass(frozen=True)
class Cosine:
    """Cosine annealing from ``eta0`` at step 0 to ``eta_min`` at ``total_steps``."""

    eta0: float
    total_steps: int
    eta_min: float = 0.0

    def __call__(self, step: int) -> float:  # noqa: D102 - the class says what it returns
        t = min(step, self.total_steps) / max(1, self.total_steps)
        return self.eta_min + 0.5 * (self.eta0 - self.eta_min) * (1.0 + math.cos(math.pi * t))


SCHEDULES = ("constant", "step", "exponential", "invscaling", "cosine")


def make_schedule(schedule: str | Callable[[int], float], learning_rate: float, num_iters: int) -> Callable:
    """A schedule object from its name (with default decay settings) or a callable of the step.

    ``"step"`` halves the rate every quarter of ``num_iters``; ``"exponential"`` decays it to
    1% by the last step; ``"invscaling"`` is ``eta0 / sqrt(step + 1)``; ``"cosine"`` anneals
    it to 0 at the last step.
    """
    if callable(schedule):
        return schedule
    check_choice("schedule", schedule, SCHEDULES)
    if schedule == "constant":
        return Constant(learning_rate)
    if schedule == "step":
        return StepDecay(learning_rate, 0.5, max(1, num_iters // 4))
    if schedule == "exponential":
        return Exponential(learning_rate, 0.01 ** (1.0 / max(1, num_iters)))
    if schedule == "invscaling":
        return InverseScaling(learning_rate)
    return Cosine(learning_rate, num_iters)


def batch_loss_grad(kind, impl, X, rows, W, bias, y, weights, delta):
    """Data loss, dW and db of the batch ``X[rows]`` (all of X for ``rows=None``) with one tier.

    The jit tier gathers the rows inside its kernel; the other tiers index X and, for the
    bias, append a column of ones to the (small) batch copy.
    """
    if impl == "jit":
        from fastlin.jit.losses import loss_grad_rows

        WT = W.T if W.T.flags.c_contiguous and W.dtype == X.dtype else np.ascontiguousarray(W.T, dtype=X.dtype)
        loss, dWT, db = loss_grad_rows(X, rows, WT, bias, y, weights, delta, kind)
        return loss, dWT.T, db
    Xb = X if rows is None else X[rows]
    Xb = np.hstack([Xb, np.ones((Xb.shape[0], 1), dtype=X.dtype)])
    Wb = np.vstack([W, bias[None, :]]).astype(X.dtype)
    fn = _tiers.get("losses", f"{kind}_loss_grad", impl)
    loss, dWb = fn(Xb, Wb, y, weights, delta) if kind == "svm" else fn(Xb, Wb, y, weights)
    return loss, dWb[:-1], dWb[-1].astype(np.float64)


class _Progress:
    """tqdm's bar when tqdm is installed; otherwise a line on stderr every 5%."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.bar = total, enabled, None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="sgd", leave=False)
            except ImportError:
                pass

    def update(self, step: int, loss: float) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        elif (step + 1) % max(1, self.total // 20) == 0 or step + 1 == self.total:
            print(f"sgd: step {step + 1}/{self.total}  loss {loss:.4f}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class SGDState:
    """What :func:`sgd` trains; pass it back in to continue training.

    ``W`` (D, C) is best a transposed view of a C-contiguous (C, D) array, which the jit kernel
    reads as it is (see :func:`new_state`).
    """

    W: np.ndarray
    b: np.ndarray
    velocity_W: np.ndarray
    velocity_b: np.ndarray
    step: int = 0


def new_state(W: np.ndarray, b: np.ndarray) -> SGDState:
    """An :class:`SGDState` starting from copies of ``W`` (D, C) and ``b`` (C,)."""
    W = np.ascontiguousarray(W.T).T  # (D, C), stored as (C, D): the kernel's layout
    return SGDState(W, b.copy(), np.zeros_like(W), np.zeros_like(b))


def sgd(
    kind: str,
    X: np.ndarray,
    y: np.ndarray,
    state: SGDState,
    *,
    num_iters: int,
    schedule: Callable[[int], float],
    batch_size: int | None = 200,
    reg: float = 0.0,
    penalty: str = "l2",
    l1_ratio: float = 0.5,
    delta: float = 1.0,
    momentum: float = 0.0,
    fit_intercept: bool = True,
    sample_weight: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
    verbose: bool = False,
) -> np.ndarray:
    """Mini-batch SGD with momentum on the SVM or softmax loss; updates ``state`` in place.

    Inputs must be validated (the classifiers do it): ``X`` C-contiguous float32/float64
    (N, D), ``y`` intp labels in ``[0, C)``, ``state.W`` (D, C) in X's dtype.

    Batches: X's rows are shuffled once per epoch (an index permutation, X itself is never
    copied) and consecutive slices of ``batch_size`` indices form the batches, so each epoch
    sees every sample once; the jit kernel reads a batch's rows in place through their
    indices (CS231n's loop copies ``X[idx]`` every step instead).
    ``batch_size=None`` is full-batch gradient descent. The update is classical momentum:
    ``v = momentum * v - lr * grad; W += v``. The intercept is not regularized.

    Returns
    -------
    ndarray of shape (num_iters,)
        The loss (data + penalty) of each step's batch, before its update.
    """
    rng = np.random.default_rng() if rng is None else rng
    N = X.shape[0]
    full = batch_size is None or batch_size >= N
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    history = np.empty(num_iters)
    perm = np.empty(0, dtype=np.intp)
    cursor = N
    progress = _Progress(num_iters, verbose)
    full_weights = np.full(N, 1.0 / N) if sw is None else sw / sw.sum()
    equal_weights = None if full else np.full(batch_size, 1.0 / batch_size)
    with tier_threads(impl, n_threads):
        for it in range(num_iters):
            if full:
                rows, yb, wb = None, y, full_weights
            else:
                if cursor + batch_size > N:  # a new epoch: a new order
                    perm = rng.permutation(N)
                    cursor = 0
                rows = perm[cursor : cursor + batch_size]
                cursor += batch_size
                yb = y[rows]
                if sw is None:
                    wb = equal_weights
                else:
                    total = sw[rows].sum()
                    wb = sw[rows] / total if total > 0 else np.zeros(batch_size)
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                loss, dW, db = batch_loss_grad(kind, impl, X, rows, state.W, state.b, yb, wb, delta)
                reg_value, reg_grad = penalty_value_grad(state.W, reg, penalty, l1_ratio)
            if not math.isfinite(loss + reg_value):
                progress.close()
                raise FloatingPointError(
                    f"SGD diverged at step {state.step} (loss {loss + reg_value}): lower learning_rate or scale X"
                )
            history[it] = loss + reg_value
            lr = schedule(state.step)
            if reg_grad is not None:
                dW += reg_grad
            dW *= lr
            if momentum:
                state.velocity_W *= momentum
                state.velocity_W -= dW
                state.W += state.velocity_W
            else:
                state.W -= dW
            if fit_intercept:
                state.velocity_b *= momentum
                state.velocity_b -= lr * db.astype(state.b.dtype)
                state.b += state.velocity_b
            state.step += 1
            progress.update(it, history[it])
    progress.close()
    return history


def random_search(
    loss: Callable[[np.ndarray], float],
    shape: tuple[int, int],
    *,
    num_tries: int = 1000,
    scale: float = 1e-4,
    dtype: type = np.float64,
    random_state: int | None = None,
) -> tuple[np.ndarray, float]:
    """CS231n's first strategy, kept as the baseline never to use: try random W, keep the best.

    Parameters
    ----------
    loss : callable
        ``loss(W) -> float``, e.g. ``lambda W: fastlin.svm_loss(W, X, y)[0]``.
    shape : (D, C)
    num_tries : int, default 1000
    scale : float, default 1e-4
        Standard deviation of the random entries.
    dtype : float32 or float64
    random_state : int, optional

    Returns
    -------
    W : ndarray of shape ``shape``
    best_loss : float
    """
    if not callable(loss):
        raise TypeError("loss must be callable (W -> float)")
    num_tries = check_int("num_tries", num_tries, low=1)
    scale = check_scalar("scale", scale, low=0.0, low_open=True)
    D, C = (check_int("shape[0]", shape[0]), check_int("shape[1]", shape[1]))
    rng = np.random.default_rng(random_state)
    best_W, best_loss = None, math.inf
    for _ in range(num_tries):
        W = (scale * rng.standard_normal((D, C))).astype(dtype)
        value = float(loss(W))
        if value < best_loss:
            best_W, best_loss = W, value
    return best_W, best_loss
