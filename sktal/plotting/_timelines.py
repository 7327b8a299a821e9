"""Plots along the time axis of videos: class activation sequences and detections."""
import numpy as np

from ._base import class_color, class_name, get_axes, per_video, rows, time_scale

_LANE = 0.15  # height of one lane under a CAS plot, as a fraction of the CAS range


def _bars(ax, y, segments, scale, height, *, score_alpha=False, **kwargs):
    """One horizontal bar per row ``[start, end, class, (score)]``, coloured by class."""
    if segments is None or len(segments) == 0:
        return None
    starts, ends, labels = segments[:, 0], segments[:, 1], segments[:, 2].astype(int)
    colors = [class_color(c) for c in labels]
    if score_alpha:
        scores = segments[:, 3]
        top = scores.max() if scores.max() > 0 else 1.0
        alphas = 0.25 + 0.75 * np.clip(scores / top, 0, 1)
        colors = [(r, g, b, a) for (r, g, b, _), a in zip(colors, alphas)]
    return ax.barh(
        np.full(len(segments), y),
        (ends - starts) * scale,
        left=starts * scale,
        height=height,
        color=colors,
        edgecolor="none",
        **kwargs,
    )


def _top_detections(detections, max_detections, min_score):
    if detections is None:
        return None
    keep = np.argsort(-detections[:, 3], kind="stable")
    if min_score is not None:
        keep = keep[detections[keep, 3] >= min_score]
    if max_detections is not None:
        keep = keep[: int(max_detections)]
    return detections[keep]


