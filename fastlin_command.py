"""The ``fastlin`` command's entry point, outside the package so that it runs before NumPy loads.

OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` once, when NumPy is imported, and by default its
idle threads spin for about a tenth of a second after every product, taking a core from the
fastlin kernel that follows (``python -m bench.alternating`` measures it). The command sets
a short spin unless the user chose one; importing the ``fastlin`` package loads NumPy, so
the package itself cannot.
"""

import os

#: OpenBLAS's idle spin for the command: 2**4 cycles before its threads sleep
OPENBLAS_THREAD_TIMEOUT = "4"


def main() -> int:
    """Run ``fastlin`` (see :func:`fastlin.cli.main`) with OpenBLAS's short spin."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT)
    from fastlin.cli import main as run

    return run()
