"""Optimization: learning-rate schedules, mini-batch SGD with momentum, random search.

The CS231n progression: random search (the baseline never to use), then following the
gradient, full-batch gradient descent, and mini-batch SGD with a learning rate set high and
decayed. :func:`sgd` is what :class:`fastlin.LinearSVM` and
:class:`fastlin.SoftmaxClassifier` train with; training scripts can call it directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fastlin._progress import Progress
from fastlin._spec import n_chunks, use_gemm
from fastlin._validation import (
    FLOAT_DTYPES,
    MAX_ITERS,
    as_features,
    check_bool,
    check_choice,
    check_impl,
    check_int,
    check_labels,
    check_n_threads,
    check_penalty,
    check_random_state,
    check_result_size,
    check_sample_weight,
    check_scalar,
    compute_dtype,
)
from fastlin.losses import KINDS, loss_grad_rows
from fastlin.regularizers import penalty_coefficients

#: steps between two checks that the parameters are still finite
CHECK_EVERY = 100


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
    it to 0 at the last step. A callable is used as it is: :func:`sgd` checks every rate it
    returns (finite, >= 0).
    """
    if callable(schedule):
        return schedule
    check_choice("schedule", schedule, SCHEDULES)
    learning_rate = check_scalar("learning_rate", learning_rate, low=0.0, low_open=True)
    num_iters = check_int("num_iters", num_iters, low=1)
    if schedule == "constant":
        return Constant(learning_rate)
    if schedule == "step":
        return StepDecay(learning_rate, 0.5, max(1, num_iters // 4))
    if schedule == "exponential":
        return Exponential(learning_rate, 0.01 ** (1.0 / max(1, num_iters)))
    if schedule == "invscaling":
        return InverseScaling(learning_rate)
    return Cosine(learning_rate, num_iters)


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


def check_state(state: SGDState, X: np.ndarray) -> None:
    """Refuse a state that does not fit X; store its ``W`` in the kernels' layout if it is not."""
    if not isinstance(state, SGDState):
        raise TypeError(f"state must be an SGDState (see fastlin.optim.new_state), got {type(state).__name__}")
    W, b = state.W, state.b
    dtype = compute_dtype(X.dtype)  # float16 X: float32 weights
    if not isinstance(W, np.ndarray) or W.shape[0] != X.shape[1] or W.ndim != 2 or W.dtype != dtype:
        raise ValueError(f"state.W must be a {dtype} array of shape (D, C) with D = {X.shape[1]} (X's columns)")
    if not isinstance(b, np.ndarray) or b.shape != (W.shape[1],) or b.dtype != W.dtype:
        raise ValueError(f"state.b must be a {W.dtype} array of shape ({W.shape[1]},)")
    if not W.T.flags.c_contiguous:  # the kernels' layout: (D, C) viewed from a C-contiguous (C, D)
        state.W = np.ascontiguousarray(W.T).T
        state.velocity_W = np.ascontiguousarray(state.velocity_W.T).T


class _Batches:
    """The rows and per-sample factors of each step's mini-batch.

    X's rows are shuffled once per epoch (an index permutation, X itself is never copied) and
    consecutive slices of ``batch_size`` indices form the batches, so each epoch sees every
    sample once. ``batch_size=None`` (or >= N) is the full batch, ``rows=None``.
    """

    def __init__(self, n_samples: int, batch_size: int | None, sample_weight: np.ndarray | None, rng):
        self.n, self.rng, self.sw = n_samples, rng, sample_weight
        self.full = batch_size is None or batch_size >= n_samples
        self.size = n_samples if self.full else batch_size
        self.perm = np.empty(0, dtype=np.intp)
        self.cursor = n_samples
        if self.full:
            sw = np.ones(n_samples) if sample_weight is None else sample_weight
            self.full_weights = sw / sw.sum()
        self.equal_weights = np.full(self.size, 1.0 / self.size)

    def next(self) -> tuple[np.ndarray | None, np.ndarray]:
        """(rows, weights) of the next batch: rows index X, weights sum to 1 (or are all 0)."""
        if self.full:
            return None, self.full_weights
        if self.cursor + self.size > self.n:  # a new epoch: a new order
            self.perm = self.rng.permutation(self.n)
            self.cursor = 0
        rows = self.perm[self.cursor : self.cursor + self.size]
        self.cursor += self.size
        if self.sw is None:
            return rows, self.equal_weights
        w = self.sw[rows]
        total = w.sum()
        return rows, (w / total if total > 0 else np.zeros(self.size))


def _rate(schedule: Callable[[int], float], step: int) -> float:
    """The schedule's rate at ``step``, which must be a finite number >= 0."""
    lr = schedule(step)
    try:
        lr = float(lr)
    except (TypeError, ValueError):
        raise TypeError(f"the schedule returned {lr!r} at step {step}; it must return a number") from None
    if not math.isfinite(lr) or lr < 0:
        raise FloatingPointError(
            f"the learning-rate schedule returned {lr} at step {step}; rates must be finite and >= 0"
        )
    return lr


def _update(state: SGDState, dW: np.ndarray, db: np.ndarray, lr: float, momentum: float, fit_intercept: bool):
    """Classical momentum: ``v = momentum * v - lr * grad; W += v`` (the same for b)."""
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


def _check_parameters(state: SGDState, lr: float) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        finite = bool(np.isfinite(state.W).all() and np.isfinite(state.b).all())
    if not finite:
        raise FloatingPointError(
            f"SGD diverged by step {state.step} (learning rate {lr}): the weights overflowed; "
            "lower the learning rate or scale X"
        )


#: steps run in one compiled call between returns to Python (a multiple of CHECK_EVERY)
SEGMENT = CHECK_EVERY


def _compiled_steps_apply(state: SGDState, batches: _Batches, impl: str) -> bool:
    """Whether the jit tier's compiled loop runs the steps (:mod:`fastlin.jit.sgd_steps`).

    Mini-batches on the register-tile path, W and its velocity in the kernel's layout; the
    many-class GEMM path and the full batch call BLAS from Python each step anyway.
    """
    return (
        impl == "jit"
        and not batches.full
        and not use_gemm(state.W.shape[1], state.W.dtype)
        and state.W.T.flags.c_contiguous
        and state.W.T.flags.writeable
        and state.velocity_W.T.flags.c_contiguous
        and state.velocity_W.T.flags.writeable
    )


def _compiled_steps(kind, X, y, state, batches, schedule, num_iters, delta, coefficients, momentum,
                    fit_intercept, n_threads, history, progress):  # fmt: skip
    """Run the steps a segment at a time in compiled code; ``(steps done, last rate, pending)``.

    ``pending``: the batches drawn but not run. Fewer than ``num_iters`` steps are done when
    a step's loss or gradient is not finite, or the schedule refuses a rate: the caller's
    loop then runs that step (with the batch already drawn for it) in Python, which raises
    the error it always raised.
    """
    from fastlin import _tiers
    from fastlin.jit.losses import CODES
    from fastlin.jit.sgd_steps import sgd_steps

    steps = _tiers._passing_interrupts(sgd_steps)
    dtype = state.W.dtype.type
    Xk = X.view(np.uint16) if X.dtype == np.float16 else X  # the kernel widens float16 itself
    chunks = n_chunks(batches.size, "losses")
    l2, l1 = (float(c) for c in coefficients)
    it, lr = 0, math.nan
    while it < num_iters:
        rates = []
        for s in range(min(SEGMENT - state.step % SEGMENT, num_iters - it)):
            try:
                rates.append(_rate(schedule, state.step + s))
            except (TypeError, FloatingPointError):
                break  # the Python loop raises it at its step
        if not rates:
            return it, lr, []
        picked = [batches.next() for _ in rates]
        rows = np.stack([r for r, _ in picked])
        weights = np.stack([w for _, w in picked])
        n = len(rates)
        with np.errstate(over="ignore"):  # a rate past W's dtype: inf, as the Python loop's update makes it
            rates_w, momentum_w = np.array(rates, dtype=dtype), np.array([momentum], dtype=dtype)
        with _tiers.threads("jit", n_threads):
            completed = steps(
                Xk, rows, state.W.T, state.b, y[rows], weights, float(delta), CODES[kind], l2, l1, chunks,
                rates_w, momentum_w, fit_intercept, state.velocity_W.T, state.velocity_b, history[it : it + n],
            )  # fmt: skip
        it += completed
        state.step += completed
        if completed:
            lr = rates[completed - 1]
            progress.update(it, history[it - 1])
        if completed < n:
            return it, lr, picked[completed:]
        if state.step % CHECK_EVERY == 0:
            _check_parameters(state, lr)
    return it, lr, []


def _sgd(
    kind,
    X,
    y,
    state,
    *,
    num_iters,
    schedule,
    batch_size,
    reg,
    penalty,
    l1_ratio,
    delta,
    momentum,
    fit_intercept,
    sample_weight,
    rng,
    impl,
    n_threads,
    verbose,
) -> np.ndarray:
    """:func:`sgd` on validated input (the estimators call it after their own checks)."""
    batches = _Batches(X.shape[0], batch_size, sample_weight, rng)
    coefficients = penalty_coefficients(reg, penalty, l1_ratio)  # the kernel adds the penalty
    history = np.empty(num_iters)
    progress = Progress(num_iters, verbose, what="sgd")
    lr = math.nan
    done = 0  # steps whose loss is in history
    try:
        first, pending = 0, []
        if _compiled_steps_apply(state, batches, impl):
            first, lr, pending = _compiled_steps(
                kind, X, y, state, batches, schedule, num_iters, delta, coefficients, momentum,
                fit_intercept, n_threads, history, progress,
            )  # fmt: skip
            done = first
        for it in range(first, num_iters):  # what the compiled loop left (from the step it stopped at)
            rows, weights = pending.pop(0) if pending else batches.next()
            yb = y if rows is None else y[rows]
            lr = _rate(schedule, state.step)
            try:
                args = (X, rows, state.W.T, state.b, yb, weights, delta, coefficients)
                loss, dWT, db = loss_grad_rows(kind, *args, impl, n_threads)
            except FloatingPointError as e:
                raise FloatingPointError(f"SGD diverged at step {state.step} (learning rate {lr}): {e}") from None
            history[it] = loss
            done = it + 1
            dW = dWT.T
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught by the checks
                _update(state, dW, db, lr, momentum, fit_intercept)
            state.step += 1
            if state.step % CHECK_EVERY == 0:
                _check_parameters(state, lr)
            progress.update(it + 1, history[it])
        _check_parameters(state, lr)
    except FloatingPointError as e:
        # the losses of the steps before the divergence, for the picture of a rate too high
        e.loss_history = history[:done].copy()
        raise
    finally:
        progress.close()
    return history


def sgd(
    kind: str,
    X: np.ndarray,
    y: np.ndarray,
    state: SGDState,
    *,
    num_iters: int,
    schedule: str | Callable[[int], float],
    learning_rate: float = 1e-3,
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

    Batches: X's rows are shuffled once per epoch (an index permutation, X itself is never
    copied) and consecutive slices of ``batch_size`` indices form the batches, so each epoch
    sees every sample once; the jit kernel reads a batch's rows in place through their
    indices (CS231n's loop copies ``X[idx]`` every step instead). ``batch_size=None`` is
    full-batch gradient descent. The update is classical momentum:
    ``v = momentum * v - lr * grad; W += v``. The intercept is not regularized.

    Parameters
    ----------
    kind : {"svm", "squared_hinge", "softmax", "ovr_svm", "ovr_squared_hinge"}
    X : array_like of shape (N, D)
        float32 stays float32 (not copied when C-contiguous), and so does float16 (read as
        it is, computed in float32: the state is then float32); must be finite.
    y : array_like of shape (N,), integer
        Labels in ``[0, C)``.
    state : SGDState
        ``W`` (D, C) in X's dtype, ``b`` (C,); see :func:`new_state`.
    num_iters : int
        Steps to take.
    schedule : str or callable
        A name of :data:`SCHEDULES` (with ``learning_rate``) or ``step -> rate``.
    learning_rate : float, default 1e-3
        The initial rate of a named schedule.
    batch_size, reg, penalty, l1_ratio, delta, momentum, fit_intercept, sample_weight
        As in :class:`fastlin.LinearSVM`.
    rng : numpy.random.Generator, optional
        Draws the batches.
    impl, n_threads, verbose
        As in :class:`fastlin.LinearSVM`.

    Returns
    -------
    ndarray of shape (num_iters,)
        The loss (data + penalty) of each step's batch, before its update.

    Raises
    ------
    FloatingPointError
        A rate that is not finite or negative, or weights that overflow; the message names
        the step and the learning rate, and its ``loss_history`` attribute holds the losses
        of the steps before (for a picture of the divergence).
    """
    kind = check_choice("kind", kind, KINDS)
    X = as_features(X, half=True)
    check_state(state, X)
    y = check_labels(y, X.shape[0], state.W.shape[1])
    num_iters = check_int("num_iters", num_iters, low=1)
    if num_iters > MAX_ITERS:
        raise ValueError(f"num_iters must be <= {MAX_ITERS}, got {num_iters}")
    schedule = make_schedule(schedule, learning_rate, num_iters)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
    reg, l1_ratio = check_penalty(reg, penalty, l1_ratio)
    rng = check_random_state("rng", rng)
    return _sgd(
        kind,
        X,
        y,
        state,
        num_iters=num_iters,
        schedule=schedule,
        batch_size=batch_size,
        reg=reg,
        penalty=penalty,
        l1_ratio=l1_ratio,
        delta=check_scalar("delta", delta, low=0.0),
        momentum=check_scalar("momentum", momentum, low=0.0, high=1.0),
        fit_intercept=check_bool("fit_intercept", fit_intercept),
        sample_weight=check_sample_weight(sample_weight, X.shape[0]),
        rng=rng,
        impl=check_impl(impl),
        n_threads=check_n_threads(n_threads),
        verbose=check_bool("verbose", verbose),
    )


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
    num_tries = check_int("num_tries", num_tries, low=1, high=MAX_ITERS)
    scale = check_scalar("scale", scale, low=0.0, low_open=True)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise TypeError(f"shape must be a pair (D, C), got {shape!r}")
    D, C = (check_int("shape[0]", shape[0]), check_int("shape[1]", shape[1]))
    check_result_size("shape", D * C)
    if np.dtype(dtype) not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
    rng = check_random_state("random_state", random_state)
    best_W, best_loss = None, math.inf
    for _ in range(num_tries):
        W = (scale * rng.standard_normal((D, C))).astype(dtype)
        value = float(loss(W))
        if value < best_loss:
            best_W, best_loss = W, value
    return best_W, best_loss
