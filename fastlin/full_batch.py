"""Full-batch training by L-BFGS on fastlin's loss kernels: the polish after SGD.

Mini-batch SGD gets near the optimum quickly and then creeps toward it; a few hundred L-BFGS
iterations from the SGD solution finish the way (docs/results.md has the measurements on
CIFAR-10's k-means features). Each iteration costs one or two passes of the fused loss
kernel over all of X (scores, loss and gradient in one read), so L-BFGS pays off when X is
large and the model small (D x C weights). SciPy's L-BFGS-B takes the quasi-Newton steps;
fastlin's kernel computes the loss and its gradient.
"""

from __future__ import annotations

import numpy as np

from fastlin._config import single_threaded_blas
from fastlin._progress import Progress
from fastlin._validation import (
    MAX_ITERS,
    as_features,
    check_bool,
    check_choice,
    check_impl,
    check_int,
    check_labels,
    check_n_threads,
    check_penalty,
    check_sample_weight,
    check_scalar,
)
from fastlin.losses import KINDS, loss_grad_rows
from fastlin.optim import SGDState, check_state
from fastlin.regularizers import penalty_coefficients


def lbfgs(
    kind: str,
    X: np.ndarray,
    y: np.ndarray,
    state: SGDState,
    *,
    max_iter: int,
    reg: float = 0.0,
    penalty: str = "l2",
    l1_ratio: float = 0.5,
    delta: float = 1.0,
    fit_intercept: bool = True,
    sample_weight: np.ndarray | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
    verbose: bool = False,
) -> np.ndarray:
    """L-BFGS on the full-batch SVM or softmax loss from ``state``; updates ``state`` in place.

    The objective is the loss :func:`fastlin.optim.sgd` follows with the full batch: the
    (weighted) mean data loss plus ``reg * R(W)``, the intercept unpenalized and left at its
    value when ``fit_intercept`` is False. The iterate is kept in float64 by SciPy's L-BFGS-B
    (history of 20 pairs); the loss and gradient are computed in W's dtype. Best on the
    smooth losses (``"softmax"``, ``"squared_hinge"`` with the L2 penalty): on the hinge or an
    L1 penalty the line search may stop early at a kink, which ends the run, not an error.

    Parameters
    ----------
    kind : {"svm", "squared_hinge", "softmax", "ovr_svm", "ovr_squared_hinge"}
    X : array_like of shape (N, D)
        float32 stays float32 (not copied when C-contiguous), and so does float16 (read as
        it is, computed in float32); must be finite.
    y : array_like of shape (N,), integer
        Labels in ``[0, C)``.
    state : SGDState
        The start, ``W`` (D, C) in X's dtype (float32 for float16 X) and ``b`` (C,); see
        :func:`fastlin.optim.new_state`.
        Its velocities are reset to zero (a following SGD run starts without momentum).
    max_iter : int
        L-BFGS iterations at most; it stops earlier when SciPy's tolerances are met.
    reg, penalty, l1_ratio, delta, fit_intercept, sample_weight, impl, n_threads, verbose
        As in :class:`fastlin.LinearSVM`.

    Returns
    -------
    ndarray of shape (iterations,)
        The full-batch loss after each iteration.

    Raises
    ------
    FloatingPointError
        The loss or its gradient overflowed at some iterate.
    """
    kind = check_choice("kind", kind, KINDS)
    X = as_features(X, half=True)
    check_state(state, X)
    y = check_labels(y, X.shape[0], state.W.shape[1])
    max_iter = check_int("max_iter", max_iter, low=1)
    if max_iter > MAX_ITERS:
        raise ValueError(f"max_iter must be <= {MAX_ITERS}, got {max_iter}")
    reg, l1_ratio = check_penalty(reg, penalty, l1_ratio)
    return _lbfgs(
        kind,
        X,
        y,
        state,
        max_iter=max_iter,
        reg=reg,
        penalty=penalty,
        l1_ratio=l1_ratio,
        delta=check_scalar("delta", delta, low=0.0),
        fit_intercept=check_bool("fit_intercept", fit_intercept),
        sample_weight=check_sample_weight(sample_weight, X.shape[0]),
        impl=check_impl(impl),
        n_threads=check_n_threads(n_threads),
        verbose=check_bool("verbose", verbose),
    )


def _lbfgs(kind, X, y, state, *, max_iter, reg, penalty, l1_ratio, delta, fit_intercept, sample_weight, impl,
           n_threads, verbose):  # fmt: skip
    """:func:`lbfgs` on validated input (the estimators call it after their own checks)."""
    from scipy.optimize import minimize

    C, D = state.W.shape[1], state.W.shape[0]
    dtype = state.W.dtype
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    weights = sw / sw.sum()
    coefficients = penalty_coefficients(reg, penalty, l1_ratio)
    b_fixed = state.b.copy()
    last = {}

    def unpack(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        WT = np.ascontiguousarray(x[: C * D].reshape(C, D), dtype=dtype)  # the kernels' (C, D) layout
        b = x[C * D :].astype(dtype) if fit_intercept else b_fixed
        return WT, b

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        WT, b = unpack(x)
        loss, dWT, db = loss_grad_rows(kind, X, None, WT, b, y, weights, delta, coefficients, impl, n_threads)
        grad = np.concatenate([dWT.ravel(), db]) if fit_intercept else dWT.ravel()
        last["x"], last["loss"] = x.copy(), float(loss)
        return float(loss), grad.astype(np.float64)

    history = []
    progress = Progress(max_iter, verbose, what="l-bfgs")

    def record(xk: np.ndarray) -> None:
        # L-BFGS-B calls back after the line search, whose last evaluation is the new iterate
        loss = last["loss"] if np.array_equal(xk, last["x"]) else objective(xk)[0]
        history.append(loss)
        progress.update(len(history), loss)

    parts = [state.W.T.ravel()] + ([state.b] if fit_intercept else [])
    x0 = np.concatenate(parts).astype(np.float64)
    # L-BFGS-B's vector operations go through the BLAS, between two parallel kernel calls:
    # one BLAS thread keeps its idle threads from spinning on the kernel's cores
    try:
        with single_threaded_blas():
            result = minimize(
                objective, x0, jac=True, method="L-BFGS-B", callback=record, options=dict(maxiter=max_iter, maxcor=20)
            )
    finally:
        progress.close()
    WT, b = unpack(result.x)
    state.W = WT.T
    state.b = np.array(b, dtype=dtype)
    state.velocity_W = np.zeros_like(state.W)
    state.velocity_b = np.zeros_like(state.b)
    return np.asarray(history, dtype=np.float64)
