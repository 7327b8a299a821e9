"""Point labels of FS-PTAL: label extension, pseudo-label mining, class runs and OIC ranges.

Plain functions, separate from the estimator so that each can be tested alone on
hand-made sequences:

* :func:`extension_positions` — the label extension of FS-PTAL (Sec. 3.1, App. A):
  where the training snippets of a video are read from (numpy);
* :func:`mine_point_labels` — pseudo action and background points (Alg. 2), vectorised
  over a batch (torch);
* :func:`class_runs` — runs of consecutive points of the same class, with the
  neighbouring runs of that class (the pseudo segments of the score contrast module);
* :func:`outer_ranges` — the outer range of the outer-inner contrast bounded by those
  neighbours (Eq. 8).
"""
import numpy as np
import torch
import torch.nn.functional as F

from .._resampling import IGNORE_INDEX


def extension_positions(length, n_segments, points, *, point_weight, neighbour_weight):
    """Source positions of the training snippets after label extension (Eq. 1).

    Every snippet of the video gets sampling weight 1; the labelled snippets (grouped
    into runs of consecutive indices) get ``point_weight`` (τ1) and the snippet just
    before and just after each run ``neighbour_weight`` (τ2). Snippet ``t`` carries its
    weight over ``[t - 0.5, t + 0.5]``; the ``n`` output steps are read at the
    quantiles ``(j + 0.5) / n`` of that piecewise-uniform distribution (the inverse of
    its CDF), so labelled regions are sampled more densely. With all weights equal to 1
    this is plain linear-interpolation resampling. Features are interpolated at the
    returned positions and labels follow the same map
    (:func:`sktal._resampling.map_click_labels`: a step whose position rounds to a
    clicked snippet carries its label, Alg. 1 with ϑ = 0.5).

    Parameters
    ----------
    length : int
        Number of snippets ``T_ori`` of the video.
    n_segments : int or None
        Number of output steps ``T``; ``None`` keeps ``length``.
    points : array-like of float
        Timesteps of the labelled (action) points; a point at ``t`` marks snippet
        ``floor(t)``, as everywhere in sktal.
    point_weight : float
        τ1.
    neighbour_weight : float
        τ2.

    Returns
    -------
    ndarray of shape (n,), float64
        Non-decreasing positions in ``[0, length - 1]``.

    Examples
    --------
    >>> from sktal.localizers._fsptal_functional import extension_positions
    >>> extension_positions(4, 4, [], point_weight=2.5, neighbour_weight=1.67)
    array([0., 1., 2., 3.])
    >>> extension_positions(4, 6, [1], point_weight=2.5, neighbour_weight=1.67).round(2)
    array([0.  , 0.52, 0.97, 1.43, 2.07, 2.93])
    """
    n = length if n_segments is None else int(n_segments)
    weights = np.ones(length)
    idx = np.unique(np.clip(np.floor(np.asarray(points, dtype=float)), 0, length - 1))
    idx = idx.astype(np.int64)
    if idx.size:
        breaks = np.diff(idx) > 1
        starts = idx[np.r_[True, breaks]]
        ends = idx[np.r_[breaks, True]]
        before, after = starts - 1, ends + 1
        weights[before[before >= 0]] = neighbour_weight
        weights[after[after < length]] = neighbour_weight
        weights[idx] = point_weight
    cdf = np.r_[0.0, np.cumsum(weights)]
    edges = np.arange(length + 1, dtype=np.float64) - 0.5
    quantiles = (np.arange(n, dtype=np.float64) + 0.5) / n * cdf[-1]
    return np.clip(np.interp(quantiles, cdf, edges), 0.0, length - 1.0)


def _segment_reduce(values, keys, n_keys, reduce, fill):
    """``out[k] = reduce(values[keys == k])``, ``fill`` where no value has key ``k``."""
    out = values.new_full((n_keys,), fill)
    return out.scatter_reduce(0, keys, values, reduce=reduce, include_self=False)


