"""Shared torch pieces: pooling, layers and loss terms on tiny hand-made tensors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sktal.nn import (
    AttentionConv1d,
    CASModule,
    EmbeddingModule,
    FilterModule,
    click_cross_entropy,
    embedding_separation_loss,
    foreground_norm_loss,
    masked_mean,
    minmax_normalize,
    topk_mean,
    video_bce_loss,
    video_ce_loss,
    video_targets,
)


def test_topk_mean_takes_the_k_largest_per_channel():
    scores = torch.tensor([[[1.0, 0.0], [4.0, 2.0], [2.0, 8.0], [3.0, 1.0]]])
    # k = 4 // 2 = 2: channel 0 -> (4 + 3) / 2, channel 1 -> (8 + 2) / 2
    assert torch.allclose(topk_mean(scores, ratio=2), torch.tensor([[3.5, 5.0]]))


def test_topk_mean_of_a_video_shorter_than_ratio_uses_one_snippet():
    scores = torch.tensor([[[1.0], [5.0], [2.0]]])
    assert topk_mean(scores, ratio=8).item() == 5.0


def test_topk_mean_with_mask_ignores_padding_and_uses_each_valid_length():
    scores = torch.tensor([[[1.0], [2.0], [3.0], [4.0]], [[9.0], [1.0], [100.0], [100.0]]])
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    # video 0: k = 2 -> (4 + 3) / 2; video 1: T = 2, k = 1 -> 9 (padding ignored)
    assert torch.allclose(topk_mean(scores, 2, mask), torch.tensor([[3.5], [9.0]]))


def test_masked_mean_counts_valid_steps_only():
    values = torch.tensor([[1.0, 3.0, 100.0]])
    mask = torch.tensor([[True, True, False]])
    assert masked_mean(values, mask).item() == 2.0


def test_minmax_normalize_clips_extremes_at_zero_like_the_reference():
    scores = torch.tensor([[[-1.0, 2.0, 0.0], [1.0, 4.0, 0.0], [3.0, 6.0, 0.0]]])
    got = minmax_normalize(scores)
    # channel 0: min -1 -> 0, max 3: x / 3 clipped; channel 1: (x - 2) / 4;
    # channel 2: zero range -> 1, so it stays 0
    assert torch.allclose(got[0, :, 0], torch.tensor([0.0, 1 / 3, 1.0]))
    assert torch.allclose(got[0, :, 1], torch.tensor([0.0, 0.5, 1.0]))
    assert torch.all(got[0, :, 2] == 0)
    assert minmax_normalize(scores, clip=False)[0, 0, 0].item() == pytest.approx(-1 / 3)


def test_video_targets_normalise_labels_with_background():
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    base = video_targets(labels, 1)
    assert torch.allclose(base[0], torch.tensor([1 / 3, 0, 1 / 3, 1 / 3]))
    assert torch.allclose(base[1], torch.tensor([0.0, 0, 0, 1]))
    supp = video_targets(labels, 0)
    assert torch.allclose(supp[0], torch.tensor([0.5, 0, 0.5, 0]))
    assert torch.all(supp[1] == 0)  # no class and no background: stays zero, no NaN


def test_video_bce_loss_matches_hand_computation():
    p = torch.tensor([[0.8, 0.2]])
    t = torch.tensor([[1.0, 0.0]])
    expected = -(math.log(0.8) + math.log(0.8)) / 2
    assert video_bce_loss(p, t).item() == pytest.approx(expected, rel=1e-6)


def test_video_ce_loss_is_soft_target_cross_entropy_averaged_over_videos():
    p = torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]])
    t = torch.tensor([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])  # an all-zero row counts 0
    expected = -(0.5 * math.log(0.5) + 0.5 * math.log(0.25)) / 2
    assert video_ce_loss(p, t).item() == pytest.approx(expected, rel=1e-6)


def test_foreground_norm_is_l1_over_time_averaged_over_videos():
    w = torch.tensor([[[0.5], [0.25]], [[1.0], [0.0]]])
    assert foreground_norm_loss(w).item() == pytest.approx((0.75 + 1.0) / 2)
    mask = torch.tensor([[True, False], [True, True]])
    assert foreground_norm_loss(w, mask).item() == pytest.approx((0.5 + 1.0) / 2)


def test_click_cross_entropy_only_at_clicked_snippets():
    cas = torch.tensor([[[2.0, 0.0], [0.0, 0.0], [0.0, 1.0]]])
    clicks = torch.tensor([[1, -100, -100]])
    expected = -math.log(math.exp(0) / (math.exp(2) + 1))
    assert click_cross_entropy(cas, clicks).item() == pytest.approx(expected, rel=1e-6)
    none = click_cross_entropy(cas, torch.full((1, 3), -100))
    assert none.item() == 0.0 and none.requires_grad is False


def _attention_conv_loop(conv, x, emb):
    """Explicit per-position reference of the attention convolution."""
    batch, length, _ = x.shape
    r = conv.kernel_size // 2
    out = torch.zeros(batch, length, conv.out_channels, dtype=torch.float64)
    w = conv.weight.detach().double()
    for b in range(batch):
        for t in range(length):
            acc = torch.zeros(conv.out_channels, dtype=torch.float64)
            for o in range(conv.kernel_size):
                s = t + o - r
                if 0 <= s < length:
                    sim = float(emb[b, t] @ emb[b, s])
                    acc += w[:, :, o] @ (x[b, s].double() * sim)
            out[b, t] = acc
    return out


def _separation_batch():
    # video 0: actions e0 = (1, 0), e1 = (.6, .8); background e2 = (.8, .6), e3 = (0, 1)
    #   s01 = .6, s02 = .8, s03 = 0, s12 = .96, s13 = .8, s23 = .6
    # video 1: two identical action snippets, no background
    emb = torch.tensor([
        [[1.0, 0.0], [0.6, 0.8], [0.8, 0.6], [0.0, 1.0]],
        [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]],
    ])
    action = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    background = torch.tensor([[False, False, True, True], [False, False, False, False]])
    return emb, action, background


def test_embedding_separation_loss_matches_hand_computation():
    emb, action, background = _separation_batch()
    # video 0, same=.9, diff=.1: A-A hardest .6, .6 -> .3, .3; B-B .6, .6 -> .3, .3;
    # A rows vs B: max .8, .96 -> .7, .86 (mean .78); B rows vs A: .96, .8 (mean .78)
    # video 1: A-A similarity 1 -> 0; no background: the other terms are empty
    # per term: mean(.3, 0) + .3 + .78
    got = embedding_separation_loss(emb, action, background, 0.9, 0.1)
    assert got.item() == pytest.approx(0.15 + 0.3 + 0.78)
    # per video: video 1 has no background and is skipped; video 0 sums its terms
    got = embedding_separation_loss(emb, action, background, 0.9, 0.1, average="per_video")
    assert got.item() == pytest.approx(0.3 + 0.3 + 0.78)
    got = embedding_separation_loss(emb, action, background, 0.9, 0.1, symmetric=True,
                                    average="per_video")
    assert got.item() == pytest.approx(0.3 + 0.3 + 0.78 + 0.78)
    # weights: snippet 0 counts twice in the means over A -> (2 * .7 + .86) / 3
    weighted = torch.tensor([[2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    got = embedding_separation_loss(emb, weighted, background, 0.9, 0.1)
    assert got.item() == pytest.approx(0.3 + 0.3 + (2 * 0.7 + 0.86) / 3)
    # a boolean mask is weight 1
    assert embedding_separation_loss(emb, action > 0, background, 0.9, 0.1).item() == (
        pytest.approx(0.15 + 0.3 + 0.78)
    )


def test_embedding_separation_loss_on_labelled_steps_equals_the_full_similarity(monkeypatch):
    import sktal.nn._losses as losses

    g = torch.Generator().manual_seed(0)
    emb = F.normalize(torch.randn(3, 200, 8, generator=g), dim=-1)
    action = (torch.rand(3, 200, generator=g) < 0.05) * torch.rand(3, 200, generator=g)
    background = (torch.rand(3, 200, generator=g) < 0.08) & (action == 0)
    background[2] = False                          # a video with no background
    kept, a, b = losses._labelled_steps(emb, action, background)
    assert kept.shape[1] == int(((action > 0) | background).sum(1).max()) < 200
    runs = {}
    for name, select in (("labelled", losses._labelled_steps),
                         ("full", lambda e, a, b: (e, a, b))):
        monkeypatch.setattr(losses, "_labelled_steps", select)
        for kwargs in ({}, {"symmetric": True, "average": "per_video"}):
            x = emb.clone().requires_grad_(True)
            value = embedding_separation_loss(x, action, background, 0.5, 0.1, **kwargs)
            value.backward()
            runs[name, str(kwargs)] = value.item(), x.grad
    for kwargs in ({}, {"symmetric": True, "average": "per_video"}):
        (v1, g1), (v2, g2) = runs["labelled", str(kwargs)], runs["full", str(kwargs)]
        assert v1 == pytest.approx(v2, rel=1e-6) and v1 > 0
        torch.testing.assert_close(g1, g2, rtol=1e-5, atol=1e-7)


def test_embedding_separation_loss_without_pairs_is_a_differentiable_zero():
    emb, action, background = _separation_batch()
    emb = emb.clone().requires_grad_(True)
    none = torch.zeros_like(background)
    for average in ("per_term", "per_video"):
        got = embedding_separation_loss(emb, torch.zeros_like(action), none, average=average)
        assert got.item() == 0
        got.backward()
    with pytest.raises(ValueError, match="average"):
        embedding_separation_loss(emb, action, background, average="mean")


def test_attention_conv_matches_an_explicit_loop():
    torch.manual_seed(0)
    conv = AttentionConv1d(3, 4, kernel_size=3)
    x = torch.randn(2, 6, 3)
    emb = F.normalize(torch.randn(2, 6, 5), dim=-1)
    got = conv(x, emb).double()
    assert torch.allclose(got, _attention_conv_loop(conv, x, emb), atol=1e-5)


def test_attention_conv_with_unit_similarity_is_a_plain_conv1d():
    torch.manual_seed(0)
    conv = AttentionConv1d(3, 4, kernel_size=5, bias=True)
    plain = torch.nn.Conv1d(3, 4, 5, padding=2)
    plain.weight.data.copy_(conv.weight.data)
    plain.bias.data.copy_(conv.bias.data)
    x = torch.randn(2, 7, 3)
    expected = plain(x.transpose(1, 2)).transpose(1, 2)
    assert torch.allclose(conv(x), expected, atol=1e-5)
    same = F.normalize(torch.ones(2, 7, 4), dim=-1)  # identical embeddings: similarity 1
    assert torch.allclose(conv(x, same), expected, atol=1e-5)


def test_attention_conv_rejects_even_kernels():
    with pytest.raises(ValueError, match="odd"):
        AttentionConv1d(2, 2, kernel_size=2)


def test_modules_keep_the_time_axis():
    x = torch.randn(2, 9, 6)
    assert FilterModule(6, 4)(x).shape == (2, 9, 1)
    assert CASModule(6, 8, 4)(x).shape == (2, 9, 4)
    emb = EmbeddingModule(6, 8, 3)(x)
    assert emb.shape == (2, 9, 3)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(2, 9), atol=1e-5)
    head = CASModule(6, 8, 4, attention=True)
    sim = head.conv1.neighbour_similarity(emb)
    assert head(x, similarity=sim).shape == (2, 9, 4)


@pytest.mark.parametrize("attention", [False, True])
def test_cas_module_on_a_sequence_of_batches_equals_it_on_their_concatenation(attention):
    # BaS-Net passes (raw, filtered) so the raw features get no first-layer input
    # gradient; values and parameter gradients must equal one pass on torch.cat
    torch.manual_seed(0)
    head = CASModule(6, 8, 4, dropout=0.0, attention=attention).double()
    raw = torch.randn(2, 9, 6, dtype=torch.double)
    weights = torch.rand(2, 9, 1, dtype=torch.double, requires_grad=True)
    sim = (torch.rand(4, 9, 3, dtype=torch.double) if attention else None)

    def run(stack):
        head.zero_grad()
        weights.grad = None
        inputs = (raw, raw * weights)
        cas, hidden = head(torch.cat(inputs) if stack else inputs, similarity=sim,
                           return_hidden=True)
        (cas.square().sum() + hidden.sum()).backward()
        grads = [p.grad.clone() for p in head.parameters()] + [weights.grad.clone()]
        return cas.detach(), hidden.detach(), grads

    cas_cat, hidden_cat, grads_cat = run(stack=True)
    cas_seq, hidden_seq, grads_seq = run(stack=False)
    assert torch.allclose(cas_seq, cas_cat, rtol=1e-12, atol=1e-12)
    assert torch.allclose(hidden_seq, hidden_cat, rtol=1e-12, atol=1e-12)
    assert len(grads_seq) == len(grads_cat)
    for g_seq, g_cat in zip(grads_seq, grads_cat):
        assert g_cat.abs().sum() > 0
        assert torch.allclose(g_seq, g_cat, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_a_wide_cas_head_computes_both_branches_first_layer_from_one_product(
        bias, padded, monkeypatch):
    # BaS-Net's base and suppression branches: conv(x) and conv(x * a) from one
    # z = W x; values and every gradient (weights, and the filter's a) must equal
    # the two convolutions
    import sktal._data
    torch.manual_seed(0)
    head = CASModule(6, 8, 4, dropout=0.0, kernel_size=3, bias=bias).double()
    x = torch.randn(3, 11, 6, dtype=torch.double)
    a = torch.rand(3, 11, 1, dtype=torch.double, requires_grad=True)
    mask = torch.ones(3, 11, dtype=torch.bool)
    if padded:
        mask[1, 7:] = False
        x = x * mask[..., None]

    def run(wide):
        monkeypatch.setattr(sktal._data, "WIDE_MODULE_PARAMETERS", 0 if wide else 10**9)
        assert head.shares_first_layer() is wide
        head.zero_grad()
        a.grad = None
        cas, hidden = head(x, scales=a, return_hidden=True,
                           mask=mask if padded else None)
        (cas.square().sum() + hidden.sin().sum()).backward()
        grads = [p.grad.clone() for p in head.parameters()] + [a.grad.clone()]
        return cas.detach(), hidden.detach(), grads

    cas_two, hidden_two, grads_two = run(wide=False)
    cas_one, hidden_one, grads_one = run(wide=True)
    torch.testing.assert_close(cas_one, cas_two, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(hidden_one, hidden_two, rtol=1e-12, atol=1e-12)
    assert len(grads_one) == len(grads_two) == (5 if bias else 3) + 1
    for g_one, g_two in zip(grads_one, grads_two):
        assert g_two.abs().sum() > 0
        torch.testing.assert_close(g_one, g_two, rtol=1e-10, atol=1e-12)
    # a narrow head keeps the two convolutions; attention heads never share
    monkeypatch.setattr(sktal._data, "WIDE_MODULE_PARAMETERS", 0)
    assert not CASModule(6, 8, 4, attention=True).shares_first_layer()


def test_in_place_leaky_relu_has_the_values_and_gradients_of_the_plain_one():
    from sktal.nn._layers import _leaky_relu
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, requires_grad=True)
    w = torch.randn(4, 3, 3, requires_grad=True)
    upstream = torch.randn(2, 4, 5)
    grads = []
    for act in (_leaky_relu, F.leaky_relu):
        h = act(F.conv1d(x, w, padding=1))      # a fresh conv output: in place
        grads.append((h.detach(), *torch.autograd.grad((h * upstream).sum(), [x, w])))
    for got, expected in zip(*grads):
        assert torch.equal(got, expected)
    # a view or a leaf is left alone (a new tensor is returned)
    base = torch.randn(2, 5, 4, requires_grad=True)
    view = base * 1.0
    view_t = view.transpose(1, 2)
    before = view.detach().clone()
    out = _leaky_relu(view_t)
    assert torch.equal(view.detach(), before) and out.data_ptr() != view_t.data_ptr()
    leaf = torch.randn(3, requires_grad=True)
    assert _leaky_relu(leaf) is not leaf
    fresh = torch.randn(6) * 1.0
    assert _leaky_relu(fresh).data_ptr() == fresh.data_ptr()   # no new tensor


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("needs", ["all", "input", "weights"])
def test_one_output_conv_has_the_values_and_gradients_of_the_convolution(bias, needs):
    from sktal.nn._layers import _OneOutputConv, one_output_conv
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(7, 1, 1, bias=bias).double()
    h = torch.randn(3, 7, 5, dtype=torch.float64, requires_grad=needs != "weights")
    conv.requires_grad_(needs != "input")
    upstream = torch.randn(3, 1, 5, dtype=torch.float64)
    out = one_output_conv(conv, h)
    assert isinstance(out.grad_fn, _OneOutputConv._backward_cls)   # the cheap backward
    assert torch.equal(out, conv(h))                                # the same forward
    inputs = [t for t in (h, *conv.parameters()) if t.requires_grad]
    got = torch.autograd.grad((out * upstream).sum(), inputs)
    expected = torch.autograd.grad((conv(h) * upstream).sum(), inputs)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and torch.allclose(g, e, rtol=1e-12, atol=1e-12)
    if needs != "weights":   # one product per element: exactly the convolution's
        assert torch.equal(got[0], expected[0])
    # by hand: d/dh = upstream * w, d/dw = sum_{b,t} upstream h
    if needs == "all":
        assert torch.allclose(got[0], upstream * conv.weight.view(1, 7, 1))
        assert torch.allclose(got[1].view(7), (upstream * h).sum((0, 2)))


def test_one_output_conv_leaves_other_convolutions_and_no_grad_alone():
    from sktal.nn._layers import _OneOutputConv, one_output_conv
    h = torch.randn(2, 4, 6, requires_grad=True)
    for conv in (torch.nn.Conv1d(4, 2, 1), torch.nn.Conv1d(4, 1, 3, padding=1)):
        assert not isinstance(one_output_conv(conv, h).grad_fn, _OneOutputConv._backward_cls)
    with torch.no_grad():
        assert one_output_conv(torch.nn.Conv1d(4, 1, 1), h).grad_fn is None
    # the modules that score each step use it
    from sktal.nn import FilterModule
    nodes, seen = [FilterModule(4, 8)(h.transpose(1, 2)).grad_fn], []
    while nodes:   # every node of the autograd graph
        node = nodes.pop()
        seen.append(type(node))
        nodes.extend(n for n, _ in node.next_functions if n is not None)
    assert _OneOutputConv._backward_cls in seen


def test_video_dataset_items_are_the_position_items_with_interpolated_features():
    import numpy as np

    from sktal._data import PositionDataset
    from sktal._resampling import interpolate_rows, map_click_labels, map_click_targets
    from sktal.nn import VideoDataset, collate_videos

    rng_videos = np.random.default_rng(0)
    videos = [rng_videos.normal(size=(n, 3)).astype(np.float32) for n in (5, 8)]
    labels = np.eye(2, dtype=np.float32)
    clicks = [np.array([[1.0, -1.0]]), np.array([[6.5, 1.0]])]

    def positions(index, length, clicks, rng):
        return np.linspace(0, length - 1, 4) + rng.uniform(0, 0.1)

    plain = VideoDataset(videos, labels, clicks, positions, 2, np.random.default_rng(1))
    bare = PositionDataset([5, 8], labels, clicks, positions, 2, np.random.default_rng(1))
    for i in range(2):
        item, ref = plain[i], bare[i]
        np.testing.assert_array_equal(item["x"], interpolate_rows(videos[i], ref["positions"]))
        np.testing.assert_array_equal(item["click_targets"],
                                      map_click_targets(clicks[i], ref["positions"], 2))
        np.testing.assert_array_equal(item["click_labels"],
                                      map_click_labels(clicks[i], ref["positions"], 2))
        assert "positions" not in item and item["index"] == i
    inputs, targets = collate_videos([plain[0], plain[1]])
    assert tuple(inputs["x"].shape) == (2, 4, 3) and bool(inputs["mask"].all())
    assert int(targets["click_labels"][0].max()) == 2   # background click -> column C


def _head(act, dropout, seed):
    """conv -> act -> dropout -> 1x1 conv, values and gradients, and the RNG after."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, 16, requires_grad=True)
    w1 = torch.randn(6, 4, 3, requires_grad=True)
    w2 = torch.randn(2, 6, 1, requires_grad=True)
    torch.manual_seed(seed)
    h = dropout(act(F.conv1d(x, w1, padding=1)))
    out = F.conv1d(h, w2)
    grads = torch.autograd.grad((out * torch.linspace(-1, 1, 16)).sum(), [x, w1, w2])
    return (out.detach(), *grads, torch.rand(3))


