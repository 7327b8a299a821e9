"""False-positive error analysis of temporal detections (DETAD, Alwassel et al. 2018)."""
import numbers

import numpy as np
from sklearn.utils import Bunch

from ..metrics import detection_precision_recall, segment_iou
from ..metrics._detection import _stack_rows
from ..utils.validation import _check_tiou_threshold

#: Names of the categories, in the order of ``counts`` and ``class_counts`` columns.
ERROR_CATEGORIES = (
    "true_positive",
    "double_detection",
    "wrong_label",
    "localization",
    "confusion",
    "background",
)

TRUE_POSITIVE, DOUBLE_DETECTION, WRONG_LABEL, LOCALIZATION, CONFUSION, BACKGROUND = range(6)
#: Code of a detection that is not analysed (outside the top-k or of an absent class).
NOT_ANALYSED = -1


def _as_float_rows(arrays, width, name):
    """Per-video float arrays, validated exactly as :func:`detection_map` does."""
    rows, video, _ = _stack_rows(arrays, width, name)
    counts = np.bincount(video, minlength=len(arrays))
    return np.split(rows, np.cumsum(counts)[:-1])


def _check_inputs(segments_true, detections):
    segments_true = _as_float_rows(segments_true, 3, "segments_true")
    detections = _as_float_rows(detections, 4, "detections")
    if len(segments_true) != len(detections):
        raise ValueError(
            "segments_true and detections must describe the same videos, got "
            f"{len(segments_true)} and {len(detections)} videos"
        )
    return segments_true, detections


def classify_detections(segments_true, detections, tiou_threshold=0.5, *, min_tiou=0.1):
    """Label every detection with its DETAD category.

    Detections are ranked per class by descending score (stably: on ties, earlier
    videos and earlier rows first) and matched greedily to the free ground-truth
    instance of their class and video with the highest tIoU ≥ ``tiou_threshold``,
    as in :func:`sktal.metrics.detection_map`; every other detection is classified
    by the ground-truth instance of its video it overlaps most. See
    :func:`error_analysis` for the definitions.

    Parameters
    ----------
    segments_true : sequence of ndarray of shape (m_i, 3)
        Ground-truth ``[start, end, class]`` rows of each video.
    detections : sequence of ndarray of shape (k_i, 4)
        ``[start, end, class, score]`` rows of each video.
    tiou_threshold : float, default=0.5
        α, the tIoU a true positive needs.
    min_tiou : float, default=0.1
        tIoU below which a detection overlaps nothing (background error).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``types``: list of ``(k_i,)`` int arrays, an index into
        :data:`ERROR_CATEGORIES`, ``-1`` for detections of classes without ground
        truth; ``class_rank``: list of ``(k_i,)`` int arrays, the rank of each
        detection among the detections of its class (0 = highest score, ``-1`` when
        not ranked); ``classes``: the ground-truth classes; ``n_ground_truth``:
        ``(n_classes,)`` instances per class; ``detections``: the validated
        detections (float64 arrays).

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.inspection import classify_detections
    >>> truth = [np.array([[10.0, 20.0, 0]])]
    >>> dets = [np.array([[10.0, 20.0, 0, 0.9], [11.0, 20.0, 0, 0.8]])]
    >>> classify_detections(truth, dets).types[0]   # true positive, double detection
    array([0, 1])
    """
    segments_true, detections = _check_inputs(segments_true, detections)
    tiou_threshold = _check_tiou_threshold(tiou_threshold, "tiou_threshold")
    min_tiou = _check_tiou_threshold(min_tiou, "min_tiou")
    if min_tiou > tiou_threshold:
        raise ValueError(
            f"min_tiou ({min_tiou}) must not exceed tiou_threshold ({tiou_threshold})"
        )

    # true positives and per-class ranks: the matching of detection_map
    if any(len(seg) for seg in segments_true):
        matches = detection_precision_recall(segments_true, detections, tiou_threshold)
        classes, n_ground_truth = matches.classes, matches.n_positive
    else:
        matches = None
        classes, n_ground_truth = np.zeros(0, np.int64), np.zeros(0, np.int64)
    gt_labels = [seg[:, 2].astype(np.int64) for seg in segments_true]

    types, ranks = [], []
    for d, seg, labels in zip(detections, segments_true, gt_labels):
        # false-positive category from the best-overlapping instance of any class;
        # on equal tIoU the detection's own class wins
        if len(seg) == 0:
            types.append(np.full(len(d), BACKGROUND, dtype=np.int64))
        else:
            iou = segment_iou(d, seg).reshape(len(d), len(seg))
            same = d[:, 2, None].astype(np.int64) == labels[None, :]
            best_same = np.where(same, iou, -1.0).max(axis=1)
            best_other = np.where(~same, iou, -1.0).max(axis=1)
            top = np.maximum(best_same, best_other)
            own = best_same >= best_other
            types.append(
                np.select(
                    [
                        (top >= tiou_threshold) & own,
                        top >= tiou_threshold,
                        (top >= min_tiou) & own,
                        top >= min_tiou,
                    ],
                    [DOUBLE_DETECTION, WRONG_LABEL, LOCALIZATION, CONFUSION],
                    default=BACKGROUND,
                ).astype(np.int64)
            )
        # detections of classes without ground truth are not analysed
        types[-1][~np.isin(d[:, 2].astype(np.int64), classes)] = NOT_ANALYSED
    # flat positions: video v, row r -> offsets[v] + r
    counts = [len(d) for d in detections]
    offsets = np.cumsum([0] + counts)
    flat_types = np.concatenate(types + [np.zeros(0, np.int64)])
    flat_ranks = np.full(len(flat_types), -1, dtype=np.int64)
    if matches is not None:
        for index, hits in zip(matches.detection_index, matches.true_positive):
            flat = offsets[index[:, 0]] + index[:, 1]
            flat_ranks[flat] = np.arange(len(flat))
            flat_types[flat[hits]] = TRUE_POSITIVE
    types = np.split(flat_types, offsets[1:-1])
    ranks = np.split(flat_ranks, offsets[1:-1])
    return Bunch(
        types=types,
        class_rank=ranks,
        classes=classes,
        n_ground_truth=n_ground_truth,
        detections=detections,
    )


