"""Class activation sequence -> scored segments (multi-threshold grouping + OIC + NMS).

This is the post-processing shared by BaS-Net, BackTAL and LACP, vectorised: the runs
of every class and threshold are found at once from the changes of one boolean mask,
and the outer-inner contrast of every run comes from cumulative sums.
"""
import numbers

import numpy as np

from ._nms import (
    _check_fraction,
    _check_max_detections,
    non_maximum_suppression,
    soft_nms,
)

__all__ = ["cas_to_detections"]


def _minmax_normalize(cas):
    """Min-max normalise each column of ``cas`` over time, extremes clipped at 0.

    ``(cas - relu(min)) / (relu(max) - relu(min))``, a non-positive range becoming 1.
    The result is *not* clipped: when the minimum is negative the normalised
    sequence keeps its negative values (as in the BaS-Net and BackTAL code). The
    arithmetic stays in the input's floating dtype (the reference code does it on
    float32 tensors).
    """
    max_value = np.maximum(cas.max(axis=0), 0)
    min_value = np.maximum(cas.min(axis=0), 0)
    delta = max_value - min_value
    delta[delta <= 0] = 1
    return (cas - min_value) / delta


def _upsample(values, scale):
    """Linear up-sampling of ``values`` (..., T) on the grid ``arange(0, T, 1 / scale)``.

    Reproduces ``scipy.interpolate.interp1d(arange(T), values, kind="linear", axis=-1,
    fill_value="extrapolate")`` evaluated on that grid bit for bit (same bracketing
    snippets, same operation order, same dtype promotion), so the last ``scale - 1``
    points are extrapolated from the slope between the last two snippets. Returns a
    float64 array of shape ``(..., len(grid))``; a single snippet (``T == 1``, where
    ``interp1d`` refuses) is repeated.
    """
    n_steps = values.shape[-1]
    grid = np.arange(0, n_steps, 1 / scale)
    if n_steps == 1:
        return np.repeat(values.astype(np.float64), len(grid), axis=-1)
    # interp1d brackets x by searchsorted(arange(T), x) clipped to [1, T - 1], which is
    # ceil(x) for x >= 0: point x uses snippets lower and lower + 1
    lower = np.ceil(grid).astype(np.intp).clip(1, n_steps - 1) - 1
    slope = np.take(np.diff(values, axis=-1), lower, axis=-1).astype(np.float64)
    return slope * (grid - lower) + np.take(values, lower, axis=-1)


def _find_runs(mask):
    """Maximal runs of True along the last axis of a 2-D boolean ``mask``.

    Returns ``(rows, starts, ends)``, ``ends`` exclusive, in row-major order (by row,
    then by position).
    """
    n_rows, length = mask.shape
    # one False on each side of every row, then one pass over the flattened array:
    # the changes alternate start, end, start, end... and never straddle two rows
    width = length + 2
    padded = np.zeros((n_rows, width), dtype=bool)
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    rows, starts = np.divmod(changes[0::2], width)
    ends = changes[1::2] - rows * width
    return rows, starts - 1, ends - 1


def _outer_inner_contrast(cumulative, rows, starts, ends, outer_ratio):
    """Outer-inner contrast ``mean(inner) - mean(outer)`` of runs ``[starts, ends)``.

    ``cumulative`` has shape ``(R, N + 1)``: row ``r`` is ``[0, cumsum(values_r)]`` and
    run ``i`` is measured on row ``rows[i]``. The outer region is the concatenation of
    ``[floor(start - λ·len), start)`` and ``[end, floor(last + λ·len) + 1)``, both
    clipped to ``[0, N)``, with ``last = end - 1`` and λ = `outer_ratio` (the float
    arithmetic of the reference code: on the left this is ``ceil(λ·len)`` snippets, on
    the right ``floor(λ·len)``). An empty outer region has mean 0.
    """
    n_points = cumulative.shape[1] - 1
    length = ends - starts
    margin = outer_ratio * length
    left = np.maximum(np.floor(starts - margin), 0).astype(np.intp)
    right = np.minimum(np.floor((ends - 1) + margin), n_points - 1).astype(np.intp) + 1

    def total(lo, hi):
        return cumulative[rows, hi] - cumulative[rows, lo]

    inner = total(starts, ends) / length
    n_outer = (starts - left) + (right - ends)
    outer_sum = total(left, starts) + total(ends, right)
    outer = np.divide(
        outer_sum, n_outer, out=np.zeros_like(outer_sum), where=n_outer > 0
    )
    return inner - outer


