"""Input validation at the public boundary of sktal.

Every check raises ``ValueError`` (bad values or shapes) or ``TypeError`` (bad types) with a
message that names the field, the video index and the problem, e.g.
``"clicks[4]: position 812.0 is outside video 4 (length 640)"``.  Estimators call these
once, in ``fit`` / ``predict``; inner code can then trust its inputs.

Time is in timesteps of ``X`` (snippet indices, as floats) everywhere.
"""
import numbers

import numpy as np

from .. import BACKGROUND

__all__ = [
    "check_videos",
    "is_annotated",
    "check_labels",
    "check_segments",
    "segments_to_labels",
    "check_clicks",
    "check_consistent_length",
    "check_param",
    "check_rows",
    "check_tiou_thresholds",
]


def _as_video_list(seq, name):
    """Turn a list, tuple or 1-D object array into a list; reject anything else."""
    if seq is None:
        raise TypeError(f"{name}: expected a sequence with one entry per video, got None")
    if isinstance(seq, (str, bytes, dict)):
        raise TypeError(
            f"{name}: expected a sequence with one entry per video, got {type(seq).__name__}"
        )
    if isinstance(seq, np.ndarray):
        if seq.dtype == object:
            if seq.ndim != 1:
                raise ValueError(
                    f"{name}: an object array must be 1-D (one entry per video), "
                    f"got shape {seq.shape}"
                )
            return list(seq)
        return None  # numeric arrays are handled by the caller
    try:
        return list(seq)
    except TypeError:
        raise TypeError(
            f"{name}: expected a sequence with one entry per video, got {type(seq).__name__}"
        ) from None


