"""Gradient checking: centred differences and relative errors (CS231n's gradient_check)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from fastlin._validation import as_array, check_int, check_real_array, check_scalar


def _check_f_x(f: object, x: object) -> np.ndarray:
    if not callable(f):
        raise TypeError(f"f must be callable (x -> float), got {type(f).__name__}")
    arr = as_array("x", x)
    if arr.dtype.kind != "f" or arr.dtype.itemsize < 4:
        # float16 cannot hold x + h for the default step: every difference would be 0
        raise TypeError(f"x must be a float32 or float64 array, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError("x is empty")
    if not np.isfinite(arr).all():
        raise ValueError("x contains NaN or inf")
    return arr


def _value(f: Callable, x: np.ndarray) -> float:
    """``f(x)`` as a float; anything but one real number is a TypeError saying what came back."""
    value = f(x)
    if isinstance(value, tuple):
        raise TypeError(
            f"f must return one number, got a tuple of {len(value)}; a fastlin loss returns (loss, dW): "
            "pass lambda w: svm_loss(w, X, y)[0]"
        )
    if np.ndim(value) != 0:
        raise TypeError(f"f must return one number, got an array of shape {np.shape(value)}")
    if not isinstance(value, (str, bytes)):  # float() would parse "0.5": a string is a slip, not a loss
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"f must return one real number, got {type(value).__name__} {value!r}")


def _centred(f: Callable, x: np.ndarray, ix: tuple, h: float) -> float:
    """``(f(x + h e_ix) - f(x - h e_ix)) / 2h``; restores ``x[ix]``."""
    old = x[ix]
    x[ix] = old + h
    try:
        plus = _value(f, x)
        x[ix] = old - h
        minus = _value(f, x)
    finally:
        x[ix] = old
    if not (np.isfinite(plus) and np.isfinite(minus)):
        raise FloatingPointError(f"f returned a non-finite value ({plus}, {minus}) next to x{list(ix)}")
    return (plus - minus) / (2.0 * h)


def numerical_gradient(f: Callable[[np.ndarray], float], x: ArrayLike, h: float = 1e-5) -> np.ndarray:
    """Gradient of ``f`` at ``x`` by centred differences, one entry at a time.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It is called on a private copy of ``x`` that is perturbed in
        place, two calls per entry, so keep ``x`` small.
    x : array_like, float
        The point. float64 is advised: with float32, ``h = 1e-5`` is below the precision.
    h : float, default 1e-5
        Step, > 0.

    Returns
    -------
    ndarray of float64, same shape as ``x``

    Raises
    ------
    FloatingPointError
        ``f`` returned NaN or inf next to ``x``.
    TypeError
        ``f`` returned something other than one real number (e.g. a loss's ``(loss, dW)``).
    """
    x = _check_f_x(f, x).copy()
    h = check_scalar("h", h, low=0.0, low_open=True)
    grad = np.empty(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        grad[ix] = _centred(f, x, ix, h)
    return grad


def grad_check_sparse(
    f: Callable[[np.ndarray], float],
    x: ArrayLike,
    analytic_grad: ArrayLike,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int | None = None,
) -> np.ndarray:
    """Compare ``analytic_grad`` with centred differences at ``num_checks`` random entries.

    Returns
    -------
    ndarray of shape (num_checks,)
        ``|num - ana| / (|num| + |ana|)`` at each sampled entry (0 where both are 0; NaN
        where the analytic gradient is not finite, so that a NaN never passes as agreement).

    Raises
    ------
    FloatingPointError
        ``f`` returned NaN or inf next to a sampled entry.
    TypeError
        ``f`` returned something other than one real number.
    """
    x = _check_f_x(f, x).copy()
    analytic = check_real_array("analytic_grad", analytic_grad)
    if analytic.shape != x.shape:
        raise ValueError(f"analytic_grad has shape {analytic.shape}, x has {x.shape}; they must match")
    num_checks = check_int("num_checks", num_checks, low=1)
    h = check_scalar("h", h, low=0.0, low_open=True)
    rng = np.random.default_rng(seed)
    errors = np.empty(num_checks)
    for k in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        num = _centred(f, x, ix, h)
        ana = float(analytic[ix])
        denom = abs(num) + abs(ana)
        if not np.isfinite(ana):
            errors[k] = np.nan
        else:
            errors[k] = abs(num - ana) / denom if denom > 0 else 0.0
    return errors


def rel_error(a: ArrayLike, b: ArrayLike) -> float:
    """Largest relative error ``|a - b| / max(1e-8, |a| + |b|)`` over all entries (NaN if any is)."""
    a, b = as_array("a", a), as_array("b", b)
    for name, arr in (("a", a), ("b", b)):
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape}, b has {b.shape}; they must match")
    if a.size == 0:
        raise ValueError("a and b are empty")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
