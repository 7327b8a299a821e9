"""Temporal IoU, average precision and detection mAP (ActivityNet matching rules).

NumPy only; nothing here imports torch.

How :func:`detection_map` stays fast
------------------------------------
The classic evaluator walks the detections of a class one by one and, for each, every
threshold and every ground truth of its video.  Here:

1. the (detection, ground truth) pairs of the same class and video that can reach the
   lowest threshold are found at once (in videos with many ground truths, only those
   in a time window around the detection are tried) and their tIoU computed in one
   array expression;
2. the greedy pass (in score order, each detection takes its favourite free ground
   truth) is a *serial dictatorship*.  All ground truths rank the detections the same
   way (by score), so its result is also the unique stable matching, which
   *deferred acceptance* finds in parallel rounds, every threshold at once (see
   :func:`_greedy_match`).  The number of rounds is the longest chain of displaced
   detections, a handful in practice, instead of the number of detections;
3. AP is read off the hits alone (:func:`_average_precisions`).
"""
import numbers

import warnings

import numpy as np
from sklearn.utils import Bunch

from ..utils.validation import check_rows, check_tiou_thresholds

__all__ = [
    "DEFAULT_TIOU_THRESHOLDS",
    "ACTIVITYNET_TIOU_THRESHOLDS",
    "segment_iou",
    "average_precision",
    "detection_map",
]

#: THUMOS14 thresholds 0.1, 0.2, ..., 0.7.  Built with ``linspace`` so that 0.3 is the
#: float ``0.3`` (``np.arange(0.1, 0.75, 0.1)`` holds 0.30000000000000004, and a tIoU
#: of exactly 0.3 would then fail).  Read-only.
DEFAULT_TIOU_THRESHOLDS = np.linspace(0.1, 0.7, 7)
DEFAULT_TIOU_THRESHOLDS.flags.writeable = False

#: ActivityNet / HACS thresholds 0.5, 0.55, ..., 0.95 (the classic evaluator's
#: ``np.linspace(0.5, 0.95, 10)``).  Read-only.
ACTIVITYNET_TIOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
ACTIVITYNET_TIOU_THRESHOLDS.flags.writeable = False


# ----------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------
def _stack_rows(arrays, n_columns, name):
    """Concatenate a ragged sequence of ``(n_i, n_columns)`` arrays.

    Returns ``(rows, video, row_in_video)``: all rows as one float64 array, the video
    index of each row and its position inside its video (for error messages).
    Column 0/1 are start/end, column 2 a class index; all are checked here.
    """
    if isinstance(arrays, np.ndarray) and arrays.dtype != object:
        if arrays.ndim != 3:
            raise ValueError(
                f"{name}: expected a sequence of (n_i, {n_columns}) arrays, one per "
                f"video, got an array of shape {arrays.shape}"
            )
        arrays = list(arrays)
    elif isinstance(arrays, (str, bytes)) or not hasattr(arrays, "__len__"):
        raise TypeError(
            f"{name}: expected a sequence of (n_i, {n_columns}) arrays, one per video, "
            f"got {type(arrays).__name__}"
        )
    blocks = [check_rows(block, n_columns, f"{name}[{i}]") for i, block in enumerate(arrays)]
    counts = np.fromiter((len(b) for b in blocks), dtype=np.int64, count=len(blocks))
    rows = np.concatenate(blocks) if blocks else np.empty((0, n_columns))
    video = np.repeat(np.arange(len(blocks)), counts)
    row_in_video = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)

    def fail(mask, message):
        j = np.flatnonzero(mask)[0]
        raise ValueError(f"{name}[{video[j]}]: row {row_in_video[j]} {message(rows[j])}")

    if (rows[:, 1] < rows[:, 0]).any():
        fail(rows[:, 1] < rows[:, 0], lambda r: f"ends before it starts ({r[0]!r} > {r[1]!r})")
    labels = rows[:, 2]
    bad = (labels != np.round(labels)) | (labels < 0)
    if bad.any():
        fail(bad, lambda r: f"has class {r[2]!r}; classes are integers >= 0")
    return rows, video, row_in_video


