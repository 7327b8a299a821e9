"""Every sktal method under its supervision, over seeds, with the papers' ablations.

Rows of the main table (method × supervision)::

    BaSNet          video labels
    TEN             video labels
    BackTAL         video labels + background clicks
    FSPTAL          video labels + action points (one click per instance)
    FSPTAL          the same, its four additions off + LACP's completeness loss
                    (the LACP configuration FS-PTAL improves on)
    BackTAL         video labels + background clicks + action points

The default budget (``REDUCED_BUDGET``, per suite ``SUITE_BUDGET``) is the reduced one
of docs/benchmarks.rst: width 64, dropout 0.3, learning rate 1e-3, batch 8; 128
snippets and 40 epochs on the synthetic suite, 384 snippets and 30 epochs on the
THUMOS timelines; a method's own on a suite (``METHOD_BUDGET``): TEN 20 epochs on the
synthetic suite. With ``--features`` each method keeps its own.

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
``ten-synthetic``
    The data of the former ``bench_ten.py``: :func:`sktal.datasets.make_temporal_actions`
    with stronger action-context confusion (``STRONG_CONFUSION``: context norm 6 in
    the appearance half), clicks simulated as in ``synthetic``; the *last* ``--test-size`` of the videos
    are the test videos (the videos are i.i.d. draws, so this is a random split, and
    it is the one that script used). ``--preset ten-zones`` runs it with that
    script's budget.
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

Tables of every suite, each printed by :func:`print_table`:

* the main table under both protocols;
* the avg mAP 0.1:0.7 of every main row at each evaluated epoch (the paper
  protocol's evaluations: the ranking of the methods depends on the training length);
* the mean attention of the training videos over the epochs in three zones: inside
  the ground truth, in the *near* background (outside, at most ``--near-snippets``
  snippets from an instance: where the generator puts the class context strongest
  and the run-ups) and in the *far* background, for the rows whose network outputs
  an attention (TEN: a collapse of the attention, or a background that is not held
  down next to the actions, shows there; ``--attention-every``);
* the ablations (``--ablations``, on ``--ablation-suites``): every table of the
  localizers' ``_paper_tables`` (BaS-Net Table 2, TEN Tables 3 and 4, BackTAL
  Table 7, FS-PTAL Table 2, read with :func:`sktal._docs.paper_table_rows`), BackTAL
  Table 6, and tables that are not in a paper (``ten-variants``, ``ten-zones``,
  ``fsptal-fidelity``; only when named). A row whose switch an estimator lacks is
  printed as such, never approximated;
* with ``--refinement``, two-stage training: each main row's estimator inside
  :class:`sktal.PseudoLabelRefiner` (same first-stage budget and seed), its
  pseudo-labels' precision / recall at tIoU 0.5 against the training ground truth,
  and :class:`sktal.SegmentDetector` with full supervision as the ceiling; then,
  per seed, each row's first stage -> refined avg mAP 0.1:0.7 and the ceiling's
  margin over the best first stage (``--orderings JSON`` reprints these tables).

Usage (from the repository root)::

    python benchmarks/run_methods.py --quick                  # smoke test
    python benchmarks/run_methods.py                          # defaults (see --help)
    python benchmarks/run_methods.py --refinement --ablations none   # two-stage rows
    python benchmarks/run_methods.py --preset ten-zones       # TEN's BGES readings
    python benchmarks/run_methods.py --features /data/thumos14_i3d --layout rgb_flow \
        --annotations gt.json --subset validation --test-annotations gt.json \
        --test-subset test --feature-fps 25
"""
import argparse
import dataclasses
import json
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402

import sktal  # noqa: E402
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:  # loaded by path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _official_lacp import ADDITIONS_OFF, LACP_PIECES  # noqa: E402
from sktal._docs import paper_table_rows, signature_defaults  # noqa: E402
from sktal._registry import LOCALIZERS, get_localizer  # noqa: E402
from sktal.datasets import (  # noqa: E402
    load_clicks,
    load_dataset,
    make_temporal_actions,
    simulate_clicks,
)
from sktal.metrics import (  # noqa: E402
    DEFAULT_TIOU_THRESHOLDS,
    detection_map,
    detection_precision_recall,
    map_averages,
)

THUMOS_DIR = os.path.join(ROOT, os.pardir, "shared", "data", "thumos14")
#: the weak localizers; the fully supervised one is the ceiling of --refinement
METHODS = tuple(n for n in LOCALIZERS if get_localizer(n).supervision != "segments")
#: the averages of the tables: sktal.metrics.map_averages over the default thresholds
AVERAGES = tuple(label for label, _ in map_averages(DEFAULT_TIOU_THRESHOLDS,
                                                    DEFAULT_TIOU_THRESHOLDS))

#: strong action-context confusion (make_temporal_actions' defaults, spelled out)
CONFUSION = dict(context_scale=(4.0, 1.0), context_floor=0.2, context_width=8.0,
                 runup_prob=0.5, runup_scale=0.5, action_scale=(1.0, 2.0))

#: the former bench_ten.py's stronger confusion (the ``ten-synthetic`` suite)
STRONG_CONFUSION = dict(context_scale=(6.0, 2.0), context_floor=0.3, context_width=8.0,
                        runup_prob=0.5)

#: the attention's near background: outside the ground truth, at most this many
#: snippets from an instance (the generator's context width); --near-snippets
NEAR_SNIPPETS = 8

#: defaults of the options a preset may set (None on the parser, resolved in parse_args)
_OPTION_DEFAULTS = dict(methods=",".join(METHODS), ablations="all", eval_every=10,
                        n_videos=200, test_size=0.4)

#: option sets (--preset): values of the options they name, unless given
PRESETS = {
    # the data and budget of the former bench_ten.py, TEN's BGES rows (ten-zones)
    "ten-zones": dict(suite="ten-synthetic", methods="TEN", ablations="ten-zones",
                      n_videos=120, test_size=1 / 3, n_segments=96, hidden_size=96,
                      max_epochs=30, lr=1e-3, batch_size=16, dropout="default",
                      eval_every=0),
}

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


def row(label, method, supervision=None, paper=None, **params):
    """A :class:`Row` whose parameters are those that differ from ``method``'s defaults,
    so that one configuration has one key whichever table spells it (and is trained
    once per seed). ``supervision`` defaults to the method's own."""
    cls = get_localizer(method)
    defaults = signature_defaults(cls)
    changed = {k: v for k, v in params.items()  # a switch the method lacks stays,
               if k in _BUDGET or k not in defaults  # and build() says so
               or not _same(v, defaults[k])}
    return Row(label, method, supervision or (cls.supervision or "video"),
               tuple(sorted(changed.items())), paper)


#: parameters the run's budget sets (see build): a row that sets one keeps it
_BUDGET = ("n_segments", "hidden_size", "dropout", "max_epochs", "lr", "batch_size",
           "device", "embedding_hidden_size", "n_rgb_features", "n_classes",
           "lr_decay_step")


def _same(value, default):
    return type(value) is type(default) and value == default


MAIN_ROWS = [
    Row("BaSNet", "BaSNet", "video"),
    Row("TEN", "TEN", "video"),
    Row("BackTAL", "BackTAL", "background"),
    Row("FSPTAL", "FSPTAL", "action"),
    # FS-PTAL's four additions off with LACP's completeness loss: LACP's training,
    # the configuration FS-PTAL claims to improve on (compare_official's --lacp rows)
    row("FSPTAL, LACP config.", "FSPTAL", **ADDITIONS_OFF, **LACP_PIECES),
    Row("BackTAL", "BackTAL", "both"),
]


