"""Tests for sktal.utils.validation: every bad input gets a message naming field and video."""
import numbers

import numpy as np
import pytest

from sktal.utils import (
    check_clicks,
    check_consistent_length,
    check_labels,
    check_param,
    check_segments,
    check_videos,
    is_annotated,
    segments_to_labels,
)


def _videos(lengths=(5, 7, 4), width=3):
    return [np.arange(t * width, dtype=np.float64).reshape(t, width) for t in lengths]


def _object_array(items):
    arr = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        arr[i] = item
    return arr


# ---------------------------------------------------------------- check_videos
@pytest.mark.parametrize("wrap", [list, tuple, _object_array])
def test_check_videos_accepts_lists_tuples_and_object_arrays(wrap):
    videos = check_videos(wrap(_videos()))
    assert [v.shape for v in videos] == [(5, 3), (7, 3), (4, 3)]
    assert all(v.dtype == np.float32 and v.flags["C_CONTIGUOUS"] for v in videos)


def test_check_videos_accepts_3d_array_of_equal_length_videos():
    videos = check_videos(np.zeros((4, 6, 3)))
    assert len(videos) == 4 and videos[0].shape == (6, 3)


def test_check_videos_returns_copies():
    original = _videos()
    videos = check_videos(original)
    videos[0][0, 0] = 99
    assert original[0][0, 0] == 0


@pytest.mark.parametrize("bad, match", [
    (np.nan, r"X\[1\]: contains NaN or infinite values"),
    (np.inf, r"X\[1\]: contains NaN or infinite values"),
    (1e300, r"X\[1\]: values exceed the float32 range"),
])
def test_check_videos_rejects_non_finite_values(bad, match):
    videos = _videos()
    videos[1][2, 1] = bad
    with pytest.raises(ValueError, match=match):
        check_videos(videos)


def test_check_videos_rejects_non_2d_video():
    videos = _videos()
    videos[2] = np.zeros(4)
    with pytest.raises(ValueError, match=r"X\[2\]: expected a 2-D array .* got shape \(4,\)"):
        check_videos(videos)


def test_check_videos_rejects_differing_width():
    videos = _videos()
    videos[1] = np.zeros((7, 5))
    with pytest.raises(ValueError, match=r"X\[1\]: has 5 features, expected 3 \(as X\[0\]\)"):
        check_videos(videos)
    with pytest.raises(ValueError, match=r"X\[0\]: has 3 features, expected 8 \(as n_features\)"):
        check_videos(_videos(), n_features=8)


def test_check_videos_rejects_empty_video_and_zero_videos():
    videos = _videos()
    videos[1] = np.zeros((0, 3))
    with pytest.raises(ValueError, match=r"X\[1\]: empty video \(0 timesteps\)"):
        check_videos(videos)
    with pytest.raises(ValueError, match=r"X: no videos"):
        check_videos([])
    with pytest.raises(ValueError, match=r"X: no videos"):
        check_videos(np.empty(0, dtype=object))


def test_check_videos_rejects_single_2d_array_and_non_numeric():
    with pytest.raises(ValueError, match=r"X: .*wrap a single video in a list"):
        check_videos(np.zeros((5, 3)))
    with pytest.raises(TypeError, match=r"X\[0\]: expected real numbers"):
        check_videos([np.array([["a", "b"]])])
    with pytest.raises(TypeError, match=r"X: expected a sequence"):
        check_videos(None)


# ---------------------------------------------------------------- is_annotated
def test_is_annotated_tells_segments_from_weak_labels():
    assert is_annotated([np.array([[0, 3, 1]]), np.zeros((0, 3))])
    assert is_annotated(_object_array([np.array([[0, 3, 1]]), []]))
    assert is_annotated(np.zeros((2, 4, 3)))
    assert not is_annotated(np.array([[0, 1, 0], [1, 0, 0]]))  # 3 classes, weak
    assert not is_annotated([[0, 1, 0], [1, 0, 0]])
    assert not is_annotated(None)


