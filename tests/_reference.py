"""Plain per-detection loop implementation of detection mAP: the test oracle.

Deliberately simple and independent of ``sktal.metrics`` (no shared code): one class at
a time, one detection at a time in score order, one threshold at a time, walking the
video's ground truths from best to worst tIoU.  Same conventions as
``sktal.metrics.detection_map``: stable ranking of tied scores (earlier video, then
earlier row first), ties in tIoU go to the lower ground-truth row, detections of
classes without ground truth are ignored, a zero-length union has tIoU 0.
Used by tests/test_metrics.py and benchmarks/bench_metrics.py.
"""
import numpy as np


def _tiou(start, end, gt_start, gt_end):
    intersection = np.maximum(0.0, np.minimum(end, gt_end) - np.maximum(start, gt_start))
    union = (end - start) + (gt_end - gt_start) - intersection
    out = np.zeros_like(intersection)
    np.divide(intersection, union, out=out, where=union > 0)
    return out


def _interpolated_ap(precision, recall):
    precision = [0.0, *precision, 0.0]
    recall = [0.0, *recall, 1.0]
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    return sum(
        (recall[i] - recall[i - 1]) * precision[i]
        for i in range(1, len(recall))
        if recall[i] != recall[i - 1]
    )


def reference_detection_map(segments_true, detections, tiou_thresholds):
    """Return ``(ap, classes)``: ``ap`` of shape (n_thresholds, n_classes_with_gt)."""
    thresholds = [float(t) for t in tiou_thresholds]
    ground_truth = {}  # (class, video) -> (starts, ends)
    for video, rows in enumerate(segments_true):
        rows = np.asarray(rows, dtype=float).reshape(-1, 3)
        for label in np.unique(rows[:, 2]).astype(int):
            mine = rows[rows[:, 2] == label]
            ground_truth[label, video] = (mine[:, 0], mine[:, 1])
    classes = sorted({label for label, _ in ground_truth})
    ap = np.zeros((len(thresholds), len(classes)))
    for k, label in enumerate(classes):
        n_positive = sum(len(s) for (c, _), (s, _e) in ground_truth.items() if c == label)
        mine = []  # (score, video, start, end) in video order, then row order
        for video, rows in enumerate(detections):
            for row in np.asarray(rows, dtype=float).reshape(-1, 4):
                if int(row[2]) == label:
                    mine.append((row[3], video, row[0], row[1]))
        mine.sort(key=lambda d: -d[0])  # stable: ties keep the earlier detection first
        hit = np.zeros((len(thresholds), len(mine)))
        taken = [set() for _ in thresholds]
        for i, (_, video, start, end) in enumerate(mine):
            if (label, video) not in ground_truth:
                continue  # no ground truth of this class in the video: false positive
            gt_start, gt_end = ground_truth[label, video]
            tiou = _tiou(start, end, gt_start, gt_end)
            best_first = np.argsort(-tiou, kind="stable")
            for t, threshold in enumerate(thresholds):
                for j in best_first:
                    if tiou[j] < threshold:
                        break
                    if (video, j) in taken[t]:
                        continue
                    taken[t].add((video, j))
                    hit[t, i] = 1
                    break
        for t in range(len(thresholds)):
            true_positives = np.cumsum(hit[t])
            precision = true_positives / np.arange(1, len(mine) + 1)
            recall = true_positives / n_positive
            ap[t, k] = _interpolated_ap(list(precision), list(recall))
    return ap, np.array(classes)
