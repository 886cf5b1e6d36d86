"""The multiclass SVM (hinge and squared hinge) and softmax losses with their gradients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from fastlin import _tiers
from fastlin._spec import use_gemm
from fastlin._validation import (
    as_float_array,
    check_choice,
    check_finite,
    check_labels,
    check_penalty,
    check_scalar,
    check_tier,
    check_weights,
    compute_dtype,
    normalized_sample_weight,
    writable_contiguous,
)
from fastlin.regularizers import penalty_coefficients

KINDS = ("svm", "squared_hinge", "softmax", "ovr_svm", "ovr_squared_hinge")

#: how the hinge losses combine the classes: CS231n's Weston-Watkins margins against the
#: correct score, or one binary SVM per class against the rest (Coates and Ng's L2-SVM,
#: LIBLINEAR's default)
MULTI_CLASS = ("weston_watkins", "ovr")


def hinge_kind(squared: bool, multi_class: str) -> str:
    """The loss kernel's ``kind`` of a hinge loss (``multi_class`` checked)."""
    prefix = "ovr_" if check_choice("multi_class", multi_class, MULTI_CLASS) == "ovr" else ""
    return prefix + ("squared_hinge" if squared else "svm")


@dataclass(frozen=True)
class _LossProblem:
    """Validated inputs of a loss call, ready for any tier's kernel."""

    # (C, D) in X's dtype (float32 for float16 X): W transposed (C-contiguous for the tiles, a view for GEMM)
    WT: np.ndarray
    X: np.ndarray  # (N, D) C-contiguous float16/float32/float64
    y: np.ndarray  # (N,) intp in [0, C)
    weights: np.ndarray  # (N,) float64, w_i / sum(w)
    W: np.ndarray  # the caller's W, validated (for the penalty and dW's dtype)


def _prepare(W: ArrayLike, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None) -> _LossProblem:
    """Check shapes, dtypes, labels and weights; no pass over X's values here."""
    W = check_weights(W)
    X = as_float_array("X", X, ndim=2, half=True)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X has {X.shape[1]} columns but W has {W.shape[0]} rows; they must match (X @ W)")
    y = check_labels(y, X.shape[0], W.shape[1])
    weights = normalized_sample_weight(sample_weight, X.shape[0])
    dtype = compute_dtype(X.dtype)
    if use_gemm(W.shape[1], dtype):  # the products run as GEMMs on W's own layout: no transposed copy
        WT = W.astype(dtype, copy=False).T
    else:  # the register tiles read rows of W.T
        WT = writable_contiguous(W.T, dtype)
    return _LossProblem(WT, X, y, weights, W)


def loss_grad_rows(kind, X, rows, WT, bias, y, weights, delta, penalty, impl, n_threads):
    """Loss (data + penalty), dWT (C, D) and db of the batch ``X[rows]`` with one tier.

    The entry of the loss functions and of :func:`fastlin.optim.sgd`, on validated input;
    the arguments are those of the tiers' ``loss_grad_rows`` contract (see
    :mod:`fastlin.naive.losses`), ``penalty`` the pair ``(l2, l1)`` of
    :func:`fastlin.regularizers.penalty_coefficients`. A non-finite score (the tiers report
    it as a NaN loss) is traced to its cause: NaN or inf in X is a ValueError, otherwise the
    scores overflowed, a FloatingPointError; so is a penalty that overflows.
    """
    args = (X, rows, WT, bias, y, weights, delta, kind, *penalty)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        loss, reg_value, dWT, db = _tiers.run("losses", "loss_grad_rows", impl, n_threads, *args)
    if not np.isfinite(loss):
        check_finite("X", X if rows is None else X[rows])
        raise FloatingPointError(f"the {kind} loss overflowed (scores too large for {X.dtype}); scale X or W down")
    if not np.isfinite(reg_value):
        raise FloatingPointError("the penalty overflowed (reg * R(W) is not finite); lower reg or scale W down")
    if not np.isfinite(loss + reg_value) or not np.isfinite(dWT).all():
        raise FloatingPointError(f"the {kind} loss or its gradient overflowed {X.dtype}; scale X or W down")
    return loss + reg_value, dWT, db


def _loss(kind, W, X, y, reg, delta, penalty, l1_ratio, sample_weight, impl, n_threads):
    impl, n_threads = check_tier(impl, n_threads)
    reg, l1_ratio = check_penalty(reg, penalty, l1_ratio)
    p = _prepare(W, X, y, sample_weight)
    bias = np.zeros(p.WT.shape[0], dtype=p.WT.dtype)
    coefficients = penalty_coefficients(reg, penalty, l1_ratio)
    loss, dWT, _ = loss_grad_rows(kind, p.X, None, p.WT, bias, p.y, p.weights, delta, coefficients, impl, n_threads)
    with np.errstate(over="ignore", invalid="ignore"):  # reported just below
        dW = np.ascontiguousarray(dWT.T, dtype=p.W.dtype)
    # dWT is finite (loss_grad_rows checked it); only a cast to a narrower W can overflow
    if dW.dtype != dWT.dtype and not np.isfinite(dW).all():
        raise FloatingPointError(f"the gradient of the {kind} loss overflowed {p.W.dtype}; scale X or W down")
    return float(loss), dW


