"""Tests for sktal.postprocessing: CAS -> detections, hard NMS and soft-NMS.

The vectorised implementation is checked against ``reference_cas_to_detections``, a
plain loop version written the way the BaS-Net / LACP code reads (scipy ``interp1d``,
one threshold, class, snippet and proposal at a time, greedy NMS).
"""
import numpy as np
import pytest
from scipy.interpolate import interp1d

from sktal.postprocessing import cas_to_detections, non_maximum_suppression, soft_nms
from sktal.postprocessing._proposals import _minmax_normalize, _upsample

DEFAULT_THRESHOLDS = np.arange(0.0, 0.25, 0.025)
DEFAULT_AGNOSTIC_THRESHOLDS = np.arange(0.5, 0.725, 0.025)


# --------------------------------------------------------------------------- reference


def _reference_upsample(values, scale):
    grid = np.arange(0, values.shape[0], 1 / scale)
    if values.shape[0] == 1:
        return np.repeat(values.astype(np.float64), len(grid), axis=0)
    f = interp1d(np.arange(values.shape[0]), values, kind="linear", axis=0,
                 fill_value="extrapolate")
    return f(grid)


def _reference_runs(mask):
    """(first, last) of each run of True, one snippet at a time."""
    runs, first = [], None
    for i, on in enumerate(mask):
        if on and first is None:
            first = i
        if not on and first is not None:
            runs.append((first, i - 1))
            first = None
    if first is not None:
        runs.append((first, len(mask) - 1))
    return runs


def _reference_oic(values, first, last, outer_ratio):
    length = last - first + 1
    inner = np.mean(values[first:last + 1])
    outer_start = max(0, int(first - outer_ratio * length))
    outer_end = min(len(values) - 1, int(last + outer_ratio * length))
    outer = list(range(outer_start, first)) + list(range(last + 1, outer_end + 1))
    return inner - (np.mean(values[outer]) if outer else 0)


def _iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def _reference_nms(detections, iou_threshold):
    order = sorted(range(len(detections)), key=lambda i: -detections[i][3])  # stable
    kept = []
    for i in order:
        if all(detections[j][2] != detections[i][2]
               or _iou(detections[i], detections[j]) < iou_threshold for j in kept):
            kept.append(i)
    return np.array([detections[i] for i in kept], dtype=np.float64).reshape(-1, 4)


def reference_cas_to_detections(cas, video_scores, *, class_threshold=0.25,
                                thresholds=DEFAULT_THRESHOLDS, scale=24, outer_ratio=0.25,
                                gamma=0.2, nms="hard", nms_threshold=0.7, normalize=True,
                                agnostic_scores=None,
                                agnostic_thresholds=DEFAULT_AGNOSTIC_THRESHOLDS,
                                output_length=None):
    """Loop version of :func:`cas_to_detections` (hard NMS or none)."""
    n_steps, n_classes = cas.shape
    output_length = n_steps if output_length is None else output_length
    kept = [c for c in range(n_classes) if video_scores[c] >= class_threshold]
    kept = kept or [int(np.argmax(video_scores))]
    columns = []
    for c in kept:
        x = cas[:, c]
        if normalize:
            high, low = max(x.max(), 0), max(x.min(), 0)
            delta = high - low if high - low > 0 else 1
            x = (x - low) / delta
        columns.append(x)
    upsampled = _reference_upsample(np.stack(columns, axis=1), scale)
    if agnostic_scores is not None:
        agnostic = _reference_upsample(agnostic_scores[:, None], scale)[:, 0]
    factor = output_length / (scale * n_steps)

    candidates = []
    for k, c in enumerate(kept):
        bonus = gamma * video_scores[c]
        sources = [(upsampled[:, k], thr, True) for thr in thresholds]
        if agnostic_scores is not None:
            sources += [(agnostic, thr, False) for thr in agnostic_thresholds]
        for signal, thr, zero_outside in sources:
            thresholded = signal.copy()
            thresholded[thresholded < thr] = 0
            values = thresholded if zero_outside else upsampled[:, k]
            for first, last in _reference_runs(thresholded > 0):
                score = _reference_oic(values, first, last, outer_ratio) + bonus
                candidates.append([first * factor, min((last + 1) * factor, output_length),
                                   c, score])
    if nms == "hard":
        return _reference_nms(candidates, nms_threshold)
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i][3])
    return np.array([candidates[i] for i in order], dtype=np.float64).reshape(-1, 4)


