"""SegmentDetector: its losses against hand computations, its targets, a toy problem."""
import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

import sktal
from sktal.localizers._detector import (
    assign_point_targets,
    diou_loss,
    level_regression_ranges,
    LocalSelfAttention,
    ModelEMA,
    pyramid_points,
    score_voting,
    SegmentDetectorModule,
    sigmoid_focal_loss,
)
from sktal.metrics import detection_map
from sktal.utils import estimator_checks as ec

FAST = dict(hidden_size=8, max_epochs=1, batch_size=4, n_levels=2)


def _toy(n_videos, seed):
    rng = np.random.default_rng(seed)
    X, Y = [], []
    for _ in range(n_videos):
        T = int(rng.integers(50, 90))
        x = rng.normal(0, 0.3, (T, 6)).astype(np.float32)
        segs, t = [], int(rng.integers(0, 8))
        while t < T - 18:
            L = int(rng.integers(5, 14))
            x[t:t + L, 0] += 2.0
            segs.append([t, t + L, 0])
            t += L + int(rng.integers(5, 20))
        X.append(x)
        Y.append(np.array(segs, float))
    return X, Y


def test_focal_loss_matches_hand_computation():
    logits = torch.tensor([0.0, 2.0, -1.0])
    targets = torch.tensor([1.0, 0.0, 1.0])
    got = sigmoid_focal_loss(logits, targets, focal_alpha=0.25, focal_gamma=2.0)
    expected = []
    for z, t in zip([0.0, 2.0, -1.0], [1, 0, 1]):
        p = 1 / (1 + math.exp(-z))
        pt = p if t else 1 - p
        a = 0.25 if t else 0.75
        expected.append(-a * (1 - pt) ** 2 * math.log(pt))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    # gamma 0 and no alpha: plain binary cross-entropy
    plain = sigmoid_focal_loss(logits, targets, focal_alpha=-1, focal_gamma=0.0)
    np.testing.assert_allclose(
        plain.numpy(),
        torch.nn.functional.binary_cross_entropy_with_logits(
            logits, targets, reduction="none").numpy(), rtol=1e-6)


def test_diou_loss_matches_hand_computation():
    # point at 0; pred segment [-1, 3], target [-2, 2]
    pred = torch.tensor([[1.0, 3.0], [2.0, 2.0]])
    target = torch.tensor([[2.0, 2.0], [2.0, 2.0]])
    got = diou_loss(pred, target).numpy()
    # first: inter [-1, 2] = 3, union 4 + 4 - 3 = 5, enclosing [-2, 3] = 5,
    # centres 1 and 0 -> 1 - 3/5 + 1/25
    np.testing.assert_allclose(got, [1 - 3 / 5 + 1 / 25, 0.0], atol=1e-6)


def test_regression_ranges_and_points():
    assert level_regression_ranges(n_levels=3, regression_base=4) == [
        (0.0, 4.0), (4.0, 8.0), (8.0, math.inf)]
    centres, strides, levels = pyramid_points(5, n_levels=2)
    np.testing.assert_allclose(centres, [0.5, 1.5, 2.5, 3.5, 4.5, 0.5, 2.5, 4.5])
    np.testing.assert_allclose(strides, [1] * 5 + [2] * 3)


def test_points_sit_where_the_pyramid_pools():
    # the snippets whose impulse reaches point j of level l, through the module's own
    # pooling, are centred on pyramid_points' centre of that point: the regression
    # targets are measured from where the features are
    module = SegmentDetectorModule(n_features=1, n_classes=1, hidden_size=1, n_levels=4,
                                   n_layers=1, kernel_size=1, dropout=0.0)
    with torch.no_grad():
        module.embed[0].weight.fill_(1.0)
        module.embed[0].bias.zero_()
    feats = []
    module.cls_head.forward = lambda f: feats.append(f) or f
    length = 40
    centres, _, levels = pyramid_points(length, n_levels=4)
    reach = {}
    for t in range(length):
        feats.clear()
        x = torch.zeros(1, length, 1)
        x[0, t, 0] = 1.0
        module(x)
        for level in range(4):
            for j in np.nonzero(feats[level][0, 0].detach().numpy() > 0)[0]:
                reach.setdefault((level, j), []).append(t)
    for level in range(1, 4):
        first = np.nonzero(levels == level)[0][0]
        for j in range(1, 3):  # interior points (padding truncates the first)
            np.testing.assert_allclose(np.mean(reach[level, j]) + 0.5,
                                       centres[first + j])


