"""sktal: weakly- and click-supervised temporal action localization.

Estimators follow the scikit-learn API (``fit`` / ``predict`` / ``score``) on ragged
inputs: ``X`` is a sequence of ``(T_i, D)`` snippet-feature arrays.  They are loaded
lazily, so ``import sktal`` and ``import sktal.metrics`` do not import torch.
"""
import importlib

from ._constants import BACKGROUND
from ._registry import LOCALIZERS
from ._version import __version__

_LAZY = {
    **LOCALIZERS,
    "BaseLocalizer": "sktal.base",
    "PseudoLabelRefiner": "sktal._refinement",
    "TemporalMAPScorer": "sktal.metrics",
    "load": "sktal.persistence",
    "save": "sktal.persistence",
}

__all__ = ["__version__", "BACKGROUND", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sktal' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