@dataclass
class Table:
    """An ablation table as rows of parameter settings."""

    name: str
    title: str
    method: str
    metric: str  # "0.5" for mAP@0.5, or an average's name
    rows: list
    notes: list = field(default_factory=list)
    in_all: bool = True  # run by --ablations all (the papers' tables)


def _table_metric(text):
    """'mAP@0.5 (THUMOS14)' -> '0.5', 'avg mAP@0.3:0.7 (%)' -> '0.3:0.7'."""
    found = re.search(r"(\d\.\d+(?::\d\.\d+)?)", text)
    metric = found.group(1) if found else None
    if metric != "0.5" and metric not in AVERAGES:
        raise ValueError(f"paper table metric {text!r}: expected mAP@0.5 or one of the "
                         f"averages {AVERAGES}")
    return metric


def metric_value(mAP, metric):
    """``metric`` ('0.5' or an average's name) of one mAP curve over the default
    thresholds."""
    if metric == "0.5":
        return float(mAP[list(DEFAULT_TIOU_THRESHOLDS).index(0.5)])
    return dict(map_averages(DEFAULT_TIOU_THRESHOLDS, mAP))[metric]


def _published(value, metric):
    """A paper's number for the table's metric: as given, or from its tIoU columns."""
    if value is None or np.ndim(value) == 0:
        return value
    return metric_value(np.asarray(value, dtype=float), metric)


def paper_rows(method, table, *, labels=None, supervision=()):
    """:class:`Row` s of ``method._paper_tables[table]`` (``labels``: only those, in
    that order); ``supervision``: label -> supervision where it is not the method's."""
    cls = get_localizer(method)
    metric = _table_metric(cls._paper_tables[table]["metric"])
    rows = {label: (params, published)
            for label, params, published in paper_table_rows(cls, table)}
    supervision = dict(supervision)
    unknown = [label for label in [*(labels or ()), *supervision] if label not in rows]
    if unknown:
        raise KeyError(f"{method}._paper_tables[{table!r}] has no row {unknown[0]!r}; "
                       f"it has {list(rows)}")
    return [row(label, method, supervision.get(label), _published(rows[label][1], metric),
                **rows[label][0])
            for label in (labels or rows)]


#: what a paper table needs here besides its rows: rows without clicks, reference rows
#: of another table, notes
_PAPER_TABLE_EXTRAS = {
    ("BackTAL", "Table 7"): dict(
        supervision={"baseline (BaS-Net, interpolation)": "video"},
        notes=["the paper's last row (35.1) is quoted in its text, not in Table 7"]),
    ("TEN", "Table 3"): dict(
        notes=["TEN's equations were reconstructed from the text (see the TEN docstring)"]),
    ("TEN", "Table 4"): dict(
        reference=("Table 3", ["BL", "TEN"]),
        notes=["lambda_bvl (weight of L_bvl) is not given in the paper: 0.1 here",
               "TEN Table 5 (L_att / L_kl loss types) has no switch in sktal.TEN: not run",
               "TEN Table 6 (sampling interval 2..5) is reachable with interval=, not run"]),
    ("FSPTAL", "Table 2"): dict(
        notes=["FS-PTAL Table 7 (original vs optimised OIC loss) has no switch in "
               "sktal.FSPTAL: not run"]),
}


def _paper_tables():
    """One :class:`Table` per entry of the weak localizers' ``_paper_tables``."""
    tables = {}
    for method in METHODS:
        cls = get_localizer(method)
        for table, spec in (getattr(cls, "_paper_tables", None) or {}).items():
            extras = _PAPER_TABLE_EXTRAS.get((method, table), {})
            supervision = extras.get("supervision", {})
            rows = []
            if "reference" in extras:
                other, labels = extras["reference"]
                rows += paper_rows(method, other, labels=labels, supervision=supervision)
            rows += paper_rows(method, table, supervision=supervision)
            name = method.lower() + table.split()[-1]
            tables[name] = Table(name, f"{method} {table} ({spec['caption']})", method,
                                 _table_metric(spec["metric"]), rows,
                                 list(extras.get("notes", ())))
    return tables


def _backtal_table6():
    """BackTAL Table 6 (not in ``BackTAL._paper_tables``: its rows differ by click kind,
    which a parameter setting does not say): Table 7's rows with the action points."""
    base, click = paper_rows("BackTAL", "Table 7",
                             labels=["baseline (BaS-Net, interpolation)",
                                     "+ background click"],
                             supervision={"baseline (BaS-Net, interpolation)": "video"})
    return Table(
        "backtal6", "BackTAL Table 6 (click kinds, frame loss only)", "BackTAL", "0.5",
        [base, dataclasses.replace(click, label="+ action click", supervision="action",
                                   paper=29.1),
         click, dataclasses.replace(click, label="+ action & background click",
                                    supervision="both", paper=36.8)],
        ["the paper's action clicks are SF-Net's (one random frame per instance); "
         "here they are the action points of the suite"])


def _local_tables():
    """Settings that are not in a paper: run only when named in --ablations."""
    return [
        Table("ten-variants", "TEN reconstruction variants (not in the paper)", "TEN",
              "0.3:0.7",
              [row("BL+BGES, 'bges_shrink' (1st recon.)", "TEN", tcb=False,
                   background_strategy="bges_shrink", score_pooling="probabilities"),
               row("TEN+BGES, 'bges_exact'", "TEN", background_strategy="bges_exact"),
               row("TEN+BGES, N_fg = sum A", "TEN", foreground_normalizer="attention"),
               row("TEN, logit pooling", "TEN", background_strategy="none",
                   score_pooling="logits"),
               row("TEN+BGES, logit pooling", "TEN", score_pooling="logits")],
              in_all=False),
        Table("ten-zones", "TEN's BGES under each reading, the former bench_ten "
              "budget (dropout 0.5; not in the paper)", "TEN", "0.3:0.7",
              _ten_zones_rows(), in_all=False),
        Table("fsptal-fidelity", "FS-PTAL fidelity readings (issue 16)", "FSPTAL",
              "0.1:0.7",
              [row("earlier (mean, attention)", "FSPTAL", video_loss_reduction="mean",
                   foreground_confidence="attention"),
               row("video loss summed only", "FSPTAL", video_loss_reduction="sum",
                   foreground_confidence="attention"),
               row("FAC confidence only (defaults)", "FSPTAL"),
               row("summed + FAC (Eq. 2-3)", "FSPTAL", video_loss_reduction="sum"),
               row("native length", "FSPTAL", n_segments=None)],
              in_all=False),
        Table("fsptal-lacp", "FS-PTAL against its LACP configuration, one difference "
              "at a time (issue 16)", "FSPTAL", "0.1:0.7", _fsptal_lacp_rows(),
              ["the LACP configuration: " + ", ".join(
                  f"{k}={v!r}" for k, v in {**ADDITIONS_OFF, **LACP_PIECES}.items()),
               "with --ablations fsptal2 too, the whole row minus one module (Table 2)"],
              in_all=False),
        Table("fsptal-mining", "FS-PTAL whole with Alg. 2's thresholds at LACP's "
              "(issue 16)", "FSPTAL", "0.1:0.7",
              [row("FS-PTAL whole (defaults)", "FSPTAL"),
               row("gamma_act 0.1 (LACP's)", "FSPTAL", action_threshold=0.1),
               row("gamma_bkg 0.95 (LACP's)", "FSPTAL", background_threshold=0.95),
               row("both at LACP's", "FSPTAL", action_threshold=0.1,
                   background_threshold=0.95)],
              ["LACP's select_seed: background at b >= 0.95, pseudo action points at "
               "b <= 0.1 (benchmarks/fsptal_mining.py scores both rules' labels)"],
              in_all=False),
    ]


