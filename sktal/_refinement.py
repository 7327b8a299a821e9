"""Two-stage training: a weak localizer's detections become pseudo-instances for a
fully supervised detector (LACP's and HR-Pro's second stage, as a meta-estimator)."""
import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._constants import BACKGROUND
from .postprocessing import non_maximum_suppression
from .utils.validation import (
    check_clicks,
    check_labels,
    check_param,
    check_segments,
    check_videos,
    is_annotated,
    segments_to_labels,
)

__all__ = ["PseudoLabelRefiner", "pseudo_instances"]


def _contains(detections, t):
    """Rows of ``detections`` whose ``[start, end)`` holds timestep ``t``'s snippet."""
    return (detections[:, 0] <= t) & (t < detections[:, 1])


def _interval_instances(cas, classes, background, score_ratio, cas_threshold):
    """One instance per stretch between background clicks, cut from the teacher's CAS.

    ``background``: sorted snippet indices of the background clicks. Returns rows
    ``[start, end, class, score]`` with the score the run's mean CAS.
    """
    length = len(cas)
    if len(classes) == 0 or length == 0:
        return np.zeros((0, 4))
    values = cas[:, classes].max(axis=1)
    cuts = np.concatenate([[-1], background, [length]]).astype(np.int64)
    rows, peaks, edge = [], [], []
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        lo, hi = a + 1, b
        if hi <= lo:
            continue
        part = values[lo:hi]
        peak = float(part.max())
        if peak <= 0:
            continue
        s = e = int(np.argmax(part))
        while s > 0 and part[s - 1] >= cas_threshold * peak:
            s -= 1
        while e + 1 < len(part) and part[e + 1] >= cas_threshold * peak:
            e += 1
        c = classes[np.argmax(cas[lo + s:lo + e + 1][:, classes].mean(axis=0))]
        rows.append([lo + s, lo + e + 1, c, float(part[s:e + 1].mean())])
        peaks.append(peak)
        edge.append(k == 0 or k == len(cuts) - 2)
    if not rows:
        return np.zeros((0, 4))
    rows, peaks, edge = np.array(rows), np.array(peaks), np.array(edge)
    # an inner stretch lies between two background gaps, so it holds an action; the
    # stretches before the first and after the last click may be background only
    reference = peaks[~edge].max() if (~edge).any() else peaks.max()
    return rows[~edge | (peaks >= score_ratio * reference)]


