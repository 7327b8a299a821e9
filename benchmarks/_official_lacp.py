"""compare_official adapter: the official LACP code (Lee & Byun) against ``sktal.FSPTAL``.

LACP is the method FS-PTAL builds on, so sktal's side is FS-PTAL: whole (the
``sktal`` column) and in LACP's configuration: its four additions switched off
(``ADDITIONS_OFF``: ``label_extension=False, label_mining=False, lambda_score=0,
feature_separation=False``; module B off falls back to LACP's seed mining) plus
LACP's completeness loss on its optimal-sequence pseudo labels (``LACP_PIECES``:
``lambda_completeness=1``). Each is trained at each video's native length
(``n_segments=None``) as LACP trains and tests, and at the budget's ``n_segments``
(cross rows); one more row adds LACP's video loss form and its 0.5 action point
weight (``LACP_LOSS``). The cross rows also score LACP's ``test.py`` post-processing
on sktal's scores (both configurations) and sktal's post-processing on LACP's
scores, which tells a gap in training from one in inference. A line per seed is
printed as soon as the seed is done (the whole run takes long).

``load`` imports ``model.py``, ``train.py``, ``search.py`` (with ``decode.py`` and
``grammar.py``) and ``utils.py`` from the checkout; nothing is copied. The official
training step (``train.train``: one video at a time at native length, the loss summed
over ``batch_size`` videos, one Adam step), its loss (``train.Total_loss``: video BCE,
focal point losses on the action points and the background seeds of
``utils.select_seed``, completeness and feature losses on the pseudo labels) and its
optimal-sequence search (``search.optimal_sequence_search``, every ``search_freq``
steps) are called as they are. Run-time patches only: ``Tensor.cuda`` is the identity
(CPU), the hard-coded 2048 channels of the first convolution become the budget's
``hidden_size``, the search's ``joblib.Parallel(n_jobs=16)`` runs with one job (the
benchmark machine's cores are shared), and the data loader is a stand-in that feeds
sktal's arrays in the official tuple layout. The post-processing is ``test.py``'s loop
(kept here because ``test.py`` writes JSON and runs its own evaluator) over the
official ``utils.upgrade_resolution``, ``get_proposal_oic`` and ``nms``.
"""
import importlib
import sys
import time
import types

import numpy as np
import torch
from torch import nn
from torch.utils import data as tdata

from _official_basnet import _map, _patch_numpy_aliases, cpu_cuda
from sktal import FSPTAL

NAME = "LACP"
OPTION = "lacp"
#: ``--sktal-only`` is supported: sktal's rows without the (slow) official training
SKTAL_ONLY = True
#: official options.py / config.py (THUMOS14)
LAMBDAS, SEARCH_FREQ, SEARCH_BUDGET, R_ACT = [1, 0.5, 1, 1, 1], 10, 25, 8
CLASS_THRESHOLD, SCALE, NMS_THRESHOLD, WEIGHT_DECAY, FEATURE_FPS = 0.5, 24, 0.7, 5e-4, 25
ACT_THRESH_CAS = np.arange(0.0, 0.25, 0.025)
ACT_THRESH_AGNOSTIC = np.arange(0.5, 0.725, 0.025)
#: FS-PTAL with its four additions (modules A-D) switched off
ADDITIONS_OFF = dict(label_extension=False, label_mining=False, lambda_score=0.0,
                     feature_separation=False)
#: LACP's pieces that FS-PTAL's Eq. 15 does not have (on top of its mining, which
#: ``fallback_mining='lacp'`` restores when module B is off)
LACP_PIECES = dict(lambda_completeness=1.0)
#: the rest of LACP's loss that sktal has as parameters: its video loss form and its
#: 0.5 weight on the action point loss (its feature contrast loss is not in sktal)
LACP_LOSS = dict(video_loss="lacp", point_action_weight=0.5)
_MODULES = ("model", "train", "search", "decode", "grammar", "utils", "config")


class _OneJob:
    """``joblib.Parallel`` with ``n_jobs`` forced to 1 (the search's 16 workers)."""

    def __init__(self, n_jobs=None, **kwargs):
        import joblib
        self._parallel = joblib.Parallel(n_jobs=1, **kwargs)

    def __call__(self, iterable):
        return self._parallel(iterable)


