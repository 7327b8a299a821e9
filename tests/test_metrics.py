"""Tests of sktal.metrics: tIoU, AP, detection mAP, the ActivityNet JSON evaluator."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _reference import reference_detection_map
from sktal.metrics import (
    ACTIVITYNET_TIOU_THRESHOLDS,
    DEFAULT_TIOU_THRESHOLDS,
    average_precision,
    detection_map,
    evaluate_activitynet_json,
    segment_iou,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def gt(*rows):
    return np.array(rows, dtype=float).reshape(-1, 3)


def det(*rows):
    return np.array(rows, dtype=float).reshape(-1, 4)


# ----------------------------------------------------------------------------------
# module-level properties
# ----------------------------------------------------------------------------------
def test_import_does_not_import_torch():
    code = (
        "import sys, sktal.metrics; "
        "assert 'torch' not in sys.modules, 'sktal.metrics imported torch'; "
        "assert 'sktal.base' not in sys.modules"
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def test_default_thresholds_are_exact_and_read_only():
    assert DEFAULT_TIOU_THRESHOLDS.tolist() == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert DEFAULT_TIOU_THRESHOLDS[2] == 0.3
    assert ACTIVITYNET_TIOU_THRESHOLDS.shape == (10,)
    with pytest.raises(ValueError):
        DEFAULT_TIOU_THRESHOLDS[0] = 0.5


# ----------------------------------------------------------------------------------
# segment_iou
# ----------------------------------------------------------------------------------
def test_segment_iou_hand_values():
    # [0,10] vs [0,3]: 3/10; vs [5,15]: 5/15; vs [20,30]: disjoint; vs [10,12]: touching
    iou = segment_iou([[0, 10]], [[0, 3], [5, 15], [20, 30], [10, 12]])
    np.testing.assert_allclose(iou, [[0.3, 1 / 3, 0.0, 0.0]])
    assert iou[0, 0] == 0.3  # exactly, so that it passes the 0.3 threshold


def test_segment_iou_shape_extra_columns_and_degenerate():
    a = gt([0, 4, 1], [2, 2, 0])  # (m, 3) ground truth; second has zero length
    b = det([0, 4, 1, 0.9], [2, 2, 0, 0.5], [1, 3, 0, 0.1])
    iou = segment_iou(a, b)
    assert iou.shape == (2, 3)
    np.testing.assert_allclose(iou, [[1.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    assert segment_iou(np.empty((0, 2)), b).shape == (0, 3)
    assert segment_iou([3, 5], [[3, 5]]).shape == (1, 1)


# ----------------------------------------------------------------------------------
# average_precision
# ----------------------------------------------------------------------------------
def test_average_precision_hand_computed():
    # hit, miss, hit with 2 positives: envelope precision (1, 2/3, 2/3) at the two
    # recall steps of 1/2 -> 1/2 * 1 + 1/2 * 2/3 = 5/6
    assert average_precision([1, 1 / 2, 2 / 3], [1 / 2, 1 / 2, 1]) == pytest.approx(5 / 6)
    # miss, hit, hit with 2 positives: precisions 0, 1/2, 2/3 -> envelope 2/3 at both
    # recall steps -> 2/3
    assert average_precision([0, 1 / 2, 2 / 3], [0, 1 / 2, 1]) == pytest.approx(2 / 3)
    # one hit of two positives: recall stops at 1/2 -> 1/2
    assert average_precision([1.0], [0.5]) == pytest.approx(0.5)
    assert average_precision([1, 1], [0.5, 1]) == 1.0
    assert average_precision([0, 0], [0, 0]) == 0.0
    assert average_precision([], []) == 0.0


def test_average_precision_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        average_precision([1, 1], [1])
    with pytest.raises(ValueError, match="non-decreasing"):
        average_precision([1, 1], [1, 0.5])
    with pytest.raises(ValueError, match="NaN"):
        average_precision([np.nan], [1])


# ----------------------------------------------------------------------------------
# detection_map: hand-computed cases
# ----------------------------------------------------------------------------------
def test_detection_map_bunch_fields():
    result = detection_map([gt([0, 10, 2]), gt([5, 9, 0])], [det(), det()])
    assert result.mAP.shape == (7,)
    assert result.ap.shape == (7, 2)
    np.testing.assert_array_equal(result.classes, [0, 2])
    np.testing.assert_array_equal(result.tiou_thresholds, DEFAULT_TIOU_THRESHOLDS)
    assert isinstance(result.average_mAP, float)


def test_detection_map_next_best_ground_truth_when_best_is_taken():
    # A = [0,10], B = [8,18].  d1 = [0,10] (score .9) takes A.  d2 = [1,11] (score .8)
    # has tIoU 9/11 with A (taken) and 3/17 = 0.176 with B.
    # thr 0.1: d2 falls back to B -> hit, hit -> AP 1.
    # thr >= 0.2: B is below the threshold -> hit, miss, 2 positives -> AP 1/2.
    result = detection_map(
        [gt([0, 10, 0], [8, 18, 0])], [det([1, 11, 0, 0.8], [0, 10, 0, 0.9])]
    )
    np.testing.assert_allclose(result.mAP, [1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    assert result.average_mAP == pytest.approx(4 / 7)


def test_detection_map_tiou_tie_goes_to_lower_ground_truth_row():
    # d1 = [5,15] (score .9) has tIoU 1/3 with both [0,10] and [10,20]; d2 = [0,10]
    # (score .8) only matches [0,10].  At 0.3, d1 takes the lower row:
    # - rows ([0,10], [10,20]): d1 takes [0,10], d2 misses -> hit, miss -> AP 1/2
    # - rows ([10,20], [0,10]): d1 takes [10,20], d2 takes [0,10] -> AP 1
    detections = [det([5, 15, 0, 0.9], [0, 10, 0, 0.8])]
    first = detection_map([gt([0, 10, 0], [10, 20, 0])], detections, [0.3])
    second = detection_map([gt([10, 20, 0], [0, 10, 0])], detections, [0.3])
    assert first.mAP[0] == pytest.approx(0.5)
    assert second.mAP[0] == pytest.approx(1.0)


def test_detection_map_exact_threshold_counts():
    # tIoU([0,3], [0,10]) is exactly 0.3: a hit at 0.1, 0.2 *and 0.3*, a miss above
    result = detection_map([gt([0, 10, 0])], [det([0, 3, 0, 1.0])])
    np.testing.assert_array_equal(result.ap[:, 0], [1, 1, 1, 0, 0, 0, 0])
    # with arange's 0.30000000000000004 it would be a miss: the reason for linspace
    shifted = detection_map([gt([0, 10, 0])], [det([0, 3, 0, 1.0])], np.arange(0.1, 0.75, 0.1))
    assert shifted.ap[2, 0] == 0


def test_detection_map_score_ties_rank_earlier_video_first():
    # Two positives, one per video; equal scores.  The hit is in video 0, the miss in
    # video 1: hit, miss -> precision 1 at recall 1/2 -> AP 1/2.  Swapping the videos
    # ranks the miss first: precision 1/2 at recall 1/2 -> AP 1/4.
    truth = [gt([0, 10, 0]), gt([0, 10, 0])]
    hit, miss = det([0, 10, 0, 0.5]), det([50, 60, 0, 0.5])
    assert detection_map(truth, [hit, miss], [0.5]).mAP[0] == pytest.approx(0.5)
    assert detection_map(truth, [miss, hit], [0.5]).mAP[0] == pytest.approx(0.25)
    # inside a video: the earlier row first
    truth = [gt([0, 10, 0], [20, 30, 0])]
    assert detection_map(truth, [det([0, 10, 0, 0.5], [50, 60, 0, 0.5])], [0.5]).mAP[0] == 0.5
    assert detection_map(truth, [det([50, 60, 0, 0.5], [0, 10, 0, 0.5])], [0.5]).mAP[0] == 0.25


def test_detection_map_false_positive_on_video_without_ground_truth():
    # the detection on video 1 (no ground truth) ranks first: miss, hit -> AP 1/2
    result = detection_map([gt([0, 10, 0]), gt()], [det([0, 10, 0, 0.5]), det([0, 10, 0, 0.9])])
    np.testing.assert_allclose(result.mAP, 0.5)


def test_detection_map_ignores_classes_without_ground_truth():
    truth = [gt([0, 10, 0])]
    base = detection_map(truth, [det([0, 10, 0, 0.5])])
    extra = detection_map(truth, [det([0, 10, 0, 0.5], [0, 10, 3, 0.99], [1, 2, 7, 0.9])])
    np.testing.assert_array_equal(base.ap, extra.ap)
    np.testing.assert_array_equal(extra.classes, [0])


def test_detection_map_perfect_detections_give_one(rng):
    truth = [
        np.column_stack([s := np.sort(rng.uniform(0, 100, n)), s + rng.uniform(0.5, 9, n),
                         rng.integers(0, 4, n)])
        for n in (3, 0, 7, 1, 12)
    ]
    detections = [np.column_stack([t, rng.uniform(0, 1, len(t))]) for t in truth]
    result = detection_map(truth, detections, ACTIVITYNET_TIOU_THRESHOLDS)
    np.testing.assert_allclose(result.ap, 1.0)
    assert result.average_mAP == 1.0


def test_detection_map_duplicated_ground_truth_matched_once_each():
    # two identical ground truths and two identical detections: one each -> AP 1;
    # a third identical detection is a miss ranked last -> AP still 1
    truth = [gt([0, 10, 0], [0, 10, 0])]
    assert detection_map(truth, [det([0, 10, 0, 0.9], [0, 10, 0, 0.9])]).average_mAP == 1.0
    three = det([0, 10, 0, 0.9], [0, 10, 0, 0.9], [0, 10, 0, 0.1])
    assert detection_map(truth, [three]).average_mAP == 1.0


def test_detection_map_no_detections_give_zero():
    result = detection_map([gt([0, 10, 0], [3, 4, 1]), gt()], [det(), []])
    np.testing.assert_array_equal(result.ap, 0.0)
    assert result.average_mAP == 0.0


def test_detection_map_threshold_zero_matches_disjoint_segments():
    # tIoU >= 0 always holds: a disjoint detection in the right video is a hit
    result = detection_map([gt([0, 10, 0])], [det([50, 60, 0, 0.9])], [0.0, 0.1])
    np.testing.assert_array_equal(result.ap[:, 0], [1.0, 0.0])


# ----------------------------------------------------------------------------------
# detection_map: invariances and the reference
# ----------------------------------------------------------------------------------
def _random_problem(rng, n_videos=12, n_classes=3, offset=0.0):
    """Dense overlapping ground truth and detections, distinct scores."""
    truth, detections = [], []
    for video_offset in np.broadcast_to(offset, n_videos):
        n = rng.integers(0, 15)
        start = video_offset + rng.uniform(0, 60, n)
        truth.append(np.column_stack([start, start + rng.uniform(0.1, 12, n),
                                      rng.integers(0, n_classes, n)]))
        k = rng.integers(0, 40)
        start = video_offset + rng.uniform(-5, 65, k)
        detections.append(np.column_stack([start, start + rng.uniform(0, 15, k),
                                           rng.integers(0, n_classes + 1, k),
                                           rng.uniform(0, 1, k)]))
    return truth, detections


def test_detection_map_invariant_to_video_order(rng):
    truth, detections = _random_problem(rng)
    expected = detection_map(truth, detections)
    order = rng.permutation(len(truth))
    result = detection_map([truth[i] for i in order], [detections[i] for i in order])
    np.testing.assert_allclose(result.ap, expected.ap, rtol=0, atol=1e-12)


def test_detection_map_invariant_to_time_scale_of_each_video(rng):
    truth, detections = _random_problem(rng)
    expected = detection_map(truth, detections)
    # powers of two: exact in floating point, so the result is identical
    factor = 2.0 ** rng.integers(-4, 6, len(truth))
    scaled = detection_map([t * [f, f, 1] for t, f in zip(truth, factor)],
                           [d * [f, f, 1, 1] for d, f in zip(detections, factor)])
    np.testing.assert_array_equal(scaled.ap, expected.ap)
    # seconds vs timesteps (e.g. 16 / 25 s per step) and a shift of the time origin
    factor = rng.uniform(0.1, 10, len(truth))
    scaled = detection_map([t * [f, f, 1] + [7, 7, 0] for t, f in zip(truth, factor)],
                           [d * [f, f, 1, 1] + [7, 7, 0, 0] for d, f in zip(detections, factor)])
    np.testing.assert_allclose(scaled.ap, expected.ap, rtol=0, atol=1e-12)


# far apart time origins (last case) exceed the windowed search's float range
@pytest.mark.parametrize("offset", [0.0, 1e6, 10.0 ** np.arange(20)])
@pytest.mark.parametrize("thresholds", [DEFAULT_TIOU_THRESHOLDS, [0.0, 0.05, 0.9]])
def test_detection_map_matches_reference_dense_problem(rng, offset, thresholds):
    truth, detections = _random_problem(rng, n_videos=20, offset=offset)
    result = detection_map(truth, detections, thresholds)
    expected, classes = reference_detection_map(truth, detections, thresholds)
    np.testing.assert_array_equal(result.classes, classes)
    np.testing.assert_allclose(result.ap, expected, rtol=0, atol=1e-12)


@st.composite
def _problems(draw):
    """Small coarse-grid problems: duplicates, ties, zero overlaps and exact tIoUs."""
    n_videos = draw(st.integers(1, 4))
    n_classes = draw(st.integers(1, 2))
    coordinate = st.integers(0, 8).map(float)

    def rows(n_max, with_score):
        out = []
        for _ in range(draw(st.integers(0, n_max))):
            start = draw(coordinate)
            row = [start, start + draw(st.integers(0, 5)), draw(st.integers(0, n_classes))]
            if with_score:
                row.append(draw(st.sampled_from([0.1, 0.5, 0.5, 0.9, 0.25])))
            out.append(row)
        return np.array(out, dtype=float).reshape(-1, 4 if with_score else 3)

    truth = [rows(5, False) for _ in range(n_videos)]
    detections = [rows(6, True) for _ in range(n_videos)]
    # sometimes add a tie in tIoU: a detection straddling two adjacent ground truths of
    # equal length, and a later one that only fits one of them
    for i in range(n_videos):
        if draw(st.booleans()):
            a, length = draw(coordinate), draw(st.integers(2, 4))
            pair = [[a, a + length, 0], [a + length, a + 2 * length, 0]]
            if draw(st.booleans()):
                pair.reverse()
            truth[i] = np.vstack([truth[i], pair])
            straddle = [a + length / 2, a + 1.5 * length, 0, draw(st.sampled_from([0.9, 0.5]))]
            fits_one = [*draw(st.sampled_from(pair))[:2], 0, draw(st.sampled_from([0.5, 0.1]))]
            detections[i] = np.vstack([detections[i], straddle, fits_one])
    thresholds = draw(st.sampled_from([
        DEFAULT_TIOU_THRESHOLDS, ACTIVITYNET_TIOU_THRESHOLDS, [0.0, 0.5, 1.0], [1 / 3, 0.25],
    ]))
    return truth, detections, thresholds


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_problems())
def test_detection_map_matches_reference_random(problem):
    truth, detections, thresholds = problem
    if not any(len(t) for t in truth):
        with pytest.raises(ValueError, match="no ground-truth"):
            detection_map(truth, detections, thresholds)
        return
    result = detection_map(truth, detections, thresholds)
    expected, classes = reference_detection_map(truth, detections, thresholds)
    np.testing.assert_array_equal(result.classes, classes)
    np.testing.assert_allclose(result.ap, expected, rtol=0, atol=1e-12)
    assert 0.0 <= result.average_mAP <= 1.0


# ----------------------------------------------------------------------------------
# detection_map: validation
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "truth, detections, kwargs, message",
    [
        ([gt([0, 1, 0])], [det(), det()], {}, "same videos"),
        ([gt([0, 1, 0])], [np.ones((2, 3))], {}, r"detections\[0\]: expected an array"),
        ([gt([0, 1, 0])], [det([0, np.nan, 0, 1])], {}, r"detections\[0\]: row 0 .*NaN"),
        ([gt(), gt([0, 1, 0], [5, 4, 0])], [det(), det()], {},
         r"segments_true\[1\]: row 1 ends before it starts"),
        ([gt([0, 1, 0.5])], [det()], {}, "classes are integers"),
        ([gt([0, 1, -1])], [det()], {}, "classes are integers"),
        ([gt([0, 1, 3])], [det()], {"n_classes": 3}, "out of range for n_classes=3"),
        ([gt([0, 1, 0])], [det([0, 1, 4, 1])], {"n_classes": 3}, r"detections\[0\]: class 4"),
        ([gt(), gt()], [det(), det()], {}, "no ground-truth"),
        ([gt([0, 1, 0])], [det()], {"tiou_thresholds": [0.5, 1.5]}, r"in \[0, 1\]"),
        ([gt([0, 1, 0])], [det()], {"tiou_thresholds": []}, "non-empty"),
    ],
)
def test_detection_map_rejects_bad_input(truth, detections, kwargs, message):
    with pytest.raises(ValueError, match=message):
        detection_map(truth, detections, **kwargs)


def test_detection_map_accepts_lists_and_3d_arrays():
    truth = np.array([[[0, 10, 0]], [[5, 8, 1]]], dtype=float)  # (n_videos, 1, 3)
    detections = [[[0, 10, 0, 0.9]], [[5, 8, 1, 0.2]]]
    assert detection_map(truth, detections).average_mAP == 1.0


# ----------------------------------------------------------------------------------
# evaluate_activitynet_json
# ----------------------------------------------------------------------------------
def _small_json():
    ground_truth = {
        "activity_list": ["Jump", "Run", "Swim"],  # Swim has no instance
        "database": {
            "a": {"subset": "test", "annotations": [
                {"segment": [0.0, 10.0], "label": "Run"},
                {"segment": [20.0, 30.0], "label": "Jump"}]},
            "b": {"subset": "test", "annotations": [
                {"segment": [5.0, 9.0], "label": "Jump"}]},
            "c": {"subset": "train", "annotations": [
                {"segment": [0.0, 4.0], "label": "Jump"}]},
        },
    }
    results = {"version": "x", "results": {
        "a": [{"label": "Run", "score": 0.9, "segment": [0.0, 5.0]},       # tIoU 0.5
              {"label": "Jump", "score": 0.8, "segment": [20.0, 30.0]},    # tIoU 1
              {"label": "Swim", "score": 0.99, "segment": [0.0, 1.0]},     # no GT: ignored
              {"label": "Dance", "score": 0.99, "segment": [0.0, 1.0]}],   # unknown: ignored
        "b": [{"label": "Jump", "score": 0.7, "segment": [5.0, 7.0]}],     # tIoU 0.5
        "zzz": [{"label": "Jump", "score": 0.95, "segment": [0.0, 1.0]}],  # no GT: FP
    }}
    return ground_truth, results


def test_evaluate_activitynet_json_hand_made(tmp_path):
    ground_truth, results = _small_json()
    # Jump, ranked: zzz (FP, .95), a (tIoU 1, .8), b (tIoU .5, .7); 2 positives.
    #   thr <= 0.5: miss, hit, hit -> precision 0, 1/2, 2/3 -> AP 2/3
    #   thr 0.6:    miss, hit, miss -> AP 1/2 * 1/2 = 1/4
    # Run: one detection, tIoU 0.5 -> AP 1 up to 0.5, 0 above.
    with pytest.warns(UserWarning, match="'Dance'"):
        result = evaluate_activitynet_json(ground_truth, results, [0.5, 0.6], subset="test")
    np.testing.assert_array_equal(result.class_names, ["Jump", "Run"])
    np.testing.assert_allclose(result.ap, [[2 / 3, 1.0], [1 / 4, 0.0]])
    np.testing.assert_allclose(result.mAP, [5 / 6, 1 / 8])
    assert result.average_mAP == pytest.approx((5 / 6 + 1 / 8) / 2)
    # from files, same result
    (tmp_path / "gt.json").write_text(json.dumps(ground_truth))
    (tmp_path / "res.json").write_text(json.dumps(results))
    with pytest.warns(UserWarning, match="match no ground-truth video"):
        from_files = evaluate_activitynet_json(
            tmp_path / "gt.json", str(tmp_path / "res.json"), [0.5, 0.6], subset="test"
        )
    np.testing.assert_array_equal(from_files.ap, result.ap)
    # all subsets: video c adds a Jump positive that nothing detects; precision
    # 0, 1/2, 2/3 at recall 0, 1/3, 2/3 -> envelope 2/3 twice -> AP 4/9
    with pytest.warns(UserWarning, match="'zzz'"):
        everything = evaluate_activitynet_json(ground_truth, results, [0.5])
    assert everything.ap[0, 0] == pytest.approx(4 / 9)


def test_evaluate_activitynet_json_rejects_bad_files():
    ground_truth, results = _small_json()
    with pytest.raises(ValueError, match="'database'"):
        evaluate_activitynet_json({"taxonomy": []}, results)
    with pytest.raises(ValueError, match="'results'"):
        evaluate_activitynet_json(ground_truth, {"a": []})
    with pytest.raises(ValueError, match="no video in subset 'validation'"):
        evaluate_activitynet_json(ground_truth, results, subset="validation")
    results["results"]["b"][0]["segment"] = [7.0, 5.0]
    with pytest.raises(ValueError, match=r"results: video 'b' entry 0: segment ends before"):
        evaluate_activitynet_json(ground_truth, results)


def test_evaluate_activitynet_json_thumos_ground_truth_as_results(shared_data):
    path = os.path.join(shared_data, "thumos14", "gt_val.json")
    with open(path) as fh:
        ground_truth = json.load(fh)
    results = {"results": {
        video_id: [{"label": a["label"], "score": 1.0, "segment": a["segment"]}
                   for a in video["annotations"]]
        for video_id, video in ground_truth["database"].items()
    }}
    result = evaluate_activitynet_json(path, results, subset="val")
    assert len(result.class_names) == 20
    np.testing.assert_array_equal(result.mAP, 1.0)
    assert result.average_mAP == 1.0
    # shrinking every result to its first half: tIoU 0.5 exactly -> hits up to 0.5
    for predictions in results["results"].values():
        for p in predictions:
            start, end = p["segment"]
            p["segment"] = [start, start + (end - start) / 2]
    result = evaluate_activitynet_json(ground_truth, results, [0.4, 0.6])
    assert result.mAP[1] < 0.05 and result.mAP[0] > 0.95


def test_evaluate_activitynet_json_activitynet_sample_with_noise(shared_data):
    path = os.path.join(shared_data, "activitynet12", "gt_train_sample.json")
    with open(path) as fh:
        ground_truth = json.load(fh)
    rng = np.random.default_rng(0)
    results, segments_true, detections = {}, [], []
    for video_id, video in ground_truth["database"].items():
        rows = np.array([a["segment"] for a in video["annotations"]], dtype=float)
        noisy = rows + rng.normal(0, 2.0, rows.shape)
        noisy[:, 1] = np.maximum(noisy[:, 1], noisy[:, 0])
        scores = rng.uniform(0, 1, len(rows))
        results[video_id] = [
            {"label": a["label"], "score": float(s), "segment": [float(b), float(e)]}
            for a, (b, e), s in zip(video["annotations"], noisy, scores)
        ]
        labels = [ground_truth["activity_list"].index(a["label"]) for a in video["annotations"]]
        segments_true.append(np.column_stack([rows, labels]))
        detections.append(np.column_stack([noisy, labels, scores]))
    result = evaluate_activitynet_json(
        path, {"results": results}, ACTIVITYNET_TIOU_THRESHOLDS, subset="training"
    )
    # same numbers as detection_map on the arrays (class indices = activity_list order)
    expected = detection_map(segments_true, detections, ACTIVITYNET_TIOU_THRESHOLDS)
    np.testing.assert_array_equal(result.ap, expected.ap)
    np.testing.assert_array_equal(
        result.class_names, np.array(ground_truth["activity_list"])[expected.classes]
    )
    assert 0.3 < result.average_mAP < 1.0


def test_detection_map_lengths_warn_when_ground_truth_ends_far_beyond_the_video():
    truth = [np.array([[2.0, 8.0, 0]]), np.array([[10.0, 40.0, 1]])]
    detections = [np.array([[2.0, 8.0, 0, 0.9]]), np.array([[10.0, 40.0, 1, 0.8]])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = detection_map(truth, detections, [0.5])
        # 40 <= 1.5 * 26 + 1 = 40: still inside the tolerance
        detection_map(truth, detections, [0.5], lengths=[10, 26])
    with pytest.warns(UserWarning, match=r"1 of 2 videos ends far beyond the video \(e\.g\. "
                      r"video 1: a segment ends at 40, the video has 25 timesteps\); are the "
                      r"segments in seconds"):
        warned = detection_map(truth, detections, [0.5], lengths=[10, 25])
    np.testing.assert_array_equal(warned.ap, plain.ap)  # the warning changes nothing
    with pytest.raises(ValueError, match="lengths: expected 2 values"):
        detection_map(truth, detections, lengths=[10])