def pseudo_instances(detections, *, labels, clicks, keep_video_classes, score_ratio,
                     click_window, centre_on_click, background_rule, cas_threshold,
                     nms_threshold, weighted, cas=None):
    """Pseudo-instances of one training video from a teacher's detections.

    Rules, in order:

    1. ``keep_video_classes``: only detections of the video's labelled classes;
    2. background clicks (label ``-1``): drop every detection that contains one;
    3. with action clicks: one instance per click ``(t, c)`` — the best-scoring
       detection of class ``c`` that contains ``t`` and contains no other click of
       class ``c``, moved to be centred on the click with its length kept when
       ``centre_on_click``; without one, a window of ``click_window`` timesteps
       centred on the click (clipped at 0);
    4. with background clicks only and ``background_rule="interval"``: one instance
       per stretch between consecutive background clicks, cut from the teacher's CAS
       ``cas`` (the maximum over the kept classes): the run around the stretch's peak
       where the CAS stays at or above ``cas_threshold`` times that peak, of the
       class with the highest mean CAS over the run. The stretches before the first
       and after the last click are kept only when their peak reaches
       ``score_ratio`` times the best inner peak;
    5. otherwise (no clicks, or ``background_rule="drop"``): NMS at
       ``nms_threshold``, then the detections whose score is at least
       ``score_ratio`` times the video's best.

    Parameters
    ----------
    detections : ndarray of shape (k, 4)
        ``[start, end, class, score]``.
    labels : ndarray of shape (n_classes,) or None
        The video's 0/1 labels (``None``: no class filter).
    clicks : ndarray of shape (j, 2)
        ``[t, label]`` clicks (may be empty).
    keep_video_classes : bool
    score_ratio : float in [0, 1]
    click_window : float > 0
    nms_threshold : float in [0, 1]
    weighted : bool
        Fourth column: the score divided by the video's best (click windows get the
        weight of the weakest kept instance, or 1), or 1 for every instance.
    cas : ndarray of shape (T, n_classes) or None
        The teacher's snippet scores; needed by rule 4.
    background_rule : {'interval', 'drop'}
    cas_threshold : float in [0, 1]
    centre_on_click : bool

    Returns
    -------
    ndarray of shape (m, 4)
        ``[start, end, class, weight]`` rows, weights in (0, 1].
    """
    det = np.asarray(detections, dtype=np.float64).reshape(-1, 4)
    clicks = np.asarray(clicks, dtype=np.float64).reshape(-1, 2)
    if keep_video_classes and labels is not None:
        det = det[np.asarray(labels)[det[:, 2].astype(np.int64)] > 0]
    background = np.sort(np.floor(clicks[clicks[:, 1] == BACKGROUND, 0]))
    for t in background:
        det = det[~_contains(det, t)]
    action = clicks[clicks[:, 1] != BACKGROUND]
    if not len(action) and len(background) and background_rule == "interval":
        if cas is None:
            raise ValueError("background_rule='interval' needs the teacher's CAS (cas=)")
        cas = np.asarray(cas, dtype=np.float64)
        if keep_video_classes and labels is not None:
            classes = np.flatnonzero(np.asarray(labels) > 0)
        else:
            classes = np.arange(cas.shape[1])
        det = _interval_instances(cas, classes, background.astype(np.int64),
                                  score_ratio, cas_threshold)
    best = det[:, 3].max() if len(det) else 1.0
    best = best if best > 0 else 1.0
    rows = []
    if len(action):
        fallback = []
        for t, c in action:
            t = np.floor(t)
            same = action[action[:, 1] == c, 0]
            others = np.floor(same[np.floor(same) != t])
            cand = det[(det[:, 2] == c) & _contains(det, t)]
            if len(others) and len(cand):
                spans = (cand[:, :1] <= others[None]) & (others[None] < cand[:, 1:2])
                cand = cand[~spans.any(axis=1)]
            if len(cand):
                r = cand[np.argmax(cand[:, 3])]
                start, end = r[0], r[1]
                if centre_on_click:
                    half = (end - start) / 2
                    start, end = max(0.0, t + 0.5 - half), t + 0.5 + half
                rows.append([start, end, c, r[3] / best if weighted else 1.0])
            else:
                lo = max(0.0, t + 0.5 - click_window / 2)
                fallback.append([lo, t + 0.5 + click_window / 2, c])
        floor_w = min((r[3] for r in rows), default=1.0)
        rows += [f + [floor_w] for f in fallback]
    elif len(det) and len(background) and background_rule == "interval":
        for r in det:
            rows.append([r[0], r[1], r[2], r[3] / best if weighted else 1.0])
    elif len(det):
        det = non_maximum_suppression(det, nms_threshold)
        det = det[det[:, 3] >= score_ratio * best]
        for r in det:
            rows.append([r[0], r[1], r[2], r[3] / best if weighted else 1.0])
    out = np.array(rows, dtype=np.float64).reshape(-1, 4)
    out[:, 3] = np.clip(out[:, 3], 1e-3, 1.0)
    return out


