"""Readers for ground-truth annotations and click files (no features, no unit conversion)."""
import csv
import json
import os
import warnings

import numpy as np
from sklearn.utils import Bunch

# one subset-matching rule for the loaders and the evaluator (case-insensitive)
from ..metrics._activitynet import subset_filter as _subset_filter

__all__ = ["load_annotations"]

CLICK_FORMATS = ("auto", "backtal", "lacp", "sfnet")
_BACKGROUND_NAMES = {"background", "bg", "-1"}


def read_numpy_file(path, what, *, allow_pickle=False):
    """``np.load`` of a ``.npy``/``.npz`` file, members of an ``.npz`` read eagerly
    (as a dict), or a ValueError naming ``path`` when it is empty, truncated or not
    NumPy data (never numpy's bare EOFError/BadZipFile/UnpicklingError)."""
    import pickle
    import zipfile

    try:
        data = np.load(path, allow_pickle=allow_pickle, encoding="bytes")
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                return {key: data[key] for key in data.files}
        return data
    except (ValueError, OSError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile,
            zipfile.LargeZipFile, KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        size = os.path.getsize(path) if os.path.isfile(path) else 0
        state = "is empty" if size == 0 else (
            f"is not a readable NumPy file ({size} bytes: truncated, corrupt or another "
            "format)")
        raise ValueError(f"{what}: {path} {state}: {type(exc).__name__}: {exc}") from None


def _require_file(path, what):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what}: no such file: {path}")