def mine_point_labels(background, class_scores, point_labels, *, background_threshold,
                      action_threshold, mask):
    """Pseudo action and background points from scores and action points (Alg. 2).

    Per video, with the action points splitting the timeline into gaps (the video
    edges count as the ends of the first and last gap):

    1. a snippet of a gap is a background point when its background score
       ``b_t > background_threshold`` (γ_bkg), or when it holds a background click;
    2. a gap with no background point gets one at its highest ``b_t`` (the first such
       snippet on ties);
    3. within a gap, everything from its first to its last background point is
       background (background points not separated by an action point are joined);
    4. a snippet with ``b_t <= action_threshold`` (γ_act) that is not background
       becomes a pseudo action point of its left (right) neighbouring action point's
       class when no background point lies between them and that class is the
       arg-max of its class scores. Step 2 puts a background point in every gap, so
       a snippet can only be tied to one neighbour.

    Vectorised over the batch: gaps are numbered by a cumulative sum of the action
    points and reduced with ``scatter_reduce``.

    Parameters
    ----------
    background : torch.Tensor of shape (B, T)
        Background scores ``b_t`` in [0, 1].
    class_scores : torch.Tensor of shape (B, T, C)
        Class scores (FS-PTAL: the fused scores ``q̂``) whose arg-max must agree with
        the neighbour's class.
    point_labels : torch.Tensor of shape (B, T), long
        Class index at action points, ``C`` at background clicks, anything else (e.g.
        ``-100``) elsewhere.
    background_threshold : float
        γ_bkg.
    action_threshold : float
        γ_act.
    mask : torch.Tensor of shape (B, T), bool, or None
        ``True`` on valid (not padded) snippets.

    Returns
    -------
    action : torch.Tensor of shape (B, T), long
        Class index at original and pseudo action points, ``-100`` elsewhere.
    background : torch.Tensor of shape (B, T), bool
        Background points.
    """
    n_videos, length = background.shape
    n_classes = class_scores.shape[-1]
    device = background.device
    valid = torch.ones_like(background, dtype=torch.bool) if mask is None else mask.bool()
    pos = torch.arange(length, device=device).expand(n_videos, length)
    is_action = (point_labels >= 0) & (point_labels < n_classes) & valid
    free = valid & ~is_action
    # gap of a free snippet = number of action points before it; one key per (video, gap)
    gap = torch.cumsum(is_action.long(), dim=1)
    keys = gap + torch.arange(n_videos, device=device).unsqueeze(1) * (length + 1)
    n_keys = n_videos * (length + 1)
    fkeys = keys[free]

    seeds = free & ((background > background_threshold) | (point_labels == n_classes))
    has_seed = _segment_reduce(seeds[free].long(), fkeys, n_keys, "amax", 0).bool()
    best = _segment_reduce(background[free], fkeys, n_keys, "amax", float("-inf"))
    at_best = free & (background == best[keys])
    first_best = _segment_reduce(
        torch.where(at_best, pos, length)[free], fkeys, n_keys, "amin", length
    )
    seeds = seeds | (free & ~has_seed[keys] & (pos == first_best[keys]))

    first_bkg = _segment_reduce(torch.where(seeds, pos, length)[free], fkeys, n_keys,
                                "amin", length)[keys]
    last_bkg = _segment_reduce(torch.where(seeds, pos, -1)[free], fkeys, n_keys,
                               "amax", -1)[keys]
    is_background = free & (pos >= first_bkg) & (pos <= last_bkg)

    left = torch.cummax(torch.where(is_action, pos, -1), dim=1).values
    right = torch.where(is_action, pos, length).flip(1).cummin(dim=1).values.flip(1)
    left_class = point_labels.gather(1, left.clamp(min=0))
    right_class = point_labels.gather(1, right.clamp(max=length - 1))
    top_class = class_scores.argmax(dim=-1)
    candidate = free & ~is_background & (background <= action_threshold)
    take_left = candidate & (left >= 0) & (pos < first_bkg) & (top_class == left_class)
    take_right = candidate & (right < length) & (pos > last_bkg) & (top_class == right_class)

    action = torch.full_like(point_labels, IGNORE_INDEX)
    action = torch.where(take_right, right_class, action)
    action = torch.where(take_left, left_class, action)
    action = torch.where(is_action, point_labels, action)
    return action, is_background


