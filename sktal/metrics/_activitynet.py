"""Evaluation of ActivityNet-format JSON files (ground truth + results)."""
import json
import os
import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.utils import Bunch

from ._detection import DEFAULT_TIOU_THRESHOLDS, detection_map

__all__ = ["evaluate_activitynet_json"]


def subset_filter(subset):
    """The subset-matching rule shared by the loaders and the evaluator.

    A video is kept when ``subset`` is None, or when its ``"subset"`` field equals
    ``subset`` (a string, or any of a list of strings) **ignoring case**
    (``"Validation"`` matches ``"validation"``).  A video without a ``"subset"``
    field matches only ``subset=None``.

    Parameters
    ----------
    subset : str, list of str or None

    Returns
    -------
    keep : callable
        ``keep(video_subset) -> bool``.

    Examples
    --------
    >>> from sktal.metrics._activitynet import subset_filter
    >>> keep = subset_filter("val")
    >>> keep("VAL"), keep("test"), keep(None)
    (True, False, False)
    """
    if subset is None:
        return lambda s: True
    wanted = {subset.lower()} if isinstance(subset, str) else {str(s).lower() for s in subset}
    return lambda s: s is not None and str(s).lower() in wanted


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool)


def _pair(value, where, field="segment"):
    """``[start, end]`` of numbers as two floats, or a ValueError naming ``where``."""
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(_is_number(t) for t in value)):
        raise ValueError(f"{where}: expected {field!r}: [start, end] with two numbers, "
                         f"got {value!r}")
    start, end = float(value[0]), float(value[1])
    _check_segment(start, end, where)
    return start, end


def _check_segment(start, end, where):
    if not (np.isfinite(start) and np.isfinite(end)):
        raise ValueError(f"{where}: segment [{start!r}, {end!r}] is not finite")
    if end < start:
        raise ValueError(f"{where}: segment ends before it starts ({start!r} > {end!r})")


def _load(source, name, field):
    """A parsed JSON document from a path or an already-loaded mapping, and its name."""
    if isinstance(source, (str, bytes, os.PathLike)):
        path = os.fsdecode(source)
        with open(path, encoding="utf-8") as fh:
            try:
                source = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}: {path} is not valid JSON ({exc})") from None
        name = f"{name} {path}"
    elif not isinstance(source, Mapping):
        raise TypeError(
            f"{name}: expected a path to a JSON file or a dict, got {type(source).__name__}"
        )
    if not isinstance(source, Mapping) or field not in source:
        found = sorted(source) if isinstance(source, Mapping) else type(source).__name__
        raise ValueError(
            f"{name}: missing the {field!r} field of the ActivityNet format "
            f"(found {found!r})"
        )
    if not isinstance(source[field], Mapping):
        raise ValueError(f"{name}: {field!r} must be an object {{video_id: ...}}, got "
                         f"{type(source[field]).__name__}")
    return source, name


def _examples(items, n=3):
    items = list(items)
    text = ", ".join(repr(i) for i in items[:n])
    return text + (", ..." if len(items) > n else "")


