"""The mAP report: the table papers print, and the same numbers as plain data."""
import numpy as np

#: averages reported when the thresholds include both ends (THUMOS14 and ActivityNet
#: papers' columns)
NAMED_RANGES = ((0.1, 0.5), (0.3, 0.7), (0.1, 0.7), (0.5, 0.95))


def map_averages(tiou_thresholds, mAP):
    """The usual averages of an mAP curve: the named ranges found, then all thresholds.

    Parameters
    ----------
    tiou_thresholds : array-like of shape (n_thresholds,)
    mAP : array-like of shape (n_thresholds,)

    Returns
    -------
    list of (str, float)
        ``('0.1:0.5', value)``, ``('0.3:0.7', ...)``, ``('0.1:0.7', ...)`` or
        ``('0.5:0.95', ...)`` when both ends and more than one threshold are present,
        then the mean over every threshold when that is not one of them already.

    Examples
    --------
    >>> from sktal.metrics import map_averages
    >>> [(label, round(value, 3)) for label, value in
    ...  map_averages([0.1, 0.3, 0.5], [0.6, 0.4, 0.2])]
    [('0.1:0.5', 0.4)]
    >>> [(label, round(value, 3)) for label, value in map_averages([0.3, 0.5], [0.4, 0.2])]
    [('0.3:0.5', 0.3)]
    """
    thresholds, mAP = np.asarray(tiou_thresholds, dtype=float), np.asarray(mAP, dtype=float)
    out, seen = [], set()
    for low, high in NAMED_RANGES:
        inside = (thresholds >= low - 1e-9) & (thresholds <= high + 1e-9)
        if (np.isclose(thresholds, low).any() and np.isclose(thresholds, high).any()
                and inside.sum() > 1):
            out.append((f"{low:g}:{high:g}", float(mAP[inside].mean())))
            seen.add(tuple(np.flatnonzero(inside)))
    if len(thresholds) > 1 and tuple(range(len(thresholds))) not in seen:
        out.append((f"{thresholds.min():g}:{thresholds.max():g}", float(mAP.mean())))
    return out


def _class_names(result):
    names = getattr(result, "class_names", None)
    if names is None:
        names = getattr(result, "classes", None)
    if names is None:
        names = range(np.asarray(result.ap).shape[1])
    return [str(name) for name in names]


def format_map_table(result, *, per_class=False):
    """The mAP per threshold and its averages as text, in percent with two decimals.

    Parameters
    ----------
    result : Bunch
        What :func:`detection_map` or :func:`evaluate_activitynet_json` returns
        (``tiou_thresholds``, ``mAP``, ``ap`` and ``class_names`` or ``classes``).
    per_class : bool, default=False
        Add the AP of every class at every threshold.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.metrics import detection_map, format_map_table
    >>> result = detection_map([np.array([[0.0, 10.0, 0]])],
    ...                        [np.array([[0.0, 9.0, 0, 0.8]])], [0.5, 0.95])
    >>> print(format_map_table(result, per_class=True))
    tIoU        mAP (%)
    0.5          100.00
    0.95           0.00
    average
      0.5:0.95    50.00
    <BLANKLINE>
    AP (%)     0.5   0.95
    0        100.00   0.00
    """
    thresholds, mAP = np.asarray(result.tiou_thresholds), np.asarray(result.mAP)
    lines = [f"{'tIoU':<10}{'mAP (%)':>9}"]
    for t, m in zip(thresholds, mAP):
        lines.append(f"{t:<10g}{100 * m:>9.2f}")
    averages = map_averages(thresholds, mAP)
    if averages:
        lines.append("average")
        lines.extend(f"  {label:<8}{100 * value:>9.2f}" for label, value in averages)
    if per_class:
        ap, names = np.asarray(result.ap), _class_names(result)
        width = max([5] + [len(name) for name in names]) + 2
        lines.append("")
        lines.append(f"{'AP (%)':<{width}}" + "".join(f"{t:>7g}" for t in thresholds))
        for c, name in enumerate(names):
            lines.append(f"{name:<{width}}" + "".join(f"{100 * v:>7.2f}" for v in ap[:, c]))
    return "\n".join(lines)


def map_summary(result, *, per_class=True):
    """The numbers of :func:`format_map_table` as raw fractions, ready for JSON.

    Parameters
    ----------
    result : Bunch
        As for :func:`format_map_table`.
    per_class : bool, default=True
        Include ``'ap'``: class name -> AP at each threshold.

    Returns
    -------
    dict
        ``tiou_thresholds``, ``mAP``, ``average_mAP``, ``averages`` (label -> value,
        from :func:`map_averages`) and ``ap``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.metrics import detection_map, map_summary
    >>> result = detection_map([np.array([[0.0, 10.0, 0]])],
    ...                        [np.array([[0.0, 9.0, 0, 0.8]])], [0.5, 0.95])
    >>> map_summary(result)
    {'tiou_thresholds': [0.5, 0.95], 'mAP': [1.0, 0.0], 'average_mAP': 0.5, \
'averages': {'0.5:0.95': 0.5}, 'ap': {'0': [1.0, 0.0]}}
    """
    thresholds, mAP = np.asarray(result.tiou_thresholds), np.asarray(result.mAP)
    out = {
        "tiou_thresholds": [float(t) for t in thresholds],
        "mAP": [float(m) for m in mAP],
        "average_mAP": float(np.mean(mAP)),
        "averages": dict(map_averages(thresholds, mAP)),
    }
    if per_class:
        ap = np.asarray(result.ap)
        out["ap"] = {name: [float(v) for v in ap[:, c]]
                     for c, name in enumerate(_class_names(result))}
    return out