def test_in_place_backward_layers_equal_nn_dropout_and_leaky_relu_bitwise():
    from sktal.nn._layers import Dropout, _leaky_relu

    for p in (0.3, 0.7):
        for seed in (0, 1):
            ours = _head(_leaky_relu, Dropout(p).train(), seed)
            plain = _head(lambda t: F.leaky_relu(t, inplace=True), torch.nn.Dropout(p).train(),
                          seed)
            for got, expected in zip(ours, plain):   # same draws, values, gradients
                assert torch.equal(got, expected)
    d = Dropout(0.5).eval()
    t = torch.randn(4, requires_grad=True)
    assert d(t) is t


def test_in_place_backward_layers_reuse_an_owned_gradient_and_copy_a_view():
    from sktal.nn._layers import Dropout, _leaky_relu

    for layer in (_leaky_relu, Dropout(0.5).train()):
        x = torch.randn(4, 6, requires_grad=True)
        t = x * 1.0                                   # a fresh non-leaf input
        torch.manual_seed(0)
        out = layer(t)
        owned = torch.randn(4, 6)
        expected = torch.autograd.grad(out, t, grad_outputs=owned.clone(),
                                       retain_graph=True)[0]
        got = torch.autograd.grad(out, t, grad_outputs=owned, retain_graph=True)[0]
        assert torch.equal(got, expected) and not torch.equal(got, torch.randn(4, 6) * 0)
        assert got.data_ptr() == owned.data_ptr()    # written into the incoming gradient
        base = torch.randn(6, 4)
        before = base.clone()
        got = torch.autograd.grad(out, t, grad_outputs=base.t(), retain_graph=True)[0]
        assert torch.equal(base, before)             # a view is not overwritten
        assert torch.equal(got, torch.autograd.grad(
            out, t, grad_outputs=before.t().contiguous())[0])


