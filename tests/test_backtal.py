"""BackTAL: its loss terms on hand-made tensors, click handling, and the estimator."""
import math
import os
import pickle

import numpy as np
import pytest
import sklearn
import torch
import torch.nn.functional as F
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from skorch.callbacks import Callback

from sktal.datasets import load_clicks, load_dataset, make_temporal_actions, simulate_clicks
from sktal.localizers import BackTAL, BaSNet
from sktal.localizers._backtal import (
    BackTALLoss,
    BackTALModule,
    ChannelBlockAttentionConv1d,
    channel_block_masks,
    frame_click_loss,
    affinity_loss,
    score_separation_loss,
    topk_action_weights,
)
from sktal.metrics import TemporalMAPScorer, detection_map
from sktal.nn import AttentionConv1d

IGNORE = -100


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one thread is fastest, and the machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _softplus(x):
    return math.log1p(math.exp(x))


# ------------------------------------------------------------ score separation
def test_score_separation_matches_hand_computation():
    # 4 videos, T = 3, C = 2
    cas = torch.zeros(4, 3, 2)
    cas[0, :, 0] = torch.tensor([1.0, 0.0, 3.0])
    cas[1, :, 0] = torch.tensor([1.0, 5.0, 3.0])
    cas[1, :, 1] = torch.tensor([0.0, 0.0, -2.0])
    video_logits = torch.tensor([[2.0, 9.0], [2.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    background = torch.tensor([
        [False, True, False],   # p_bg(c0) = 0
        [True, False, True],    # p_bg = (1 + 3) / 2 = 2 and (0 - 2) / 2 = -1
        [False, False, False],  # no background click: skipped
        [True, True, True],     # no class: skipped
    ])
    # video 0: softplus(0 - 2); video 1: mean(softplus(2 - 2), softplus(-1 - 1))
    v0 = _softplus(-2.0)
    v1 = (_softplus(0.0) + _softplus(-2.0)) / 2
    got = score_separation_loss(video_logits, cas, labels, background)
    assert got.item() == pytest.approx((v0 + v1) / 2, rel=1e-6)


def test_score_separation_is_the_two_way_cross_entropy():
    p_act, p_bg = 0.3, 1.7
    cas = torch.tensor([[[p_bg]]])
    got = score_separation_loss(torch.tensor([[p_act]]), cas, torch.ones(1, 1),
                                torch.tensor([[True]]))
    expected = F.cross_entropy(torch.tensor([[p_act, p_bg]]), torch.tensor([0]))
    assert got.item() == pytest.approx(expected.item(), rel=1e-6)


def test_score_separation_without_background_clicks_is_a_differentiable_zero():
    cas = torch.randn(2, 4, 3, requires_grad=True)
    logits = cas.mean(1)
    got = score_separation_loss(logits, cas, torch.ones(2, 3), torch.zeros(2, 4, dtype=bool))
    assert got.item() == 0.0
    got.backward()
    assert torch.all(cas.grad == 0)


def test_score_separation_pushes_background_scores_down_and_action_scores_up():
    cas = torch.zeros(1, 2, 1, requires_grad=True)
    logits = torch.zeros(1, 1, requires_grad=True)
    score_separation_loss(logits, cas, torch.ones(1, 1), torch.tensor([[True, False]])).backward()
    assert cas.grad[0, 0, 0] > 0 and cas.grad[0, 1, 0] == 0  # only the clicked snippet
    assert logits.grad[0, 0] < 0


# -------------------------------------------------------- pseudo action snippets
def test_topk_action_weights_count_each_video_class_top_k():
    cas = torch.tensor([[[0.1, 0.8], [0.9, 0.7], [0.5, 0.1], [0.2, 0.0]]])
    # ratio 2: k = 2; class 0 -> {1, 2}, class 1 -> {0, 1}
    both = topk_action_weights(cas, torch.tensor([[1.0, 1.0]]), ratio=2)
    assert both.tolist() == [[1.0, 2.0, 1.0, 0.0]]
    first = topk_action_weights(cas, torch.tensor([[1.0, 0.0]]), ratio=2)
    assert first.tolist() == [[0.0, 1.0, 1.0, 0.0]]


def test_topk_action_weights_use_each_valid_length_and_ignore_padding():
    cas = torch.tensor([[[1.0], [2.0], [3.0], [4.0]], [[5.0], [1.0], [9.0], [9.0]]])
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    got = topk_action_weights(cas, torch.ones(2, 1), ratio=2, mask=mask)
    # video 0: k = 2 -> {2, 3}; video 1: T = 2, k = 1 -> {0} (padding never chosen)
    assert got.tolist() == [[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0]]


# ------------------------------------------------------------------- affinity
def _affinity_example():
    """Snippets 0, 1 pseudo-action; 2, 3 background-clicked; 2-d unit embeddings.

    Cosine similarities: s01 = 0, s02 = 1, s03 = 0.5, s12 = 0, s13 = √3/2, s23 = 0.5.
    """
    half = math.sqrt(3) / 2
    emb = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, half]]])
    background = torch.tensor([[False, False, True, True]])
    return emb, background, half


