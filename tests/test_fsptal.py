"""FSPTAL: loss terms by hand, the module, the criterion and the estimator's promises."""
import math
import os

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sktal import FSPTAL
from sktal._resampling import source_positions
from sktal.datasets import load_dataset, make_temporal_actions, simulate_clicks
from sktal.localizers._fsptal import (
    FSPTALLoss,
    FSPTALModule,
    feature_separation_loss,
    focal_point_loss,
    score_contrast_loss,
    video_losses,
)
from sktal.localizers._fsptal_functional import extension_positions, mine_point_labels

N = -100
FAST = dict(n_segments=32, hidden_size=8, embedding_hidden_size=8, embedding_size=4,
            max_epochs=2, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def data():
    data = make_temporal_actions(n_videos=10, n_classes=3, n_features=16, random_state=1)
    data.clicks = simulate_clicks(data.segments, data.lengths, kind="action",
                                  action_distribution="gaussian", random_state=1)
    return data


# ------------------------------------------------------------------------ losses
def _video_losses(scores, labels, mask=None, **kw):
    """The video losses with the options the estimator gives them (overridable)."""
    est = FSPTAL(topk_ratio=2).set_params(**kw)
    return video_losses(scores, labels, mask, topk_ratio=est.topk_ratio,
                        foreground_confidence=est.foreground_confidence,
                        video_loss_reduction=est.video_loss_reduction,
                        video_loss=est.video_loss)


def test_video_losses_match_hand_computation():
    scores = torch.tensor([[[0.8, 0.2], [0.4, 0.6]]])  # T=2, one class + background
    # Eq. 2-3 as written: sum over the C + 1 channels; Q_f as FAC-Net,
    # Q_f[c] = sum s[c] (1-b) / sum s[c]: class (.64 + .16) / 1.2 = 2/3,
    # background (.2 * .8 + .6 * .4) / .8 = 1/2; Q_v = top-1 = [.8, .6]
    fore, back = _video_losses(scores, torch.tensor([[1.0]]), video_loss_reduction="sum")
    assert back.item() == pytest.approx(-(math.log(0.8) + math.log(0.6)), rel=1e-5)
    assert fore.item() == pytest.approx(-(math.log(2 / 3) + math.log(0.5)), rel=1e-5)
    fore, back = _video_losses(scores, torch.tensor([[0.0]]), video_loss_reduction="sum")
    # an absent class is pooled by top-k too (.8) and pushed to 0
    assert back.item() == pytest.approx(-(math.log(0.2) + math.log(0.6)), rel=1e-5)
    assert fore.item() == pytest.approx(-(math.log(1 / 3) + math.log(0.5)), rel=1e-5)


def test_video_losses_earlier_reading_is_mean_and_attention_pooling():
    scores = torch.tensor([[[0.8, 0.2], [0.4, 0.6]]])
    old = dict(foreground_confidence="attention", video_loss_reduction="mean")
    fore, back = _video_losses(scores, torch.tensor([[1.0]]), **old)
    # Q_f = sum (1-b) s / sum (1-b) = [2/3, 1/3] vs [1, 0], averaged over 2 channels
    assert back.item() == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-5)
    assert fore.item() == pytest.approx(-math.log(2 / 3), rel=1e-5)
    fore, back = _video_losses(scores, torch.tensor([[0.0]]), **old)
    assert back.item() == pytest.approx(-(math.log(0.2) + math.log(0.6)) / 2, rel=1e-5)
    assert fore.item() == pytest.approx(-(math.log(1 / 3) + math.log(2 / 3)) / 2, rel=1e-5)
    # the sum is exactly (C + 1) times the mean
    summed = _video_losses(scores, torch.tensor([[1.0]]), foreground_confidence="attention",
                           video_loss_reduction="sum")
    assert summed[1].item() == pytest.approx(-(math.log(0.8) + math.log(0.6)), rel=1e-5)