def _cumulative(values):
    """``[0, cumsum(values)]`` along the last axis (2-D in, 2-D out)."""
    out = np.zeros(values.shape[:-1] + (values.shape[-1] + 1,), dtype=np.float64)
    np.cumsum(values, axis=-1, out=out[..., 1:])
    return out


def _threshold_proposals(upsampled, thresholds, outer_ratio):
    """Runs of ``upsampled >= θ`` (and ``> 0``) for every class row and threshold.

    Returns ``(class_rows, starts, ends, contrast)``, ordered by class, threshold, then
    position; the contrast is measured on the CAS with values ``< θ`` set to 0.
    """
    n_points = upsampled.shape[1]
    # rows of `zeroed` are the (class, θ) pairs
    zeroed = np.where(upsampled[:, None, :] < thresholds[:, None], 0.0,
                      upsampled[:, None, :]).reshape(-1, n_points)
    rows, starts, ends = _find_runs(zeroed > 0)
    contrast = _outer_inner_contrast(_cumulative(zeroed), rows, starts, ends, outer_ratio)
    return rows // max(len(thresholds), 1), starts, ends, contrast


def _agnostic_proposals(upsampled, agnostic, thresholds, outer_ratio):
    """Runs of ``agnostic >= θ`` (and ``> 0``), proposed for every class row.

    Returns ``(class_rows, starts, ends, contrast)``, ordered by class, threshold, then
    position; the contrast is measured on each class's CAS as it is (no zeroing).
    """
    n_classes = upsampled.shape[0]
    zeroed = np.where(agnostic < thresholds[:, None], 0.0, agnostic)
    _, starts, ends = _find_runs(zeroed > 0)
    class_rows = np.repeat(np.arange(n_classes), len(starts))
    starts, ends = np.tile(starts, n_classes), np.tile(ends, n_classes)
    contrast = _outer_inner_contrast(_cumulative(upsampled), class_rows, starts, ends,
                                     outer_ratio)
    return class_rows, starts, ends, contrast


def _finite(values, name):
    """``values`` as float32 or float64 (other dtypes become float64), all finite."""
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return values


def _check_thresholds(thresholds, name):
    return _finite(np.asarray(thresholds, dtype=np.float64).reshape(-1), name)


def _check_matching(values, shape, shape_name, name):
    """Scores of one row per class or per step of ``cas``: ``shape``, finite."""
    values = np.asarray(values)
    if values.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape_name} = {shape} to match cas, "
            f"got shape {values.shape}"
        )
    return _finite(values, name)


def _check_inputs(cas, video_scores, agnostic_scores):
    cas = np.asarray(cas)
    if cas.ndim != 2 or cas.shape[0] < 1 or cas.shape[1] < 1:
        raise ValueError(
            f"cas must be a 2-D array of shape (T, n_classes) with T >= 1, "
            f"got shape {cas.shape}"
        )
    cas = _finite(cas, "cas")
    n_steps, n_classes = cas.shape
    video_scores = _check_matching(video_scores, (n_classes,), "(n_classes,)",
                                   "video_scores")
    if agnostic_scores is not None:
        agnostic_scores = _check_matching(agnostic_scores, (n_steps,), "(T,)",
                                          "agnostic_scores")
    return cas, video_scores, agnostic_scores