def test_affinity_loss_code_variant_matches_hand_computation():
    emb, background, half = _affinity_example()
    # A-A: row minima 0, 0 -> relu(0.5 - 0) = 0.5; B-B: minima 0.5, 0.5 -> 0;
    # A->B: row maxima 1, √3/2 -> (0.9 + (√3/2 - 0.1)) / 2; B->A: maxima 1, √3/2 -> same
    a_to_b = (0.9 + half - 0.1) / 2
    expected = 0.5 + 0.0 + a_to_b + a_to_b
    got = affinity_loss(emb, torch.tensor([[1.0, 1.0, 0.0, 0.0]]), background, 0.5, 0.1)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    # snippet 0 in the top-k of two classes counts twice in the means over A
    got = affinity_loss(emb, torch.tensor([[2.0, 1.0, 0.0, 0.0]]), background, 0.5, 0.1)
    expected = 0.5 + 0.0 + (2 * 0.9 + (half - 0.1)) / 3 + a_to_b
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_affinity_loss_paper_variant_uses_the_hardest_pair_of_each_kind():
    emb, background, _ = _affinity_example()
    # hardest A pair: s01 = 0 -> 0.5; hardest B pair: s23 = 0.5 -> 0;
    # most similar A-B pair: s02 = 1 -> 0.9
    got = affinity_loss(emb, torch.tensor([[1.0, 1.0, 0.0, 0.0]]), background, 0.5, 0.1,
                        variant="paper")
    assert got.item() == pytest.approx(1.4, rel=1e-6)


def test_affinity_loss_skips_videos_without_background_clicks():
    emb, background, _ = _affinity_example()
    weights = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    alone = affinity_loss(emb, weights, background)
    batch = affinity_loss(
        torch.cat([emb, emb.flip(1)]), torch.cat([weights, weights]),
        torch.cat([background, torch.zeros_like(background)]),
    )
    assert batch.item() == pytest.approx(alone.item(), rel=1e-6)
    none = affinity_loss(emb, weights, torch.zeros_like(background))
    assert none.item() == 0.0


def test_affinity_loss_is_zero_for_well_separated_embeddings():
    emb = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    background = torch.tensor([[False, False, True, True]])
    for variant in ("code", "paper"):
        got = affinity_loss(emb, torch.tensor([[1.0, 1.0, 0.0, 0.0]]), background,
                            variant=variant)
        assert got.item() == 0.0


def test_affinity_loss_rejects_unknown_variant():
    emb, background, _ = _affinity_example()
    with pytest.raises(ValueError, match="variant"):
        affinity_loss(emb, torch.ones(1, 4), background, variant="four")


# ---------------------------------------------------------- module and criterion
def test_module_outputs_and_the_affinity_switch():
    torch.manual_seed(0)
    x = torch.randn(2, 10, 6)
    with_aff = BackTAL(hidden_size=8, dropout=0.5, topk_ratio=2)._build_module(6, 3)
    out = with_aff(x)
    assert out["cas_base"].shape == out["cas_supp"].shape == (2, 10, 4)
    assert out["embedding"].shape == (2, 10, 32)
    assert with_aff.cas_module.attention
    # p_act is the top-k mean of the base CAS logits; the scores are its softmax
    assert torch.allclose(out["score_base"], torch.softmax(out["topk_base"], -1))
    plain = BackTAL(hidden_size=8, dropout=0.5, topk_ratio=2, affinity=False,
                    n_neighbors=5)._build_module(6, 3)
    out = plain(x)
    assert "embedding" not in out and not plain.cas_module.attention
    assert plain.cas_module.conv1.kernel_size == (5,)


