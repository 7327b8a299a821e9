"""TEN + BGES: gradients of the background strategies, chunk sampling, loss terms,
the network and a tiny end-to-end fit."""
import math

import numpy as np
import pytest
import torch

from sktal.localizers._ten import TEN, TENLoss, TENModule
from sktal.localizers._ten_functional import (
    BACKGROUND_STRATEGIES,
    attention_consistency_loss,
    attention_pool,
    background_loss,
    background_pool,
    chunk_sample,
    chunk_sample_indices,
    foreground_loss,
    foreground_pool,
    gaussian_smooth,
    resolved_foreground_normalizer,
    snippet_background_loss,
    snippet_kl_loss,
    snippet_scores,
    video_log_probabilities,
)

LN2 = math.log(2.0)


# ------------------------------------------------------------ BGES gradients
def _background_gradients(strategy, mask=None, score_pooling="logits"):
    """L_bg on a tiny float64 input.

    Returns the pooled snippet scores s_t (logits, or their softmax), A, the pooled
    background scores z, g = dL_bg/dz and dL_bg/dA.
    """
    gen = torch.Generator().manual_seed(0)
    cas = torch.randn(2, 5, 4, generator=gen, dtype=torch.float64)
    attention = torch.sigmoid(torch.randn(2, 5, generator=gen, dtype=torch.float64))
    attention.requires_grad_(True)
    scores = snippet_scores(cas, score_pooling=score_pooling)
    z = background_pool(scores, attention, mask, background_strategy=strategy)
    z.retain_grad()
    background_loss(video_log_probabilities(z, score_pooling=score_pooling)).backward()
    return scores, attention.detach(), z.detach(), z.grad, attention.grad


def _g_dot(g, vectors):
    """g . v_t for every snippet: (B, C+1) x (B, T, C+1) -> (B, T)."""
    return (g.unsqueeze(1) * vectors).sum(-1)


@pytest.mark.parametrize("pooling", ["logits", "probabilities"])
def test_plain_background_gradient_depends_on_the_difference_to_the_video_score(pooling):
    cas, a, z, g, grad = _background_gradients("none", score_pooling=pooling)
    expected = -_g_dot(g, cas - z.unsqueeze(1)) / (1 - a).sum(1, keepdim=True)
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("pooling", ["logits", "probabilities"])
def test_bges_gradient_is_the_snippet_score_over_the_length(pooling):
    cas, a, z, g, grad = _background_gradients("bges", score_pooling=pooling)
    expected = -_g_dot(g, cas) / cas.shape[1]
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=0)
    # the forward pass changed too: the normaliser is T instead of sum(1 - A)
    plain = ((1 - a).unsqueeze(-1) * cas).sum(1) / cas.shape[1]
    torch.testing.assert_close(z, plain, atol=1e-12, rtol=0)


@pytest.mark.parametrize("pooling", ["logits", "probabilities"])
def test_bges_normaliser_is_each_videos_valid_length_under_a_mask(pooling):
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    cas, a, z, g, grad = _background_gradients("bges", mask, pooling)
    lengths = mask.sum(1, keepdim=True).double()
    expected = -_g_dot(g, cas) / lengths * mask
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("pooling", ["logits", "probabilities"])
def test_grl_gradient_is_the_negative_of_the_plain_one(pooling):
    *_, grad_none = _background_gradients("none", score_pooling=pooling)
    cas, a, z, g, grad = _background_gradients("grl", score_pooling=pooling)
    torch.testing.assert_close(grad, -grad_none, atol=1e-6, rtol=0)
    expected = _g_dot(g, cas - z.unsqueeze(1)) / (1 - a).sum(1, keepdim=True)
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("pooling", ["logits", "probabilities"])
def test_exact_bges_keeps_the_forward_and_drops_the_video_score_from_the_gradient(pooling):
    _, _, z_none, g_none, _ = _background_gradients("none", score_pooling=pooling)
    cas, a, z, g, grad = _background_gradients("bges_exact", score_pooling=pooling)
    torch.testing.assert_close(z, z_none, atol=1e-12, rtol=0)
    torch.testing.assert_close(g, g_none, atol=1e-12, rtol=0)
    expected = -_g_dot(g, cas) / (1 - a).sum(1, keepdim=True)
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("strategy", ["bges", "bges_exact"])
def test_bges_on_probabilities_pushes_every_snippet_towards_background(strategy):
    # the paper's reading of Eq. 12: with positive scores s_t, every dL_bg/dA_t > 0,
    # so gradient descent lowers every attention; the plain loss pushes both ways
    *_, grad = _background_gradients(strategy, score_pooling="probabilities")
    assert torch.all(grad > 0)
    *_, grad_none = _background_gradients("none", score_pooling="probabilities")
    assert torch.any(grad_none > 0) and torch.any(grad_none < 0)