def cas_to_detections(
    cas,
    video_scores,
    *,
    class_threshold=0.25,
    thresholds=np.arange(0.0, 0.25, 0.025),
    scale=24,
    outer_ratio=0.25,
    gamma=0.2,
    nms="hard",
    nms_threshold=0.7,
    soft_nms_sigma=0.5,
    normalize=True,
    agnostic_scores=None,
    agnostic_thresholds=np.arange(0.5, 0.725, 0.025),
    output_length=None,
    max_detections=None,
    class_fallback="argmax",
):
    """Turn a class activation sequence into scored, class-labelled segments.

    The post-processing of BaS-Net, BackTAL and LACP, vectorised:

    1. keep the classes whose video score is ``>= class_threshold``; when none is,
       keep the arg-max class (``class_fallback='argmax'``, LACP) or return no
       detections (``class_fallback=None``, BaS-Net and BackTAL);
    2. if `normalize`, min-max normalise the CAS of each kept class over time, with
       the minimum and maximum clipped at 0 and a zero range replaced by 1;
    3. up-sample it linearly by `scale` (``T * scale`` points);
    4. for every threshold θ in `thresholds`, each maximal run of consecutive points
       with value ``>= θ`` (and ``> 0``) is a proposal;
    5. score it by the outer-inner contrast (OIC)
       ``mean(inner) - mean(outer) + γ · video_scores[c]``, where the outer region is
       about ``λ · len`` points on each side, clipped to the video;
    6. optionally add class-agnostic proposals: runs of ``agnostic_scores >= θ`` for θ
       in `agnostic_thresholds`, each proposed for every kept class and scored by the
       OIC of that class's CAS (LACP);
    7. suppress duplicates class-wise (hard NMS or Gaussian soft-NMS) and keep the
       `max_detections` best.

    Parameters
    ----------
    cas : array-like of shape (T, n_classes)
        Per-snippet class scores used for localization (for BaS-Net the suppression
        branch's CAS, for LACP the fused sigmoid scores).
    video_scores : array-like of shape (n_classes,)
        Video-level class probabilities.
    class_threshold : float, default=0.25
        Classes with ``video_scores >= class_threshold`` are localized (LACP uses 0.5).
    thresholds : array-like of float, default=np.arange(0.0, 0.25, 0.025)
        Thresholds θ applied to the (normalised, up-sampled) CAS.
    scale : int >= 1, default=24
        Up-sampling factor of the CAS before grouping.
    outer_ratio : float >= 0, default=0.25
        Size λ of the outer region on each side, as a fraction of the proposal length.
    gamma : float, default=0.2
        Weight γ of the video score in the proposal score.
    nms : {"hard", "soft"} or None, default="hard"
        Class-wise :func:`non_maximum_suppression`, class-wise :func:`soft_nms`, or no
        suppression (every proposal, duplicates across thresholds included).
    nms_threshold : float in [0, 1], default=0.7
        IoU threshold of hard NMS (BaS-Net/LACP 0.7, BackTAL 0.55).
    soft_nms_sigma : float > 0, default=0.5
        Width σ of the soft-NMS Gaussian penalty.
    normalize : bool, default=True
        Min-max normalise each kept class's CAS (BaS-Net, BackTAL). LACP thresholds its
        sigmoid scores directly: pass ``False``.
    agnostic_scores : array-like of shape (T,) or None, default=None
        Class-agnostic actionness used as given (LACP: ``1 - background score``;
        up-sampled like the CAS, never normalised). ``None`` adds no such proposals.
    agnostic_thresholds : array-like of float, default=np.arange(0.5, 0.725, 0.025)
        Thresholds applied to the up-sampled `agnostic_scores`.
    output_length : float > 0 or None, default=None
        Length of the timeline the positions are returned in. ``None`` means ``T``
        (snippets of `cas`); pass the original number of snippets when `cas` was
        computed on a resampled sequence. Point ``i`` of the up-sampled sequence maps
        to ``i / scale * output_length / T``.
    max_detections : int or None, default=None
        Keep at most this many detections (the highest scores).
    class_fallback : {'argmax', None}, default='argmax'
        What happens when no class reaches `class_threshold`: localize the arg-max
        class (LACP's code) or detect nothing (BaS-Net's and BackTAL's code).

    Returns
    -------
    detections : ndarray of shape (k, 4), float64
        Rows ``[start, end, class, score]`` by descending score; ``start`` is the first
        point of a run, ``end`` its last point + 1, both in units of `output_length`.
        Equal scores keep the proposal order: class, then thresholds, then agnostic
        thresholds, then position (but see the note on arithmetic).

    See Also
    --------
    non_maximum_suppression : The class-wise hard NMS used by ``nms="hard"``.
    soft_nms : The class-wise Gaussian soft-NMS used by ``nms="soft"``.

    Notes
    -----
    Matched to the official code (BaSNet-pytorch ``test.py``/``utils.py``, LACP
    ``test.py``/``utils.py``, BackTAL ``lib/post_process``), including details the
    papers leave out:

    * **No clipping to [0, 1]** after normalisation: the reference ``minmax_norm`` used
      at test time by BaS-Net and BackTAL does not clip, so a CAS with a negative
      minimum (raw logits) keeps negative values, which matters for the interpolation
      next to them. (LACP's clipping ``minmax_norm`` is never called at test time.)
    * **Up-sampling** replicates ``interp1d(kind="linear", fill_value="extrapolate")``
      on the grid ``arange(0, T, 1 / scale)``: the last ``scale - 1`` points lie beyond
      the last snippet and are extrapolated. BackTAL instead resizes the CAS to the
      video's frame count with OpenCV; that variant is not implemented.
    * **Grouping**: the reference code zeroes values ``< θ`` and then takes the points
      ``> 0``, so a point needs ``value >= θ`` *and* ``value > 0`` (at θ = 0 the zeros
      left by normalisation are not actions).
    * **OIC on the thresholded CAS**: for threshold proposals the reference code
      computes the inner and outer means on the CAS in which values ``< θ`` were set
      to 0, so the outer mean only counts outer points ``>= θ``. This is replicated.
      Agnostic proposals are scored on the class CAS *without* this zeroing (LACP;
      BackTAL's THUMOS code does the same with the L2 norm of its features, min-max
      normalised *with* clipping, as actionness and thresholds
      ``arange(0.3, 0.8, 0.075)``: pass those as `agnostic_scores`).
    * **Outer region**: ``[floor(first - λ·len), first)`` and
      ``[last + 1, floor(last + λ·len)]``, clipped to the up-sampled sequence, averaged
      together as one set; an empty set has mean 0. Because ``first`` is an integer,
      the left side has ``ceil(λ·len)`` points and the right side ``floor(λ·len)``
      (BaS-Net and LACP; BackTAL's right side stops one point earlier, not replicated).
    * **Class selection**: ``>= class_threshold``; when no class passes, the arg-max
      class is kept (LACP, ``class_fallback='argmax'``) or nothing is detected (BaS-Net
      and BackTAL, ``class_fallback=None``).
    * **γ term**: LACP and BackTAL use the video probability. BaS-Net's code passes the
      *binarised* class decision, so its bonus is the constant γ for every kept class;
      pass ``video_scores=(p >= class_threshold).astype(float)`` to reproduce it.
    * **NMS**: see :func:`non_maximum_suppression` (plain continuous IoU, no ``+1``;
      stable ties).
    * Not replicated (reference bugs or dataset-specific steps): the reference code
      tests index arrays with ``.any()``, so it drops a class at a threshold whose only
      point above it is point 0 (all three), and BaS-Net a video whose only kept class
      is class 0; BackTAL's ActivityNet/HACS shrinking of segments by 2 % and extra
      whole-video proposal. A CAS with ``T == 1`` (``interp1d`` fails) is treated as
      constant.
    * Arithmetic: normalisation is done in the dtype of `cas` (float32 stays float32,
      like the reference torch tensors); up-sampling and scores in float64. Inner and
      outer sums come from cumulative sums, so scores agree with a per-proposal
      ``np.mean`` to about 1e-12 (not bit for bit: two proposals whose scores are
      mathematically equal may differ in the last bits, which decides their order).

    Examples
    --------
    A single bump of class 0 on snippets 3-5 of a 10-snippet video:

    >>> import numpy as np
    >>> from sktal.postprocessing import cas_to_detections
    >>> cas = np.zeros((10, 2))
    >>> cas[3:6, 0] = 1.0
    >>> video_scores = np.array([0.9, 0.1])   # class 1 is below class_threshold
    >>> cas_to_detections(cas, video_scores, scale=1)
    array([[3.  , 6.  , 0.  , 1.18]])

    Inner mean 1, outer points 2 and 6 are 0, bonus 0.2 × 0.9. With the default
    ``scale=24`` the CAS ramps linearly between snippets; the highest threshold (0.225)
    gives the best run, which suppresses the wider runs of the lower thresholds:

    >>> cas_to_detections(cas, video_scores).round(4)
    array([[2.25  , 5.7917, 0.    , 1.0124]])

    Positions in the units of the original video when `cas` was computed on a
    sequence resampled to 10 snippets from 50:

    >>> cas_to_detections(cas, video_scores, scale=1, output_length=50)[0, :2]
    array([15., 30.])
    """
    cas, video_scores, agnostic_scores = _check_inputs(cas, video_scores, agnostic_scores)
    n_steps = cas.shape[0]
    thresholds = _check_thresholds(thresholds, "thresholds")
    if isinstance(scale, bool) or not isinstance(scale, numbers.Integral) or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    if not isinstance(outer_ratio, numbers.Real) or not outer_ratio >= 0:
        raise ValueError(f"outer_ratio must be a non-negative number, got {outer_ratio!r}")
    if not isinstance(gamma, numbers.Real) or not np.isfinite(gamma):
        raise ValueError(f"gamma must be a finite number, got {gamma!r}")
    if not isinstance(class_threshold, numbers.Real):
        raise ValueError(f"class_threshold must be a number, got {class_threshold!r}")
    if nms not in ("hard", "soft", None):
        raise ValueError(f"nms must be 'hard', 'soft' or None, got {nms!r}")
    nms_threshold = _check_fraction(nms_threshold, "nms_threshold")
    if output_length is None:
        output_length = n_steps
    if not isinstance(output_length, numbers.Real) or not 0 < output_length < np.inf:
        raise ValueError(f"output_length must be a positive number, got {output_length!r}")
    max_detections = _check_max_detections(max_detections)
    if class_fallback not in ("argmax", None):
        raise ValueError(f"class_fallback must be 'argmax' or None, got {class_fallback!r}")

    classes = np.flatnonzero(video_scores >= class_threshold)
    if classes.size == 0:
        if class_fallback is None:
            return np.empty((0, 4))
        classes = np.array([np.argmax(video_scores)])
    class_cas = cas[:, classes]
    if normalize:
        class_cas = _minmax_normalize(class_cas)
    upsampled = _upsample(class_cas.T, scale)   # (K, T * scale), one row per kept class

    class_rows, starts, ends, contrast = _threshold_proposals(upsampled, thresholds,
                                                              outer_ratio)
    if agnostic_scores is not None:
        agnostic_thresholds = _check_thresholds(agnostic_thresholds, "agnostic_thresholds")
        extra = _agnostic_proposals(upsampled, _upsample(agnostic_scores, scale),
                                    agnostic_thresholds, outer_ratio)
        class_rows, starts, ends, contrast = (
            np.concatenate(pair)
            for pair in zip((class_rows, starts, ends, contrast), extra)
        )
        # proposal order: by class, threshold proposals before agnostic ones
        order = np.argsort(class_rows, kind="stable")
        class_rows, starts, ends, contrast = (
            a[order] for a in (class_rows, starts, ends, contrast)
        )

    to_output = output_length / (scale * n_steps)
    detections = np.empty((len(starts), 4), dtype=np.float64)
    detections[:, 0] = starts * to_output
    detections[:, 1] = np.minimum(ends * to_output, output_length)
    detections[:, 2] = classes[class_rows]
    detections[:, 3] = contrast + gamma * video_scores[classes][class_rows]

    if nms == "hard":
        detections = non_maximum_suppression(detections, nms_threshold)
    elif nms == "soft":
        detections = soft_nms(detections, soft_nms_sigma)
    else:
        detections = detections[np.argsort(-detections[:, 3], kind="stable")]
    if max_detections is not None:
        detections = detections[:max_detections]
    return detections