def _numeric_array(value, where, dtype=np.float64):
    """``np.asarray`` that reports non-numeric content as a TypeError naming ``where``."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{where}: cannot be read as an array ({exc})") from None
    if arr.dtype == object:  # e.g. numbers inside an object array
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: expected real numbers, got dtype object") from None
    if not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ) or np.iscomplexobj(arr):
        raise TypeError(f"{where}: expected real numbers, got dtype {arr.dtype}")
    if dtype is None:
        return arr
    with np.errstate(over="ignore"):
        return arr.astype(dtype, copy=False)


def check_rows(value, n_columns, name, *, layout=""):
    """One video's rows: a float64 ``(k, n_columns)`` copy, finite; empty is ``(0, n_columns)``.

    The one row checker of sktal: detections ``[start, end, class, score]``, segments
    ``[start, end, class]`` and clicks are read through it, one video at a time.

    Parameters
    ----------
    value : array-like of shape (k, n_columns)
    n_columns : int
    name : str
        The field, with its video index (``'detections[3]'``), for error messages.
    layout : str, default=''
        The columns, e.g. ``'[start, end, class]'``, added to the shape message.

    Returns
    -------
    ndarray of shape (k, n_columns), dtype float64

    Raises
    ------
    TypeError
        Content that is not real numbers.
    ValueError
        Ragged content, another shape, NaN or infinite values (the message names the
        first such row).

    Examples
    --------
    >>> from sktal.utils import check_rows
    >>> check_rows([], 4, "detections[0]").shape
    (0, 4)
    >>> check_rows([[0, 1, 0]], 4, "detections[0]")
    Traceback (most recent call last):
    ...
    ValueError: detections[0]: expected an array of shape (n, 4), got shape (1, 3)
    """
    arr = np.array(_numeric_array(value, name), dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, n_columns), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != n_columns:
        layout = f" {layout}" if layout else ""
        raise ValueError(
            f"{name}: expected an array of shape (n, {n_columns}){layout}, "
            f"got shape {arr.shape}"
        )
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        raise ValueError(
            f"{name}: row {np.flatnonzero(~finite)[0]} contains NaN or infinite values"
        )
    return arr


def check_tiou_thresholds(tiou_thresholds, name="tiou_thresholds"):
    """tIoU thresholds as a 1-D float64 copy: non-empty, each in [0, 1].

    The one threshold checker of sktal (metrics, estimators' ``tiou_thresholds``, the
    command line's ``--tiou``). A detection matches a ground truth when their tIoU
    reaches the threshold; 0 accepts any pair of the same class and video, which the
    classic ActivityNet evaluator allows too.

    Parameters
    ----------
    tiou_thresholds : array-like of float
    name : str, default='tiou_thresholds'
        Named in error messages.

    Returns
    -------
    ndarray of shape (n_thresholds,)

    Examples
    --------
    >>> from sktal.utils import check_tiou_thresholds
    >>> check_tiou_thresholds([0.3, 0.5])
    array([0.3, 0.5])
    >>> check_tiou_thresholds(0.5).shape
    (1,)
    >>> check_tiou_thresholds([0.5, 1.5])
    Traceback (most recent call last):
    ...
    ValueError: tiou_thresholds: every threshold must lie in [0, 1], got 1.5
    """
    try:
        thresholds = np.array(tiou_thresholds, dtype=np.float64, ndmin=1)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}: expected a 1-D sequence of numbers, got {tiou_thresholds!r}"
        ) from exc
    if thresholds.ndim != 1 or thresholds.size == 0:
        raise ValueError(
            f"{name}: expected a non-empty 1-D sequence of numbers, "
            f"got shape {thresholds.shape}"
        )
    bad = ~(np.isfinite(thresholds) & (thresholds >= 0) & (thresholds <= 1))
    if bad.any():
        raise ValueError(
            f"{name}: every threshold must lie in [0, 1], got {float(thresholds[bad][0])!r}"
        )
    return thresholds



def _check_tiou_threshold(value, name):
    """One tIoU threshold (a scalar parameter of the metrics) as a float in [0, 1]."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _n_entries(value):
    """Number of videos described by ``value`` (rows of an array, entries of a sequence)."""
    if isinstance(value, np.ndarray):
        return value.shape[0] if value.ndim else 1
    return len(value)


def check_consistent_length(**fields):
    """Check that every given field describes the same number of videos.

    Parameters
    ----------
    **fields : sequence or ndarray or None
        Named per-video inputs, e.g. ``X=X, y=y, clicks=clicks``.  ``None`` values are
        skipped.  The first non-``None`` field is the reference.

    Returns
    -------
    n_videos : int or None
        The common number of videos (``None`` when every field is ``None``).

    Raises
    ------
    ValueError
        Naming both fields and their lengths when they differ.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.utils import check_consistent_length
    >>> check_consistent_length(X=[np.zeros((3, 2))] * 4, y=np.zeros((4, 2)), clicks=None)
    4
    >>> check_consistent_length(X=[np.zeros((3, 2))] * 4, y=np.zeros((3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: length mismatch: y has 3 videos but X has 4
    """
    ref_name, ref_n = None, None
    for name, value in fields.items():
        if value is None:
            continue
        n = _n_entries(value)
        if ref_name is None:
            ref_name, ref_n = name, n
        elif n != ref_n:
            raise ValueError(
                f"length mismatch: {name} has {n} videos but {ref_name} has {ref_n}"
            )
    return ref_n


def check_videos(X, *, n_features=None, name="X"):
    """Validate a sequence of snippet-feature arrays.

    Parameters
    ----------
    X : sequence of array-like of shape (T_i, D)
        A list, tuple or 1-D object array with one ``(T_i, D)`` array per video, or a 3-D
        array ``(n_videos, T, D)`` of equal-length videos.
    n_features : int, default=None
        Expected ``D`` (e.g. ``n_features_in_`` of a fitted estimator); by default the width
        of the first video.
    name : str, default="X"
        Field name used in error messages.

    Returns
    -------
    videos : list of ndarray of shape (T_i, D), dtype float32
        C-contiguous copies.

    Raises
    ------
    TypeError
        ``X`` is not a sequence, or a video is not numeric.
    ValueError
        Zero videos, a video that is not 2-D, an empty video (``T_i = 0``), zero features,
        a different feature width, NaN or infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.utils import check_videos
    >>> videos = check_videos([np.zeros((5, 3)), np.ones((7, 3))])
    >>> [v.shape for v in videos], videos[0].dtype
    ([(5, 3), (7, 3)], dtype('float32'))
    >>> check_videos([np.zeros((5, 3)), np.full((2, 3), np.nan)])
    Traceback (most recent call last):
    ...
    ValueError: X[1]: contains NaN or infinite values
    """
    items = _as_video_list(X, name)
    if items is None:  # numeric ndarray
        if X.ndim != 3:
            raise ValueError(
                f"{name}: expected a sequence of 2-D arrays (T_i, n_features), one per video, "
                f"or a 3-D array; got an array of shape {X.shape}"
                + ("; wrap a single video in a list" if X.ndim == 2 else "")
            )
        items = list(X)
    if len(items) == 0:
        raise ValueError(f"{name}: no videos (got an empty sequence)")
    videos = []
    for i, video in enumerate(items):
        where = f"{name}[{i}]"
        arr = _numeric_array(video, where, None)
        if arr.ndim != 2:
            raise ValueError(
                f"{where}: expected a 2-D array (n_timesteps, n_features), got shape {arr.shape}"
            )
        if arr.shape[0] == 0:
            raise ValueError(f"{where}: empty video (0 timesteps)")
        if arr.shape[1] == 0:
            raise ValueError(f"{where}: has 0 features")
        if n_features is None:
            n_features, source = arr.shape[1], f"{name}[0]"
        elif i == 0:
            source = "n_features"
        if arr.shape[1] != n_features:
            raise ValueError(
                f"{where}: has {arr.shape[1]} features, expected {n_features} (as {source})"
            )
        if not np.isfinite(arr).all():
            raise ValueError(f"{where}: contains NaN or infinite values")
        with np.errstate(over="ignore"):
            arr = np.array(arr, dtype=np.float32, order="C", copy=True)
        if not np.isfinite(arr).all():
            raise ValueError(f"{where}: values exceed the float32 range")
        videos.append(arr)
    return videos


def is_annotated(y):
    """Tell annotated ``y`` (instances per video) from weak ``y`` (video-level labels).

    Parameters
    ----------
    y : object
        Candidate target.

    Returns
    -------
    annotated : bool
        True when ``y`` is a sequence (list, tuple, 1-D object array) of ``(m_i, 3)`` arrays
        ``[start, end, class]`` (empty entries allowed), or a 3-D numeric array whose last
        axis has size 3.  A 2-D numeric array is always weak labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.utils import is_annotated
    >>> is_annotated([np.array([[0.0, 4.0, 1]]), np.empty((0, 3))])
    True
    >>> is_annotated(np.array([[0, 1, 0], [1, 0, 0]]))
    False
    """
    if y is None or isinstance(y, (str, bytes, dict)):
        return False
    if isinstance(y, np.ndarray) and y.dtype != object:
        return y.ndim == 3 and y.shape[-1] == 3
    if isinstance(y, np.ndarray) and y.ndim != 1:
        return False
    try:
        items = list(y)
    except TypeError:
        return False
    if not items:
        return False
    for item in items:
        if item is None:
            continue
        try:
            arr = np.asarray(item, dtype=object)
        except ValueError:
            return False
        if arr.size == 0:
            continue
        if arr.ndim != 2 or arr.shape[1] != 3:
            return False
    return True


def check_segments(segments, n_videos, *, n_classes=None, lengths=None, name="segments"):
    """Validate ground-truth instances ``[start, end, class]`` in timesteps.

    Parameters
    ----------
    segments : sequence of array-like of shape (m_i, 3)
        One array per video (list, tuple or 1-D object array); ``None`` or an empty entry is
        a video without instances.
    n_videos : int
        Expected number of videos.
    n_classes : int, default=None
        When given, classes must lie in ``[0, n_classes)``.
    lengths : sequence of int, default=None
        Video lengths ``T_i``; when given, every instance must start inside its video
        (``start < T_i``).  Ends may run past ``T_i``: real annotations sometimes do.
    name : str, default="segments"
        Field name used in error messages.

    Returns
    -------
    segments : list of ndarray of shape (m_i, 3), dtype float64
        Copies, in the given order.

    Raises
    ------
    ValueError
        Wrong number of videos, wrong shape, NaN/inf, negative start, ``end <= start``,
        non-integer or unknown class, start outside the video.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.utils import check_segments
    >>> check_segments([[[0, 4, 1]], []], 2, n_classes=3)[1].shape
    (0, 3)
    >>> check_segments([[[5, 4, 1]]], 1)
    Traceback (most recent call last):
    ...
    ValueError: segments[0]: instance 0 has end 4.0 <= start 5.0
    """
    if isinstance(segments, np.ndarray) and segments.dtype != object and segments.ndim == 3:
        items = list(segments)
    else:
        items = _as_video_list(segments, name)
        if items is None:
            raise ValueError(
                f"{name}: expected a sequence of (m_i, 3) arrays [start, end, class], "
                f"got an array of shape {segments.shape}"
            )
    if len(items) != n_videos:
        raise ValueError(f"length mismatch: {name} has {len(items)} videos, expected {n_videos}")
    if lengths is not None and len(lengths) != n_videos:
        raise ValueError(
            f"length mismatch: lengths has {len(lengths)} videos, expected {n_videos}"
        )
    out = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        arr = check_rows(() if item is None else item, 3, where,
                         layout="[start, end, class]")
        if arr.size == 0:
            out.append(arr)
            continue
        start, end, cls = arr[:, 0], arr[:, 1], arr[:, 2]
        bad = np.flatnonzero(start < 0)
        if bad.size:
            j = bad[0]
            raise ValueError(f"{where}: instance {j} has negative start {start[j]}")
        bad = np.flatnonzero(end <= start)
        if bad.size:
            j = bad[0]
            raise ValueError(f"{where}: instance {j} has end {end[j]} <= start {start[j]}")
        bad = np.flatnonzero(cls != np.round(cls))
        if bad.size:
            j = bad[0]
            raise ValueError(f"{where}: instance {j} has non-integer class {cls[j]}")
        bad = np.flatnonzero((cls < 0) | ((cls >= n_classes) if n_classes is not None else False))
        if bad.size:
            j = bad[0]
            known = f"n_classes={n_classes}" if n_classes is not None else "classes are >= 0"
            raise ValueError(f"{where}: instance {j} has unknown class {cls[j]:g} ({known})")
        if lengths is not None:
            length = lengths[i]
            bad = np.flatnonzero(start >= length)
            if bad.size:
                j = bad[0]
                raise ValueError(
                    f"{where}: instance {j} starts at {start[j]}, outside video {i} "
                    f"(length {length})"
                )
        out.append(np.array(arr, dtype=np.float64, copy=True))
    return out


def segments_to_labels(segments, n_classes):
    """Video-level 0/1 labels from annotated instances.

    Parameters
    ----------
    segments : sequence of array-like of shape (m_i, 3)
        Instances ``[start, end, class]`` per video.
    n_classes : int
        Number of classes (columns of the result).

    Returns
    -------
    labels : ndarray of shape (n_videos, n_classes), dtype float32
        ``labels[i, c] = 1`` when video ``i`` holds an instance of class ``c``.

    Examples
    --------
    >>> from sktal.utils import segments_to_labels
    >>> segments_to_labels([[[0, 4, 1], [6, 9, 1]], [[2, 3, 0]], []], 3)
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    n_classes = check_param("n_classes", n_classes, kind=(numbers.Integral,), low=1)
    items = _as_video_list(segments, "segments")
    if items is None:
        items = list(segments)
    segs = check_segments(items, len(items), n_classes=n_classes)
    labels = np.zeros((len(segs), n_classes), dtype=np.float32)
    for i, seg in enumerate(segs):
        labels[i, seg[:, 2].astype(np.intp)] = 1.0
    return labels


def check_labels(y, n_videos, *, n_classes=None, name="y"):
    """Validate video-level labels; annotated ``y`` is converted to them.

    Parameters
    ----------
    y : array-like of shape (n_videos, n_classes) or sequence of (m_i, 3) arrays
        Weak 0/1 labels, or instances (see :func:`is_annotated`), from which only the
        video-level labels are kept.
    n_videos : int
        Expected number of videos.
    n_classes : int, default=None
        Expected number of classes; for annotated ``y`` it defaults to the largest class
        index + 1 (pass it explicitly when a subset of videos may miss a class).
    name : str, default="y"
        Field name used in error messages.

    Returns
    -------
    labels : ndarray of shape (n_videos, n_classes), dtype float32
        Entries 0 or 1.

    Raises
    ------
    ValueError
        Wrong shape or number of videos/classes, NaN, values other than 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.utils import check_labels
    >>> check_labels([[0, 1], [1, 1]], 2)
    array([[0., 1.],
           [1., 1.]], dtype=float32)
    >>> check_labels([[0, 1], [0.5, 1]], 2)
    Traceback (most recent call last):
    ...
    ValueError: y[1]: labels must be 0 or 1, got 0.5
    """
    if is_annotated(y):
        segs = check_segments(y, n_videos, n_classes=n_classes, name=name)
        if n_classes is None:
            top = max((int(s[:, 2].max()) for s in segs if len(s)), default=-1)
            n_classes = top + 1
            if n_classes == 0:
                raise ValueError(f"{name}: no instances, so the number of classes is unknown; "
                                 "pass n_classes")
        return segments_to_labels(segs, n_classes)
    if y is None:
        raise TypeError(f"{name}: expected labels of shape (n_videos, n_classes), got None")
    if isinstance(y, np.ndarray) and y.dtype == object:
        try:
            y = np.array([np.asarray(row, dtype=float) for row in y])
        except ValueError:
            raise ValueError(f"{name}: rows of different lengths; expected shape "
                             "(n_videos, n_classes)") from None
    arr = _numeric_array(y, name)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = "; for one class per video use a one-hot (n_videos, n_classes) array"
        raise ValueError(
            f"{name}: expected shape (n_videos, n_classes), got shape {arr.shape}{hint}"
        )
    if arr.shape[0] != n_videos:
        raise ValueError(f"length mismatch: {name} has {arr.shape[0]} videos, expected {n_videos}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: has 0 classes")
    if n_classes is not None and arr.shape[1] != n_classes:
        raise ValueError(f"{name}: has {arr.shape[1]} classes, expected {n_classes}")
    for i in range(arr.shape[0]):
        row = arr[i]
        if not np.isfinite(row).all():
            raise ValueError(f"{name}[{i}]: contains NaN or infinite values")
        bad = np.flatnonzero((row != 0) & (row != 1))
        if bad.size:
            raise ValueError(f"{name}[{i}]: labels must be 0 or 1, got {row[bad[0]]:g}")
    return np.array(arr, dtype=np.float32, copy=True)


def _check_lengths(lengths):
    try:
        arr = np.asarray(lengths)
    except ValueError:
        raise TypeError("lengths: expected a sequence of integers") from None
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer)
                             or (np.issubdtype(arr.dtype, np.floating)
                                 and np.all(arr == np.round(arr)))):
        raise TypeError(f"lengths: expected a 1-D sequence of integers, got {arr!r:.60}")
    bad = np.flatnonzero(arr < 1)
    if bad.size:
        raise ValueError(
            f"lengths[{bad[0]}]: a video needs at least 1 timestep, got {arr[bad[0]]}"
        )
    return arr.astype(np.int64)


def check_clicks(clicks, lengths, *, labels=None, n_classes=None, name="clicks"):
    """Validate click annotations ``[t, label]`` per video.

    Parameters
    ----------
    clicks : sequence of array-like of shape (k_i, 2) or None
        One array per video (list, tuple or 1-D object array); ``t`` a timestep in
        ``[0, T_i)``, ``label`` a class index (action click) or ``-1`` (background click).
        ``None``, or a ``None`` entry, means no clicks.
    lengths : sequence of int
        Video lengths ``T_i`` (``[len(x) for x in X]``); also gives the number of videos.
    labels : array-like of shape (n_videos, n_classes), default=None
        Video-level labels; when given, an action click must carry a class of its video.
    n_classes : int, default=None
        Number of classes, when ``labels`` is not given; action-click classes must lie in
        ``[0, n_classes)``.
    name : str, default="clicks"
        Field name used in error messages.

    Returns
    -------
    clicks : list of ndarray of shape (k_i, 2), dtype float64
        Copies, in the given order.

    Raises
    ------
    ValueError
        Wrong number of videos, wrong shape, NaN/inf, a position outside its video, a label
        that is neither ``-1`` nor a class (of that video, when ``labels`` is given).

    Examples
    --------
    >>> from sktal.utils import check_clicks
    >>> [c.shape for c in check_clicks(None, [10, 20])]
    [(0, 2), (0, 2)]
    >>> check_clicks([[[3, -1]], [[25, -1]]], [10, 20])
    Traceback (most recent call last):
    ...
    ValueError: clicks[1]: position 25.0 is outside video 1 (length 20)
    """
    lengths = _check_lengths(lengths)
    n_videos = len(lengths)
    if labels is not None:
        labels = check_labels(labels, n_videos, n_classes=n_classes, name="labels")
        n_classes = labels.shape[1]
    if clicks is None:
        return [np.zeros((0, 2), dtype=np.float64) for _ in range(n_videos)]
    items = _as_video_list(clicks, name)
    if items is None:
        if clicks.ndim == 3:
            items = list(clicks)
        else:
            raise ValueError(
                f"{name}: expected a sequence of (k_i, 2) arrays [t, label], "
                f"got an array of shape {clicks.shape}"
            )
    if len(items) != n_videos:
        raise ValueError(f"length mismatch: {name} has {len(items)} videos, expected {n_videos}")
    out = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        arr = np.empty((0, 2)) if item is None else _numeric_array(item, where)
        if arr.size == 0:
            out.append(np.zeros((0, 2), dtype=np.float64))
            continue
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(
                f"{where}: expected an array of shape (k, 2) [t, label], got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise ValueError(f"{where}: contains NaN or infinite values")
        pos, lab = arr[:, 0], arr[:, 1]
        bad = np.flatnonzero((pos < 0) | (pos >= lengths[i]))
        if bad.size:
            raise ValueError(
                f"{where}: position {pos[bad[0]]} is outside video {i} (length {lengths[i]})"
            )
        bad = np.flatnonzero((lab != np.round(lab)) | (lab < BACKGROUND))
        if bad.size:
            raise ValueError(
                f"{where}: label {lab[bad[0]]:g} is neither -1 (background) nor a class index"
            )
        if n_classes is not None:
            bad = np.flatnonzero(lab >= n_classes)
            if bad.size:
                raise ValueError(
                    f"{where}: label {lab[bad[0]]:g} is out of range (n_classes={n_classes})"
                )
        if labels is not None:
            action = lab != BACKGROUND
            cls = lab[action].astype(np.intp)
            bad = np.flatnonzero(labels[i, cls] != 1)
            if bad.size:
                j = np.flatnonzero(action)[bad[0]]
                raise ValueError(
                    f"{where}: action click at {pos[j]} has class {int(lab[j])}, but video {i} "
                    f"is not labelled with class {int(lab[j])}"
                )
        out.append(np.array(arr, dtype=np.float64, copy=True))
    return out


def check_param(name, value, *, kind="default", low=None, high=None,
                include_low=True, include_high=True, options=None, allow_none=False):
    """Validate one estimator parameter (call it from ``fit``, not ``__init__``).

    Parameters
    ----------
    name : str
        Parameter name for the message.
    value : object
        The value to check.
    kind : type or tuple of types or None, default=(numbers.Real,) or None
        Accepted types; ``None`` when only ``options`` are valid, which is the default
        when ``options`` is given (``(numbers.Real,)`` otherwise).  Booleans are rejected
        unless ``bool`` is listed; NaN is always rejected.
    low, high : float, default=None
        Bounds for numeric values.
    include_low, include_high : bool, default=True
        Whether the bounds themselves are allowed.
    options : collection, default=None
        Extra accepted values (e.g. strings like ``"auto"``), compared with ``==``.
    allow_none : bool, default=False
        Whether ``None`` is accepted.

    Returns
    -------
    value : object
        ``value`` unchanged.

    Raises
    ------
    TypeError
        ``value`` has none of the accepted types (and there are no ``options``).
    ValueError
        ``value`` is out of bounds, NaN, or not among ``options``.

    Examples
    --------
    >>> import numbers
    >>> from sktal.utils import check_param
    >>> check_param("lr", 1e-3, low=0, include_low=False)
    0.001
    >>> check_param("nms", "soft", kind=None, options=("hard", "soft"))
    'soft'
    >>> check_param("max_epochs", 0, kind=(numbers.Integral,), low=1)
    Traceback (most recent call last):
    ...
    ValueError: max_epochs must be >= 1, got 0
    """
    if isinstance(kind, str) and kind == "default":
        kind = (numbers.Real,) if options is None else None
    if value is None and allow_none:
        return value
    if options is not None and any(_same_option(option, value) for option in options):
        return value
    if kind is None:
        allowed = ", ".join(repr(o) for o in options or ())
        extra = ", or None" if allow_none else ""
        raise ValueError(f"{name} must be one of {allowed}{extra}; got {value!r}")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    is_bool = isinstance(value, (bool, np.bool_))
    if not isinstance(value, kinds) or (is_bool and bool not in kinds and np.bool_ not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        if options:
            names += " or one of " + ", ".join(repr(o) for o in options)
        if allow_none:
            names += " or None"
        error = ValueError if options else TypeError
        raise error(f"{name} must be {names}, got {value!r} ({type(value).__name__})")
    if isinstance(value, numbers.Real) and not is_bool:
        if value != value:
            raise ValueError(f"{name} must not be NaN")
        if low is not None and (value < low or (value == low and not include_low)):
            op = ">=" if include_low else ">"
            raise ValueError(f"{name} must be {op} {low}, got {value!r}")
        if high is not None and (value > high or (value == high and not include_high)):
            op = "<=" if include_high else "<"
            raise ValueError(f"{name} must be {op} {high}, got {value!r}")
    return value


def _same_option(option, value):
    """``option == value`` without ``True == 1`` or array comparisons."""
    if isinstance(option, str) or isinstance(value, str):
        return isinstance(option, str) and isinstance(value, str) and option == value
    if isinstance(option, (bool, np.bool_)) != isinstance(value, (bool, np.bool_)):
        return False
    try:
        return bool(option == value)
    except (TypeError, ValueError):
        return False

