"""dlkit: the small helper package shared by the curriculum's notebooks.

Importing dlkit has no side effects: nothing is seeded, printed or downloaded,
and TensorFlow is not even imported until a module that needs it is used.
Call :func:`dlkit.runtime.setup` at the top of a notebook: it imports TensorFlow
quietly, seeds everything and prints one banner line.
"""

from __future__ import annotations

import importlib
from typing import Any

from dlkit import runtime
from dlkit.runtime import scale, setup

__all__ = [
    "attribution",
    "boxes",
    "data",
    "diagnostics",
    "diffusion",
    "exercises",
    "fit",
    "graphs",
    "plotting",
    "robustness",
    "runtime",
    "scale",
    "selfsup",
    "seq2seq",
    "setup",
    "tensors",
    "text",
    "training",
    "transformer",
]
__version__ = "0.1.0"

_LAZY_MODULES = {
    "data",
    "exercises",
    "plotting",
    "training",
    "answers",
    "grading",
    "release",
    "sandbox",
    "diagnostics",
    "comparisons",
    "text",
    "transformer",
    "tensors",
    "graphs",
    "selfsup",
    "diffusion",
    "seq2seq",
    "boxes",
    "attribution",
    "robustness",
}


def __getattr__(name: str) -> Any:
    # PEP 562: submodules load on first use, so `import dlkit` stays cheap and silent.
    if name in _LAZY_MODULES:
        return importlib.import_module(f"dlkit.{name}")
    if name == "fit":
        return importlib.import_module("dlkit.training").fit
    raise AttributeError(f"module 'dlkit' has no attribute {name!r}")