def plot_cas(cas, segments=None, clicks=None, detections=None, class_names=None, ax=None,
             *, classes=None, max_detections=None, min_score=None,
             seconds_per_step=None, legend=True):
    """Plot a video's class activation sequence with its annotations underneath.

    One step line per class: the score of snippet ``t`` is drawn over ``[t, t + 1)``.
    Under the curves, one lane each (when given) for the ground-truth segments, the
    detections (opacity growing with the score) and the clicks (background clicks as
    black crosses, action clicks as triangles in the class colour, at the centre of
    their snippet). A class has the same colour everywhere.

    Parameters
    ----------
    cas : array-like of shape (T, n_classes) or (T,)
        Snippet scores of one video, e.g. one entry of ``predict_cas(X)``.
    segments : array-like of shape (m, 3), default=None
        Ground-truth ``[start, end, class]`` rows of the video, in timesteps.
    clicks : array-like of shape (k, 2), default=None
        ``[t, label]`` clicks of the video; ``label`` -1 is a background click.
    detections : array-like of shape (k, 4), default=None
        ``[start, end, class, score]`` rows, e.g. one entry of ``predict(X)``.
    class_names : sequence of str, default=None
        Names for the legend; ``"class c"`` when not given.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    classes : sequence of int, default=None
        Classes whose CAS is drawn. ``None``: the classes that appear in
        ``segments``, ``detections`` or action clicks, or every class when none does.
    max_detections : int, default=None
        Draw only the highest-scored detections.
    min_score : float, default=None
        Draw only detections scoring at least this much.
    seconds_per_step : float, default=None
        Duration of one timestep; the time axis is in seconds when given, in
        snippets otherwise.
    legend : bool, default=True
        Whether to add a legend.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: ``ax.lines`` holds one line per drawn class.

    See Also
    --------
    plot_detections : Detections against ground truth for several videos.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.plotting import plot_cas
    >>> cas = np.zeros((40, 2))
    >>> cas[10:20, 0] = 0.9
    >>> segments = np.array([[10.0, 20.0, 0]])
    >>> clicks = np.array([[3.0, -1], [15.0, 0]])
    >>> ax = plot_cas(cas, segments, clicks, class_names=["jump", "run"])
    >>> len(ax.lines)
    1
    """
    cas = np.asarray(cas, dtype=np.float64)
    if cas.ndim == 1:
        cas = cas[:, None]
    if cas.ndim != 2 or cas.shape[0] == 0:
        raise ValueError(f"cas: expected an array of shape (T, n_classes), got {cas.shape}")
    segments = rows(segments, 3, "segments")
    clicks = rows(clicks, 2, "clicks")
    detections = _top_detections(rows(detections, 4, "detections"), max_detections, min_score)
    scale, xlabel = time_scale(seconds_per_step)
    n_steps, n_classes = cas.shape

    if classes is None:
        shown = set()
        for arr, col in ((segments, 2), (detections, 2), (clicks, 1)):
            if arr is not None:
                shown.update(int(c) for c in arr[:, col] if 0 <= c < n_classes)
        classes = sorted(shown) or list(range(n_classes))
    classes = [int(c) for c in classes]
    for c in classes:
        if not 0 <= c < n_classes:
            raise ValueError(f"classes: {c} is not a column of cas ({n_classes} classes)")

    ax = get_axes(ax, (9, 3.5))
    edges = np.arange(n_steps + 1) * scale
    for c in classes:
        ax.plot(
            edges,
            np.r_[cas[:, c], cas[-1, c]],
            drawstyle="steps-post",
            color=class_color(c),
            label=class_name(c, class_names),
        )

    top = max(1.0, float(np.nanmax(cas[:, classes])) if classes else 1.0)
    lane = _LANE * top
    ticks, labels = [], []
    y = 0.0
    for name, arr in (("truth", segments), ("detections", detections), ("clicks", clicks)):
        if arr is None:
            continue
        y -= lane
        ticks.append(y)
        labels.append(name)
        if name == "truth":
            _bars(ax, y, arr, scale, 0.7 * lane)
        elif name == "detections":
            _bars(ax, y, arr, scale, 0.7 * lane, score_alpha=True)
        else:
            centre = (arr[:, 0] + 0.5) * scale
            background = arr[:, 1] < 0
            if background.any():
                ax.scatter(centre[background], np.full(background.sum(), y), marker="x",
                           color="black", label="background click", zorder=3)
            if (~background).any():
                ax.scatter(centre[~background], np.full((~background).sum(), y),
                           marker="v", color=[class_color(c) for c in arr[~background, 1]],
                           edgecolor="black", linewidths=0.5, label="action click", zorder=3)
    ax.set_xlim(0, n_steps * scale)
    ax.set_ylim(y - lane, top * 1.05)
    ax.set_yticks(ticks + [0.0, top / 2, top])
    ax.set_yticklabels(labels + ["0", f"{top / 2:g}", f"{top:g}"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("score")
    if legend:
        ax.legend(loc="upper right", fontsize="small", ncol=2)
    return ax


def plot_detections(detections, segments=None, class_names=None, ax=None, *,
                    video_names=None, max_detections=None, min_score=None,
                    seconds_per_step=None, legend=True):
    """Plot detection timelines against the ground truth, one row per video.

    Each video gets two lanes: its ground-truth segments on top and its detections
    below, bars coloured by class, the detections' opacity growing with their score.

    Parameters
    ----------
    detections : array-like of shape (k, 4) or sequence of them
        ``[start, end, class, score]`` rows of one video, or one array per video
        (the output of ``predict``).
    segments : array-like of shape (m, 3) or sequence of them, default=None
        Ground truth ``[start, end, class]`` in the same layout as ``detections``.
    class_names : sequence of str, default=None
        Names for the legend; ``"class c"`` when not given.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    video_names : sequence of str, default=None
        Labels of the rows; ``"video i"`` when not given.
    max_detections : int, default=None
        Per video, draw only the highest-scored detections.
    min_score : float, default=None
        Draw only detections scoring at least this much.
    seconds_per_step : float, default=None
        Duration of one timestep; the time axis is in seconds when given.
    legend : bool, default=True
        Whether to add a legend of the classes.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: ``ax.patches`` holds one bar per drawn segment.

    See Also
    --------
    plot_cas : One video's scores over time with its annotations.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.plotting import plot_detections
    >>> truth = [np.array([[10.0, 20.0, 0]]), np.array([[5.0, 8.0, 1]])]
    >>> dets = [np.array([[11.0, 19.0, 0, 0.9]]), np.zeros((0, 4))]
    >>> ax = plot_detections(dets, truth)
    >>> len(ax.patches)
    3
    """
    detections = per_video(detections, 4, "detections")
    if segments is not None:
        segments = per_video(segments, 3, "segments")
        if len(segments) != len(detections):
            raise ValueError(
                f"detections has {len(detections)} videos but segments has {len(segments)}"
            )
    if video_names is not None and len(video_names) != len(detections):
        raise ValueError(
            f"video_names has {len(video_names)} entries for {len(detections)} videos"
        )
    scale, xlabel = time_scale(seconds_per_step)
    ax = get_axes(ax, (9, 1.0 + 0.8 * len(detections)))

    ticks, labels, seen, right = [], [], set(), 0.0
    for i, dets in enumerate(detections):
        name = video_names[i] if video_names is not None else f"video {i}"
        dets = _top_detections(dets, max_detections, min_score)
        y = -float(i)
        truth = segments[i] if segments is not None else None
        if truth is not None:
            _bars(ax, y + 0.2, truth, scale, 0.35)
            ticks.append(y + 0.2)
            labels.append(f"{name} truth")
            seen.update(truth[:, 2].astype(int))
            right = max(right, truth[:, 1].max(initial=0.0))
        _bars(ax, y - 0.2, dets, scale, 0.35, score_alpha=True)
        ticks.append(y - 0.2)
        labels.append(f"{name} detections")
        seen.update(dets[:, 2].astype(int))
        right = max(right, dets[:, 1].max(initial=0.0))
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels)
    ax.set_ylim(-len(detections) + 0.5, 0.5)
    ax.set_xlim(0, max(right, 1.0) * scale)
    ax.set_xlabel(xlabel)
    if legend and seen:
        from matplotlib.patches import Patch

        ax.legend(
            handles=[
                Patch(color=class_color(c), label=class_name(c, class_names))
                for c in sorted(seen)
            ],
            loc="upper right",
            fontsize="small",
        )
    return ax
