"""Weight penalties: value and (sub)gradient.

``reg`` is the strength (>= 0); the CS231n 2017+ convention is used for L2, so the penalty is
``reg * sum(W**2)`` and its gradient ``2 * reg * W`` (scikit-learn's ``alpha`` is ``2 * reg``).
"""

from __future__ import annotations

import numpy as np

from fastlin._validation import check_penalty, check_weights


def regularization(W: np.ndarray, reg: float, penalty: str = "l2", l1_ratio: float = 0.5) -> tuple[float, np.ndarray]:
    """Value and gradient of a weight penalty.

    Parameters
    ----------
    W : ndarray of shape (D, C), float32 or float64
        Weights.
    reg : float
        Strength, >= 0.
    penalty : {"l2", "l1", "elasticnet"}
        ``"l2"``: ``reg * sum(W**2)``, gradient ``2 * reg * W``.
        ``"l1"``: ``reg * sum(|W|)``, subgradient ``reg * sign(W)`` (0 where ``W == 0``).
        ``"elasticnet"``: ``reg * (l1_ratio * sum|W| + (1 - l1_ratio) * sum(W**2))``.
    l1_ratio : float
        Mix of the elastic net, in ``[0, 1]``; ignored by the other penalties.

    Returns
    -------
    value : float
    grad : ndarray, same shape and dtype as ``W``
    """
    W = check_weights(W)
    reg, l1_ratio = check_penalty(reg, penalty, l1_ratio)
    value, grad = _penalty_value_grad(W, reg, penalty, l1_ratio)
    return value, np.zeros_like(W) if grad is None else grad


def _penalty_value_grad(W: np.ndarray, reg: float, penalty: str, l1_ratio: float) -> tuple[float, np.ndarray | None]:
    """:func:`regularization` on validated input; the gradient is None when ``reg`` is 0.

    (The loss kernels compute the penalty themselves, from :func:`penalty_coefficients`.)
    A value or gradient that overflows raises ``FloatingPointError``.
    """
    if reg == 0.0:
        return 0.0, None
    l2, l1 = penalty_coefficients(reg, penalty, l1_ratio)
    flat = W.ravel(order="K")  # a view for C- and F-ordered W alike
    value = 0.0
    grad = None
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        if l2:
            value += l2 * float(np.dot(flat, flat))  # BLAS dot: one pass, no temporary
            grad = (2.0 * l2) * W
        if l1:
            value += l1 * float(np.abs(flat).sum(dtype=np.float64))
            sign = np.sign(W)
            sign *= l1
            grad = sign if grad is None else grad + sign
        finite = np.isfinite(value) and (grad is None or bool(np.isfinite(grad).all()))
    if not finite:
        raise FloatingPointError(f"the {penalty} penalty overflowed (reg={reg}): lower reg or scale W down")
    return value, grad


def penalty_coefficients(reg: float, penalty: str, l1_ratio: float) -> tuple[float, float]:
    """``(l2, l1)`` with ``reg * R(W) = l2 * sum(W**2) + l1 * sum(|W|)``: what the kernels take."""
    l2_part = {"l2": 1.0, "l1": 0.0, "elasticnet": 1.0 - l1_ratio}[penalty]
    l1_part = {"l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
    return reg * l2_part, reg * l1_part