def test_targets_centre_sampling_ranges_and_weights():
    centres, strides, levels = pyramid_points(16, n_levels=2)
    ranges = np.asarray(level_regression_ranges(n_levels=2, regression_base=4))[levels]
    segs = np.array([[2.0, 6.0, 1, 0.5], [8.0, 16.0, 0, 1.0]])
    cls, reg, w, pos = assign_point_targets(
        segs, centres, strides, ranges, 2, center_sampling_radius=1.0)
    # short segment [2, 6): level 0 points within 1 of its centre 4 with max(l, r) < 4
    assert set(np.nonzero(pos[:16])[0]) == {3, 4}
    np.testing.assert_allclose(reg[3], [1.5, 2.5])
    assert cls[3, 1] == 1 and w[3] == 0.5
    # long segment [8, 16): max distance >= 4 -> level 1, centre 12 +/- 2
    lv1 = np.nonzero(pos[16:])[0]
    np.testing.assert_allclose(centres[16 + lv1], [10.5, 12.5])
    np.testing.assert_allclose(reg[16 + lv1[0]], [1.25, 2.75])  # (2.5, 5.5) / stride 2


def test_ignored_stretches_hold_no_negatives_but_keep_their_positives():
    centres, strides, levels = pyramid_points(16, n_levels=2)
    ranges = np.asarray(level_regression_ranges(n_levels=2, regression_base=4))[levels]
    segs = np.array([[2.0, 6.0, 1, 0.5]])
    ignore = np.array([[0.0, 10.0]])
    cls, reg, w, pos = assign_point_targets(
        segs, centres, strides, ranges, 2, center_sampling_radius=1.0, ignore=ignore)
    in_stretch = (centres >= 0) & (centres < 10)
    assert set(np.nonzero(pos[:16])[0]) == {3, 4} and np.all(w[pos] == 0.5)
    np.testing.assert_array_equal(w[~pos], np.where(in_stretch[~pos], 0.0, 1.0))
    # without ignore: the same targets, every negative weighted 1
    cls0, reg0, w0, pos0 = assign_point_targets(
        segs, centres, strides, ranges, 2, center_sampling_radius=1.0)
    np.testing.assert_array_equal(pos, pos0)
    np.testing.assert_array_equal(cls, cls0)
    assert np.all(w0[~pos0] == 1.0)
    # a video without instances: only its ignored points lose their weight
    _, _, w1, pos1 = assign_point_targets(np.zeros((0, 4)), centres, strides, ranges, 2,
                                          center_sampling_radius=1.0, ignore=ignore)
    assert not pos1.any()
    np.testing.assert_array_equal(w1, np.where(in_stretch, 0.0, 1.0))


def test_ignore_is_validated_and_changes_training():
    X, Y = _toy(4, 2)
    params = dict(hidden_size=8, max_epochs=2, n_levels=2, random_state=0, device="cpu")
    whole = [np.array([[0.0, len(x)]]) for x in X]
    plain = sktal.SegmentDetector(**params).fit(X, Y)
    none = sktal.SegmentDetector(**params).fit(X, Y, ignore=[np.zeros((0, 2))] * 4)
    ignored = sktal.SegmentDetector(**params).fit(X, Y, ignore=whole)
    np.testing.assert_allclose(plain.history_[:, "loss_cls"], none.history_[:, "loss_cls"])
    assert ignored.history_[0, "loss_cls"] < plain.history_[0, "loss_cls"]
    est = sktal.SegmentDetector(**params)
    with pytest.raises(ValueError, match="ignore has 1 entries for 4 videos"):
        est.fit(X, Y, ignore=whole[:1])
    with pytest.raises(ValueError, match=r"ignore\[1\]: expected shape \(k, 2\)"):
        est.fit(X, Y, ignore=[whole[0], np.zeros(3), whole[2], whole[3]])
    bad = [w.copy() for w in whole]
    bad[2][0, 1] = len(X[2]) + 1
    with pytest.raises(ValueError, match=r"ignore\[2\]: row 0 .* <= " + str(len(X[2]))):
        est.fit(X, Y, ignore=bad)


