"""Data sets: the digits that ship with fastlin, and CIFAR-10 from a folder you downloaded.

CIFAR-10's batches are Python pickles. A pickle can name any importable callable, and
``pickle.load`` calls it, so a crafted file could run code: fastlin reads them with an
unpickler that admits only what the official batches hold (dicts, lists, bytes, str, ints
and NumPy arrays); anything else is refused with a ValueError naming the file.
"""

from __future__ import annotations

import io
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


#: the only globals a CIFAR-10 batch may name: NumPy's array reconstruction (NumPy 1 and 2)
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}
#: the largest file a CIFAR-10 batch can be (10,000 images of 3,072 bytes, with room to spare)
_MAX_BATCH_BYTES = 64 * 2**20


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """How protocol-2 pickles written by Python 3 spell bytes (``_codecs.encode(s, "latin1")``)."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"it encodes bytes as {encoding!r}, not latin1")
    return text.encode("latin1")


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that builds only dicts, lists, bytes, str, numbers and NumPy arrays."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it names {module}.{name}, which a CIFAR-10 batch never holds")


def _unpickle(path: Path) -> object:
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path} is empty: not a CIFAR-10 python batch")
    if size > _MAX_BATCH_BYTES:
        raise ValueError(f"{path} is {size} bytes, too large for a CIFAR-10 python batch")
    try:
        return _BatchUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except Exception as e:  # any failure of a corrupt or hostile pickle
        raise ValueError(f"{path} is not a valid CIFAR-10 python batch: {type(e).__name__}: {e}") from None


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    batch = _unpickle(path)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path} is not a CIFAR-10 python batch (no b'data' and b'labels')")
    data, labels = batch[b"data"], batch[b"labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        what = data.dtype if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{path}: b'data' must be a uint8 array of pixels, got {what}")
    if not isinstance(labels, list) or not all(type(v) is int for v in labels):
        raise ValueError(f"{path}: b'labels' must be a list of ints")
    labels = np.asarray(labels, dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (data.shape[0],):
        raise ValueError(
            f"{path} holds data of shape {data.shape} and {labels.shape} labels; expected (n, 3072) and (n,)"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(CIFAR10_CLASSES)):
        raise ValueError(f"{path}: labels must be in [0, 10), got labels in [{labels.min()}, {labels.max()}]")
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
    ValueError
        A file that is not a CIFAR-10 batch: truncated, corrupt, of other pixel types or
        labels, or a pickle naming anything but NumPy arrays (it is never run).
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
