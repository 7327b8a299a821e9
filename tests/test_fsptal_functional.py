"""FS-PTAL's point-label algorithms: label extension, mining (Alg. 2), runs, OIC ranges."""
import numpy as np
import pytest
import torch

from sktal import FSPTAL
from sktal._resampling import IGNORE_INDEX, interpolate_rows, map_click_labels, source_positions
from sktal.localizers._fsptal_functional import (
    class_runs,
    extension_positions,
    lacp_seeds,
    mine_point_labels,
    optimal_sequence,
    outer_ranges,
    sequence_constraints,
)

N = IGNORE_INDEX
_DEFAULTS = FSPTAL().get_params()
#: label extension with the estimator's τ1, τ2
EXT = {k: _DEFAULTS[k] for k in ("point_weight", "neighbour_weight")}
#: mining with the estimator's γ_bkg, γ_act
MINE = {k: _DEFAULTS[k] for k in ("background_threshold", "action_threshold")}


# ----------------------------------------------------------------- label extension
def test_extension_without_points_is_linear_interpolation():
    for length, n in [(37, 20), (10, 10), (5, 23)]:
        np.testing.assert_allclose(
            extension_positions(length, n, [], **EXT),
            source_positions(length, n, "interpolate"),
            atol=1e-12,
        )