# ---------------------------------------------------------------- check_labels
def test_check_labels_accepts_weak_and_annotated():
    labels = check_labels([[0, 1], [1, 1]], 2)
    assert labels.dtype == np.float32 and labels.tolist() == [[0, 1], [1, 1]]
    labels = check_labels([np.array([[0, 3, 1]]), []], 2, n_classes=3)
    assert labels.tolist() == [[0, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize("y, match", [
    (np.array([[0, 1], [0.5, 1]]), r"y\[1\]: labels must be 0 or 1, got 0.5"),
    (np.array([[0, 1], [2, 1]]), r"y\[1\]: labels must be 0 or 1, got 2"),
    (np.array([[0, 1], [np.nan, 1]]), r"y\[1\]: contains NaN"),
    (np.array([0, 1]), r"y: expected shape \(n_videos, n_classes\), got shape \(2,\)"),
    (np.zeros((3, 2)), r"length mismatch: y has 3 videos, expected 2"),
    (np.zeros((2, 0)), r"y: has 0 classes"),
])
def test_check_labels_errors(y, match):
    with pytest.raises(ValueError, match=match):
        check_labels(y, 2)


def test_check_labels_wrong_number_of_classes():
    with pytest.raises(ValueError, match=r"y: has 2 classes, expected 4"):
        check_labels(np.zeros((2, 2)), 2, n_classes=4)


# ---------------------------------------------------------------- check_segments
@pytest.mark.parametrize("wrap", [list, _object_array])
def test_check_segments_accepts_lists_and_object_arrays(wrap):
    segs = check_segments(wrap([[[0, 4, 1], [5, 6, 0]], [], None]), 3, n_classes=2,
                          lengths=[10, 3, 4])
    assert [s.shape for s in segs] == [(2, 3), (0, 3), (0, 3)]
    assert segs[0].dtype == np.float64


@pytest.mark.parametrize("video, match", [
    ([[4, 4, 0]], r"segments\[1\]: instance 0 has end 4.0 <= start 4.0"),
    ([[0, 2, 0], [5, 3, 0]], r"segments\[1\]: instance 1 has end 3.0 <= start 5.0"),
    ([[-1, 2, 0]], r"segments\[1\]: instance 0 has negative start -1.0"),
    ([[0, 2, 1.5]], r"segments\[1\]: instance 0 has non-integer class 1.5"),
    ([[0, 2, 3]], r"segments\[1\]: instance 0 has unknown class 3 \(n_classes=3\)"),
    ([[0, 2, -1]], r"segments\[1\]: instance 0 has unknown class -1"),
    ([[0, np.nan, 0]], r"segments\[1\]: row 0 contains NaN or infinite values"),
    ([[0, 2]], r"segments\[1\]: expected an array of shape \(n, 3\)"),
    ([[12, 14, 0]], r"segments\[1\]: instance 0 starts at 12.0, outside video 1 \(length 10\)"),
])
def test_check_segments_errors(video, match):
    with pytest.raises(ValueError, match=match):
        check_segments([[[0, 1, 0]], video], 2, n_classes=3, lengths=[10, 10])


def test_check_segments_length_mismatch():
    with pytest.raises(ValueError, match=r"length mismatch: segments has 1 videos, expected 2"):
        check_segments([[[0, 1, 0]]], 2)


def test_segments_to_labels():
    labels = segments_to_labels([[[0, 4, 1], [6, 9, 1]], [[2, 3, 0]], []], 3)
    assert labels.dtype == np.float32
    assert labels.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match=r"segments\[0\]: instance 0 has unknown class 5"):
        segments_to_labels([[[0, 4, 5]]], 3)


# ---------------------------------------------------------------- check_clicks
def test_check_clicks_none_and_empty_entries():
    clicks = check_clicks(None, [10, 20])
    assert [c.shape for c in clicks] == [(0, 2), (0, 2)]
    clicks = check_clicks(_object_array([np.zeros((0, 2)), [[3, -1], [7.5, 0]]]), [10, 20])
    assert clicks[1].tolist() == [[3, -1], [7.5, 0]]


@pytest.mark.parametrize("video, match", [
    ([[20, -1]], r"clicks\[1\]: position 20.0 is outside video 1 \(length 20\)"),
    ([[-0.5, -1]], r"clicks\[1\]: position -0.5 is outside video 1 \(length 20\)"),
    ([[3, 1, 0]], r"clicks\[1\]: expected an array of shape \(k, 2\)"),
    ([3, -1], r"clicks\[1\]: expected an array of shape \(k, 2\)"),
    ([[3, -2]], r"clicks\[1\]: label -2 is neither -1 \(background\) nor a class index"),
    ([[3, 0.5]], r"clicks\[1\]: label 0.5 is neither -1"),
    ([[3, 4]], r"clicks\[1\]: label 4 is out of range \(n_classes=3\)"),
    ([[np.nan, -1]], r"clicks\[1\]: contains NaN or infinite values"),
])
def test_check_clicks_errors(video, match):
    with pytest.raises(ValueError, match=match):
        check_clicks([[[1, -1]], video], [10, 20], n_classes=3)


def test_check_clicks_class_must_belong_to_video():
    labels = np.array([[1, 0, 0], [0, 0, 1]])
    check_clicks([[[1, 0]], [[2, 2], [3, -1]]], [10, 20], labels=labels)
    with pytest.raises(ValueError, match=r"clicks\[1\]: action click at 2.0 has class 0, but "
                                         r"video 1 is not labelled with class 0"):
        check_clicks([[[1, 0]], [[2, 0]]], [10, 20], labels=labels)
    with pytest.raises(ValueError, match=r"clicks\[1\]: label 3 is out of range"):
        check_clicks([[[1, 0]], [[2, 3]]], [10, 20], labels=labels)


def test_check_clicks_length_mismatch():
    with pytest.raises(ValueError, match=r"length mismatch: clicks has 1 videos, expected 2"):
        check_clicks([[[1, -1]]], [10, 20])


def test_check_consistent_length_names_both_fields():
    X = _videos()
    assert check_consistent_length(X=X, y=np.zeros((3, 2)), clicks=None) == 3
    with pytest.raises(ValueError, match=r"length mismatch: clicks has 2 videos but X has 3"):
        check_consistent_length(X=X, y=np.zeros((3, 2)), clicks=[[], []])
    with pytest.raises(ValueError, match=r"length mismatch: segments has 4 videos but y has 3"):
        check_consistent_length(X=None, y=np.zeros((3, 2)), segments=[[]] * 4)


# ---------------------------------------------------------------- check_param
def test_check_param_numbers_bounds_and_types():
    assert check_param("lr", 0.1, low=0, include_low=False) == 0.1
    assert check_param("n", np.int64(3), kind=numbers.Integral, low=1) == 3
    with pytest.raises(ValueError, match=r"lr must be > 0, got 0"):
        check_param("lr", 0, low=0, include_low=False)
    with pytest.raises(ValueError, match=r"p must be <= 1, got 1.5"):
        check_param("p", 1.5, low=0, high=1)
    with pytest.raises(ValueError, match=r"p must be < 1, got 1"):
        check_param("p", 1, high=1, include_high=False)
    with pytest.raises(ValueError, match=r"p must not be NaN"):
        check_param("p", float("nan"))
    with pytest.raises(TypeError, match=r"n must be Integral, got 1.5 \(float\)"):
        check_param("n", 1.5, kind=numbers.Integral)
    with pytest.raises(TypeError, match=r"n must be Integral, got True \(bool\)"):
        check_param("n", True, kind=numbers.Integral)
    assert check_param("flag", True, kind=bool) is True


def test_check_param_options_and_none():
    assert check_param("nms", "soft", options=("hard", "soft")) == "soft"
    assert check_param("resampling", None, options=("interpolate", None)) is None
    assert check_param("k", None, kind=numbers.Integral, allow_none=True) is None
    assert check_param("k", "auto", kind=numbers.Integral, options=("auto",)) == "auto"
    with pytest.raises(ValueError, match=r"nms must be one of 'hard', 'soft'; got 'fast'"):
        check_param("nms", "fast", options=("hard", "soft"))
    with pytest.raises(ValueError, match=r"nms must be one of 'hard', 'soft'; got 1"):
        check_param("nms", 1, options=("hard", "soft"))  # no numbers when only options
    with pytest.raises(ValueError, match=r"k must be Integral or one of 'auto'"):
        check_param("k", "x", kind=numbers.Integral, options=("auto",))