def test_with_pooled_probabilities_bges_is_exactly_the_gradient_swap():
    # L_bg = -log(sum (1-A) q_C / T): T only adds log T, so the normaliser-T loss and
    # the exact backward give the same gradients to A and to the scores
    grads, losses = [], []
    for strategy in ("bges", "bges_exact"):
        gen = torch.Generator().manual_seed(2)
        cas = torch.randn(2, 6, 3, generator=gen, dtype=torch.float64, requires_grad=True)
        att = torch.rand(2, 6, generator=gen, dtype=torch.float64, requires_grad=True)
        z = background_pool(snippet_scores(cas, score_pooling="probabilities"), att, None,
                            background_strategy=strategy)
        loss = background_loss(video_log_probabilities(z, score_pooling="probabilities"))
        loss.backward()
        grads.append((cas.grad, att.grad))
        losses.append(loss.item())
    torch.testing.assert_close(grads[0][0], grads[1][0], atol=1e-12, rtol=0)
    torch.testing.assert_close(grads[0][1], grads[1][1], atol=1e-12, rtol=0)
    # the forward values differ by a term without gradient: mean log(T / sum(1-A))
    offset = torch.log(6 / (1 - att.detach()).sum(1)).mean().item()
    assert losses[0] - losses[1] == pytest.approx(offset, rel=1e-9)