def class_runs(action, n_classes, lengths=None):
    """Runs of consecutive points of the same class, with their same-class neighbours.

    Parameters
    ----------
    action : torch.Tensor of shape (B, T), long
        Class index at action points, anything outside ``[0, n_classes)`` elsewhere.
    n_classes : int
    lengths : torch.Tensor of shape (B,), optional
        Valid length of each video (default ``T``).

    Returns
    -------
    dict of torch.Tensor of shape (n_runs,), long
        ``video``, ``label``, ``start`` and ``end`` (inclusive) of every run, by video,
        class and position; ``previous_end``: end of the previous run of the same class
        in the same video, ``-1`` for the first; ``next_start``: start of the next
        one, the video's length for the last.
    """
    n_videos, length = action.shape
    if lengths is None:
        lengths = torch.full((n_videos,), length, device=action.device)
    classes = torch.arange(n_classes, device=action.device)
    onehot = (action.unsqueeze(1) == classes[None, :, None]).to(torch.int8)  # (B, C, T)
    steps = torch.diff(F.pad(onehot, (1, 1)), dim=-1)
    video, label, start = torch.nonzero(steps == 1, as_tuple=True)
    end = torch.nonzero(steps == -1, as_tuple=True)[2] - 1
    row = video * n_classes + label
    same_prev = torch.zeros_like(row, dtype=torch.bool)
    same_prev[1:] = row[1:] == row[:-1]
    same_next = torch.zeros_like(row, dtype=torch.bool)
    same_next[:-1] = same_prev[1:]
    previous_end = torch.where(same_prev, end.roll(1), torch.full_like(end, -1))
    next_start = torch.where(same_next, start.roll(-1), lengths.to(start.dtype)[video])
    return dict(video=video, label=label, start=start, end=end,
                previous_end=previous_end, next_start=next_start)


def outer_ranges(start, end, previous_end, next_start, *, contrast_outer_ratio):
    """Outer range of each segment, bounded by its neighbours (FS-PTAL Eq. 8).

    The outer region of segment ``[s, e]`` (length ``l = e - s + 1``) is
    ``[left, s - 1]`` and ``[e + 1, right]`` with
    ``left = max(floor(s - δ·l), previous_end + 1)`` and
    ``right = min(floor(e + δ·l), next_start - 1)``: it never reaches into the
    neighbouring segments of the same class. With ``previous_end = -1`` and
    ``next_start = T`` it is LACP's outer range clipped to the video.

    Parameters
    ----------
    start, end, previous_end, next_start : torch.Tensor of shape (n,), long
    contrast_outer_ratio : float
        δ.

    Returns
    -------
    left, right : torch.Tensor of shape (n,), long
        First and last snippet of the outer region (either side may be empty:
        ``left == s`` or ``right == e``).
    """
    size = (end - start + 1).to(torch.float64)
    left = torch.floor(start - contrast_outer_ratio * size).long()
    right = torch.floor(end + contrast_outer_ratio * size).long()
    return torch.maximum(left, previous_end + 1), torch.minimum(right, next_start - 1)


#: LACP's seed thresholds (``utils.select_seed`` of the official code): background
#: seeds where ``b_t >= 0.95``, pseudo action points where ``b_t <= 0.1``
LACP_BACKGROUND_THRESHOLD = 0.95
LACP_ACTION_THRESHOLD = 0.1


