"""Diagnosing what a localizer gets wrong.

:func:`error_analysis` breaks the top-scored detections down into true positives and
the false-positive types of DETAD (Alwassel et al., ECCV 2018): double detections,
wrong labels, localization, confusion and background errors. Pure NumPy.
"""
from ._error_analysis import ERROR_CATEGORIES, classify_detections, error_analysis

__all__ = ["ERROR_CATEGORIES", "classify_detections", "error_analysis"]
