"""Every sktal method under its supervision, over seeds, with the papers' ablations.

Rows of the main table (method × supervision)::

    BaSNet          video labels
    TEN             video labels
    BackTAL         video labels + background clicks
    FSPTAL          video labels + action points (one click per instance)
    BackTAL         video labels + background clicks + action points

Suites (``--suite``):

``synthetic``
    :func:`sktal.datasets.make_temporal_actions` with strong action-context
    confusion (each class's context is strong in the appearance half and present in
    the background around its instances; half of the instances have an action-like
    run-up); clicks simulated with :func:`sktal.datasets.simulate_clicks` (action
    points from a Gaussian around the instance centre, as THUMOS14's
    ``action_points.csv``). Each seed draws its own dataset.
``thumos``
    The 200 real THUMOS14 validation timelines (``gt_val.json``) with the real human
    background clicks of one annotator (``--annotator``, BackTAL's files) and the real
    action points (``action_points.csv``, LACP / FS-PTAL), and *synthetic* features
    generated on those timelines (``make_temporal_actions(segments=, lengths=)``,
    features seeded per seed).
``features``
    Real features (``--features DIR --layout ...``, any layout of
    :func:`sktal.datasets.load_dataset`): the same rows on real THUMOS14 I3D features,
    printed beside the papers' numbers. With ``--test-annotations`` the test videos
    are another split (the papers train on validation and test on test); otherwise the
    videos of ``--annotations`` are split as in the other suites.

Videos are split into train and test by video with a seeded permutation
(``--test-size``); every row of a seed sees the same split and the same clicks.

Two protocols, both reported and labelled:

``clean``
    the model after the fixed budget of ``--max-epochs``; our number.
``paper``
    the best test-set mAP among evaluations every ``--eval-every`` epochs (and the
    last), selected by the average mAP over tIoU 0.1:0.7, as the official
    repositories keep their best test checkpoint. Optimistic by construction; it is
    only for comparison with published figures. The evaluations run inside the same
    training run from a skorch callback, under a forked torch/NumPy random state and
    with the network back in training mode afterwards, so the clean number is the one
    a run without evaluations gives.

Ablations (``--ablations``): BackTAL Tables 6 and 7, TEN Tables 3 and 4, FS-PTAL
Table 2, as parameter settings of the estimators (see their docstrings' Notes). A
row whose switch an estimator lacks is printed as such, never approximated.

Usage (from the repository root)::

    python benchmarks/run_methods.py --quick                  # smoke test
    python benchmarks/run_methods.py                          # defaults (see --help)
    python benchmarks/run_methods.py --features /data/thumos14_i3d --layout rgb_flow \
        --annotations gt.json --subset validation --test-annotations gt.json \
        --test-subset test --feature-fps 25
"""
import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

import sktal  # noqa: E402
from sktal._registry import LOCALIZERS, get_localizer  # noqa: E402
from sktal.datasets import (  # noqa: E402
    load_clicks,
    load_dataset,
    make_temporal_actions,
    simulate_clicks,
)
from sktal.metrics import DEFAULT_TIOU_THRESHOLDS, detection_map  # noqa: E402

THUMOS_DIR = os.path.join(ROOT, os.pardir, "shared", "data", "thumos14")
#: the weak localizers; the fully supervised ceiling is benchmarks/bench_refinement.py's
METHODS = tuple(n for n in LOCALIZERS if get_localizer(n).supervision != "segments")
AVERAGES = (("0.1:0.5", slice(0, 5)), ("0.3:0.7", slice(2, 7)), ("0.1:0.7", slice(0, 7)))

#: strong action-context confusion (make_temporal_actions' defaults, spelled out)
CONFUSION = dict(context_scale=(4.0, 1.0), context_floor=0.2, context_width=8.0,
                 runup_prob=0.5, runup_scale=0.5, action_scale=(1.0, 2.0))

SUPERVISION = {
    "video": "video labels",
    "background": "+ background clicks",
    "action": "+ action points",
    "both": "+ bg clicks + points",
}

