"""Tests of sktal.preprocessing.SnippetTransformer (issue #15.5)."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktal.preprocessing import SnippetTransformer


def _videos(seed=0, lengths=(5, 11, 7, 3), d=4):
    rng = np.random.default_rng(seed)
    return [rng.normal(3.0, 2.0, size=(t, d)) * np.arange(1, d + 1) for t in lengths]


def test_standard_scaler_matches_a_manual_fit_on_the_stacked_snippets():
    X = _videos()
    st = SnippetTransformer(StandardScaler()).fit(X)
    stacked = np.concatenate(X).astype(np.float32)
    mean, std = stacked.mean(axis=0), stacked.std(axis=0)
    np.testing.assert_allclose(st.transformer_.mean_, mean, rtol=1e-5)
    Xt = st.transform(X)
    assert [v.shape for v in Xt] == [v.shape for v in X]
    assert all(v.dtype == np.float32 for v in Xt)
    for v, vt in zip(X, Xt):
        np.testing.assert_allclose(vt, (v.astype(np.float32) - mean) / std, rtol=1e-4, atol=1e-5)


def test_pca_equals_the_per_video_transform_of_the_fitted_clone():
    X = _videos(1)
    pca = PCA(n_components=2, random_state=0)
    st = SnippetTransformer(pca).fit(X)
    assert not hasattr(pca, "components_")  # the given object is cloned, not fitted
    Xt = st.transform(X)
    for v, vt in zip(X, Xt):
        assert vt.shape == (len(v), 2)
        np.testing.assert_allclose(vt, st.transformer_.transform(v.astype(np.float32)),
                                   rtol=1e-5, atol=1e-5)
    # fit_transform is the same
    for a, b in zip(clone(st).fit_transform(X), Xt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_plain_sklearn_transformer_fails_on_ragged_videos_but_the_wrapper_does_not():
    X = _videos()
    with pytest.raises(ValueError):
        StandardScaler().fit(X)
    SnippetTransformer(StandardScaler()).fit(X)


def test_validation_names_the_video():
    X = _videos()
    X[2] = X[2].copy()
    X[2][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X\[2\]"):
        SnippetTransformer(StandardScaler()).fit(X)
    st = SnippetTransformer(StandardScaler()).fit(_videos())
    with pytest.raises(ValueError):
        st.transform([np.zeros((3, 5))])  # 5 features instead of 4
    with pytest.raises(TypeError, match="transformer"):
        SnippetTransformer("scale").fit(_videos())


def test_clone_and_params():
    st = SnippetTransformer(StandardScaler(with_std=False))
    st2 = clone(st).set_params(transformer__with_std=True)
    assert st.get_params()["transformer__with_std"] is False
    assert st2.transformer.with_std is True


def _tiny_data():
    from sktal.datasets import make_temporal_actions, simulate_clicks

    data = make_temporal_actions(n_videos=12, n_classes=3, n_features=8,
                                 length_range=(20, 40), random_state=0)
    # shift and scale the features: the scaler has something to undo
    X = [v * 10.0 + 5.0 for v in data.X]
    clicks = simulate_clicks(data.segments, data.lengths, kind="background", random_state=0)
    return data, X, clicks


TINY = dict(n_segments=16, hidden_size=8, batch_size=4, max_epochs=1, random_state=0,
            verbose=0)


def test_basnet_pipeline_fits_predicts_and_scores():
    from sktal import BaSNet

    data, X, _ = _tiny_data()
    pipe = make_pipeline(SnippetTransformer(StandardScaler()), BaSNet(**TINY))
    pipe.fit(X, data.y)
    # the localizer saw the scaled videos: same as fitting it on them by hand
    scaled = SnippetTransformer(StandardScaler()).fit_transform(X)
    manual = BaSNet(**TINY).fit(scaled, data.y)
    np.testing.assert_allclose(pipe.predict_proba(X), manual.predict_proba(scaled),
                               rtol=1e-5, atol=1e-6)
    assert len(pipe.predict(X)) == len(X)
    score = pipe.score(X, data.segments)
    assert 0.0 <= score <= 1.0
    clone(pipe).get_params()


def test_grid_search_routes_clicks_to_backtal_in_a_pipeline():
    from sktal import BackTAL

    data, X, clicks = _tiny_data()
    pipe = make_pipeline(SnippetTransformer(StandardScaler()), BackTAL(**TINY))
    search = GridSearchCV(
        pipe, {"snippettransformer__transformer": [StandardScaler(), PCA(n_components=4)]},
        cv=KFold(2), error_score="raise",
    )
    # annotated y: the localizer trains on the labels derived from it and the pipeline's
    # score uses it as ground truth; clicks follow the videos of each fold
    search.fit(X, data.segments, backtal__clicks=clicks)
    assert search.best_estimator_.steps[-1][1].n_features_in_ in (8, 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_metadata_routing_passes_clicks_through_the_pipeline():
    import sklearn

    from sktal import BackTAL

    data, X, clicks = _tiny_data()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(SnippetTransformer(StandardScaler()),
                             BackTAL(**TINY).set_fit_request(clicks=True))
        pipe.fit(X, data.y, clicks=clicks)
    ref = BackTAL(**TINY).fit(SnippetTransformer(StandardScaler()).fit_transform(X),
                              data.y, clicks=clicks)
    np.testing.assert_allclose(pipe.predict_proba(X), ref.predict_proba(
        SnippetTransformer(StandardScaler()).fit_transform(X)), rtol=1e-5, atol=1e-6)