def svm_loss(
    W: ArrayLike,
    X: ArrayLike,
    y: ArrayLike,
    reg: float = 0.0,
    *,
    delta: float = 1.0,
    multi_class: str = "weston_watkins",
    penalty: str = "l2",
    l1_ratio: float = 0.5,
    sample_weight: ArrayLike | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[float, np.ndarray]:
    """Multiclass SVM (Weston-Watkins hinge) loss and its gradient.

    ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + delta)`` with scores ``s = X[i] @ W``; the
    data loss is the mean of ``L_i`` (``sum(w_i L_i) / sum(w_i)`` with ``sample_weight``),
    plus the penalty ``reg * R(W)``. At a kink (a margin exactly 0) the subgradient counts
    the margin as inactive. Equals ``C * torch.nn.functional.multi_margin_loss(X @ W, y)``.
    With ``multi_class="ovr"``, one binary SVM per class instead:
    ``L_i = sum_j max(0, delta - t_ij s_j)``, ``t_ij = +1`` if ``j == y_i`` else -1.

    Parameters
    ----------
    W : ndarray of shape (D, C), float32 or float64
        Weights (the bias trick: a column of ones in X makes the last row of W the bias).
    X : array_like of shape (N, D)
        Samples. float32 and float64 are used as they are (no copy if C-contiguous, no
        upcast); float16 too, computed in float32 (features stored in half the memory);
        other real dtypes are converted to float64. The computation runs in X's dtype; W is
        cast to it.
    y : array_like of shape (N,), integer
        Labels in ``[0, C)``.
    reg : float, default 0.0
        Regularization strength, >= 0.
    delta : float, default 1.0
        Margin, >= 0.
    multi_class : {"weston_watkins", "ovr"}, default "weston_watkins"
        The margins against the correct class's score (CS231n's), or one versus the rest.
    penalty : {"l2", "l1", "elasticnet"}, default "l2"
        See :func:`fastlin.regularization`.
    l1_ratio : float, default 0.5
        Elastic-net mix in ``[0, 1]``.
    sample_weight : array_like of shape (N,), optional
        Non-negative weights, not all zero.
    impl : {"jit", "vectorized", "naive"}, default "jit"
        Which tier computes it; all three give the same numbers.
    n_threads : int, optional
        Threads of the jit tier; None uses every core. Results do not depend on it.

    Returns
    -------
    loss : float
    dW : ndarray, same shape and dtype as ``W``

    Raises
    ------
    ValueError, TypeError
        Bad shapes, dtypes, labels, parameters, or NaN/inf in W or X.
    FloatingPointError
        Finite inputs whose scores overflow the dtype.
    """
    delta = check_scalar("delta", delta, low=0.0)
    kind = hinge_kind(False, multi_class)
    return _loss(kind, W, X, y, reg, delta, penalty, l1_ratio, sample_weight, impl, n_threads)


def squared_hinge_loss(
    W: ArrayLike,
    X: ArrayLike,
    y: ArrayLike,
    reg: float = 0.0,
    *,
    delta: float = 1.0,
    multi_class: str = "weston_watkins",
    penalty: str = "l2",
    l1_ratio: float = 0.5,
    sample_weight: ArrayLike | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[float, np.ndarray]:
    """Multiclass squared hinge loss (the L2-SVM) and its gradient.

    ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + delta)**2``: the margins of
    :func:`svm_loss`, squared, so the loss is differentiable and the gradient grows with the
    violation. The data loss is the (weighted) mean, plus ``reg * R(W)``. With
    ``multi_class="ovr"``, ``L_i = sum_j max(0, delta - t_ij s_j)**2`` (``t_ij = +1`` if
    ``j == y_i`` else -1): the one-versus-rest L2-SVMs of Coates and Ng and of LIBLINEAR
    (scikit-learn's ``LinearSVC``), all classes in one pass.

    Parameters are those of :func:`svm_loss`.

    Returns
    -------
    loss : float
    dW : ndarray, same shape and dtype as ``W``
    """
    delta = check_scalar("delta", delta, low=0.0)
    kind = hinge_kind(True, multi_class)
    return _loss(kind, W, X, y, reg, delta, penalty, l1_ratio, sample_weight, impl, n_threads)


def softmax_loss(
    W: ArrayLike,
    X: ArrayLike,
    y: ArrayLike,
    reg: float = 0.0,
    *,
    penalty: str = "l2",
    l1_ratio: float = 0.5,
    sample_weight: ArrayLike | None = None,
    impl: str = "jit",
    n_threads: int | None = None,
) -> tuple[float, np.ndarray]:
    """Softmax (cross-entropy) loss and its gradient.

    ``L_i = -log(exp(s_{y_i}) / sum_j exp(s_j))``, computed stably (the row maximum is
    subtracted first, so scores around 1e3 do not overflow); the data loss is the (weighted)
    mean, plus ``reg * R(W)``. Equals ``torch.nn.functional.cross_entropy(X @ W, y)``.

    Parameters are those of :func:`svm_loss` without ``delta``.

    Returns
    -------
    loss : float
    dW : ndarray, same shape and dtype as ``W``
    """
    return _loss("softmax", W, X, y, reg, 0.0, penalty, l1_ratio, sample_weight, impl, n_threads)