def load(checkout):
    """Import the official modules from ``checkout`` (added to ``sys.path``)."""
    _patch_numpy_aliases()
    sys.path.insert(0, str(checkout))
    try:
        for name in _MODULES:
            sys.modules.pop(name, None)
        mods = {name: importlib.import_module(name)
                for name in ("model", "train", "search", "utils")}
    finally:
        sys.path.remove(str(checkout))
        for name in _MODULES:  # other adapters import modules of the same names
            sys.modules.pop(name, None)
    mods["search"].Parallel = _OneJob
    return types.SimpleNamespace(**mods)


def _set_width(net, hidden):
    """Replace the first convolution's hard-coded 2048 channels by ``hidden``."""
    cls = net.cls_module
    old = cls.conv_1[0]
    cls.conv_1[0] = nn.Conv1d(old.in_channels, hidden, 3, stride=1, padding=1)
    cls.classifier[0] = nn.Conv1d(hidden, cls.classifier[0].out_channels, 1, stride=1,
                                  padding=0, bias=False)


class _Videos(tdata.Dataset):
    """The official ``ThumosFeature`` tuple from sktal arrays, at native length.

    ``(index, features (T, D), video label (C,), point labels (T, C), stored_info,
    name, T)``; ``stored_info_all`` is filled by the official search. A click at
    timestep ``t`` marks snippet ``floor(t)`` (the official ``int(point * t_factor)``).
    """

    def __init__(self, videos, labels, clicks, n_classes):
        self.videos = [torch.from_numpy(np.asarray(v, dtype=np.float32)) for v in videos]
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.float32))
        self.points = []
        for v, c in zip(videos, clicks):
            anno = np.zeros((len(v), n_classes), dtype=np.float32)
            c = np.asarray(c, dtype=float).reshape(-1, 2)
            c = c[c[:, 1] >= 0]
            anno[np.clip(c[:, 0].astype(int), 0, len(v) - 1), c[:, 1].astype(int)] = 1
            self.points.append(torch.from_numpy(anno))
        self.stored_info_all = {"new_dense_anno": [-1] * len(videos),
                                "sequence_score": [-1] * len(videos)}

    def __len__(self):
        return len(self.videos)

    def __getitem__(self, i):
        info = {k: v[i] for k, v in self.stored_info_all.items()}
        return i, self.videos[i], self.labels[i], self.points[i], info, str(i), \
            len(self.videos[i])


def official_postprocess(utils, fused, vid_score, length):
    """``test.py``'s loop for one video -> sktal rows ``[start, end, class, score]``.

    ``fused`` (T, C + 1): ``cas_sigmoid_fuse`` (class scores times ``1 - b``, then
    ``b``); ``vid_score`` (C,); ``length``: the video's own number of snippets (the
    official ``vid_num_seg``; ``T`` may differ when the scores are resampled).
    """
    n = len(fused)
    agnostic = 1 - fused[:, -1:]
    cas = fused[:, :-1]
    pred = np.where(vid_score >= CLASS_THRESHOLD)[0]
    if len(pred) == 0:
        pred = np.array([np.argmax(vid_score)])
    cas_pred = utils.upgrade_resolution(np.reshape(cas[:, pred], (n, -1, 1)), SCALE)
    agn = np.repeat(agnostic, len(pred), axis=1)
    agn = utils.upgrade_resolution(np.reshape(agn, (n, -1, 1)), SCALE)
    proposal_dict = {}

    for threshold in ACT_THRESH_CAS:
        cas_temp = cas_pred.copy()
        cas_temp[np.where(cas_temp[:, :, 0] < threshold)] = 0
        seg_list = [np.where(cas_temp[:, c, 0] > 0) for c in range(len(pred))]
        for props in utils.get_proposal_oic(seg_list, cas_temp, vid_score, pred, SCALE,
                                            length, FEATURE_FPS, n):
            proposal_dict.setdefault(props[0][0], []).extend(props)
    for threshold in ACT_THRESH_AGNOSTIC:
        agn_temp = agn.copy()
        agn_temp[np.where(agn_temp[:, :, 0] < threshold)] = 0
        seg_list = [np.where(agn_temp[:, c, 0] > 0) for c in range(len(pred))]
        for props in utils.get_proposal_oic(seg_list, cas_pred.copy(), vid_score, pred,
                                            SCALE, length, FEATURE_FPS, n):
            proposal_dict.setdefault(props[0][0], []).extend(props)
    rows = []
    to_snippets = FEATURE_FPS / 16  # the official code works in seconds at 25 fps
    for props in proposal_dict.values():
        for c, s, t0, t1 in utils.nms(props, thresh=NMS_THRESHOLD):
            rows.append([t0 * to_snippets, t1 * to_snippets, c, s])
    return np.asarray(rows, dtype=float).reshape(-1, 4)