def _fsptal_lacp_rows():
    """FS-PTAL whole, whole with LACP's completeness loss, the LACP configuration
    (``ADDITIONS_OFF`` + ``LACP_PIECES``) and that configuration with one of FS-PTAL's
    modules A-D switched back on: the five settings in which the two main rows differ,
    one at a time from the LACP side (``fsptal2`` removes them one at a time from the
    whole side)."""
    lacp = {**ADDITIONS_OFF, **LACP_PIECES}
    modules = [("A label extension", "label_extension"), ("B mining", "label_mining"),
               ("C score contrast", "lambda_score"),
               ("D feature separation", "feature_separation")]
    defaults = signature_defaults(get_localizer("FSPTAL"))
    return [row("FS-PTAL whole (defaults)", "FSPTAL"),
            row("whole + LACP completeness", "FSPTAL", **LACP_PIECES),
            row("LACP configuration", "FSPTAL", **lacp),
            *(row(f"LACP config. + {name}", "FSPTAL",
                  **{**lacp, key: defaults[key]}) for name, key in modules)]


def _ten_zones_rows():
    """BL / BL+BGES / TEN / TEN+BGES (Table 3's rows), then the readings of BGES that
    the attention zones are compared under (logit pooling; the exact gradient with the
    foreground normalised by the attention; the first reconstruction, 'bges_shrink';
    a stronger adversary)."""
    base = {"BL": dict(tcb=False, background_strategy="none"), "BL+BGES": dict(tcb=False),
            "TEN": dict(background_strategy="none"), "TEN+BGES": {}}
    readings = [("", {}, base),
                (", logits", dict(score_pooling="logits"), base),
                (", exact, N_fg = sum A",
                 dict(background_strategy="bges_exact", foreground_normalizer="attention"),
                 ("BL+BGES", "TEN+BGES")),
                (", 'bges_shrink'", dict(background_strategy="bges_shrink"), ("BL+BGES",)),
                (", alpha 0.3", dict(alpha_bg=0.3), ("BL", "BL+BGES")),
                (", alpha 1", dict(alpha_bg=1.0), ("BL", "BL+BGES"))]
    return [row(name + suffix, "TEN", dropout=0.5, **{**base[name], **extra})
            for suffix, extra, names in readings for name in names]


def _ablations():
    tables = _paper_tables()
    ordered = {}
    for name, table in tables.items():
        ordered[name] = table
        if name == "backtal7":
            ordered["backtal6"] = _backtal_table6()
    for table in _local_tables():
        ordered[table.name] = table
    return ordered


ABLATIONS = _ablations()



# --------------------------------------------------------------------------- data
@dataclass
class Split:
    """One seed's train/test data of a suite."""

    X_train: list
    y_train: np.ndarray
    clicks: dict  # supervision -> list of (k_i, 2) arrays of the training videos
    X_test: list
    truth: list
    train_truth: list  # segments of the training videos (ceiling, pseudo-label scores)
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


def _split_with_clicks(data, train, test, seed):
    """A synthetic dataset split by index, with simulated clicks on the training videos."""
    segments, lengths = _take(data.segments, train), data.lengths[train]
    background = simulate_clicks(segments, lengths, kind="background", random_state=seed)
    action = simulate_clicks(segments, lengths, kind="action",
                             action_distribution="gaussian", random_state=seed)
    return Split(_take(data.X, train), data.y[train],
                 {"video": None, "background": background, "action": action,
                  "both": _merge_clicks(background, action)},
                 _take(data.X, test), _take(data.segments, test), segments,
                 data.y.shape[1], data.n_rgb_features)


def synthetic_split(args, seed):
    data = make_temporal_actions(n_videos=args.n_videos, n_classes=args.n_classes,
                                 n_features=args.n_features, random_state=seed,
                                 **CONFUSION)
    train, test = _split_indices(len(data.X), args.test_size, seed)
    return _split_with_clicks(data, train, test, seed)


def ten_synthetic_split(args, seed):
    """The former bench_ten.py's data: the last ``--test-size`` of the videos test."""
    data = make_temporal_actions(n_videos=args.n_videos, n_classes=args.n_classes,
                                 n_features=args.n_features, random_state=seed,
                                 **STRONG_CONFUSION)
    n_test = int(round(args.test_size * len(data.X)))
    if not 0 < n_test < len(data.X):
        raise ValueError(f"--test-size {args.test_size} leaves no train or no test video "
                         f"among {len(data.X)}")
    train = np.arange(len(data.X) - n_test)
    test = np.arange(len(data.X) - n_test, len(data.X))
    return _split_with_clicks(data, train, test, seed)


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
                     _take(feats.X, test), _take(segments, test), _take(segments, train),
                     len(d.class_names), feats.n_rgb_features)


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
                     X_test, truth, _take(d.segments, train), n_classes,
                     d.n_rgb_features)


# ---------------------------------------------------------------------- training
class EveryEpochs(Callback):
    """Call ``fn(net, epoch)`` every ``every`` epochs (0: never).

    ``fn`` is a plain function: the estimator deep-copies its callbacks, and a
    function is copied by reference, so the results reach the caller (and the
    training videos it closes over are not copied).
    """

    def __init__(self, every, fn):
        self.every = every
        self.fn = fn

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if self.every and epoch % self.every == 0:
            self.fn(net, epoch)


def _budget(args):
    """Parameters every estimator gets (where it has them); None: its default."""
    budget = dict(n_segments=args.n_segments, hidden_size=args.hidden_size,
                  dropout=args.dropout, max_epochs=args.max_epochs, lr=args.lr, batch_size=args.batch_size,
                  device=args.device)
    return {k: v for k, v in budget.items() if v is not None}


def build(row, args, split, seed, callbacks=()):
    """The estimator of a row, or a string saying why it cannot be built."""
    cls = get_localizer(row.method)
    known = signature_defaults(cls)
    missing = [name for name, _ in row.params if name not in known]
    if missing:
        return f"n/a: {row.method} has no parameter {', '.join(missing)}"
    params = {k: v for k, v in _budget(args).items() if k in known}
    params.update({k: v for k, v in getattr(args, "method_budget", {}).get(row.method, {})
                   .items() if k in known})
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


def _cuda(args):
    return str(args.device).startswith("cuda") or (
        args.device in (None, "auto") and torch.cuda.is_available())


def _isolated(args, fn, *fn_args):
    """``fn(*fn_args)`` under a forked torch and NumPy random state (training goes on
    as if it had not run) and its duration in seconds."""
    start = time.perf_counter()
    numpy_state = np.random.get_state()
    devices = [torch.cuda.current_device()] if _cuda(args) else []
    with torch.random.fork_rng(devices=devices):
        out = fn(*fn_args)
    np.random.set_state(numpy_state)
    return out, time.perf_counter() - start


def attention_zones(length, segments, near=NEAR_SNIPPETS):
    """Boolean masks (inside, near, far) of the snippets of a video of ``length``
    snippets: inside an instance of ``segments`` (``[start, end, class]`` rows, in
    snippets; a snippet counts by its centre), outside but at most ``near`` snippets
    from one, and the rest."""
    centre = np.arange(length) + 0.5
    inside = np.zeros(length, bool)
    distance = np.full(length, np.inf)
    for start, end, _ in np.asarray(segments, dtype=float).reshape(-1, 3):
        inside |= (centre >= start) & (centre <= end)
        distance = np.minimum(distance, np.maximum(start - centre, centre - end))
    return inside, ~inside & (distance <= near), ~inside & (distance > near)