def test_default_video_loss_averages_over_channels_with_fac_pooling():
    scores = torch.tensor([[[0.8, 0.2], [0.4, 0.6]]])
    fore, back = _video_losses(scores, torch.tensor([[1.0]]))
    # the sums of the hand computation above, divided by the C + 1 = 2 channels
    assert back.item() == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-5)
    assert fore.item() == pytest.approx(-(math.log(2 / 3) + math.log(0.5)) / 2, rel=1e-5)


def test_video_losses_ignore_padding():
    scores = torch.tensor([[[0.8, 0.2], [0.4, 0.6], [0.99, 0.01]]])
    mask = torch.tensor([[True, True, False]])
    for confidence in ("fac", "attention"):
        padded = _video_losses(scores, torch.tensor([[1.0]]), mask,
                               foreground_confidence=confidence)
        plain = _video_losses(scores[:, :2], torch.tensor([[1.0]]),
                              foreground_confidence=confidence)
        for a, b in zip(padded, plain):
            assert a.item() == pytest.approx(b.item(), rel=1e-6)


def test_focal_point_loss_matches_hand_computation():
    p = torch.tensor([[[0.8, 0.3], [0.5, 0.5], [0.9, 0.9]],
                      [[0.1, 0.1], [0.1, 0.1], [0.1, 0.1]]])
    target = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]).repeat(2, 1, 1)
    points = torch.tensor([[True, True, False], [False, False, False]])
    first = 0.2 ** 2 * -math.log(0.8) + 0.3 ** 2 * -math.log(0.7)
    second = 2 * 0.5 ** 2 * -math.log(0.5)
    # per-video mean over points; the video without points is skipped
    assert focal_point_loss(p, target, points).item() == pytest.approx((first + second) / 2,
                                                                      rel=1e-5)
    p.requires_grad_(True)
    none = focal_point_loss(p, target, torch.zeros_like(points))
    none.backward()
    assert none.item() == 0.0 and p.grad is not None


def test_score_contrast_loss_matches_hand_computation():
    fused = torch.zeros(1, 8, 2)
    fused[0, :5, 0] = torch.tensor([0.1, 0.2, 0.9, 0.7, 0.3])
    fused[0, 6, 1] = 0.5
    action = torch.tensor([[N, N, 0, 0, N, N, 1, N]])
    # run [2, 3] (l 2): outer [1, 1] (left floor(1.5)) and nothing right (floor(3.5) = 3)
    # R = .8 - .2; class 1 is not a class of the video: ignored
    loss = score_contrast_loss(fused, action, torch.tensor([[1.0, 0.0]]), None,
                               contrast_outer_ratio=0.25)
    assert loss.item() == pytest.approx((1 - 0.6) ** 2, rel=1e-5)


def test_score_contrast_outer_range_stops_at_the_next_segment():
    q = torch.tensor([0.2, .8, .8, .8, .8, .8, .8, .8, .8, 0.1, 1.0, 0.3])
    action = torch.full((2, 12), N)
    action[0, 1:9] = 0
    action[0, 10] = 0
    # [1, 8]: outer {0, 9} (not 10, the next segment): .8 - .15 = .65
    # [10, 10]: outer {9} (left bounded by 8 + 1; right floor(10.25) = 10): 1 - .1 = .9
    fused = q.view(1, 12, 1).repeat(2, 1, 1)
    loss = score_contrast_loss(fused, action, torch.ones(2, 1), None,
                               contrast_outer_ratio=0.25)  # video 1: no segment
    assert loss.item() == pytest.approx((1 - (0.65 + 0.9) / 2) ** 2, rel=1e-5)
    assert score_contrast_loss(fused, torch.full((2, 12), N), torch.ones(2, 1), None,
                               contrast_outer_ratio=0.25).item() == 0