def test_extension_hand_computed_positions():
    # weights [1.67, 2.5, 1.67, 1], quantiles (j + .5) / 6 * 6.84 on the piecewise-linear CDF
    expected = [0.0, 0.516, 0.972, 1.428, 2.0748503, 2.93]
    np.testing.assert_allclose(extension_positions(4, 6, [1], **EXT), expected, atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_extension_is_monotone_with_requested_length(seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(1, 60))
    n = int(rng.integers(1, 80))
    points = rng.integers(0, length, size=rng.integers(0, 6))
    pos = extension_positions(length, n, points, **EXT)
    assert pos.shape == (n,)
    assert np.all(np.diff(pos) >= 0)
    assert pos.min() >= 0 and pos.max() <= length - 1
    assert extension_positions(length, None, points, **EXT).shape == (length,)


def test_extension_samples_in_proportion_to_the_weights():
    # runs {3, 4} and {8}: τ2 at 2, 5, 7, 9; τ1 at 3, 4, 8
    weights = np.array([1, 1, 1.5, 3, 3, 1.5, 1, 1.5, 3, 1.5, 1, 1.0])
    n = 10_000
    pos = extension_positions(12, n, [4.2, 3, 8], point_weight=3, neighbour_weight=1.5)
    counts = np.bincount(np.rint(pos).astype(int), minlength=12)
    np.testing.assert_allclose(counts, n * weights / weights.sum(), atol=1.5)


def test_extension_moves_labels_onto_their_features():
    length, t0, t1 = 30, 7, 21
    video = np.arange(length, dtype=np.float32)[:, None]  # feature = own index
    clicks = np.array([[t0, 2], [t1, 0]], dtype=float)
    pos = extension_positions(length, 30, clicks[:, 0], **EXT)
    features = interpolate_rows(video, pos)[:, 0]
    labels = map_click_labels(clicks, pos, n_classes=3)
    for t, c in [(t0, 2), (t1, 0)]:
        hit = labels == c
        assert hit.sum() >= 2  # the click now covers more than one step
        assert np.all(np.abs(features[hit] - t) <= 0.5)
        # the labelled steps are consecutive
        assert np.all(np.diff(np.flatnonzero(hit)) == 1)
    plain = map_click_labels(clicks, source_positions(length, 30, "interpolate"), 3)
    assert (labels != N).sum() > (plain != N).sum()


# ------------------------------------------------------------------------- mining
def _mine(b, q_argmax, points, n_classes=2, **kw):
    """Run the miner on one video given its background scores and class arg-maxes."""
    b = torch.tensor([b], dtype=torch.float32)
    q = torch.nn.functional.one_hot(torch.tensor([q_argmax]), n_classes).float()
    points = torch.tensor([points])
    kw = {**MINE, "mask": None, **kw}
    action, background = mine_point_labels(b, q, points, **kw)
    return action[0].tolist(), background[0].int().tolist()


def test_mining_thresholds_and_forced_background_in_each_gap():
    #     0    1    2    3    4    5    6    7
    b = [0.1, 0.2, 0.9, 0.5, 0.1, 0.3, 0.6, 0.2]
    action, bkg = _mine(b, [0] * 8, [N, 0, N, N, N, N, 1, N])
    # gap [0]: nothing above .85 -> its max (the only snippet); gap [2..5]: 2;
    # gap [7]: forced. Snippet 4 (b <= .25) is right of the gap's background and
    # its right neighbour is class 1, but its arg-max class is 0: not mined.
    assert bkg == [1, 0, 1, 0, 0, 0, 0, 1]
    assert action == [N, 0, N, N, N, N, 1, N]


def test_mining_gap_without_background_takes_first_maximum():
    b = [0.5, 0.3, 0.7, 0.2, 0.7, 0.6, 0.1]
    action, bkg = _mine(b, [0] * 7, [0, N, N, N, N, N, 0])
    assert bkg == [0, 0, 1, 0, 0, 0, 0]  # 2 and 4 tie at .7: the first wins
    # 1 (b .3) is above γ_act; 3 (b .2) is right of the background -> class 0 of
    # the right point (index 6)
    assert action == [0, N, N, 0, N, N, 0]


def test_mining_joins_background_points_within_a_gap():
    b = [0.1, 0.9, 0.1, 0.3, 0.95, 0.1, 0.2]
    action, bkg = _mine(b, [1] * 7, [1, N, N, N, N, N, 1])
    assert bkg == [0, 1, 1, 1, 1, 0, 0]
    # 2 and 3 lie between two background points: background, not pseudo action;
    # 5 (b .1) joins the right point's class
    assert action == [1, N, N, N, N, 1, 1]


def test_mining_pseudo_actions_need_no_background_in_between_not_contiguity():
    #     0    1    2    3    4    5    6    7    8    9
    b = [0.9, 0.9, 0.0, 0.1, 0.5, 0.2, 0.9, 0.1, 0.0, 0.9]
    top = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    action, bkg = _mine(b, top, [N, N, 0, N, N, N, N, N, 1, N])
    assert bkg == [1, 1, 0, 0, 0, 0, 1, 0, 0, 1]
    # 3 and 5 join class 0 across 4 (b .5, not mined itself); 7 joins class 1
    assert action == [N, N, 0, 0, N, 0, N, 1, 1, N]


def test_mining_requires_the_neighbour_class_to_be_the_argmax():
    b = [0.9, 0.1, 0.1, 0.1, 0.9]
    action, _ = _mine(b, [0, 0, 1, 0, 0], [N, N, N, 0, N])
    assert action == [N, 0, N, 0, N]  # 2 is closer in time but its top class is 1


def test_mining_thresholds_are_strict_for_background_inclusive_for_action():
    b = [0.85, 0.25, 0.0, 0.86]
    action, bkg = _mine(b, [0] * 4, [N, N, 0, N])
    # .85 is not > .85, but it is the gap's maximum; .25 <= .25 is mined
    assert bkg == [1, 0, 0, 1]
    assert action == [N, 0, 0, N]


def test_mining_adjacent_action_points_of_different_classes():
    b = [0.9, 0.1, 0.0, 0.0, 0.1, 0.9]
    top = [0, 0, 0, 1, 1, 1]
    action, bkg = _mine(b, top, [N, N, 0, 1, N, N])
    # no gap between 2 and 3: no background forced there
    assert bkg == [1, 0, 0, 0, 0, 1]
    assert action == [N, 0, 0, 1, 1, N]


def test_mining_points_at_the_video_edges():
    b = [0.0, 0.1, 0.3, 0.1, 0.0]
    action, bkg = _mine(b, [0, 0, 0, 1, 1], [0, N, N, N, 1])
    # the only gap is 1..3; its maximum (2) is background; no edge gap exists
    assert bkg == [0, 0, 1, 0, 0]
    assert action == [0, 0, N, 1, 1]
    # a single point at the start: the gap to the right ends at the video's end
    action, bkg = _mine([0.0, 0.1, 0.2, 0.3], [0] * 4, [0, N, N, N])
    assert bkg == [0, 0, 0, 1]
    assert action == [0, 0, 0, N]


def test_mining_without_action_points_marks_one_background_point():
    action, bkg = _mine([0.1, 0.5, 0.2], [0] * 3, [N, N, N])
    assert bkg == [0, 1, 0]
    assert action == [N, N, N]


def test_mining_background_clicks_are_background_seeds():
    # label 2 == n_classes: a background click at 3 (b only .4)
    action, bkg = _mine([0.0, 0.1, 0.6, 0.4, 0.1], [0] * 5, [0, N, N, 2, N])
    assert bkg == [0, 0, 0, 1, 0]
    assert action == [0, 0, N, N, N]


def _reference_mining(b, top, points, n_classes, gamma_bkg, gamma_act):
    """Alg. 2 with explicit loops, one video."""
    length = len(b)
    act = [t for t in range(length) if 0 <= points[t] < n_classes]
    bkg = {t for t in range(length)
           if t not in act and (b[t] > gamma_bkg or points[t] == n_classes)}
    for lo, hi in zip([-1] + act, act + [length]):
        inside = list(range(lo + 1, hi))
        if inside and not any(j in bkg for j in inside):
            bkg.add(max(inside, key=lambda j: (b[j], -j)))
    for lo, hi in zip([-1] + act, act + [length]):
        inside = sorted(j for j in bkg if lo < j < hi)
        if inside:
            bkg.update(range(inside[0], inside[-1] + 1))
    out = [points[t] if t in act else N for t in range(length)]
    for i in range(length):
        if i in act or i in bkg or b[i] > gamma_act:
            continue
        left = [t for t in act if t < i]
        right = [t for t in act if t > i]
        if left and not any(left[-1] < j < i for j in bkg) and top[i] == points[left[-1]]:
            out[i] = points[left[-1]]
        elif right and not any(i < j < right[0] for j in bkg) and top[i] == points[right[0]]:
            out[i] = points[right[0]]
    return out, [int(t in bkg) for t in range(length)]


@pytest.mark.parametrize("seed", range(20))
def test_mining_matches_a_loop_implementation_of_alg2(seed):
    rng = np.random.default_rng(seed)
    n_videos, length, n_classes = 3, 25, 3
    b = rng.random((n_videos, length)) ** rng.uniform(0.3, 3)
    q = rng.random((n_videos, length, n_classes))
    points = np.full((n_videos, length), N)
    for v in range(n_videos):
        where = rng.choice(length, size=rng.integers(0, 6), replace=False)
        points[v, where] = rng.integers(0, n_classes + 1, size=len(where))  # some bkg clicks
    lengths = [length, 19, 7]
    mask = np.arange(length)[None] < np.array(lengths)[:, None]
    points[~mask] = N
    action, bkg = mine_point_labels(
        torch.tensor(b), torch.tensor(q), torch.tensor(points),
        background_threshold=0.8, action_threshold=0.3, mask=torch.tensor(mask),
    )
    for v, n in enumerate(lengths):
        exp_action, exp_bkg = _reference_mining(
            b[v, :n], q[v, :n].argmax(-1), points[v, :n], n_classes, 0.8, 0.3
        )
        assert action[v, :n].tolist() == exp_action
        assert bkg[v, :n].int().tolist() == exp_bkg
        assert action[v, n:].eq(N).all() and not bkg[v, n:].any()


# ------------------------------------------------------------ LACP's select_seed
def _reference_lacp_seeds(b, points, n_classes):
    """LACP's seed rule written as loops over gaps, straight from its description."""
    length = len(b)
    act = [t for t in range(length) if 0 <= points[t] < n_classes]
    bkg = np.zeros(length, dtype=bool)
    out = [N] * length
    for t in act:
        out[t] = int(points[t])
    if not act:
        return out, [int(points[t] == n_classes) for t in range(length)]
    gaps = []
    if act[0] > 0:
        gaps.append(("left", 0, act[0]))
    gaps += [("middle", a + 1, c) for a, c in zip(act, act[1:]) if c - a > 1]
    if act[-1] < length - 1:
        gaps.append(("right", act[-1] + 1, length))
    for kind, lo, hi in gaps:
        seeds = [t for t in range(lo, hi) if b[t] >= 0.95]
        best = lo + int(np.argmax(b[lo:hi]))
        if kind == "left":
            bkg[lo:(seeds[-1] if seeds else best) + 1] = True
        elif kind == "right":
            bkg[(seeds[0] if seeds else best):hi] = True
        elif len(seeds) >= 2:
            bkg[seeds[0]:seeds[-1] + 1] = True
        else:
            bkg[seeds + [best]] = True
    bkg |= np.asarray(points) == n_classes  # background clicks, which stop the growth
    for kind, lo, hi in gaps:
        if kind != "left":  # grow from the point on the left, rightwards
            for t in range(lo, hi):
                if b[t] > 0.1 or bkg[t]:
                    break
                out[t] = int(points[lo - 1])
        if kind != "right":  # from the point on the right, leftwards
            for t in range(hi - 1, lo - 1, -1):
                if b[t] > 0.1 or bkg[t]:
                    break
                out[t] = int(points[hi])
    return out, [int(x) for x in bkg]


def test_lacp_seeds_hand_example():
    #     0     1     2    3     4    5     6    7     8     9
    b = [0.97, 0.5, 0.05, N, 0.05, 0.96, 0.2, 0.97, 0.3, 0.02]
    b = [0.0 if x == N else x for x in b]
    points = [N, N, N, 1, N, N, N, N, 0, N]
    action, bkg = lacp_seeds(torch.tensor([b]), torch.tensor([points]), n_classes=2,
                             mask=None)
    # left gap [0..2]: seed at 0 -> [0]; pseudo action 2 (b <= .1) takes class 1, 1 stops
    # middle [4..7]: seeds 5 and 7 -> 5..7 background; 4 grows from point 3;
    # right [9]: no seed -> its max (9) is background, so it is not an action point
    assert bkg[0].int().tolist() == [1, 0, 0, 0, 0, 1, 1, 1, 0, 1]
    assert action[0].tolist() == [N, N, 1, 1, 1, N, N, N, 0, N]


def test_lacp_seeds_middle_gap_with_one_seed_adds_the_maximum():
    b = [0.0, 0.96, 0.2, 0.99, 0.5, 0.0]  # one seed (3) in [1..4]? no: 1 and 3 are seeds
    action, bkg = lacp_seeds(torch.tensor([b]), torch.tensor([[0, N, N, N, N, 0]]),
                             n_classes=1, mask=None)
    assert bkg[0].int().tolist() == [0, 1, 1, 1, 0, 0]
    b = [0.0, 0.5, 0.9, 0.96, 0.5, 0.0]  # one seed (3), the max is 3 itself
    action, bkg = lacp_seeds(torch.tensor([b]), torch.tensor([[0, N, N, N, N, 0]]),
                             n_classes=1, mask=None)
    assert bkg[0].int().tolist() == [0, 0, 0, 1, 0, 0]


@pytest.mark.parametrize("seed", range(8))
def test_lacp_seeds_match_a_loop_implementation(seed):
    rng = np.random.default_rng(seed)
    n_videos, length, n_classes = 3, 25, 3
    b = rng.random((n_videos, length)) ** rng.uniform(0.2, 4)
    b = np.where(rng.random((n_videos, length)) < 0.15, 0.97, b)
    points = np.full((n_videos, length), N)
    for v in range(n_videos):
        where = rng.choice(length, size=rng.integers(0, 6), replace=False)
        points[v, where] = rng.integers(0, n_classes + 1, size=len(where))
    lengths = [length, 19, 7]
    mask = np.arange(length)[None] < np.array(lengths)[:, None]
    points[~mask] = N
    action, bkg = lacp_seeds(torch.tensor(b), torch.tensor(points), n_classes=n_classes,
                             mask=torch.tensor(mask))
    for v, n in enumerate(lengths):
        exp_action, exp_bkg = _reference_lacp_seeds(b[v, :n], points[v, :n], n_classes)
        assert action[v, :n].tolist() == exp_action
        assert bkg[v, :n].int().tolist() == exp_bkg
        assert action[v, n:].eq(N).all() and not bkg[v, n:].any()


# -------------------------------------------------------------- runs and OIC ranges
def test_class_runs_find_runs_and_same_class_neighbours():
    action = torch.tensor([[0, 0, N, 1, 0, N, N, 0],
                           [N, 1, 1, N, N, N, N, N]])
    runs = class_runs(action, 2, lengths=torch.tensor([8, 6]))
    got = list(zip(*[runs[k].tolist() for k in
                     ("video", "label", "start", "end", "previous_end", "next_start")]))
    assert got == [
        (0, 0, 0, 1, -1, 4),
        (0, 0, 4, 4, 1, 7),
        (0, 0, 7, 7, 4, 8),
        (0, 1, 3, 3, -1, 8),
        (1, 1, 1, 2, -1, 6),
    ]


def test_class_runs_empty():
    runs = class_runs(torch.full((2, 5), N), 3)
    assert runs["start"].numel() == 0


def test_outer_ranges_without_neighbours_is_lacps_range():
    # LACP: max(0, int(s - δ l)) .. min(T - 1, int(e + δ l))
    length = 40
    for s in range(0, 40, 3):
        for e in range(s, 40, 4):
            left, right = outer_ranges(torch.tensor([s]), torch.tensor([e]),
                                       torch.tensor([-1]), torch.tensor([length]),
                                       contrast_outer_ratio=0.25)
            size = e - s + 1
            assert left.item() == max(0, int(s - 0.25 * size))
            assert right.item() == min(length - 1, int(e + 0.25 * size))


def test_outer_ranges_stop_at_neighbouring_segments():
    start, end = torch.tensor([4, 2]), torch.tensor([19, 9])
    left, right = outer_ranges(start, end, torch.tensor([0, -1]), torch.tensor([40, 11]),
                               contrast_outer_ratio=0.25)
    # [4, 19] (l 16): floor(4 - 4) = 0, but [.., 0] is the previous segment -> 1
    # [2, 9] (l 8): floor(9 + 2) = 11, but the next segment starts at 11 -> 10
    assert left.tolist() == [1, 0]
    assert right.tolist() == [23, 10]
    # δ = 0 leaves no outer range
    left, right = outer_ranges(start, end, torch.tensor([-1, -1]), torch.tensor([40, 40]),
                               contrast_outer_ratio=0.0)
    assert left.tolist() == [4, 2] and right.tolist() == [19, 9]


# ------------------------------------------------------- LACP's optimal sequence
def _oic(row, s, e, delta=0.25):
    size = e - s + 1
    lo, hi = max(0, int(np.floor(s - delta * size))), min(len(row) - 1,
                                                          int(np.floor(e + delta * size)))
    outer = list(range(lo, s)) + list(range(e + 1, hi + 1))
    return np.mean(row[s:e + 1]) - (np.mean(row[outer]) if outer else 0.0)


def _brute_force_sequence(scores, labels, low, high):
    """Every choice of segment ends; the best mean contrast and its labelling."""
    import itertools
    length, n = len(scores), len(labels)
    choices = [range(high[k], low[k + 1]) for k in range(n - 1)]
    best, best_labels = -np.inf, None
    for cut in itertools.product(*choices):
        ends = list(cut) + [length - 1]
        total, start, out = 0.0, 0, np.zeros(length, dtype=np.int8)
        for k, end in enumerate(ends):
            row = scores if labels[k] == 1 else 1 - scores
            total += _oic(row, start, end)
            out[start:end + 1] = labels[k]
            start = end + 1
        if total / n > best + 1e-12:
            best, best_labels = total / n, out
    return best, best_labels


def test_sequence_constraints_hand_example():
    #        0  1  2  3  4  5  6  7  8  9
    act = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0]
    bkg = [1, 0, 0, 0, 0, 1, 1, 0, 0, 1]
    labels, low, high = sequence_constraints(np.array(act, bool), np.array(bkg, bool))
    assert labels.tolist() == [0, 1, 0, 1, 0]
    assert low.tolist() == [0, 2, 5, 7, 9] and high.tolist() == [0, 3, 6, 7, 9]
    # no background seed before / after: the action segments reach the edges; two
    # action runs with no background seed between them are one segment
    labels, low, high = sequence_constraints(np.array([0, 1, 0, 1, 0], bool),
                                             np.zeros(5, bool))
    assert labels.tolist() == [1] and low.tolist() == [0] and high.tolist() == [4]


