"""Plots of evaluation results: precision/recall curves and DETAD's error profile."""
import numbers

import numpy as np

from ._base import class_color, class_name, get_axes

#: Colours of the error categories, in ``sktal.inspection.ERROR_CATEGORIES`` order.
_CATEGORY_COLORS = ("#2ca02c", "#9467bd", "#d62728", "#ff7f0e", "#8c564b", "#7f7f7f")
_CATEGORY_LABELS = (
    "true positive",
    "double detection",
    "wrong label",
    "localization",
    "confusion",
    "background",
)


def plot_precision_recall(segments_true, detections, class_index=None, tiou_threshold=0.5,
                          *, class_names=None, interpolated=True, ax=None, legend=True):
    """Plot the precision/recall curve of each class at one tIoU threshold.

    Detections are matched to the ground truth exactly as in
    :func:`sktal.metrics.detection_map` (see
    :func:`sktal.metrics.detection_precision_recall`); the legend gives each class's
    average precision, the area under its interpolated curve.

    Parameters
    ----------
    segments_true : sequence of array-like of shape (m_i, 3)
        Ground truth per video, rows ``[start, end, class]``.
    detections : sequence of array-like of shape (k_i, 4)
        Detections per video, rows ``[start, end, class, score]``.
    class_index : int or sequence of int, default=None
        Class(es) to draw; ``None`` draws every class with ground truth.
    tiou_threshold : float, default=0.5
        tIoU a detection needs to match a ground truth.
    class_names : sequence of str, default=None
        Names for the legend; ``"class c"`` when not given.
    interpolated : bool, default=True
        Draw the precision envelope (at each recall, the best precision at that
        recall or beyond: the curve the AP integrates) instead of the raw precision.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    legend : bool, default=True
        Whether to add a legend.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: ``ax.lines`` holds one curve per class.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.plotting import plot_precision_recall
    >>> truth = [np.array([[0.0, 10.0, 0], [20.0, 30.0, 1]])]
    >>> dets = [np.array([[0.0, 9.0, 0, 0.9], [22.0, 30.0, 1, 0.8],
    ...                   [50.0, 60.0, 0, 0.3]])]
    >>> ax = plot_precision_recall(truth, dets)
    >>> len(ax.lines)
    2
    """
    from ..metrics import detection_precision_recall

    pr = detection_precision_recall(segments_true, detections, tiou_threshold)
    if class_index is None:
        selected = list(range(len(pr.classes)))
    else:
        wanted = [class_index] if isinstance(class_index, numbers.Integral) else class_index
        selected = []
        for c in wanted:
            position = np.flatnonzero(pr.classes == int(c))
            if position.size == 0:
                raise ValueError(
                    f"class_index: class {c} has no ground truth; classes with ground "
                    f"truth are {pr.classes.tolist()}"
                )
            selected.append(int(position[0]))

    ax = get_axes(ax, (5, 4.5))
    for k in selected:
        c = pr.classes[k]
        recall = np.r_[0.0, pr.recall[k]]
        precision = np.r_[1.0 if len(pr.precision[k]) else 0.0, pr.precision[k]]
        if interpolated:
            precision = np.maximum.accumulate(precision[::-1])[::-1]
        ax.plot(
            recall,
            precision,
            drawstyle="steps-post" if interpolated else "default",
            color=class_color(c),
            label=f"{class_name(c, class_names)} (AP {pr.ap[k]:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"tIoU {pr.tiou_threshold:g}")
    if legend and selected:
        ax.legend(loc="lower left", fontsize="small")
    return ax


def plot_error_analysis(segments_true, detections, tiou_threshold=0.5, *,
                        top_k_factors=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), min_tiou=0.1,
                        ax=None, legend=True):
    """Plot DETAD's false-positive profile: what the top detections are.

    For each factor ``f`` in ``top_k_factors``, one stacked bar splits the top
    ``f · G_c`` detections of every class ``c`` (``G_c`` its ground-truth instances)
    into true positives and the five error types of
    :func:`sktal.inspection.error_analysis`, in percent. A good detector is
    mostly true positives in the first bar (1G), and its errors shift from
    localization and double detections to background errors further down.

    Parameters
    ----------
    segments_true : sequence of array-like of shape (m_i, 3)
        Ground truth per video, rows ``[start, end, class]``.
    detections : sequence of array-like of shape (k_i, 4)
        Detections per video, rows ``[start, end, class, score]``.
    tiou_threshold : float, default=0.5
        α, the tIoU a true positive needs.
    top_k_factors : sequence of float, default=(1, 2, ..., 10)
        The factors ``f``, one bar each (DETAD: 1G to 10G).
    min_tiou : float, default=0.1
        tIoU below which a detection is a background error.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    legend : bool, default=True
        Whether to add a legend of the categories.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: ``ax.patches`` holds ``6 · len(top_k_factors)`` bars.

    See Also
    --------
    sktal.inspection.error_analysis : The counts and shares for one factor.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.plotting import plot_error_analysis
    >>> truth = [np.array([[10.0, 20.0, 0]])]
    >>> dets = [np.array([[10.0, 20.0, 0, 0.9], [60.0, 70.0, 0, 0.5]])]
    >>> ax = plot_error_analysis(truth, dets, top_k_factors=(1, 2))
    >>> len(ax.patches)
    12
    """
    from ..inspection._error_analysis import ERROR_CATEGORIES, _limits, _tally
    from ..inspection._error_analysis import classify_detections

    factors = list(top_k_factors)
    if not factors:
        raise ValueError("top_k_factors must hold at least one factor")
    classified = classify_detections(
        segments_true, detections, tiou_threshold, min_tiou=min_tiou
    )
    shares = np.zeros((len(factors), len(ERROR_CATEGORIES)))
    for i, factor in enumerate(factors):
        limits = _limits(classified.n_ground_truth, None, factor)
        counts = _tally(classified, classified.detections, limits)[0].sum(axis=0)
        if counts.sum():
            shares[i] = 100.0 * counts / counts.sum()

    ax = get_axes(ax, (6, 4))
    x = np.arange(len(factors))
    bottom = np.zeros(len(factors))
    for j, label in enumerate(_CATEGORY_LABELS):
        ax.bar(x, shares[:, j], bottom=bottom, color=_CATEGORY_COLORS[j], label=label,
               width=0.8)
        bottom += shares[:, j]
    ax.set_xticks(x)
    ax.set_xticklabels([f"{f:g}G" for f in factors])
    ax.set_xlabel("top-scored detections per class (G = ground-truth instances)")
    ax.set_ylabel("share of detections (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"tIoU {float(tiou_threshold):g}")
    if legend:
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    return ax