def lacp_seeds(background, point_labels, *, n_classes, mask):
    """LACP's background seeds and pseudo action points (its ``select_seed``).

    The rule that FS-PTAL's mining (:func:`mine_point_labels`) replaces. Per video, the
    action points split the timeline into gaps:

    * **edge gaps** (before the first / after the last action point): the snippets with
      ``b_t >= 0.95`` are seeds and everything from the video edge to the innermost
      seed is background; without a seed, everything from the edge to the gap's
      highest ``b_t`` (first maximum) is;
    * **gaps between two action points**: with at least two seeds, everything from the
      first to the last is background; with fewer, the seed (if any) and the gap's
      highest ``b_t`` are;
    * **pseudo action points**: from each action point outwards into its gaps,
      consecutive snippets with ``b_t <= 0.1`` that are not background take its class,
      up to the first snippet that breaks the run.

    A video without action points gets neither. Background clicks (label
    ``n_classes``; LACP has none) are background points too and stop the growth. Vectorised over the batch: gaps are
    numbered by a cumulative sum of the action points, as in :func:`mine_point_labels`.

    Parameters
    ----------
    background : torch.Tensor of shape (B, T)
        Background scores ``b_t``.
    point_labels : torch.Tensor of shape (B, T), long
        Class index at action points, ``n_classes`` at background clicks, anything
        else (e.g. ``-100``) elsewhere.
    n_classes : int
    mask : torch.Tensor of shape (B, T), bool, or None
        ``True`` on valid (not padded) snippets.

    Returns
    -------
    action : torch.Tensor of shape (B, T), long
        Class index at original and pseudo action points, ``-100`` elsewhere.
    background : torch.Tensor of shape (B, T), bool
    """
    n_videos, length = background.shape
    device = background.device
    valid = torch.ones_like(background, dtype=torch.bool) if mask is None else mask.bool()
    pos = torch.arange(length, device=device).expand(n_videos, length)
    is_action = (point_labels >= 0) & (point_labels < n_classes) & valid
    free = valid & ~is_action
    gap = torch.cumsum(is_action.long(), dim=1)
    n_points = gap[:, -1:]
    keys = gap + torch.arange(n_videos, device=device).unsqueeze(1) * (length + 1)
    n_keys = n_videos * (length + 1)
    fkeys = keys[free]

    def reduce(values, how, fill):
        return _segment_reduce(values[free], fkeys, n_keys, how, fill)[keys]

    seeds = free & (background >= LACP_BACKGROUND_THRESHOLD)
    n_seeds = reduce(seeds.long(), "sum", 0)
    first_seed = reduce(torch.where(seeds, pos, length), "amin", length)
    last_seed = reduce(torch.where(seeds, pos, -1), "amax", -1)
    best = reduce(background, "amax", float("-inf"))
    first_best = reduce(torch.where(free & (background == best), pos, length), "amin",
                        length)
    left_edge = (gap == 0) & (n_points > 0)
    right_edge = (gap == n_points) & (n_points > 0)
    middle = (gap > 0) & (gap < n_points)
    is_background = free & (
        (left_edge & (pos <= torch.where(n_seeds > 0, last_seed, first_best)))
        | (right_edge & (pos >= torch.where(n_seeds > 0, first_seed, first_best)))
        | (middle & torch.where(n_seeds >= 2, (pos >= first_seed) & (pos <= last_seed),
                                seeds | (pos == first_best)))
        | (point_labels == n_classes)
    )
    # pseudo action points: unbroken runs of b <= 0.1 (not background) beside a point
    blocked = (free & ~((background <= LACP_ACTION_THRESHOLD) & ~is_background)).long()
    broken = torch.cumsum(blocked, dim=1)  # at an action point: the count before it
    left = torch.cummax(torch.where(is_action, pos, -1), dim=1).values
    right = torch.where(is_action, pos, length).flip(1).cummin(dim=1).values.flip(1)
    at_left = broken.gather(1, left.clamp(min=0))
    at_right = broken.gather(1, right.clamp(max=length - 1))
    take_left = free & (left >= 0) & (broken == at_left)
    take_right = free & (right < length) & (broken - blocked == at_right)
    left_class = point_labels.gather(1, left.clamp(min=0))
    right_class = point_labels.gather(1, right.clamp(max=length - 1))
    action = torch.full_like(point_labels, IGNORE_INDEX)
    action = torch.where(take_left, left_class, action)
    action = torch.where(take_right, right_class, action)
    action = torch.where(is_action, point_labels, action)
    return action, is_background & ~is_action