def test_exact_bges_equals_a_detached_normaliser_including_the_cas_gradient():
    gen = torch.Generator().manual_seed(1)
    cas = torch.randn(2, 6, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    att = torch.rand(2, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    w = torch.randn(2, 3, generator=gen, dtype=torch.float64)
    (background_pool(cas, att, mask, background_strategy="bges_exact") * w).sum().backward()
    got = cas.grad.clone(), att.grad.clone()
    cas.grad, att.grad = None, None
    weights = (1 - att) * mask
    ref = (weights.unsqueeze(-1) * cas).sum(1) / weights.sum(1, keepdim=True).detach()
    (ref * w).sum().backward()
    torch.testing.assert_close(got[0], cas.grad, atol=1e-12, rtol=0)
    torch.testing.assert_close(got[1], att.grad, atol=1e-12, rtol=0)


def test_bvl_strategies_pool_like_their_base_strategy():
    cas = torch.randn(1, 4, 3)
    att = torch.rand(1, 4)
    def pool(strategy):
        return background_pool(cas, att, None, background_strategy=strategy)

    assert torch.equal(pool("bvl"), pool("none"))
    assert torch.equal(pool("bvl+bges"), pool("bges"))
    assert torch.equal(pool("bges_shrink"), pool("bges"))
    with pytest.raises(ValueError, match="background_strategy"):
        pool("gan")


# ------------------------------------------------------------ chunk sampling
def test_chunk_sampling_keeps_the_length_and_reads_one_snippet_per_chunk():
    g = torch.Generator().manual_seed(0)
    idx = chunk_sample_indices(10, interval=4, batch_size=3, generator=g)
    assert idx.shape == (3, 10)
    for start in range(0, 10, 4):
        chunk = idx[:, start : start + 4]
        assert torch.all(chunk == chunk[:, :1])  # one source snippet per chunk
        assert torch.all((chunk >= start) & (chunk < min(start + 4, 10)))


def test_chunk_sampling_is_deterministic_under_a_seed():
    a = chunk_sample_indices(40, interval=4, batch_size=2, generator=torch.Generator().manual_seed(3))
    b = chunk_sample_indices(40, interval=4, batch_size=2, generator=torch.Generator().manual_seed(3))
    c = chunk_sample_indices(40, interval=4, batch_size=2, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    torch.manual_seed(5)
    d = chunk_sample_indices(40, interval=4, batch_size=2)
    torch.manual_seed(5)
    assert torch.equal(d, chunk_sample_indices(40, interval=4, batch_size=2))


def test_chunk_sampling_reaches_every_snippet_of_a_chunk():
    g = torch.Generator().manual_seed(0)
    idx = chunk_sample_indices(4, interval=4, batch_size=200, generator=g)
    assert set(idx[:, 0].tolist()) == {0, 1, 2, 3}


def test_chunk_sampling_stays_inside_each_videos_valid_length():
    g = torch.Generator().manual_seed(0)
    lengths = torch.tensor([10, 6, 1])
    idx = chunk_sample_indices(10, interval=4, lengths=lengths, generator=g)
    for row, n in zip(idx, lengths.tolist()):
        assert torch.all(row < n)
    assert torch.all(idx[1, 4:6] >= 4)  # last partial chunk draws from {4, 5}


def test_chunk_sample_gathers_the_rows_and_interval_one_is_identity():
    x = torch.arange(2 * 9 * 3, dtype=torch.float32).view(2, 9, 3)
    g = torch.Generator().manual_seed(0)
    x_tcb, idx = chunk_sample(x, interval=3, generator=g)
    assert x_tcb.shape == x.shape
    for b in range(2):
        assert torch.equal(x_tcb[b], x[b, idx[b]])
    same, idx1 = chunk_sample(x, interval=1, generator=g)
    assert torch.equal(same, x) and torch.equal(idx1[0], torch.arange(9))


# ------------------------------------------------------------ loss terms
def test_attention_pool_is_the_weighted_mean():
    cas = torch.tensor([[[1.0, 0.0], [5.0, 4.0], [100.0, 100.0]]])
    weights = torch.tensor([[1.0, 3.0, 7.0]])
    mask = torch.tensor([[True, True, False]])
    got = attention_pool(cas, weights, mask, normalizer=None)
    assert torch.allclose(got, torch.tensor([[4.0, 3.0]]))
    got = attention_pool(cas, weights, mask, normalizer=torch.tensor([8.0]))
    assert torch.allclose(got, torch.tensor([[2.0, 1.5]]))


def test_foreground_loss_uses_normalised_labels_without_background():
    log_p = torch.log(torch.tensor([[0.5, 0.25, 0.25]] * 3))
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    # -log .5 ; -(.5 log .5 + .5 log .25) ; 0 (no label)
    expected = (LN2 + 1.5 * LN2 + 0.0) / 3
    assert foreground_loss(log_p, labels).item() == pytest.approx(expected, rel=1e-6)


def test_background_loss_is_minus_log_of_the_background_probability():
    log_p = torch.log(torch.tensor([[0.25, 0.25, 0.5], [0.125, 0.125, 0.75]]))
    expected = (LN2 + math.log(4 / 3)) / 2
    assert background_loss(log_p).item() == pytest.approx(expected, rel=1e-6)


def test_video_probabilities_from_pooled_logits_or_pooled_probabilities():
    logits = torch.log(torch.tensor([[2.0, 1.0, 1.0]]))
    expected = torch.log(torch.tensor([[0.5, 0.25, 0.25]]))
    assert torch.allclose(video_log_probabilities(logits, score_pooling="logits"), expected)
    probabilities = torch.tensor([[0.5, 0.25, 0.25]])
    assert torch.allclose(video_log_probabilities(probabilities, score_pooling="probabilities"), expected)
    cas = torch.log(torch.tensor([[[3.0, 1.0]]]))
    assert torch.equal(snippet_scores(cas, score_pooling="logits"), cas)
    assert torch.allclose(snippet_scores(cas, score_pooling="probabilities"), torch.tensor([[[0.75, 0.25]]]))


def test_snippet_background_loss_classifies_every_valid_snippet_as_background():
    cas = torch.log(torch.tensor([[[1.0, 1.0], [1.0, 3.0], [9.0, 1.0]]]))
    assert snippet_background_loss(cas[:, :2]).item() == pytest.approx(
        (LN2 + math.log(4 / 3)) / 2, rel=1e-6
    )
    mask = torch.tensor([[True, False, False]])
    assert snippet_background_loss(cas, mask).item() == pytest.approx(LN2, rel=1e-6)


def test_gaussian_smooth_renormalises_at_the_ends():
    values = torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64)
    out = gaussian_smooth(values, smoothing_sigma=1.0)
    w1, w2 = math.exp(-0.5), math.exp(-2.0)
    assert out[0, 1].item() == pytest.approx(1 / (1 + 2 * w1))
    assert out[0, 0].item() == pytest.approx(w1 / (1 + w1 + w2))
    const = torch.full((2, 7), 0.3, dtype=torch.float64)
    mask = torch.tensor([[True] * 7, [True] * 3 + [False] * 4])
    assert torch.allclose(gaussian_smooth(const, mask, smoothing_sigma=2.0)[mask], const[mask])
    assert torch.equal(gaussian_smooth(values, smoothing_sigma=0.0), values)


def test_attention_consistency_loss_is_the_mean_absolute_difference():
    a = torch.tensor([[0.2, 0.8]])
    b = torch.tensor([[0.5, 0.5]])
    assert attention_consistency_loss(a, b, smoothing_sigma=0).item() == pytest.approx(0.3)
    # smoothing a constant changes nothing
    c, d = torch.full((1, 6), 0.9), torch.full((1, 6), 0.4)
    assert attention_consistency_loss(c, d, smoothing_sigma=1.0).item() == pytest.approx(0.5)
    mask = torch.tensor([[True, False]])
    assert attention_consistency_loss(a, b, mask, smoothing_sigma=0).item() == pytest.approx(0.3)


def test_snippet_kl_loss_matches_hand_computation():
    cas = torch.zeros(1, 1, 2)  # p = (.5, .5)
    cas_tcb = torch.log(torch.tensor([[[3.0, 1.0]]]))  # q = (.75, .25)
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert snippet_kl_loss(cas, cas_tcb).item() == pytest.approx(expected, rel=1e-6)
    assert snippet_kl_loss(cas_tcb, cas_tcb).item() == pytest.approx(0.0, abs=1e-7)


# ------------------------------------------------------------ network and criterion
def test_module_runs_the_continuity_branch_only_in_training():
    torch.manual_seed(0)
    module = TEN(hidden_size=4, dropout=0.0, interval=2, n_rgb_features=3)._build_module(8, 2)
    x = torch.randn(2, 7, 8)
    out = module(x)
    assert out["cas"].shape == (2, 7, 3) and out["attention"].shape == (2, 7)
    assert out["cas_tcb"].shape == (2, 7, 3) and out["video_log_probabilities"].shape == (2, 3)
    module.eval()
    assert "cas_tcb" not in module(x)
    module.train()
    module.tcb = False
    assert "cas_tcb" not in module(x)


def test_module_splits_the_streams_and_fuses_with_the_rgb_weight():
    torch.manual_seed(0)
    module = TEN(hidden_size=4, dropout=0.0, rgb_weight=1.0, n_rgb_features=3)
    module = module._build_module(8, 2).eval()
    x = torch.randn(1, 6, 8)
    y = x.clone()
    y[..., 3:] = torch.randn(1, 6, 5)  # other flow features
    assert torch.allclose(module(x)["cas"], module(y)["cas"])
    module.rgb_weight = 0.5
    cas_rgb, att_rgb = module.rgb(x[..., :3])
    cas_flow, att_flow = module.flow(x[..., 3:])
    out = module(x)
    assert torch.allclose(out["cas"], (cas_rgb + cas_flow) / 2)
    assert torch.allclose(out["attention"], (att_rgb + att_flow) / 2)


def test_criterion_returns_every_term_and_zeros_what_is_switched_off():
    torch.manual_seed(0)
    module = TEN(hidden_size=4, dropout=0.0)._build_module(4, 2)
    x = torch.randn(2, 8, 4)
    targets = {"labels": torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
               "mask": torch.ones(2, 8, dtype=torch.bool)}
    names = {"loss", *TEN._loss_names}
    terms = TEN(background_strategy="bges")._build_criterion(2)(module(x), targets)
    assert set(terms) == names
    assert terms["loss_bvl"].item() == 0 and terms["loss_att"].item() > 0
    criterion = TEN(background_strategy="bvl", alpha_bg=0.0, lambda_bvl=0.5)._build_criterion(2)
    terms = criterion(module.eval()(x), targets)
    assert terms["loss_kl"].item() == 0 and terms["loss_bvl"].item() > 0
    assert terms["loss"].item() == pytest.approx(
        terms["loss_fg"].item() + 0.5 * terms["loss_bvl"].item(), rel=1e-6
    )


# ------------------------------------------------------------ estimator
@pytest.fixture(scope="module")
def tiny():
    from sktal.datasets import make_temporal_actions

    return make_temporal_actions(n_videos=6, n_classes=2, n_features=8,
                                 length_range=(20, 40), random_state=0)


def _tiny_ten(**params):
    defaults = dict(n_segments=16, hidden_size=8, max_epochs=2, batch_size=3,
                    random_state=0)
    defaults.update(params)
    return TEN(**defaults)


def test_fit_predict_end_to_end(tiny):
    est = _tiny_ten().fit(tiny.X, tiny.y)
    detections = est.predict(tiny.X[:2])
    assert len(detections) == 2 and all(d.shape[1] == 4 for d in detections)
    proba = est.predict_proba(tiny.X)
    assert proba.shape == (6, 2) and np.all((proba >= 0) & (proba <= 1))
    cas = est.predict_cas(tiny.X[:1])
    assert cas[0].shape == (len(tiny.X[0]), 2)
    assert np.all((cas[0] >= 0) & (cas[0] <= 1))
    again = _tiny_ten().fit(tiny.X, tiny.y).predict_proba(tiny.X)
    np.testing.assert_allclose(again, proba)  # same random_state, same model


@pytest.mark.parametrize("strategy", BACKGROUND_STRATEGIES)
def test_every_background_strategy_trains_without_nan(tiny, strategy):
    est = _tiny_ten(background_strategy=strategy, resampling=None).fit(tiny.X, tiny.y)
    for name in ("train_loss", *TEN._loss_names):
        assert np.all(np.isfinite(est.history_[:, name])), name
    if strategy.startswith("bvl"):
        assert est.history_[-1, "loss_bvl"] > 0


def test_base_branch_ablation_has_no_continuity_losses(tiny):
    est = _tiny_ten(tcb=False, max_epochs=1).fit(tiny.X, tiny.y)
    assert est.history_[-1, "loss_att"] == 0 and est.history_[-1, "loss_kl"] == 0


def test_learning_rate_drops_after_half_of_the_epochs(tiny):
    est = _tiny_ten(max_epochs=4, lr=1e-3, lr_decay=0.1).fit(tiny.X, tiny.y)
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(1e-3)


def _batch_learning_rates(est):
    """The learning rate of every training batch, in order (skorch's ``event_lr``)."""
    return [b["event_lr"] for epoch in est.history_ for b in epoch["batches"]]


def test_learning_rate_drops_after_lr_decay_step_optimizer_steps(tiny):
    # 6 videos in batches of 3: 2 steps per epoch, 6 in 3 epochs; the epoch rule
    # (max_epochs // 2 = 1) would decay after step 2, this one after step 3
    est = _tiny_ten(max_epochs=3, lr=1e-3, lr_decay=0.1, lr_decay_step=3)
    lrs = _batch_learning_rates(est.fit(tiny.X, tiny.y))
    assert lrs == pytest.approx([1e-3] * 3 + [1e-4] * 3)
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-4)
    # the same steps whatever max_epochs: a fit that ends first never decays
    short = _tiny_ten(max_epochs=1, lr=1e-3, lr_decay_step=3).fit(tiny.X, tiny.y)
    assert _batch_learning_rates(short) == pytest.approx([1e-3] * 2)
    assert short.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3)