def _random_case(rng):
    """A random CAS (several shapes of signal) and random post-processing options."""
    n_steps = int(rng.integers(1, 30))
    n_classes = int(rng.integers(1, 4))
    kind = rng.integers(4)
    if kind == 0:    # raw logits with negative values
        cas = rng.normal(size=(n_steps, n_classes))
    elif kind == 1:  # float32 probabilities
        cas = rng.random((n_steps, n_classes)).astype(np.float32)
    elif kind == 2:  # smooth bumps
        cas = np.cumsum(rng.normal(size=(n_steps, n_classes)), axis=0)
    else:            # sparse activations with exact zeros
        cas = rng.random((n_steps, n_classes)) * (rng.random((n_steps, n_classes)) < 0.4)
    options = dict(
        class_threshold=float(rng.choice([0.0, 0.25, 0.5, 2.0])),
        scale=int(rng.choice([1, 2, 3, 5, 24], p=[0.3, 0.2, 0.2, 0.2, 0.1])),
        outer_ratio=float(rng.choice([0.0, 0.25, 0.3, 0.7, 1.5])),
        gamma=float(rng.choice([0.0, 0.2, 0.5])),
        nms_threshold=float(rng.choice([0.3, 0.55, 0.7, 1.0])),
        normalize=bool(rng.random() < 0.7),
        output_length=[None, float(rng.uniform(1, 200))][rng.integers(2)],
    )
    if rng.random() < 0.5:
        options["thresholds"] = np.sort(rng.uniform(-0.1, 0.8, size=rng.integers(0, 6)))
    if rng.random() < 0.4:
        options["agnostic_scores"] = rng.random(n_steps)
        options["agnostic_thresholds"] = rng.uniform(0.2, 0.9, size=rng.integers(1, 4))
    video_scores = rng.random(n_classes).astype(cas.dtype)
    return cas, video_scores, options


def _assert_same_detections(actual, expected):
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual[:, :3], expected[:, :3], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(actual[:, 3], expected[:, 3], rtol=0, atol=1e-9)


# ------------------------------------------------------- equality with the loop version


def test_cas_to_detections_equals_loop_version_on_random_cas():
    rng = np.random.default_rng(0)
    for _ in range(150):
        cas, video_scores, options = _random_case(rng)
        for nms in ("hard", None):
            actual = cas_to_detections(cas, video_scores, nms=nms, **options)
            expected = reference_cas_to_detections(cas, video_scores, nms=nms, **options)
            _assert_same_detections(actual, expected)


def test_cas_to_detections_equals_loop_version_with_exact_ties():
    # dyadic values and power-of-two scales make every sum exact in float64, so equal
    # scores are exactly equal in both versions and the tie order is tested too
    rng = np.random.default_rng(1)
    for _ in range(60):
        n_steps, n_classes = int(rng.integers(2, 25)), int(rng.integers(1, 3))
        cas = rng.integers(0, 5, size=(n_steps, n_classes)) / 4
        video_scores = rng.integers(1, 4, size=n_classes) / 4
        options = dict(scale=int(rng.choice([1, 2, 4])), thresholds=[0.0, 0.25, 0.5, 0.75],
                       normalize=False, gamma=0.5, class_threshold=0.0,
                       nms_threshold=float(rng.choice([0.5, 0.75])))
        for nms in ("hard", None):
            actual = cas_to_detections(cas, video_scores, nms=nms, **options)
            expected = reference_cas_to_detections(cas, video_scores, nms=nms, **options)
            np.testing.assert_array_equal(actual, expected)


def test_cas_to_detections_equals_loop_version_at_full_size():
    rng = np.random.default_rng(2)
    cas = np.cumsum(rng.normal(size=(200, 5)), axis=0).astype(np.float32)
    video_scores = np.array([0.9, 0.1, 0.3, 0.2, 0.05], dtype=np.float32)
    agnostic = rng.random(200)
    actual = cas_to_detections(cas, video_scores, agnostic_scores=agnostic)
    expected = reference_cas_to_detections(cas, video_scores, agnostic_scores=agnostic)
    assert set(actual[:, 2]) == {0.0, 2.0}
    _assert_same_detections(actual, expected)


