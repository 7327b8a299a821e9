"""PseudoLabelRefiner: the pseudo-instance rules by hand, and the estimator API."""
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import sktal
from sktal._refinement import pseudo_instances
from sktal.datasets import make_temporal_actions, simulate_clicks
from sktal.utils import estimator_checks as ec

RULES = dict(keep_video_classes=True, score_ratio=0.5, click_window=4.0,
             centre_on_click=False, background_rule="drop", cas_threshold=0.3,
             nms_threshold=0.5, weighted=False)


def _refiner(localizer="BackTAL", **kw):
    loc = getattr(sktal, localizer)(n_segments=16, hidden_size=8, max_epochs=1, batch_size=4)
    det = sktal.SegmentDetector(hidden_size=8, max_epochs=1, batch_size=4, n_levels=2)
    return sktal.PseudoLabelRefiner(loc, det, **kw)


def test_click_inside_two_overlapping_detections_takes_the_best():
    det = np.array([[10, 30, 0, 0.6], [15, 25, 0, 0.9], [12, 40, 1, 0.95]])
    out = pseudo_instances(det, labels=np.array([1, 0]), clicks=np.array([[20, 0]]), **RULES)
    np.testing.assert_allclose(out, [[15, 25, 0, 1.0]])


def test_detection_spanning_two_clicks_is_not_used():
    det = np.array([[0, 50, 0, 0.9], [8, 14, 0, 0.3]])
    clicks = np.array([[10, 0], [40, 0]])
    out = pseudo_instances(det, labels=np.array([1]), clicks=clicks, **RULES)
    # click 10 -> the short detection; click 40 -> no detection left: window 38.5..42.5
    np.testing.assert_allclose(out, [[8, 14, 0, 1.0], [38.5, 42.5, 0, 1.0]])


def test_click_with_no_detection_gets_a_window_clipped_at_zero():
    out = pseudo_instances(np.zeros((0, 4)), labels=np.array([1]),
                           clicks=np.array([[1.2, 0]]), **RULES)
    np.testing.assert_allclose(out, [[0.0, 3.5, 0, 1.0]])


def test_background_click_drops_the_detection_containing_it():
    det = np.array([[10, 30, 0, 0.9], [40, 50, 0, 0.8], [60, 62, 0, 0.2]])
    out = pseudo_instances(det, labels=np.array([1]), clicks=np.array([[20, -1]]), **RULES)
    # [10, 30) dropped; best is now 0.8, so 0.2 < 0.5 * 0.8 is dropped too
    np.testing.assert_allclose(out, [[40, 50, 0, 1.0]])


def test_labels_nms_ratio_and_weights():
    det = np.array([[0, 10, 0, 0.8], [1, 10, 0, 0.7], [20, 30, 1, 0.9], [40, 50, 0, 0.3]])
    rules = dict(RULES, weighted=True)
    out = pseudo_instances(det, labels=np.array([1, 0]), clicks=np.zeros((0, 2)), **rules)
    # class 1 not in the video; [1, 10) suppressed by NMS (IoU 0.9); 0.3 < 0.4 dropped
    np.testing.assert_allclose(out, [[0, 10, 0, 1.0]])
    out = pseudo_instances(det, labels=None, clicks=np.zeros((0, 2)),
                           **dict(rules, keep_video_classes=False, score_ratio=0.0,
                                  nms_threshold=1.0))
    assert len(out) == 4
    np.testing.assert_allclose(sorted(out[:, 3]), sorted(np.array([0.8, 0.7, 0.9, 0.3]) / 0.9))


def _cas(length, bumps, n_classes=2):
    cas = np.zeros((length, n_classes))
    for c, start, values in bumps:
        cas[start:start + len(values), c] = values
    return cas