def test_lr_decay_step_at_half_of_the_steps_is_the_epoch_rule(tiny):
    # 2 steps an epoch, 4 epochs: the epoch rule decays after epoch 2 = step 4
    by_epoch = _tiny_ten(max_epochs=4, resampling=None, lr=1e-3).fit(tiny.X, tiny.y)
    by_step = _tiny_ten(max_epochs=4, resampling=None, lr=1e-3, lr_decay_step=4)
    by_step.fit(tiny.X, tiny.y)
    assert _batch_learning_rates(by_step) == pytest.approx([1e-3] * 4 + [1e-4] * 4)
    lrs = [by_epoch.history_[e, "event_lr"] for e in range(4)]
    assert lrs == pytest.approx([1e-3] * 2 + [1e-4] * 2)
    np.testing.assert_allclose(by_step.predict_proba(tiny.X),
                               by_epoch.predict_proba(tiny.X), rtol=0, atol=1e-6)


def test_lr_decay_step_counts_the_steps_of_a_warm_start(tiny):
    est = _tiny_ten(max_epochs=1, lr=1e-3, lr_decay_step=3, warm_start=True)
    est.fit(tiny.X, tiny.y)             # steps 1-2
    est.set_params(max_epochs=2).fit(tiny.X, tiny.y)   # steps 3-6
    assert _batch_learning_rates(est) == pytest.approx([1e-3] * 3 + [1e-4] * 3)