def attention_contrast(module, X, segments, near=NEAR_SNIPPETS):
    """Mean attention of videos ``X`` inside the ground truth, in the near background
    and in the far background (:func:`attention_zones`; NaN for a zone without a
    snippet), in eval mode at native length (the networks are fully convolutional),
    or None when the module outputs no ``'attention'``."""
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    zones = ([], [], [])
    try:
        with torch.no_grad():
            for x, segs in zip(X, segments):
                out = module(torch.as_tensor(x, dtype=torch.float32, device=device)[None])
                if "attention" not in out:
                    return None
                att = out["attention"][0].float().cpu().numpy().reshape(len(x))
                for values, mask in zip(zones, attention_zones(len(x), segs, near)):
                    values.append(att[mask])
    finally:
        module.train(was_training)
    return tuple(float(np.concatenate(v).mean()) if sum(map(len, v)) else float("nan")
                 for v in zones)


def fit_row(row, args, split, seed, fitted=None):
    """Train one row on one seed; returns a result dict (clean and paper protocols,
    the evaluated epochs' mAP, the attention contrast over the epochs). With a dict
    ``fitted``, the trained estimator is stored there under the row's key (the first
    stage that --refinement reuses)."""
    evaluations, attention = [], []
    holder = {"side_seconds": 0.0, "attention": args.attention_every > 0}

    def evaluate(net, epoch):
        mAP, seconds = _isolated(args, _evaluate, holder["est"], split)
        evaluations.append((epoch, mAP))
        holder["side_seconds"] += seconds

    def contrast(net, epoch):
        if not holder["attention"]:
            return
        values, seconds = _isolated(args, attention_contrast, net.module_,
                                    split.X_train, split.train_truth, args.near_snippets)
        holder["side_seconds"] += seconds
        if values is None:  # the network has no attention: stop asking
            holder["attention"] = False
        else:
            attention.append((epoch, *values))

    callbacks = [("paper_protocol", EveryEpochs(args.eval_every, evaluate)),
                 ("attention_contrast", EveryEpochs(args.attention_every, contrast))]
    est = build(row, args, split, seed, callbacks)
    result = {"row": row.label, "method": row.method, "supervision": row.supervision,
              "params": dict(row.params), "seed": seed}
    if isinstance(est, str):
        return dict(result, error=est)
    try:
        est._validate_params()  # BaseLocalizer's check at fit
    except (ValueError, TypeError) as exc:  # a parameter value the method rejects
        return dict(result, error=f"n/a: {type(exc).__name__}: {exc}")
    holder["est"] = est
    clicks = split.clicks[row.supervision]
    start = time.perf_counter()
    est.fit(split.X_train, split.y_train, clicks=clicks)
    seconds = time.perf_counter() - start - holder["side_seconds"]
    clean = _evaluate(est, split)
    if fitted is not None:
        fitted[row.key()] = est
    epochs = len(est.history_)
    candidates = [(e, m) for e, m in evaluations if e != epochs] + [(epochs, clean)]
    best_epoch, best = max(candidates, key=lambda em: (em[1].mean(), -em[0]))
    return dict(result, clean=clean.tolist(), paper=best.tolist(), best_epoch=best_epoch,
                epochs=epochs, evaluated_epochs=[e for e, _ in candidates],
                curve=[m.tolist() for _, m in candidates],
                attention=[list(a) for a in attention], fit_seconds=seconds)


def _detector(args, split, seed):
    """The second stage of --refinement and the ceiling: SegmentDetector's defaults
    but for the epochs (--detector-epochs)."""
    params = dict(n_classes=split.n_classes, random_state=seed, device=args.device)
    if args.detector_epochs is not None:
        params["max_epochs"] = args.detector_epochs
    return sktal.SegmentDetector(**params)


def pseudo_precision_recall(pseudo, truth, tiou_threshold=0.5):
    """Precision and recall of pseudo-instances ``[start, end, class, weight]`` against
    the ground truth, matched one-to-one as :func:`sktal.metrics.detection_map` does
    (the weight ranks them)."""
    n_pseudo = sum(len(p) for p in pseudo)
    n_true = sum(len(t) for t in truth)
    if not n_pseudo or not n_true:
        return 0.0, 0.0
    result = detection_precision_recall(truth, pseudo, tiou_threshold=tiou_threshold)
    hits = sum(int(np.sum(tp)) for tp in result.true_positive)
    return hits / n_pseudo, hits / n_true


def _thresholds(text):
    """``'0.7,0.5'`` -> ``(0.7, 0.5)``, each in (0, 1]."""
    values = tuple(float(t) for t in text.split(",") if t.strip())
    if not values or any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected thresholds in (0, 1], got {text!r}")
    return values


def _voting(detector, split, thresholds):
    """The fitted ``detector``'s mAP with score voting at each threshold (then its own
    ``voting_threshold`` again): post-processing only."""
    own = detector.voting_threshold
    maps = {}
    try:
        for threshold in thresholds:
            detector.set_params(voting_threshold=threshold)
            maps[str(threshold)] = _evaluate(detector, split).tolist()
    finally:
        detector.set_params(voting_threshold=own)
    return maps


#: the (row, supervision) of the fully supervised ceiling's --refinement records, and
#: its name in the tables
_CEILING = ("SegmentDetector", "segments")
_CEILING_NAME = "SegmentDetector (full supervision)"


def _two_stage_runs(results, label, supervision, *, errors=True):
    """The --refinement records of one row (the ceiling's: ``*_CEILING``); without
    the failed ones when ``errors`` is False."""
    return [x for x in results if (x["row"], x["supervision"]) == (label, supervision)
            and (errors or "error" not in x)]


def refine_row(row, args, split, seed, first_stage=None):
    """``row``'s estimator as the first stage of a PseudoLabelRefiner (same budget and
    seed as the main table), or the fully supervised ceiling when ``row`` is None.

    ``first_stage``: the main table's fitted estimator of ``row`` (fit_row), reused
    through ``FrozenEstimator`` instead of being trained a second time; its training
    forks the random state of every side evaluation, so it is the estimator a fresh
    fit would give."""
    label, supervision = _CEILING if row is None else (row.label, row.supervision)
    result = {"row": label, "supervision": supervision, "seed": seed}
    start = time.perf_counter()
    if row is None:
        full = _detector(args, split, seed).fit(split.X_train, split.train_truth)
        fit_seconds = time.perf_counter() - start
        return dict(result, refined=_evaluate(full, split).tolist(),
                    voting=_voting(full, split, args.voting), fit_seconds=fit_seconds)
    est = build(row, args, split, seed) if first_stage is None else FrozenEstimator(
        first_stage)
    if isinstance(est, str):
        return dict(result, error=est)
    refiner = sktal.PseudoLabelRefiner(est, _detector(args, split, seed), random_state=seed)
    refiner.fit(split.X_train, split.y_train, split.clicks[row.supervision])
    fit_seconds = time.perf_counter() - start
    precision, recall = pseudo_precision_recall(refiner.pseudo_segments_, split.train_truth)
    return dict(result, first_stage=_evaluate(refiner.localizer_, split).tolist(),
                first_stage_reused=first_stage is not None,
                refined=_evaluate(refiner, split).tolist(), precision=precision,
                recall=recall, voting=_voting(refiner.detector_, split, args.voting),
                fit_seconds=fit_seconds)