def test_interval_rule_one_cas_run_per_stretch_between_background_clicks():
    # background clicks at 2, 10, 18: inner stretches 3..9 and 11..17, edges 0..1, 19
    cas = _cas(20, [(0, 4, [0.2, 0.9, 1.0, 0.8, 0.1]),     # peak 1.0 at 6, run 5..7
                    (1, 12, [0.5, 0.6, 0.4]),              # class 1 run 12..14
                    (0, 12, [0.1, 0.1, 0.1]),
                    (0, 0, [0.3]), (1, 19, [0.45])])        # edge peaks 0.3 and 0.45
    clicks = np.array([[2, -1], [10, -1], [18, -1]])
    rules = dict(RULES, background_rule="interval", cas_threshold=0.3, weighted=True)
    # the teacher's detections play no part: one spans a click, one is elsewhere
    det = np.array([[0, 20, 0, 0.9], [11, 13, 1, 0.2]])
    out = pseudo_instances(det, labels=np.array([1, 1]), clicks=clicks, cas=cas, **rules)
    # stretch 3..9: 0.3 * 1.0 bounds the run to 5..7 (0.2 at 4 and 0.1 at 8 are out);
    # stretch 11..17: peak 0.6, run 12..14 of class 1 (mean 0.5 > class 0's 0.1);
    # edge 0..1 (peak 0.3 < 0.5 * 1.0) dropped, edge 19 (0.45 < 0.5) dropped
    np.testing.assert_allclose(out, [[5, 8, 0, 1.0], [12, 15, 1, 0.5 / 0.9]])
    # a lower score_ratio keeps the edge stretches too
    out = pseudo_instances(det, labels=np.array([1, 1]), clicks=clicks, cas=cas,
                           **dict(rules, score_ratio=0.3))
    np.testing.assert_allclose(out[:, :3], [[0, 1, 0], [5, 8, 0], [12, 15, 1], [19, 20, 1]])
    # keep_video_classes: a video of class 0 only cuts its runs from class 0's CAS
    out = pseudo_instances(det, labels=np.array([1, 0]), clicks=clicks, cas=cas, **rules)
    np.testing.assert_allclose(out[:, :3], [[5, 8, 0], [12, 15, 0]])
    with pytest.raises(ValueError, match="CAS"):
        pseudo_instances(det, labels=np.array([1, 1]), clicks=clicks, **rules)


def test_centre_on_click_keeps_the_length():
    det = np.array([[10, 30, 0, 0.9], [0, 3, 0, 0.5]])
    clicks = np.array([[14.6, 0], [1, 0]])
    out = pseudo_instances(det, labels=np.array([1]), clicks=clicks,
                           **dict(RULES, centre_on_click=True))
    # [10, 30) around snippet 14 -> centre 14.5, half 10; [0, 3) around 1 -> [0, 3)
    np.testing.assert_allclose(out, [[4.5, 24.5, 0, 1.0], [0.0, 3.0, 0, 1.0]])


def test_action_clicks_take_precedence_over_the_interval_rule():
    det = np.array([[10, 30, 0, 0.9], [40, 50, 0, 0.8]])
    clicks = np.array([[20, -1], [45, 0]])
    out = pseudo_instances(det, labels=np.array([1]), clicks=clicks,
                           **dict(RULES, background_rule="interval"))
    np.testing.assert_allclose(out, [[40, 50, 0, 1.0]])


@pytest.mark.parametrize("check", [
    ec.check_fit_returns_self, ec.check_unfitted_verbs_raise, ec.check_output_contract,
    ec.check_pickle_round_trip, ec.check_fit_does_not_change_parameters,
    ec.check_deterministic_under_random_state, ec.check_subset_predictions_equal_full_set,
], ids=lambda c: c.__name__)
def test_common_checks(check):
    check(_refiner())


SEEN = []


class Spy(sktal.BackTAL):
    """BackTAL that records how many videos' clicks each fit receives."""

    def fit(self, X, y, clicks=None):
        SEEN.append(None if clicks is None else len(clicks))
        return super().fit(X, y, clicks)


def test_clone_pickle_nested_params_and_gridsearch_routes_clicks():
    data = make_temporal_actions(n_videos=8, random_state=0)
    clicks = simulate_clicks(data.segments, data.lengths, kind="both", random_state=0)
    est = _refiner(random_state=0)
    assert clone(est).get_params()["localizer__lambda_sep"] == est.localizer.lambda_sep
    seen = SEEN
    seen.clear()
    est.set_params(localizer=Spy(n_segments=16, hidden_size=8, max_epochs=1, n_classes=data.y.shape[1]))
    search = GridSearchCV(est, {"localizer__lambda_sep": [0.5, 1.0],
                                "detector__hidden_size": [4, 8]}, cv=2)
    search.fit(data.X, data.segments, clicks=clicks)
    assert seen and all(n == 4 for n in seen[:-1]) and seen[-1] == 8
    fitted = search.best_estimator_
    assert len(fitted.pseudo_segments_) == 8
    assert fitted.localizer_ is not fitted.localizer
    again = pickle.loads(pickle.dumps(fitted))
    for a, b in zip(fitted.predict(data.X), again.predict(data.X)):
        np.testing.assert_allclose(a, b)


