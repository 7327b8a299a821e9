"""Tests for sktal.datasets: the synthetic generator and the click simulator."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score

from sktal.datasets import make_temporal_actions, simulate_clicks
from sktal.utils import check_clicks, check_segments, check_videos


@pytest.fixture(scope="module")
def thumos_like():
    return make_temporal_actions(n_videos=30, n_classes=3, n_features=16, random_state=0)


def _snippet_kinds(data, adjacent=2.0, far=16.0):
    """Per snippet: 0 action (>= half covered), 1 background next to an instance
    (distance <= ``adjacent``), 2 generic background (distance > ``far``), -1 other."""
    kinds = []
    for seg, labels, T in zip(data.segments, data.snippet_labels, data.lengths):
        centre = np.arange(T) + 0.5
        dist = np.full(T, np.inf)
        covered = np.zeros(T, dtype=bool)
        for start, end, _ in seg:
            dist = np.minimum(dist, np.maximum(np.maximum(start - centre, centre - end), 0))
            covered[int(np.floor(start)):int(np.ceil(end))] = True
        kind = np.full(T, -1)
        kind[~covered & (dist <= adjacent)] = 1
        kind[~covered & (dist > far)] = 2
        kind[labels >= 0] = 0
        kinds.append(kind)
    return kinds


def _gaps(seg, T):
    """Maximal runs [a, b) of snippets that overlap no instance."""
    covered = np.zeros(T, dtype=bool)
    for start, end, _ in seg:
        covered[int(np.floor(start)):int(np.ceil(end))] = True
    runs, t = [], 0
    while t < T:
        if covered[t]:
            t += 1
            continue
        a = t
        while t < T and not covered[t]:
            t += 1
        runs.append((a, t))
    return runs


# ---------------------------------------------------------------- make_temporal_actions
def test_make_temporal_actions_shapes_and_contract(thumos_like):
    data = thumos_like
    assert len(data.X) == len(data.segments) == len(data.lengths) == 30
    videos = check_videos(data.X)
    assert all(v.shape == (t, 16) for v, t in zip(videos, data.lengths))
    assert all(x.dtype == np.float32 for x in data.X)
    assert data.y.shape == (30, 3) and set(np.unique(data.y)) <= {0.0, 1.0}
    assert data.n_rgb_features == 8 and data.class_names == ["action_0", "action_1", "action_2"]
    check_segments(data.segments, 30, n_classes=3, lengths=data.lengths)
    assert data.lengths.min() >= 50 and data.lengths.max() <= 300
    for seg, y, labels in zip(data.segments, data.y, data.snippet_labels):
        assert len(seg) >= 1 and np.all(seg[:, 1] <= data.lengths.max())
        assert set(seg[:, 2].astype(int)) == set(np.flatnonzero(y))
        assert set(labels[labels >= 0]) <= set(seg[:, 2].astype(int))
        order = np.argsort(seg[:, 0])
        assert np.all(seg[order][1:, 0] >= seg[order][:-1, 1])  # no overlap
    assert data.y.sum(axis=0).min() >= 1  # every class appears


def test_make_temporal_actions_is_deterministic():
    a = make_temporal_actions(n_videos=5, n_features=8, random_state=3)
    b = make_temporal_actions(n_videos=5, n_features=8, random_state=3)
    c = make_temporal_actions(n_videos=5, n_features=8, random_state=4)
    assert all(np.array_equal(x, z) for x, z in zip(a.X, b.X))
    assert all(np.array_equal(s, t) for s, t in zip(a.segments, b.segments))
    assert not all(x.shape == z.shape and np.allclose(x, z) for x, z in zip(a.X, c.X))


def test_make_temporal_actions_on_given_timelines_keeps_them():
    base = make_temporal_actions(n_videos=4, n_features=8, random_state=1)
    again = make_temporal_actions(segments=base.segments, lengths=base.lengths, n_classes=5,
                                  n_features=8, random_state=1)
    assert all(np.array_equal(s, t) for s, t in zip(base.segments, again.segments))
    assert all(np.array_equal(x, z) for x, z in zip(base.X, again.X))  # features only
    real = [np.array([[3.25, 9.5, 2], [20.0, 61.7, 0]]), np.zeros((0, 3))]
    data = make_temporal_actions(segments=real, lengths=[70, 15], n_features=8, random_state=0)
    assert data.y.tolist() == [[1, 0, 1], [0, 0, 0]]
    assert [x.shape for x in data.X] == [(70, 8), (15, 8)]
    only_lengths = make_temporal_actions(lengths=[40, 90], n_features=8, random_state=0)
    assert only_lengths.lengths.tolist() == [40, 90]


def test_make_temporal_actions_rejects_bad_arguments():
    with pytest.raises(ValueError, match="segments needs lengths"):
        make_temporal_actions(segments=[np.array([[0, 2, 0]])])
    with pytest.raises(ValueError, match=r"n_videos=3 but lengths has 2 videos"):
        make_temporal_actions(n_videos=3, lengths=[10, 20])
    with pytest.raises(ValueError, match=r"segments\[0\]: instance 0 starts at 12.0, outside"):
        make_temporal_actions(segments=[np.array([[12, 14, 0]])], lengths=[10])
    with pytest.raises(ValueError, match=r"profile must be one of 'thumos', 'activitynet'"):
        make_temporal_actions(profile="hacs")
    with pytest.raises(ValueError, match=r"n_rgb_features must be <= 7"):
        make_temporal_actions(n_features=8, n_rgb_features=8)


def test_thumos_profile_has_many_short_instances():
    data = make_temporal_actions(n_videos=60, n_features=4, random_state=0)
    durations = np.concatenate([s[:, 1] - s[:, 0] for s in data.segments])
    per_100 = sum(len(s) for s in data.segments) / data.lengths.sum() * 100
    assert 3.0 < np.median(durations) < 8.0  # THUMOS14: median 5.4 snippets
    assert 2.5 < per_100 < 4.5  # THUMOS14: ~3.8 instances per 100 snippets
    multi = (data.y.sum(axis=1) > 1).mean()
    assert 0.03 < multi < 0.35


def test_activitynet_profile_has_one_or_two_long_instances():
    data = make_temporal_actions(n_videos=200, n_features=4, profile="activitynet",
                                 random_state=0)
    counts = np.array([len(s) for s in data.segments])
    assert set(counts) <= {1, 2}
    assert 0.65 < (counts == 1).mean() < 0.85
    fraction = np.concatenate([(s[:, 1] - s[:, 0]) / t for s, t in zip(data.segments,
                                                                       data.lengths)])
    assert 0.2 < np.median(fraction) < 0.45  # ActivityNet 1.2: median 0.29
    assert fraction.max() <= 0.95 + 1e-9
    assert data.lengths.min() >= 50 and data.lengths.max() <= 200


def test_features_show_action_context_confusion():
    """A per-class linear probe separates action snippets from generic background well,
    and from the background right next to actions (context, run-ups) clearly worse."""
    data = make_temporal_actions(n_videos=30, n_classes=2, length_range=(150, 300),
                                 random_state=0)
    kinds = _snippet_kinds(data)
    accuracy = {1: [], 2: []}
    for c in range(2):
        videos = np.flatnonzero(data.y[:, c] == 1)
        for other in (1, 2):
            def pick(index):
                X = np.concatenate([data.X[i] for i in index])
                k = np.concatenate([kinds[i] for i in index])
                keep = (k == 0) | (k == other)
                return X[keep], k[keep] == 0
            X_train, y_train = pick(videos[::2])  # train and test on different videos
            X_test, y_test = pick(videos[1::2])
            probe = LogisticRegression(C=0.1, max_iter=1000).fit(X_train, y_train)
            accuracy[other].append(balanced_accuracy_score(y_test, probe.predict(X_test)))
    generic, adjacent = np.mean(accuracy[2]), np.mean(accuracy[1])
    assert generic > 0.85
    assert adjacent < 0.78
    assert generic - adjacent > 0.1


def test_appearance_carries_context_and_motion_carries_action():
    data = make_temporal_actions(n_videos=40, n_classes=2, random_state=0)
    kinds = _snippet_kinds(data)
    X, k = np.concatenate(data.X), np.concatenate(kinds)
    half = data.n_rgb_features
    action_gap = X[k == 0].mean(axis=0) - X[k == 1].mean(axis=0)
    assert np.linalg.norm(action_gap[half:]) > 1.5 * np.linalg.norm(action_gap[:half])
    # context: background of class-0 videos vs class-1 videos
    single = data.y.sum(axis=1) == 1
    bg = [np.concatenate([x[kd == 2] for x, kd, y, s in zip(data.X, kinds, data.y, single)
                          if s and y[c]]) for c in range(2)]
    context_gap = bg[0].mean(axis=0) - bg[1].mean(axis=0)
    assert np.linalg.norm(context_gap[:half]) > 1.5 * np.linalg.norm(context_gap[half:])


def test_generator_is_fast_enough_for_larger_data():
    data = make_temporal_actions(n_videos=50, n_classes=20, n_features=32,
                                 length_range=(1000, 1000), random_state=0)
    assert sum(len(x) for x in data.X) == 50_000


# ---------------------------------------------------------------- simulate_clicks
def test_background_clicks_one_per_gap_and_inside_it(thumos_like):
    data = thumos_like
    clicks = simulate_clicks(data.segments, data.lengths, kind="background", random_state=0)
    check_clicks(clicks, data.lengths)
    for seg, T, c in zip(data.segments, data.lengths, clicks):
        gaps = _gaps(seg, T)
        assert np.all(c[:, 1] == -1) and len(c) == len(gaps)
        for (a, b), t in zip(gaps, c[:, 0]):  # both sorted by position
            assert a <= t < b and t == int(t)


def test_action_clicks_one_per_instance_and_inside_it(thumos_like):
    data = thumos_like
    at_centre = []
    for distribution in ("uniform", "gaussian"):
        clicks = simulate_clicks(data.segments, data.lengths, kind="action",
                                 action_distribution=distribution, random_state=0)
        check_clicks(clicks, data.lengths, labels=data.y)
        for seg, c in zip(data.segments, clicks):
            assert len(c) == len(seg) and np.all(np.diff(c[:, 0]) >= 0)
            order = np.argsort(seg[:, 0], kind="stable")
            lo, hi = np.floor(seg[order, 0]), np.ceil(seg[order, 1]) - 1
            assert np.all((lo <= c[:, 0]) & (c[:, 0] <= hi))
            assert np.array_equal(c[:, 1], seg[order, 2])
            if distribution == "gaussian":  # default sd 1/16: mostly the centre snippet
                centre = np.floor(0.5 * (seg[order, 0] + seg[order, 1]))
                at_centre.extend(c[:, 0] == centre)
    assert np.mean(at_centre) > 0.8


def test_gaussian_clicks_are_clipped_inside_the_instance():
    segments = [np.array([[10.0, 12.0, 0]])]
    clicks = simulate_clicks(segments * 50, [30] * 50, kind="action",
                             action_distribution="gaussian", action_sd=50.0, random_state=0)
    positions = np.concatenate(clicks)[:, 0]
    assert set(positions) == {10.0, 11.0}


def test_simulate_clicks_is_deterministic_and_both_is_the_union(thumos_like):
    data = thumos_like
    bg = simulate_clicks(data.segments, data.lengths, kind="background", random_state=5)
    act = simulate_clicks(data.segments, data.lengths, kind="action", random_state=5)
    both = simulate_clicks(data.segments, data.lengths, kind="both", random_state=5)
    again = simulate_clicks(data.segments, data.lengths, kind="both", random_state=5)
    other = simulate_clicks(data.segments, data.lengths, kind="both", random_state=6)
    assert all(np.array_equal(x, z) for x, z in zip(both, again))
    assert not all(np.array_equal(x, z) for x, z in zip(both, other))
    for b, a, ab in zip(bg, act, both):
        assert np.array_equal(ab[ab[:, 1] == -1], b)
        assert np.array_equal(ab[ab[:, 1] != -1], a)
        assert np.all(np.diff(ab[:, 0]) >= 0)


def test_simulate_clicks_handles_edges():
    # instance touching both ends: no background gap; fractional, overlapping and past-the-end
    segments = [np.array([[0.0, 10.0, 1]]), np.array([[0.5, 2.5, 0], [2.0, 4.0, 0]]),
                np.array([[7.2, 12.0, 0]]), np.zeros((0, 3))]
    clicks = simulate_clicks(segments, [10, 8, 9, 5], kind="both", random_state=0)
    assert clicks[0][:, 1].tolist() == [1]
    assert clicks[1][clicks[1][:, 1] == -1, 0] >= 4  # gap is snippets 4..7
    assert 7 <= clicks[2][clicks[2][:, 1] == 0, 0][0] <= 8
    assert clicks[3].shape == (1, 2) and clicks[3][0, 1] == -1
    with pytest.raises(ValueError, match=r"kind must be one of"):
        simulate_clicks(segments, [10, 8, 9, 5], kind="actions")