def test_feature_separation_loss_matches_hand_computation():
    e = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]]])
    action = torch.tensor([[True, False, True, False]])
    background = ~action
    loss = feature_separation_loss(e, action, background, similarity_same=0.9,
                                   similarity_diff=0.1)
    # bkg-bkg hardest .8 -> .1 each; act-act all 1 -> 0; act-bkg hardest .6 -> .5 each
    assert loss.item() == pytest.approx(0.1 + 0.0 + 0.5, rel=1e-5)
    assert feature_separation_loss(e, action, torch.zeros_like(action),
                                   similarity_same=0.9, similarity_diff=0.1).item() == 0


# ------------------------------------------------------------- module, criterion
def test_module_fuses_class_and_background_scores():
    torch.manual_seed(0)
    x = torch.randn(2, 7, 5)
    for separation in (True, False):
        module = FSPTAL(hidden_size=8, dropout=0.0, feature_separation=separation,
                        embedding_size=4, embedding_hidden_size=6)._build_module(5, 3).eval()
        assert isinstance(module, FSPTALModule)
        out = module(x)
        s = out["scores"]
        assert s.shape == (2, 7, 4) and bool(((s > 0) & (s < 1)).all())
        assert torch.allclose(out["fused"], s[..., :3] * (1 - s[..., 3:]))
        assert ("embedding" in out) == separation


def test_module_attention_follows_the_embedding():
    torch.manual_seed(0)
    module = FSPTAL(hidden_size=8, dropout=0.0, embedding_size=4,
                    embedding_hidden_size=6)._build_module(5, 2).eval()
    x = torch.randn(1, 6, 5)
    out = module(x)
    assert torch.allclose(out["embedding"].norm(dim=-1), torch.ones(1, 6), atol=1e-6)
    plain = module.classifier(torch.relu(module.conv(x)).transpose(1, 2)).transpose(1, 2)
    assert not torch.allclose(torch.sigmoid(plain), out["scores"])


def _criterion(**params):
    criterion = FSPTAL(**params)._build_criterion(2)
    assert isinstance(criterion, FSPTALLoss)
    return criterion


def test_inner_pieces_have_no_defaults_and_estimator_names():
    import inspect
    names = set(inspect.signature(FSPTAL).parameters)
    for cls in (FSPTALModule, FSPTALLoss):
        params = list(inspect.signature(cls).parameters.values())
        assert all(p.kind is p.KEYWORD_ONLY and p.default is p.empty for p in params)
        assert {p.name for p in params} - {"n_features", "n_classes"} <= names
    assert FSPTAL._loss_names == FSPTALLoss.term_names


def _criterion_inputs(seed=0):
    torch.manual_seed(seed)
    scores = torch.rand(2, 10, 3, requires_grad=True)
    fused = scores[..., :2] * (1 - scores[..., 2:])
    emb = torch.nn.functional.normalize(torch.randn(2, 10, 4), dim=-1)
    clicks = torch.full((2, 10), N)
    clicks[0, 3], clicks[1, 6], clicks[1, 1] = 0, 1, 2  # [1, 1] is a background click
    targets = {"labels": torch.tensor([[1.0, 0.0], [0.0, 1.0]]), "click_labels": clicks,
               "mask": torch.ones(2, 10, dtype=torch.bool), "index": torch.arange(2)}
    return {"scores": scores, "fused": fused, "embedding": emb}, targets


def test_criterion_total_is_the_weighted_sum_of_its_terms():
    outputs, targets = _criterion_inputs()
    terms = _criterion(lambda_video=0.5, lambda_point=2.0, lambda_score=3.0,
                       lambda_separation=0.25)(outputs, targets)
    assert set(terms) == {"loss", *FSPTAL._loss_names}
    expected = (0.5 * (terms["loss_fore"] + terms["loss_back"])
                + 2.0 * (terms["loss_point_action"] + terms["loss_point_background"])
                + 3.0 * terms["loss_score"] + 0.25 * terms["loss_separation"])
    assert terms["loss"].item() == pytest.approx(expected.item(), rel=1e-6)
    terms["loss"].backward()
    assert torch.isfinite(outputs["scores"].grad).all()