# ------------------------------------------------------------------------ report
def print_table(title, columns, rows, notes=()):
    """The one table layout: ``columns`` are ``(name, format spec)`` pairs (``'<30'``,
    ``'>12'``); a row is a list of cells, or a tuple whose last item is a message
    spanning the remaining columns (a row that could not run)."""
    def line(cells):
        message = cells[-1] if isinstance(cells, tuple) else ""
        cells = cells[:-1] if isinstance(cells, tuple) else cells
        return "".join(f"{c:{spec}}" for c, (_, spec) in zip(cells, columns)) + message

    print(f"\n{title}")
    print(line([name for name, _ in columns]).rstrip())
    for cells in rows:
        print(line(cells).rstrip())
    for note in notes:
        print(f"  note: {note}")


def _cell(values):
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        return "-"
    return f"{np.nanmean(values):5.1f} ±{np.nanstd(values):4.1f}"


def _columns(maps):
    """(n_seeds, 7) fractions -> 10 columns of percent (7 thresholds + 3 averages)."""
    maps = 100 * np.asarray(maps, dtype=float)
    cols = [maps[:, i] for i in range(maps.shape[1])]
    averages = [[value for _, value in map_averages(DEFAULT_TIOU_THRESHOLDS, m)]
                for m in maps]
    return cols + list(np.asarray(averages).T)


_MAP_COLUMNS = [(f"@{t:.1f}", ">12") for t in DEFAULT_TIOU_THRESHOLDS] + [
    (name, ">12") for name in AVERAGES]


def _metric(maps, metric):
    """(n_seeds, 7) fractions -> the metric in percent per seed."""
    return np.array([metric_value(m, metric) for m in 100 * np.asarray(maps, dtype=float)])


def _paper_cells(values):
    vals = np.array([np.nan if v is None else v for v in values], dtype=float)
    cells = list(vals) + [v for _, v in map_averages(DEFAULT_TIOU_THRESHOLDS, vals)]
    return ["-" if np.isnan(v) else f"{v:.1f}" for v in cells]  # NaN: not reported


def _runs(results, row):
    return [r for r in results if r["key"] == row.key()]


def _failed(runs):
    errors = [r["error"] for r in runs if "error" in r]
    if errors or not runs:
        return errors[0] if errors else "not run"
    return None


def _name(row):
    return f"{row.label} ({SUPERVISION[row.supervision]})"


def print_main(suite, results, rows, seeds, protocol, show_paper):
    label = {
        "clean": f"protocol clean: the model after the fixed budget (mAP %, mean ± std "
                 f"over seeds {list(seeds)})",
        "paper": "protocol paper: best test-set evaluation during training, selected "
                 "by avg 0.1:0.7 (optimistic; for comparison with published numbers)",
    }[protocol]
    extra = ("fit s", ">8") if protocol == "clean" else ("best ep", ">9")
    lines = []
    for r in rows:
        runs = _runs(results, r)
        if _failed(runs):
            lines.append((_name(r), _failed(runs)))
            continue
        cells = [_cell(c) for c in _columns([x[protocol] for x in runs])]
        tail = (f"{np.mean([x['fit_seconds'] for x in runs]):.1f}" if protocol == "clean"
                else f"{np.mean([x['best_epoch'] for x in runs]):.1f}")
        lines.append([_name(r), *cells, tail])
        if show_paper and not r.params and (r.method, r.supervision) in PAPER:
            source, values = PAPER[(r.method, r.supervision)]
            lines.append(["  paper: " + source, *_paper_cells(values)])
    print_table(f"[{suite}] {label}", [("method (supervision)", "<38"), *_MAP_COLUMNS,
                                       extra], lines, PAPER_NOTES if show_paper else ())


def _orderings():
    """The papers' main claims as chains of rows, each link ``'>='`` or ``'>'``:
    (name, [row, op, row, op, row])."""
    lacp = next(r for r in MAIN_ROWS if r.label.startswith("FSPTAL, LACP"))
    bl, ten, ten_bges = paper_rows("TEN", "Table 3", labels=["BL", "TEN", "TEN+BGES"])
    return [
        ("BackTAL: both kinds >= background only > BaS-Net",
         [MAIN_ROWS[-1], ">=", MAIN_ROWS[2], ">", MAIN_ROWS[0]]),
        ("TEN Table 3: TEN+BGES >= TEN >= BL", [ten_bges, ">=", ten, ">=", bl]),
        ("FS-PTAL >= LACP configuration > BaS-Net",
         [MAIN_ROWS[3], ">=", lacp, ">", MAIN_ROWS[0]]),
    ]


def paired_difference(runs_a, runs_b, metric, protocol="clean"):
    """Per-seed differences ``a - b`` of ``metric`` (percent) over the seeds both rows
    ran, in the order of ``runs_a``, and the spread: the larger seed std of the two
    rows over those seeds."""
    by_seed = {r["seed"]: _metric([r[protocol]], metric)[0] for r in runs_b}
    pairs = [(_metric([r[protocol]], metric)[0], by_seed[r["seed"]])
             for r in runs_a if r["seed"] in by_seed]
    diff = np.array([x - y for x, y in pairs])
    spread = max(np.std([x for x, _ in pairs]), np.std([y for _, y in pairs]))
    return diff, spread


def ordering_lines(results, metric="0.1:0.7", protocol="clean"):
    """One line per link of :func:`_orderings`: the per-seed paired difference of the
    clean ``metric`` (percent), its mean ± std, the larger seed std of the two rows
    and whether the claim holds on every seed, on the mean only, or not."""
    lines = []
    for name, chain in _orderings():
        links = zip(chain[0::2], chain[1::2], chain[2::2])
        for link_index, (a, op, b) in enumerate(links):
            link = f"{a.label} ({a.supervision}) {op} {b.label} ({b.supervision})"
            runs_a, runs_b = _runs(results, a), _runs(results, b)
            if _failed(runs_a) or _failed(runs_b):
                lines.append((name if link_index == 0 else "", link,
                              "  not run on this suite"))
                continue
            diff, spread = paired_difference(runs_a, runs_b, metric, protocol)
            mean = round(float(diff.mean()), 6)
            if np.all(diff > 0) or (op == ">=" and np.all(diff >= 0)):
                verdict = "holds on every seed"
            elif mean > 0:
                verdict = "holds on the mean only"
            elif mean == 0:
                verdict = "tie"
            elif np.all(diff < 0):
                verdict = "reversed on every seed"
            else:
                verdict = "reversed on the mean"
            if mean and abs(mean) > spread:
                verdict += ", |mean| > spread"
            lines.append([name if link_index == 0 else "", link, f"{diff.mean():+6.1f} ±{diff.std():4.1f}",
                          " / ".join(f"{d:+.1f}" for d in diff), f"{spread:5.1f}",
                          verdict])
    return lines


def print_orderings(suite, results, seeds):
    """The papers' orderings tested on the suite's runs (:func:`ordering_lines`)."""
    print_table(f"[{suite}] the papers' orderings: paired difference of the clean avg "
                f"mAP 0.1:0.7 (%) per seed {list(seeds)}; spread = the larger seed std "
                f"of the two rows",
                [("claim", "<52"), ("link", "<62"), ("mean ± std", ">12"),
                 ("per seed", ">22"), ("spread", ">8"), ("  verdict", "<1")],
                [[*l[:5], "  " + l[5]] if isinstance(l, list) else l
                 for l in ordering_lines(results)])


