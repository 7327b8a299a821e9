"""Ranked precision/recall of each class, with the matching rule of ``detection_map``."""
import numbers

import numpy as np
from sklearn.utils import Bunch

from ._detection import _greedy_match, _interpolated_ap, _iou, _stack_rows

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
    if (
        not isinstance(tiou_threshold, numbers.Real)
        or isinstance(tiou_threshold, bool)
        or not 0 <= tiou_threshold <= 1
    ):
        raise ValueError(f"tiou_threshold must be a number in [0, 1], got {tiou_threshold!r}")
    thresholds = np.array([float(tiou_threshold)])
    gt_rows, gt_video, _ = _stack_rows(segments_true, 3, "segments_true")
    det_rows, det_video, det_row = _stack_rows(detections, 4, "detections")
    n_videos = len(segments_true)
    if len(detections) != n_videos:
        raise ValueError(
            f"segments_true and detections must describe the same videos, got "
            f"{n_videos} and {len(detections)} videos"
        )
    gt_class = gt_rows[:, 2].astype(np.int64)
    det_class = det_rows[:, 2].astype(np.int64)
    classes = np.unique(gt_class)
    if classes.size == 0:
        raise ValueError("segments_true holds no ground-truth segment")
    n_gt_classes = classes.size

    # detections of classes with ground truth, ranked by class then score (stable)
    det_k = np.searchsorted(classes, det_class)
    known = det_k < n_gt_classes
    known[known] = classes[det_k[known]] == det_class[known]
    det_rows, det_video, det_row, det_k = (
        det_rows[known], det_video[known], det_row[known], det_k[known]
    )
    order = np.lexsort((-det_rows[:, 3], det_k))
    det_rows, det_video, det_row, det_k = (
        det_rows[order], det_video[order], det_row[order], det_k[order]
    )
    class_bounds = np.searchsorted(det_k, np.arange(n_gt_classes + 1))

    # ground truth grouped by (class, video), row order kept inside a group
    gt_k = np.searchsorted(classes, gt_class)
    gt_key = gt_k * n_videos + gt_video
    gt_order = np.argsort(gt_key, kind="stable")
    gt_key, gt_rows = gt_key[gt_order], gt_rows[gt_order]
    n_positive = np.bincount(gt_k, minlength=n_gt_classes)

    det_key = det_k * n_videos + det_video
    first_gt = np.searchsorted(gt_key, det_key, side="left")
    n_pairs = np.searchsorted(gt_key, det_key, side="right") - first_gt
    pair_det = np.repeat(np.arange(len(det_rows)), n_pairs)
    pair_gt = np.arange(pair_det.size) + np.repeat(
        first_gt - (np.cumsum(n_pairs) - n_pairs), n_pairs
    )
    pair_iou = _iou(
        det_rows[pair_det, 0], det_rows[pair_det, 1], gt_rows[pair_gt, 0], gt_rows[pair_gt, 1]
    )
    can_match = pair_iou >= thresholds[0]
    pair_det, pair_gt, pair_iou = pair_det[can_match], pair_gt[can_match], pair_iou[can_match]
    pair_order = np.lexsort((pair_gt, -pair_iou, pair_det))
    true_positive = _greedy_match(
        pair_det[pair_order],
        pair_gt[pair_order],
        pair_iou[pair_order],
        len(det_rows),
        len(gt_rows),
        thresholds,
    )[0]

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
