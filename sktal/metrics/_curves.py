"""Ranked precision/recall of each class, with the matching rule of ``detection_map``."""
import numpy as np
from sklearn.utils import Bunch

from ..utils.validation import _check_tiou_threshold
from ._detection import _interpolated_ap, _rank_and_match

__all__ = ["detection_precision_recall"]


def detection_precision_recall(segments_true, detections, tiou_threshold=0.5):
    """Precision and recall down the score ranking of each ground-truth class.

    The matching is exactly that of :func:`detection_map` (same ranking, same greedy
    assignment, same tie rules), at one tIoU threshold: the ``ap`` returned equals
    ``detection_map(segments_true, detections, [tiou_threshold]).ap[0]``. Use it to
    draw precision/recall curves or to find which detections are true positives.

    Parameters
    ----------
    segments_true : sequence of array-like of shape (m_i, 3)
        Ground truth per video, rows ``[start, end, class]``.
    detections : sequence of array-like of shape (k_i, 4)
        Detections per video, rows ``[start, end, class, score]``.
    tiou_threshold : float, default=0.5
        A detection matches a ground truth when ``tIoU >= tiou_threshold``.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        classes : ndarray of shape (n_gt_classes,)
            Classes with at least one ground truth, ascending. Detections of other
            classes are ignored.
        precision, recall : list of ndarray of shape (n_c,)
            For each class, precision and recall after each of its ``n_c``
            detections, ranked by decreasing score (stably).
        scores : list of ndarray of shape (n_c,)
            The ranked detections' scores.
        true_positive : list of ndarray of shape (n_c,), bool
            Whether each ranked detection matched a ground truth.
        detection_index : list of ndarray of shape (n_c, 2), int
            ``[video, row]`` of each ranked detection in ``detections``.
        n_positive : ndarray of shape (n_gt_classes,)
            Ground-truth instances per class.
        ap : ndarray of shape (n_gt_classes,)
            All-point interpolated average precision per class.
        tiou_threshold : float
            The threshold used.

    See Also
    --------
    detection_map : mAP over several thresholds.
    sktal.plotting.plot_precision_recall : Draws these curves.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.metrics import detection_precision_recall
    >>> truth = [np.array([[0.0, 10.0, 0], [20.0, 30.0, 0]])]
    >>> dets = [np.array([[0.0, 9.0, 0, 0.9], [50.0, 60.0, 0, 0.8],
    ...                   [21.0, 30.0, 0, 0.7]])]
    >>> pr = detection_precision_recall(truth, dets, tiou_threshold=0.5)
    >>> pr.precision[0]
    array([1.        , 0.5       , 0.66666667])
    >>> pr.recall[0]
    array([0.5, 0.5, 1. ])
    >>> pr.true_positive[0]
    array([ True, False,  True])
    """
    tiou_threshold = _check_tiou_threshold(tiou_threshold, "tiou_threshold")
    matched = _rank_and_match(segments_true, detections, np.array([float(tiou_threshold)]))
    classes, class_bounds, n_positive = matched.classes, matched.class_bounds, matched.n_positive
    true_positive = matched.true_positive[0]
    det_rows, det_video, det_row = (
        matched.rows[matched.order], matched.video[matched.order], matched.row[matched.order]
    )
    n_gt_classes = classes.size

    precision, recall, scores, hits_list, index = [], [], [], [], []
    ap = np.zeros(n_gt_classes)
    for k in range(n_gt_classes):
        lo, hi = class_bounds[k], class_bounds[k + 1]
        hits = true_positive[lo:hi]
        cumulative = np.cumsum(hits)
        precision.append(cumulative / np.arange(1, hi - lo + 1))
        recall.append(cumulative / n_positive[k])
        scores.append(det_rows[lo:hi, 3].copy())
        hits_list.append(hits.copy())
        index.append(np.column_stack([det_video[lo:hi], det_row[lo:hi]]).astype(np.int64))
        if hi > lo:
            ap[k] = _interpolated_ap(precision[-1][None], recall[-1][None])[0]
    return Bunch(
        classes=classes,
        precision=precision,
        recall=recall,
        scores=scores,
        true_positive=hits_list,
        detection_index=index,
        n_positive=n_positive,
        ap=ap,
        tiou_threshold=float(tiou_threshold),
    )