# ------------------------------------------------------------------------ properties


def test_detections_are_valid_segments_in_descending_score():
    rng = np.random.default_rng(3)
    for _ in range(80):
        cas, video_scores, options = _random_case(rng)
        for nms in ("hard", "soft", None):
            detections = cas_to_detections(cas, video_scores, nms=nms, **options)
            length = options["output_length"] or cas.shape[0]
            assert detections.dtype == np.float64 and detections.shape[1] == 4
            assert np.all(detections[:, 0] >= 0)
            assert np.all(detections[:, 1] <= length)
            assert np.all(detections[:, 0] < detections[:, 1])
            assert np.all(np.diff(detections[:, 3]) <= 0)


def test_hard_nms_leaves_no_same_class_pair_above_threshold():
    rng = np.random.default_rng(4)
    for _ in range(40):
        cas, video_scores, options = _random_case(rng)
        detections = cas_to_detections(cas, video_scores, nms="hard", **options)
        for i in range(len(detections)):
            for j in range(i):
                if detections[i, 2] == detections[j, 2]:
                    assert _iou(detections[i], detections[j]) < options["nms_threshold"]


def test_upsample_matches_scipy_interp1d_bit_for_bit():
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        values = rng.normal(size=(37, 3)).astype(dtype)
        for scale in (1, 3, 7, 24):
            up = _upsample(values.T, scale)
            assert up.shape == (3, 37 * scale) and up.dtype == np.float64
            np.testing.assert_array_equal(up, _reference_upsample(values, scale).T)


def test_upsample_extrapolates_past_the_last_snippet():
    up = _upsample(np.array([0.0, 1.0]), 4)
    np.testing.assert_allclose(up, [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75])


def test_minmax_normalize_clips_extremes_at_zero_not_the_result():
    cas = np.array([[-1.0, 2.0, -3.0],
                    [1.0, 4.0, -1.0],
                    [3.0, 6.0, -2.0]])
    out = _minmax_normalize(cas)
    np.testing.assert_allclose(out[:, 0], [-1 / 3, 1 / 3, 1])   # min clipped to 0, kept < 0
    np.testing.assert_allclose(out[:, 1], [0, 0.5, 1])          # ordinary min-max
    np.testing.assert_allclose(out[:, 2], cas[:, 2])            # zero range -> divide by 1
    assert _minmax_normalize(cas.astype(np.float32)).dtype == np.float32


# ------------------------------------------------------------------- hand-made cases


def test_single_bump_gives_one_segment_with_hand_computed_score():
    cas = np.zeros((10, 2))
    cas[3:6, 0] = 1.0
    detections = cas_to_detections(cas, np.array([0.9, 0.1]), scale=1)
    np.testing.assert_allclose(detections, [[3, 6, 0, 1.0 - 0.0 + 0.2 * 0.9]])


def test_outer_region_is_asymmetric_and_uses_the_thresholded_cas():
    # dyadic values: cumulative sums are exact, so the tie below keeps proposal order
    cas = np.array([0, 0.5, 0, 1, 1, 1, 1, 0, 0.5, 0.25, 0, 0])[:, None]
    common = dict(scale=1, thresholds=[0.3], normalize=False, gamma=0.0, nms=None)
    # λ·len = 0.3 · 4 = 1.2: left [1, 3) (2 points), right [7, 8) (1 point)
    detections = cas_to_detections(cas, np.array([1.0]), outer_ratio=0.3, **common)
    np.testing.assert_allclose(detections, [[3, 7, 0, 1 - 0.5 / 3],
                                            [1, 2, 0, 0.5],    # outer [0, 1) only: 0
                                            [8, 9, 0, 0.5]])   # outer [7, 8) only: 0
    # λ·len = 3: outer [0, 3) + [7, 10); the 0.25 at index 9 is below θ and counts as 0
    detections = cas_to_detections(cas, np.array([1.0]), outer_ratio=0.75, **common)
    np.testing.assert_allclose(detections[0], [3, 7, 0, 1 - 1.0 / 6])


