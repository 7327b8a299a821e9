"""Model selection and reporting over seeds and tIoU thresholds.

:class:`MultiThresholdScorer` reports the mAP at every tIoU threshold and the usual
averages from one ``predict`` (for :func:`~sklearn.model_selection.cross_validate`);
:func:`repeated_seeds` fits an estimator with several ``random_state`` values and
reports mean ± std.  NumPy, scikit-learn and joblib only: no torch import.
"""
from ._seeds import MultiThresholdScorer, SeedResults, repeated_seeds

__all__ = ["MultiThresholdScorer", "SeedResults", "repeated_seeds"]