def test_lr_decay_step_is_a_parameter_and_is_validated(tiny):
    from sklearn.base import clone

    assert TEN().get_params()["lr_decay_step"] is None   # the paper's epoch rule
    assert clone(TEN(lr_decay_step=7)).get_params()["lr_decay_step"] == 7
    for bad in (0, -2):
        with pytest.raises(ValueError, match="lr_decay_step"):
            _tiny_ten(lr_decay_step=bad).fit(tiny.X, tiny.y)
    with pytest.raises(TypeError, match="lr_decay_step"):
        _tiny_ten(lr_decay_step=2.5).fit(tiny.X, tiny.y)


def test_invalid_parameters_are_rejected_with_clear_messages(tiny):
    with pytest.raises(ValueError, match="n_rgb_features"):
        _tiny_ten(n_rgb_features=8).fit(tiny.X, tiny.y)
    with pytest.raises(ValueError, match="background_strategy"):
        _tiny_ten(background_strategy="gan").fit(tiny.X, tiny.y)
    with pytest.raises(ValueError, match="localization_thresholds"):
        _tiny_ten(localization_thresholds=[0.5, 2.0]).fit(tiny.X, tiny.y)


def test_parameters_follow_the_paper_and_skip_top_k():
    params = TEN().get_params()
    assert "topk_ratio" not in params and "topk_ratio" not in TEN.__doc__
    assert (params["alpha_bg"], params["lambda_att"], params["lambda_kl"]) == (0.1, 0.5, 0.1)
    assert (params["interval"], params["lr"], params["weight_decay"]) == (4, 1e-3, 1e-3)
    assert (params["class_threshold"], params["nms_threshold"]) == (0.1, 0.5)


