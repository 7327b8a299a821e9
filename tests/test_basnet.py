"""BaSNet: loss terms by hand, training behaviour, and the estimator's promises."""
import math

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sktal import BaSNet
from sktal.datasets import make_temporal_actions
from sktal.metrics import TemporalMAPScorer, detection_map

FAST = dict(n_segments=32, hidden_size=16, max_epochs=2, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_temporal_actions(n_videos=12, n_classes=3, n_features=16, random_state=1)


def test_loss_terms_match_hand_computation():
    outputs = {
        "score_base": torch.tensor([[0.5, 0.25, 0.25]]),
        "score_supp": torch.tensor([[0.8, 0.1, 0.1]]),
        "weights": torch.tensor([[[0.5], [0.25], [1.0]]]),
    }
    targets = {"labels": torch.tensor([[1.0, 0.0]]), "mask": torch.ones(1, 3, dtype=bool)}
    terms = BaSNet(alpha_norm=0.1)._build_criterion(2)(outputs, targets)
    # base target [1, 0, 1] / 2 = [.5, 0, .5]
    base = -(0.5 * math.log(0.5) + 0.5 * math.log(0.5)  # class 0
             + math.log(0.75)  # class 1, target 0
             + 0.5 * math.log(0.25) + 0.5 * math.log(0.75)) / 3  # background
    # suppression target [1, 0, 0]
    supp = -(math.log(0.8) + math.log(0.9) + math.log(0.9)) / 3
    norm = 0.5 + 0.25 + 1.0
    assert terms["loss_base"].item() == pytest.approx(base, rel=1e-5)
    assert terms["loss_supp"].item() == pytest.approx(supp, rel=1e-5)
    assert terms["loss_norm"].item() == pytest.approx(norm, rel=1e-6)
    assert terms["loss"].item() == pytest.approx(base + supp + 0.1 * norm, rel=1e-5)


def test_loss_weights_switch_terms_off():
    outputs = {
        "score_base": torch.tensor([[0.5, 0.5]]),
        "score_supp": torch.tensor([[0.9, 0.1]]),
        "weights": torch.ones(1, 2, 1),
    }
    targets = {"labels": torch.tensor([[1.0]])}
    crit = BaSNet(lambda_base=0.0, lambda_supp=1.0, alpha_norm=0.0)._build_criterion(1)
    terms = crit(outputs, targets)
    assert terms["loss"].item() == pytest.approx(terms["loss_supp"].item())


def test_suppression_branch_sees_features_times_foreground_weights():
    torch.manual_seed(0)
    module = BaSNet(hidden_size=8, dropout=0.0, topk_ratio=2)._build_module(5, 2).eval()
    x = torch.randn(2, 6, 5)
    out = module(x)
    w = module.filter(x)
    assert torch.allclose(out["cas_base"], module.cas_module(x), atol=1e-6)
    assert torch.allclose(out["cas_supp"], module.cas_module(x * w), atol=1e-6)
    assert out["score_supp"].shape == (2, 3)
    assert torch.allclose(out["score_supp"].sum(-1), torch.ones(2))


def test_official_weight_decay_reaches_the_optimizer(data):
    # BaSNet-pytorch main.py: Adam(..., weight_decay=0.0005)
    assert BaSNet().get_params()["weight_decay"] == 5e-4
    est = BaSNet(**FAST).fit(data.X, data.y)
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(5e-4)


def test_inner_constructors_take_no_defaults():
    import inspect

    from sktal.localizers._basnet import BaSNetLoss, BaSNetModule

    for cls in (BaSNetModule, BaSNetLoss):
        params = list(inspect.signature(cls).parameters.values())
        assert params and all(p.kind is p.KEYWORD_ONLY for p in params)
        assert all(p.default is p.empty for p in params)
    assert BaSNet._loss_names == BaSNetLoss.term_names


def _split(data, n_train):
    return (data.X[:n_train], data.y[:n_train], data.X[n_train:], data.segments[n_train:])


def test_training_beats_the_untrained_network():
    # mild context confusion: a small network learns it within a few seconds
    data = make_temporal_actions(
        n_videos=60, context_scale=(1.0, 0.5), runup_prob=0.0, random_state=0
    )
    Xtr, ytr, Xte, segte = _split(data, 40)
    params = dict(n_segments=128, hidden_size=64, batch_size=8, lr=1e-3, random_state=0)
    untrained = BaSNet(max_epochs=0, **params).fit(Xtr, ytr)
    trained = BaSNet(max_epochs=30, **params).fit(Xtr, ytr)
    at_05 = [0.5]
    before = detection_map(segte, untrained.predict(Xte), at_05).mAP[0]
    after = detection_map(segte, trained.predict(Xte), at_05).mAP[0]
    assert after > before + 0.1, (before, after)
    assert trained.history_[-1, "train_loss"] < trained.history_[0, "train_loss"]


def test_loss_terms_are_recorded_in_history(data):
    est = BaSNet(**FAST).fit(data.X, data.y)
    assert len(est.history_) == 2
    for name in ("train_loss", "loss_base", "loss_supp", "loss_norm"):
        assert np.isfinite(est.history_[-1, name])


def test_grid_search_with_temporal_map_scorer_on_both_scoring_paths(data):
    import sklearn

    grid = {"alpha_norm": [1e-4, 1e-2]}
    est = BaSNet(**FAST)
    search = GridSearchCV(est, grid, scoring=TemporalMAPScorer(), cv=2, n_jobs=2)
    search.fit(data.X, data.segments)
    assert search.best_params_["alpha_norm"] in grid["alpha_norm"]
    assert 0.0 <= search.best_score_ <= 1.0

    with sklearn.config_context(enable_metadata_routing=True):
        scorer = TemporalMAPScorer().set_score_request(segments=True)
        routed = GridSearchCV(clone(est), grid, scoring=scorer, cv=2, n_jobs=2)
        routed.fit(data.X, data.y, segments=data.segments)
    assert routed.best_params_["alpha_norm"] in grid["alpha_norm"]
    # training only sees video labels, so both paths score the same
    np.testing.assert_allclose(
        routed.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )




class _Interrupt(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt






def test_video_shorter_than_topk_and_than_n_segments(data):
    X = [np.random.default_rng(i).normal(size=(n, 16)).astype(np.float32) for i, n in enumerate([1, 3, 40])]
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    for resampling in ("interpolate", "perturb", None):
        est = BaSNet(**{**FAST, "resampling": resampling}).fit(X, y)
        cas = est.predict_cas(X)
        assert [c.shape for c in cas] == [(1, 3), (3, 3), (40, 3)]
        for d, x in zip(est.predict(X), X):
            assert np.all(d[:, 1] <= len(x) + 1e-9)


def test_same_random_state_gives_identical_predictions(data):
    a = BaSNet(**FAST).fit(data.X, data.y).predict(data.X)
    b = BaSNet(**FAST).fit(data.X, data.y).predict(data.X)
    for da, db in zip(a, b):
        np.testing.assert_array_equal(da, db)




@pytest.mark.parametrize(
    "param,value,match",
    [
        ("lr", -1.0, "lr"),
        ("resampling", "nearest", "resampling"),
        ("n_segments", 0, "n_segments"),
        ("dropout", 1.0, "dropout"),
        ("inference_branch", "both", "inference_branch"),
        ("filter_kernel_size", 2, "filter_kernel_size"),
        ("tiou_thresholds", [0.5, 1.5], "tiou_thresholds"),
        ("batch_size", 2.5, "batch_size"),
    ],
)
def test_bad_parameters_are_rejected_at_fit(data, param, value, match):
    est = BaSNet(**FAST).set_params(**{param: value})
    with pytest.raises((ValueError, TypeError), match=match):
        est.fit(data.X, data.y)


def test_misspelt_parameter_is_rejected_at_once():
    with pytest.raises(TypeError):
        BaSNet(alpha_nrom=1.0)


def test_mismatched_lengths_name_both_fields(data):
    with pytest.raises(ValueError, match="y"):
        BaSNet(**FAST).fit(data.X, data.y[:-1])


def test_base_inference_branch_uses_base_cas(data):
    est = BaSNet(**FAST).fit(data.X, data.y)
    supp = est.predict_proba(data.X)
    est.set_params(inference_branch="base")
    assert not np.allclose(supp, est.predict_proba(data.X))


@pytest.mark.gpu
def test_basnet_trains_and_predicts_on_cuda(data):
    est = BaSNet(**{**FAST, "device": "cuda"}).fit(data.X, data.y)
    assert next(est.module_.parameters()).is_cuda
    cpu = BaSNet(**FAST).fit(data.X, data.y)
    assert est.predict_proba(data.X).shape == cpu.predict_proba(data.X).shape