def test_in_place_relu_equals_f_relu_bitwise_and_reuses_an_owned_gradient():
    from sktal.nn._layers import _ReLUInPlace, _relu

    ours = _head(_relu, torch.nn.Identity(), 0)
    plain = _head(F.relu, torch.nn.Identity(), 0)
    for got, expected in zip(ours, plain):           # same values and gradients
        assert torch.equal(got, expected)
    x = torch.randn(4, 6, requires_grad=True)
    t = x * 1.0
    out = _relu(t)
    assert out.data_ptr() == t.data_ptr() and isinstance(out.grad_fn, _ReLUInPlace._backward_cls)
    owned = torch.randn(4, 6)
    expected = torch.autograd.grad(F.relu(x * 1.0), x, grad_outputs=owned.clone())[0]
    assert not torch.equal(expected, owned)
    seen = []   # the relu node's result, before MulBackward (which makes a new tensor)
    handle = out.grad_fn.register_hook(lambda grad_in, grad_out: seen.append(grad_in[0]))
    got = torch.autograd.grad(out, x, grad_outputs=owned, retain_graph=True)[0]
    assert torch.equal(got, expected) and seen[0].data_ptr() == owned.data_ptr()
    handle.remove()
    base = torch.randn(6, 4)
    before = base.clone()
    got = torch.autograd.grad(out, x, grad_outputs=base.t())[0]
    expected = torch.autograd.grad(F.relu(x * 1.0), x, grad_outputs=before.t())[0]
    assert torch.equal(base, before) and torch.equal(got, expected)   # a view is copied
    view = (torch.randn(3, 2) * 1.0).t()
    assert _relu(view).data_ptr() != view.data_ptr()  # a view is left alone


