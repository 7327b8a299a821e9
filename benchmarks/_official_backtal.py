"""compare_official adapter: the official BackTAL code against ``sktal.BackTAL``.

``load`` imports ``lib/models/network.py``, ``lib/criterion/loss.py`` and
``lib/post_process/functions.py`` from the checkout. Run-time patches only:
``Tensor.cuda`` is the identity (CPU), the CAS head's hard-coded 2048 channels become
the budget's ``hidden_size``, the official data loader is replaced by sktal's resampled
arrays and click labels, and when OpenCV is not installed a stand-in ``cv2.resize``
(bilinear, half-pixel centres like ``INTER_LINEAR``) lets the post-processing import.
Positions are given to the official post-processing as 16 frames per snippet.
"""
import importlib
import os
import sys
import time
import types

import numpy as np
import torch
from torch import nn

from _official_basnet import _map, _patch_numpy_aliases, cpu_cuda
from sktal import BackTAL
from sktal._resampling import interpolate_rows, map_click_labels, source_positions
from sktal.postprocessing import cas_to_detections
from sktal.nn import minmax_normalize

NAME = "BackTAL"
OPTION = "backtal"
FRAMES_PER_SNIPPET, FPS = 16, 25.0   # THUMOS14: the official code works in seconds


def _resize(src, size, interpolation=None):
    """``cv2.resize`` of a (1, T) row to (1, n) with INTER_LINEAR's sampling."""
    n = size[0]
    src = np.asarray(src, dtype=np.float64)
    t = src.shape[1]
    x = np.clip((np.arange(n) + 0.5) * t / n - 0.5, 0, t - 1)
    return np.interp(x, np.arange(t), src[0])[None].astype(np.float32)


def _cfg(n_features, n_classes, n_segments):
    ns = types.SimpleNamespace
    return ns(
        DATASET=ns(NAME="THUMOS14", CLS_NUM=n_classes, NUM_SEGMENTS=n_segments),
        NETWORK=ns(FEAT_DIM=n_features, TOPK_K_R=0.125, TOPK_K_R_FOR_LOSS=0.125,
                   CASMODULE_DROPOUT=0.7, TH_SIMILAR_MIN=0.5, TH_DIFFERENT_MAX=0.1),
        TRAIN=ns(C_LOSS_NORM=1e-4, C_LOSS_EMBEDDING=0.8, C_LOSS_TOPK_BG=1),
        TEST=ns(NMS_THRESHOLD=0.55, CLS_SCORE_TH=0.25, ACT_THRESH_MIN=0.0,
                ACT_THRESH_MAX=0.25, ACT_THRESH_STEP=0.025, OUTER_LAMBDA=0.25,
                CONF_GAMMA=0.2),
    )


def load(checkout):
    _patch_numpy_aliases()
    lib = os.path.join(str(checkout), "lib")
    try:
        import cv2  # noqa: F401
    except ModuleNotFoundError:
        sys.modules["cv2"] = types.SimpleNamespace(resize=_resize, INTER_LINEAR=1)
    sys.path.insert(0, lib)
    try:
        for name in ("models.network", "criterion.loss", "post_process.functions",
                     "post_process.nms", "models", "criterion", "post_process"):
            sys.modules.pop(name, None)
        return types.SimpleNamespace(
            network=importlib.import_module("models.network"),
            loss=importlib.import_module("criterion.loss"),
            functions=importlib.import_module("post_process.functions"),
        )
    finally:
        sys.path.remove(lib)


def _set_width(net, hidden):
    base = net.base_module
    base.conv_1 = nn.Conv1d(base.conv_1.in_channels, hidden, 3, 1, 1, bias=False)
    base.conv_2 = nn.Conv1d(hidden, hidden, 3, 1, 1, bias=False)
    base.conv_1_att.out_channels = base.conv_2_att.out_channels = hidden
    old = net.classifier_module.conv
    net.classifier_module.conv = nn.Conv1d(hidden, old.out_channels, 1, bias=False)


def _batch(videos, clicks, n_segments, n_classes, training, rng):
    xs, cl = [], []
    for i, v in enumerate(videos):
        pos = source_positions(len(v), n_segments, "interpolate", training=training,
                               rng=rng)
        xs.append(interpolate_rows(v, pos))
        if clicks is not None:
            cl.append(map_click_labels(clicks[i], pos, n_classes))
    x = torch.from_numpy(np.stack(xs).astype(np.float32))
    return x, (torch.from_numpy(np.stack(cl)) if clicks is not None else None)


def _official_pp(off, cfg, score, cas, feature1, length):
    """evaluate_score on one video (16 frames a snippet, 25 fps) -> sktal rows."""
    frames = FRAMES_PER_SNIPPET * length
    locs, _, _ = off.functions.evaluate_score(
        cfg, torch.from_numpy(score[None]), torch.from_numpy(cas[None]),
        torch.zeros(1, cfg.DATASET.CLS_NUM), "v", frames, FPS, frames / FPS,
        list(range(cfg.DATASET.CLS_NUM)), torch.from_numpy(feature1[None]))
    to_snippets = FPS / FRAMES_PER_SNIPPET
    rows = [[d["segment"][0] * to_snippets, d["segment"][1] * to_snippets, d["label"],
             d["score"]] for d in locs]
    return np.asarray(rows, dtype=float).reshape(-1, 4)


