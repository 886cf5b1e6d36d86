"""Data sets: the digits that ship with fastlin, and CIFAR-10 (downloaded once, checked, cached).

CIFAR-10's batches are Python pickles. A pickle can name any importable callable, and
``pickle.load`` calls it, so a crafted file could run code: fastlin reads them with an
unpickler that admits only what the official batches hold (dicts, lists, bytes, str, ints
and NumPy arrays); anything else is refused with a ValueError naming the file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.request
import zlib
from importlib import resources
from pathlib import Path, PurePosixPath

import numpy as np

from fastlin._validation import check_bool

CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
#: the official "python version" archive, its MD5 and the folder it holds
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_FOLDER = "cifar-10-batches-py"
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


def _integer_scalar(dtype: np.dtype, data: bytes) -> np.integer:
    """A NumPy integer scalar from its bytes (labels written as ``list(y)`` of a NumPy array)."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iu" or not isinstance(data, bytes):
        raise pickle.UnpicklingError(f"it holds a NumPy scalar of dtype {dtype}, where only integers may stand")
    if len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"a NumPy {dtype} scalar of {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype)[0]


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that builds only dicts, lists, bytes, str, numbers and NumPy arrays."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if (module, name) in (("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")):
            return _integer_scalar
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it names {module}.{name}, which a CIFAR-10 batch never holds")


def _check_size(path: object, size: int) -> None:
    if size == 0:
        raise ValueError(f"{path} is empty: not a CIFAR-10 python batch")
    if size > _MAX_BATCH_BYTES:
        raise ValueError(f"{path} is {size} bytes, too large for a CIFAR-10 python batch")


def _unpickle(path: object, raw: bytes) -> object:
    try:
        return _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as e:  # any failure of a corrupt or hostile pickle
        raise ValueError(f"{path} is not a valid CIFAR-10 python batch: {type(e).__name__}: {e}") from None


def _read_batch(path: object, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    batch = _unpickle(path, raw)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path} is not a CIFAR-10 python batch (no b'data' and b'labels')")
    data, labels = batch[b"data"], batch[b"labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        what = data.dtype if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{path}: b'data' must be a uint8 array of pixels, got {what}")
    if not isinstance(labels, list) or not all(type(v) is int or isinstance(v, np.integer) for v in labels):
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


def _batches_from_folder(root: Path) -> dict[str, tuple]:
    if not root.is_dir():
        raise _missing(root, f"no folder {str(root)!r}")
    missing = [name for name in CIFAR10_FILES if not (root / name).is_file()]
    if missing:
        raise _missing(root, f"missing {', '.join(missing)} in {str(root)!r}")
    batches = {}
    for name in CIFAR10_FILES:
        path = root / name
        _check_size(path, path.stat().st_size)
        batches[name] = _read_batch(path, path.read_bytes())
    return batches