#: THUMOS14 mAP (%) at tIoU 0.1 ... 0.7 as published (None: not reported):
#: (method, supervision) -> (short source, values)
PAPER = {
    ("BaSNet", "video"): ("BaS-Net AAAI'20 T1", [58.2, 52.3, 44.6, 36.0, 27.0, 18.6, 10.4]),
    ("TEN", "video"): ("TEN+BGES MM'22 T1", [69.7, 64.5, 58.1, 49.9, 39.6, 27.3, 14.2]),
    ("BackTAL", "background"): ("BackTAL TPAMI T1",
                                [None, None, 54.4, 45.5, 36.3, 26.2, 14.8]),
    ("FSPTAL", "action"): ("FS-PTAL T1", [79.1, 74.6, 68.6, 61.0, 50.7, 38.9, 24.2]),
    ("BackTAL", "both"): ("not reported", [None] * 7),
}
PAPER_NOTES = [
    "paper rows: THUMOS14 I3D features, trained on the 200 validation videos, tested on "
    "the 210-213 test videos, best test checkpoint (the 'paper' protocol)",
    "full BackTAL with both click kinds is not reported; BackTAL Table 6 gives 36.8 "
    "mAP@0.5 for the baseline with both clicks (frame loss only)",
]


@dataclass(frozen=True)
class Row:
    """One configuration: an estimator, its supervision and parameter overrides."""

    label: str
    method: str
    supervision: str
    params: tuple = ()
    paper: object = None  # the paper's value of the table's metric (float) or None

    def key(self):
        return (self.method, self.supervision, self.params)

    def describe(self):
        if not self.params:
            return "defaults"
        return ", ".join(f"{k}={v!r}" for k, v in self.params)


def _p(**params):
    return tuple(sorted(params.items()))


MAIN_ROWS = [
    Row("BaSNet", "BaSNet", "video"),
    Row("TEN", "TEN", "video"),
    Row("BackTAL", "BackTAL", "background"),
    Row("FSPTAL", "FSPTAL", "action"),
    Row("BackTAL", "BackTAL", "both"),
]

_BT_BASE = _p(frame_loss_weight=0.0, lambda_sep=0.0, affinity=False)
_BT_CLICK = _p(lambda_sep=0.0, affinity=False)


@dataclass
class Table:
    """A paper's ablation table as rows of parameter settings."""

    name: str
    title: str
    method: str
    metric: str  # "0.5" for mAP@0.5, or an average's name
    rows: list
    notes: list = field(default_factory=list)