def test_criterion_without_mining_uses_only_the_clicks():
    outputs, targets = _criterion_inputs()
    targets["click_labels"][1, 1] = N  # drop the background click
    terms = _criterion(label_mining=False, fallback_mining=None)(outputs, targets)
    assert terms["loss_point_background"].item() == 0
    assert terms["loss_separation"].item() == 0  # no background point, one action each
    mined = _criterion(label_mining=True)(outputs, targets)
    assert mined["loss_point_background"].item() > 0  # forced background in every gap


def test_criterion_without_module_b_falls_back_to_lacps_seeds():
    from sktal.localizers._fsptal import focal_point_loss
    from sktal.localizers._fsptal_functional import lacp_seeds

    outputs, targets = _criterion_inputs()
    targets["click_labels"][1, 1] = N
    terms = _criterion(label_mining=False, fallback_mining="lacp")(outputs, targets)
    scores, fused = outputs["scores"], outputs["fused"]
    _, background = lacp_seeds(scores[..., -1].detach(), targets["click_labels"],
                               n_classes=2, mask=None)
    assert background.any()  # each edge gap gets background, as in LACP's code
    probabilities = torch.cat([fused, scores[..., -1:]], -1)
    target = torch.zeros_like(probabilities)
    target[..., -1] = 1
    expected = focal_point_loss(probabilities, target, background)
    assert terms["loss_point_background"].item() == pytest.approx(expected.item())


def test_criterion_lacp_fallback_point_loss_sees_clicks_grown_seeds_go_to_the_search():
    # LACP's Total_loss: focal action loss at the clicks only (select_seed's grown
    # action seeds feed the optimal-sequence search, not the point loss)
    from sktal.localizers._fsptal import focal_point_loss
    from sktal.localizers._fsptal_functional import lacp_seeds, search_pseudo_labels

    outputs, targets = _criterion_inputs()
    targets["click_labels"][1, 1] = N
    with torch.no_grad():  # b_t <= 0.1 beside video 0's click: LACP grows its seed
        outputs["scores"][0, 2:5, -1] = 0.05
    outputs["fused"] = outputs["scores"][..., :2] * (1 - outputs["scores"][..., 2:])
    scores, fused = outputs["scores"], outputs["fused"]
    seeds, background = lacp_seeds(scores[..., -1].detach(), targets["click_labels"],
                                   n_classes=2, mask=None)
    assert (seeds[0] == 0).sum() == 3  # the click and two grown seeds
    terms = _criterion(label_mining=False, fallback_mining="lacp",
                       lambda_completeness=1.0)(outputs, targets)
    clicks = targets["click_labels"]
    probabilities = torch.cat([fused, scores[..., -1:]], -1)
    target = torch.nn.functional.one_hot(clicks.clamp(min=0), 3).float()
    expected = focal_point_loss(probabilities, target, clicks >= 0)
    assert terms["loss_point_action"].item() == pytest.approx(expected.item())
    # by hand, video 0 has one point (t=3, class 0): -(1-p)^2 log p - sum q^2 log(1-q)
    p = probabilities[0, 3].detach()
    v0 = -((1 - p[0]) ** 2 * torch.log(p[0]) + p[1] ** 2 * torch.log(1 - p[1])
           + p[2] ** 2 * torch.log(1 - p[2]))
    p = probabilities[1, 6].detach()
    v1 = -(p[0] ** 2 * torch.log(1 - p[0]) + (1 - p[1]) ** 2 * torch.log(p[1])
           + p[2] ** 2 * torch.log(1 - p[2]))
    assert terms["loss_point_action"].item() == pytest.approx(((v0 + v1) / 2).item(),
                                                             rel=1e-5)
    from sktal.localizers._fsptal import completeness_loss
    dense, searched = search_pseudo_labels(fused.detach(), seeds, background,
                                           targets["labels"], None,
                                           contrast_outer_ratio=0.25)
    expected = completeness_loss(fused, dense, searched, None, contrast_outer_ratio=0.25)
    assert terms["loss_completeness"].item() == pytest.approx(expected.item())


