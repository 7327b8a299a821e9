"""API checks for localizers on ragged inputs.

scikit-learn's data-driven estimator checks feed 2-D arrays and cannot apply to
localizers; these checks exercise the same promises with ragged videos, clicks and
segments. Use them for a new localizer::

    import pytest
    from sktal.utils.estimator_checks import localizer_checks

    @pytest.mark.parametrize("check", localizer_checks(), ids=lambda c: c.__name__)
    def test_my_localizer(check):
        check(MyLocalizer(hidden_size=8, n_segments=16, max_epochs=1))

Each check takes an unfitted estimator configured to train fast, works on a clone,
and raises ``AssertionError`` (or the estimator's own error) when the promise is
broken.
"""
import pickle

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from .._registry import click_kind
from ..datasets import make_temporal_actions, simulate_clicks


def _tiny_data(estimator, random_state=0):
    """Six small videos and clicks: the kind ``estimator`` learns from (its
    ``supervision``), or both kinds for a method that must accept and ignore them."""
    data = make_temporal_actions(
        n_videos=6, n_classes=3, n_features=12, random_state=random_state
    )
    clicks = simulate_clicks(
        data.segments, data.lengths, kind=click_kind(estimator) or "both",
        random_state=random_state,
    )
    return data, clicks


def _fit_y(estimator, data):
    """What ``fit`` learns from: the segments for a fully supervised localizer
    (``supervision == "segments"``), else the video labels."""
    return data.segments if getattr(estimator, "supervision", None) == "segments" else data.y


def _seeded(estimator, seed=0):
    return clone(estimator).set_params(random_state=seed)


def _assert_same_detections(a, b, what):
    assert len(a) == len(b), f"{what}: {len(a)} vs {len(b)} videos"
    for i, (da, db) in enumerate(zip(a, b)):
        assert da.shape == db.shape, f"{what}: video {i} has {da.shape} vs {db.shape}"
        np.testing.assert_allclose(da, db, rtol=1e-5, atol=1e-6, err_msg=f"{what}: video {i}")


def check_fit_returns_self(estimator):
    """``fit`` returns the estimator itself."""
    data, clicks = _tiny_data(estimator)
    est = _seeded(estimator)
    assert est.fit(data.X, _fit_y(estimator, data), clicks) is est, "fit must return self"


def check_unfitted_verbs_raise(estimator):
    """``predict``, ``predict_proba``, ``predict_cas`` and ``score`` raise ``NotFittedError``."""
    data, _ = _tiny_data(estimator)
    est = clone(estimator)
    for verb in ("predict", "predict_proba", "predict_cas"):
        try:
            getattr(est, verb)(data.X)
        except NotFittedError:
            continue
        raise AssertionError(f"{verb} before fit did not raise NotFittedError")
    try:
        est.score(data.X, segments=data.segments)
    except NotFittedError:
        return
    raise AssertionError("score before fit did not raise NotFittedError")


