"""Evaluation of ActivityNet-format JSON files (ground truth + results)."""
import json
import os
from collections.abc import Mapping

import numpy as np
from sklearn.utils import Bunch

from ._detection import DEFAULT_TIOU_THRESHOLDS, detection_map

__all__ = ["evaluate_activitynet_json"]


def _check_segment(start, end, where):
    if not (np.isfinite(start) and np.isfinite(end)):
        raise ValueError(f"{where}: segment [{start!r}, {end!r}] is not finite")
    if end < start:
        raise ValueError(f"{where}: segment ends before it starts ({start!r} > {end!r})")


def _load(source, name, field):
    """A parsed JSON document from a path or an already-loaded mapping."""
    if isinstance(source, (str, bytes, os.PathLike)):
        with open(source, encoding="utf-8") as fh:
            source = json.load(fh)
    elif not isinstance(source, Mapping):
        raise TypeError(
            f"{name}: expected a path to a JSON file or a dict, got {type(source).__name__}"
        )
    if field not in source:
        raise ValueError(
            f"{name}: missing the {field!r} field of the ActivityNet format "
            f"(found {sorted(source)!r})"
        )
    return source


def evaluate_activitynet_json(
    ground_truth, results, tiou_thresholds=DEFAULT_TIOU_THRESHOLDS, subset=None
):
    """Detection mAP of an ActivityNet-format results file.

    A replacement for the classic ``eval_detection.py`` (``ANETdetection``) that runs
    on current NumPy without pandas: same matching rules and AP (see
    :func:`detection_map`, whose conventions apply), directly on the JSON files that
    THUMOS14, ActivityNet and HACS code bases read and write.

    Parameters
    ----------
    ground_truth : str, path-like or dict
        Ground-truth file or its parsed content:
        ``{"database": {video_id: {"subset": ..., "annotations":
        [{"segment": [start, end], "label": name}, ...]}, ...}}``, optionally with
        an ``"activity_list"`` of class names.  Times in seconds (any unit works, as
        long as both files use the same).
    results : str, path-like or dict
        Results file or its parsed content:
        ``{"results": {video_id: [{"label": name, "score": s,
        "segment": [start, end]}, ...]}}``.  Other fields (``"version"``,
        ``"external_data"``) are ignored.
    tiou_thresholds : array-like of shape (n_thresholds,), \
            default=DEFAULT_TIOU_THRESHOLDS
        THUMOS14's 0.1:0.1:0.7 by default; pass
        :data:`~sktal.metrics.ACTIVITYNET_TIOU_THRESHOLDS` for ActivityNet and HACS
        (the classic evaluator's default).
    subset : str, default=None
        Evaluate only the ground-truth videos whose ``"subset"`` equals this
        (``"validation"`` for ActivityNet, ``"val"`` or ``"test"`` in THUMOS14
        files).  None keeps every video of the database.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        mAP : ndarray of shape (n_thresholds,)
            Mean AP over the classes with ground truth, per threshold.
        ap : ndarray of shape (n_thresholds, n_gt_classes)
            AP of each class (columns ordered like ``class_names``).
        class_names : ndarray of shape (n_gt_classes,)
            Names of the classes that have ground truth in the evaluated videos, in
            the order of ``"activity_list"`` (then of first appearance in the
            annotations for labels missing from it).
        tiou_thresholds : ndarray of shape (n_thresholds,)
            The thresholds, as given.
        average_mAP : float
            Mean of ``mAP``.

    Notes
    -----
    As in the classic evaluator: a class is averaged only if it has ground truth in
    the evaluated videos; results on videos that are not among them (another subset,
    or absent from the database) count as false positives.  Results whose label has
    no ground truth are ignored.  Ties in score are ranked by the order of the videos
    in the database (then of videos found only in the results), then by the order of
    the results inside a video.

    Examples
    --------
    >>> from sktal.metrics import evaluate_activitynet_json
    >>> ground_truth = {"database": {
    ...     "video_a": {"subset": "test", "annotations": [
    ...         {"segment": [2.0, 6.0], "label": "Jump"}]},
    ...     "video_b": {"subset": "test", "annotations": [
    ...         {"segment": [0.0, 10.0], "label": "Run"}]}}}
    >>> results = {"results": {
    ...     "video_a": [{"label": "Jump", "score": 0.9, "segment": [2.0, 5.0]}],
    ...     "video_b": [{"label": "Run", "score": 0.8, "segment": [0.0, 4.0]}]}}
    >>> result = evaluate_activitynet_json(ground_truth, results, [0.3, 0.5])
    >>> result.class_names
    array(['Jump', 'Run'], dtype='<U4')
    >>> result.ap  # Jump: tIoU 0.75; Run: tIoU 0.4
    array([[1., 1.],
           [1., 0.]])
    >>> result.mAP
    array([1. , 0.5])
    """
    ground_truth = _load(ground_truth, "ground_truth", "database")
    results = _load(results, "results", "results")

    class_names = [str(name) for name in ground_truth.get("activity_list", ())]
    class_index = {name: i for i, name in enumerate(class_names)}
    video_index, segments_true = {}, []
    for video_id, video in ground_truth["database"].items():
        if subset is not None and video.get("subset") != subset:
            continue
        rows = []
        for i, annotation in enumerate(video.get("annotations", ())):
            label = str(annotation["label"])
            if label not in class_index:
                class_index[label] = len(class_names)
                class_names.append(label)
            start, end = (float(t) for t in annotation["segment"])
            _check_segment(start, end, f"ground_truth[{video_id!r}] annotation {i}")
            rows.append((start, end, class_index[label]))
        video_index[video_id] = len(segments_true)
        segments_true.append(np.array(rows, dtype=np.float64).reshape(-1, 3))
    if not segments_true:
        subsets = sorted({str(v.get("subset")) for v in ground_truth["database"].values()})
        raise ValueError(
            f"ground_truth: no video in subset {subset!r} (subsets present: {subsets})"
        )

    detections = [[] for _ in segments_true]
    for video_id, predictions in results["results"].items():
        if video_id not in video_index:  # no ground truth here: only false positives
            video_index[video_id] = len(segments_true)
            segments_true.append(np.empty((0, 3)))
            detections.append([])
        rows = detections[video_index[video_id]]
        for i, prediction in enumerate(predictions):
            label = class_index.get(str(prediction["label"]))
            if label is None:
                continue  # class unknown to the ground truth: ignored
            where = f"results[{video_id!r}][{i}]"
            try:
                start, end = (float(t) for t in prediction["segment"])
                score = float(prediction["score"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(
                    f"{where}: expected 'segment': [start, end] and a numeric 'score', "
                    f"got {prediction!r}"
                ) from exc
            _check_segment(start, end, where)
            if not np.isfinite(score):
                raise ValueError(f"{where}: score {score!r} is not finite")
            rows.append((start, end, label, score))
    detections = [np.array(rows, dtype=np.float64).reshape(-1, 4) for rows in detections]

    result = detection_map(segments_true, detections, tiou_thresholds)
    return Bunch(
        mAP=result.mAP,
        ap=result.ap,
        class_names=np.array(class_names)[result.classes],
        tiou_thresholds=result.tiou_thresholds,
        average_mAP=result.average_mAP,
    )