def test_lacp_video_loss_hand_computation():
    # LACP: top-k mean (k = T // 2 here) for the video's class, mean over time for
    # the absent one, BCE averaged over the 2 classes; no background term
    scores = torch.tensor([[[0.9, 0.2, 0.5], [0.5, 0.4, 0.1], [0.1, 0.6, 0.3],
                            [0.7, 0.0, 0.2]]])
    fore, back = _video_losses(scores, torch.tensor([[1.0, 0.0]]), video_loss="lacp")
    present, absent = (0.9 + 0.7) / 2, (0.2 + 0.4 + 0.6 + 0.0) / 4
    expected = -(math.log(present) + math.log(1 - absent)) / 2
    assert fore.item() == 0 and back.item() == pytest.approx(expected, rel=1e-5)
    # a padded copy (mask) gives the same loss: padding enters neither mean
    padded = torch.cat([scores, torch.full((1, 4, 3), 0.99)], dim=1)
    mask = torch.tensor([[True] * 4 + [False] * 4])
    _, back = _video_losses(padded, torch.tensor([[1.0, 0.0]]), mask, video_loss="lacp")
    assert back.item() == pytest.approx(expected, rel=1e-5)


def test_point_action_weight_scales_the_action_point_term():
    outputs, targets = _criterion_inputs()
    terms = _criterion(point_action_weight=0.5, lambda_point=2.0)(outputs, targets)
    expected = (terms["loss_fore"] + terms["loss_back"]
                + 2.0 * (0.5 * terms["loss_point_action"] + terms["loss_point_background"])
                + terms["loss_score"] + terms["loss_separation"])
    assert terms["loss"].item() == pytest.approx(expected.item(), rel=1e-6)


def test_criterion_switched_off_terms_are_zero():
    outputs, targets = _criterion_inputs()
    del outputs["embedding"]
    terms = _criterion(lambda_score=0.0)(outputs, targets)
    assert terms["loss_score"].item() == 0 and terms["loss_separation"].item() == 0


# ---------------------------------------------------------------------- estimator
def test_fit_predict_and_history(data):
    est = FSPTAL(**FAST).fit(data.X, data.y, data.clicks)
    for name in ("train_loss", *FSPTAL._loss_names):
        assert np.isfinite(est.history_[-1, name])
    assert est.predict_proba(data.X[:3]).shape == (3, 3)
    assert [c.shape for c in est.predict_cas(data.X[:2])] == [(len(x), 3) for x in data.X[:2]]
    for det, x in zip(est.predict(data.X[:3]), data.X[:3]):
        assert det.shape[1] == 4 and np.all(np.diff(det[:, 3]) <= 0)
        assert np.all(det[:, 1] <= len(x) + 1e-9)


def test_fit_without_action_clicks_is_refused(data):
    with pytest.raises(ValueError, match="action clicks"):
        FSPTAL(**FAST).fit(data.X, data.y)
    background = simulate_clicks(data.segments, data.lengths, kind="background", random_state=0)
    with pytest.raises(ValueError, match="action clicks"):
        FSPTAL(**FAST).fit(data.X, data.y, background)


def test_click_of_a_class_absent_from_the_video_is_refused(data):
    clicks = [c.copy() for c in data.clicks]
    absent = int(np.flatnonzero(data.y[0] == 0)[0])
    clicks[0] = np.array([[0.0, absent]])
    with pytest.raises(ValueError, match=r"clicks\[0\].*not labelled with class"):
        FSPTAL(**FAST).fit(data.X, data.y, clicks)


def test_training_positions_follow_label_extension():
    clicks = np.array([[5.0, 1], [9.0, -1]])
    est = FSPTAL(n_segments=16)
    np.testing.assert_array_equal(est._training_positions(0, 20, clicks, None),
                                  extension_positions(20, 16, [5.0], point_weight=2.5,
                                                      neighbour_weight=1.67))
    est.set_params(label_extension=False)
    np.testing.assert_array_equal(est._training_positions(0, 20, clicks, None),
                                  source_positions(20, 16, "interpolate"))
    est.set_params(label_extension=True, resampling=None)
    assert est._training_positions(0, 20, clicks, None).shape == (20,)


