"""Tests of sktal.inspection: DETAD-style error analysis on hand-made cases."""
import numpy as np
import pytest

from sktal.inspection import ERROR_CATEGORIES, classify_detections, error_analysis
from sktal.metrics import detection_map

TP, DOUBLE, WRONG, LOC, CONF, BKG = range(6)


def _types(truth, dets, **kwargs):
    return error_analysis(truth, dets, top_k_factor=None, **kwargs).detection_types


# one video, class 0 on [10, 20], class 1 on [40, 50]
TRUTH = [np.array([[10.0, 20.0, 0], [40.0, 50.0, 1]])]


def test_exact_hit_is_true_positive():
    dets = [np.array([[10.0, 20.0, 0, 0.9]])]
    assert _types(TRUTH, dets)[0].tolist() == [TP]


def test_second_hit_on_matched_instance_is_double_detection():
    dets = [np.array([[10.0, 20.0, 0, 0.9], [10.0, 19.0, 0, 0.8]])]
    assert _types(TRUTH, dets)[0].tolist() == [TP, DOUBLE]


def test_lower_score_hit_is_the_double_detection_whatever_the_row_order():
    dets = [np.array([[10.0, 19.0, 0, 0.8], [10.0, 20.0, 0, 0.9]])]
    assert _types(TRUTH, dets)[0].tolist() == [DOUBLE, TP]


def test_good_overlap_with_another_class_is_wrong_label():
    dets = [np.array([[40.0, 50.0, 0, 0.9]])]
    assert _types(TRUTH, dets)[0].tolist() == [WRONG]


def test_partial_overlap_with_own_class_is_localization():
    dets = [np.array([[10.0, 40.0, 0, 0.9]])]  # tIoU 1/3 with its class
    assert _types(TRUTH, dets)[0].tolist() == [LOC]


def test_partial_overlap_with_another_class_is_confusion():
    dets = [np.array([[45.0, 60.0, 0, 0.9]])]  # tIoU 0.25 with class 1
    assert _types(TRUTH, dets)[0].tolist() == [CONF]


def test_no_overlap_is_background():
    dets = [np.array([[70.0, 80.0, 0, 0.9], [19.5, 40.0, 0, 0.5]])]  # tIoU 0, 0.025
    assert _types(TRUTH, dets)[0].tolist() == [BKG, BKG]


def test_min_tiou_bounds_are_inclusive():
    # tIoU exactly 0.1 is localization, exactly alpha = 0.5 is a hit
    dets = [np.array([[10.0, 11.0, 0, 0.9], [10.0, 15.0, 0, 0.8]])]
    assert _types(TRUTH, dets)[0].tolist() == [LOC, TP]


def test_detection_on_video_without_ground_truth_is_background():
    truth = TRUTH + [np.zeros((0, 3))]
    dets = [np.zeros((0, 4)), np.array([[10.0, 20.0, 0, 0.9]])]
    assert _types(truth, dets)[1].tolist() == [BKG]


def test_best_overlapping_instance_decides_the_false_positive_type():
    # tIoU 0.3 with its own class (localization) but 0.6 with another: wrong label
    truth = [np.array([[0.0, 10.0, 0], [6.0, 16.0, 1]])]
    dets = [np.array([[6.0, 16.0, 0, 0.9]])]
    assert _types(truth, dets)[0].tolist() == [WRONG]
    # equal tIoU with both: the detection's own class wins (double detection)
    truth = [np.array([[0.0, 10.0, 0], [0.0, 10.0, 1]])]
    dets = [np.array([[0.0, 10.0, 0, 0.9], [0.0, 10.0, 0, 0.8]])]
    assert _types(truth, dets)[0].tolist() == [TP, DOUBLE]


def test_classes_absent_from_ground_truth_are_ignored():
    dets = [np.array([[10.0, 20.0, 5, 0.9], [10.0, 20.0, 0, 0.8]])]
    result = error_analysis(TRUTH, dets, top_k_factor=None)
    assert result.detection_types[0].tolist() == [-1, TP]
    assert result.n_detections == 1


