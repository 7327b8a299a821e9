"""compare_official adapter: BaSNet-pytorch (Lee et al.) against ``sktal.BaSNet``.

``load`` imports ``model.py``, ``train.py`` and ``utils.py`` from the given checkout;
the only run-time patches are ``Tensor.cuda`` (identity on CPU), the CAS head's width
(the official module hard-codes 2048; the budget's ``hidden_size`` replaces it) and the
data feeding (sktal's resampled arrays instead of the official data loader).
"""
import contextlib
import importlib
import sys
import time
import types

import numpy as np
import torch
from torch import nn

from sktal import BaSNet
from sktal._resampling import interpolate_rows, source_positions
from sktal.postprocessing import cas_to_detections
from sktal.metrics import detection_map
from sktal.nn import minmax_normalize

NAME = "BaS-Net"
OPTION = "basnet"
#: official test.py / config.py settings
ACT_THRESHOLDS = np.arange(0.0, 0.25, 0.025)
CLASS_THRESHOLD, NMS_THRESHOLD, SCALE, WEIGHT_DECAY = 0.25, 0.7, 24, 5e-4
#: THUMOS14 feature rate: the official code works in seconds (16 frames a snippet at
#: 25 fps); its NMS adds 1 to lengths in those units, so the unit matters
FEATURE_FPS, SNIPPET_FRAMES = 25, 16


@contextlib.contextmanager
def cpu_cuda():
    """``tensor.cuda()`` returns the tensor (the official code calls it in the loss)."""
    original = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    try:
        yield
    finally:
        torch.Tensor.cuda = original


def _patch_numpy_aliases():
    for alias, value in (("float", float), ("int", int), ("bool", bool)):
        if not hasattr(np, alias):
            setattr(np, alias, value)


def load(checkout):
    """Import the official modules from ``checkout`` (added to ``sys.path``)."""
    _patch_numpy_aliases()
    sys.path.insert(0, str(checkout))
    try:
        names = ("model", "train", "utils")
        for name in names + ("config",):
            sys.modules.pop(name, None)
        mods = {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(checkout))
    return types.SimpleNamespace(**mods)


def _set_width(net, hidden):
    """Replace the CAS head's hard-coded 2048 channels by ``hidden`` (same layers)."""
    cas = net.cas_module
    old1, old2, old3 = cas.conv_1[0], cas.conv_2[0], cas.conv_3[0]
    cas.conv_1[0] = nn.Conv1d(old1.in_channels, hidden, 3, stride=1, padding=1)
    cas.conv_2[0] = nn.Conv1d(hidden, hidden, 3, stride=1, padding=1)
    cas.conv_3[0] = nn.Conv1d(hidden, old3.out_channels, 1, stride=1, padding=0,
                              bias=False)


def _inputs(videos, n_segments, training, rng):
    return torch.from_numpy(np.stack([
        interpolate_rows(v, source_positions(len(v), n_segments, "perturb",
                                             training=training, rng=rng))
        for v in videos
    ]).astype(np.float32))


def official_postprocess(utils, cas_supp, score_supp, length, n_segments,
                         any_check=True):
    """test.py's loop for one video -> sktal rows ``[start, end, class, score]``.

    ``any_check=False`` replaces test.py's ``if pred.any()`` (false when the only kept
    class is class 0) by ``if pred.size`` to measure what that check costs.
    """
    score_np = score_supp[:-1].copy()
    score_np[score_np < CLASS_THRESHOLD] = 0
    score_np[score_np >= CLASS_THRESHOLD] = 1
    pred = np.where(score_np > CLASS_THRESHOLD)[0]
    rows = []
    if (pred.any() if any_check else pred.size):  # test.py: drops a class-0-only video
        cas = utils.minmax_norm(torch.from_numpy(cas_supp[None]))[0].numpy()
        cas_pred = np.reshape(cas[:, pred], (n_segments, -1, 1))
        cas_pred = utils.upgrade_resolution(cas_pred, SCALE)
        proposal_dict = {}
        for threshold in ACT_THRESHOLDS:
            cas_temp = cas_pred.copy()
            cas_temp[np.where(cas_temp[:, :, 0] < threshold)] = 0
            seg_list = [np.where(cas_temp[:, c, 0] > 0) for c in range(len(pred))]
            proposals = utils.get_proposal_oic(seg_list, cas_temp, score_np, pred, SCALE,
                                               length, FEATURE_FPS, n_segments)
            for per_class in proposals:
                for p in per_class:
                    proposal_dict.setdefault(p[0], []).append(p)
        for class_id, props in proposal_dict.items():
            to_snippets = FEATURE_FPS / SNIPPET_FRAMES  # seconds -> snippets
            for c, s, t0, t1 in utils.nms(props, NMS_THRESHOLD):
                rows.append([t0 * to_snippets, t1 * to_snippets, c, s])
    return np.asarray(rows, dtype=float).reshape(-1, 4)


