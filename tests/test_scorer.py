"""Tests of TemporalMAPScorer inside scikit-learn model selection (both paths)."""
import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sktal.metrics import ACTIVITYNET_TIOU_THRESHOLDS, TemporalMAPScorer
from sktal.utils.validation import is_annotated

N_CLASSES = 3


class ShiftLocalizer(BaseEstimator):
    """Fake localizer: the true segments of each video, shifted by ``shift``.

    The video is recognised by its content (``X[i][0, 0]`` holds its id) and looked up
    in ``truth``; ``fit`` only derives video-level labels, from weak or annotated y.
    """

    def __init__(self, shift=0.0, truth=None):
        self.shift = shift
        self.truth = truth

    def fit(self, X, y):
        if is_annotated(y):
            labels = np.zeros((len(y), N_CLASSES))
            for i, segments in enumerate(y):
                labels[i, np.asarray(segments)[:, 2].astype(int)] = 1
            self.y_kind_ = "annotated"
        else:
            labels = np.asarray(y)
            self.y_kind_ = "weak"
        assert labels.shape == (len(X), N_CLASSES)
        self.labels_ = labels
        return self

    def predict(self, X):
        detections = []
        for video in X:
            segments = self.truth[int(video[0, 0])]
            detections.append(np.column_stack([
                segments[:, :2] + self.shift, segments[:, 2],
                np.linspace(1.0, 0.5, len(segments)),
            ]))
        return detections


@pytest.fixture
def videos():
    rng = np.random.default_rng(0)
    X, truth = [], []
    for i in range(12):
        n = rng.integers(1, 4)
        start = rng.uniform(0, 80, n)
        truth.append(np.column_stack([start, start + rng.uniform(4, 10, n),
                                      rng.integers(0, N_CLASSES, n)]))
        X.append(np.full((int(rng.integers(90, 110)), 4), float(i)))
    y_weak = np.zeros((len(X), N_CLASSES))
    for i, segments in enumerate(truth):
        y_weak[i, segments[:, 2].astype(int)] = 1
    return X, truth, y_weak


GRID = {"shift": [-3.0, 0.0, 2.5]}


def _check_search(search, y_kind):
    assert search.best_params_ == {"shift": 0.0}
    assert search.best_score_ == 1.0
    scores = search.cv_results_["mean_test_score"]
    assert np.all((scores >= 0) & (scores <= 1)) and np.sum(scores == 1.0) == 1
    assert search.best_estimator_.y_kind_ == y_kind


def test_grid_search_annotated_y_n_jobs_2(videos):
    X, truth, _ = videos
    search = GridSearchCV(ShiftLocalizer(truth=truth), GRID, scoring=TemporalMAPScorer(),
                          cv=KFold(3), n_jobs=2, error_score="raise")
    search.fit(X, truth)
    _check_search(search, "annotated")


def test_grid_search_weak_y_routed_segments_n_jobs_2(videos):
    X, truth, y_weak = videos
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = TemporalMAPScorer().set_score_request(segments=True)
        search = GridSearchCV(ShiftLocalizer(truth=truth), GRID, scoring=scorer,
                              cv=KFold(3), n_jobs=2, error_score="raise")
        search.fit(X, y_weak, segments=truth)
    _check_search(search, "weak")


def test_annotated_y_also_works_with_routing_enabled(videos):
    X, truth, _ = videos
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(ShiftLocalizer(truth=truth), GRID, scoring=TemporalMAPScorer(),
                              cv=KFold(3), error_score="raise").fit(X, truth)
    _check_search(search, "annotated")


def test_cross_validate_routed_segments(videos):
    X, truth, y_weak = videos
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = TemporalMAPScorer(ACTIVITYNET_TIOU_THRESHOLDS).set_score_request(segments=True)
        result = cross_validate(ShiftLocalizer(shift=1.0, truth=truth), X, y_weak, cv=KFold(3),
                                scoring={"map": scorer}, params={"segments": truth},
                                error_score="raise")
    expected = [scorer(ShiftLocalizer(shift=1.0, truth=truth), X[i:i + 4],
                       segments=truth[i:i + 4]) for i in (0, 4, 8)]
    np.testing.assert_allclose(result["test_map"], expected)
    assert np.all(result["test_map"] < 1.0)


def test_routed_segments_need_a_score_request(videos):
    X, truth, y_weak = videos
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(ShiftLocalizer(truth=truth), GRID, scoring=TemporalMAPScorer(),
                              cv=KFold(3))
        with pytest.raises(ValueError, match="segments"):
            search.fit(X, y_weak, segments=truth)


def test_scorer_needs_ground_truth(videos):
    X, truth, y_weak = videos
    estimator = ShiftLocalizer(truth=truth).fit(X, y_weak)
    with pytest.raises(ValueError, match="set_score_request"):
        TemporalMAPScorer()(estimator, X, y_weak)
    with pytest.raises(ValueError, match="describes 11 videos but X holds 12"):
        TemporalMAPScorer()(estimator, X, segments=truth[1:])
    assert TemporalMAPScorer()(estimator, X, y_weak, segments=truth) == 1.0
    assert TemporalMAPScorer().score(estimator, X, truth) == 1.0


def test_scorer_is_an_estimator_like_object():
    scorer = TemporalMAPScorer()
    assert repr(scorer) == "TemporalMAPScorer()"
    assert repr(TemporalMAPScorer([0.5])) == "TemporalMAPScorer(tiou_thresholds=[0.5])"
    assert scorer.get_params() == {"tiou_thresholds": (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)}
    assert scorer.set_params(tiou_thresholds=(0.5,)).tiou_thresholds == (0.5,)
    assert "TemporalMAPScorer()" in repr(GridSearchCV(ShiftLocalizer(), GRID,
                                                      scoring=TemporalMAPScorer()))


def test_scorer_metadata_routing_and_clone():
    with sklearn.config_context(enable_metadata_routing=True):
        assert TemporalMAPScorer().get_metadata_routing().consumes("score", ["segments"]) == set()
        scorer = TemporalMAPScorer().set_score_request(segments=True)
        for copy in (scorer, clone(scorer), pickle.loads(pickle.dumps(scorer))):
            routing = copy.get_metadata_routing()
            assert routing.consumes("score", ["segments", "estimator"]) == {"segments"}
        with pytest.raises(TypeError):
            TemporalMAPScorer().set_score_request(estimator=True)
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        TemporalMAPScorer().set_score_request(segments=True)


def test_scorer_pickles(videos):
    X, truth, y_weak = videos
    scorer = TemporalMAPScorer([0.5, 0.7])
    restored = pickle.loads(pickle.dumps(scorer))
    assert repr(restored) == repr(scorer)
    estimator = ShiftLocalizer(shift=2.0, truth=truth).fit(X, truth)
    assert restored(estimator, X, truth) == scorer(estimator, X, truth)
