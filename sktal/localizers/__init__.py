"""The temporal action localizers: one estimator per paper (listed in ``sktal._registry``)."""
from .._registry import LOCALIZERS, get_localizer

__all__ = list(LOCALIZERS)

globals().update({name: get_localizer(name) for name in __all__})