ABLATIONS = {
    "backtal7": Table(
        "backtal7", "BackTAL Table 7 (modules)", "BackTAL", "0.5",
        [Row("baseline (BaS-Net, interp.)", "BackTAL", "video", _BT_BASE, 28.6),
         Row("+ background click", "BackTAL", "background", _BT_CLICK, 35.0),
         Row("+ score separation", "BackTAL", "background", _p(affinity=False), 35.6),
         Row("+ affinity module", "BackTAL", "background", _p(lambda_sep=0.0), 35.8),
         Row("+ both (full BackTAL)", "BackTAL", "background", (), 36.3),
         Row("affinity without L_aff", "BackTAL", "background",
             _p(lambda_sep=0.0, beta_aff=0.0), 35.1)],
        ["the paper's last row (35.1) is quoted in its text, not in Table 7"]),
    "backtal6": Table(
        "backtal6", "BackTAL Table 6 (click kinds, frame loss only)", "BackTAL", "0.5",
        [Row("baseline", "BackTAL", "video", _BT_BASE, 28.6),
         Row("+ action click", "BackTAL", "action", _BT_CLICK, 29.1),
         Row("+ background click", "BackTAL", "background", _BT_CLICK, 35.0),
         Row("+ action & background click", "BackTAL", "both", _BT_CLICK, 36.8)],
        ["the paper's action clicks are SF-Net's (one random frame per instance); "
         "here they are the action points of the suite"]),
    "ten3": Table(
        "ten3", "TEN Table 3 (components)", "TEN", "0.3:0.7",
        [Row("BL", "TEN", "video", _p(tcb=False, background_strategy="none"), 31.2),
         Row("BL+BGES", "TEN", "video", _p(tcb=False), 34.5),
         Row("TEN", "TEN", "video", _p(background_strategy="none"), 34.7),
         Row("TEN+BGES", "TEN", "video", (), 37.8)],
        ["TEN's equations were reconstructed from the text (see the TEN docstring)"]),
    "ten4": Table(
        "ten4", "TEN Table 4 (gradient modification)", "TEN", "0.3:0.7",
        [Row("BL", "TEN", "video", _p(tcb=False, background_strategy="none"), 31.2),
         Row("TEN", "TEN", "video", _p(background_strategy="none"), 34.7),
         Row("BL+GRL", "TEN", "video", _p(tcb=False, background_strategy="grl"), 32.5),
         Row("TEN+GRL", "TEN", "video", _p(background_strategy="grl"), 34.3),
         Row("BL+BVL", "TEN", "video", _p(tcb=False, background_strategy="bvl"), 34.0),
         Row("TEN+BVL", "TEN", "video", _p(background_strategy="bvl"), 35.2),
         Row("TEN+BVL+BGES", "TEN", "video", _p(background_strategy="bvl+bges"), 37.5)],
        ["lambda_bvl (weight of L_bvl) is not given in the paper: 0.1 here",
         "TEN Table 5 (L_att / L_kl loss types) has no switch in sktal.TEN: not run",
         "TEN Table 6 (sampling interval 2..5) is reachable with interval=, not run"]),
    "fsptal2": Table(
        "fsptal2", "FS-PTAL Table 2 (modules A-D)", "FSPTAL", "0.1:0.7",
        [Row("w/o A label extension", "FSPTAL", "action", _p(label_extension=False), 54.8),
         Row("w/o B pseudo-label mining", "FSPTAL", "action", _p(label_mining=False), 49.3),
         Row("w/o C score contrast", "FSPTAL", "action", _p(lambda_score=0.0), 52.5),
         Row("w/o D feature separation", "FSPTAL", "action",
             _p(feature_separation=False), 51.6),
         Row("full FS-PTAL", "FSPTAL", "action", (), 56.7)],
        ["FS-PTAL Table 7 (original vs optimised OIC loss) has no switch in "
         "sktal.FSPTAL: not run"]),
}


# --------------------------------------------------------------------------- data
@dataclass
class Split:
    """One seed's train/test data of a suite."""

    X_train: list
    y_train: np.ndarray
    clicks: dict  # supervision -> list of (k_i, 2) arrays of the training videos
    X_test: list
    truth: list
    n_classes: int
    n_rgb_features: object


def _split_indices(n_videos, test_size, seed):
    order = np.random.default_rng(seed).permutation(n_videos)
    n_test = int(round(test_size * n_videos))
    if not 0 < n_test < n_videos:
        raise ValueError(f"--test-size {test_size} leaves no train or no test video "
                         f"among {n_videos}")
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _merge_clicks(*click_lists):
    merged = []
    for parts in zip(*click_lists):
        both = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in parts])
        merged.append(both[np.argsort(both[:, 0], kind="stable")])
    return merged


def _take(sequence, indices):
    return [sequence[i] for i in indices]


def synthetic_split(args, seed):
    data = make_temporal_actions(n_videos=args.n_videos, n_classes=args.n_classes,
                                 n_features=args.n_features, random_state=seed,
                                 **CONFUSION)
    train, test = _split_indices(len(data.X), args.test_size, seed)
    segments, lengths = _take(data.segments, train), data.lengths[train]
    background = simulate_clicks(segments, lengths, kind="background", random_state=seed)
    action = simulate_clicks(segments, lengths, kind="action",
                             action_distribution="gaussian", random_state=seed)
    return Split(_take(data.X, train), data.y[train],
                 {"video": None, "background": background, "action": action,
                  "both": _merge_clicks(background, action)},
                 _take(data.X, test), _take(data.segments, test), data.y.shape[1],
                 data.n_rgb_features)


