"""Mapping videos to a fixed number of snippets and back (numpy only).

A resampling is described by ``positions``: for each of the ``n`` output steps, the
(possibly fractional) position on the video's own time axis its features are read
from. Features are linearly interpolated at those positions, clicks follow the same
map, and outputs are mapped back by interpolating over the positions.
"""
import numpy as np

from ._constants import IGNORE_INDEX

RESAMPLING_METHODS = ("interpolate", "perturb", None)


def native_length(n_segments, method):
    """Whether videos keep their own length (``n_segments`` or ``method`` None)."""
    return method is None or n_segments is None


def n_steps(length, n_segments, method):
    """Number of steps :func:`source_positions` gives a video of ``length``: its own
    length at native resolution (:func:`native_length`), else ``n_segments``."""
    return length if native_length(n_segments, method) else n_segments


def source_positions(length, n_segments, method, *, training=False, rng=None):
    """Source positions of the ``n_segments`` output steps of a video of ``length``.

    Parameters
    ----------
    length : int
    n_segments : int or None
    method : {'interpolate', 'perturb', None}
        ``'interpolate'`` (BackTAL): step ``j`` reads position
        ``(j + 0.5) * length / n - 0.5`` (linear interpolation, half-pixel centres,
        clipped to the video). ``'perturb'`` (BaS-Net): in training, one random whole
        index inside each of ``n`` equal strata; at prediction time the first index of
        each stratum. ``None``: the video as it is.
    training : bool, default=False
    rng : numpy.random.Generator, optional
        Needed for ``'perturb'`` in training.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    if native_length(n_segments, method):
        return np.arange(length, dtype=np.float64)
    j = np.arange(n_segments, dtype=np.float64)
    if method == "interpolate":
        return np.clip((j + 0.5) * length / n_segments - 0.5, 0.0, length - 1.0)
    if method == "perturb":
        lower = np.floor(j * length / n_segments)
        if not training:
            return lower
        upper = np.maximum(np.floor((j + 1) * length / n_segments), lower + 1)
        upper = np.minimum(upper, length)
        return np.floor(lower + rng.random(n_segments) * (upper - lower))
    raise ValueError(f"unknown resampling {method!r}; expected one of {RESAMPLING_METHODS}")


def interpolate_rows(values, positions):
    """Rows of ``values`` (T, ...) linearly interpolated at fractional ``positions``."""
    length = values.shape[0]
    lo = np.clip(np.floor(positions).astype(np.int64), 0, length - 1)
    hi = np.minimum(lo + 1, length - 1)
    frac = (positions - lo).astype(values.dtype)
    frac = frac.reshape((-1,) + (1,) * (values.ndim - 1))
    if not frac.any():
        return values[lo]
    return values[lo] * (1 - frac) + values[hi] * frac


def map_click_labels(clicks, positions, n_classes):
    """Per-step click labels after resampling.

    A click at timestep ``t`` lies in snippet ``floor(t)`` (snippet ``i`` covers
    ``[i, i + 1)``, the loaders' convention). It labels every output step whose
    source position rounds to that snippet; when no step comes from it (the video
    was shortened) it labels the step whose source position is nearest, so no click
    is lost. Background (-1) becomes
    ``n_classes``; steps without a click get :data:`IGNORE_INDEX`. Where two clicks
    reach the same step, the later click in the array wins.

    Returns
    -------
    ndarray of shape (n,), int64
    """
    out = np.full(len(positions), IGNORE_INDEX, dtype=np.int64)
    if len(clicks) == 0:
        return out
    nearest_source = np.rint(positions)
    for t, label in clicks:
        target = n_classes if label < 0 else int(label)
        snippet = np.floor(t)
        hits = np.flatnonzero(nearest_source == snippet)
        if hits.size == 0:
            hits = [int(np.argmin(np.abs(positions - snippet)))]
        out[hits] = target
    return out


def _click_hits(t, positions, nearest_source):
    """Output steps a click at ``t`` labels (see :func:`map_click_labels`)."""
    snippet = np.floor(t)
    hits = np.flatnonzero(nearest_source == snippet)
    if hits.size == 0:
        hits = np.array([int(np.argmin(np.abs(positions - snippet)))])
    return hits


def map_click_targets(clicks, positions, n_classes):
    """Per-step multi-hot click targets after resampling.

    The steps a click labels follow :func:`map_click_labels`'s rule; instead of the
    last click winning, every click sets 1.0 in its own column (``label``, or
    ``n_classes`` for background), so two clicks of different classes on one step
    give a row with two ones. Steps without a click are all zero.

    Returns
    -------
    ndarray of shape (n, n_classes + 1), float32
    """
    out = np.zeros((len(positions), n_classes + 1), dtype=np.float32)
    nearest_source = np.rint(positions)
    for t, label in clicks:
        target = n_classes if label < 0 else int(label)
        out[_click_hits(t, positions, nearest_source), target] = 1.0
    return out


def restore_length(values, positions, length):
    """Map per-step ``values`` (n, C) back to the video's ``length`` snippets.

    Each original snippet ``t`` takes the value interpolated at ``t`` between the output
    steps whose source positions surround it (constant beyond the first/last step).
    """
    if len(positions) == length and np.array_equal(positions, np.arange(length)):
        return values
    t = np.arange(length, dtype=np.float64)
    # positions are non-decreasing; collapse repeated positions (short videos) first
    pos, first = np.unique(positions, return_index=True)
    vals = values[first]
    if len(pos) == 1:
        return np.repeat(vals, length, axis=0)
    right = np.clip(np.searchsorted(pos, t, side="right"), 1, len(pos) - 1)
    left = right - 1
    w = np.clip((t - pos[left]) / (pos[right] - pos[left]), 0.0, 1.0)[:, None]
    return vals[left] * (1 - w) + vals[right] * w