def test_channel_block_attention_by_hand():
    # in = 3, K = 3: channel c (every tap) is weighted by similarity c, i.e.
    # y_t = sum_c s[t, c] sum_o W[:, c, o] x[t + o - 1, c] (zero padding)
    torch.manual_seed(0)
    conv = ChannelBlockAttentionConv1d(3, 2, 3)
    x = torch.randn(1, 4, 3)
    s = torch.rand(1, 4, 3)
    w = conv.weight.detach()
    expected = torch.zeros(1, 4, 2)
    for t in range(4):
        for c in range(3):
            for o in range(3):
                if 0 <= t + o - 1 < 4:
                    expected[0, t] += s[0, t, c] * w[:, c, o] * x[0, t + o - 1, c]
    assert torch.allclose(conv(x, similarity=s), expected, atol=1e-6)


def test_channel_block_attention_matches_the_unfolded_product():
    # the official formulation: unfold the input (rows c*K + o), multiply row r by
    # similarity min(r // D, K - 1), then by the flattened kernel; D = 7 is not a
    # multiple of K, so the blocks straddle channels
    torch.manual_seed(1)
    d, k, t_len = 7, 3, 6
    conv = ChannelBlockAttentionConv1d(d, 5, k)
    x, s = torch.randn(2, t_len, d), torch.rand(2, t_len, k)
    padded = F.pad(x.transpose(1, 2), (1, 1))  # (B, D, T + 2)
    unfolded = torch.stack([padded[:, :, o:o + t_len] for o in range(k)], 2)  # B,D,K,T
    unfolded = unfolded.reshape(2, d * k, t_len)  # row c*K + o
    block = (torch.arange(d * k) // d).clamp(max=k - 1)
    weighted = unfolded * s.permute(0, 2, 1)[:, block]
    expected = torch.einsum("or,brt->bto", conv.weight.detach().reshape(5, -1), weighted)
    assert torch.allclose(conv(x, similarity=s), expected, atol=1e-5)
    # with all similarities 1 both layouts are the plain convolution
    taps = AttentionConv1d(d, 5, k)
    taps.load_state_dict(conv.state_dict())
    ones = torch.ones(2, t_len, k)
    assert torch.allclose(conv(x, similarity=ones), taps(x, similarity=ones), atol=1e-5)
    assert not torch.allclose(conv(x, similarity=s), taps(x, similarity=s), atol=1e-3)
    assert channel_block_masks(d, k).sum(0).eq(1).all()  # each (c, o) in one block


def _masked_channel_block_conv(conv, x, s):
    # the formulation with K times the FLOPs: one convolution with K * out output
    # channels, block j's kernel zero outside its (channel, tap) pairs
    k, out = conv.kernel_size, conv.out_channels
    masks = channel_block_masks(conv.in_channels, k).to(conv.weight)
    weight = (masks.unsqueeze(1) * conv.weight.unsqueeze(0)).reshape(k * out, -1, k)
    per_block = F.conv1d(x.transpose(1, 2), weight, padding=k // 2)
    per_block = per_block.view(x.shape[0], k, out, x.shape[1])
    return (per_block * s.permute(0, 2, 1).unsqueeze(2)).sum(dim=1).transpose(1, 2)


@pytest.mark.parametrize("d, k, out, t_len", [
    (7, 3, 5, 6), (1, 3, 2, 5), (2, 3, 3, 4), (5, 5, 4, 9), (8, 1, 3, 4),
    (10, 7, 3, 12), (13, 3, 6, 2), (33, 5, 4, 11),
])
def test_channel_block_attention_equals_the_masked_convolution(d, k, out, t_len):
    # outputs and all three gradients (input, similarity, weight) of the per-block
    # convolutions equal the masked K*out-channel convolution, also where in_channels
    # is not a multiple of K (blocks split a channel by tap) or smaller than K
    torch.manual_seed(d * 100 + k)
    conv = ChannelBlockAttentionConv1d(d, out, k).double()
    x = torch.randn(2, t_len, d, dtype=torch.float64, requires_grad=True)
    s = torch.rand(2, t_len, k, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(2, t_len, out, dtype=torch.float64)
    got = conv(x, similarity=s)
    expected = _masked_channel_block_conv(conv, x, s)
    assert torch.allclose(got, expected, atol=1e-10)
    wrt = [x, s, conv.weight]
    grads = torch.autograd.grad((got * upstream).sum(), wrt)
    expected_grads = torch.autograd.grad((expected * upstream).sum(), wrt)
    for g, e in zip(grads, expected_grads):
        assert torch.allclose(g, e, atol=1e-10)


def test_channel_block_slices_partition_the_blocks():
    from sktal.localizers._backtal import _channel_block_slices
    for d, k in [(7, 3), (2, 3), (2048, 3), (9, 5)]:
        masks = channel_block_masks(d, k)
        rebuilt = torch.zeros_like(masks)
        for j, (lo, hi, taps) in enumerate(_channel_block_slices(d, k)):
            rebuilt[j, lo:hi] = 1.0 if taps is None else taps.float()
        assert torch.equal(rebuilt, masks)


def test_similarity_layout_parameter_picks_the_convolution():
    default = BackTAL(hidden_size=8)._build_module(6, 3)
    assert type(default.cas_module.conv1) is ChannelBlockAttentionConv1d
    assert type(default.cas_module.conv2) is ChannelBlockAttentionConv1d
    taps = BackTAL(hidden_size=8, similarity_layout="taps")._build_module(6, 3)
    assert type(taps.cas_module.conv1) is AttentionConv1d
    data = make_temporal_actions(n_videos=2, random_state=0)
    with pytest.raises(ValueError, match="similarity_layout"):
        BackTAL(similarity_layout="rows").fit(data.X, data.y)


def test_module_similarity_reaches_both_branches():
    torch.manual_seed(0)
    # the paper's layout: a similarity of 0 beyond the ends only meets zero padding
    # (the official layout also zeroes a channel block of the edge snippets)
    module = BackTAL(hidden_size=8, dropout=0.0, topk_ratio=2,
                     similarity_layout="taps")._build_module(6, 2).eval()
    x = torch.randn(1, 7, 6)
    # identical embeddings everywhere = plain convolutions without bias
    module.embedding.forward = lambda v, mask=None: F.normalize(torch.ones(v.shape[0], v.shape[1], 4), dim=-1)
    got = module(x)
    conv1, conv2 = module.cas_module.conv1, module.cas_module.conv2
    expected = []
    for inp in (x, x * module.filter(x)):
        h = F.leaky_relu(F.conv1d(inp.transpose(1, 2), conv1.weight, padding=1))
        h = F.leaky_relu(F.conv1d(h, conv2.weight, padding=1))
        expected.append(module.cas_module.classifier(h).transpose(1, 2))
    assert torch.allclose(got["cas_base"], expected[0], atol=1e-5)
    assert torch.allclose(got["cas_supp"], expected[1], atol=1e-5)


def _criterion_inputs():
    torch.manual_seed(0)
    module = BackTAL(hidden_size=8, dropout=0.0, topk_ratio=2)._build_module(6, 3)
    x = torch.randn(2, 10, 6)
    clicks = torch.full((2, 10), IGNORE)
    clicks[0, [0, 5]] = 3   # background clicks
    clicks[0, 8] = 0        # an action click of class 0
    clicks[1, 9] = 3
    targets = {
        "labels": torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]),
        "click_labels": clicks,
        "mask": torch.ones(2, 10, dtype=torch.bool),
    }
    return module(x), targets


def test_criterion_total_is_the_weighted_sum_of_its_terms():
    outputs, targets = _criterion_inputs()
    crit = BackTAL(frame_loss_weight=2.0, lambda_sep=0.5, beta_aff=0.8)._build_criterion(3)
    terms = crit(outputs, targets)
    expected = (terms["loss_base"] + terms["loss_supp"] + 1e-4 * terms["loss_norm"]
                + 2.0 * terms["loss_frame"] + 0.5 * terms["loss_sep"]
                + 0.8 * terms["loss_aff"])
    assert terms["loss"].item() == pytest.approx(expected.item(), rel=1e-6)
    # the frame term is the cross-entropy of the base CAS at all clicked snippets
    cas = outputs["cas_base"]
    picked = torch.stack([cas[0, 0], cas[0, 5], cas[0, 8], cas[1, 9]])
    frame = F.cross_entropy(picked, torch.tensor([3, 3, 0, 3]))
    assert terms["loss_frame"].item() == pytest.approx(frame.item(), rel=1e-6)
    assert terms["loss_sep"] > 0 and terms["loss_aff"] > 0


def test_criterion_video_loss_is_cross_entropy_by_default():
    outputs, targets = _criterion_inputs()
    terms = BackTAL()._build_criterion(3)(outputs, targets)
    # video 0: labels [1, 0, 0] + background -> [.5, 0, 0, .5]
    p = outputs["score_base"][0]
    v0 = -(0.5 * torch.log(p[0]) + 0.5 * torch.log(p[3]))
    p = outputs["score_base"][1]
    v1 = -(torch.log(p[1]) + torch.log(p[2]) + torch.log(p[3])) / 3
    assert terms["loss_base"].item() == pytest.approx(((v0 + v1) / 2).item(), rel=1e-5)


def test_switched_off_terms_are_zero_and_missing_from_the_total():
    outputs, targets = _criterion_inputs()
    crit = BackTAL(frame_loss_weight=0, lambda_sep=0, beta_aff=0)._build_criterion(3)
    terms = crit(outputs, targets)
    assert set(terms) == {"loss", "loss_base", "loss_supp", "loss_norm", "loss_frame",
                          "loss_sep", "loss_aff"}
    assert terms["loss_frame"] == terms["loss_sep"] == terms["loss_aff"] == 0
    base = terms["loss_base"] + terms["loss_supp"] + 1e-4 * terms["loss_norm"]
    assert terms["loss"].item() == pytest.approx(base.item(), rel=1e-6)
    # without the affinity module there is no embedding, hence no L_aff
    outputs.pop("embedding")
    assert BackTAL()._build_criterion(3)(outputs, targets)["loss_aff"] == 0


# ------------------------------------------------------------------- estimator
TINY = dict(n_segments=16, hidden_size=8, max_epochs=1, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def tiny():
    data = make_temporal_actions(n_videos=12, n_classes=3, n_features=8,
                                 length_range=(20, 40), random_state=0)
    data.clicks = simulate_clicks(data.segments, data.lengths, kind="background",
                                  random_state=0)
    return data


class _RecordTargets(Callback):
    """Keeps the click labels of every training batch, by video index."""

    def initialize(self):
        self.click_labels = {}
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        _, targets = batch
        for i, row in zip(targets["index"].tolist(), targets["click_labels"]):
            self.click_labels[i] = row.numpy().copy()


def test_background_clicks_follow_resampling_into_the_loss():
    rng = np.random.default_rng(0)
    # n_segments = 12: video 0 is 3x longer (36 snippets), video 1 3x shorter (4)
    X = [rng.standard_normal((36, 4)).astype(np.float32),
         rng.standard_normal((4, 4)).astype(np.float32)]
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    clicks = [np.array([[7.0, -1.0], [30.0, 0.0]]), np.array([[1.0, -1.0]])]
    recorder = _RecordTargets()
    est = BackTAL(n_segments=12, hidden_size=4, max_epochs=1, random_state=0,
                  callbacks=[recorder]).fit(X, y, clicks=clicks)
    rec = dict(est.net_.callbacks_)["user_0"]
    # 36 -> 12: step j reads position 3j + 1; snippet 7 -> step 2, snippet 30 -> 10
    expected0 = np.full(12, IGNORE)
    expected0[2], expected0[10] = 2, 0  # background = class index C = 2
    # 4 -> 12: positions (j + 0.5) / 3 - 0.5 round to 0 0 0 1 1 1 2 2 2 3 3 3
    expected1 = np.full(12, IGNORE)
    expected1[3:6] = 2
    np.testing.assert_array_equal(rec.click_labels[0], expected0)
    np.testing.assert_array_equal(rec.click_labels[1], expected1)
    history = est.history_
    assert history[-1, "loss_frame"] > 0 and history[-1, "loss_sep"] > 0
    assert history[-1, "loss_aff"] > 0


def test_fit_predict_shapes_and_loss_history(tiny):
    est = BackTAL(**TINY).fit(tiny.X, tiny.y, clicks=tiny.clicks)
    assert est.module_.embedding is not None
    for name in BackTAL._loss_names:
        assert name in est.history_[-1]
    detections = est.predict(tiny.X[:3])
    assert len(detections) == 3 and all(d.shape[1] == 4 for d in detections)
    cas = est.predict_cas(tiny.X[:2])
    assert cas[0].shape == (len(tiny.X[0]), 3)
    assert all(c.min() >= 0 and c.max() <= 1 for c in cas)
    assert est.predict_proba(tiny.X).shape == (12, 3)


def test_fit_without_background_clicks_explains_how_to_simulate_them(tiny):
    for clicks in (None, [np.zeros((0, 2))] * 12):
        with pytest.raises(ValueError, match="simulate_clicks"):
            BackTAL(**TINY).fit(tiny.X, tiny.y, clicks=clicks)


def test_videos_without_clicks_and_clickless_ablations_are_allowed(tiny):
    clicks = [c if i % 2 else np.zeros((0, 2)) for i, c in enumerate(tiny.clicks)]
    BackTAL(**TINY).fit(tiny.X, tiny.y, clicks=clicks)
    # the BaS-Net baseline of Table 7 needs no clicks at all
    baseline = BackTAL(frame_loss_weight=0, lambda_sep=0, affinity=False, **TINY)
    baseline.fit(tiny.X, tiny.y)
    assert baseline.history_[-1, "loss_frame"] == 0
    # Table 6, baseline + action click: action clicks only
    action = simulate_clicks(tiny.segments, tiny.lengths, kind="action", random_state=0)
    BackTAL(lambda_sep=0, affinity=False, **TINY).fit(tiny.X, tiny.y, clicks=action)
    with pytest.raises(ValueError, match="background"):
        BackTAL(**TINY).fit(tiny.X, tiny.y, clicks=action)


def test_click_of_a_class_absent_from_the_video_is_rejected_by_fit(tiny):
    clicks = [c.copy() for c in tiny.clicks]
    absent = int(np.flatnonzero(tiny.y[4] == 0)[0])
    clicks[4] = np.vstack([clicks[4], [[1.0, absent]]])
    with pytest.raises(ValueError, match=r"clicks\[4\].*not labelled"):
        BackTAL(**TINY).fit(tiny.X, tiny.y, clicks=clicks)
    clicks[4][-1, 1] = -2
    with pytest.raises(ValueError, match=r"clicks\[4\].*neither -1"):
        BackTAL(**TINY).fit(tiny.X, tiny.y, clicks=clicks)


@pytest.mark.parametrize("params, match", [
    (dict(lambda_sep=-1), "lambda_sep"),
    (dict(n_neighbors=4), "odd"),
    (dict(affinity_loss="three"), "affinity_loss"),
    (dict(video_loss="mse"), "video_loss"),
    (dict(tau_same=2), "tau_same"),
])
def test_invalid_parameters_raise_at_fit(tiny, params, match):
    with pytest.raises(ValueError, match=match):
        BackTAL(**{**TINY, **params}).fit(tiny.X, tiny.y, clicks=tiny.clicks)


def test_ablation_switches_change_the_network_and_losses(tiny):
    plain = BackTAL(affinity=False, lambda_sep=0, **TINY).fit(tiny.X, tiny.y, clicks=tiny.clicks)
    assert plain.module_.embedding is None and not plain.module_.cas_module.attention
    assert plain.history_[-1, "loss_sep"] == 0 and plain.history_[-1, "loss_aff"] == 0
    paper = BackTAL(affinity_loss="paper", n_neighbors=5, **TINY)
    paper.fit(tiny.X, tiny.y, clicks=tiny.clicks)
    assert paper.module_.cas_module.conv1.kernel_size == 5


def test_clone_get_params_and_pickle(tiny):
    est = BackTAL(lambda_sep=0.5, beta_aff=0.3, **TINY)
    params = est.get_params()
    assert params["lambda_sep"] == 0.5 and params["resampling"] == "interpolate"
    assert clone(est).get_params() == params
    est.fit(tiny.X, tiny.y, clicks=tiny.clicks)
    restored = pickle.loads(pickle.dumps(est))
    for a, b in zip(est.predict_cas(tiny.X[:2]), restored.predict_cas(tiny.X[:2])):
        np.testing.assert_allclose(a, b, atol=1e-6)
    defaults = BackTAL().get_params()
    assert (defaults["weight_decay"], defaults["nms_threshold"], defaults["max_epochs"],
            defaults["n_segments"], defaults["hidden_size"]) == (5e-4, 0.55, 40, 750, 2048)


def test_grid_search_over_lambda_sep_and_beta_aff_annotated_y(tiny):
    grid = {"lambda_sep": [0.0, 1.0], "beta_aff": [0.0, 0.8]}
    search = GridSearchCV(BackTAL(**TINY), grid, scoring=TemporalMAPScorer(),
                          cv=KFold(2))
    search.fit(tiny.X, tiny.segments, clicks=tiny.clicks)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.lambda_sep in (0.0, 1.0)


def test_grid_search_with_weak_y_and_routed_segments(tiny):
    with sklearn.config_context(enable_metadata_routing=True):
        est = BackTAL(**TINY).set_fit_request(clicks=True)
        scorer = TemporalMAPScorer().set_score_request(segments=True)
        search = GridSearchCV(est, {"lambda_sep": [0.0, 1.0], "beta_aff": [0.8]},
                              scoring=scorer, cv=KFold(2))
        search.fit(tiny.X, tiny.y, clicks=tiny.clicks, segments=tiny.segments)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_trains_on_thumos14_timelines_with_each_annotators_background_clicks(shared_data):
    folder = os.path.join(shared_data, "thumos14")
    thumos = load_dataset(os.path.join(folder, "gt_val.json"))
    videos = np.argsort(thumos.lengths)[:6]  # a handful of the shortest videos
    segments = [thumos.segments[i] for i in videos]
    data = make_temporal_actions(segments=segments, lengths=thumos.lengths[videos],
                                 n_classes=len(thumos.class_names), n_features=8,
                                 random_state=0)
    np.testing.assert_array_equal(data.y, thumos.y[videos])
    for annotator in (1, 2, 3):
        path = os.path.join(folder, f"THUMOS14_Background-Click-Annotation_A{annotator}.txt")
        clicks = load_clicks(path, thumos)
        assert len(clicks) == 200 and sum(len(c) for c in clicks) > 2000
        assert all(np.all(c[:, 1] == -1) for c in clicks)
        picked = [clicks[i] for i in videos]
        est = BackTAL(n_segments=32, hidden_size=8, max_epochs=1, batch_size=3,
                      random_state=0).fit(data.X, data.y, clicks=picked)
        assert est.history_[-1, "loss_sep"] > 0
        assert len(est.predict(data.X[:2])) == 2


def _click_kinds_vs_basnet(seed):
    """avg mAP@0.1:0.7 of BaS-Net, BackTAL (background clicks), BackTAL (both kinds).

    Same budget, one synthetic dataset with strong action-context confusion (the
    generator's defaults) and simulated clicks; the official no-class rule
    (``class_fallback=None``) for all three.
    """
    data = make_temporal_actions(n_videos=90, n_classes=5, n_features=64,
                                 length_range=(40, 120), random_state=seed)
    train, test = slice(0, 60), slice(60, None)
    budget = dict(n_segments=48, hidden_size=32, max_epochs=20, lr=1e-3, batch_size=8,
                  random_state=seed)
    scores = {}
    for name, est, kind in [("basnet", BaSNet(**budget), None),
                            ("background", BackTAL(**budget), "background"),
                            ("both", BackTAL(**budget), "both")]:
        clicks = None if kind is None else simulate_clicks(
            data.segments[train], data.lengths[train], kind=kind, random_state=seed)
        est.fit(data.X[train], data.y[train], clicks=clicks)
        result = detection_map(data.segments[test], est.predict(data.X[test]),
                               n_classes=5)
        scores[name] = result.mAP.mean()
    return scores


def test_click_kinds_order_as_in_the_paper():
    # the paper's ordering: both click kinds >= background only > BaS-Net.
    # Measured over seeds 0-4 (x100): BaS-Net 14.4 12.7 15.3 18.1 28.0, background
    # 21.7 25.5 26.4 17.9 34.5, both 31.5 27.4 31.1 36.0 39.4
    s = _click_kinds_vs_basnet(seed=0)
    assert s["both"] >= s["background"] > s["basnet"] + 0.03


@pytest.mark.slow
def test_click_kinds_order_over_three_seeds():
    runs = [_click_kinds_vs_basnet(seed) for seed in (1, 2, 3)]
    assert all(r["both"] >= r["background"] for r in runs)
    assert np.mean([r["background"] - r["basnet"] for r in runs]) > 0.03
    assert min(r["both"] - r["basnet"] for r in runs) > 0.05


# ------------------------------------------------------- fidelity to the official code
def test_frame_loss_averages_all_clicks_or_each_kind():
    # one video, 4 steps, C = 2 (column 2 = background); logits chosen by hand
    cas = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0],
                         [1.0, 1.0, 1.0]]])
    targets = torch.zeros(1, 4, 3)
    targets[0, 0, 2] = 1.0          # background click
    targets[0, 2, 2] = 1.0          # background click
    targets[0, 1, 0] = 1.0          # action click, class 0
    log_p = F.log_softmax(cas[0], dim=-1)
    bg = [-log_p[0, 2].item(), -log_p[2, 2].item()]
    act = [-log_p[1, 0].item()]
    got_all = frame_click_loss(cas, targets, frame_loss_average="all")
    assert got_all.item() == pytest.approx(sum(bg + act) / 3, rel=1e-6)
    got_kind = frame_click_loss(cas, targets, frame_loss_average="per_kind")
    assert got_kind.item() == pytest.approx(sum(bg) / 2 + act[0], rel=1e-6)
    # multi-hot: a step clicked as class 0 and class 1 has target 1/2, 1/2
    targets = torch.zeros(1, 4, 3)
    targets[0, 3, 0] = targets[0, 3, 1] = 1.0
    got = frame_click_loss(cas, targets, frame_loss_average="all")
    log_p3 = F.log_softmax(cas[0, 3], dim=-1)
    assert got.item() == pytest.approx(-(0.5 * log_p3[0] + 0.5 * log_p3[1]).item(), rel=1e-6)
    with pytest.raises(ValueError, match="frame_loss_average"):
        frame_click_loss(cas, targets, frame_loss_average="mean")