def test_dropout_channels_first_equals_nn_dropout_on_the_time_last_view_bitwise():
    from sktal.nn._layers import Dropout

    def run(layer, seed):
        torch.manual_seed(0)
        x = torch.randn(3, 4, 16, requires_grad=True)
        w1 = torch.randn(6, 4, 3, requires_grad=True)
        torch.manual_seed(seed)
        h = F.relu(F.conv1d(x, w1, padding=1))        # (batch, C, T), contiguous
        out = layer(h)
        grads = torch.autograd.grad((out * torch.linspace(-1, 1, 16)).sum(), [x, w1])
        return (out.detach(), out.is_contiguous(), *grads, torch.rand(3))

    for p in (0.3, 0.7):
        for seed in (0, 1):
            d = Dropout(p).train()
            ours = run(d.channels_first, seed)
            plain = run(lambda h: torch.nn.Dropout(p).train()(h.transpose(1, 2))
                        .transpose(1, 2), seed)
            assert ours[1] and plain[1]
            for got, expected in zip(ours, plain):   # same draws, values, gradients
                assert torch.equal(torch.as_tensor(got), torch.as_tensor(expected))
    d = Dropout(0.5).eval()
    h = torch.randn(2, 3, 4, requires_grad=True)
    assert torch.equal(d.channels_first(h), h)
    # the gradient is written into the incoming (owned) one
    d = Dropout(0.5).train()
    t = torch.randn(2, 3, 4, requires_grad=True) * 1.0
    out = d.channels_first(t)
    owned = torch.randn(2, 3, 4)
    assert torch.autograd.grad(out, t, grad_outputs=owned)[0].data_ptr() == owned.data_ptr()


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", ["channels_first", "time_last"])
def test_pointwise_conv_equals_the_convolution_up_to_rounding(bias, layout):
    from sktal.nn._layers import pointwise_conv

    torch.manual_seed(0)
    conv = torch.nn.Conv1d(7, 5, 1, bias=bias).double()
    h = torch.randn(16, 7, 9, dtype=torch.float64)
    if layout == "time_last":
        h = h.transpose(1, 2).contiguous().transpose(1, 2)
    h.requires_grad_(True)
    upstream = torch.randn(16, 5, 9, dtype=torch.float64)
    out = pointwise_conv(conv, h)
    assert "Convolution" not in type(out.grad_fn).__name__   # a product, not oneDNN
    expected_out = conv(h)
    # another summation order: equal up to float64 rounding, not bitwise
    torch.testing.assert_close(out, expected_out, rtol=1e-12, atol=1e-12)
    inputs = [h, *conv.parameters()]
    got = torch.autograd.grad((out * upstream).sum(), inputs)
    expected = torch.autograd.grad((expected_out * upstream).sum(), inputs)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, rtol=1e-12, atol=1e-12)
    # float32 at the papers' classifier shape: the same sums up to float32 rounding
    conv32 = torch.nn.Conv1d(64, 21, 1, bias=False)
    h32 = torch.rand(16, 64, 30)
    torch.testing.assert_close(pointwise_conv(conv32, h32), conv32(h32), rtol=1e-5,
                               atol=1e-6)


def test_pointwise_conv_leaves_other_convolutions_alone():
    from sktal.nn._layers import _OneOutputConv, pointwise_conv

    h = torch.randn(2, 4, 6, requires_grad=True)
    wide = torch.nn.Conv1d(4, 2, 3, padding=1)
    assert torch.equal(pointwise_conv(wide, h), wide(h))
    one = pointwise_conv(torch.nn.Conv1d(4, 1, 1), h)
    assert isinstance(one.grad_fn, _OneOutputConv._backward_cls)