def _action_clicks(suite):
    clicks = suite.action_clicks_train
    if clicks is None:
        raise ValueError(f"suite {suite.name!r}: LACP needs action clicks "
                         "(action_clicks_train is None)")
    return clicks


def train_official(official, suite, seed, budget):
    """The official LACP training on the suite; returns the net and seconds per epoch."""
    clicks = _action_clicks(suite)
    torch.manual_seed(seed)
    np.random.seed(seed)
    n_features, n_classes = suite.X_train[0].shape[1], suite.n_classes
    net = official.model.Model(n_features, n_classes, R_ACT)
    _set_width(net, budget["hidden_size"])
    criterion = official.train.Total_loss(LAMBDAS)
    optimizer = torch.optim.Adam(net.parameters(), lr=budget["lr"], betas=(0.9, 0.999),
                                 weight_decay=WEIGHT_DECAY)
    dataset = _Videos(suite.X_train, suite.y_train, clicks, n_classes)
    loader = tdata.DataLoader(dataset, batch_size=1, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))
    config = types.SimpleNamespace(batch_size=budget["batch_size"], num_workers=0,
                                   budget=SEARCH_BUDGET)
    logger = types.SimpleNamespace(log_value=lambda *args, **kwargs: None)
    steps_per_epoch = max(1, len(dataset) // budget["batch_size"])
    search_freq = 1 if budget.get("quick") else SEARCH_FREQ  # quick: run the search too
    start = time.perf_counter()
    with cpu_cuda():
        for step in range(1, budget["max_epochs"] * steps_per_epoch + 1):
            if (step - 1) % steps_per_epoch == 0:
                loader_iter = iter(loader)
            official.train.train(net, config, loader_iter, optimizer, criterion, logger,
                                 step)
            if step % search_freq == 0:
                official.search.optimal_sequence_search(net, config, logger, loader)
    seconds = (time.perf_counter() - start) / budget["max_epochs"]
    return net.eval(), seconds


def official_outputs(net, videos):
    """``(cas_sigmoid_fuse (T, C + 1), vid_score (C,))`` per video, native length."""
    out = []
    with torch.no_grad():
        for v in videos:
            vid_score, fused, _ = net(torch.from_numpy(np.asarray(v, np.float32))[None])
            out.append((fused[0].numpy().astype(np.float64),
                        vid_score[0].numpy().astype(np.float64)))
    return out


def sktal_outputs(est, videos):
    """sktal's FSPTAL scores in the official layout, at the estimator's resolution."""
    out = []
    for r in est._infer(videos):
        fused = np.concatenate([r["cas"], 1 - r["agnostic"][:, None]], axis=1)
        out.append((fused, r["video_scores"]))
    return out


def sktal_detections(est, fused, vid_score, length):
    """sktal's FSPTAL post-processing on scores in the official layout."""
    return est._detections({"cas": fused[:, :-1], "video_scores": vid_score,
                            "agnostic": 1 - fused[:, -1]}, length)


def fit_sktal(suite, seed, budget, **params):
    est = FSPTAL(hidden_size=budget["hidden_size"], max_epochs=budget["max_epochs"],
                 progress=None,
                 lr=budget["lr"], batch_size=budget["batch_size"], random_state=seed,
                 embedding_hidden_size=min(512, 8 * budget["hidden_size"]))
    est.set_params(**{"n_segments": None, **params})
    est.fit(suite.X_train, suite.y_train, clicks=_action_clicks(suite))
    return est


def run(official, suite, seed, budget):
    """One seed: LACP's code, FS-PTAL whole and in LACP's configuration, each at
    native length and at the budget's ``n_segments``, and the cross rows."""
    lengths = [len(v) for v in suite.X_test]
    utils = official.utils
    n = budget["n_segments"]
    if budget.get("sktal_only"):
        official_s, off, official_map = float("nan"), None, float("nan")
    else:
        net, official_s = train_official(official, suite, seed, budget)
        off = official_outputs(net, suite.X_test)
        official_map = _map(suite, [official_postprocess(utils, f, s, L)
                                    for (f, s), L in zip(off, lengths)])
    fits = {}
    for key, params in (("whole", {}), ("lacp", dict(ADDITIONS_OFF, **LACP_PIECES))):
        for steps in (None, n):
            fits[key, steps] = fit_sktal(suite, seed, budget, n_segments=steps, **params)
    fits["lacp loss", None] = fit_sktal(suite, seed, budget, **ADDITIONS_OFF,
                                        **LACP_PIECES, **LACP_LOSS)
    whole, lacp = fits["whole", None], fits["lacp", None]
    cross = {
        "sktal FSPTAL LACP configuration (additions off + LACP pieces)":
            _map(suite, lacp.predict(suite.X_test)),
        f"sktal FSPTAL LACP configuration, n_segments={n}":
            _map(suite, fits["lacp", n].predict(suite.X_test)),
        "sktal FSPTAL LACP configuration + LACP video loss, action weight 0.5":
            _map(suite, fits["lacp loss", None].predict(suite.X_test)),
        f"sktal FSPTAL whole, n_segments={n}":
            _map(suite, fits["whole", n].predict(suite.X_test)),
    }
    for label, est in (("LACP configuration", lacp), ("whole", whole)):
        cross[f"official post-processing, sktal CAS ({label})"] = _map(suite, [
            official_postprocess(utils, f, s, L)
            for (f, s), L in zip(sktal_outputs(est, suite.X_test), lengths)])
    cross["sktal post-processing, official CAS"] = float("nan") if off is None else _map(
        suite, [sktal_detections(whole, f, s, L) for (f, s), L in zip(off, lengths)])
    result = dict(
        official_map=official_map,
        sktal_map=_map(suite, whole.predict(suite.X_test)),
        official_s_per_epoch=official_s,
        sktal_s_per_epoch=float(np.mean(whole.history_[:, "dur"])),
        cross=cross,
    )
    result["lacp_configuration_s_per_epoch"] = float(np.mean(lacp.history_[:, "dur"]))
    print(f"  [LACP {suite.name} seed {seed}] official {100 * official_map:.1f} | "
          + " | ".join(f"{k} {100 * v:.1f}" for k, v in
                       [("sktal whole", result["sktal_map"])] + list(cross.items()))
          + f" | s/epoch sktal LACP configuration "
            f"{result['lacp_configuration_s_per_epoch']:.2f}", flush=True)
    return result


def timing_step(official, size):
    """compare_official's timing hook: one official training step and the sktal
    estimator of the same shapes.

    The step is ``train.train`` as :func:`train_official` calls it (one video at a
    time through the official network and ``Total_loss``, the summed cost over the
    batch, Adam as in the official options) on a :class:`_Videos` loader of the batch.
    Its optimal-sequence search (every ``SEARCH_FREQ`` steps, over the whole training
    set) is not timed, so its loss is the one before the first search: video BCE and
    the focal point losses on the action clicks and the mined background seeds. The
    sktal side is :class:`~sktal.FSPTAL` with the same terms, i.e. its four additions
    off (``ADDITIONS_OFF``; LACP's seed mining) and no completeness loss.
    """
    n_classes = size["n_classes"]
    net = official.model.Model(size["n_features"], n_classes, R_ACT)
    _set_width(net, size["hidden_size"])
    criterion = official.train.Total_loss(LAMBDAS)
    optimizer = torch.optim.Adam(net.parameters(), lr=size["lr"], betas=(0.9, 0.999),
                                 weight_decay=WEIGHT_DECAY)
    logger = types.SimpleNamespace(log_value=lambda *args, **kwargs: None)
    counter = [0]

    def step(videos, labels, clicks):
        counter[0] += 1
        dataset = _Videos(videos, labels.numpy(), clicks, n_classes)
        config = types.SimpleNamespace(batch_size=len(videos), num_workers=0,
                                       budget=SEARCH_BUDGET)
        with cpu_cuda():
            official.train.train(net, config, iter(tdata.DataLoader(dataset, batch_size=1)),
                                 optimizer, criterion, logger, counter[0])

    estimator = FSPTAL(n_segments=size["n_segments"], hidden_size=size["hidden_size"],
                       lr=size["lr"], batch_size=size["batch_size"], n_classes=n_classes,
                       **ADDITIONS_OFF)
    return step, estimator, "action"


#: compare_official also times this adapter at native length (``n_segments=None``,
#: each video at its own length, as LACP trains) on the suites' ragged timelines:
#: the same ``timing_step``, with the estimator's ``n_segments`` None
NATIVE_LENGTH = True