def test_detector_learns_toy_problem():
    X, Y = _toy(20, 0)
    est = sktal.SegmentDetector(hidden_size=16, max_epochs=40, lr=3e-3, n_levels=3,
                                random_state=0, device="cpu")
    est.fit(X[:14], Y[:14])
    result = detection_map(Y[14:], est.predict(X[14:]), [0.5], n_classes=1)
    assert result.mAP[0] > 0.9
    assert est.history_[-1, "loss_reg"] < est.history_[0, "loss_reg"]


def test_weights_change_training_and_are_validated():
    X, Y = _toy(6, 1)
    a = sktal.SegmentDetector(**FAST, random_state=0).fit(X, Y)
    W = [np.column_stack([y, np.full(len(y), 0.3)]) for y in Y]
    b = sktal.SegmentDetector(**FAST, random_state=0).fit(X, W)
    assert b.history_[-1, "train_loss"] < a.history_[-1, "train_loss"]
    bad = [np.column_stack([y, np.full(len(y), 1.5)]) for y in Y]
    with pytest.raises(ValueError, match=r"y\[0\]: weights"):
        sktal.SegmentDetector(**FAST).fit(X, bad)
    with pytest.raises(ValueError, match="fully supervised"):
        sktal.SegmentDetector(**FAST).fit(X, np.ones((6, 1)))


@pytest.mark.parametrize("check", [
    ec.check_fit_returns_self, ec.check_unfitted_verbs_raise, ec.check_output_contract,
    ec.check_pickle_round_trip, ec.check_fit_does_not_change_parameters,
    ec.check_deterministic_under_random_state, ec.check_subset_predictions_equal_full_set,
    ec.check_wrong_feature_width_is_rejected,
], ids=lambda c: c.__name__)
def test_common_checks(check, monkeypatch):
    # the ragged checks fit on ``data.y`` (video labels); a detector needs segments,
    # so the checks' data carries the segments as ``y`` (keeping ``y.shape``)
    tiny = ec._tiny_data

    def with_segments(random_state=0):
        data, clicks = tiny(random_state)
        data.y = _Segments(data.segments, data.y.shape)
        return data, clicks

    monkeypatch.setattr(ec, "_tiny_data", with_segments)
    check(sktal.SegmentDetector(**FAST))


class _Segments(list):
    def __init__(self, rows, shape):
        super().__init__(rows)
        self.shape = shape


def test_clone_pickle_gridsearch_and_save_load(tmp_path):
    X, Y = _toy(8, 2)
    est = sktal.SegmentDetector(**FAST, random_state=0)
    assert clone(est).get_params() == est.get_params()
    est.fit(X, Y)
    again = pickle.loads(pickle.dumps(est))
    for a, b in zip(est.predict(X), again.predict(X)):
        np.testing.assert_allclose(a, b)
    search = GridSearchCV(sktal.SegmentDetector(**FAST, random_state=0),
                          {"hidden_size": [4, 8]}, cv=2).fit(X, Y)
    assert search.best_params_["hidden_size"] in (4, 8)
    sktal.save(est, tmp_path / "det.pt")
    loaded = sktal.load(tmp_path / "det.pt")
    for a, b in zip(est.predict(X), loaded.predict(X)):
        np.testing.assert_allclose(a, b)


def test_resampled_training_maps_boundaries():
    X, Y = _toy(6, 3)
    est = sktal.SegmentDetector(**FAST, n_segments=32, random_state=0).fit(X, Y)
    det = est.predict(X)
    assert all(len(d) == 0 or d[:, 1].max() <= len(x) + 1e-9 for d, x in zip(det, X))


@pytest.mark.parametrize("check_name", [
    "check_estimator_cloneable", "check_estimator_repr", "check_no_attributes_set_in_init",
    "check_parameters_default_constructible", "check_get_params_invariance",
    "check_set_params",
])
def test_sklearn_api_checks(check_name):
    from sklearn.utils import estimator_checks as sk_checks

    check = getattr(sk_checks, check_name, None)
    if check is None:
        pytest.skip(f"scikit-learn has no {check_name}")
    check("SegmentDetector", sktal.SegmentDetector(**FAST))