class PseudoLabelRefiner(BaseEstimator):
    """Train a weak localizer, then a fully supervised detector on its detections.

    ``fit`` clones and fits ``localizer`` with its own supervision (video labels,
    clicks), predicts the training videos, turns those detections into
    pseudo-instances (:func:`pseudo_instances`), and fits ``detector`` on them;
    ``predict`` uses the detector. With ``n_rounds > 1`` the fitted detector becomes
    the teacher of a fresh detector. This is the second stage of LACP (Lee and Byun,
    ICCV 2021; an ActionFormer trained on LACP's pseudo-labels) and of HR-Pro, as a
    meta-estimator in the manner of scikit-learn's ``SelfTrainingClassifier``.

    Parameters
    ----------
    localizer : BaseLocalizer
        The weak (first-stage) localizer; cloned and fitted. A localizer that is
        already fitted can be used as it is by wrapping it in
        ``sklearn.frozen.FrozenEstimator`` (scikit-learn >= 1.6; the successor of
        ``cv='prefit'``): an estimator whose ``clone`` is itself is neither cloned nor
        refitted, nor given ``random_state``; it must have been fitted on the same
        classes and feature width, and ``fit`` then uses it only to predict the
        training videos.
    detector : estimator or None, default=None
        The second stage, trained on ``[start, end, class, weight]`` rows; cloned.
        ``None``: ``SegmentDetector()``.
    n_rounds : int, default=1
        Detector trainings; each after the first learns from the previous detector.
    keep_video_classes : bool, default=True
        Keep only detections of the video's labelled classes.
    score_ratio : float, default=0.5
        Without clicks, keep NMS'd detections scoring at least this fraction of the
        video's best; with the ``'interval'`` background rule, keep the stretches
        before the first and after the last background click only when their CAS
        peak reaches this fraction of the best inner stretch's.
    click_window : float, default=4.0
        Length of the instance put around an action click no detection explains.
    centre_on_click : bool, default=True
        Move the detection chosen for an action click so that it is centred on the
        click, keeping its length. THUMOS14's action points (``action_points.csv``,
        LACP and FS-PTAL) mark the instance centre; with clicks drawn anywhere in
        the instance (SF-Net's protocol) set it to ``False``.
    background_rule : {'interval', 'drop'}, default='interval'
        With background clicks and no action click. ``'interval'``: BackTAL's
        annotators click once in every background gap, so each stretch between two
        consecutive background clicks holds one action; per stretch, the run of the
        teacher's CAS (the maximum over the video's classes) around its peak that
        stays at or above ``cas_threshold`` times the peak, of the class with the
        highest mean CAS over it, weighted by that mean. ``'drop'``: drop the
        detections that contain a background click and keep the rest as without
        clicks (NMS, ``score_ratio``). The "Two-stage training" page of the
        documentation compares the rules' pseudo-label precision / recall.
    cas_threshold : float, default=0.3
        Fraction of a stretch's CAS peak that bounds its run (``'interval'`` rule).
    nms_threshold : float, default=0.5
        tIoU of the NMS applied to the teacher's detections before ``score_ratio``.
    weighted : bool, default=True
        Weigh each pseudo-instance by its relative score in the detector's losses.
    random_state : int or None, default=None
        When not ``None``, set as ``random_state`` of both stages.

    Attributes
    ----------
    localizer_ : BaseLocalizer
    detector_ : estimator
    pseudo_segments_ : list of ndarray of shape (m_i, 4)
        The last round's pseudo-instances of the training videos.
    classes_ : ndarray

    Examples
    --------
    >>> from sktal import BaSNet, PseudoLabelRefiner, SegmentDetector
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=8, random_state=0)
    >>> est = PseudoLabelRefiner(
    ...     BaSNet(n_segments=32, hidden_size=8, max_epochs=1),
    ...     SegmentDetector(hidden_size=8, max_epochs=1), random_state=0)
    >>> est = est.fit(data.X, data.y)
    >>> len(est.pseudo_segments_) == len(data.X)
    True

    A fitted first stage is reused, not refitted, when frozen:

    >>> from sklearn.frozen import FrozenEstimator
    >>> again = PseudoLabelRefiner(
    ...     FrozenEstimator(est.localizer_),
    ...     SegmentDetector(hidden_size=8, max_epochs=1), random_state=0)
    >>> again.fit(data.X, data.y).localizer_.estimator is est.localizer_
    True
    """

    _param_checks = {
        "n_rounds": dict(kind=numbers.Integral, low=1),
        "keep_video_classes": dict(kind=(bool, np.bool_)),
        "score_ratio": dict(kind=numbers.Real, low=0, high=1),
        "click_window": dict(kind=numbers.Real, low=0, include_low=False),
        "nms_threshold": dict(kind=numbers.Real, low=0, high=1),
        "weighted": dict(kind=(bool, np.bool_)),
        "centre_on_click": dict(kind=(bool, np.bool_)),
        "background_rule": dict(kind=None, options=("interval", "drop")),
        "cas_threshold": dict(kind=numbers.Real, low=0, high=1),
    }

    def __init__(self, localizer, detector=None, *, n_rounds=1, keep_video_classes=True,
                 score_ratio=0.5, click_window=4.0, centre_on_click=True,
                 background_rule="interval", cas_threshold=0.3, nms_threshold=0.5,
                 weighted=True, random_state=None):
        self.localizer = localizer
        self.detector = detector
        self.n_rounds = n_rounds
        self.keep_video_classes = keep_video_classes
        self.score_ratio = score_ratio
        self.click_window = click_window
        self.centre_on_click = centre_on_click
        self.background_rule = background_rule
        self.cas_threshold = cas_threshold
        self.nms_threshold = nms_threshold
        self.weighted = weighted
        self.random_state = random_state

    @property
    def supervision(self):
        return getattr(self.localizer, "supervision", None)

    def _stage(self, estimator, n_classes):
        est = clone(estimator)
        if est is estimator:  # a frozen (prefitted) estimator clones to itself
            return est
        if self.random_state is not None:
            est.set_params(random_state=self.random_state)
        if n_classes is not None and est.get_params().get("n_classes", 0) is None:
            est.set_params(n_classes=n_classes)
        return est

    @staticmethod
    def _check_prefit(localizer, n_classes, n_features):
        """A frozen localizer must be fitted, on as many classes and features."""
        try:
            check_is_fitted(localizer)
        except NotFittedError as exc:
            raise NotFittedError(
                "PseudoLabelRefiner: the frozen localizer is not fitted; fit it before "
                "wrapping it in FrozenEstimator, or pass the estimator itself"
            ) from exc
        fitted_classes = len(getattr(localizer, "classes_", ()))
        if fitted_classes != n_classes:
            raise ValueError(
                f"PseudoLabelRefiner: the frozen localizer was fitted on {fitted_classes} "
                f"classes, y has {n_classes}"
            )
        fitted_features = getattr(localizer, "n_features_in_", n_features)
        if fitted_features != n_features:
            raise ValueError(
                f"PseudoLabelRefiner: the frozen localizer was fitted on "
                f"{fitted_features} features, X has {n_features}"
            )

    def _pseudo(self, teacher, videos, labels, clicks):
        detections = teacher.predict(videos)
        kinds = [np.asarray(c).reshape(-1, 2)[:, 1] for c in clicks]
        needs_cas = self.background_rule == "interval" and any(
            (k == BACKGROUND).any() and not (k != BACKGROUND).any() for k in kinds)
        cas = teacher.predict_cas(videos) if needs_cas else [None] * len(videos)
        return [
            pseudo_instances(
                d, labels=labels[i], clicks=clicks[i], cas=cas[i],
                keep_video_classes=self.keep_video_classes,
                score_ratio=self.score_ratio, click_window=self.click_window,
                centre_on_click=self.centre_on_click,
                background_rule=self.background_rule, cas_threshold=self.cas_threshold,
                nms_threshold=self.nms_threshold, weighted=self.weighted,
            )
            for i, d in enumerate(detections)
        ]

    def fit(self, X, y, clicks=None):
        """Fit both stages.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)
        y : ndarray (n_videos, n_classes) or sequence of (m_i, 3) arrays
            Video labels (or annotated segments, of which only the labels are used).
        clicks : sequence of ndarray of shape (k_i, 2) or None
            Clicks for the localizer and the pseudo-instance rules.

        Returns
        -------
        self : object
        """
        for name, spec in self._param_checks.items():
            check_param(name, getattr(self, name), **spec)
        videos = check_videos(X)
        if is_annotated(y):
            segs = check_segments(y, len(videos), name="y")
            n_classes = self.localizer.get_params().get("n_classes")
            if n_classes is None:
                n_classes = int(max((s[:, 2].max() for s in segs if len(s)), default=0)) + 1
            labels = segments_to_labels(segs, n_classes)
        else:
            labels = check_labels(y, len(videos), name="y")
        n_classes = labels.shape[1]
        checked = check_clicks(clicks, [len(v) for v in videos], labels=labels)
        self.localizer_ = self._stage(self.localizer, n_classes)
        if self.localizer_ is self.localizer:
            self._check_prefit(self.localizer_, n_classes, videos[0].shape[1])
        else:
            self.localizer_.fit(videos, y, clicks)
        teacher = self.localizer_
        detector = self.detector
        if detector is None:
            from .localizers import SegmentDetector

            detector = SegmentDetector()
        for _ in range(self.n_rounds):
            self.pseudo_segments_ = self._pseudo(teacher, videos, labels, checked)
            self.detector_ = self._stage(detector, n_classes).fit(
                videos, self.pseudo_segments_
            )
            teacher = self.detector_
        self.classes_ = np.arange(n_classes)
        self.n_features_in_ = videos[0].shape[1]
        return self

    def plot_pseudo_segments(self, segments=None, videos=None, **kwargs):
        """Plot the pseudo-instances against the ground truth, one row per video.

        Parameters
        ----------
        segments : sequence of (m_i, 3) arrays or None
            Ground truth of the training videos (``None``: pseudo-instances only).
        videos : sequence of int or None
            Indices of the training videos to draw (default: all).
        **kwargs
            Passed to :func:`sktal.plotting.plot_detections` (the weight plays the
            score).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plotting import plot_detections

        check_is_fitted(self, "pseudo_segments_")
        idx = range(len(self.pseudo_segments_)) if videos is None else list(videos)
        pseudo = [self.pseudo_segments_[i] for i in idx]
        truth = None if segments is None else [np.asarray(segments[i]) for i in idx]
        return plot_detections(pseudo, truth, **kwargs)

    def predict(self, X):
        """Detections ``[start, end, class, score]`` of the detector."""
        check_is_fitted(self, "detector_")
        return self.detector_.predict(X)

    def predict_proba(self, X):
        """Video-level class scores of the detector."""
        check_is_fitted(self, "detector_")
        return self.detector_.predict_proba(X)

    def predict_cas(self, X):
        """Snippet-level class scores of the detector."""
        check_is_fitted(self, "detector_")
        return self.detector_.predict_cas(X)

    def score(self, X, y=None, *, segments=None):
        """Mean detection mAP of the detector (see ``BaseLocalizer.score``)."""
        check_is_fitted(self, "detector_")
        return self.detector_.score(X, y, segments=segments)
