"""Class-wise hard and Gaussian soft non-maximum suppression of 1-D detections."""
import numbers

import numpy as np

from ..utils.validation import check_rows

__all__ = ["non_maximum_suppression", "soft_nms"]


def _check_detections(detections, name="detections"):
    """Return ``detections`` as a float64 ``(k, 4)`` copy, or raise ``ValueError``."""
    return check_rows(detections, 4, name, layout="[start, end, class, score]")


def _check_fraction(value, name, *, low=0.0, high=1.0):
    if not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _iou_with(start, end, starts, ends):
    """Temporal IoU of the segment ``[start, end)`` with each of ``[starts, ends)``.

    Pairs whose union is empty (two zero-length segments) get IoU 0.
    """
    intersection = np.minimum(end, ends) - np.maximum(start, starts)
    np.maximum(intersection, 0.0, out=intersection)
    union = (end - start) + (ends - starts) - intersection
    return np.divide(
        intersection, union, out=np.zeros_like(intersection), where=union > 0
    )


def _by_descending_score(detections):
    """Rows sorted by descending score; ties keep their input order."""
    return detections[np.argsort(-detections[:, 3], kind="stable")]


def non_maximum_suppression(detections, iou_threshold):
    """Class-wise greedy non-maximum suppression.

    Detections are visited by descending score; each one that survives removes every
    later detection *of the same class* whose temporal IoU with it is at least
    `iou_threshold`. Detections of different classes never suppress each other.

    Parameters
    ----------
    detections : array-like of shape (k, 4)
        Rows ``[start, end, class, score]``.
    iou_threshold : float in [0, 1]
        A detection is removed when its IoU with a kept, higher-scoring detection of
        the same class is ``>= iou_threshold`` (BaS-Net and LACP use 0.7, BackTAL 0.55).

    Returns
    -------
    kept : ndarray of shape (m, 4), float64
        The surviving rows, by descending score; equal scores keep their input order.

    Notes
    -----
    Matches the ``nms`` function of the BaS-Net / BackTAL / LACP code (greedy, keep a
    candidate when its IoU with the current box is ``< threshold``) with two deliberate
    differences:

    * the IoU is the plain continuous one, ``|A ∩ B| / |A ∪ B|``. The reference code
      adds 1 to every length and intersection (a pixel-box convention) while working in
      seconds, which makes the result depend on the time unit;
    * ties in score are broken by input order (stable sort); the reference code's
      ``argsort()[::-1]`` breaks them in an unspecified order.

    The loop runs once per *kept* detection, class by class; the IoU with all remaining
    candidates of the class is computed at once.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.postprocessing import non_maximum_suppression
    >>> detections = np.array([[0.0, 10.0, 0, 0.9],
    ...                        [1.0, 10.0, 0, 0.8],    # IoU 0.9 with the first: removed
    ...                        [1.0, 10.0, 1, 0.7],    # other class: kept
    ...                        [20.0, 30.0, 0, 0.6]])  # no overlap: kept
    >>> non_maximum_suppression(detections, 0.7)
    array([[ 0. , 10. ,  0. ,  0.9],
           [ 1. , 10. ,  1. ,  0.7],
           [20. , 30. ,  0. ,  0.6]])
    """
    detections = _by_descending_score(_check_detections(detections))
    iou_threshold = _check_fraction(iou_threshold, "iou_threshold")

    kept = []
    for label in np.unique(detections[:, 2]):
        remaining = np.flatnonzero(detections[:, 2] == label)   # by descending score
        starts, ends = detections[remaining, 0], detections[remaining, 1]
        while remaining.size:
            kept.append(remaining[0])
            iou = _iou_with(starts[0], ends[0], starts[1:], ends[1:])
            survives = np.flatnonzero(iou < iou_threshold) + 1
            remaining, starts, ends = remaining[survives], starts[survives], ends[survives]
    # indices into the score-sorted array: sorting them restores the score order
    return detections[np.sort(np.asarray(kept, dtype=np.intp))]


def soft_nms(detections, sigma=0.5, *, score_threshold=None, max_detections=None):
    """Class-wise Gaussian soft non-maximum suppression (Bodla et al., 2017).

    Repeatedly takes the remaining detection with the highest (current) score, keeps
    it, and decays the score of every remaining detection of the same class by the
    Gaussian weight ``w = exp(-iou ** 2 / sigma)`` of their temporal IoU.

    Parameters
    ----------
    detections : array-like of shape (k, 4)
        Rows ``[start, end, class, score]``.
    sigma : float > 0, default=0.5
        Width σ of the Gaussian penalty; smaller values suppress harder.
    score_threshold : float or None, default=None
        Detections whose score is, or decays to, below this value are dropped (and no
        longer decay others). ``None`` keeps every detection.
    max_detections : int or None, default=None
        Stop after this many detections have been kept.

    Returns
    -------
    kept : ndarray of shape (m, 4), float64
        The kept rows with their decayed scores, by descending score; equal scores keep
        their input order.

    Notes
    -----
    The decay is ``score - (1 - w) * |score|``: the usual ``score * w`` for positive
    scores, and for negative scores (outer-inner contrast scores can be negative) a
    move *away* from zero, so that overlap always lowers a score. None of the
    BaS-Net / BackTAL / LACP reference implementations uses soft-NMS; this is the
    standard algorithm, offered as an alternative to :func:`non_maximum_suppression`.
    The loop runs once per kept detection (quadratic in the number of detections).

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.postprocessing import soft_nms
    >>> detections = np.array([[0.0, 10.0, 0, 0.9],
    ...                        [5.0, 15.0, 0, 0.8],    # IoU 1/3 with the first
    ...                        [5.0, 15.0, 1, 0.7]])   # other class: not decayed
    >>> kept = soft_nms(detections, sigma=0.5)
    >>> kept[:, 3].round(4)
    array([0.9   , 0.7   , 0.6406])
    """
    detections = _by_descending_score(_check_detections(detections))
    if not isinstance(sigma, numbers.Real) or not sigma > 0:
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")
    if score_threshold is not None and not isinstance(score_threshold, numbers.Real):
        raise ValueError(f"score_threshold must be a number or None, got {score_threshold!r}")
    max_detections = _check_max_detections(max_detections)

    starts, ends, classes = detections[:, 0], detections[:, 1], detections[:, 2]
    scores = detections[:, 3].copy()
    active = np.ones(len(detections), dtype=bool)
    if score_threshold is not None:
        active &= scores >= score_threshold

    kept = []
    limit = len(detections) if max_detections is None else max_detections
    while active.any() and len(kept) < limit:
        # the first maximum in the (stably sorted) array: ties keep input order
        best = int(np.argmax(np.where(active, scores, -np.inf)))
        kept.append(best)
        active[best] = False
        others = np.flatnonzero(active & (classes == classes[best]))
        iou = _iou_with(starts[best], ends[best], starts[others], ends[others])
        weight = np.exp(-(iou**2) / sigma)
        scores[others] -= (1.0 - weight) * np.abs(scores[others])
        if score_threshold is not None:
            active[others] &= scores[others] >= score_threshold

    kept = np.asarray(kept, dtype=np.intp)
    result = detections[kept]
    result[:, 3] = scores[kept]
    return result


def _check_max_detections(max_detections):
    if max_detections is None:
        return None
    if (
        isinstance(max_detections, bool)
        or not isinstance(max_detections, numbers.Integral)
        or max_detections < 0
    ):
        raise ValueError(
            f"max_detections must be a non-negative integer or None, got {max_detections!r}"
        )
    return int(max_detections)