def print_curves(suite, results, rows, seeds):
    """avg mAP 0.1:0.7 of every row at each evaluated epoch (mean ± std over seeds)."""
    rows = [r for r in rows if not _failed(_runs(results, r))]
    if not rows:
        return
    epochs = _runs(results, rows[0])[0]["evaluated_epochs"]
    lines = []
    for r in rows:
        runs = _runs(results, r)
        curves = np.array([_metric(x["curve"], "0.1:0.7") for x in runs])
        lines.append([_name(r), *(_cell(curves[:, i]) for i in range(len(epochs)))])
    print_table(f"[{suite}] avg mAP 0.1:0.7 (%) after each evaluated epoch, mean ± std "
                f"over seeds {list(seeds)} (the last: the clean protocol)",
                [("method (supervision)", "<38"), *((f"ep {e}", ">12") for e in epochs)],
                lines)


def print_attention(suite, results, rows, seeds, near=NEAR_SNIPPETS):
    """Attention inside / near / far from the training ground truth at four epochs."""
    lines, shown = [], {}
    for r in rows:
        runs = [x for x in _runs(results, r) if x.get("attention")]
        if runs and r.key() not in shown:
            shown[r.key()] = True
            trace = np.mean([x["attention"] for x in runs], axis=0)  # (n, 4)
            n = len(trace)
            picks = sorted({0, n // 4, n // 2, n - 1})
            cells = [f"e{int(trace[i, 0])}:" + "/".join(f"{v:.2f}" for v in trace[i, 1:])
                     for i in picks]
            lines.append([f"{r.label} ({r.describe()})", "  ".join(cells)])
    if lines:
        print_table(f"[{suite}] attention inside / near / far background (outside, "
                    f"<= {near} snippets from an instance / beyond) of the training "
                    f"videos, mean over seeds {list(seeds)}",
                    [("row (parameters)", f"<{max(58, *(len(l[0]) + 2 for l in lines))}"),
                     ("epoch:in/near/far", "<60")], lines)


def print_ablation(suite, table, results, seeds):
    """One ablation table: the clean and paper-protocol table metric of each row, its
    avg mAP 0.1:0.7, the per-seed paired difference of the clean table metric against
    the table's first row (mean ± std over seeds; the paper's own difference beside
    it), and the paper's value."""
    metric = "mAP@0.5" if table.metric == "0.5" else f"avg mAP {table.metric}"
    first = table.rows[0]
    first_runs = _runs(results, first)
    lines = []
    for r in table.rows:
        runs = _runs(results, r)
        params = r.describe() + ("" if r.supervision == "video"
                                 else f" [{SUPERVISION[r.supervision][2:]}]")
        if _failed(runs):
            lines.append((r.label, params, "  " + _failed(runs)))
            continue
        clean, paper = [x["clean"] for x in runs], [x["paper"] for x in runs]
        delta = paper_delta = "-"
        if r is not first and not _failed(first_runs):
            diff, _ = paired_difference(runs, first_runs, table.metric)
            if diff.size:
                delta = f"{diff.mean():+5.1f} ±{diff.std():4.1f}"
        if r is not first and r.paper is not None and first.paper is not None:
            paper_delta = f"{r.paper - first.paper:+.1f}"
        lines.append([r.label, params, _cell(_metric(clean, table.metric)),
                      _cell(_metric(paper, table.metric)), _cell(_metric(clean, "0.1:0.7")),
                      delta, "-" if r.paper is None else f"{r.paper:.1f}", paper_delta])
    published = any(r.paper is not None for r in table.rows)
    print_table(f"[{suite}] {table.title}: {metric} (%), mean ± std over seeds "
                f"{list(seeds)}" + ("; paper = THUMOS14 I3D as published" if published
                                    else "") + f"; Δ 1st = clean minus the first row "
                f"({first.label}), paired per seed",
                [("row", "<36"), ("parameters", "<58"), ("clean", ">13"),
                 ("paper prot.", ">13"), ("avg 0.1:0.7", ">13"), ("Δ 1st", ">13"),
                 ("paper", ">7"), ("paper Δ", ">9")],
                lines, table.notes)


def print_refinement(suite, results, rows, seeds):
    lines = []
    ceiling = _two_stage_runs(results, *_CEILING)
    if ceiling:
        lines.append([_CEILING_NAME,
                      *(_cell(c) for c in _columns([x["refined"] for x in ceiling])), ""])
    for r in rows:
        runs = _two_stage_runs(results, r.label, r.supervision)
        if _failed(runs):
            lines.append((_name(r), _failed(runs)))
            continue
        pr = (f"{np.mean([x['precision'] for x in runs]):.2f} / "
              f"{np.mean([x['recall'] for x in runs]):.2f}")
        lines.append([_name(r), *(_cell(c) for c in
                                  _columns([x["first_stage"] for x in runs])), ""])
        lines.append([f"{r.label} + refinement ({SUPERVISION[r.supervision]})",
                      *(_cell(c) for c in _columns([x["refined"] for x in runs])), pr])
    print_table(f"[{suite}] two-stage training (PseudoLabelRefiner, the first stage's "
                f"budget as above): mAP %, mean ± std over seeds {list(seeds)}; pseudo-"
                f"label precision / recall at tIoU 0.5 against the training ground truth",
                [("method (supervision)", "<46"), *_MAP_COLUMNS, ("pseudo P / R", ">16")],
                lines)
    print_refinement_gains(suite, results, rows, seeds)
    print_voting(suite, results, rows, seeds)


def print_voting(suite, results, rows, seeds, metric="0.1:0.7"):
    """``metric`` of each fitted second stage (and the ceiling) without and with score
    voting at each ``--voting`` threshold, mean ± std over seeds; nothing without
    ``--voting``."""
    thresholds = list(dict.fromkeys(t for x in results for t in x.get("voting", {})))
    if not thresholds:
        return
    groups = [(_CEILING_NAME, *_CEILING)] + [
        (f"{r.label} + refinement ({SUPERVISION[r.supervision]})", r.label, r.supervision)
        for r in rows]
    lines = []
    for name, label, supervision in groups:
        runs = _two_stage_runs(results, label, supervision, errors=False)
        if not runs:
            continue
        cells = [_metric([x["refined"] for x in runs], metric)]
        cells += [_metric([x["voting"][t] for x in runs if t in x.get("voting", {})],
                          metric) for t in thresholds]
        lines.append([name, *(_cell(c) for c in cells)])
    print_table(f"[{suite}] score voting of the fitted detectors (post-processing only): "
                f"avg mAP {metric} %, mean ± std over seeds {list(seeds)}",
                [("row (supervision)", "<52"), ("no voting", ">12"),
                 *((f"voting {t}", ">12") for t in thresholds)], lines)


def print_refinement_gains(suite, results, rows, seeds, metric="0.1:0.7"):
    """Per seed, each row's first stage -> refined ``metric`` and the gain, their mean,
    and the fully supervised ceiling's margin over the best first stage (means)."""
    lines, best = [], None
    for r in rows:
        runs = {x["seed"]: x for x in _two_stage_runs(results, r.label, r.supervision,
                                                      errors=False)}
        if not runs:
            continue
        first = {s: _metric([x["first_stage"]], metric)[0] for s, x in runs.items()}
        refined = {s: _metric([x["refined"]], metric)[0] for s, x in runs.items()}
        cells = [f"{first[s]:5.1f} -> {refined[s]:5.1f} {refined[s] - first[s]:+5.1f}"
                 if s in runs else "-" for s in seeds]
        gain = np.mean([refined[s] - first[s] for s in runs])
        lines.append([_name(r), *cells, f"{gain:+.1f}"])
        mean_first = np.mean(list(first.values()))
        if best is None or mean_first > best[1]:
            best = (_name(r), mean_first)
    notes = []
    ceiling = [x["refined"] for x in _two_stage_runs(results, *_CEILING, errors=False)]
    if ceiling and best is not None:
        value = np.mean(_metric(ceiling, metric))
        notes.append(f"{_CEILING_NAME} {value:.1f}, "
                     f"{value - best[1]:+.1f} over the best first stage, {best[0]} "
                     f"{best[1]:.1f}")
    print_table(f"[{suite}] two-stage training per seed: first stage -> refined, avg "
                f"mAP {metric} %",
                [("row (supervision)", "<46"), *((f"seed {s}", ">22") for s in seeds),
                 ("mean gain", ">11")], lines, notes)


# -------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke configuration (one seed, seconds)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", default=None,
                        help="comma-separated estimator names (default: "
                             f"{_OPTION_DEFAULTS['methods']})")
    parser.add_argument("--suite", default=None,
                        help="comma-separated: synthetic, thumos, ten-synthetic, features "
                             "(default: synthetic,thumos; features alone with --features)")
    parser.add_argument("--preset", default=None, choices=sorted(PRESETS),
                        help="an option set (PRESETS): ten-zones = the former "
                             "bench_ten.py's data and budget with the ten-zones table; "
                             "options given explicitly win")
    parser.add_argument("--ablations", default=None,
                        help=f"'all' (the papers' tables), 'none' or comma-separated of "
                             f"{', '.join(ABLATIONS)} (default: "
                             f"{_OPTION_DEFAULTS['ablations']})")
    parser.add_argument("--ablation-suites", default=None,
                        help="suites on which the ablations run (default: the first)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="epochs of every suite (default per suite: "
                             f"{ {k: v['max_epochs'] for k, v in SUITE_BUDGET.items()} }, "
                             "and per method where METHOD_BUDGET says: "
                             f"{METHOD_BUDGET}; each method's own with --features)")
    parser.add_argument("--hidden-size", type=int, default=None,
                        help="width of the temporal convolutions (default 64; the "
                             "paper's 2048 with --features)")
    parser.add_argument("--n-segments", type=int, default=None,
                        help="snippets per resampled video, every suite (default per "
                             f"suite: { {k: v['n_segments'] for k, v in SUITE_BUDGET.items()} };"
                             " each method's own with --features)")
    parser.add_argument("--dropout", type=_dropout, default=None,
                        help="dropout of every method, or 'default' for each method's "
                             f"own (default {REDUCED_BUDGET['dropout']}: the methods' "
                             "0.7 is for width 2048; each method's own with --features)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate of every method (default 1e-3; each "
                             "method's own with --features)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="videos per batch (default 8; 16 with --features)")
    parser.add_argument("--eval-every", type=int, default=None,
                        help="epochs between test evaluations (paper protocol; 0: "
                             f"none; default {_OPTION_DEFAULTS['eval_every']})")
    parser.add_argument("--attention-every", type=int, default=1,
                        help="epochs between measures of the attention inside / near / "
                             "far from the training ground truth (0: never)")
    parser.add_argument("--near-snippets", type=float, default=NEAR_SNIPPETS,
                        help="the near background of the attention table: outside the "
                             "ground truth, at most this many snippets from an instance")
    parser.add_argument("--refinement", action="store_true",
                        help="also two-stage training (PseudoLabelRefiner) of every main "
                             "row and the fully supervised SegmentDetector ceiling")
    parser.add_argument("--detector-epochs", type=int, default=None,
                        help="max_epochs of the SegmentDetector of --refinement "
                             "(default: its own)")
    parser.add_argument("--voting", type=_thresholds, default=(), metavar="T[,T...]",
                        help="also score each fitted SegmentDetector of --refinement "
                             "with score voting at these tIoU thresholds "
                             "(voting_threshold; post-processing only, no refit)")
    parser.add_argument("--n-videos", type=int, default=None,
                        help=f"synthetic videos (default {_OPTION_DEFAULTS['n_videos']})")
    parser.add_argument("--n-classes", type=int, default=5, help="synthetic classes")
    parser.add_argument("--n-features", type=int, default=64,
                        help="synthetic feature width D")
    parser.add_argument("--thumos-videos", type=int, default=None,
                        help="use a fixed random subset of the 200 THUMOS14 timelines")
    parser.add_argument("--test-size", type=float, default=None,
                        help="fraction of the videos held out for testing (default "
                             f"{_OPTION_DEFAULTS['test_size']})")
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
    parser.add_argument("--orderings", default=None, metavar="JSON",
                        help="only print the orderings table, the ablation tables and "
                             "the two-stage tables (--refinement) of the runs in a JSON "
                             "file written by --out, and exit")
    args = parser.parse_args(argv)

    preset = dict(PRESETS.get(args.preset, {}))
    preset_budget = {k: preset.pop(k) for k in _OPTION_BUDGET if k in preset}
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name, value in _OPTION_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.suite is None:
        args.suite = "features" if args.features else "synthetic,thumos"
    args.suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    for s in args.suites:
        if s not in ("synthetic", "thumos", "ten-synthetic", "features"):
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
        args.ablations = [name for name, table in ABLATIONS.items() if table.in_all]
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
    defaults = (dict.fromkeys(REDUCED_BUDGET) if real else dict(REDUCED_BUDGET))
    defaults.update(preset_budget)  # --quick shrinks a preset's budget too
    if args.quick:
        defaults.update(max_epochs=2, hidden_size=8, n_segments=32, lr=1e-3, batch_size=4)
        args.seeds = args.seeds[:1]
        args.eval_every = 1
        args.n_videos = 12
        args.thumos_videos = args.thumos_videos or 12
        args.detector_epochs = 2
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.dropout == "default":
        args.dropout = None
    # --n-segments / --max-epochs (or a preset's, --quick's) for all, else per suite
    args.suite_budget = {s: {name: value for name, value in SUITE_BUDGET.get(s, {}).items()
                             if getattr(args, name) is None and not real}
                         for s in args.suites}
    # a method's own budget on a suite, where no option sets the same parameter
    args.method_budget = {
        s: {m: {name: value for name, value in own.items()
                if getattr(args, name, None) is None}
            for m, own in METHOD_BUDGET.get(s, {}).items() if m in args.methods}
        for s in args.suites if not real}
    return args


def _dropout(text):
    if text == "default":
        return text
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"dropout must be in [0, 1) or 'default', "
                                         f"got {text!r}")
    return value


def suite_args(args, suite):
    """``args`` with the suite's own budget where none was given
    (``args.suite_budget``, from :data:`SUITE_BUDGET`) and its methods' own
    (``method_budget``, from :data:`METHOD_BUDGET`, which :func:`build` applies)."""
    return argparse.Namespace(**{**vars(args), **args.suite_budget.get(suite, {}),
                                 "method_budget": args.method_budget.get(suite, {})})


#: the budget options (--quick and the real-features defaults override a preset's)
_OPTION_BUDGET = ("max_epochs", "hidden_size", "n_segments", "dropout", "lr",
                  "batch_size")

#: the default reduced budget of the synthetic and THUMOS-timeline suites (every
#: method; the number of snippets is per suite, SUITE_SEGMENTS)
#: method; snippets and epochs are per suite, SUITE_BUDGET). Width 64 with dropout
#: 0.3 (the methods' 0.7 is for width 2048: at width 32 it leaves about ten live units
#: and eval-mode video scores far below the training ones, see docs/benchmarks.rst)
REDUCED_BUDGET = dict(max_epochs=None, hidden_size=64, n_segments=None, dropout=0.3,
                      lr=1e-3, batch_size=8)

#: the budget of each suite where --n-segments / --max-epochs are not given. The
#: synthetic videos are 50-300 snippets long (median ~140); the THUMOS14 validation
#: timelines have a median of ~560 (at 128 steps a short instance is a step or less),
#: and every main row has converged there by epoch 30 (the curves table)
SUITE_BUDGET = {"synthetic": dict(n_segments=128, max_epochs=40),
                "ten-synthetic": dict(n_segments=128, max_epochs=40),
                "thumos": dict(n_segments=384, max_epochs=30)}

#: a method's own budget on a suite (printed on the suite's line; an option that sets
#: the same parameter wins). TEN on the synthetic suite: 20 epochs, the optimizer
#: steps of the 100-video suite at 40 (120 training videos are 15 batches an epoch, 60
#: were 8; TEN decays its learning rate after half of the epochs, so 150 steps at the
#: full rate and 150 after, against 160 and 160). At 40 epochs its clean mAP decays
#: after epoch 10, and still does with the decay after 160 steps (lr_decay_step=160):
#: docs/benchmarks.rst, TEN Tables 3-4
METHOD_BUDGET = {"synthetic": {"TEN": dict(max_epochs=20)}}


def _suite(name, args):
    if name == "synthetic":
        description = (f"make_temporal_actions(n_videos={args.n_videos}, n_classes="
                       f"{args.n_classes}, n_features={args.n_features}, strong "
                       f"context confusion {CONFUSION}) per seed, simulated clicks")
        return description, lambda seed: synthetic_split(args, seed)
    if name == "ten-synthetic":
        description = (f"make_temporal_actions(n_videos={args.n_videos}, n_classes="
                       f"{args.n_classes}, n_features={args.n_features}, "
                       f"{STRONG_CONFUSION}) per seed (the former bench_ten.py's data), "
                       f"the last {args.test_size:.0%} of the videos test")
        return description, lambda seed: ten_synthetic_split(args, seed)
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
        cls = get_localizer(name)
        known = signature_defaults(cls)
        params = dict(n_segments=16, hidden_size=4, max_epochs=1, batch_size=2,
                      device=device, random_state=0)
        if "embedding_hidden_size" in known:
            params["embedding_hidden_size"] = 4
        cls(**{k: v for k, v in params.items() if k in known}).fit(
            data.X, data.y, clicks=clicks)


def orderings_from(path):
    """The orderings table of each suite of a ``--out`` JSON file, the ablation
    tables of the run (its ``ablations`` on its ``ablation_suites``) from the runs
    it holds, and its two-stage tables (``--refinement``) with the per-seed gains."""
    with open(path) as fh:
        saved = json.load(fh)
    runs = saved["runs"]
    for r in runs:  # the key of a run, as main() sets it
        r["key"] = (r["method"], r["supervision"], tuple(sorted(r["params"].items())))
    config = saved.get("config", {})
    methods = set(config.get("methods") or {r["method"] for r in runs})
    tables = [ABLATIONS[a] for a in config.get("ablations") or () if a in ABLATIONS
              and ABLATIONS[a].method in methods]
    two_stage = saved.get("refinement", [])
    for suite in dict.fromkeys(r["suite"] for r in runs + two_stage):
        suite_runs = [r for r in runs if r["suite"] == suite]
        refined = [r for r in two_stage if r["suite"] == suite]
        seeds = sorted({r["seed"] for r in suite_runs + refined})
        if suite_runs:
            print_orderings(suite, suite_runs, seeds)
        if suite_runs and suite in (config.get("ablation_suites") or ()):
            for table in tables:
                print_ablation(suite, table, suite_runs, seeds)
        if refined:
            print_refinement(suite, refined, [r for r in MAIN_ROWS if r.method in methods],
                             seeds)


def main(argv=None):
    args = parse_args(argv)
    if args.orderings:
        return orderings_from(args.orderings)
    sys.stdout.reconfigure(line_buffering=True)  # tables and stderr progress in order
    torch.set_num_threads(args.threads)
    if str(args.device).startswith("cuda") or args.device == "auto":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    started = time.perf_counter()
    budget = _budget(args)
    for name in sorted({k for b in args.suite_budget.values() for k in b}):
        budget[name] = "per suite, below"
    evaluations = (f"test evaluation every {args.eval_every} epochs" if args.eval_every
                   else "no evaluation during training (= clean)")
    print(f"sktal {sktal.__version__}, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch thread(s), device {args.device}")
    print(f"budget (every method, where it has the parameter): "
          f"{budget or 'each method default'}; paper protocol: {evaluations}; test split {args.test_size:.0%} of videos by video "
          f"(seeded); seeds {args.seeds}")

    _warm_up(args.methods, args.device)
    main_rows = [r for r in MAIN_ROWS if r.method in args.methods]
    tables = [ABLATIONS[a] for a in args.ablations if ABLATIONS[a].method in args.methods]
    records, two_stage = [], []
    for suite in args.suites:
        try:
            description, make_split = _suite(suite, args)
        except (FileNotFoundError, OSError) as exc:
            print(f"\n[{suite}] skipped: {exc}")
            continue
        sargs = suite_args(args, suite)
        own = ", ".join(f"{k}={v}" for k, v in args.suite_budget.get(suite, {}).items())
        own = "; ".join([own] * bool(own) + [
            f"{m}: " + ", ".join(f"{k}={v}" for k, v in b.items())
            for m, b in args.method_budget.get(suite, {}).items() if b])
        print(f"\n[{suite}] {description}" + (f"; budget {own}" if own else ""))
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
        suite_results, refined = [], []
        for seed in args.seeds:
            split = make_split(seed)
            fitted = {} if args.refinement else None
            for row in unique:
                result = fit_row(row, sargs, split, seed, fitted)
                result.update(suite=suite, key=row.key())
                suite_results.append(result)
                status = result.get("error") or (
                    f"clean {100 * np.mean(result['clean']):5.1f}  paper "
                    f"{100 * np.mean(result['paper']):5.1f} (ep {result['best_epoch']})"
                    f"  {result['fit_seconds']:.1f} s")
                print(f"  [{suite}] seed {seed} {row.label:<28} {row.supervision:<10} "
                      f"{row.describe()[:40]:<40} {status}", file=sys.stderr, flush=True)
            if args.refinement:
                for row in [None, *main_rows]:  # None: the fully supervised ceiling
                    result = refine_row(row, sargs, split, seed, None if row is None
                                        else fitted.get(row.key()))
                    result.update(suite=suite, key=None if row is None else row.key())
                    refined.append(result)
                    print(f"  [{suite}] seed {seed} two-stage {result['row']:<18} "
                          f"{result['supervision']:<10} "
                          f"{result.get('error') or 'done'}", file=sys.stderr, flush=True)
        for protocol in ("clean", "paper"):
            print_main(suite, suite_results, main_rows, args.seeds, protocol,
                       show_paper=suite == "features")
        print_curves(suite, suite_results, main_rows, args.seeds)
        print_orderings(suite, suite_results, args.seeds)
        print_attention(suite, suite_results, unique, args.seeds, args.near_snippets)
        if suite in args.ablation_suites:
            for table in tables:
                print_ablation(suite, table, suite_results, args.seeds)
        if args.refinement:
            print_refinement(suite, refined, main_rows, args.seeds)
        records += suite_results
        two_stage += refined
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"config": {k: v for k, v in vars(args).items()},
                       "runs": [{k: v for k, v in r.items() if k != "key"}
                                for r in records],
                       "refinement": [{k: v for k, v in r.items() if k != "key"}
                                      for r in two_stage]}, fh, indent=1, default=str)
        print(f"\nruns written to {args.out}")
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