def check_output_contract(estimator):
    """Outputs have the shapes and ranges of the data model."""
    data, clicks = _tiny_data(estimator)
    est = _seeded(estimator).fit(data.X, _fit_y(estimator, data), clicks)
    n_classes = data.y.shape[1]
    proba = est.predict_proba(data.X)
    assert proba.shape == (len(data.X), n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    cas = est.predict_cas(data.X)
    for i, (c, x) in enumerate(zip(cas, data.X)):
        assert c.shape == (len(x), n_classes), f"predict_cas[{i}] has shape {c.shape}"
    for i, (d, x) in enumerate(zip(est.predict(data.X), data.X)):
        assert d.ndim == 2 and d.shape[1] == 4, f"predict[{i}] has shape {d.shape}"
        assert np.all(d[:, 0] >= 0) and np.all(d[:, 1] <= len(x) + 1e-9)
        assert np.all(d[:, 0] < d[:, 1]), f"predict[{i}]: start >= end"
        assert np.all(np.diff(d[:, 3]) <= 0), f"predict[{i}] is not by descending score"
        assert set(np.unique(d[:, 2])) <= set(range(n_classes))
    score = est.score(data.X, segments=data.segments)
    assert 0.0 <= score <= 1.0
    assert est.score(data.X, data.segments) == score


def check_pickle_round_trip(estimator):
    """``pickle`` and ``joblib`` give identical predictions after reload."""
    data, clicks = _tiny_data(estimator)
    est = _seeded(estimator).fit(data.X, _fit_y(estimator, data), clicks)
    before = est.predict(data.X)
    for restored in (pickle.loads(pickle.dumps(est)), _joblib_round_trip(est)):
        _assert_same_detections(before, restored.predict(data.X), "after reload")
        np.testing.assert_array_equal(est.predict_proba(data.X), restored.predict_proba(data.X))


def _joblib_round_trip(est):
    import io

    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def check_fit_does_not_change_parameters(estimator):
    """``get_params()`` is the same before and after ``fit``."""
    data, clicks = _tiny_data(estimator)
    est = _seeded(estimator)
    before = joblib.hash(est.get_params(deep=False))
    est.fit(data.X, _fit_y(estimator, data), clicks)
    assert joblib.hash(est.get_params(deep=False)) == before, "fit changed a parameter"


def check_deterministic_under_random_state(estimator):
    """Two fits with the same ``random_state`` predict the same."""
    data, clicks = _tiny_data(estimator)
    a = _seeded(estimator, 3).fit(data.X, _fit_y(estimator, data), clicks)
    b = _seeded(estimator, 3).fit(data.X, _fit_y(estimator, data), clicks)
    np.testing.assert_array_equal(a.predict_proba(data.X), b.predict_proba(data.X))
    _assert_same_detections(a.predict(data.X), b.predict(data.X), "same random_state")


def check_videos_without_clicks(estimator):
    """Videos with an empty click array are accepted."""
    data, clicks = _tiny_data(estimator)
    clicks = list(clicks)
    clicks[0] = np.empty((0, 2))
    clicks[3] = np.empty((0, 2))
    _seeded(estimator).fit(data.X, _fit_y(estimator, data), clicks).predict(data.X)


def check_subset_predictions_equal_full_set(estimator):
    """A video's predictions do not depend on the other videos passed with it."""
    data, clicks = _tiny_data(estimator)
    est = _seeded(estimator).fit(data.X, _fit_y(estimator, data), clicks)
    full = est.predict(data.X)
    subset = [4, 1]
    part = est.predict([data.X[i] for i in subset])
    _assert_same_detections([full[i] for i in subset], part, "subset vs full set")
    np.testing.assert_allclose(
        est.predict_proba(data.X)[subset],
        est.predict_proba([data.X[i] for i in subset]),
        rtol=1e-5,
        atol=1e-6,
    )


def check_annotated_y_trains_like_video_labels(estimator):
    """Annotated ``y`` trains exactly like the video labels derived from it."""
    data, clicks = _tiny_data(estimator)
    n_classes = data.y.shape[1]
    if getattr(estimator, "supervision", None) == "segments":
        # a fully supervised localizer needs the boundaries: video labels are refused
        try:
            _seeded(estimator).fit(data.X, data.y, clicks)
        except ValueError:
            return
        raise AssertionError("a fully supervised localizer accepted video labels")
    a = _seeded(estimator).set_params(n_classes=n_classes).fit(data.X, data.y, clicks)
    b = _seeded(estimator).set_params(n_classes=n_classes)
    b.fit(data.X, data.segments, clicks)
    np.testing.assert_array_equal(a.predict_proba(data.X), b.predict_proba(data.X))


def check_wrong_feature_width_is_rejected(estimator):
    """Predicting on features of another width raises a ValueError naming the video."""
    data, clicks = _tiny_data(estimator)
    est = _seeded(estimator).fit(data.X, _fit_y(estimator, data), clicks)
    bad = list(data.X[:2])
    bad[1] = np.zeros((5, data.X[0].shape[1] + 1), dtype=np.float32)
    try:
        est.predict(bad)
    except ValueError as exc:
        assert "X[1]" in str(exc), f"message does not name the video: {exc}"
        return
    raise AssertionError("a video of the wrong width was accepted")


def localizer_checks():
    """All checks, in the order they are best run.

    Returns
    -------
    list of callable
        Each takes an unfitted (fast-training) localizer.
    """
    return [
        check_fit_returns_self,
        check_unfitted_verbs_raise,
        check_output_contract,
        check_pickle_round_trip,
        check_fit_does_not_change_parameters,
        check_deterministic_under_random_state,
        check_videos_without_clicks,
        check_subset_predictions_equal_full_set,
        check_annotated_y_trains_like_video_labels,
        check_wrong_feature_width_is_rejected,
    ]


def check_localizer(estimator):
    """Run every check of :func:`localizer_checks` on ``estimator``.

    Parameters
    ----------
    estimator : BaseLocalizer
        Unfitted and configured to train fast (small widths, one or two epochs).

    Examples
    --------
    >>> from sktal import BaSNet
    >>> from sktal.utils.estimator_checks import check_localizer
    >>> check_localizer(BaSNet(n_segments=16, hidden_size=8, max_epochs=1))
    """
    for check in localizer_checks():
        check(estimator)
