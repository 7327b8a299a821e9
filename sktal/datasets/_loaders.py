"""``load_dataset``: annotations + features + clicks on one time grid (timesteps of X)."""
import os
import warnings

import numpy as np
from sklearn.utils import Bunch

from ._annotations import CLICK_FORMATS, load_annotations, read_click_rows
from ._features import LAYOUTS, load_features

__all__ = ["load_dataset", "load_clicks"]


def _clicks_from_file(path, video_ids, seconds_per_step, lengths, fps, class_names, labels,
                      *, click_format, ignore_videos=(), clip=False):
    """Clicks of one file as (k_i, 2) arrays in timesteps, aligned with ``video_ids``."""
    rows, fmt = read_click_rows(path, click_format)
    name = os.path.basename(os.fspath(path))
    where = {vid: i for i, vid in enumerate(video_ids)}
    ignore = set(ignore_videos)
    class_index = {c: k for k, c in enumerate(class_names)}
    n_classes = len(class_names)
    per_video = [[] for _ in video_ids]
    for line_no, vid, value, unit, label in rows:
        here = f"{name}, line {line_no}"
        if vid not in where:
            if vid in ignore:
                continue
            raise ValueError(f"{here}: unknown video id '{vid}' (not in the annotations)")
        i = where[vid]
        if unit == "frames":
            if not np.isfinite(fps[i]):
                raise ValueError(f"{here}: a point in frames needs the frame rate of video "
                                 f"'{vid}', which the annotations do not give")
            seconds = value / fps[i]
        else:
            seconds = value
        t = seconds / seconds_per_step[i]
        if not 0 <= t < lengths[i]:
            if not clip or not np.isfinite(t):
                raise ValueError(
                    f"{here}: click at {seconds:g} s (timestep {t:.3f}) is outside video "
                    f"'{vid}' ({lengths[i]} timesteps, {lengths[i] * seconds_per_step[i]:.3f} s)"
                )
            t = min(max(t, 0.0), lengths[i] - 1.0)
        if isinstance(label, str):
            if label in class_index:
                label = class_index[label]
            else:
                try:
                    label = int(label)
                except ValueError:
                    raise ValueError(f"{here}: unknown class {label!r}") from None
                if not -1 <= label < n_classes:
                    raise ValueError(f"{here}: class index {label} is out of range "
                                     f"(n_classes={n_classes})")
        if label != -1 and labels is not None and labels[i, label] != 1:
            raise ValueError(f"{here}: action click of class '{class_names[label]}' in video "
                             f"'{vid}', which has no instance of that class")
        per_video[i].append((t, float(label)))
    return [np.array(c, dtype=np.float64).reshape(-1, 2) for c in per_video], fmt


def _merge_sorted(click_lists):
    merged = [np.concatenate(parts) for parts in zip(*click_lists)]
    return [c[np.argsort(c[:, 0], kind="stable")] for c in merged]