def sktal_postprocess(cas_supp, score_supp, length, binarised_gamma=False, clip=True):
    scores = score_supp[:-1]
    if binarised_gamma:  # BaS-Net's test.py passes the 0/1 class decision as score
        scores = (scores >= CLASS_THRESHOLD).astype(float)
    # clip=False: cas_to_detections' own min-max, unclipped like test.py's minmax_norm
    cas = (minmax_normalize(torch.from_numpy(cas_supp[None, :, :-1]))[0].numpy()
           if clip else cas_supp[:, :-1])
    return cas_to_detections(
        cas, scores, normalize=not clip, class_threshold=CLASS_THRESHOLD,
        class_fallback=None, nms_threshold=NMS_THRESHOLD, output_length=length,
    )


def _map(suite, detections):
    return float(detection_map(suite.segments_test, detections,
                               n_classes=suite.n_classes).mAP.mean())


def _outputs(forward, suite, n_segments):
    x = _inputs(suite.X_test, n_segments, False, None)
    with torch.no_grad():
        return forward(x)


def run(official, suite, seed, budget):
    n, lengths = budget["n_segments"], [len(v) for v in suite.X_test]
    # ---- official net + loss, fed the same resampled videos
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = official.model.BaS_Net(suite.X_train[0].shape[1], suite.n_classes, n)
    _set_width(net, budget["hidden_size"])
    criterion = official.train.BaS_Net_loss(1e-4)
    optimizer = torch.optim.Adam(net.parameters(), lr=budget["lr"], betas=(0.9, 0.999),
                                 weight_decay=WEIGHT_DECAY)
    labels = torch.from_numpy(np.asarray(suite.y_train, dtype=np.float32))
    start = time.perf_counter()
    with cpu_cuda():
        for _ in range(budget["max_epochs"]):
            net.train()
            order = rng.permutation(len(suite.X_train))
            for b in range(0, len(order), budget["batch_size"]):
                idx = order[b:b + budget["batch_size"]]
                x = _inputs([suite.X_train[i] for i in idx], n, True, rng)
                score_base, _, score_supp, _, weights = net(x)
                cost, _ = criterion(score_base, score_supp, weights, labels[idx])
                optimizer.zero_grad()
                cost.backward()
                optimizer.step()
    official_s = (time.perf_counter() - start) / budget["max_epochs"]
    net.eval()
    _, _, off_score, off_cas, _ = _outputs(net, suite, n)
    off_cas, off_score = off_cas.numpy(), off_score.numpy()
    # ---- sktal
    est = BaSNet(n_segments=n, hidden_size=budget["hidden_size"],
                 max_epochs=budget["max_epochs"], lr=budget["lr"],
                 batch_size=budget["batch_size"], random_state=seed)
    est.fit(suite.X_train, suite.y_train)
    sktal_s = float(np.mean(est.history_[:, "dur"]))
    module = est.net_.module_.eval()
    out = _outputs(lambda x: module(x=x), suite, n)
    skt_cas, skt_score = out["cas_supp"].numpy(), out["score_supp"].numpy()
    utils = official.utils
    return dict(
        official_map=_map(suite, [official_postprocess(utils, off_cas[i], off_score[i], L, n)
                                  for i, L in enumerate(lengths)]),
        sktal_map=_map(suite, est.predict(suite.X_test)),
        official_s_per_epoch=official_s,
        sktal_s_per_epoch=sktal_s,
        cross={
            "official post-processing, sktal CAS": _map(suite, [
                official_postprocess(utils, skt_cas[i], skt_score[i], L, n)
                for i, L in enumerate(lengths)]),
            "sktal post-processing, official CAS": _map(suite, [
                sktal_postprocess(off_cas[i], off_score[i], L)
                for i, L in enumerate(lengths)]),
            "sktal post-processing + binary gamma, official CAS": _map(suite, [
                sktal_postprocess(off_cas[i], off_score[i], L, binarised_gamma=True)
                for i, L in enumerate(lengths)]),
            "sktal post-processing, no clipping, official CAS": _map(suite, [
                sktal_postprocess(off_cas[i], off_score[i], L, clip=False)
                for i, L in enumerate(lengths)]),
            "official post-processing without pred.any(), official CAS": _map(suite, [
                official_postprocess(utils, off_cas[i], off_score[i], L, n,
                                     any_check=False)
                for i, L in enumerate(lengths)]),
        },
    )


def timing_step(official, size):
    """compare_official's timing hook: one official training step (the feeding of
    :func:`run`, the official BaS-Net, its loss, Adam as in its config) and the
    sktal estimator of the same shapes."""
    n = size["n_segments"]
    net = official.model.BaS_Net(size["n_features"], size["n_classes"], n)
    _set_width(net, size["hidden_size"])
    net.train()
    criterion = official.train.BaS_Net_loss(1e-4)
    optimizer = torch.optim.Adam(net.parameters(), lr=size["lr"], betas=(0.9, 0.999),
                                 weight_decay=WEIGHT_DECAY)
    rng = np.random.default_rng(0)

    def step(videos, labels, clicks):
        with cpu_cuda():
            x = _inputs(videos, n, True, rng)
            score_base, _, score_supp, _, weights = net(x)
            cost, _ = criterion(score_base, score_supp, weights, labels)
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()

    estimator = BaSNet(n_segments=n, hidden_size=size["hidden_size"], lr=size["lr"],
                       batch_size=size["batch_size"], n_classes=size["n_classes"])
    return step, estimator, None