def test_two_rounds_and_bad_parameters():
    data = make_temporal_actions(n_videos=6, random_state=1)
    est = _refiner("BaSNet", n_rounds=2, random_state=0).fit(data.X, data.y)
    assert all(p.shape[1] == 4 for p in est.pseudo_segments_)
    with pytest.raises(ValueError, match="score_ratio"):
        _refiner(score_ratio=2.0).fit(data.X, data.y)
    with pytest.raises(ValueError, match="background_rule"):
        _refiner(background_rule="trim").fit(data.X, data.y)


def test_background_clicks_cut_pseudo_instances_from_the_teachers_cas():
    data = make_temporal_actions(n_videos=6, random_state=3)
    clicks = simulate_clicks(data.segments, data.lengths, kind="background", random_state=0)
    est = _refiner(random_state=0).fit(data.X, data.y, clicks)
    cas = est.localizer_.predict_cas(data.X)
    rules = {k: est.get_params()[k] for k in RULES}
    for i in range(len(data.X)):
        expected = pseudo_instances(np.zeros((0, 4)), labels=data.y[i], clicks=clicks[i],
                                    cas=cas[i], **rules)
        np.testing.assert_allclose(est.pseudo_segments_[i], expected)
    assert sum(len(p) for p in est.pseudo_segments_) > 0


def test_bench_refinement_quick_runs():
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, os.path.join(root, "benchmarks", "bench_refinement.py"), "--quick",
         "--suite", "synthetic"], cwd=root, env=env, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in ("SegmentDetector", "FSPTAL + refinement", "pseudo P / R"):
        assert text in proc.stdout


def test_plot_pseudo_segments():
    import matplotlib

    matplotlib.use("Agg")
    data = make_temporal_actions(n_videos=6, random_state=2)
    clicks = simulate_clicks(data.segments, data.lengths, kind="action", random_state=0)
    est = _refiner("FSPTAL", random_state=0).fit(data.X, data.y, clicks)
    ax = est.plot_pseudo_segments(data.segments, videos=[0, 1])
    assert len(ax.patches) >= sum(len(est.pseudo_segments_[i]) for i in (0, 1))


def test_frozen_localizer_is_reused_not_refitted():
    frozen = pytest.importorskip("sklearn.frozen")
    from sklearn.exceptions import NotFittedError

    data = make_temporal_actions(n_videos=6, random_state=2)
    clicks = simulate_clicks(data.segments, data.lengths, kind="both", random_state=0)
    plain = _refiner(random_state=0)
    plain.set_params(localizer=Spy(n_segments=16, hidden_size=8, max_epochs=1,
                                   batch_size=4))
    SEEN.clear()
    plain.fit(data.X, data.y, clicks)
    assert SEEN == [6]
    prefit = clone(plain).set_params(localizer=frozen.FrozenEstimator(plain.localizer_))
    prefit = clone(prefit)  # a frozen localizer survives clone (GridSearchCV, cv)
    prefit.fit(data.X, data.y, clicks)
    assert SEEN == [6]  # not fitted again
    assert prefit.localizer_.estimator is plain.localizer_
    # same teacher, same rules: the same pseudo-instances and the same detector
    for a, b in zip(plain.pseudo_segments_, prefit.pseudo_segments_):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(plain.predict(data.X), prefit.predict(data.X)):
        np.testing.assert_allclose(a, b)
    unfitted = frozen.FrozenEstimator(sktal.BackTAL(n_segments=16, max_epochs=1))
    with pytest.raises(NotFittedError, match="frozen localizer is not fitted"):
        _refiner().set_params(localizer=unfitted).fit(data.X, data.y, clicks)
    fewer = data.y[:, :2][data.y[:, :2].sum(1) > 0]
    idx = np.flatnonzero(data.y[:, :2].sum(1) > 0)
    with pytest.raises(ValueError, match="fitted on 5 classes, y has 2"):
        _refiner().set_params(localizer=frozen.FrozenEstimator(plain.localizer_)).fit(
            [data.X[i] for i in idx], fewer)