def load_clicks(path, dataset, *, click_format="auto", clip=False, ignore_videos=()):
    """Read a click file onto the time grid of a dataset from :func:`load_dataset`.

    Handy for several annotators' files on one dataset (BackTAL reports the mean over its
    three THUMOS14 annotators).

    Parameters
    ----------
    path : str or path-like
        Click file; see ``click_format``.
    dataset : sklearn.utils.Bunch
        Result of :func:`load_dataset` (uses ``video_ids``, ``seconds_per_step``,
        ``lengths``, ``fps``, ``class_names``, ``y``).
    click_format : {"auto", "backtal", "lacp", "sfnet"}, default="auto"
        ``"backtal"``: BackTAL's background clicks, CSV with header
        ``URLID,URL,TagID,Tag,Start,End,Time,State`` (time = mean of ``Start`` and ``End``,
        in seconds); ``"lacp"``: LACP's action points, CSV with columns ``class``,
        ``video_id``, ``point`` (a frame at the video's own ``fps``); ``"sfnet"``: rows
        ``video, time_sec, class`` (comma or whitespace separated, optional header; class
        a name or index, ``background`` or ``-1`` for a background click).  ``"auto"``
        tells them apart by the header.
    clip : bool, default=False
        Move clicks that fall outside their video to its first/last snippet instead of
        raising (e.g. a click in a last partial snippet that the features drop).
    ignore_videos : collection of str, default=()
        Video ids to skip silently (e.g. videos of another subset); any other unknown id
        raises.

    Returns
    -------
    clicks : list of ndarray of shape (k_i, 2)
        ``[t, label]`` per video in ``dataset.video_ids`` order, sorted by ``t`` (timesteps,
        not rounded; snippet ``floor(t)`` holds the click), label -1 for background.

    Raises
    ------
    FileNotFoundError
        Missing file.
    ValueError
        Unknown video id or class, a click outside its video, an action click of a class
        its video does not hold, naming the file and line.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from sktal.datasets import load_dataset, load_clicks
    >>> folder = tempfile.mkdtemp()
    >>> gt = {"database": {"v1": {"subset": "val", "duration": 10.0, "fps": 32,
    ...       "annotations": [{"segment": [1.0, 2.5], "label": "Jump"}]}}}
    >>> with open(os.path.join(folder, "gt.json"), "w") as fh:
    ...     json.dump(gt, fh)
    >>> with open(os.path.join(folder, "clicks.csv"), "w") as fh:
    ...     _ = fh.write("v1,0.5,background\\nv1,2.0,Jump\\n")
    >>> data = load_dataset(os.path.join(folder, "gt.json"))
    >>> load_clicks(os.path.join(folder, "clicks.csv"), data)[0]
    array([[ 1., -1.],
           [ 4.,  0.]])
    """
    clicks, _ = _clicks_from_file(
        path, dataset.video_ids, np.asarray(dataset.seconds_per_step, dtype=np.float64),
        np.asarray(dataset.lengths), np.asarray(dataset.fps, dtype=np.float64),
        dataset.class_names, dataset.y, click_format=click_format,
        ignore_videos=ignore_videos, clip=clip)
    return _merge_sorted([clicks])


GRID_TOLERANCE = 2  # snippets of disagreement between T and duration * fps / snippet_frames


def _check_time_grid(video_ids, lengths, durations, fps, snippet_frames):
    """Warn when the feature rows do not cover the video at the assumed frame rate."""
    durations = np.asarray(durations, dtype=np.float64)
    expected = durations * fps / float(snippet_frames)
    off = np.flatnonzero(np.isfinite(expected)
                         & (np.abs(lengths - expected) > GRID_TOLERANCE))
    if not off.size:
        return
    i = off[0]
    implied = float(np.median(lengths[off] * float(snippet_frames) / durations[off]))
    warnings.warn(
        f"features: {off.size} of {len(lengths)} videos have a number of feature rows T "
        f"that differs from duration * fps / snippet_frames by more than {GRID_TOLERANCE} "
        f"snippets (e.g. video '{video_ids[i]}': T={lengths[i]}, expected "
        f"{expected[i]:.1f} from {durations[i]:g} s at {fps[i]:g} fps and "
        f"snippet_frames={snippet_frames}); the features imply {implied:.4g} fps: pass "
        f"feature_fps={implied:.4g} (or the right snippet_frames), else segments and "
        "clicks land at the wrong snippets", UserWarning, stacklevel=3)


def _check_truth_inside(video_ids, segments, lengths):
    """Warn when ground truth extends past the end of the features."""
    ends = np.array([s[:, 1].max() if len(s) else 0.0 for s in segments])
    past = np.flatnonzero(ends > lengths + 1)
    if past.size:
        i = past[0]
        warnings.warn(
            f"annotations: ground truth of {past.size} of {len(lengths)} videos extends past "
            f"the end of their features (e.g. video '{video_ids[i]}': a segment ends at "
            f"snippet {ends[i]:.1f}, the features have T={lengths[i]}); check feature_fps / "
            "snippet_frames and that the features cover the whole video", UserWarning,
            stacklevel=3)


