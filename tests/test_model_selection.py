"""Tests of sktal.model_selection (issue #15.6)."""
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold, cross_validate

from sktal.metrics import detection_map
from sktal.model_selection import MultiThresholdScorer, SeedResults, repeated_seeds

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


class CountingOracle(BaseEstimator):
    """Predicts each video's first segment stretched by ``stretch``; counts predicts."""

    calls = []

    def __init__(self, stretch=0.0, random_state=None):
        self.stretch = stretch
        self.random_state = random_state

    def fit(self, X, y, clicks=None):
        rng = np.random.default_rng(self.random_state)
        self.extra_ = self.stretch + rng.uniform(0, 3)
        self.clicks_seen_ = clicks is not None
        return self

    def predict(self, X):
        CountingOracle.calls.append(len(X))
        return [np.array([[2.0, 6.0 + self.extra_, 0, 0.9], [x.shape[0] - 3.0, x.shape[0], 1, 0.4]])
                for x in X]


def _data(n=8):
    X = [np.zeros((12 + i, 2)) for i in range(n)]
    segments = [np.array([[2.0, 6.0, 0], [9.0, 12.0 + i, 1]]) for i in range(n)]
    return X, segments


def test_multithreshold_scorer_dict_equals_detection_map_and_calls_predict_once():
    X, segments = _data()
    est = CountingOracle(random_state=0).fit(X, segments)
    CountingOracle.calls.clear()
    scores = MultiThresholdScorer()(est, X, segments)
    assert CountingOracle.calls == [len(X)]
    ref = detection_map(segments, est.predict(X), THRESHOLDS)
    assert list(scores)[:7] == [f"mAP@{t:g}" for t in THRESHOLDS]
    for t, m in zip(THRESHOLDS, ref.mAP):
        assert scores[f"mAP@{t:g}"] == pytest.approx(m)
    assert scores["avg_0.1:0.5"] == pytest.approx(np.mean(ref.mAP[:5]))
    assert scores["avg_0.3:0.7"] == pytest.approx(np.mean(ref.mAP[2:]))
    assert scores["avg_0.1:0.7"] == pytest.approx(np.mean(ref.mAP))
    assert scores["avg_0.1:0.7"] == pytest.approx(ref.average_mAP)


def test_cross_validate_gets_every_metric_from_one_predict_per_fold():
    X, segments = _data()
    CountingOracle.calls.clear()
    res = cross_validate(CountingOracle(random_state=0), X, segments,
                         scoring=MultiThresholdScorer(), cv=KFold(4))
    assert CountingOracle.calls == [2, 2, 2, 2]  # one predict per fold, all metrics
    for key in ("test_mAP@0.1", "test_mAP@0.7", "test_avg_0.1:0.5", "test_avg_0.3:0.7",
                "test_avg_0.1:0.7"):
        assert res[key].shape == (4,)


def test_multithreshold_scorer_needs_segments():
    X, _ = _data()
    oracle = CountingOracle().fit(X, None)
    with pytest.raises(ValueError, match=r"MultiThresholdScorer needs the ground-truth "
                                         r"segments.*MultiThresholdScorer\(\)\.set_score"):
        MultiThresholdScorer()(oracle, X, np.ones((len(X), 2)))
    with pytest.raises(ValueError, match=f"describes {len(X) - 1} videos but X holds"):
        MultiThresholdScorer()(oracle, X, segments=_data()[1][1:])


def test_repeated_seeds_mean_std_equal_a_loop_over_seeds():
    X, segments = _data()
    seeds = (0, 1, 5)
    res = repeated_seeds(CountingOracle(stretch=0.5), X[:4], segments[:4], X[4:],
                         segments[4:], seeds=seeds, fit_params={"clicks": [None] * 4})
    assert isinstance(res, SeedResults)
    loop = []
    for s in seeds:
        est = CountingOracle(stretch=0.5, random_state=s).fit(X[:4], segments[:4])
        loop.append(detection_map(segments[4:], est.predict(X[4:]), THRESHOLDS).mAP)
    loop = np.array(loop)
    np.testing.assert_allclose(res.mAP, loop)
    np.testing.assert_allclose(res.mean, loop.mean(axis=0))
    np.testing.assert_allclose(res.std, loop.std(axis=0))
    assert res.std.max() > 0  # the seeds really differ
    per_seed = loop[:, 2:].mean(axis=1)
    assert res.averages["0.3:0.7"] == pytest.approx((per_seed.mean(), per_seed.std()))
    assert set(res.averages) == {"0.1:0.5", "0.3:0.7", "0.1:0.7"}
    assert [e.random_state for e in res.estimators] == list(seeds)
    assert all(e.clicks_seen_ for e in res.estimators)
    text = str(res)
    assert "0.3:0.7" in text and f"{100 * res.mean[0]:.2f}" in text
    assert res.to_dict()["seeds"] == list(seeds)


def test_repeated_seeds_parallel_equals_serial():
    X, segments = _data()
    args = (CountingOracle(), X[:4], segments[:4], X[4:], segments[4:])
    serial = repeated_seeds(*args, seeds=(0, 1))
    parallel = repeated_seeds(*args, seeds=(0, 1), n_jobs=2)
    np.testing.assert_allclose(serial.mAP, parallel.mAP)


def test_repeated_seeds_validates():
    X, segments = _data()
    args = (CountingOracle(), X[:4], segments[:4], X[4:], segments[4:])
    with pytest.raises(ValueError, match="distinct"):
        repeated_seeds(*args, seeds=(0, 0))
    with pytest.raises(ValueError, match="at least one"):
        repeated_seeds(*args, seeds=())


def test_repeated_seeds_with_a_tiny_basnet():
    from sktal import BaSNet
    from sktal.datasets import make_temporal_actions

    data = make_temporal_actions(n_videos=10, n_classes=3, n_features=8,
                                 length_range=(20, 40), random_state=0)
    est = BaSNet(n_segments=16, hidden_size=8, batch_size=4, max_epochs=1, verbose=0)
    res = repeated_seeds(est, data.X[:6], data.y[:6], data.X[6:], data.segments[6:],
                         seeds=(0, 1))
    assert res.mAP.shape == (2, 7)
    for s, fitted in zip((0, 1), res.estimators):
        ref = BaSNet(n_segments=16, hidden_size=8, batch_size=4, max_epochs=1, verbose=0,
                     random_state=s).fit(data.X[:6], data.y[:6])
        np.testing.assert_allclose(fitted.predict_proba(data.X[6:]),
                                   ref.predict_proba(data.X[6:]), rtol=1e-5, atol=1e-6)