class ThumosTimelines:
    """Real THUMOS14 validation timelines and clicks, synthetic features per seed."""

    def __init__(self, args):
        folder = args.data_dir
        background = os.path.join(
            folder, f"THUMOS14_Background-Click-Annotation_{args.annotator}.txt")
        self.data = load_dataset(os.path.join(folder, "gt_val.json"), clicks=background,
                                 clip_clicks=True)
        self.points = load_clicks(os.path.join(folder, "action_points.csv"), self.data,
                                  clip=True)
        n = len(self.data.lengths)
        if args.thumos_videos and args.thumos_videos < n:  # a seeded subset, fixed
            keep = np.sort(np.random.default_rng(12345).permutation(n)[:args.thumos_videos])
        else:
            keep = np.arange(n)
        self.keep = keep
        self.description = (
            f"{len(keep)} THUMOS14 validation timelines (gt_val.json), real background "
            f"clicks of annotator {args.annotator} "
            f"({sum(len(self.data.clicks[i]) for i in keep)} clicks), real action points "
            f"({sum(len(self.points[i]) for i in keep)}), synthetic features "
            f"(D={args.n_features}) generated on the timelines")

    def split(self, args, seed):
        d, keep = self.data, self.keep
        segments, lengths = _take(d.segments, keep), d.lengths[keep]
        feats = make_temporal_actions(segments=segments, lengths=lengths,
                                      n_classes=len(d.class_names),
                                      n_features=args.n_features, random_state=seed,
                                      **CONFUSION)
        train, test = _split_indices(len(keep), args.test_size, seed)
        background = _take(_take(d.clicks, keep), train)
        action = _take(_take(self.points, keep), train)
        return Split(_take(feats.X, train), d.y[keep][train],
                     {"video": None, "background": background, "action": action,
                      "both": _merge_clicks(background, action)},
                     _take(feats.X, test), _take(segments, test), len(d.class_names),
                     feats.n_rgb_features)


class RealFeatures:
    """Real features in any layout of load_dataset, real clicks."""

    def __init__(self, args):
        common = dict(layout=args.layout, snippet_frames=args.snippet_frames,
                      feature_fps=args.feature_fps, clip_clicks=True)
        background = os.path.join(
            args.data_dir, f"THUMOS14_Background-Click-Annotation_{args.annotator}.txt")
        points = os.path.join(args.data_dir, "action_points.csv")
        self.train = load_dataset(args.annotations, args.features, subset=args.subset,
                                  clicks=background, **common)
        self.points = load_clicks(points, self.train, clip=True,
                                  ignore_videos=self.train.get("excluded_video_ids", ()))
        self.test = None
        if args.test_annotations:
            self.test = load_dataset(args.test_annotations,
                                     args.test_features or args.features,
                                     subset=args.test_subset,
                                     class_names=self.train.class_names, **common)
        where = (f"test on {len(self.test.X)} videos of {args.test_annotations}"
                 if self.test is not None else
                 f"split by video ({args.test_size:.0%} test)")
        self.description = (
            f"real features {args.features} (layout {self.train.layout}, "
            f"D={self.train.X[0].shape[1]}), train on {len(self.train.X)} videos of "
            f"{args.annotations}, {where}; background clicks {args.annotator}, "
            f"action points action_points.csv")

    def split(self, args, seed):
        d = self.train
        n_classes = len(d.class_names)
        if self.test is not None:
            train = np.arange(len(d.X))
            X_test, truth = list(self.test.X), list(self.test.segments)
        else:
            train, test = _split_indices(len(d.X), args.test_size, seed)
            X_test, truth = _take(d.X, test), _take(d.segments, test)
        background, action = _take(d.clicks, train), _take(self.points, train)
        return Split(_take(d.X, train), d.y[train],
                     {"video": None, "background": background, "action": action,
                      "both": _merge_clicks(background, action)},
                     X_test, truth, n_classes, d.n_rgb_features)


# ---------------------------------------------------------------------- training
class EvaluateEvery(Callback):
    """Call ``evaluate(epoch)`` every ``every`` epochs (the "paper" protocol).

    ``evaluate`` is a plain function: the estimator deep-copies its callbacks, and a
    function is copied by reference, so the results reach the caller.
    """

    def __init__(self, every, evaluate):
        self.every = every
        self.evaluate = evaluate

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if self.every and epoch % self.every == 0:
            self.evaluate(epoch)


