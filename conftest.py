"""Repository-wide pytest set-up: the benchmark ladder's two modes and where it saves results."""

import os
from pathlib import Path

RESULTS = Path(__file__).parent / "bench" / "results.json"


class _ResultsFile(os.PathLike):
    """The ``--benchmark-json`` target: a path to pytest-benchmark 5.x, an open file to 4.x.

    pytest-benchmark 4 opens the file itself at parse time (``argparse.FileType``) and later
    writes through ``with self.json as fh``; some 5.x releases take a path instead. This
    object serves both, opening the file only when it is written.
    """

    def __init__(self, path: Path):
        self.path = path
        self.name = str(path)
        self._fh = None

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __enter__(self):
        self._fh = self.path.open("wb")
        return self._fh.__enter__()

    def __exit__(self, *exc):
        return self._fh.__exit__(*exc)

    def write(self, data: bytes) -> int:
        with self.path.open("wb") as fh:
            return fh.write(data)


def pytest_configure(config):
    opt = config.option
    if getattr(opt, "benchmark_only", False):
        # `pytest --benchmark-only` times the ladder and saves it for `python -m bench.report`,
        # unless the user asked for another file.
        if not getattr(opt, "benchmark_json", None):
            opt.benchmark_json = _ResultsFile(RESULTS)
    elif hasattr(opt, "benchmark_disable"):
        # A plain `pytest` runs every benchmark once, untimed, on a small shape (smoke test).
        opt.benchmark_disable = True