def _batches_from_archive(archive: Path) -> dict[str, tuple]:
    """The batches read straight out of ``cifar-10-python.tar.gz``: nothing is written to disk."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = {PurePosixPath(m.name).name: m for m in tar.getmembers() if m.isfile()}
            missing = [name for name in CIFAR10_FILES if name not in members]
            if missing:
                raise ValueError(f"{archive} is not the CIFAR-10 python archive: no {', '.join(missing)} in it")
            batches = {}
            for name in CIFAR10_FILES:
                where = f"{archive}:{members[name].name}"
                _check_size(where, members[name].size)
                batches[name] = _read_batch(where, tar.extractfile(members[name]).read())
            return batches
    except (tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{archive} is not a readable .tar.gz archive: {e}") from None


def load_cifar10(root: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CIFAR-10 from the folder of its python batches, or from the downloaded archive itself.

    Parameters
    ----------
    root : str or Path
        The folder holding ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``, or the
        ``cifar-10-python.tar.gz`` archive (read in place, not extracted). See
        :func:`fetch_cifar10` to download it.

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
    root = Path(root).expanduser()
    batches = _batches_from_archive(root) if root.is_file() else _batches_from_folder(root)
    train = [batches[name] for name in CIFAR10_FILES[:5]]
    X_test, y_test = batches["test_batch"]
    X_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return X_train, y_train, X_test, y_test


def cache_folder(path: str | Path | None = None) -> Path:
    """Where downloads are cached: ``path``, else ``$FASTLIN_DATA``, else ``~/.cache/fastlin``."""
    if path is None:
        path = os.environ.get("FASTLIN_DATA") or Path.home() / ".cache" / "fastlin"
    return Path(path).expanduser()


def _download(url: str, target: Path, md5: str, progress: bool) -> None:
    """``url`` into ``target``, checked against ``md5``; nothing is left behind on failure."""
    from fastlin._progress import Progress

    partial = target.with_name(target.name + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:  # noqa: S310
            total = int(response.headers.get("Content-Length") or 0)
            bar = Progress(total or 1, progress, what="download")
            done = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                bar.update(min(done, total or 1), n=len(chunk) if total else 0)
            bar.close()
        if digest.hexdigest() != md5:
            raise ValueError(
                f"the file downloaded from {url} has MD5 {digest.hexdigest()}, not {md5}: it is corrupt or "
                "not the CIFAR-10 archive (nothing was kept)"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _safe_extract(archive: Path, dest: Path) -> None:
    """Extract the regular files and folders of ``archive`` into ``dest``.

    Every member is checked before anything is written: one that would land outside
    ``dest`` (an absolute path, ``..``) or that is a link or a device is refused. An archive
    that cannot be read to its end (truncated, not a tar file) is a ValueError naming it.
    """
    try:
        _extract_checked(archive, dest.resolve())
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise ValueError(
            f"{archive} cannot be extracted (truncated, or not a .tar.gz archive): {e}; delete it and fetch again"
        ) from None


def _extract_checked(archive: Path, dest: Path) -> None:
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        for m in members:
            parts = PurePosixPath(m.name).parts
            target = (dest / m.name).resolve()
            if m.name.startswith(("/", "\\")) or ".." in parts or not target.is_relative_to(dest):
                raise ValueError(f"{archive} has a member {m.name!r} outside its folder: refused, nothing extracted")
            if not (m.isfile() or m.isdir()):
                raise ValueError(f"{archive} has a member {m.name!r} that is a link or device: refused")
        for m in members:
            target = dest / m.name
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def fetch_cifar10(
    data_home: str | Path | None = None, *, url: str = CIFAR10_URL, md5: str = CIFAR10_MD5, progress: bool = True
) -> Path:
    """CIFAR-10's python batches, downloaded and extracted once, then taken from the cache.

    Parameters
    ----------
    data_home : str or Path, optional
        The cache folder (see :func:`cache_folder`): ``$FASTLIN_DATA``, else ``~/.cache/fastlin``.
    url, md5 : str
        Where the archive comes from and its checksum (the official ones by default).
    progress : bool, default True
        A progress bar for the download (170 MB).

    Returns
    -------
    Path
        The ``cifar-10-batches-py`` folder, for :func:`load_cifar10`.

    Raises
    ------
    ValueError
        A download whose MD5 differs (nothing is kept), an archive that cannot be read to
        its end, or one with a member that would land outside the cache folder or is a link.
    OSError
        The download failed (no network, HTTP error).
    """
    for name, value in (("url", url), ("md5", md5)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    progress = check_bool("progress", progress)
    home = cache_folder(data_home)
    folder = home / CIFAR10_FOLDER
    if all((folder / name).is_file() for name in CIFAR10_FILES):
        return folder
    home.mkdir(parents=True, exist_ok=True)
    archive = home / "cifar-10-python.tar.gz"
    if not archive.is_file() or _md5(archive) != md5:
        _download(url, archive, md5, progress)
    with tempfile.TemporaryDirectory(dir=home) as tmp:
        _safe_extract(archive, Path(tmp))
        extracted = Path(tmp) / CIFAR10_FOLDER
        if not all((extracted / name).is_file() for name in CIFAR10_FILES):
            raise ValueError(f"{archive} does not hold {CIFAR10_FOLDER}/ with the six batches")
        if folder.exists():
            shutil.rmtree(folder)
        extracted.replace(folder)
    return folder


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