# ----------------------------------------------------------------------------------
# tIoU and AP
# ----------------------------------------------------------------------------------
def _iou(start_a, end_a, start_b, end_b):
    """Element-wise (broadcast) tIoU; a pair whose union is empty has tIoU 0."""
    intersection = np.clip(np.minimum(end_a, end_b) - np.maximum(start_a, start_b), 0, None)
    union = (end_a - start_a) + (end_b - start_b) - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, intersection / np.where(union > 0, union, 1), 0.0)


def segment_iou(segments_a, segments_b):
    """Temporal intersection over union of every pair of segments.

    Parameters
    ----------
    segments_a : array-like of shape (n_a, k_a)
        One segment per row; the first two columns are ``start`` and ``end``, other
        columns (class, score) are ignored, so ground-truth ``(m, 3)`` and detection
        ``(k, 4)`` arrays can be passed directly.  A single segment may be given as a
        1-D array.
    segments_b : array-like of shape (n_b, k_b)
        Same layout.

    Returns
    -------
    iou : ndarray of shape (n_a, n_b)
        ``|a ∩ b| / |a ∪ b|``; 0 for disjoint segments, and 0 when both segments have
        zero length (empty union).

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.metrics import segment_iou
    >>> segment_iou([[0, 10]], [[0, 3], [5, 15], [20, 30]])
    array([[0.3       , 0.33333333, 0.        ]])
    """
    a = np.atleast_2d(np.asarray(segments_a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(segments_b, dtype=np.float64))
    for name, s in (("segments_a", a), ("segments_b", b)):
        if s.ndim != 2 or (s.size and s.shape[1] < 2):
            raise ValueError(
                f"{name}: expected an array of shape (n, >=2) [start, end, ...], "
                f"got shape {s.shape}"
            )
    if a.size == 0 or b.size == 0:
        return np.zeros((len(a) if a.size else 0, len(b) if b.size else 0))
    return _iou(a[:, :1], a[:, 1:2], b[:, 0], b[:, 1])


def _interpolated_ap(precision, recall):
    """All-point interpolated AP of each row of ``(r, n)`` precision/recall arrays."""
    rows = precision.shape[0]
    zero, one = np.zeros((rows, 1)), np.ones((rows, 1))
    padded_precision = np.concatenate([zero, precision, zero], axis=1)
    padded_recall = np.concatenate([zero, recall, one], axis=1)
    # precision envelope: best precision at this recall or any later one
    envelope = np.maximum.accumulate(padded_precision[:, ::-1], axis=1)[:, ::-1]
    return np.sum(np.diff(padded_recall, axis=1) * envelope[:, 1:], axis=1)


def average_precision(precision, recall):
    """All-point interpolated average precision (ActivityNet / VOC 2010+).

    The precision curve is replaced by its envelope (at each point, the best precision
    reached at that recall or any higher one) and integrated over recall as a step
    function.  The curve is closed with the points (recall 0, precision 0) at the start
    and (recall 1, precision 0) at the end, so recall never reached adds nothing.

    Parameters
    ----------
    precision : array-like of shape (n,)
        Precision after each ranked prediction.
    recall : array-like of shape (n,)
        Recall after each ranked prediction, non-decreasing, in [0, 1].

    Returns
    -------
    ap : float
        ``sum_i (recall[i] - recall[i-1]) * max(precision[i:])``; 0.0 for empty input.

    Examples
    --------
    Two ground truths; the ranked predictions are hit, miss, hit.  Precision is
    1, 1/2, 2/3 and recall 1/2, 1/2, 1.  The envelope lifts the precision at the second
    hit to 2/3, so AP = 1/2 * 1 + 1/2 * 2/3 = 5/6:

    >>> from sktal.metrics import average_precision
    >>> round(average_precision([1, 1 / 2, 2 / 3], [1 / 2, 1 / 2, 1]), 6)
    0.833333
    """
    precision = np.asarray(precision, dtype=np.float64)
    recall = np.asarray(recall, dtype=np.float64)
    if precision.ndim != 1 or precision.shape != recall.shape:
        raise ValueError(
            "precision and recall must be 1-D arrays of the same length, got shapes "
            f"{precision.shape} and {recall.shape}"
        )
    if not (np.isfinite(precision).all() and np.isfinite(recall).all()):
        raise ValueError("precision and recall must not contain NaN or infinite values")
    if np.any(np.diff(recall) < 0):
        raise ValueError("recall must be non-decreasing (ranked predictions)")
    if precision.size == 0:
        return 0.0
    return float(_interpolated_ap(precision[None], recall[None])[0])


# ----------------------------------------------------------------------------------
# detection mAP
# ----------------------------------------------------------------------------------
def _candidate_pairs(det_start, det_end, det_key, gt_start, gt_end, gt_key, n_keys,
                     min_threshold):
    """The (detection, ground truth) pairs of a group that reach ``min_threshold``.

    A group is a (class, video), numbered ``key < n_keys``; ``gt_key`` is sorted, and
    ground truths are sorted by start inside a group.  Returns ``(pair_det, pair_gt,
    pair_iou)`` sorted by detection.  With ``min_threshold > 0`` a pair must overlap,
    so in groups of more than a few ground truths only those starting in
    ``[start - longest ground truth of the group, end]`` are tried: one search in a
    key that lays the groups one after the other on a single time axis.  Float
    rounding is monotone, so the window found is a superset of the overlapping ground
    truths; the tIoU test removes the extras.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(gt_key) == 0 or len(det_key) == 0:
        return empty, empty, np.zeros(0)
    new_group = np.r_[True, gt_key[1:] != gt_key[:-1]]
    group_start = np.flatnonzero(new_group)
    group_end = np.r_[group_start[1:], len(gt_key)]
    groups = gt_key[group_start]
    if n_keys <= 4 * (len(det_key) + len(gt_key)) + 1_000_000:  # direct look-up
        table = np.full(n_keys, -1, dtype=np.int64)
        table[groups] = np.arange(len(groups))
        det_group = table[det_key]
        has_gt = det_group >= 0
        det_group[~has_gt] = 0
    else:
        det_group = np.minimum(np.searchsorted(groups, det_key), len(groups) - 1)
        has_gt = groups[det_group] == det_key
    # by default the whole group: [first, last)
    first = np.where(has_gt, group_start[det_group], 0)
    last = np.where(has_gt, group_end[det_group], 0)
    windowed = np.flatnonzero(has_gt & (group_end - group_start > 4)[det_group])
    if min_threshold > 0 and windowed.size:
        longest = np.maximum.reduceat(gt_end - gt_start, group_start)
        base = min(gt_start.min(), det_start.min())
        reach = max(gt_end.max(), det_end.max()) - base
        span = 2.0 * (reach + longest.max()) + 1.0
        if span * len(groups) < 2.0**50:  # else keep whole groups (slower, still right)
            time_key = gt_start + ((np.cumsum(new_group) - 1) * span - base)
            group = det_group[windowed]
            offset = group * span - base
            start = det_start[windowed]
            lower = start - longest[group] * (1 + 1e-9)
            lower -= 1e-12 * (np.abs(start) + longest[group])
            first[windowed] = np.searchsorted(time_key, lower + offset, "left")
            last[windowed] = np.searchsorted(time_key, det_end[windowed] + offset, "right")
    n_pairs = np.maximum(last - first, 0)
    pair_det = np.repeat(np.arange(len(det_key)), n_pairs)
    pair_gt = np.arange(pair_det.size) + np.repeat(first - (np.cumsum(n_pairs) - n_pairs), n_pairs)
    if min_threshold > 0:  # drop the pairs that do not overlap before dividing
        overlap = np.minimum(det_end[pair_det], gt_end[pair_gt]) > np.maximum(
            det_start[pair_det], gt_start[pair_gt]
        )
        pair_det, pair_gt = pair_det[overlap], pair_gt[overlap]
    pair_iou = _iou(det_start[pair_det], det_end[pair_det], gt_start[pair_gt], gt_end[pair_gt])
    keep = pair_iou >= min_threshold
    return pair_det[keep], pair_gt[keep], pair_iou[keep]


def _greedy_match(pair_det, pair_gt, pair_iou, n_detections, n_ground_truths, thresholds):
    """True-positive flags ``(n_thresholds, n_detections)`` of the greedy matching.

    Detections are indexed in ranking order (only detections of the same class share
    a ground truth, so comparing indices compares ranks).  Pairs are sorted by
    detection, then by preference (decreasing tIoU, then ground-truth row).

    The greedy pass (in ranking order, each detection takes its favourite free ground
    truth above the threshold) is a serial dictatorship.  Every ground truth ranks the
    detections the same way, so its outcome is also the unique stable matching, which
    deferred acceptance computes in parallel rounds: each unmatched detection proposes
    to its next acceptable ground truth; a ground truth keeps the best-ranked
    detection it has been offered so far, and the detections it turns down or lets go
    propose again in the next round.  All thresholds run side by side in the same
    arrays; the number of rounds is the longest chain of displacements, typically a
    handful.
    """
    n_thr = len(thresholds)
    true_positive = np.zeros((n_thr, n_detections), dtype=bool)
    if pair_det.size == 0:
        return true_positive
    count = np.bincount(pair_det, minlength=n_detections)
    candidates = np.flatnonzero(count)  # detections with a pair, in ranking order
    start = (np.cumsum(count) - count)[candidates]
    count = count[candidates]
    n_candidates = candidates.size
    index = np.arange(n_candidates)
    unmatched = n_candidates  # holder value of a free ground truth

    # first round: every detection proposes to its favourite ground truth, which
    # keeps the best-ranked proposer that reaches the threshold
    favourite = pair_gt[start]
    acceptable = pair_iou[start][:, None] >= thresholds  # (n_candidates, n_thr)
    by_favourite = np.argsort(favourite, kind="stable")
    sorted_favourite = favourite[by_favourite]
    block = np.flatnonzero(np.r_[True, sorted_favourite[1:] != sorted_favourite[:-1]])
    best = np.minimum.reduceat(
        np.where(acceptable[by_favourite], index[:, None], unmatched), block, axis=0
    )
    holder = np.full((n_ground_truths, n_thr), unmatched)
    block_index, thr_index = np.nonzero(best < unmatched)
    holder[sorted_favourite[block[block_index]], thr_index] = by_favourite[
        best[block_index, thr_index]
    ]
    # rejected detections with another choice left go on
    rejected = acceptable & (holder[favourite] != index[:, None]) & (count > 1)[:, None]
    proposer, thr_index = np.nonzero(rejected)
    choice = np.zeros((n_candidates, n_thr), dtype=np.int32)  # next pair to propose
    choice[proposer, thr_index] = 1

    while proposer.size:
        pair = start[proposer] + choice[proposer, thr_index]
        reaches = pair_iou[pair] >= thresholds[thr_index]  # else: out of choices
        proposer, thr_index, pair = proposer[reaches], thr_index[reaches], pair[reaches]
        gt = pair_gt[pair]
        previous = holder[gt, thr_index]
        np.minimum.at(holder, (gt, thr_index), proposer)
        current = holder[gt, thr_index]
        lost = current != proposer
        released = (previous != current) & (previous != unmatched)
        if released.any():  # several proposers may release the same holder: dedupe
            key = np.unique(previous[released] * n_thr + thr_index[released])
            proposer = np.concatenate([proposer[lost], key // n_thr])
            thr_index = np.concatenate([thr_index[lost], key % n_thr])
        else:
            proposer, thr_index = proposer[lost], thr_index[lost]
        choice[proposer, thr_index] += 1
        left = choice[proposer, thr_index] < count[proposer]
        proposer, thr_index = proposer[left], thr_index[left]

    gt_index, thr_index = np.nonzero(holder != unmatched)
    true_positive[thr_index, candidates[holder[gt_index, thr_index]]] = True
    return true_positive


def _average_precisions(true_positive, class_bounds, n_positive):
    """AP ``(n_thr, n_classes)`` from the hit flags of detections ranked class by class.

    Same value as :func:`_interpolated_ap` on the full precision/recall curves, from
    the hits alone: recall only grows at a hit, and the precision of a miss is below
    that of the hit before it, so the envelope at a hit is the best precision of the
    hits that follow it.
    """
    n_thr, n_classes = true_positive.shape[0], len(n_positive)
    ap = np.zeros((n_thr, n_classes))
    thr_index, det_index = np.nonzero(true_positive)  # by threshold, then rank
    if det_index.size == 0:
        return ap
    k = np.searchsorted(class_bounds, det_index, side="right") - 1
    by_class = np.argsort(k, kind="stable")  # by class, threshold, rank
    k, thr_index, det_index = k[by_class], thr_index[by_class], det_index[by_class]
    run = k * n_thr + thr_index
    new_run = np.r_[True, run[1:] != run[:-1]]
    index = np.arange(run.size)
    n_hits = index - np.maximum.accumulate(np.where(new_run, index, 0)) + 1
    precision = n_hits / (det_index - class_bounds[k] + 1)
    hit_bounds = np.searchsorted(k, np.arange(n_classes + 1))
    for c in np.flatnonzero(np.diff(hit_bounds)):
        lo, hi = hit_bounds[c], hit_bounds[c + 1]
        envelope = np.zeros((n_thr, n_positive[c]))
        envelope[thr_index[lo:hi], n_hits[lo:hi] - 1] = precision[lo:hi]
        envelope = np.maximum.accumulate(envelope[:, ::-1], axis=1)[:, ::-1]
        recall_step = np.diff(np.arange(n_positive[c] + 1) / n_positive[c])
        ap[:, c] = np.sum(envelope * recall_step, axis=1)
    return ap


def _rank_and_match(segments_true, detections, thresholds, *, n_classes=None,
                    empty_message="segments_true holds no ground-truth segment"):
    """Rank the detections of each ground-truth class and match them greedily.

    The matching of :func:`detection_map` (see its docstring for the rules), shared
    with :func:`~sktal.metrics.detection_precision_recall`.  ``thresholds`` are
    checked already; ``n_classes`` as in :func:`detection_map`.

    Returns
    -------
    Bunch
        classes : ndarray of shape (n_gt_classes,)
        order : ndarray of shape (n_ranked,)
            Flat detection indices (into ``rows``) of the detections of classes with
            ground truth, by class then decreasing score (stably).
        class_bounds : ndarray of shape (n_gt_classes + 1,)
            Class ``k``'s detections are ``order[class_bounds[k]:class_bounds[k + 1]]``.
        n_positive : ndarray of shape (n_gt_classes,)
        true_positive : ndarray of shape (n_thresholds, n_ranked), bool
        rows, video, row : the stacked detections (:func:`_stack_rows`).
    """
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
    if n_classes is not None:
        if not isinstance(n_classes, numbers.Integral) or n_classes < 1:
            raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
        for name, labels, video in (
            ("segments_true", gt_class, gt_video),
            ("detections", det_class, det_video),
        ):
            if (labels >= n_classes).any():
                j = np.flatnonzero(labels >= n_classes)[0]
                raise ValueError(
                    f"{name}[{video[j]}]: class {labels[j]} is out of range for "
                    f"n_classes={n_classes}"
                )
    classes = np.unique(gt_class)
    if classes.size == 0:
        raise ValueError(empty_message)
    n_gt_classes = classes.size

    # detections of classes with ground truth, ranked: by class, then score (stable)
    det_k = np.searchsorted(classes, det_class)
    known = det_k < n_gt_classes
    known[known] = classes[det_k[known]] == det_class[known]
    order = np.flatnonzero(known)
    order = order[np.argsort(-det_rows[order, 3], kind="stable")]
    # stable sort by class; int16 keys get NumPy's radix sort
    key_type = np.int16 if n_gt_classes < 2**15 else np.int64
    order = order[np.argsort(det_k[order].astype(key_type), kind="stable")]
    det_start, det_end = det_rows[order, 0], det_rows[order, 1]
    ranked_video, det_k = det_video[order], det_k[order]
    class_bounds = np.searchsorted(det_k, np.arange(n_gt_classes + 1))

    # ground truth grouped by (class, video), by start inside a group
    gt_k = np.searchsorted(classes, gt_class)
    gt_key = gt_k * n_videos + gt_video
    gt_order = np.lexsort((gt_rows[:, 0], gt_key))
    gt_key, gt_rows = gt_key[gt_order], gt_rows[gt_order]
    n_positive = np.bincount(gt_k, minlength=n_gt_classes)

    pair_det, pair_gt, pair_iou = _candidate_pairs(
        det_start, det_end, det_k * n_videos + ranked_video,
        gt_rows[:, 0], gt_rows[:, 1], gt_key, n_gt_classes * n_videos, thresholds.min(),
    )
    # a detection's pairs by preference: decreasing tIoU, then the lower row of the
    # video (gt_order holds the original flat index, increasing with the row);
    # only detections with several pairs need sorting
    several = np.flatnonzero(np.bincount(pair_det, minlength=len(order))[pair_det] > 1)
    if several.size:
        preference = np.lexsort(
            (gt_order[pair_gt[several]], -pair_iou[several], pair_det[several])
        )
        pair_gt[several] = pair_gt[several[preference]]
        pair_iou[several] = pair_iou[several[preference]]
    true_positive = _greedy_match(
        pair_det, pair_gt, pair_iou, len(order), len(gt_rows), thresholds
    )

    return Bunch(
        classes=classes,
        order=order,
        class_bounds=class_bounds,
        n_positive=n_positive,
        true_positive=true_positive,
        rows=det_rows,
        video=det_video,
        row=det_row,
    )


def _check_segments_inside(segments_true, lengths):
    """Warn when ground truth ends far beyond its video (seconds given for timesteps)."""
    lengths = np.asarray(lengths, dtype=np.float64).ravel()
    if len(lengths) != len(segments_true):
        raise ValueError(f"lengths: expected {len(segments_true)} values (one per video of "
                         f"segments_true), got {len(lengths)}")
    if not np.all(np.isfinite(lengths) & (lengths >= 0)):
        raise ValueError("lengths: expected non-negative finite numbers of timesteps")
    ends = np.array([np.asarray(s, dtype=np.float64).reshape(-1, 3)[:, 1].max(initial=0.0)
                     for s in segments_true])
    past = np.flatnonzero(ends > lengths * 1.5 + 1)
    if past.size:
        i = past[0]
        warnings.warn(
            f"segments_true: ground truth of {past.size} of {len(lengths)} videos ends far "
            f"beyond the video (e.g. video {i}: a segment ends at {ends[i]:g}, the video "
            f"has {lengths[i]:g} timesteps); are the segments in seconds instead of "
            "timesteps? Convert them with seconds * fps / snippet_frames "
            "(sktal.datasets.load_dataset does)", UserWarning, stacklevel=3)


def detection_map(
    segments_true, detections, tiou_thresholds=DEFAULT_TIOU_THRESHOLDS, *, n_classes=None,
    lengths=None,
):
    """Mean average precision of temporal detections (ActivityNet protocol).

    For each class with ground truth and each tIoU threshold, the detections of that
    class are ranked by decreasing score.  Going down the ranking, a detection is a
    true positive when its video holds a ground truth of its class that is not
    matched yet and overlaps it with tIoU >= threshold; it takes the one with the
    highest tIoU (when its best ground truth is taken, the next-best free one above the
    threshold).  Otherwise it is a false positive.  AP is the all-point interpolated
    area under the resulting precision/recall curve (:func:`average_precision`), and
    mAP its mean over the classes.

    Parameters
    ----------
    segments_true : sequence of array-like of shape (m_i, 3)
        Ground truth per video, rows ``[start, end, class]``.  Empty arrays are allowed.
    detections : sequence of array-like of shape (k_i, 4)
        Detections per video, rows ``[start, end, class, score]`` (the output of
        ``predict``), in the same video order as ``segments_true``; their order inside
        a video does not need to be sorted.
    tiou_thresholds : array-like of shape (n_thresholds,), \
            default=DEFAULT_TIOU_THRESHOLDS
        tIoU thresholds in [0, 1]; a pair matches when ``tIoU >= threshold``.  The
        default is THUMOS14's 0.1, 0.2, ..., 0.7; ActivityNet uses
        :data:`ACTIVITYNET_TIOU_THRESHOLDS` (0.5, 0.55, ..., 0.95).
    n_classes : int, default=None
        When given, every class index (ground truth and detections) must lie in
        ``[0, n_classes)``, which catches 1-based labels early.  It does not change
        which classes are averaged.
    lengths : array-like of shape (n_videos,), default=None
        Number of timesteps of each video.  When given, a :class:`UserWarning` is
        raised when a ground-truth segment ends beyond ``1.5 * length + 1`` (times in
        seconds where timesteps were expected, or the other way round).  It does not
        change the result.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        mAP : ndarray of shape (n_thresholds,)
            Mean AP over ``classes`` at each threshold.
        ap : ndarray of shape (n_thresholds, n_gt_classes)
            AP of each class at each threshold.
        classes : ndarray of shape (n_gt_classes,)
            The classes averaged: those with at least one ground truth, ascending.
        tiou_thresholds : ndarray of shape (n_thresholds,)
            The thresholds, as given.
        average_mAP : float
            Mean of ``mAP`` over the thresholds.

    See Also
    --------
    TemporalMAPScorer : ``average_mAP`` as a scikit-learn scorer.
    evaluate_activitynet_json : The same metric on ActivityNet-format JSON files.
    average_precision : The AP of one precision/recall curve.

    Notes
    -----
    Conventions, where the classic ``eval_detection.py`` is silent or undefined:

    * Only classes with ground truth are averaged.  Detections of a class absent from
      the ground truth are **ignored** (they neither count nor raise).
    * Detections on a video without ground truth of their class are false positives.
    * Ties in score are ranked stably: the earlier detection first, where earlier
      means an earlier video in ``detections``, then an earlier row of that video's
      array.  (The classic evaluator's order for ties depends on the NumPy build.)
    * A detection with the same tIoU to several free ground truths takes the one with
      the lowest row index in that video's ``segments_true`` array.
    * Segments of zero length are allowed; a pair of them has tIoU 0.
    * tIoU is scale-free: multiplying one video's times (both sides) by a constant
      does not change the result, so timesteps and seconds give the same mAP.

    Examples
    --------
    One video, one ground truth of class 0 on [0, 10].  Ranked by score, the
    detections are [0, 3] (tIoU 0.3), [0, 9] (tIoU 0.9) and [20, 30] (tIoU 0).

    * At thresholds 0.1-0.3, [0, 3] takes the ground truth: AP = 1.
    * At 0.4-0.7 [0, 3] misses and [0, 9] hits: precision 1/2 at recall 1, AP = 1/2.

    >>> import numpy as np
    >>> from sktal.metrics import detection_map
    >>> segments_true = [np.array([[0.0, 10.0, 0]])]
    >>> detections = [np.array([[0.0, 9.0, 0, 0.8],
    ...                         [0.0, 3.0, 0, 0.9],
    ...                         [20.0, 30.0, 0, 0.5]])]
    >>> result = detection_map(segments_true, detections)
    >>> result.mAP
    array([1. , 1. , 1. , 0.5, 0.5, 0.5, 0.5])
    >>> round(result.average_mAP, 4)
    0.7143
    """
    thresholds = check_tiou_thresholds(tiou_thresholds)
    matched = _rank_and_match(
        segments_true, detections, thresholds, n_classes=n_classes,
        empty_message="segments_true holds no ground-truth segment: mAP is undefined",
    )
    classes, class_bounds, n_positive, true_positive = (
        matched.classes, matched.class_bounds, matched.n_positive, matched.true_positive
    )
    if lengths is not None:
        _check_segments_inside(segments_true, lengths)
    ap = _average_precisions(true_positive, class_bounds, n_positive)
    mean_ap = ap.mean(axis=1)
    return Bunch(
        mAP=mean_ap,
        ap=ap,
        classes=classes,
        tiou_thresholds=thresholds,
        average_mAP=float(mean_ap.mean()),
    )