def _suggest_video(video_id, known):
    """A ground-truth id ``video_id`` probably meant (extension, case, path)."""
    candidates = [os.path.splitext(os.path.basename(video_id))[0], video_id.strip()]
    lowered = {k.lower(): k for k in known}
    for c in candidates:
        if c in known:
            return c
        if c.lower() in lowered:
            return lowered[c.lower()]
    return None


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
    subset : str or list of str, default=None
        Evaluate only the ground-truth videos whose ``"subset"`` equals this, ignoring
        case (``"validation"`` for ActivityNet, ``"val"`` or ``"test"`` in THUMOS14
        files): the rule of :func:`~sktal.datasets.load_annotations`.  None keeps
        every video of the database.

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
        n_videos : int
            Number of ground-truth videos evaluated (those of ``subset``).

    Notes
    -----
    As in the classic evaluator: a class is averaged only if it has ground truth in
    the evaluated videos; results on videos that are not among them (another subset,
    or absent from the database) count as false positives, and results whose label
    is not a ground-truth class are ignored -- each with a :class:`UserWarning`
    giving the counts and, when an id or label differs only by a file extension or
    case, the likely fix.  A :class:`ValueError` is raised when no result matches an
    evaluated video and a class with ground truth, and for a malformed entry (naming
    the file, video and entry index).  Ties in score are ranked by the order of the videos
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
    ground_truth, gt_name = _load(ground_truth, "ground_truth", "database")
    results, res_name = _load(results, "results", "results")
    keep = subset_filter(subset)

    class_names = [str(name) for name in ground_truth.get("activity_list", ())]
    class_index = {name: i for i, name in enumerate(class_names)}
    video_index, segments_true, other_subset = {}, [], set()
    for video_id, video in ground_truth["database"].items():
        if not isinstance(video, Mapping):
            raise ValueError(f"{gt_name}: video {video_id!r} is a {type(video).__name__}, "
                             "expected an object with 'annotations'")
        if not keep(video.get("subset")):
            other_subset.add(video_id)
            continue
        rows = []
        annotations = video.get("annotations") or ()
        if not isinstance(annotations, (list, tuple)):
            raise ValueError(f"{gt_name}: video {video_id!r}: 'annotations' must be a list, "
                             f"got {type(annotations).__name__}")
        for i, annotation in enumerate(annotations):
            where = f"{gt_name}: video {video_id!r} annotation {i}"
            if not isinstance(annotation, Mapping) or "label" not in annotation:
                raise ValueError(f"{where}: expected {{'segment': [start, end], 'label': "
                                 f"name}}, got {annotation!r}")
            label = str(annotation["label"])
            if label not in class_index:
                class_index[label] = len(class_names)
                class_names.append(label)
            start, end = _pair(annotation.get("segment"), where)
            rows.append((start, end, class_index[label]))
        video_index[video_id] = len(segments_true)
        segments_true.append(np.array(rows, dtype=np.float64).reshape(-1, 3))
    if not segments_true:
        subsets = sorted({str(v.get("subset")) for v in ground_truth["database"].values()})
        raise ValueError(
            f"{gt_name}: no video in subset {subset!r} (subsets present: {subsets})"
        )
    n_evaluated = len(segments_true)
    gt_ids = list(ground_truth["database"])
    has_truth = {int(c) for rows in segments_true for c in rows[:, 2]}

    detections = [[] for _ in segments_true]
    unknown_videos, outside_videos, unknown_labels = {}, {}, {}
    n_entries = n_matched = 0
    for video_id, predictions in results["results"].items():
        if not isinstance(predictions, (list, tuple)):
            raise ValueError(f"{res_name}: results of video {video_id!r} must be a list of "
                             f"{{'label', 'score', 'segment'}}, got {type(predictions).__name__}")
        if video_id not in video_index:  # no ground truth here: only false positives
            (outside_videos if video_id in other_subset else unknown_videos)[video_id] = len(
                predictions)
            video_index[video_id] = len(segments_true)
            segments_true.append(np.empty((0, 3)))
            detections.append([])
        rows = detections[video_index[video_id]]
        evaluated = video_index[video_id] < n_evaluated
        for i, prediction in enumerate(predictions):
            where = f"{res_name}: video {video_id!r} entry {i}"
            if not isinstance(prediction, Mapping) or not {"label", "segment", "score"} <= set(
                    prediction):
                raise ValueError(f"{where}: expected {{'label', 'score', 'segment': [start, "
                                 f"end]}}, got {prediction!r}")
            n_entries += 1
            start, end = _pair(prediction["segment"], where)
            score = prediction["score"]
            if not _is_number(score) or not np.isfinite(score):
                raise ValueError(f"{where}: 'score' must be a finite number, got {score!r}")
            label = class_index.get(str(prediction["label"]))
            if label is None:
                name = str(prediction["label"])
                unknown_labels[name] = unknown_labels.get(name, 0) + 1
                continue  # class unknown to the ground truth: ignored
            n_matched += evaluated and label in has_truth
            rows.append((start, end, label, float(score)))
    detections = [np.array(rows, dtype=np.float64).reshape(-1, 4) for rows in detections]

    if unknown_videos:
        hints = {v: _suggest_video(v, gt_ids) for v in unknown_videos}
        hints = {v: h for v, h in hints.items() if h is not None}
        hint = (f"; ids differ from the ground truth's, e.g. {_examples(hints)[:60]} vs "
                f"{_examples(hints.values())[:60]}: rename the result ids (drop the file "
                "extension / path / case difference)") if hints else ""
        warnings.warn(
            f"{res_name}: {len(unknown_videos)} of {len(results['results'])} result videos "
            f"({sum(unknown_videos.values())} results) match no ground-truth video in "
            f"{gt_name} ({_examples(unknown_videos)}); they count as false positives{hint}",
            UserWarning, stacklevel=2)
    if outside_videos:
        warnings.warn(
            f"{res_name}: {len(outside_videos)} result videos "
            f"({sum(outside_videos.values())} results) belong to a subset other than "
            f"{subset!r} ({_examples(outside_videos)}); they count as false positives, as in "
            "the classic evaluator: drop them from the results, or evaluate with the "
            "subset they were predicted on", UserWarning, stacklevel=2)
    if unknown_labels:
        lowered = {c.lower(): c for c in class_names}
        hints = [f"{name!r} -> did you mean {lowered[name.lower()]!r}?"
                 for name in unknown_labels if name.lower() in lowered]
        warnings.warn(
            f"{res_name}: {sum(unknown_labels.values())} results have {len(unknown_labels)} "
            f"labels that match no ground-truth class ({_examples(unknown_labels)}); they "
            "are ignored" + (" (" + "; ".join(hints[:5]) + ")" if hints else ""),
            UserWarning, stacklevel=2)
    if n_entries and not n_matched:
        raise ValueError(
            f"{res_name}: none of its {n_entries} results matches {gt_name} (a video of "
            f"subset {subset!r} and a class with ground truth there): check the video ids, "
            "the labels and the subset")

    result = detection_map(segments_true, detections, tiou_thresholds)
    return Bunch(
        mAP=result.mAP,
        ap=result.ap,
        class_names=np.array(class_names)[result.classes],
        tiou_thresholds=result.tiou_thresholds,
        average_mAP=result.average_mAP,
        n_videos=n_evaluated,
    )
