"""A scikit-learn scorer for temporal detection mAP."""
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import UNUSED

from ..utils.validation import is_annotated
from ._detection import DEFAULT_TIOU_THRESHOLDS, detection_map

__all__ = ["TemporalMAPScorer"]

# The scorer's default is a tuple with the same values: scikit-learn's repr compares
# parameters to their defaults with ``==``, which an ndarray default breaks.
_DEFAULT_THRESHOLDS = tuple(DEFAULT_TIOU_THRESHOLDS.tolist())


class TemporalMAPScorer(BaseEstimator):
    """Scorer: mean detection mAP over tIoU thresholds, for model selection.

    Use it as ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`,
    :func:`~sklearn.model_selection.cross_validate` and friends.  Called as
    ``scorer(estimator, X, y)``, it runs ``estimator.predict(X)`` and returns
    ``detection_map(ground_truth, detections, tiou_thresholds).average_mAP``, a float
    in [0, 1] where greater is better.  The ground truth comes from one of two places:

    1. annotated ``y`` (a sequence of ``(m_i, 3)`` arrays ``[start, end, class]``):
       ``GridSearchCV(est, grid, scoring=TemporalMAPScorer()).fit(X, segments)``.
       The estimator's ``fit`` only uses the video-level labels derived from it.
       Needs no configuration.
    2. weak ``y`` (video-level labels) plus the ``segments`` metadata, routed by
       scikit-learn (``sklearn.set_config(enable_metadata_routing=True)``)::

           scorer = TemporalMAPScorer().set_score_request(segments=True)
           GridSearchCV(est, grid, scoring=scorer).fit(X, y, segments=segments)

    Parameters
    ----------
    tiou_thresholds : array-like of shape (n_thresholds,), \
            default=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
        tIoU thresholds averaged over: by default THUMOS14's 0.1:0.1:0.7, the values of
        :data:`~sktal.metrics.DEFAULT_TIOU_THRESHOLDS` (as a tuple, which keeps the
        estimator ``repr`` working); pass
        :data:`~sktal.metrics.ACTIVITYNET_TIOU_THRESHOLDS` for ActivityNet.

    See Also
    --------
    detection_map : The metric, with all its conventions.

    Notes
    -----
    The scorer is an ordinary estimator-like object: ``get_params`` / ``set_params``
    / ``clone`` / pickling work, and it requests metadata for its ``score`` method the
    way scikit-learn estimators do (``set_score_request``, ``get_metadata_routing``).
    Calling the scorer and calling :meth:`score` are the same.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sktal.metrics import TemporalMAPScorer
    >>> class Oracle(BaseEstimator):  # predicts the true segment of each video
    ...     def predict(self, X):
    ...         return [np.array([[2.0, 6.0, 0, 1.0]]) for _ in X]
    >>> X = [np.zeros((10, 4)), np.zeros((12, 4))]
    >>> y = [np.array([[2.0, 6.0, 0]]), np.array([[2.0, 5.0, 0]])]
    >>> scorer = TemporalMAPScorer()
    >>> scorer
    TemporalMAPScorer()
    >>> round(scorer(Oracle(), X, y), 4)  # tIoU 1 and 0.75: misses only at 0.8+
    1.0
    >>> round(TemporalMAPScorer(tiou_thresholds=[0.5, 0.9])(Oracle(), X, y), 4)
    0.75
    """

    # `estimator` is the object being scored, not metadata to route
    __metadata_request__score = {"estimator": UNUSED}

    def __init__(self, tiou_thresholds=_DEFAULT_THRESHOLDS):
        self.tiou_thresholds = tiou_thresholds

    def __call__(self, estimator, X, y=None, *, segments=None):
        """Score ``estimator`` on ``X``; see :meth:`score`."""
        return self.score(estimator, X, y, segments=segments)

    def score(self, estimator, X, y=None, *, segments=None):
        """Mean detection mAP of ``estimator.predict(X)`` over the thresholds.

        Parameters
        ----------
        estimator : object
            A fitted localizer; its ``predict(X)`` returns one ``(k_i, 4)`` array
            ``[start, end, class, score]`` per video.
        X : sequence of array-like of shape (T_i, n_features)
            Videos to score.
        y : sequence of array-like of shape (m_i, 3) or array-like of shape \
                (n_videos, n_classes), default=None
            Ground truth when annotated; weak (video-level) ``y`` is ignored.
        segments : sequence of array-like of shape (m_i, 3), default=None
            Ground truth when ``y`` is not annotated (routed metadata).

        Returns
        -------
        score : float
            ``average_mAP`` of :func:`~sktal.metrics.detection_map`, in [0, 1].

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.base import BaseEstimator
        >>> from sktal.metrics import TemporalMAPScorer
        >>> class Oracle(BaseEstimator):
        ...     def predict(self, X):
        ...         return [np.array([[2.0, 6.0, 0, 1.0]]) for _ in X]
        >>> X = [np.zeros((10, 4))]
        >>> y_weak = np.array([[1]])
        >>> TemporalMAPScorer().score(Oracle(), X, y_weak,
        ...                           segments=[np.array([[2.0, 6.0, 0]])])
        1.0
        """
        truth = self._ground_truth(X, y, segments)
        detections = estimator.predict(X)
        return detection_map(truth, detections, self.tiou_thresholds).average_mAP

    def _ground_truth(self, X, y, segments):
        """The segments scored against: annotated ``y``, else ``segments``, one per
        video of ``X``."""
        name = type(self).__name__
        truth = y if is_annotated(y) else segments
        if truth is None:
            raise ValueError(
                f"{name} needs the ground-truth segments: pass annotated y "
                "(a sequence of (m_i, 3) arrays [start, end, class]), or weak y plus "
                "segments=... (inside scikit-learn: "
                "sklearn.set_config(enable_metadata_routing=True) and "
                f"{name}().set_score_request(segments=True))"
            )
        if len(truth) != len(X):
            raise ValueError(
                f"the ground truth describes {len(truth)} videos but X holds {len(X)}"
            )
        return truth