def test_optimal_sequence_hand_example():
    scores = np.array([0.1, 0.2, 0.9, 0.8, 0.7, 0.1, 0.0, 0.1])
    act = np.zeros(8, bool)
    act[3] = True
    bkg = np.zeros(8, bool)
    bkg[[0, 7]] = True
    labels, score = optimal_sequence(scores, act, bkg, outer_ratio=0.25)
    # action [2, 4]: .8 minus its outer range [floor(2 - .75), 1] = [1] on the left
    # (floor(4 + .75) = 4: none on the right) -> .8 - .2; background [0, 1] on 1 - q:
    # .85, no outer (floor(.5) = 0); [5, 7]: mean(.9, 1, .9) minus 1 - q[4] = .3
    assert labels.tolist() == [0, 0, 1, 1, 1, 0, 0, 0]
    expected = ((0.8 - 0.2) + 0.85 + (np.mean([0.9, 1.0, 0.9]) - 0.3)) / 3
    assert score == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(12))
def test_optimal_sequence_matches_a_brute_force_search(seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(4, 13))
    scores = rng.random(length)
    kind = rng.choice(3, size=length, p=[0.6, 0.2, 0.2])  # free / action / background
    if not (kind == 1).any():
        kind[rng.integers(length)] = 1
    act, bkg = kind == 1, kind == 2
    labels, score = optimal_sequence(scores, act, bkg, outer_ratio=0.25)
    seg, low, high = sequence_constraints(act, bkg)
    best, best_labels = _brute_force_sequence(scores, seg, low, high)
    assert score == pytest.approx(best)
    assert labels.tolist() == best_labels.tolist()
    assert labels[act].all() and not labels[bkg & ~act].any()  # seeds respected


def test_optimal_sequence_without_action_seeds_is_all_background():
    labels, score = optimal_sequence(np.ones(5), np.zeros(5, bool), np.ones(5, bool),
                                     outer_ratio=0.25)
    assert labels.tolist() == [0] * 5 and score == 0.0
