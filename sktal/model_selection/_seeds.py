"""Multi-threshold scoring and repeated-seed evaluation."""
import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone

from ..metrics import detection_map, map_averages
from ..metrics._scorer import _DEFAULT_THRESHOLDS, TemporalMAPScorer

__all__ = ["MultiThresholdScorer", "SeedResults", "repeated_seeds"]


def _map_dict(result):
    out = {f"mAP@{t:g}": float(m) for t, m in zip(result.tiou_thresholds, result.mAP)}
    for label, value in map_averages(result.tiou_thresholds, result.mAP):
        out[f"avg_{label}"] = float(value)
    return out


class MultiThresholdScorer(TemporalMAPScorer):
    """Scorer returning the mAP at each tIoU and its averages from one ``predict``.

    A multimetric scorer for :func:`~sklearn.model_selection.cross_validate` and
    :class:`~sklearn.model_selection.GridSearchCV` (``scoring=MultiThresholdScorer()``,
    with ``refit="avg_0.1:0.7"`` in a search).  Called as ``scorer(estimator, X, y)``
    it runs ``estimator.predict(X)`` once and returns a dict ``{"mAP@0.1": ...,
    ..., "avg_0.1:0.5": ..., "avg_0.3:0.7": ..., "avg_0.1:0.7": ...}`` (the
    averages of :func:`~sktal.metrics.map_averages` whose ends are thresholds).  The
    ground truth comes from annotated ``y`` or routed ``segments`` as for
    :class:`~sktal.metrics.TemporalMAPScorer`.

    Parameters
    ----------
    tiou_thresholds : array-like of shape (n_thresholds,), \
            default=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
        tIoU thresholds; each gives one ``"mAP@t"`` entry.

    See Also
    --------
    sktal.metrics.TemporalMAPScorer : The single-number scorer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sktal.model_selection import MultiThresholdScorer
    >>> class Oracle(BaseEstimator):
    ...     def predict(self, X):
    ...         return [np.array([[2.0, 6.0, 0, 1.0]]) for _ in X]
    >>> X = [np.zeros((10, 4)), np.zeros((12, 4))]
    >>> y = [np.array([[2.0, 6.0, 0]]), np.array([[2.0, 5.0, 0]])]
    >>> scores = MultiThresholdScorer(tiou_thresholds=[0.5, 0.8])(Oracle(), X, y)
    >>> {k: round(v, 3) for k, v in scores.items()}
    {'mAP@0.5': 1.0, 'mAP@0.8': 0.5, 'avg_0.5:0.8': 0.75}
    """

    def score(self, estimator, X, y=None, *, segments=None):
        """The dict of scores of ``estimator.predict(X)`` (one call to ``predict``).

        Parameters
        ----------
        estimator : object
            A fitted localizer.
        X : sequence of array-like of shape (T_i, n_features)
            Videos to score.
        y : sequence of array-like of shape (m_i, 3) or array-like, default=None
            Ground truth when annotated; weak ``y`` is ignored.
        segments : sequence of array-like of shape (m_i, 3), default=None
            Ground truth when ``y`` is not annotated.

        Returns
        -------
        scores : dict of str to float
        """
        truth = self._ground_truth(X, y, segments)
        return _map_dict(detection_map(truth, estimator.predict(X), self.tiou_thresholds))


class SeedResults:
    """What :func:`repeated_seeds` returns: mAP per seed, mean and std.

    Parameters
    ----------
    seeds : sequence of int
        The seeds, in order.
    tiou_thresholds : array-like of shape (n_thresholds,)
    mAP : array-like of shape (n_seeds, n_thresholds)
        mAP of each seed's model at each threshold.
    estimators : list
        The fitted estimators, one per seed.

    Attributes
    ----------
    seeds : tuple of int
    tiou_thresholds : ndarray of shape (n_thresholds,)
    mAP : ndarray of shape (n_seeds, n_thresholds)
        mAP of each seed's model at each threshold, in [0, 1].
    mean, std : ndarray of shape (n_thresholds,)
        Over seeds (``std`` with ``ddof=0``).
    averages : dict of str to (float, float)
        ``{"0.1:0.5": (mean, std), ...}``: each seed's average over the range, then
        mean and std over seeds.
    estimators : list
        The fitted clones, one per seed.
    """

    def __init__(self, seeds, tiou_thresholds, mAP, estimators):
        self.seeds = tuple(seeds)
        self.tiou_thresholds = np.asarray(tiou_thresholds, dtype=float)
        self.mAP = np.asarray(mAP, dtype=float)
        self.mean = self.mAP.mean(axis=0)
        self.std = self.mAP.std(axis=0)
        per_seed = [dict(map_averages(self.tiou_thresholds, row)) for row in self.mAP]
        self.averages = {
            label: (float(np.mean([d[label] for d in per_seed])),
                    float(np.std([d[label] for d in per_seed])))
            for label in per_seed[0]
        }
        self.estimators = estimators

    def to_dict(self):
        """Plain data (for JSON): thresholds, per-seed mAP, mean, std, averages."""
        return {"seeds": list(self.seeds), "tiou_thresholds": self.tiou_thresholds.tolist(),
                "mAP": self.mAP.tolist(), "mean": self.mean.tolist(),
                "std": self.std.tolist(),
                "averages": {k: list(v) for k, v in self.averages.items()}}

    def __str__(self):
        lines = [f"mAP (%) over {len(self.seeds)} seeds {list(self.seeds)}",
                 f"{'tIoU':<10}{'mean':>8}{'std':>8}"]
        for t, m, s in zip(self.tiou_thresholds, self.mean, self.std):
            lines.append(f"{t:<10g}{100 * m:8.2f}{100 * s:8.2f}")
        if self.averages:
            lines.append("average")
        for label, (m, s) in self.averages.items():
            lines.append(f"  {label:<8}{100 * m:8.2f}{100 * s:8.2f}")
        return "\n".join(lines)

    def __repr__(self):
        body = ", ".join(f"{k}={100 * m:.2f}±{100 * s:.2f}" for k, (m, s)
                         in self.averages.items())
        return f"SeedResults(seeds={list(self.seeds)}, {body})"