def test_criterion_uses_the_estimators_frame_loss_average():
    outputs, targets = _criterion_inputs()
    cas = outputs["cas_base"]
    log_p = F.log_softmax(cas, dim=-1)
    bg = -torch.stack([log_p[0, 0, 3], log_p[0, 5, 3], log_p[1, 9, 3]]).mean()
    act = -log_p[0, 8, 0]
    crit = BackTAL(frame_loss_average="per_kind")._build_criterion(3)
    assert crit(outputs, targets)["loss_frame"].item() == pytest.approx((bg + act).item(),
                                                                         rel=1e-6)


def test_click_targets_are_multi_hot_where_clicks_share_a_step():
    from sktal._resampling import map_click_labels, map_click_targets
    from sktal.nn import collate_videos

    positions = np.array([0.0, 2.0, 4.0, 6.0])     # 8 snippets read at 4 steps
    clicks = np.array([[2.2, 0], [2.7, 1], [6.0, -1], [5.0, 1]])
    got = map_click_targets(clicks, positions, 2)
    expected = np.zeros((4, 3), np.float32)
    expected[1, 0] = expected[1, 1] = 1.0          # both classes on snippet 2
    expected[3, 2] = 1.0                           # background on snippet 6
    expected[2, 1] = 1.0                           # snippet 5: no step reads it, nearest 4
    np.testing.assert_array_equal(got, expected)
    # the single-label map keeps the later click only
    assert map_click_labels(clicks, positions, 2)[1] == 1
    item = {"x": np.zeros((4, 1), np.float32), "labels": np.ones(2, np.float32),
            "click_labels": map_click_labels(clicks, positions, 2),
            "click_targets": got, "index": 0}
    short = dict(item, x=np.zeros((2, 1), np.float32), click_targets=got[:2],
                 click_labels=item["click_labels"][:2], index=1)
    _, targets = collate_videos([item, short])
    assert targets["click_targets"].shape == (2, 4, 3)
    assert targets["click_targets"][1, 2:].sum() == 0      # padding is zero
    np.testing.assert_array_equal(targets["click_targets"][0].numpy(), expected)