# ------------------------------------------------------------ foreground normaliser
def _foreground_gradient(normalizer, score_pooling="logits"):
    gen = torch.Generator().manual_seed(3)
    cas = torch.randn(2, 5, 3, generator=gen, dtype=torch.float64)
    attention = torch.sigmoid(torch.randn(2, 5, generator=gen, dtype=torch.float64))
    attention.requires_grad_(True)
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    scores = snippet_scores(cas, score_pooling=score_pooling)
    z = foreground_pool(scores, attention, foreground_normalizer=normalizer,
                        background_strategy="none")
    log_p = video_log_probabilities(z, score_pooling=score_pooling)
    foreground_loss(log_p, labels).backward()
    return cas, attention.detach(), log_p.detach().exp(), labels, attention.grad


def test_foreground_pooling_by_length_matches_the_hand_gradient():
    # z = sum_t A_t S_t / T, p = softmax(z): dL_fg/dA_t = -(y' - p) . S_t / T / B
    cas, a, p, labels, grad = _foreground_gradient("length")
    target = torch.cat([labels / labels.sum(1, keepdim=True), torch.zeros(2, 1)], 1)
    expected = -_g_dot(target - p, cas) / cas.shape[1] / cas.shape[0]
    torch.testing.assert_close(grad, expected, atol=1e-10, rtol=0)