def test_threshold_zero_excludes_zero_snippets():
    cas = np.array([0, 0.5, 0.5, 0, 0, 0.5, 0])[:, None]
    detections = cas_to_detections(cas, np.array([1.0]), scale=1, thresholds=[0.0],
                                   normalize=False, nms=None, outer_ratio=0.0)
    np.testing.assert_allclose(detections[:, :2], [[1, 3], [5, 6]])


def test_output_length_maps_back_from_a_resampled_sequence():
    cas = np.zeros((100, 1))
    cas[10, 0] = 1.0
    detections = cas_to_detections(cas, np.array([1.0]), scale=1, output_length=500)
    np.testing.assert_allclose(detections[:, :2], [[50, 55]])
    detections = cas_to_detections(cas, np.array([1.0]), output_length=500)
    assert 45 < detections[0, 0] < 50 < detections[0, 1] < 55   # ramps: [46.25, 53.96)


def test_class_threshold_filters_classes_and_falls_back_to_arg_max():
    rng = np.random.default_rng(6)
    cas = rng.random((40, 4))
    detections = cas_to_detections(cas, np.array([0.3, 0.1, 0.6, 0.2]))
    assert set(detections[:, 2]) == {0.0, 2.0}
    detections = cas_to_detections(cas, np.array([0.3, 0.1, 0.6, 0.2]), class_threshold=0.5)
    assert set(detections[:, 2]) == {2.0}
    detections = cas_to_detections(cas, np.array([0.1, 0.2, 0.15, 0.05]))
    assert set(detections[:, 2]) == {1.0}


def test_gamma_adds_the_video_score_of_the_class():
    cas = np.zeros((10, 1))
    cas[3:6, 0] = 1.0
    low = cas_to_detections(cas, np.array([0.5]), scale=1)
    high = cas_to_detections(cas, np.array([0.9]), scale=1, gamma=0.5)
    np.testing.assert_allclose(high[0, 3] - low[0, 3], 0.5 * 0.9 - 0.2 * 0.5)


def test_agnostic_proposals_are_added_and_scored_on_the_class_cas():
    cas = np.zeros((12, 2))
    cas[2:4, 0] = 1.0          # the class CAS fires on [2, 4)
    cas[8:10, 0] = 0.1         # too weak for θ = 0.5 ...
    agnostic = np.zeros(12)
    agnostic[8:10] = 0.9       # ... but the actionness fires on [8, 10)
    common = dict(scale=1, thresholds=[0.5], normalize=False, gamma=0.0, outer_ratio=0.5)
    without = cas_to_detections(cas, np.array([1.0, 0.0]), **common)
    np.testing.assert_allclose(without, [[2, 4, 0, 1.0]])
    with_agnostic = cas_to_detections(cas, np.array([1.0, 0.0]), agnostic_scores=agnostic,
                                      agnostic_thresholds=[0.5, 0.8], **common)
    # inner mean 0.1; outer [7, 8) + [10, 11) of the *unthresholded* class CAS: 0
    np.testing.assert_allclose(with_agnostic, [[2, 4, 0, 1.0], [8, 10, 0, 0.1]])


def test_max_detections_keeps_the_best():
    rng = np.random.default_rng(7)
    cas = rng.random((60, 2))
    everything = cas_to_detections(cas, np.array([0.9, 0.8]))
    assert len(everything) > 3
    np.testing.assert_array_equal(
        cas_to_detections(cas, np.array([0.9, 0.8]), max_detections=3), everything[:3]
    )


def test_soft_nms_option_decays_instead_of_removing():
    rng = np.random.default_rng(8)
    cas = np.cumsum(rng.normal(size=(50, 1)), axis=0)
    cas -= cas.min()
    hard = cas_to_detections(cas, np.array([1.0]))
    soft = cas_to_detections(cas, np.array([1.0]), nms="soft")
    raw = cas_to_detections(cas, np.array([1.0]), nms=None)
    assert len(hard) < len(soft) == len(raw)
    assert soft[0, 3] == raw[0, 3]
    assert soft[:, 3].sum() < raw[:, 3].sum()