def _budget(args):
    """Parameters every estimator gets (where it has them); None: its default."""
    budget = dict(n_segments=args.n_segments, hidden_size=args.hidden_size,
                  max_epochs=args.max_epochs, lr=args.lr, batch_size=args.batch_size,
                  device=args.device)
    return {k: v for k, v in budget.items() if v is not None}


def build(row, args, split, seed, callbacks=()):
    """The estimator of a row, or a string saying why it cannot be built."""
    try:
        cls = getattr(sktal, row.method)
    except (AttributeError, ImportError) as exc:
        return f"n/a: sktal.{row.method} is not importable ({exc})"
    known = cls().get_params()
    missing = [name for name, _ in row.params if name not in known]
    if missing:
        return f"n/a: {row.method} has no parameter {', '.join(missing)}"
    params = {k: v for k, v in _budget(args).items() if k in known}
    if "embedding_hidden_size" in known and args.hidden_size is not None:
        params["embedding_hidden_size"] = min(512, args.hidden_size)
    if "n_rgb_features" in known and split.n_rgb_features:
        params["n_rgb_features"] = split.n_rgb_features
    if "n_classes" in known:
        params["n_classes"] = split.n_classes
    params.update(dict(row.params))
    params.update(random_state=seed, callbacks=list(callbacks))
    return cls(**params)


def _evaluate(est, split):
    return detection_map(split.truth, est.predict(split.X_test),
                         DEFAULT_TIOU_THRESHOLDS, n_classes=split.n_classes).mAP


def fit_row(row, args, split, seed):
    """Train one row on one seed; returns a result dict (clean and paper protocols)."""
    evaluations = []
    holder = {}
    cuda = str(args.device).startswith("cuda") or (
        args.device in (None, "auto") and torch.cuda.is_available())

    def evaluate(epoch):
        start = time.perf_counter()
        numpy_state = np.random.get_state()
        devices = [torch.cuda.current_device()] if cuda else []
        with torch.random.fork_rng(devices=devices):
            mAP = _evaluate(holder["est"], split)
        np.random.set_state(numpy_state)
        evaluations.append((epoch, mAP))
        holder["eval_seconds"] = holder.get("eval_seconds", 0.0) + (
            time.perf_counter() - start)

    callbacks = [("paper_protocol", EvaluateEvery(args.eval_every, evaluate))]
    est = build(row, args, split, seed, callbacks)
    result = {"row": row.label, "method": row.method, "supervision": row.supervision,
              "params": dict(row.params), "seed": seed}
    if isinstance(est, str):
        return dict(result, error=est)
    validate = getattr(est, "_validate_params", None)  # BaseLocalizer's check at fit
    if validate is not None:
        try:
            validate()
        except (ValueError, TypeError) as exc:  # a parameter value the method rejects
            return dict(result, error=f"n/a: {type(exc).__name__}: {exc}")
    holder["est"] = est
    clicks = split.clicks[row.supervision]
    start = time.perf_counter()
    est.fit(split.X_train, split.y_train, clicks=clicks)
    seconds = time.perf_counter() - start - holder.get("eval_seconds", 0.0)
    clean = _evaluate(est, split)
    epochs = len(est.history_)
    candidates = [(e, m) for e, m in evaluations if e != epochs] + [(epochs, clean)]
    best_epoch, best = max(candidates, key=lambda em: (em[1].mean(), -em[0]))
    return dict(result, clean=clean.tolist(), paper=best.tolist(), best_epoch=best_epoch,
                epochs=epochs, evaluated_epochs=[e for e, _ in candidates],
                fit_seconds=seconds)


# ------------------------------------------------------------------------ report
def _cell(values):
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        return f"{'-':>11}"
    return f"{np.nanmean(values):5.1f} ±{np.nanstd(values):4.1f}"


def _columns(maps):
    """(n_seeds, 7) fractions -> 10 columns of percent (7 thresholds + 3 averages)."""
    maps = 100 * np.asarray(maps, dtype=float)
    cols = [maps[:, i] for i in range(maps.shape[1])]
    cols += [maps[:, s].mean(axis=1) for _, s in AVERAGES]
    return cols