def _runs(flags):
    """``(start, end)`` (inclusive) of the runs of True in a 1-d bool array."""
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1


def _oic_table(prefix, starts, ends, length, outer_ratio):
    """OIC of ``[s, e]`` for every ``s`` in ``starts`` (rows) and ``e`` in ``ends``.

    ``mean(inside) - mean(outer)``, the outer range ``floor(δ·l)`` snippets each side
    clipped to the video (empty: 0); ``prefix``: cumulative sum with a leading 0.
    """
    s, e = starts[:, None], ends[None, :]
    size = e - s + 1
    inner = (prefix[np.maximum(e + 1, s)] - prefix[s]) / np.maximum(size, 1)
    lo = np.clip(np.floor(s - outer_ratio * size).astype(np.int64), 0, s)
    hi = np.clip(np.floor(e + outer_ratio * size).astype(np.int64), e, length - 1)
    n_outer = (s - lo) + (hi - e)
    outer = (prefix[s] - prefix[lo] + prefix[hi + 1] - prefix[e + 1]) / np.maximum(n_outer, 1)
    return np.where(size > 0, inner - np.where(n_outer > 0, outer, 0.0), -np.inf)


def sequence_constraints(action_seeds, background_seeds):
    """The alternating segments an optimal sequence must consist of (LACP).

    Runs of action seeds are action segments; between two of them, the background
    seeds (first to last) form a background segment; before the first (after the
    last) run, the background seeds and everything up to the video edge do, and
    without any background seed there the action segment reaches the edge. Two
    action runs with no background seed between them are one segment.

    Returns
    -------
    labels : ndarray of shape (K,), int
        1 (action) or 0 (background), alternating.
    low, high : ndarray of shape (K,), int
        Each segment must cover ``[low, high]``; ``low[0] = 0``, ``high[-1] = T - 1``.
        Empty (K = 0) without action seeds.
    """
    action_seeds = np.asarray(action_seeds, dtype=bool)
    background = np.asarray(background_seeds, dtype=bool) & ~action_seeds
    length = len(action_seeds)
    starts, ends = _runs(action_seeds)
    if not len(starts):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    bkg = np.flatnonzero(background)
    segments = []  # [label, low, high]
    before = bkg[bkg < starts[0]]
    if len(before):
        segments.append([0, 0, int(before[-1])])
    for i, (s, e) in enumerate(zip(starts, ends)):
        if segments and segments[-1][0] == 1:  # no background seed since: merge
            segments[-1][2] = int(e)
        else:
            segments.append([1, int(s), int(e)])
        nxt = starts[i + 1] if i + 1 < len(starts) else length
        gap = bkg[(bkg > e) & (bkg < nxt)]
        if len(gap):
            segments.append([0, int(gap[0]), int(gap[-1])])
    segments[0][1], segments[-1][2] = 0, length - 1
    labels, low, high = (np.asarray(col, dtype=np.int64) for col in zip(*segments))
    return labels, low, high