def _limits(n_ground_truth, top_k, top_k_factor):
    if top_k is not None:
        if not isinstance(top_k, numbers.Integral) or isinstance(top_k, bool) or top_k < 0:
            raise ValueError(f"top_k must be a non-negative integer or None, got {top_k!r}")
        return np.full(len(n_ground_truth), int(top_k))
    if top_k_factor is None:
        return np.full(len(n_ground_truth), np.iinfo(np.int64).max)
    if (
        not isinstance(top_k_factor, numbers.Real)
        or isinstance(top_k_factor, bool)
        or top_k_factor <= 0
    ):
        raise ValueError(
            f"top_k_factor must be a positive number or None, got {top_k_factor!r}"
        )
    return np.floor(top_k_factor * np.asarray(n_ground_truth) + 1e-9).astype(np.int64)


def _tally(classified, detections, limits):
    """Counts per class and category of the detections ranked within each class limit.

    Returns ``class_counts`` (n_classes, 6) and the per-video types with detections
    beyond their class limit set to ``NOT_ANALYSED``.
    """
    classes = classified.classes
    class_counts = np.zeros((len(classes), len(ERROR_CATEGORIES)), dtype=np.int64)
    detection_types = []
    for d, types, ranks in zip(detections, classified.types, classified.class_rank):
        types = types.copy()
        analysed = types >= 0
        rows = np.searchsorted(classes, d[analysed, 2].astype(np.int64))
        within = ranks[analysed] < limits[rows]
        idx = np.nonzero(analysed)[0]
        types[idx[~within]] = NOT_ANALYSED
        np.add.at(class_counts, (rows[within], types[idx[within]]), 1)
        detection_types.append(types)
    return class_counts, detection_types