def _header(first, width):
    names = [f"@{t:.1f}" for t in DEFAULT_TIOU_THRESHOLDS] + [n for n, _ in AVERAGES]
    return f"{first:<{width}}" + "".join(f"{n:>12}" for n in names)


def _metric(maps, metric):
    maps = 100 * np.asarray(maps, dtype=float)
    if metric == "0.5":
        return maps[:, 4]
    return maps[:, dict(AVERAGES)[metric]].mean(axis=1)


def _paper_columns(values):
    vals = [np.nan if v is None else v for v in values]
    avgs = [float(np.mean(vals[s])) for _, s in AVERAGES]  # NaN when a value is missing
    return "".join(f"{'-':>12}" if np.isnan(v) else f"{v:>12.1f}" for v in vals + avgs)


def print_main(suite, results, rows, seeds, protocol, show_paper):
    width = 38
    label = {
        "clean": f"protocol clean: the model after the fixed budget (mAP %, mean ± std "
                 f"over seeds {list(seeds)})",
        "paper": "protocol paper: best test-set evaluation during training, selected "
                 "by avg 0.1:0.7 (optimistic; for comparison with published numbers)",
    }[protocol]
    print(f"\n[{suite}] {label}")
    extra = f"{'fit s':>8}" if protocol == "clean" else f"{'best ep':>9}"
    print(_header("method (supervision)", width) + extra)
    for row in rows:
        runs = [r for r in results if r["key"] == row.key()]
        name = f"{row.label} ({SUPERVISION[row.supervision]})"
        errors = [r["error"] for r in runs if "error" in r]
        if errors or not runs:
            print(f"{name:<{width}}{errors[0] if errors else 'not run'}")
            continue
        cells = "".join(f" {_cell(c)}" for c in _columns([r[protocol] for r in runs]))
        if protocol == "clean":
            tail = f"{np.mean([r['fit_seconds'] for r in runs]):8.1f}"
        else:
            tail = f"{np.mean([r['best_epoch'] for r in runs]):9.1f}"
        print(f"{name:<{width}}{cells}{tail}")
        if show_paper and (row.method, row.supervision) in PAPER:
            source, values = PAPER[(row.method, row.supervision)]
            print(f"{'  paper: ' + source:<{width}}{_paper_columns(values)}")
    if show_paper:
        for note in PAPER_NOTES:
            print(f"  note: {note}")


def print_ablation(suite, table, results, seeds):
    metric = "mAP@0.5" if table.metric == "0.5" else f"avg mAP {table.metric}"
    print(f"\n[{suite}] {table.title}: {metric} (%), mean ± std over seeds "
          f"{list(seeds)}; paper = THUMOS14 I3D as published")
    print(f"{'row':<30}{'parameters':<58}{'clean':>13}{'paper prot.':>13}"
          f"{'avg 0.1:0.7':>13}{'paper':>7}")
    for row in table.rows:
        runs = [r for r in results if r["key"] == row.key()]
        params = row.describe() + ("" if row.supervision == "video"
                                   else f" [{SUPERVISION[row.supervision][2:]}]")
        errors = [r["error"] for r in runs if "error" in r]
        if errors or not runs:
            print(f"{row.label:<30}{params:<58}  {errors[0] if errors else 'not run'}")
            continue
        clean = [r["clean"] for r in runs]
        paper = [r["paper"] for r in runs]
        ref = f"{row.paper:7.1f}" if row.paper is not None else f"{'-':>7}"
        print(f"{row.label:<30}{params:<58}{_cell(_metric(clean, table.metric)):>13}"
              f"{_cell(_metric(paper, table.metric)):>13}"
              f"{_cell(_metric(clean, '0.1:0.7')):>13}{ref}")
    for note in table.notes:
        print(f"  note: {note}")


