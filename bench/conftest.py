"""The ladder's parameters, from the table in ``tests/registry.py``.

With ``--benchmark-only`` every operation is timed on its ladder shapes; in a plain
``pytest`` run (where the root conftest disables timing) each benchmark runs once on the
operation's small smoke shape, so a broken ladder fails the test run.
"""

import numpy as np

from tests.registry import OPERATIONS


def _smoke(config) -> bool:
    return not getattr(config.option, "benchmark_only", False)


def ladder_cases(smoke: bool):
    """(operation, shape, dtype, contender) of every benchmark."""
    for name, op in OPERATIONS.items():
        shapes = [op.smoke_shape] if smoke else list(op.bench_shapes)
        dtypes = op.dtypes[:1] if smoke else (op.bench_dtypes or op.dtypes[:1])
        for shape in shapes:
            for dtype in dtypes:
                size = int(np.prod(shape))
                for who in op.tiers + tuple(p.name for p in op.peers):
                    if who == "naive" and not smoke and size > op.naive_bench_limit:
                        continue  # the naive tier is timed on the small shapes only
                    yield name, shape, dtype, who


def pytest_generate_tests(metafunc):
    if "ladder_case" in metafunc.fixturenames:
        cases = list(ladder_cases(_smoke(metafunc.config)))
        ids = [f"{n}-{'x'.join(map(str, s))}-{d}-{w}" for n, s, d, w in cases]
        metafunc.parametrize("ladder_case", cases, ids=ids)
    if "smoke" in metafunc.fixturenames:
        metafunc.parametrize("smoke", [_smoke(metafunc.config)], ids=["smoke" if _smoke(metafunc.config) else "full"])