def _fit_and_map(estimator, seed, X_train, y_train, X_test, segments_test, fit_params,
                 tiou_thresholds):
    est = clone(estimator).set_params(random_state=seed)
    est.fit(X_train, y_train, **fit_params)
    result = detection_map(segments_test, est.predict(X_test), tiou_thresholds)
    return est, np.asarray(result.mAP, dtype=float)


def repeated_seeds(estimator, X_train, y_train, X_test, segments_test, *, seeds=(0, 1, 2),
                   fit_params=None, tiou_thresholds=None, n_jobs=None):
    """Fit clones of ``estimator`` with several seeds; mAP mean ± std per threshold.

    Deep localizers vary by a point or more of mAP between seeds: report the mean and
    standard deviation over seeds, never one run.  Each seed fits
    ``clone(estimator).set_params(random_state=seed)`` on the training videos and
    scores its detections on the test videos with :func:`~sktal.metrics.detection_map`.

    Parameters
    ----------
    estimator : estimator object
        An unfitted localizer with a ``random_state`` parameter.
    X_train : sequence of array-like of shape (T_i, D)
    y_train : array-like
        Video-level labels or annotated segments, as ``fit`` takes them.
    X_test : sequence of array-like of shape (T_i, D)
    segments_test : sequence of array-like of shape (m_i, 3)
        Ground truth of the test videos.
    seeds : sequence of int, default=(0, 1, 2)
    fit_params : dict, default=None
        Extra ``fit`` arguments, e.g. ``{"clicks": clicks_train}``.
    tiou_thresholds : array-like, default=None
        THUMOS14's 0.1:0.1:0.7 when None.
    n_jobs : int, default=None
        Seeds fitted in parallel through joblib; None means one at a time.  Limit each
        worker's threads (``torch.set_num_threads``) when running several.

    Returns
    -------
    SeedResults
        ``mean``, ``std``, per-seed ``mAP``, ``averages`` and the fitted
        ``estimators``; ``print`` it for a table.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sktal.model_selection import repeated_seeds
    >>> class Jitter(BaseEstimator):  # detects [2, 6 + noise]: the seed moves the end
    ...     def __init__(self, random_state=None):
    ...         self.random_state = random_state
    ...     def fit(self, X, y):
    ...         self.end_ = 6.0 + np.random.default_rng(self.random_state).uniform(0, 4)
    ...         return self
    ...     def predict(self, X):
    ...         return [np.array([[2.0, self.end_, 0, 1.0]]) for _ in X]
    >>> X = [np.zeros((12, 2))]
    >>> res = repeated_seeds(Jitter(), X, [[1]], X, [np.array([[2.0, 6.0, 0]])],
    ...                      seeds=(0, 1), tiou_thresholds=[0.1, 0.5, 0.9])
    >>> res.mAP.shape, res.seeds
    ((2, 3), (0, 1))
    >>> print(res)  # doctest: +NORMALIZE_WHITESPACE
    mAP (%) over 2 seeds [0, 1]
    tIoU          mean     std
    0.1         100.00    0.00
    0.5         100.00    0.00
    0.9           0.00    0.00
    average
      0.1:0.5   100.00    0.00
      0.1:0.9    66.67    0.00
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    if "random_state" not in estimator.get_params():
        raise ValueError(f"{type(estimator).__name__} has no random_state parameter")
    if tiou_thresholds is None:
        tiou_thresholds = np.asarray(_DEFAULT_THRESHOLDS)
    fit_params = {} if fit_params is None else dict(fit_params)
    out = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_map)(estimator, seed, X_train, y_train, X_test, segments_test,
                              fit_params, tiou_thresholds)
        for seed in seeds
    )
    return SeedResults(seeds, tiou_thresholds, [m for _, m in out], [e for e, _ in out])