@pytest.mark.parametrize("ablation", [
    dict(label_extension=False),  # A
    dict(label_mining=False),  # B
    dict(lambda_score=0.0),  # C
    dict(feature_separation=False),  # D
])
def test_table2_ablations_are_parameter_settings(data, ablation):
    est = FSPTAL(**{**FAST, "max_epochs": 1, **ablation}).fit(data.X, data.y, data.clicks)
    assert np.isfinite(est.history_[-1, "train_loss"])
    if "feature_separation" in ablation:
        assert est.history_[-1, "loss_separation"] == 0
        assert est.module_.embedding is None


@pytest.mark.parametrize("params", [dict(n_segments=None), dict(resampling="perturb"),
                                    dict(resampling="perturb", label_extension=False)])
def test_ragged_batches_and_other_resamplings(data, params):
    est = FSPTAL(**{**FAST, "max_epochs": 1, **params}).fit(data.X[:6], data.y[:6],
                                                             data.clicks[:6])
    assert np.isfinite(est.history_[-1, "train_loss"])
    assert [c.shape for c in est.predict_cas(data.X[:2])] == [(len(x), 3) for x in data.X[:2]]


def test_same_random_state_gives_identical_predictions_and_clone_keeps_params(data):
    est = FSPTAL(**FAST)
    a = est.fit(data.X, data.y, data.clicks).predict(data.X[:3])
    b = clone(est).fit(data.X, data.y, data.clicks).predict(data.X[:3])
    for da, db in zip(a, b):
        np.testing.assert_array_equal(da, db)
    assert clone(est).get_params() == est.get_params()


@pytest.mark.parametrize("param,value", [("point_weight", 0.0), ("background_threshold", 1.5),
                                         ("label_mining", "yes"), ("lambda_score", -1.0)])
def test_bad_parameters_are_rejected_at_fit(data, param, value):
    with pytest.raises((ValueError, TypeError), match=param):
        FSPTAL(**FAST).set_params(**{param: value}).fit(data.X, data.y, data.clicks)


def test_trains_on_real_thumos14_timelines_and_action_points(shared_data):
    folder = os.path.join(shared_data, "thumos14")
    real = load_dataset(os.path.join(folder, "gt_val.json"),
                        clicks=os.path.join(folder, "action_points.csv"))
    keep = [0, 1, 2, 3, 4, 5]
    segments = [real.segments[i] for i in keep]
    lengths = [int(real.lengths[i]) for i in keep]
    synth = make_temporal_actions(segments=segments, lengths=lengths,
                                  n_classes=len(real.class_names), n_features=8, random_state=0)
    clicks = [real.clicks[i] for i in keep]
    assert all(len(c) == len(s) for c, s in zip(clicks, segments))  # one point per instance
    est = FSPTAL(**{**FAST, "max_epochs": 1}).fit(synth.X, real.y[keep], clicks)
    assert np.isfinite(est.history_[-1, "train_loss"])
    assert 0.0 <= est.score(synth.X, segments=segments) <= 1.0


@pytest.mark.gpu
def test_fsptal_trains_and_predicts_on_cuda(data):
    est = FSPTAL(**{**FAST, "device": "cuda"}).fit(data.X, data.y, data.clicks)
    assert next(est.module_.parameters()).is_cuda
    assert est.predict_proba(data.X).shape == (len(data.X), 3)
    b = torch.rand(2, 9, device="cuda")
    q = torch.rand(2, 9, 3, device="cuda")
    points = torch.full((2, 9), N, device="cuda")
    points[0, 4] = 1
    kw = dict(background_threshold=0.85, action_threshold=0.25, mask=None)
    on_gpu = mine_point_labels(b, q, points, **kw)
    on_cpu = mine_point_labels(b.cpu(), q.cpu(), points.cpu(), **kw)
    for a, c in zip(on_gpu, on_cpu):
        assert torch.equal(a.cpu(), c)


