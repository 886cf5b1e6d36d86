"""Data sets: the digits that ship with fastlin, and CIFAR-10 from a folder you downloaded."""

from __future__ import annotations

import pickle
from importlib import resources
from pathlib import Path

import numpy as np

CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten digits scikit-learn ships, embedded in fastlin (no download).

    Returns
    -------
    images : ndarray of shape (1797, 8, 8), uint8
        Pixel values 0-16.
    labels : ndarray of shape (1797,), int64
        Digits 0-9.
    """
    with resources.files("fastlin.data").joinpath("digits.npz").open("rb") as fh:
        data = np.load(fh)
        return data["images"], data["target"].astype(np.int64)


def _missing(root: Path, what: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"{what}. load_cifar10 reads the CIFAR-10 'python version' (cifar-10-python.tar.gz from "
        "the CIFAR-10 home page): extract it and pass the folder that holds data_batch_1 ... "
        f"data_batch_5 and test_batch (usually 'cifar-10-batches-py'); got {str(root)!r}"
    )


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open("rb") as fh:
        batch = pickle.load(fh, encoding="bytes")
    try:
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (KeyError, TypeError):
        raise ValueError(f"{path} is not a CIFAR-10 python batch (no b'data' and b'labels')") from None
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (data.shape[0],):
        raise ValueError(
            f"{path} holds data of shape {data.shape} and {labels.shape} labels; expected (n, 3072) and (n,)"
        )
    # each row is 1024 red, then 1024 green, then 1024 blue values, row-major
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_cifar10(root: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CIFAR-10 from the folder of its python batches.

    Parameters
    ----------
    root : str or Path
        The folder holding ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``.

    Returns
    -------
    X_train : ndarray of shape (50000, 32, 32, 3), uint8, RGB
    y_train : ndarray of shape (50000,), int64
    X_test : ndarray of shape (10000, 32, 32, 3), uint8
    y_test : ndarray of shape (10000,), int64

    Raises
    ------
    FileNotFoundError
        The folder or one of its files is missing; the message says what to download.
    """
    root = Path(root)
    if not root.is_dir():
        raise _missing(root, f"no folder {str(root)!r}")
    missing = [name for name in CIFAR10_FILES if not (root / name).is_file()]
    if missing:
        raise _missing(root, f"missing {', '.join(missing)} in {str(root)!r}")
    train = [_read_batch(root / name) for name in CIFAR10_FILES[:5]]
    X_test, y_test = _read_batch(root / "test_batch")
    X_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return X_train, y_train, X_test, y_test