@pytest.mark.parametrize("kwargs, match", [
    (dict(cas=np.zeros(5)), "cas must be a 2-D"),
    (dict(video_scores=np.zeros(3)), "video_scores must have shape"),
    (dict(cas=np.full((5, 2), np.nan)), "cas: contains NaN"),
    (dict(agnostic_scores=np.zeros(4)), "agnostic_scores must have shape"),
    (dict(scale=0), "scale must be an integer"),
    (dict(nms="greedy"), "nms must be"),
    (dict(output_length=0), "output_length must be"),
    (dict(nms_threshold=1.5), "nms_threshold"),
])
def test_cas_to_detections_rejects_bad_input(kwargs, match):
    arguments = dict(cas=np.zeros((5, 2)), video_scores=np.ones(2))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        cas_to_detections(arguments.pop("cas"), arguments.pop("video_scores"), **arguments)


# ------------------------------------------------------------------------------- NMS


def _random_detections(rng, n):
    starts = rng.uniform(0, 50, n)
    return np.column_stack([starts, starts + rng.uniform(0.5, 20, n),
                            rng.integers(0, 3, n), rng.integers(0, 6, n) / 5])  # ties


def test_nms_equals_plain_greedy_loop():
    rng = np.random.default_rng(9)
    for _ in range(50):
        detections = _random_detections(rng, int(rng.integers(0, 40)))
        threshold = float(rng.uniform(0.1, 0.9))
        np.testing.assert_array_equal(non_maximum_suppression(detections, threshold),
                                      _reference_nms(detections, threshold))


def test_nms_suppresses_same_class_only_and_keeps_input_order_on_ties():
    detections = np.array([[0, 10, 0, 0.5],
                           [0, 10, 1, 0.5],
                           [1, 10, 0, 0.5],     # tie, later: suppressed by row 0
                           [0, 10, 0, 0.9]])
    np.testing.assert_array_equal(non_maximum_suppression(detections, 0.7),
                                  detections[[3, 1]])
    np.testing.assert_array_equal(non_maximum_suppression(detections[[2, 0]], 0.95),
                                  detections[[2, 0]])


def test_nms_of_nothing_is_empty():
    assert non_maximum_suppression(np.zeros((0, 4)), 0.5).shape == (0, 4)
    assert soft_nms([], 0.5).shape == (0, 4)
    with pytest.raises(ValueError, match="shape"):
        non_maximum_suppression(np.zeros((3, 3)), 0.5)


def test_soft_nms_decays_overlapped_scores_by_a_gaussian_of_iou():
    detections = np.array([[0, 10, 0, 0.9],
                           [5, 15, 0, 0.8],     # IoU 1/3 with the first
                           [20, 30, 0, 0.7],    # no overlap
                           [0, 10, 1, 0.6]])    # other class
    kept = soft_nms(detections, sigma=0.5)
    np.testing.assert_allclose(kept[:, 3], [0.9, 0.7, 0.8 * np.exp(-(1 / 9) / 0.5), 0.6])
    np.testing.assert_array_equal(kept[:, :3], detections[[0, 2, 1, 3], :3])
    assert np.all(np.diff(kept[:, 3]) <= 0)


def test_soft_nms_threshold_and_cap_and_negative_scores():
    detections = np.array([[0, 10, 0, 0.9], [0, 10, 0, 0.8], [20, 30, 0, -0.5],
                           [20, 30, 0, -0.1]])
    kept = soft_nms(detections, sigma=0.5, score_threshold=0.5)
    np.testing.assert_allclose(kept[:, 3], [0.9])          # 0.8 decays to 0.8 e^-2
    kept = soft_nms(detections, sigma=0.5)
    # an overlapped negative score moves away from zero: -0.5 - (1 - e^-2) * 0.5
    np.testing.assert_allclose(kept[:, 3], [0.9, 0.8 * np.exp(-2), -0.1,
                                            -0.5 - (1 - np.exp(-2)) * 0.5])
    assert len(soft_nms(detections, max_detections=2)) == 2


def test_old_module_name_is_a_deprecated_alias():
    import subprocess
    import sys

    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import sktal.localization as old\n"
        "import sktal.postprocessing as new\n"
        "assert old.cas_to_detections is new.cas_to_detections\n"
        "assert old.__all__ == new.__all__\n"
        "print([(w.category.__name__, str(w.message)) for w in caught])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "DeprecationWarning" in out.stdout and "sktal.postprocessing" in out.stdout


def test_the_package_does_not_import_its_deprecated_alias():
    import subprocess
    import sys

    code = "import sys, sktal, sktal.base; print('sktal.localization' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