def _sktal_pp(score, cas_t, magnitude, length):
    """sktal's BackTAL inference on (C + 1, T) logits and a magnitude row."""
    cas = minmax_normalize(torch.from_numpy(cas_t.T[None, :, :-1]))[0].numpy()
    agnostic = minmax_normalize(torch.from_numpy(magnitude[None, :, None]))[0, :, 0]
    return cas_to_detections(cas, score[:-1], normalize=False, class_threshold=0.25,
                             class_fallback=None, nms_threshold=0.55,
                             agnostic_scores=agnostic.numpy(),
                             agnostic_thresholds=np.arange(0.3, 0.8, 0.075),
                             output_length=length)


def run(official, suite, seed, budget):
    n, c = budget["n_segments"], suite.n_classes
    lengths = [len(v) for v in suite.X_test]
    cfg = _cfg(suite.X_train[0].shape[1], c, n)
    clicks = suite.background_clicks_train
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = official.network.Network(cfg)
    _set_width(net, budget["hidden_size"])
    criterion = official.loss.BackTALLoss(cfg)
    optimizer = torch.optim.Adam(net.parameters(), lr=budget["lr"], betas=(0.9, 0.999),
                                 weight_decay=5e-4)
    labels = torch.from_numpy(np.asarray(suite.y_train, dtype=np.float32))
    start = time.perf_counter()
    with cpu_cuda():
        for _ in range(budget["max_epochs"]):
            net.train()
            order = rng.permutation(len(suite.X_train))
            for b in range(0, len(order), budget["batch_size"]):
                idx = order[b:b + budget["batch_size"]]
                x, cl = _batch([suite.X_train[i] for i in idx], [clicks[i] for i in idx],
                               n, c, True, rng)
                if not bool((cl == c).any()):
                    continue  # the official score-separation loss needs a click
                outs = net(x.transpose(1, 2), is_train=True)
                cost, _ = criterion(cfg, *outs, labels[idx], cl, None)
                optimizer.zero_grad()
                cost.backward()
                optimizer.step()
    official_s = (time.perf_counter() - start) / budget["max_epochs"]
    net.eval()
    x, _ = _batch(suite.X_test, None, n, c, False, None)
    with torch.no_grad():
        o_score, o_cas, o_feat1 = net(x.transpose(1, 2), is_train=False)
    o_score, o_cas, o_feat1 = o_score.numpy(), o_cas.numpy(), o_feat1.numpy()
    est = BackTAL(n_segments=n, hidden_size=budget["hidden_size"],
                  max_epochs=budget["max_epochs"], lr=budget["lr"],
                  batch_size=budget["batch_size"], random_state=seed)
    est.fit(suite.X_train, suite.y_train, clicks=clicks)
    sktal_s = float(np.mean(est.history_[:, "dur"]))
    module = est.net_.module_.eval()
    with torch.no_grad():
        out = module(x=x)
    s_score = out["score_supp"].numpy()
    s_cas = out["cas_supp"].transpose(1, 2).numpy()
    s_mag = out["magnitude"].numpy()
    sktal_map = _map(suite, est.predict(suite.X_test))
    no_feat = _map(suite, est.set_params(feature_proposals=False).predict(suite.X_test))
    return dict(
        official_map=_map(suite, [_official_pp(official, cfg, o_score[i], o_cas[i],
                                               o_feat1[i], L)
                                  for i, L in enumerate(lengths)]),
        sktal_map=sktal_map,
        official_s_per_epoch=official_s,
        sktal_s_per_epoch=sktal_s,
        cross={
            "official post-processing, sktal CAS": _map(suite, [
                _official_pp(official, cfg, s_score[i], s_cas[i], s_mag[i][None], L)
                for i, L in enumerate(lengths)]),
            "sktal post-processing, official CAS": _map(suite, [
                _sktal_pp(o_score[i], o_cas[i], np.linalg.norm(o_feat1[i], axis=0), L)
                for i, L in enumerate(lengths)]),
            "sktal, feature_proposals=False": no_feat,
        },
    )


def timing_step(official, size):
    """compare_official's timing hook: one official training step (the feeding of
    :func:`run` with background clicks, the official network and BackTAL loss, Adam)
    and the sktal estimator of the same shapes."""
    n, c = size["n_segments"], size["n_classes"]
    cfg = _cfg(size["n_features"], c, n)
    net = official.network.Network(cfg)
    _set_width(net, size["hidden_size"])
    net.train()
    criterion = official.loss.BackTALLoss(cfg)
    optimizer = torch.optim.Adam(net.parameters(), lr=size["lr"], betas=(0.9, 0.999),
                                 weight_decay=5e-4)
    rng = np.random.default_rng(0)

    def step(videos, labels, clicks):
        with cpu_cuda():
            x, cl = _batch(videos, clicks, n, c, True, rng)
            outs = net(x.transpose(1, 2), is_train=True)
            cost, _ = criterion(cfg, *outs, labels, cl, None)
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()

    estimator = BackTAL(n_segments=n, hidden_size=size["hidden_size"], lr=size["lr"],
                        batch_size=size["batch_size"], n_classes=c)
    return step, estimator, "background"