def test_local_attention_sees_only_its_window_and_valid_steps():
    torch.manual_seed(0)
    block = LocalSelfAttention(8, window=5)
    x = torch.randn(1, 8, 30, requires_grad=True)
    mask = torch.ones(1, 1, 30)
    block(x, mask)[0, :, 10].sum().backward()
    depends = np.nonzero(x.grad[0].abs().sum(0).numpy())[0]
    np.testing.assert_array_equal(depends, [8, 9, 10, 11, 12])
    # padded steps (mask 0) are neither attended to nor output
    mask[..., 20:] = 0
    x2 = x.detach().clone()
    x2[..., 20:] = 100.0
    with torch.no_grad():
        a, b = block(x.detach(), mask), block(x2, mask)
    torch.testing.assert_close(a[..., :20], b[..., :20])
    assert float(b[..., 20:].abs().max()) == 0.0


def test_model_ema_averages_with_warm_up_and_replaces_weights_at_the_end():
    class Net:
        module_ = torch.nn.Linear(1, 1, bias=False)

    net = Net()
    with torch.no_grad():
        net.module_.weight.fill_(0.0)
    ema = ModelEMA(0.9)
    ema.on_train_begin(net)
    expected = 0.0
    for step, w in enumerate([1.0, 2.0, 3.0], start=1):
        with torch.no_grad():
            net.module_.weight.fill_(w)
        ema.on_batch_end(net, training=True)
        ema.on_batch_end(net, training=False)      # validation batches do not count
        d = min(0.9, (1 + step) / (10 + step))
        expected = d * expected + (1 - d) * w
    ema.on_train_end(net)
    final = float(net.module_.weight.detach())
    assert final == pytest.approx(expected)
    assert final != 3.0


def test_ema_weights_are_the_fitted_ones_and_training_is_unchanged():
    X, Y = _toy(6, 4)
    raw = {}

    class Record(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            if training:
                raw["w"] = {k: v.detach().clone()
                            for k, v in net.module_.state_dict().items()}

    plain = sktal.SegmentDetector(**{**FAST, "max_epochs": 3}, ema_decay=None,
                                  random_state=0).fit(X, Y)
    est = sktal.SegmentDetector(**{**FAST, "max_epochs": 3}, ema_decay=0.9,
                                callbacks=[Record()], random_state=0).fit(X, Y)
    fitted = est.module_.state_dict()
    for k, v in plain.module_.state_dict().items():
        torch.testing.assert_close(raw["w"][k], v)     # EMA does not change training
    assert any(not torch.equal(fitted[k], raw["w"][k]) for k in fitted)
    # predict uses the averaged weights: they differ from the raw model's predictions
    a, b = est.predict(X[:2]), plain.predict(X[:2])
    assert any(x.shape != y.shape or not np.allclose(x, y) for x, y in zip(a, b))


def test_score_voting_averages_overlapping_candidates_of_the_class():
    kept = np.array([[10.0, 20.0, 0, 0.9]])
    candidates = np.array([[10.0, 20.0, 0, 0.9],
                           [11.0, 21.0, 0, 0.3],    # tIoU 9/11 >= 0.7: votes
                           [30.0, 40.0, 0, 0.8],    # no overlap
                           [10.0, 20.0, 1, 0.9]])   # another class
    out = score_voting(kept, candidates, voting_threshold=0.7)
    np.testing.assert_allclose(out, [[(9 + 3.3) / 1.2, (18 + 6.3) / 1.2, 0, 0.9]])
    assert score_voting(kept, candidates, voting_threshold=0.95)[0, 0] == 10.0


def test_convolution_only_detector_learns_toy_problem_and_odd_windows():
    X, Y = _toy(20, 0)
    est = sktal.SegmentDetector(hidden_size=16, max_epochs=40, lr=3e-3, n_levels=3,
                                attention_window=None, random_state=0, device="cpu")
    est.fit(X[:14], Y[:14])
    result = detection_map(Y[14:], est.predict(X[14:]), [0.5], n_classes=1)
    assert result.mAP[0] > 0.9
    with pytest.raises(ValueError, match="attention_window must be odd"):
        sktal.SegmentDetector(**FAST, attention_window=4).fit(X, Y)