def test_counts_shares_and_class_counts_agree():
    dets = [np.array([
        [10.0, 20.0, 0, 0.9],   # TP
        [10.0, 19.0, 0, 0.8],   # double
        [40.0, 50.0, 0, 0.7],   # wrong label
        [10.0, 40.0, 0, 0.6],   # localization
        [45.0, 60.0, 0, 0.55],  # confusion
        [80.0, 90.0, 1, 0.5],   # background
    ])]
    result = error_analysis(TRUTH, dets, top_k_factor=None)
    assert result.categories == ERROR_CATEGORIES
    assert list(result.counts.values()) == [1] * 6
    assert sum(result.shares.values()) == pytest.approx(1.0)
    assert result.shares["confusion"] == pytest.approx(1 / 6)
    assert result.class_counts.tolist() == [[1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 1]]
    assert result.classes.tolist() == [0, 1]
    assert result.n_ground_truth == 2


def test_top_k_factor_keeps_top_scored_detections_per_class():
    # G = 1 for each class: with factor 2, only the two best of class 0 count
    dets = [np.array([
        [80.0, 90.0, 0, 0.5],
        [10.0, 20.0, 0, 0.9],
        [10.0, 19.0, 0, 0.8],
        [40.0, 50.0, 1, 0.1],
    ])]
    result = error_analysis(TRUTH, dets, top_k_factor=2)
    assert result.detection_types[0].tolist() == [-1, TP, DOUBLE, TP]
    assert result.n_detections == 3
    # DETAD's default, 10 G, analyses all four here
    assert error_analysis(TRUTH, dets).n_detections == 4
    # top_k overrides the factor
    assert error_analysis(TRUTH, dets, top_k=1).detection_types[0].tolist() == [-1, TP, -1, TP]


def test_smaller_top_k_is_a_prefix_of_larger():
    rng = np.random.default_rng(0)
    truth, dets = [], []
    for _ in range(6):
        s = rng.uniform(0, 100, 3)
        truth.append(np.column_stack([s, s + rng.uniform(2, 10, 3), rng.integers(0, 2, 3)]))
        s = rng.uniform(0, 100, 12)
        dets.append(np.column_stack([s, s + rng.uniform(2, 10, 12), rng.integers(0, 2, 12),
                                     rng.random(12)]))
    full = np.concatenate(error_analysis(truth, dets, top_k_factor=None).detection_types)
    for factor in (1, 2, 3):
        part = np.concatenate(error_analysis(truth, dets, top_k_factor=factor).detection_types)
        analysed = part >= 0
        assert np.array_equal(part[analysed], full[analysed])


def test_true_positives_match_detection_map():
    rng = np.random.default_rng(1)
    truth, dets = [], []
    for _ in range(5):
        s = rng.uniform(0, 100, 4)
        truth.append(np.column_stack([s, s + rng.uniform(2, 10, 4), rng.integers(0, 3, 4)]))
        s = rng.uniform(0, 100, 10)
        dets.append(np.column_stack([s, s + rng.uniform(2, 10, 10), rng.integers(0, 3, 10),
                                     rng.integers(0, 4, 10) / 4]))  # many ties
    for alpha in (0.1, 0.3, 0.5):
        result = error_analysis(truth, dets, alpha, top_k_factor=None)
        reference = detection_map(truth, dets, [alpha])
        assert result.classes.tolist() == reference.classes.tolist()
        # AP of a class is 0 exactly when it has no true positive
        has_tp = result.class_counts[:, TP] > 0
        assert np.array_equal(has_tp, reference.ap[0] > 0)


def test_ties_in_score_rank_earlier_video_first():
    truth = [np.array([[0.0, 10.0, 0]]), np.array([[0.0, 10.0, 0]])]
    dets = [np.array([[0.0, 10.0, 0, 0.5]]), np.array([[0.0, 10.0, 0, 0.5]])]
    ranks = classify_detections(truth, dets).class_rank
    assert [r.tolist() for r in ranks] == [[0], [1]]


def test_no_detection_gives_nan_shares():
    result = error_analysis(TRUTH, [np.zeros((0, 4))])
    assert result.n_detections == 0
    assert all(np.isnan(v) for v in result.shares.values())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(tiou_threshold=1.5), "tiou_threshold"),
        (dict(tiou_threshold=0.3, min_tiou=0.4), "min_tiou"),
        (dict(top_k=-1), "top_k"),
        (dict(top_k_factor=0), "top_k_factor"),
    ],
)
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        error_analysis(TRUTH, [np.array([[10.0, 20.0, 0, 0.9]])], **kwargs)


def test_inputs_are_validated_with_video_index():
    with pytest.raises(ValueError, match="same videos|2 videos"):
        error_analysis(TRUTH, [np.zeros((0, 4))] * 2)
    with pytest.raises(ValueError, match=r"detections\[0\]"):
        error_analysis(TRUTH, [np.zeros((2, 3))])