def optimal_sequence(scores, action_seeds, background_seeds, *, outer_ratio):
    """LACP's optimal sequence for one class: the best alternating labelling.

    Among all labellings of the video into alternating action / background segments
    that respect :func:`sequence_constraints` (every segment covers its seeds), the
    one with the highest mean completeness: each action segment scores its
    outer-inner contrast on ``scores``, each background segment on ``1 - scores``
    (outer range δ = ``outer_ratio`` of its length, clipped to the video, empty: 0).
    The number of segments is fixed by the seeds, so the best mean is the best sum,
    found exactly by dynamic programming over the segment ends, each step one
    vectorised (starts × ends) table of contrasts from cumulative sums. (LACP's code
    runs a beam search over the same objective, 25 hypotheses, which may miss it.)

    Parameters
    ----------
    scores : ndarray of shape (T,)
        Class scores of one class (LACP: the fused ``q̂``).
    action_seeds, background_seeds : ndarray of shape (T,), bool
        Action points of the class (original and pseudo); background seeds (LACP adds
        the action points of the other classes).
    outer_ratio : float
        δ.

    Returns
    -------
    labels : ndarray of shape (T,), int8
        1 on action segments, 0 elsewhere; all 0 without action seeds.
    score : float
        The mean contrast of the sequence (0 without action seeds).
    """
    scores = np.asarray(scores, dtype=np.float64)
    length = len(scores)
    seg_labels, low, high = sequence_constraints(action_seeds, background_seeds)
    labels = np.zeros(length, dtype=np.int8)
    if not len(seg_labels):
        return labels, 0.0
    prefix = {1: np.r_[0.0, np.cumsum(scores)], 0: np.r_[0.0, np.cumsum(1 - scores)]}
    n = len(seg_labels)
    ends = [np.arange(high[k], low[k + 1]) if k + 1 < n else np.array([length - 1])
            for k in range(n)]
    value = _oic_table(prefix[seg_labels[0]], np.array([0]), ends[0], length,
                       outer_ratio)[0]
    back = []
    for k in range(1, n):
        table = value[:, None] + _oic_table(prefix[seg_labels[k]], ends[k - 1] + 1,
                                            ends[k], length, outer_ratio)
        back.append(table.argmax(0))
        value = table.max(0)
    cut = [length - 1]
    j = 0
    for k in range(n - 1, 0, -1):
        j = back[k - 1][j]
        cut.append(int(ends[k - 1][j]))
    cut = cut[::-1]
    start = 0
    for k, end in enumerate(cut):
        labels[start:end + 1] = seg_labels[k]
        start = end + 1
    return labels, float(value[0] / n)


def search_pseudo_labels(fused, action, background, labels, mask, *, outer_ratio):
    """LACP's dense pseudo labels: :func:`optimal_sequence` per video and class.

    For every class of a video that has action points, the action seeds are its
    (original and pseudo) action points, the background seeds the background points
    plus the action points of the other classes (as in LACP's search).

    Parameters
    ----------
    fused : torch.Tensor of shape (B, T, C)
        Class scores (detached).
    action : torch.Tensor of shape (B, T), long
        Class index at action points, negative elsewhere.
    background : torch.Tensor of shape (B, T), bool
    labels : torch.Tensor of shape (B, C)
        Video labels; only classes of the video are searched.
    mask : torch.Tensor of shape (B, T), bool, or None
    outer_ratio : float
        δ.

    Returns
    -------
    dense : torch.Tensor of shape (B, T, C), bool
        Action segments of each searched class (False elsewhere and on padding).
    searched : torch.Tensor of shape (B, C), bool
        The (video, class) pairs that were searched.
    """
    n_videos, length, n_classes = fused.shape
    lengths = ([length] * n_videos if mask is None else mask.sum(1).tolist())
    scores = fused.detach().double().cpu().numpy()
    act = action.cpu().numpy()
    bkg = background.cpu().numpy()
    present = (labels > 0).cpu().numpy()
    dense = np.zeros((n_videos, length, n_classes), dtype=bool)
    searched = np.zeros((n_videos, n_classes), dtype=bool)
    for b in range(n_videos):
        n = int(lengths[b])
        for c in np.flatnonzero(present[b]):
            seeds = act[b, :n] == c
            if not seeds.any():
                continue
            others = bkg[b, :n] | ((act[b, :n] >= 0) & ~seeds)
            dense[b, :n, c] = optimal_sequence(scores[b, :n, c], seeds, others,
                                               outer_ratio=outer_ratio)[0] > 0
            searched[b, c] = True
    return (torch.from_numpy(dense).to(fused.device),
            torch.from_numpy(searched).to(fused.device))