def test_feature_magnitude_proposals_follow_the_official_thumos_code():
    torch.manual_seed(0)
    est = BackTAL(hidden_size=8, dropout=0.0, topk_ratio=2)
    module = est._build_module(6, 3).eval()
    x = torch.randn(1, 9, 6)
    out = module(x)
    # feature1 of the suppression branch: LeakyReLU(first attention conv(x * w))
    emb = module.embedding(x)
    sim = module.cas_module.conv1.neighbour_similarity(emb)
    h1 = F.leaky_relu(module.cas_module.conv1(x * module.filter(x), similarity=sim))
    magnitude = h1.norm(dim=-1)[0]
    assert torch.allclose(out["magnitude"][0], magnitude, atol=1e-5)
    # minmax_norm_feature: relu'd extremes, then clipped to [0, 1]
    low, high = max(magnitude.min().item(), 0), max(magnitude.max().item(), 0)
    expected = ((magnitude - low) / (high - low)).clamp(0, 1)
    got = est._localization_scores(out)["agnostic"][0]
    assert torch.allclose(got, expected, atol=1e-6)
    thresholds = est._postprocess_params()["agnostic_thresholds"]
    np.testing.assert_allclose(thresholds, [0.3, 0.375, 0.45, 0.525, 0.6, 0.675, 0.75])
    off = BackTAL(feature_proposals=False)
    assert "agnostic" not in off._localization_scores(out)
    assert "agnostic_thresholds" not in off._postprocess_params()


def test_plain_convolutions_have_no_bias_as_in_the_official_code():
    # BackTAL's BaseModule convs are bias=False; BaSNet-pytorch's CAS convs have one
    plain = BackTAL(hidden_size=8, affinity=False)._build_module(6, 3)
    assert plain.cas_module.conv1.bias is None and plain.cas_module.conv2.bias is None
    basnet = BaSNet(hidden_size=8)._build_module(6, 3)
    assert basnet.cas_module.conv1.bias is not None


def test_inner_constructors_take_no_defaults():
    import inspect

    for cls in (BackTALModule, BackTALLoss):
        params = list(inspect.signature(cls).parameters.values())
        assert params and all(p.kind is p.KEYWORD_ONLY for p in params)
        assert all(p.default is p.empty for p in params)
    assert BackTAL._loss_names == BackTALLoss.term_names