def test_only_the_length_normaliser_lets_the_foreground_loss_resist_a_uniform_shrink():
    # d/da L_fg(a A) at a = 1 is sum_t A_t dL/dA_t: 0 when N_fg = sum A (scale
    # invariant, nothing opposes BGES' uniform push), not 0 when N_fg = T
    for pooling in ("logits", "probabilities"):
        _, a, _, _, grad = _foreground_gradient("attention", pooling)
        assert abs((a * grad).sum().item()) < 1e-10
        _, a, _, _, grad = _foreground_gradient("length", pooling)
        assert abs((a * grad).sum().item()) > 1e-3


def test_auto_foreground_normaliser_is_the_length_under_bges_only():
    x = torch.randn(1, 6, 4)
    for strategy, expected in [("bges", "length"), ("bges_exact", "length"),
                               ("bvl+bges", "length"), ("none", "attention"),
                               ("grl", "attention"), ("bvl", "attention"),
                               ("bges_shrink", "attention")]:
        assert resolved_foreground_normalizer(
            foreground_normalizer="auto", background_strategy=strategy) == expected
        module = TEN(background_strategy=strategy, hidden_size=4, dropout=0.0,
                     score_pooling="logits")
        module = module._build_module(4, 2).eval()
        out = module(x)
        scale = 6 if expected == "length" else out["attention"].sum().item()
        z = (out["attention"][..., None] * out["cas"]).sum(1) / scale
        torch.testing.assert_close(out["video_log_probabilities"], torch.log_softmax(z, -1))
    with pytest.raises(ValueError, match="foreground_normalizer"):
        resolved_foreground_normalizer(foreground_normalizer="x", background_strategy="bges")


def test_inner_pieces_take_keyword_only_arguments_without_defaults():
    import inspect

    for cls in (TENModule, TENLoss):
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        assert params and all(p.kind is p.KEYWORD_ONLY for p in params), cls
        assert all(p.default is p.empty for p in params), cls
        est_params = TEN().get_params()
        assert {p.name for p in params} - set(est_params) <= {"n_flow_features"}, cls
    assert TEN._loss_names == TENLoss.term_names


def test_doctests_of_the_ten_modules_run():
    import doctest

    from sktal.localizers import _ten, _ten_functional

    for module in (_ten, _ten_functional):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_paper_tables_are_valid_parameter_settings():
    for table in TEN._paper_tables.values():
        for label, params, published in table["rows"]:
            assert set(params) <= set(TEN().get_params()), label
            assert params["background_strategy"] in BACKGROUND_STRATEGIES
            assert published is None or 0 < published < 100
    rows = TEN._paper_tables["Table 3"]["rows"]
    assert [r[2] for r in rows] == [31.2, 34.5, 34.7, 37.8]


def _attention_contrast(est, data):
    module = est.net_.module_.eval()
    inside, outside = [], []
    with torch.no_grad():
        for x, segs in zip(data.X, data.segments):
            att = module(torch.as_tensor(x, dtype=torch.float32)[None])["attention"][0]
            centre = np.arange(len(x)) + 0.5
            gt = np.zeros(len(x), bool)
            for start, end, _ in np.asarray(segs).reshape(-1, 3):
                gt |= (centre >= start) & (centre <= end)
            inside.append(att.numpy()[gt])
            outside.append(att.numpy()[~gt])
    return np.concatenate(inside).mean(), np.concatenate(outside).mean()


def test_bges_does_not_collapse_the_attention_on_a_small_fit():
    # measured (attention inside / outside GT): BL .83/.73, BGES .96/.89,
    # the first reconstruction ('bges_shrink') .34/.33: the uniform shrink
    from sktal.datasets import make_temporal_actions

    data = make_temporal_actions(n_videos=24, n_classes=3, n_features=16,
                                 random_state=0)
    common = dict(tcb=False, n_segments=48, hidden_size=16, dropout=0.2, max_epochs=25,
                  batch_size=8, random_state=0, lr_decay=1.0, lr=3e-3)

    def contrast(strategy):
        est = TEN(background_strategy=strategy, **common).fit(data.X, data.y)
        return _attention_contrast(est, data)

    (bl_in, bl_out), (in_, out), (shrunk, _) = map(contrast, ("none", "bges", "bges_shrink"))
    assert in_ - out > (bl_in - bl_out) - 0.05
    assert in_ > bl_in - 0.15  # no uniform collapse of A
    assert shrunk < bl_in - 0.3  # the collapse this guards against
