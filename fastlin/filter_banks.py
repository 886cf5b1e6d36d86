"""The texture filter banks of the Oxford VGG texture code: Leung-Malik, RFS (behind MR8), Schmid.

Each bank equals what the VGG MATLAB files (``makeLMfilters.m``, ``makeRFSfilters.m``,
``makeSfilters.m``) return, as GNU Octave runs them (``tests/data/filter_banks_vgg.npz``):
49 x 49 filters, each made zero-mean and L1-normalized. Widely copied Python ports of
``makeLMfilters`` differ from it (other scales, no normalization, flipped axes).
"""

from __future__ import annotations

import functools

import numpy as np

from fastlin._validation import check_choice

#: the banks by name: (number of filters, what they are)
BANKS = {
    "LM": (48, "Leung-Malik: first and second derivatives of anisotropic Gaussians (3 scales x 6 orientations), "
           "4 Gaussians and 8 Laplacians of Gaussian"),
    "RFS": (38, "root filter set: bar and edge filters (3 scales x 6 orientations), a Gaussian and a Laplacian "
            "of Gaussian (MR8 takes the maximum over orientations)"),
    "S": (13, "Schmid: rotation-invariant cosine-modulated Gaussians"),
}  # fmt: skip
#: the side of every filter, in pixels
SUPPORT = 49


def _normalise(f: np.ndarray) -> np.ndarray:
    f = f - f.mean()
    return f / np.abs(f).sum()


def _gauss1d(sigma: float, x: np.ndarray, order: int) -> np.ndarray:
    """A Gaussian (order 0) or its first or second derivative at ``x``, as the VGG files write it."""
    num = x * x
    variance = sigma**2
    denom = 2 * variance
    g = np.exp(-num / denom) / np.sqrt(np.pi * denom)
    if order == 1:
        g = -g * (x / variance)
    elif order == 2:
        g = g * ((num - variance) / variance**2)
    return g


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """``meshgrid(-h:h, h:-1:-h)``: x grows along the columns, y upwards along the rows."""
    h = (SUPPORT - 1) // 2
    return np.meshgrid(np.arange(-h, h + 1, dtype=np.float64), np.arange(h, -h - 1, -1, dtype=np.float64))


def _oriented(scales: tuple, n_orient: int = 6) -> list[np.ndarray]:
    """The bar (first derivative) then the edge (second derivative) filters, scale by scale."""
    x, y = _grid()
    bars, edges = [], []
    for scale in scales:
        for orient in range(n_orient):
            angle = np.pi * orient / n_orient
            c, s = np.cos(angle), np.sin(angle)
            rx, ry = c * x - s * y, s * x + c * y
            for order, out in ((1, bars), (2, edges)):
                out.append(_normalise(_gauss1d(3 * scale, rx, 0) * _gauss1d(scale, ry, order)))
    return bars + edges


def _gaussian(sigma: float) -> np.ndarray:
    """``normalise(fspecial('gaussian', 49, sigma))`` (normalise removes fspecial's scaling)."""
    h = (SUPPORT - 1) // 2
    x, y = np.meshgrid(np.arange(-h, h + 1.0), np.arange(-h, h + 1.0))
    return _normalise(np.exp(-(x * x + y * y) / (2 * sigma * sigma)))


def _log(sigma: float) -> np.ndarray:
    """``normalise(fspecial('log', 49, sigma))``: the Laplacian of a Gaussian, zero-mean and L1-normalized."""
    h = (SUPPORT - 1) // 2
    x, y = np.meshgrid(np.arange(-h, h + 1.0), np.arange(-h, h + 1.0))
    r2 = x * x + y * y
    return _normalise((r2 - 2 * sigma * sigma) * np.exp(-r2 / (2 * sigma * sigma)))


def _schmid(sigma: float, tau: float) -> np.ndarray:
    h = (SUPPORT - 1) // 2
    x, y = np.meshgrid(np.arange(-h, h + 1.0), np.arange(-h, h + 1.0))
    r = np.sqrt(x * x + y * y)
    return _normalise(np.cos(r * (np.pi * tau / sigma)) * np.exp(-(r * r) / (2 * sigma * sigma)))


@functools.cache
def _bank(name: str) -> np.ndarray:
    if name == "LM":
        filters = _oriented(tuple(np.sqrt(2) ** k for k in (1, 2, 3)))
        for sigma in (np.sqrt(2) ** k for k in (1, 2, 3, 4)):
            filters += [_gaussian(sigma), _log(sigma), _log(3 * sigma)]
    elif name == "RFS":
        filters = _oriented((1, 2, 4)) + [_gaussian(10), _log(10)]
    else:
        pairs = [(2, 1), (4, 1), (4, 2), (6, 1), (6, 2), (6, 3), (8, 1), (8, 2), (8, 3)]
        filters = [_schmid(sigma, tau) for sigma, tau in [*pairs, (10, 1), (10, 2), (10, 3), (10, 4)]]
    bank = np.array(filters)
    bank.flags.writeable = False
    return bank


def filter_bank(name: str) -> np.ndarray:
    """One of the VGG texture code's filter banks, equal to its MATLAB function's output.

    Parameters
    ----------
    name : {"LM", "RFS", "S"}
        ``"LM"``: ``makeLMfilters`` (48 filters), ``"RFS"``: ``makeRFSfilters`` (38),
        ``"S"``: ``makeSfilters`` (13); see :data:`BANKS`.

    Returns
    -------
    ndarray of shape (n_filters, 49, 49), float64, read-only
        ``bank[k]`` is MATLAB's ``F(:, :, k + 1)``: row 0 is the filter's top row (its
        largest y), column 0 its leftmost column. Each filter sums to 0 and its absolute
        values to 1. The VGG code convolves, ``conv2(I, F(:, :, k), 'valid')``: that is a
        correlation with ``bank[k, ::-1, ::-1]``.
    """
    return _bank(check_choice("name", name, tuple(BANKS)))
