"""Synthetic snippet features with action-context confusion, and simulated clicks."""
import numbers

import numpy as np
from scipy import sparse
from scipy.ndimage import convolve1d
from sklearn.utils import Bunch, check_random_state

from ..utils.validation import _check_lengths, check_param, check_segments, segments_to_labels

__all__ = ["make_temporal_actions", "simulate_clicks"]

# Per-profile defaults.  THUMOS14 (validation split, 16-frame snippets): median instance
# 5.4 snippets (quartiles 2.8 / 10.1, i.e. log-sd ~0.9), ~3.8 instances per 100 snippets,
# 27/200 videos with two classes.  ActivityNet 1.2: 74% of videos hold one instance, most of
# the rest two; an instance covers a median 29% of its video (quartiles 8% / 73%).
_PROFILES = {
    "thumos": {
        "length_range": (50, 300),
        "instance_duration": (5.0, 0.9),
        "instance_rate": 3.8,
        "max_coverage": 0.6,
    },
    "activitynet": {
        "length_range": (50, 200),
        "instance_duration": (0.3, 1.0),
        "two_instance_prob": 0.25,
        "max_coverage": 0.95,
    },
}
_MIN_GAP = 2.0  # timesteps between sampled instances: leaves a whole background snippet


def _generator(random_state):
    """A ``numpy.random.Generator`` seeded from any scikit-learn style ``random_state``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    seed = check_random_state(random_state).randint(0, 2**63 - 1, dtype=np.int64)
    return np.random.default_rng(seed)


def _pair(name, value):
    """A scalar or (appearance, motion) pair of non-negative numbers -> float pair."""
    values = (value, value) if isinstance(value, numbers.Real) else tuple(value)
    if len(values) != 2:
        raise ValueError(f"{name} must be a number or an (appearance, motion) pair, got {value!r}")
    for v in values:
        check_param(name, v, low=0)
    return float(values[0]), float(values[1])


def _sample_timeline(rng, length, profile, n_instances, instance_duration):
    """Non-overlapping instance intervals (float timesteps) on a video of ``length``."""
    prof = _PROFILES[profile]
    if n_instances is None:
        if profile == "thumos":
            m = 1 + rng.poisson(max(prof["instance_rate"] * length / 100.0 - 1.0, 0.0))
        else:
            m = 1 + int(rng.random() < prof["two_instance_prob"])
    elif isinstance(n_instances, numbers.Integral):
        m = int(n_instances)
    else:
        m = int(rng.integers(n_instances[0], n_instances[1] + 1))
    median, log_sd = instance_duration
    durations = median * np.exp(log_sd * rng.standard_normal(m))
    if profile == "activitynet":
        durations = durations * length  # a fraction of the video
    cap = max(prof["max_coverage"] * length, min(1.0, float(length)))
    durations = np.clip(durations, min(1.0, cap), cap)
    if profile == "activitynet" and m > 1:  # keep both long instances: shrink to fit
        room = cap - (m - 1) * _MIN_GAP
        if durations.sum() > room >= m:
            durations = np.maximum(durations * room / durations.sum(), 1.0)
    while m > 1 and durations[:m].sum() + (m - 1) * _MIN_GAP > cap:
        m -= 1
    durations = durations[:m]
    free = max(length - durations.sum() - (m - 1) * _MIN_GAP, 0.0)
    gaps = rng.dirichlet(np.ones(m + 1)) * free
    gaps[1:-1] += _MIN_GAP
    starts = np.cumsum(gaps[:-1]) + np.concatenate(([0.0], np.cumsum(durations[:-1])))
    ends = np.minimum(starts + durations, length)
    return starts, ends


def _coverage(starts, ends):
    """Rows and overlap fractions of the snippets ``[t, t+1)`` that each interval covers.

    ``starts``/``ends`` are global (concatenated-timeline) positions; returns the interval
    index, the global row and the overlap length of every (interval, snippet) pair.
    """
    lo = np.floor(starts).astype(np.int64)
    hi = np.maximum(np.ceil(ends).astype(np.int64), lo)
    counts = hi - lo
    owner = np.repeat(np.arange(len(starts)), counts)
    rows = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    frac = np.minimum(rows + 1.0, ends[owner]) - np.maximum(rows, starts[owner])
    keep = frac > 0
    return owner[keep], rows[keep], frac[keep]


def make_temporal_actions(
    n_videos=None,
    n_classes=None,
    n_features=64,
    *,
    profile="thumos",
    n_rgb_features=None,
    length_range=None,
    n_instances=None,
    instance_duration=None,
    multi_label_prob=0.15,
    action_scale=(1.0, 2.0),
    context_scale=(4.0, 1.0),
    context_floor=0.2,
    context_width=8.0,
    runup_prob=0.5,
    runup_scale=0.5,
    runup_length=0.5,
    instance_variability=0.25,
    video_scale=1.0,
    noise=1.0,
    noise_smoothing=1.0,
    segments=None,
    lengths=None,
    random_state=None,
):
    """Generate snippet features of untrimmed videos with action-context confusion.

    Each class ``c`` owns an *action* pattern and a *context* pattern (scene, objects).  A
    snippet's features are the sum of

    * the action pattern of the instance covering it, weighted by the covered fraction of
      the snippet and by a per-instance amplitude (with a small per-instance change of
      direction);
    * the context pattern of every class of its video, at a level that is ``1`` inside and
      next to instances of that class and decays as ``exp(-distance / context_width)``
      towards ``context_floor`` in the video's remaining background: context is present
      in background, strongest next to actions (the *action-context confusion* that video
      labels alone cannot resolve);
    * for a random half of the instances, a *run-up* before the instance (``runup_length``
      times its duration) whose action pattern ramps up linearly to ``runup_scale``: the
      background partly resembles the action (the run-up before a long jump);
    * a per-video offset (camera, lighting) and temporally smoothed Gaussian noise.

    Features come in two halves, like two-stream I3D features: *appearance* (the first
    ``n_rgb_features`` columns, "RGB") and *motion* (the rest, "flow").  By default the
    appearance half carries the context strongly and the action weakly, the motion half
    the reverse, so fusing both streams helps.  Pattern amplitudes are Euclidean norms in
    units of the per-column noise standard deviation: the separability of two kinds of
    snippet (their d') does not depend on ``n_features``.

    Parameters
    ----------
    n_videos : int, default=None
        Number of videos; 50 unless ``segments`` or ``lengths`` give it.
    n_classes : int, default=None
        Number of action classes; 5 unless ``segments`` give it (largest class + 1).
    n_features : int, default=64
        Feature width ``D`` (I3D: 2048).
    profile : {"thumos", "activitynet"}, default="thumos"
        How instances are laid out.  ``"thumos"``: many short instances, on average 3.8
        per 100 snippets, durations log-normal with median 5 snippets; ``"activitynet"``:
        one instance per video, two with probability 0.25, each covering a log-normal
        fraction (median 0.3) of its video.
    n_rgb_features : int, default=None
        Width of the appearance half; ``n_features // 2`` by default.
    length_range : (int, int), default=None
        Smallest and largest video length ``T`` in snippets, sampled log-uniformly;
        ``(50, 300)`` for THUMOS, ``(50, 200)`` for ActivityNet.
    n_instances : int or (int, int), default=None
        Instances per video: exactly this many, or uniform in the inclusive range (fewer
        when they do not fit the video); the profile's distribution by default.
    instance_duration : (float, float), default=None
        ``(median, log_sd)`` of the log-normal instance duration: in snippets for
        ``"thumos"`` (default ``(5.0, 0.9)``), as a fraction of the video for
        ``"activitynet"`` (default ``(0.3, 1.0)``).  Durations are clipped to at least one
        snippet and the instances of a video to 60% (THUMOS) / 95% (ActivityNet) of it.
    multi_label_prob : float, default=0.15
        Probability that a video holds a second class (THUMOS14: 27 of 200 videos).
    action_scale : float or (float, float), default=(1.0, 2.0)
        Norm of the action pattern in the (appearance, motion) halves.
    context_scale : float or (float, float), default=(4.0, 1.0)
        Norm of the context pattern in the (appearance, motion) halves.
    context_floor : float, default=0.2
        Context level far from any instance of the class, in a video of that class.
    context_width : float, default=8.0
        Decay length, in snippets, of the context level away from an instance.
    runup_prob : float, default=0.5
        Probability that an instance is preceded by a run-up.
    runup_scale : float, default=0.5
        Action-pattern level reached at the end of a run-up (relative to the instance).
    runup_length : float, default=0.5
        Run-up length as a fraction of the instance duration (stopped at the previous
        instance or the video start).
    instance_variability : float, default=0.25
        Spread of the per-instance amplitude (uniform in ``1 ± instance_variability``) and
        relative norm of a per-instance random change of the action pattern.
    video_scale : float, default=1.0
        Norm of a random per-video offset added to every snippet.
    noise : float or (float, float), default=1.0
        Standard deviation of the per-column Gaussian noise in the (appearance, motion)
        halves.
    noise_smoothing : float, default=1.0
        Standard deviation, in snippets, of the Gaussian filter that makes the noise
        temporally correlated (0 for white noise); the marginal noise level is kept.
    segments : sequence of (m_i, 3) arrays, default=None
        Given timelines ``[start, end, class]`` in snippets (e.g. THUMOS14 ground truth
        from :func:`load_dataset`); features are generated on them and nothing is
        sampled but the features.  Needs ``lengths``.
    lengths : sequence of int, default=None
        Given video lengths; with ``segments=None`` instances are sampled on them.
    random_state : int, RandomState, Generator or None, default=None
        Seed.  The timelines and the features use separate streams, so the same seed
        (and ``n_classes``, ``n_features``) on the returned ``segments`` and ``lengths``
        gives the same ``X`` again.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X`` : list of ndarray of shape (T_i, n_features), float32;
        ``y`` : ndarray of shape (n_videos, n_classes), float32 0/1 video labels;
        ``segments`` : list of (m_i, 3) float64 arrays ``[start, end, class]``;
        ``lengths`` : ndarray of shape (n_videos,), int64;
        ``snippet_labels`` : list of (T_i,) int64 arrays, the class covering at least half
        of each snippet, else -1;
        ``class_names`` : list of str;
        ``n_rgb_features`` : int, width of the appearance half.

    See Also
    --------
    simulate_clicks : Background and action clicks on these timelines.
    load_dataset : Real timelines to pass as ``segments`` / ``lengths``.

    Examples
    --------
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=20, n_classes=3, random_state=0)
    >>> len(data.X), data.X[0].shape[1], data.y.shape, data.n_rgb_features
    (20, 64, (20, 3), 32)
    >>> seg = data.segments[0]          # [start, end, class] in snippets
    >>> bool((seg[:, 1] > seg[:, 0]).all())
    True
    >>> net = make_temporal_actions(n_videos=8, profile="activitynet", random_state=0)
    >>> [len(s) for s in net.segments]       # one or two long instances per video
    [1, 1, 2, 1, 1, 1, 1, 1]
    """
    check_param("profile", profile, kind=None, options=tuple(_PROFILES))
    check_param("n_features", n_features, kind=(numbers.Integral,), low=2)
    if n_rgb_features is None:
        n_rgb_features = n_features // 2
    check_param("n_rgb_features", n_rgb_features, kind=(numbers.Integral,), low=1,
                high=n_features - 1)
    for name, value, high in [("multi_label_prob", multi_label_prob, 1),
                              ("context_floor", context_floor, 1),
                              ("runup_prob", runup_prob, 1),
                              ("runup_scale", runup_scale, None),
                              ("runup_length", runup_length, None),
                              ("instance_variability", instance_variability, 1),
                              ("video_scale", video_scale, None),
                              ("noise_smoothing", noise_smoothing, None)]:
        check_param(name, value, low=0, high=high)
    check_param("context_width", context_width, low=0, include_low=False)
    action_scale = _pair("action_scale", action_scale)
    context_scale = _pair("context_scale", context_scale)
    noise = _pair("noise", noise)
    prof = _PROFILES[profile]
    length_range = prof["length_range"] if length_range is None else tuple(length_range)
    if len(length_range) != 2 or not 1 <= length_range[0] <= length_range[1]:
        raise ValueError(f"length_range must be (low, high) with 1 <= low <= high, "
                         f"got {length_range!r}")
    instance_duration = (prof["instance_duration"] if instance_duration is None
                         else tuple(instance_duration))
    check_param("instance_duration[0]", instance_duration[0], low=0, include_low=False)
    check_param("instance_duration[1]", instance_duration[1], low=0)
    if n_instances is not None and not isinstance(n_instances, numbers.Integral):
        n_instances = tuple(n_instances)
        if len(n_instances) != 2 or not 1 <= n_instances[0] <= n_instances[1]:
            raise ValueError(f"n_instances must be an int or (low, high), got {n_instances!r}")
    elif n_instances is not None:
        check_param("n_instances", n_instances, kind=(numbers.Integral,), low=1)

    seeds = np.random.SeedSequence(_generator(random_state).integers(2**63))
    timeline_rng, feature_rng = (np.random.default_rng(s) for s in seeds.spawn(2))

    # ---- timelines ------------------------------------------------------------------
    if segments is not None:
        if lengths is None:
            raise ValueError("segments needs lengths (the number of snippets of each video)")
        lengths = _check_lengths(lengths)
        if n_videos is not None and n_videos != len(lengths):
            raise ValueError(f"n_videos={n_videos} but lengths has {len(lengths)} videos")
        n_videos = len(lengths)
        segments = check_segments(segments, n_videos, n_classes=n_classes, lengths=lengths)
        if n_classes is None:
            n_classes = 1 + max((int(s[:, 2].max()) for s in segments if len(s)), default=0)
    else:
        n_classes = 5 if n_classes is None else n_classes
        check_param("n_classes", n_classes, kind=(numbers.Integral,), low=1)
        if lengths is not None:
            lengths = _check_lengths(lengths)
            if n_videos is not None and n_videos != len(lengths):
                raise ValueError(f"n_videos={n_videos} but lengths has {len(lengths)} videos")
            n_videos = len(lengths)
        else:
            n_videos = 50 if n_videos is None else n_videos
            check_param("n_videos", n_videos, kind=(numbers.Integral,), low=1)
            low, high = np.log(length_range[0]), np.log(length_range[1] + 1)
            lengths = np.floor(np.exp(timeline_rng.uniform(low, high, n_videos)))
            lengths = np.clip(lengths, length_range[0], length_range[1]).astype(np.int64)
        primary = timeline_rng.permutation(np.arange(n_videos) % n_classes)
        segments = []
        for i in range(n_videos):
            starts, ends = _sample_timeline(timeline_rng, int(lengths[i]), profile,
                                            n_instances, instance_duration)
            classes = np.full(len(starts), primary[i], dtype=np.float64)
            if n_classes > 1 and len(starts) > 1 and timeline_rng.random() < multi_label_prob:
                second = (primary[i] + timeline_rng.integers(1, n_classes)) % n_classes
                pick = timeline_rng.random(len(starts)) < 0.5
                pick[timeline_rng.permutation(len(starts))[:2]] = [False, True]
                classes[pick] = second
            segments.append(np.column_stack([starts, ends, classes]))
    n_classes = int(n_classes)

    # ---- features -------------------------------------------------------------------
    rng = feature_rng
    D, Da = int(n_features), int(n_rgb_features)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    N = int(offsets[-1])

    def patterns(scales):
        P = rng.standard_normal((n_classes, D))
        for sl, scale in ((slice(0, Da), scales[0]), (slice(Da, D), scales[1])):
            P[:, sl] *= scale / np.linalg.norm(P[:, sl], axis=1, keepdims=True)
        return P

    action_patterns = patterns(action_scale)
    context_patterns = patterns(context_scale)

    # instances on the concatenated timeline, sorted by (video, start)
    video_of = np.repeat(np.arange(n_videos), [len(s) for s in segments])
    allseg = np.concatenate(segments) if video_of.size else np.zeros((0, 3))
    gstart = offsets[video_of] + allseg[:, 0]
    gend = offsets[video_of] + np.minimum(allseg[:, 1], lengths[video_of])
    cls = allseg[:, 2].astype(np.int64)
    order = np.argsort(gstart, kind="stable")
    video_of, gstart, gend, cls = video_of[order], gstart[order], gend[order], cls[order]
    M = len(gstart)

    amplitude = 1.0 + instance_variability * rng.uniform(-1.0, 1.0, M)
    wobble = rng.standard_normal((M, D)) / np.sqrt(D)
    instance_patterns = action_patterns[cls] + (
        instance_variability * np.linalg.norm(action_patterns[cls], axis=1, keepdims=True)
        * wobble
    )

    X = rng.standard_normal((N, D), dtype=np.float32)
    X[:, :Da] *= noise[0]
    X[:, Da:] *= noise[1]
    if noise_smoothing > 0:
        radius = int(4.0 * noise_smoothing + 0.5)
        kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / noise_smoothing) ** 2)
        kernel /= np.sqrt((kernel**2).sum())  # keeps the marginal standard deviation
        for a, b in zip(offsets[:-1], offsets[1:]):
            X[a:b] = convolve1d(X[a:b], kernel.astype(np.float32), axis=0, mode="reflect")

    # action: covered fraction of each snippet x amplitude x instance pattern
    owner, rows, frac = _coverage(gstart, gend)
    weights = [frac * amplitude[owner]]
    all_rows, all_owner = [rows], [owner]
    snippet_labels = np.full(N, -1, dtype=np.int64)
    snippet_labels[rows[frac >= 0.5]] = cls[owner[frac >= 0.5]]

    # run-ups: linear ramp of the instance pattern up to runup_scale, before the start
    if M:
        prev_end = np.maximum.accumulate(gend)
        prev_end = np.concatenate(([-np.inf], prev_end[:-1]))
        first = np.concatenate(([True], video_of[1:] != video_of[:-1]))
        prev_end[first] = -np.inf
        floor_ = np.maximum(prev_end, offsets[video_of])
        has_runup = rng.random(M) < runup_prob
        r_len = runup_length * (gend - gstart)
        r_start = np.maximum(gstart - r_len, floor_)
        sel = np.flatnonzero(has_runup & (r_start < gstart) & (r_len > 0))
        if sel.size:
            r_owner, r_rows, r_frac = _coverage(r_start[sel], gstart[sel])
            inst = sel[r_owner]
            mid = np.clip(r_rows + 0.5, r_start[inst], gstart[inst])
            ramp = (mid - (gstart[inst] - r_len[inst])) / r_len[inst]
            weights.append(r_frac * runup_scale * np.clip(ramp, 0.0, 1.0) * amplitude[inst])
            all_rows.append(r_rows)
            all_owner.append(inst)
    rows = np.concatenate(all_rows)
    owner = np.concatenate(all_owner)
    w = np.concatenate(weights).astype(np.float32)
    if rows.size:  # X[t] += sum_j w_tj * pattern_j, as one sparse product
        W = sparse.csr_matrix((w, (rows, owner)), shape=(N, M))
        X += np.asarray(W @ instance_patterns.astype(np.float32), dtype=np.float32)

    # context: level 1 inside/next to instances of the class, decaying to context_floor
    centres = np.arange(N) + 0.5
    video_of_row = np.repeat(np.arange(n_videos), lengths)
    for c in np.unique(cls):
        idx = np.flatnonzero(cls == c)
        s_c, e_c, v_c = gstart[idx], gend[idx], video_of[idx]
        cum_end = np.maximum.accumulate(e_c)
        has_c = np.zeros(n_videos, dtype=bool)
        has_c[v_c] = True
        r = np.flatnonzero(has_c[video_of_row])
        x, v = centres[r], video_of_row[r]
        k = np.searchsorted(s_c, x, side="right")  # instances starting at or before x
        dist = np.full(r.size, np.inf)
        prev = k - 1
        ok = (prev >= 0)
        ok[ok] = v_c[prev[ok]] == v[ok]
        dist[ok] = np.maximum(x[ok] - cum_end[prev[ok]], 0.0)
        ok = k < len(s_c)
        ok[ok] = v_c[k[ok]] == v[ok]
        dist[ok] = np.minimum(dist[ok], s_c[k[ok]] - x[ok])
        level = context_floor + (1.0 - context_floor) * np.exp(-dist / context_width)
        X[r] += np.outer(level.astype(np.float32), context_patterns[c].astype(np.float32))

    # per-video offset
    offset_vectors = rng.standard_normal((n_videos, D)) * (video_scale / np.sqrt(D))
    for a, b, vector in zip(offsets[:-1], offsets[1:], offset_vectors.astype(np.float32)):
        X[a:b] += vector

    split = offsets[1:-1]
    return Bunch(
        X=np.split(X, split),
        y=segments_to_labels(segments, n_classes),
        segments=[np.asarray(s, dtype=np.float64) for s in segments],
        lengths=np.asarray(lengths, dtype=np.int64),
        snippet_labels=np.split(snippet_labels, split),
        class_names=[f"action_{c}" for c in range(n_classes)],
        n_rgb_features=Da,
    )


def simulate_clicks(segments, lengths, kind="background", *, action_distribution="uniform",
                    action_sd=1 / 16, random_state=None):
    """Simulate click annotations on known timelines.

    A snippet ``t`` (the interval ``[t, t+1)``) belongs to an instance ``[start, end)``
    when they overlap; a *background gap* is a maximal run of snippets that belong to no
    instance.

    * Background clicks (BackTAL): one snippet drawn uniformly inside every background gap.
    * Action clicks: one per instance, at ``floor(p)`` where ``p`` is drawn uniformly in
      ``[start, end)`` (SF-Net's random frame) or from a Gaussian around the centre
      (LACP's points), then clipped to the instance's snippets.

    Parameters
    ----------
    segments : sequence of (m_i, 3) arrays
        Instances ``[start, end, class]`` in timesteps.
    lengths : sequence of int
        Video lengths ``T_i``.
    kind : {"background", "action", "both"}, default="background"
        Which clicks to simulate.  The background clicks of ``"both"`` equal those of
        ``"background"`` for the same seed (separate random streams).
    action_distribution : {"uniform", "gaussian"}, default="uniform"
        Where an action click falls inside its instance.
    action_sd : float, default=1/16
        Standard deviation, in timesteps, of the Gaussian.  The default reproduces
        THUMOS14's ``action_points.csv`` (used by LACP and FS-PTAL): its points lie about
        one frame (sd 1.05 frames, whatever the duration) from the instance centre, i.e.
        1/16 of a 16-frame snippet, so in practice they mark the centre snippet.  A
        spread proportional to the duration (e.g. ``duration / 6``, which keeps 99.7% of
        the draws inside) is not what that file contains.
    random_state : int, RandomState, Generator or None, default=None
        Seed.

    Returns
    -------
    clicks : list of ndarray of shape (k_i, 2), float64
        ``[t, label]`` sorted by position; ``t`` an integer snippet index stored as float
        in ``[0, T_i)``; ``label`` -1 for background, the class for an action click.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.datasets import simulate_clicks
    >>> segments = [np.array([[2.0, 5.0, 1], [8.0, 9.5, 0]])]
    >>> simulate_clicks(segments, [12], kind="both", random_state=0)[0]
    array([[ 0., -1.],
           [ 3.,  1.],
           [ 7., -1.],
           [ 8.,  0.],
           [10., -1.]])
    """
    check_param("kind", kind, kind=None, options=("background", "action", "both"))
    check_param("action_distribution", action_distribution, kind=None,
                options=("uniform", "gaussian"))
    check_param("action_sd", action_sd, low=0)
    lengths = _check_lengths(lengths)
    segments = check_segments(segments, len(lengths), lengths=lengths)
    seeds = np.random.SeedSequence(_generator(random_state).integers(2**63))
    bg_rng, act_rng = (np.random.default_rng(s) for s in seeds.spawn(2))
    out = []
    for seg, T in zip(segments, lengths):
        T = int(T)
        lo = np.floor(seg[:, 0]).astype(np.int64)
        hi = np.minimum(np.ceil(seg[:, 1]).astype(np.int64), T)
        parts = []
        if kind in ("background", "both"):
            diff = np.zeros(T + 1, dtype=np.int64)
            np.add.at(diff, lo, 1)
            np.add.at(diff, hi, -1)
            free = np.concatenate(([0], (np.cumsum(diff[:T]) == 0).astype(np.int8), [0]))
            edges = np.diff(free)
            gap_start, gap_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            u = bg_rng.random(gap_start.size)
            pos = gap_start + np.floor(u * (gap_end - gap_start))
            parts.append(np.column_stack([pos, np.full(pos.size, -1.0)]))
        if kind in ("action", "both"):
            start, end = seg[:, 0], seg[:, 1]
            if action_distribution == "uniform":
                p = start + act_rng.random(len(seg)) * (end - start)
            else:
                p = 0.5 * (start + end) + action_sd * act_rng.standard_normal(len(seg))
            pos = np.clip(np.floor(p), lo, hi - 1)
            parts.append(np.column_stack([pos, seg[:, 2]]))
        clicks = np.concatenate(parts) if parts else np.zeros((0, 2))
        clicks = clicks[np.argsort(clicks[:, 0], kind="stable")].astype(np.float64)
        out.append(clicks.reshape(-1, 2))
    return out