def error_analysis(segments_true, detections, tiou_threshold=0.5, top_k=None, *,
                   top_k_factor=10, min_tiou=0.1):
    """Break the top-scored detections down into true positives and error types.

    The false-positive analysis of DETAD (Alwassel, Caba Heilbron, Escorcia and
    Ghanem, "Diagnosing Error in Temporal Action Detectors", ECCV 2018). For each
    ground-truth class ``c`` with ``G_c`` instances, its ``top_k_factor · G_c``
    highest-scored detections are analysed (or its ``top_k`` highest-scored ones).
    Detections are ranked per class by descending score, stably (on ties, earlier
    videos and earlier rows first), and each falls into exactly one category, with
    α = ``tiou_threshold``:

    true positive
        Correct label and tIoU ≥ α with a ground-truth instance of the same video
        that no higher-scored detection matched: the detection takes the free
        instance with the highest tIoU, the matching rule of
        :func:`sktal.metrics.detection_map`.

    Every other detection is a false positive and is classified by the
    ground-truth instance of its video it overlaps most (of any class; on equal
    tIoU, one of the detection's own class):

    double detection
        That instance has the detection's label and tIoU ≥ α, but it (and every
        other instance of this class with tIoU ≥ α) was already matched by a
        higher-scored detection.
    wrong label
        tIoU ≥ α with that instance, whose class is another one.
    localization
        The detection's label, and ``min_tiou`` ≤ tIoU < α.
    confusion
        Another label, and ``min_tiou`` ≤ tIoU < α.
    background
        tIoU < ``min_tiou`` (0.1) with every ground-truth instance of the video
        (including a video without any).

    Parameters
    ----------
    segments_true : sequence of ndarray of shape (m_i, 3)
        Ground-truth ``[start, end, class]`` rows of each video.
    detections : sequence of ndarray of shape (k_i, 4)
        ``[start, end, class, score]`` rows of each video (the output of
        ``predict``), in the same time unit as ``segments_true``.
    tiou_threshold : float, default=0.5
        α, the tIoU a true positive needs.
    top_k : int or None, default=None
        Number of highest-scored detections analysed per class. ``None`` uses
        ``top_k_factor``.
    top_k_factor : float or None, default=10
        With ``top_k=None``, analyse the ``floor(top_k_factor · G_c)``
        highest-scored detections of class ``c`` (DETAD: 10). ``None`` analyses
        every detection.
    min_tiou : float, default=0.1
        tIoU below which a detection counts as a background error.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        categories : tuple of str
            :data:`ERROR_CATEGORIES`: ``'true_positive', 'double_detection',
            'wrong_label', 'localization', 'confusion', 'background'``.
        counts : dict of str to int
            Number of analysed detections in each category.
        shares : dict of str to float
            ``counts`` divided by ``n_detections`` (they sum to 1; NaN when no
            detection is analysed).
        n_detections : int
            Number of analysed detections.
        n_ground_truth : int
            Number of ground-truth instances.
        classes : ndarray of shape (n_classes,)
            Classes present in the ground truth.
        class_counts : ndarray of shape (n_classes, 6)
            Counts per class (rows) and category (columns, in ``categories`` order).
        detection_types : list of ndarray of shape (k_i,)
            Category index of every detection of every video, ``-1`` for detections
            not analysed (beyond the top-k of their class, or of a class absent
            from the ground truth).
        tiou_threshold, min_tiou : float
            The thresholds used.

    See Also
    --------
    sktal.plotting.plot_error_analysis : DETAD's false-positive profile for top-1G
        to top-10G.
    sktal.metrics.detection_map : mAP with the same matching rule.

    Notes
    -----
    Detections of classes absent from the ground truth are ignored, as in
    :func:`sktal.metrics.detection_map`. The categorisation of a detection depends
    only on higher-scored detections of its class, so the analysis of the top
    ``k`` detections is a prefix of the analysis of the top ``k + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.inspection import error_analysis
    >>> truth = [np.array([[10.0, 20.0, 0], [40.0, 50.0, 1]])]
    >>> dets = [np.array([
    ...     [10.0, 20.0, 0, 0.9],   # true positive
    ...     [10.0, 19.0, 0, 0.8],   # double detection
    ...     [40.0, 50.0, 0, 0.7],   # wrong label
    ...     [10.0, 40.0, 0, 0.6],   # localization (tIoU 1/3 with its class)
    ...     [80.0, 90.0, 0, 0.5],   # background
    ... ])]
    >>> result = error_analysis(truth, dets, top_k_factor=None)
    >>> result.counts["true_positive"], result.counts["background"]
    (1, 1)
    >>> result.shares["double_detection"]
    0.2
    """
    classified = classify_detections(
        segments_true, detections, tiou_threshold, min_tiou=min_tiou
    )
    limits = _limits(classified.n_ground_truth, top_k, top_k_factor)
    class_counts, detection_types = _tally(classified, classified.detections, limits)
    totals = class_counts.sum(axis=0)
    n_detections = int(totals.sum())
    counts = {name: int(n) for name, n in zip(ERROR_CATEGORIES, totals)}
    shares = {
        name: (n / n_detections if n_detections else float("nan"))
        for name, n in counts.items()
    }
    return Bunch(
        categories=ERROR_CATEGORIES,
        counts=counts,
        shares=shares,
        n_detections=n_detections,
        n_ground_truth=int(classified.n_ground_truth.sum()),
        classes=classified.classes,
        class_counts=class_counts,
        detection_types=detection_types,
        tiou_threshold=float(tiou_threshold),
        min_tiou=float(min_tiou),
    )
