"""Pick a tier's implementation of a topic by name.

The tier packages mirror each other file for file (``fastlin/<tier>/<topic>.py``, same
function names and signatures), so one lookup serves every public function. Modules are
imported on first use: ``import fastlin`` does not import numba.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from fastlin._validation import check_impl


def get(topic: str, name: str, impl: str) -> Callable:
    """``fastlin.<impl>.<topic>.<name>``, after checking ``impl``."""
    module = importlib.import_module(f"fastlin.{check_impl(impl)}.{topic}")
    return getattr(module, name)