def _as_str(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _as_str(value.item())
    return str(value)




def _class_index(class_names):
    return {name: c for c, name in enumerate(class_names)}


def _label_matrix(labels, n_classes):
    y = np.zeros((len(labels), n_classes), dtype=np.float32)
    for i, classes in enumerate(labels):
        y[i, classes] = 1.0
    return y


def _check_class_names(class_names, labels_seen, source):
    class_names = [str(c) for c in class_names]
    if len(set(class_names)) != len(class_names):
        raise ValueError(f"class_names contains duplicates: {class_names}")
    unknown = sorted(set(labels_seen) - set(class_names))
    if unknown:
        raise ValueError(f"{source}: labels {unknown[:5]} are not in class_names")
    return class_names


def _read_activitynet_json(path, subset, class_names):
    _require_file(path, "annotations")
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"annotations: {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("database"), dict):
        raise ValueError(f"annotations: {path} has no 'database' object (ActivityNet layout "
                         "{'database': {video_id: {'duration', 'annotations', ...}}})")
    database = data["database"]
    labels_seen = {a.get("label") for v in database.values()
                   for a in (v.get("annotations") or [])}
    if class_names is None:
        class_names = data.get("activity_list") or sorted(labels_seen)
    class_names = _check_class_names(class_names, labels_seen, path)
    index = _class_index(class_names)
    keep = _subset_filter(subset)
    ids, durations, fps, subsets, segments, excluded, labels = [], [], [], [], [], [], []
    for vid, info in database.items():
        if not keep(info.get("subset")):
            excluded.append(vid)
            continue
        if "duration" not in info:
            raise ValueError(f"annotations: video '{vid}' in {path} has no 'duration'")
        duration = float(info["duration"])
        if not duration > 0:
            raise ValueError(f"annotations: video '{vid}' in {path} has duration {duration}")
        rows, present = [], set()
        for j, ann in enumerate(info.get("annotations") or []):
            seg = ann.get("segment")
            if seg is None or len(seg) != 2:
                raise ValueError(f"annotations: video '{vid}', annotation {j}: expected "
                                 f"'segment': [start, end] in seconds, got {seg!r}")
            start, end = float(seg[0]), float(seg[1])
            if not (np.isfinite(start) and np.isfinite(end)) or start < 0:
                raise ValueError(f"annotations: video '{vid}', annotation {j}: invalid "
                                 f"segment [{start}, {end}]")
            present.add(index[ann["label"]])
            if not end > start:  # e.g. [0, 0] in ActivityNet 1.2: keep only its label
                warnings.warn(f"annotations: video '{vid}', annotation {j}: segment "
                              f"[{start}, {end}] has no duration; only its label is kept",
                              stacklevel=3)
                continue
            rows.append((start, end, index[ann["label"]]))
        ids.append(str(vid))
        durations.append(duration)
        fps.append(float(info["fps"]) if info.get("fps") is not None else np.nan)
        subsets.append(info.get("subset"))
        segments.append(np.array(rows, dtype=np.float64).reshape(-1, 3))
        labels.append(sorted(present))
    return Bunch(video_ids=ids, class_names=class_names,
                 durations=np.array(durations, dtype=np.float64),
                 fps=np.array(fps, dtype=np.float64), feature_fps=None, subsets=subsets,
                 segments_seconds=segments, y=_label_matrix(labels, len(class_names)),
                 excluded_video_ids=excluded)


def _find_wtalc_annotation_dir(path):
    """The folder holding W-TALC's ``videoname.npy``: ``path`` itself or ``*-Annotations``."""
    if os.path.isfile(os.path.join(path, "videoname.npy")):
        return path
    for name in sorted(os.listdir(path)):
        sub = os.path.join(path, name)
        if name.endswith("-Annotations") and os.path.isfile(os.path.join(sub, "videoname.npy")):
            return sub
    return None


def _load_npy(folder, name, required=True):
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        if required:
            raise FileNotFoundError(f"annotations: W-TALC layout needs {path}")
        return None
    return read_numpy_file(path, "annotations", allow_pickle=True)


def _read_wtalc_arrays(folder, subset, class_names):
    names = [_as_str(v) for v in _load_npy(folder, "videoname.npy")]
    n = len(names)
    seg_arr = _load_npy(folder, "segments.npy")
    lab_arr = _load_npy(folder, "labels.npy")
    dur_arr = _load_npy(folder, "duration.npy")
    sub_arr = _load_npy(folder, "subset.npy", required=False)
    cls_arr = _load_npy(folder, "classlist.npy", required=False)
    fps_arr = _load_npy(folder, "original_fps.npy", required=False)
    ext_arr = _load_npy(folder, "extracted_fps.npy", required=False)
    for what, arr in [("segments.npy", seg_arr), ("labels.npy", lab_arr),
                      ("duration.npy", dur_arr)]:
        if len(arr) != n:
            raise ValueError(f"annotations: {os.path.join(folder, what)} has {len(arr)} "
                             f"entries but videoname.npy has {n}")
    labels_seen = {_as_str(lab) for labs in lab_arr for lab in np.ravel(labs)}
    if class_names is None:
        class_names = ([_as_str(c) for c in cls_arr] if cls_arr is not None
                       else sorted(labels_seen))
    class_names = _check_class_names(class_names, labels_seen, folder)
    index = _class_index(class_names)
    keep = _subset_filter(subset)

    def per_video(arr, i):
        if arr is None:
            return np.nan
        value = np.ravel(arr)[0] if np.ndim(arr) == 0 else arr[i]
        return float(np.ravel(value)[0])

    ids, durations, fps, ext, subsets, segments, excluded, labels = ([] for _ in range(8))
    for i, vid in enumerate(names):
        sub = _as_str(sub_arr[i]) if sub_arr is not None else None
        if not keep(sub):
            excluded.append(vid)
            continue
        segs = np.asarray(seg_arr[i], dtype=np.float64).reshape(-1, 2)
        labs = [_as_str(lab) for lab in np.ravel(lab_arr[i])]
        if len(labs) != len(segs):
            raise ValueError(f"annotations: video '{vid}' has {len(segs)} segments but "
                             f"{len(labs)} labels in {folder}")
        rows = np.column_stack([segs, [index[lab] for lab in labs]]).reshape(-1, 3)
        labels.append(sorted({index[lab] for lab in labs}))
        bad = ~(rows[:, 1] > rows[:, 0])
        if bad.any():
            warnings.warn(f"annotations: video '{vid}': {int(bad.sum())} segments without "
                          "duration; only their labels are kept", stacklevel=3)
            rows = rows[~bad]
        ids.append(vid)
        durations.append(per_video(dur_arr, i))
        fps.append(per_video(fps_arr, i))
        ext.append(per_video(ext_arr, i))
        subsets.append(sub)
        segments.append(rows)
    ext = np.array(ext, dtype=np.float64)
    return Bunch(video_ids=ids, class_names=class_names,
                 durations=np.array(durations, dtype=np.float64),
                 fps=np.array(fps, dtype=np.float64),
                 feature_fps=None if np.isnan(ext).all() else ext, subsets=subsets,
                 segments_seconds=segments, y=_label_matrix(labels, len(class_names)),
                 excluded_video_ids=excluded)


def load_annotations(path, *, subset=None, class_names=None):
    """Read ground-truth instances, in seconds, from an annotation file or folder.

    Two layouts are read:

    * ActivityNet-style JSON (ActivityNet, THUMOS14 ``gt.json``, ActionFormer):
      ``{"database": {video_id: {"subset", "duration", "fps", "annotations":
      [{"segment": [start_s, end_s], "label": name}]}}}``, with an optional
      ``"activity_list"`` giving the class order;
    * W-TALC annotation arrays (W-TALC, CO2-Net, DELU): a folder holding ``videoname.npy``,
      ``segments.npy``, ``labels.npy``, ``duration.npy`` and optionally ``subset.npy``,
      ``classlist.npy``, ``original_fps.npy``, ``extracted_fps.npy`` (or the folder above
      it, with a ``*-Annotations`` sub-folder).

    Parameters
    ----------
    path : str or path-like
        JSON file or W-TALC folder.
    subset : str or list of str, default=None
        Keep the videos whose ``subset`` matches (case-insensitive), e.g. ``"val"``,
        ``"training"``, ``"validation"``; all videos by default.
    class_names : list of str, default=None
        Class order; by default ``activity_list`` (JSON) or ``classlist.npy`` (W-TALC), else
        the sorted labels of the whole file (before ``subset`` filtering).

    Returns
    -------
    annotations : sklearn.utils.Bunch
        ``video_ids`` (list of str, file order), ``class_names``, ``durations`` (seconds),
        ``fps`` (each video's frame rate, NaN when absent), ``feature_fps`` (W-TALC's
        ``extracted_fps``, else None), ``subsets``, ``segments_seconds`` (list of (m_i, 3)
        arrays ``[start_s, end_s, class]``), ``y`` ((n_videos, n_classes) float32 video
        labels), ``excluded_video_ids`` (left out by ``subset``).  A segment without
        duration (ActivityNet 1.2 holds a ``[0, 0]``) is dropped with a warning; its label
        stays in ``y``.

    Raises
    ------
    FileNotFoundError
        Missing file.
    ValueError
        Malformed content, naming the file and the video.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from sktal.datasets import load_annotations
    >>> gt = {"database": {"v1": {"subset": "val", "duration": 10.0, "fps": 25,
    ...       "annotations": [{"segment": [1.0, 2.5], "label": "Jump"}]}}}
    >>> path = os.path.join(tempfile.mkdtemp(), "gt.json")
    >>> with open(path, "w") as fh:
    ...     json.dump(gt, fh)
    >>> ann = load_annotations(path)
    >>> ann.video_ids, ann.class_names, ann.segments_seconds[0]
    (['v1'], ['Jump'], array([[1. , 2.5, 0. ]]))
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        folder = _find_wtalc_annotation_dir(path)
        if folder is None:
            raise FileNotFoundError(f"annotations: {path} is a folder without W-TALC "
                                    "annotation arrays (videoname.npy)")
        return _read_wtalc_arrays(folder, subset, class_names)
    return _read_activitynet_json(path, subset, class_names)


# ---- click files ---------------------------------------------------------------------

def _sniff_click_format(path, first_line):
    header = first_line.lstrip("\ufeff").strip().lower()
    fields = [f.strip() for f in header.replace("\t", ",").split(",")]
    if "urlid" in fields:
        return "backtal"
    if "video_id" in fields and "point" in fields:
        return "lacp"
    return "sfnet"


def _split_fields(line):
    line = line.strip()
    if "," in line:
        return [f.strip() for f in line.split(",")]
    return line.split()


def _parse_float(value, path, line_no, column):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{path}, line {line_no}: column {column!r} is not a number: "
                         f"{value!r}") from None


def read_click_rows(path, click_format="auto"):
    """Rows of a click file as ``(line, video_id, value, unit, label)`` tuples.

    ``unit`` is ``"seconds"`` or ``"frames"`` (LACP's points, at the video's frame rate);
    ``label`` is ``-1`` for a background click or the class name/index token as written.
    """
    path = os.fspath(path)
    _require_file(path, "clicks")
    if click_format not in CLICK_FORMATS:
        raise ValueError(f"click_format must be one of {CLICK_FORMATS}, got {click_format!r}")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = fh.read().splitlines()
    if not lines:
        return [], click_format
    if click_format == "auto":
        click_format = _sniff_click_format(path, lines[0])
    rows = []
    if click_format in ("backtal", "lacp"):
        reader = csv.DictReader(lines)
        needed = (("URLID", "Start") if click_format == "backtal"
                  else ("video_id", "point", "class"))
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {missing} for the {click_format} "
                             f"format (header: {reader.fieldnames})")
        for k, rec in enumerate(reader):
            line_no = k + 2
            if click_format == "backtal":
                start = _parse_float(rec["Start"], path, line_no, "Start")
                end = rec.get("End")
                end = start if end in (None, "") else _parse_float(end, path, line_no, "End")
                rows.append((line_no, rec["URLID"].strip(), 0.5 * (start + end), "seconds", -1))
            else:
                point = _parse_float(rec["point"], path, line_no, "point")
                rows.append((line_no, rec["video_id"].strip(), point, "frames",
                             rec["class"].strip()))
        return rows, click_format
    for k, line in enumerate(lines):
        line_no = k + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _split_fields(line)
        if len(fields) < 3:
            raise ValueError(f"{path}, line {line_no}: expected 'video, time_sec, class', "
                             f"got {line!r}")
        try:
            time_sec = float(fields[1])
        except ValueError:
            if k == 0:  # header row
                continue
            raise ValueError(f"{path}, line {line_no}: time {fields[1]!r} is not a number") \
                from None
        label = fields[2]
        rows.append((line_no, fields[0], time_sec, "seconds",
                     -1 if label.lower() in _BACKGROUND_NAMES else label))
    return rows, click_format