def load_dataset(annotations, features=None, *, clicks=None, click_format="auto",
                 layout="auto", subset=None, snippet_frames=16, feature_fps=None,
                 class_names=None, clip_clicks=False):
    """Load annotations, features and clicks of a real benchmark on one time grid.

    Everything is converted to timesteps of ``X`` (snippet indices):
    ``timestep = seconds * feature_fps / snippet_frames``, and
    ``seconds_per_step = snippet_frames / feature_fps`` is returned per video so results
    can be written back in seconds (:func:`write_results_json`).  Resampling to a fixed
    length is not done here: it is a training choice of the estimators.

    Parameters
    ----------
    annotations : str or path-like
        Ground truth: ActivityNet-style JSON (THUMOS14 ``gt.json``, ActivityNet, ...) or a
        W-TALC annotation folder; see :func:`load_annotations`.
    features : str or path-like, default=None
        Snippet features, in one of the layouts of :func:`load_features`.  ``None``: no
        features (``X`` is None) and ``lengths = ceil(duration / seconds_per_step)``, so
        that synthetic features can be put on real timelines
        (``make_temporal_actions(segments=..., lengths=...)``).
    clicks : str or path-like or list of them, default=None
        Click file(s), merged per video; see :func:`load_clicks`.  Clicks of videos left
        out by ``subset`` are skipped.
    click_format : {"auto", "backtal", "lacp", "sfnet"}, default="auto"
        Format of the click files.
    layout : {"auto", "rgb_flow", "joint", "npz", "object_array"}, default="auto"
        Feature layout.
    subset : str or list of str, default=None
        Keep videos of this subset (``"val"`` for THUMOS14 ``gt_val.json``...).
    snippet_frames : int or None, default=16
        Frames per feature row (16 for I3D snippets; 4 for ActionFormer's stride-4 THUMOS14
        features).  ``None``: the rows are spread evenly over the video (features
        resampled to a fixed length, e.g. ActivityNet at 100 snippets), so
        ``seconds_per_step = duration / T``; needs ``features``.  The ``"npz"`` layout
        (BackTAL) is always read that way: its files are resampled and carry their
        duration.
    feature_fps : float, default=None
        Frame rate at which the features were extracted.  By default W-TALC's
        ``extracted_fps`` where given, else each video's own ``fps`` from the annotations.
        BaS-Net / LACP THUMOS14 features were extracted at 25 fps while ``gt.json`` lists
        the videos' 30 fps: pass ``feature_fps=25`` for them.
    class_names : list of str, default=None
        Class order; see :func:`load_annotations`.
    clip_clicks : bool, default=False
        Move clicks outside their video to its first/last snippet instead of raising.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X`` (list of float32 (T_i, D) arrays, or None), ``y`` ((n_videos, n_classes)
        float32 video labels), ``segments`` (list of (m_i, 3) ``[start, end, class]`` in
        timesteps), ``clicks`` (list of (k_i, 2) ``[t, label]`` in timesteps, or None),
        ``video_ids``, ``class_names``, ``seconds_per_step`` (ndarray (n_videos,)),
        ``lengths`` (ndarray (n_videos,) int64), ``durations`` (seconds), ``fps`` (the
        videos' frame rates), ``subsets``, ``n_rgb_features`` (or None), ``layout``.

    Raises
    ------
    FileNotFoundError
        Missing annotation, feature or click files.
    ValueError
        Unknown video ids, clicks outside their videos, malformed files, naming the file
        and the row or video.

    See Also
    --------
    load_annotations : The annotation reader alone (seconds).
    load_features : The feature reader alone.
    load_clicks : More click files onto a loaded dataset.
    write_results_json : Detections back to seconds, as ActivityNet JSON.

    Examples
    --------
    >>> import json, os, tempfile
    >>> import numpy as np
    >>> from sktal.datasets import load_dataset
    >>> folder = tempfile.mkdtemp()
    >>> gt = {"database": {"v1": {"subset": "val", "duration": 10.0, "fps": 32,
    ...       "annotations": [{"segment": [1.0, 2.5], "label": "Jump"}]}}}
    >>> with open(os.path.join(folder, "gt.json"), "w") as fh:
    ...     json.dump(gt, fh)
    >>> data = load_dataset(os.path.join(folder, "gt.json"))  # no features: lengths from duration
    >>> data.X is None, data.lengths, data.segments[0], data.seconds_per_step
    (True, array([20]), array([[2., 5., 0.]]), array([0.5]))
    >>> os.makedirs(os.path.join(folder, "feats"))
    >>> np.save(os.path.join(folder, "feats", "v1.npy"), np.zeros((20, 8)))
    >>> load_dataset(os.path.join(folder, "gt.json"), os.path.join(folder, "feats")).X[0].shape
    (20, 8)
    """
    if click_format not in CLICK_FORMATS:
        raise ValueError(f"click_format must be one of {CLICK_FORMATS}, got {click_format!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    ann = load_annotations(annotations, subset=subset, class_names=class_names)
    if not ann.video_ids:
        raise ValueError(f"annotations: no videos in {annotations}"
                         + (f" for subset={subset!r}" if subset is not None else ""))
    n = len(ann.video_ids)
    X, n_rgb, used_layout, durations = None, None, None, ann.durations
    if features is not None:
        search = [os.fspath(annotations)] if os.path.isdir(annotations) else []
        feats = load_features(features, ann.video_ids, layout=layout, search_dirs=search)
        X, n_rgb, used_layout = feats.X, feats.n_rgb_features, feats.layout
        if feats.durations is not None:
            durations = np.where(np.isnan(feats.durations), ann.durations, feats.durations)

    if features is not None and (used_layout == "npz" or snippet_frames is None):
        lengths = np.array([len(x) for x in X], dtype=np.int64)
        seconds_per_step = durations / lengths
    elif snippet_frames is None:
        raise ValueError("snippet_frames=None (rows spread over the video) needs features")
    else:
        if feature_fps is not None:
            fps = np.full(n, float(feature_fps))
        elif ann.feature_fps is not None:
            fps = ann.feature_fps
        else:
            fps = ann.fps
        missing = np.flatnonzero(~(fps > 0))
        if missing.size:
            raise ValueError(f"annotations: video '{ann.video_ids[missing[0]]}' has no frame "
                             "rate ('fps'); pass feature_fps")
        seconds_per_step = float(snippet_frames) / fps
        if X is not None:
            lengths = np.array([len(x) for x in X], dtype=np.int64)
            _check_time_grid(ann.video_ids, lengths, durations, fps, snippet_frames)
        else:
            lengths = np.maximum(np.ceil(durations / seconds_per_step), 1).astype(np.int64)

    segments = [np.column_stack([s[:, :2] / sps, s[:, 2]]) if len(s) else np.zeros((0, 3))
                for s, sps in zip(ann.segments_seconds, seconds_per_step)]
    if X is not None:
        _check_truth_inside(ann.video_ids, segments, lengths)
    y = ann.y

    click_arrays = None
    if clicks is not None:
        paths = [clicks] if isinstance(clicks, (str, os.PathLike)) else list(clicks)
        parts = [_clicks_from_file(p, ann.video_ids, seconds_per_step, lengths, ann.fps,
                                   ann.class_names, y, click_format=click_format,
                                   ignore_videos=ann.excluded_video_ids, clip=clip_clicks)[0]
                 for p in paths]
        click_arrays = _merge_sorted(parts)

    return Bunch(
        X=X, y=y, segments=segments, clicks=click_arrays, video_ids=list(ann.video_ids),
        class_names=list(ann.class_names), seconds_per_step=np.asarray(seconds_per_step),
        lengths=lengths, durations=np.asarray(durations), fps=ann.fps, subsets=ann.subsets,
        n_rgb_features=n_rgb, layout=used_layout,
    )
