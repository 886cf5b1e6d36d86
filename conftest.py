"""Repository-wide pytest set-up: where the benchmark ladder saves its results."""

from pathlib import Path

import pytest

RESULTS = Path(__file__).parent / "bench" / "results.json"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # `pytest --benchmark-only` saves its numbers for `python -m bench.report`, unless the
    # user asked for another file.
    opt = config.option
    if getattr(opt, "benchmark_only", False) and not getattr(opt, "benchmark_json", None):
        opt.benchmark_json = RESULTS.open("wb")


def pytest_collection_modifyitems(config, items):
    if getattr(config.option, "benchmark_only", False):
        return
    skip = pytest.mark.skip(reason="a benchmark: run the ladder with `pytest --benchmark-only`")
    bench_dir = RESULTS.parent
    for item in items:
        if bench_dir in Path(item.fspath).parents:
            item.add_marker(skip)
