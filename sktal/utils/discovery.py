"""Discovery of sktal's localizers (the counterpart of ``sklearn.utils.discovery``)."""
from .._registry import (
    all_localizers,
    click_kind,
    localizer_names,
    register_localizer,
    registered,
    unregister_localizer,
)

__all__ = [
    "all_localizers",
    "click_kind",
    "localizer_names",
    "register_localizer",
    "registered",
    "unregister_localizer",
]