def test_criterion_on_a_padded_batch_is_the_mean_of_its_videos():
    # native-length training (n_segments=None) pads a batch to its longest video: every
    # term must be the mean of the per-video terms, the padding read by none of them
    torch.manual_seed(3)
    lengths, n_classes = (10, 6), 2
    scores = torch.rand(2, 10, n_classes + 1)
    emb = torch.nn.functional.normalize(torch.randn(2, 10, 4), dim=-1)
    clicks = torch.full((2, 10), N)
    clicks[0, 2], clicks[0, 3], clicks[0, 7], clicks[1, 4] = 0, 0, 1, 1
    labels = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    mask = torch.arange(10)[None] < torch.tensor(lengths)[:, None]
    scores[1, 6:] = 0.99  # padding with values that would change every term

    def terms(v=None):
        sl = slice(None) if v is None else slice(v, v + 1)
        n = 10 if v is None else lengths[v]
        out = {"scores": scores[sl, :n], "embedding": emb[sl, :n]}
        out["fused"] = out["scores"][..., :-1] * (1 - out["scores"][..., -1:])
        tgt = {"labels": labels[sl], "click_labels": clicks[sl, :n], "mask": mask[sl, :n]}
        return _criterion(n_segments=None)(out, tgt)

    batch, singles = terms(), [terms(0), terms(1)]
    for name in FSPTALLoss.term_names:
        expected = [s[name].item() for s in singles]
        assert batch[name].item() == pytest.approx(sum(expected) / 2, rel=1e-5, abs=1e-6), name


def test_completeness_loss_matches_hand_computation():
    from sktal.localizers._fsptal import completeness_loss

    q = torch.tensor([[0.1, 0.8, 0.9, 0.2, 0.1, 0.0]])[..., None]
    dense = torch.tensor([[0, 1, 1, 0, 0, 0]], dtype=torch.bool)[..., None]
    # action [1, 2]: .85 - q[0] (outer [floor(1 - .5), 0]) -> 1 - .75 = .25;
    # background on 1 - q: [0]: .9, no outer -> .1; [3, 5]: .9 - (1 - q[2]) -> .2
    loss = completeness_loss(q, dense, torch.tensor([[True]]), None,
                             contrast_outer_ratio=0.25)
    assert loss.item() == pytest.approx((0.25 + (0.1 + 0.2) / 2) ** 2)
    # a second video without a searched class counts in the batch mean, as in LACP
    q2, dense2 = torch.cat([q, q]), torch.cat([dense, dense])
    loss = completeness_loss(q2, dense2, torch.tensor([[True], [False]]), None,
                             contrast_outer_ratio=0.25)
    assert loss.item() == pytest.approx(((0.25 + 0.15) / 2) ** 2)
    # padding ends the video: the last background run is [3, 4] on a length-5 video,
    # .85 minus its outer [floor(3 - .5), 2] = .1 -> 1 - .75
    mask = torch.tensor([[True] * 5 + [False]])
    loss = completeness_loss(q, dense, torch.tensor([[True]]), mask,
                             contrast_outer_ratio=0.25)
    assert loss.item() == pytest.approx((0.25 + (0.1 + 0.25) / 2) ** 2)


def test_criterion_completeness_term_uses_the_searched_labels():
    outputs, targets = _criterion_inputs()
    off = _criterion()(outputs, targets)
    assert off["loss_completeness"].item() == 0
    on = _criterion(lambda_completeness=2.0)(outputs, targets)
    assert on["loss_completeness"].item() > 0
    assert on["loss"].item() == pytest.approx(
        off["loss"].item() + 2.0 * on["loss_completeness"].item(), rel=1e-5)
    on["loss"].backward()
    assert torch.isfinite(outputs["scores"].grad).all()