# -------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke configuration (one seed, seconds)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", default=",".join(METHODS),
                        help="comma-separated estimator names")
    parser.add_argument("--suite", default=None,
                        help="comma-separated: synthetic, thumos, features (default: "
                             "synthetic,thumos; features alone with --features)")
    parser.add_argument("--ablations", default="all",
                        help=f"'all', 'none' or comma-separated of {', '.join(ABLATIONS)}")
    parser.add_argument("--ablation-suites", default=None,
                        help="suites on which the ablations run (default: the first)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="epochs (default 40; each method's own with --features)")
    parser.add_argument("--hidden-size", type=int, default=None,
                        help="width of the temporal convolutions (default 64; the "
                             "paper's 2048 with --features)")
    parser.add_argument("--n-segments", type=int, default=None,
                        help="snippets per resampled video (default 128; 750 with "
                             "--features)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate of every method (default 1e-3; each "
                             "method's own with --features)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="videos per batch (default 8; 16 with --features)")
    parser.add_argument("--eval-every", type=int, default=5,
                        help="epochs between test evaluations (paper protocol)")
    parser.add_argument("--n-videos", type=int, default=100, help="synthetic videos")
    parser.add_argument("--n-classes", type=int, default=5, help="synthetic classes")
    parser.add_argument("--n-features", type=int, default=64,
                        help="synthetic feature width D")
    parser.add_argument("--thumos-videos", type=int, default=None,
                        help="use a fixed random subset of the 200 THUMOS14 timelines")
    parser.add_argument("--test-size", type=float, default=0.4,
                        help="fraction of the videos held out for testing")
    parser.add_argument("--annotator", default="A1", choices=("A1", "A2", "A3"),
                        help="THUMOS14 background-click annotator")
    parser.add_argument("--data-dir", default=THUMOS_DIR,
                        help="folder of gt_val.json, the click files, action_points.csv")
    parser.add_argument("--features", default=None, help="real feature folder/file")
    parser.add_argument("--layout", default="auto",
                        choices=("auto", "rgb_flow", "joint", "npz", "object_array"))
    parser.add_argument("--annotations", default=None,
                        help="annotations of the real features (default gt_val.json)")
    parser.add_argument("--subset", default=None, help="subset of --annotations")
    parser.add_argument("--test-annotations", default=None,
                        help="annotations of separate test videos (e.g. THUMOS14 test)")
    parser.add_argument("--test-subset", default=None)
    parser.add_argument("--test-features", default=None,
                        help="features of the test videos (default: --features)")
    parser.add_argument("--feature-fps", type=float, default=None,
                        help="fps of feature extraction (BaS-Net/LACP THUMOS14: 25)")
    parser.add_argument("--snippet-frames", type=int, default=16)
    parser.add_argument("--device", default="cpu", help="torch device ('auto', 'cuda')")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--out", default=None, help="write every run to this JSON file")
    args = parser.parse_args(argv)

    if args.suite is None:
        args.suite = "features" if args.features else "synthetic,thumos"
    args.suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    for s in args.suites:
        if s not in ("synthetic", "thumos", "features"):
            parser.error(f"unknown suite {s!r}")
    if "features" in args.suites and not args.features:
        parser.error("--suite features needs --features DIR")
    if args.annotations is None:
        args.annotations = os.path.join(args.data_dir, "gt_val.json")
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in args.methods:
        if m not in METHODS:
            parser.error(f"unknown method {m!r}; choose among {', '.join(METHODS)}")
    if args.ablations == "all":
        args.ablations = list(ABLATIONS)
    elif args.ablations == "none":
        args.ablations = []
    else:
        args.ablations = [a.strip() for a in args.ablations.split(",") if a.strip()]
        for a in args.ablations:
            if a not in ABLATIONS:
                parser.error(f"unknown ablation {a!r}; choose among {', '.join(ABLATIONS)}")
    args.ablation_suites = (args.suites[:1] if args.ablation_suites is None else
                            [s.strip() for s in args.ablation_suites.split(",")])
    real = args.suites == ["features"]
    defaults = (dict(max_epochs=None, hidden_size=None, n_segments=None, lr=None,
                     batch_size=None) if real else
                dict(max_epochs=40, hidden_size=64, n_segments=128, lr=1e-3,
                     batch_size=8))
    if args.quick:
        defaults.update(max_epochs=2, hidden_size=8, n_segments=32, lr=1e-3, batch_size=4)
        args.seeds = args.seeds[:1]
        args.eval_every = 1
        args.n_videos = 12
        args.thumos_videos = args.thumos_videos or 12
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def _suite(name, args):
    if name == "synthetic":
        description = (f"make_temporal_actions(n_videos={args.n_videos}, n_classes="
                       f"{args.n_classes}, n_features={args.n_features}, strong "
                       f"context confusion {CONFUSION}) per seed, simulated clicks")
        return description, lambda seed: synthetic_split(args, seed)
    if name == "thumos":
        timelines = ThumosTimelines(args)
        return timelines.description, lambda seed: timelines.split(args, seed)
    features = RealFeatures(args)
    return features.description, lambda seed: features.split(args, seed)


def _warm_up(methods, device):
    """One tiny fit per method, so one-time costs do not land in the first timing."""
    data = make_temporal_actions(n_videos=4, n_classes=2, n_features=8, random_state=0)
    clicks = simulate_clicks(data.segments, data.lengths, kind="both", random_state=0)
    for name in methods:
        try:
            cls = getattr(sktal, name)
        except (AttributeError, ImportError):
            continue
        known = cls().get_params()
        params = dict(n_segments=16, hidden_size=4, max_epochs=1, batch_size=2,
                      device=device, random_state=0)
        if "embedding_hidden_size" in known:
            params["embedding_hidden_size"] = 4
        cls(**{k: v for k, v in params.items() if k in known}).fit(
            data.X, data.y, clicks=clicks)


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # tables and stderr progress in order
    torch.set_num_threads(args.threads)
    if str(args.device).startswith("cuda") or args.device == "auto":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    started = time.perf_counter()
    budget = _budget(args)
    print(f"sktal {sktal.__version__}, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch thread(s), device {args.device}")
    print(f"budget (every method, where it has the parameter): "
          f"{budget or 'each method default'}; paper protocol: test evaluation every "
          f"{args.eval_every} epochs; test split {args.test_size:.0%} of videos by video "
          f"(seeded); seeds {args.seeds}")

    _warm_up(args.methods, args.device)
    main_rows = [r for r in MAIN_ROWS if r.method in args.methods]
    tables = [ABLATIONS[a] for a in args.ablations if ABLATIONS[a].method in args.methods]
    records = []
    for suite in args.suites:
        try:
            description, make_split = _suite(suite, args)
        except (FileNotFoundError, OSError) as exc:
            print(f"\n[{suite}] skipped: {exc}")
            continue
        print(f"\n[{suite}] {description}")
        if suite == "features" and not args.test_annotations:
            print(f"[{suite}] note: tested on held-out videos of --annotations, not on the "
                  f"papers' test split: pass --test-annotations for the papers' protocol")
        rows = list(main_rows)
        if suite in args.ablation_suites:
            rows += [r for t in tables for r in t.rows]
        unique = {}
        for row in rows:  # a configuration shared by several tables is trained once
            unique.setdefault(row.key(), row)
        unique = list(unique.values())
        suite_results = []
        for seed in args.seeds:
            split = make_split(seed)
            for row in unique:
                result = fit_row(row, args, split, seed)
                result.update(suite=suite, key=row.key())
                suite_results.append(result)
                status = result.get("error") or (
                    f"clean {100 * np.mean(result['clean']):5.1f}  paper "
                    f"{100 * np.mean(result['paper']):5.1f} (ep {result['best_epoch']})"
                    f"  {result['fit_seconds']:.1f} s")
                print(f"  [{suite}] seed {seed} {row.label:<28} {row.supervision:<10} "
                      f"{row.describe()[:40]:<40} {status}", file=sys.stderr, flush=True)
        for protocol in ("clean", "paper"):
            print_main(suite, suite_results, main_rows, args.seeds, protocol,
                       show_paper=suite == "features")
        if suite in args.ablation_suites:
            for table in tables:
                print_ablation(suite, table, suite_results, args.seeds)
        records += suite_results
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"config": {k: v for k, v in vars(args).items()},
                       "runs": [{k: v for k, v in r.items() if k != "key"}
                                for r in records]}, fh, indent=1, default=str)
        print(f"\nruns written to {args.out}")
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
