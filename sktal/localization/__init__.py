"""Deprecated alias of :mod:`sktal.postprocessing`, its former name.

``sktal.localization`` and ``sktal.localizers`` were near-homonyms for two different
layers; the post-processing functions now live in :mod:`sktal.postprocessing`. This
alias will be removed in the next release.
"""
import warnings

from ..postprocessing import cas_to_detections, non_maximum_suppression, soft_nms

__all__ = ["cas_to_detections", "non_maximum_suppression", "soft_nms"]

warnings.warn(
    "sktal.localization is deprecated and will be removed in the next release; "
    "import from sktal.postprocessing instead",
    DeprecationWarning,
    stacklevel=2,
)
