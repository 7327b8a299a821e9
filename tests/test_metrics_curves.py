"""Tests of sktal.metrics.detection_precision_recall (the curves behind detection_map)."""
import numpy as np
import pytest

from sktal.metrics import detection_map, detection_precision_recall


def test_hand_computed_curve():
    truth = [np.array([[0.0, 10.0, 0], [20.0, 30.0, 0]])]
    dets = [np.array([[21.0, 30.0, 0, 0.7], [0.0, 9.0, 0, 0.9], [50.0, 60.0, 0, 0.8]])]
    pr = detection_precision_recall(truth, dets, 0.5)
    assert pr.classes.tolist() == [0]
    assert pr.true_positive[0].tolist() == [True, False, True]
    np.testing.assert_allclose(pr.precision[0], [1, 1 / 2, 2 / 3])
    np.testing.assert_allclose(pr.recall[0], [1 / 2, 1 / 2, 1])
    np.testing.assert_allclose(pr.scores[0], [0.9, 0.8, 0.7])
    assert pr.detection_index[0].tolist() == [[0, 1], [0, 2], [0, 0]]
    assert pr.ap[0] == pytest.approx(5 / 6)


def test_ap_equals_detection_map_on_random_cases():
    rng = np.random.default_rng(0)
    for _ in range(10):
        truth, dets = [], []
        for _ in range(4):
            m, k = rng.integers(0, 5), rng.integers(0, 12)
            s = rng.uniform(0, 100, m)
            truth.append(np.column_stack([s, s + rng.uniform(1, 20, m), rng.integers(0, 3, m)]))
            s = rng.uniform(0, 100, k)
            dets.append(np.column_stack([s, s + rng.uniform(1, 20, k), rng.integers(0, 4, k),
                                         rng.integers(0, 5, k) / 5]))
        if not any(len(t) for t in truth):
            continue
        for alpha in (0.1, 0.5, 0.7):
            expected = detection_map(truth, dets, [alpha])
            pr = detection_precision_recall(truth, dets, alpha)
            assert pr.classes.tolist() == expected.classes.tolist()
            np.testing.assert_allclose(pr.ap, expected.ap[0])


def test_classes_without_ground_truth_are_ignored_and_empty_classes_kept():
    truth = [np.array([[0.0, 10.0, 0], [0.0, 10.0, 1]])]
    dets = [np.array([[0.0, 10.0, 2, 0.9], [0.0, 10.0, 0, 0.5]])]
    pr = detection_precision_recall(truth, dets)
    assert pr.classes.tolist() == [0, 1]
    assert len(pr.precision[1]) == 0
    assert pr.ap.tolist() == [1.0, 0.0]
    assert pr.n_positive.tolist() == [1, 1]


def test_invalid_threshold_raises():
    with pytest.raises(ValueError, match="tiou_threshold"):
        detection_precision_recall([np.array([[0.0, 1.0, 0]])], [np.zeros((0, 4))], 2.0)