def _plain_forward(module, x):
    """The FSPTALModule forward as written before its in-place layers: ``F.relu``,
    ``nn.Dropout`` on the time-last activations, the classifier as a convolution."""
    if module.embedding is not None:
        embedding = module.embedding(x)
        hidden = torch.relu(module.conv(x, embedding=embedding))
    else:
        hidden = torch.relu(module.conv(x))
    dropped = torch.nn.functional.dropout(hidden, module.dropout.p, module.training)
    return torch.sigmoid(module.classifier(dropped.transpose(1, 2)).transpose(1, 2))


def _scores_and_grads(module, forward, x, seed=1):
    torch.manual_seed(seed)
    scores = forward(module, x)
    weights = torch.linspace(-1, 1, scores.shape[1], dtype=scores.dtype)[:, None]
    grads = torch.autograd.grad((scores * weights).sum(), list(module.parameters()))
    return scores.detach(), grads, torch.rand(2)


@pytest.mark.parametrize("separation", [False, True])
def test_module_forward_equals_the_plain_layers(separation, monkeypatch):
    import sktal.localizers._fsptal as fsptal_module

    torch.manual_seed(0)
    module = FSPTAL(hidden_size=12, dropout=0.7, feature_separation=separation,
                    embedding_size=4, embedding_hidden_size=6)._build_module(5, 3).train()
    x = torch.randn(16, 9, 5)

    def new(m, x):
        return m(x)["scores"]

    # with the classifier a convolution again, the rest is a pure layout / in-place
    # change: the same draws, values and gradients, bit for bit. With the embedding
    # the in-place ReLU backward keeps the incoming gradient's memory layout (the
    # transposed classifier gradient's) where the out-of-place kernel writes a
    # time-last one, so the reductions over it (the conv bias's and the embedding's
    # gradients) sum in another order: equal up to float32 rounding there
    with monkeypatch.context() as patch:
        patch.setattr(fsptal_module, "pointwise_conv", lambda conv, h: conv(h))
        ours = _scores_and_grads(module, new, x)
    plain = _scores_and_grads(module, _plain_forward, x)
    assert torch.equal(ours[0], plain[0]) and torch.equal(ours[2], plain[2])
    for (name, _), got, expected in zip(module.named_parameters(), ours[1], plain[1]):
        if separation and name != "classifier.weight":
            torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)
        else:
            assert torch.equal(got, expected), name
    # the classifier as a matrix product sums in another order: equal up to rounding
    # (float64, so that the rounding is far below the tolerance)
    module = module.double()
    ours = _scores_and_grads(module, new, x.double())
    plain = _scores_and_grads(module, _plain_forward, x.double())
    torch.testing.assert_close(ours[0], plain[0], rtol=1e-12, atol=1e-12)
    for got, expected in zip(ours[1], plain[1]):
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    assert module.channels_first_input == (not separation)


def test_channels_first_training_rows_change_no_value(data, monkeypatch):
    """fit hands the module its rows as the transpose of a (B, D, T) tensor when it
    asks for them (``channels_first_input``): a pure layout change, so the fit is
    bitwise the one with time-last rows."""
    params = dict(FAST, feature_separation=False, label_extension=True)
    assert FSPTAL(**params)._build_module(16, 3).channels_first_input
    seen = []
    original = FSPTALModule.forward

    def spy(self, x, mask=None):
        seen.append(x.transpose(1, 2).is_contiguous())
        return original(self, x, mask)

    monkeypatch.setattr(FSPTALModule, "forward", spy)
    first = FSPTAL(**params).fit(data.X, data.y, data.clicks)
    n_first = len(seen)
    assert n_first and all(seen)
    monkeypatch.setattr(FSPTALModule, "channels_first_input", False)
    second = FSPTAL(**params).fit(data.X, data.y, data.clicks)
    assert len(seen) > n_first and not any(seen[n_first:])
    for name in ("train_loss", *FSPTAL._loss_names):
        assert first.history_[:, name] == second.history_[:, name]
    for a, b in zip(first.module_.state_dict().values(),
                    second.module_.state_dict().values()):
        assert torch.equal(a, b)
