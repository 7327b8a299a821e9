"""Train the authors' code and sktal side by side on the same data (issue #16.1).

Each official method has an adapter module ``benchmarks/_official_<name>.py`` that
exposes ``NAME`` (printed), ``OPTION`` (``"basnet"`` -> ``--basnet PATH``),
``load(checkout) -> namespace`` (imports the official model, loss and
post-processing from the checkout at run time; nothing is copied) and
``run(official, suite, seed, budget) -> dict`` with ``official_map``, ``sktal_map``,
``official_s_per_epoch``, ``sktal_s_per_epoch`` and ``cross`` (label -> mAP: the
official post-processing on sktal's CAS and sktal's on the official CAS).

``suite`` has ``name, X_train, y_train, segments_train, background_clicks_train,
action_clicks_train, X_test, segments_test, n_classes``; ``budget`` is a dict
``hidden_size, max_epochs, lr, batch_size, n_segments, quick, sktal_only``; an
adapter with ``SKTAL_ONLY = True`` skips the official training under ``sktal_only``
(``--sktal-only``: official mAP, time and the rows that need its net are nan).

Usage::

    python benchmarks/compare_official.py --basnet /tmp/official/BaSNet-pytorch \\
        --backtal /tmp/official/BackTAL --seeds 3

A method whose checkout is not given is skipped with a message; so is an adapter
whose module is missing.

Speed (issue #14): the timing hook
----------------------------------
An adapter that defines ``timing_step(official, size)`` is also timed per training
batch at the small size (the budget's ``hidden_size`` / ``n_segments`` /
``batch_size``, 64 features, ``--n-train`` videos per epoch) and, with ``--paper``,
at the papers' size (D = 2048, T = 750, hidden 2048, batch 16, 200 videos per
epoch, 20 classes). ``size`` is a dict ``n_features, n_segments, hidden_size,
batch_size, n_classes, lr``; the hook returns ``(step, estimator, clicks)``:

* ``step(videos, labels, clicks)`` runs one official training step on a batch —
  the adapter's data feeding (resampling, click mapping), the official network's
  forward, the official loss, ``zero_grad``, ``backward`` and the optimizer step —
  given the batch's ``(T, D)`` float32 videos, its ``(B, C)`` float32 label tensor
  and its list of ``[t, label]`` click arrays;
* ``estimator``: the sktal estimator configured like the official network (its
  ``n_segments, hidden_size, batch_size, lr`` from ``size``; this script adds
  ``max_epochs=1``, ``warm_start=True`` and an epoch timer);
* ``clicks``: ``None``, ``"background"`` or ``"action"``, the clicks both learn from.

The driver (:func:`time_per_epoch`) makes random features of that size with
generated timelines and clicks, warms both up on two videos, then alternates rounds:
the official step over ``n`` batches, then one sktal epoch (``fit``) of the same
``n`` batches, which includes sktal's whole data path and per-epoch bookkeeping.
At the small size ``n`` is a whole epoch and ``--speed-rounds`` rounds are run; at
the papers' size ``n = --paper-batches`` (``--paper-rounds`` rounds) and the time
per batch is extrapolated to the 13 batches of 200 videos. Times are CPU time of
this process (``time.process_time``; one torch thread, so other jobs on a shared
machine count less than in wall time); the median round is reported.

An adapter with ``NATIVE_LENGTH = True`` (LACP, which trains every video at its own
length) is also timed at native length: its ``timing_step`` with ``n_segments=None``
on each suite's training timelines (seed 0, ``--n-train`` ragged videos, the small
size otherwise), whole epochs, ``--speed-rounds`` alternating rounds; with
``--paper`` also at D = hidden = 2048 (``--paper-rounds`` rounds).
"""
import argparse
import importlib
import math
import os
import sys
import time
import types
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [p for p in (ROOT, HERE) if p not in sys.path]

from skorch.callbacks import Callback  # noqa: E402

from sktal.datasets import load_dataset, make_temporal_actions, simulate_clicks  # noqa: E402
from sktal.datasets import load_clicks  # noqa: E402

ADAPTERS = ["_official_basnet", "_official_backtal", "_official_lacp"]
THUMOS_DIR = os.path.join(ROOT, os.pardir, "shared", "data", "thumos14")


def _take(items, index):
    return [items[i] for i in index]


def _suite(name, X, y, segments, lengths, background, action, n_classes, n_train,
           n_test, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    train, test = order[:n_train], order[n_train:n_train + n_test]
    return types.SimpleNamespace(
        name=name, X_train=_take(X, train), y_train=np.asarray(y)[train],
        segments_train=_take(segments, train),
        background_clicks_train=_take(background, train),
        action_clicks_train=None if action is None else _take(action, train),
        X_test=_take(X, test), segments_test=_take(segments, test),
        n_classes=n_classes,
    )


def synthetic_suite(seed, n_train, n_test, n_features=64):
    data = make_temporal_actions(n_videos=n_train + n_test, n_classes=5,
                                 n_features=n_features, random_state=seed)
    background = simulate_clicks(data.segments, data.lengths, kind="background",
                                 random_state=seed)
    action = simulate_clicks(data.segments, data.lengths, kind="action",
                             random_state=seed)
    return _suite("synthetic", data.X, data.y, data.segments, data.lengths, background,
                  action, 5, n_train, n_test, seed)


def thumos_suite(seed, n_train, n_test, n_features=64, data_dir=THUMOS_DIR):
    clicks = os.path.join(data_dir, "THUMOS14_Background-Click-Annotation_A1.txt")
    d = load_dataset(os.path.join(data_dir, "gt_val.json"), clicks=clicks,
                     clip_clicks=True)
    feats = make_temporal_actions(segments=d.segments, lengths=d.lengths,
                                  n_classes=len(d.class_names), n_features=n_features,
                                  random_state=seed)
    points = load_clicks(os.path.join(data_dir, "action_points.csv"), d, clip=True)
    n_train = min(n_train, len(d.lengths) - n_test)
    return _suite("thumos", feats.X, d.y, d.segments, d.lengths, d.clicks, points,
                  len(d.class_names), n_train, n_test, seed)


#: the papers' THUMOS14 configuration (issue #14)
PAPER_SIZE = dict(n_features=2048, n_segments=750, hidden_size=2048, batch_size=16,
                  n_classes=20, n_videos=200)


class _EpochClock(Callback):
    """skorch callback: CPU time of each epoch, handed to ``record`` (a plain
    function, shared by reference when the estimator deep-copies its callbacks)."""

    def __init__(self, record):
        self.record = record

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = time.process_time()

    def on_epoch_end(self, net, **kwargs):
        self.record(time.process_time() - self.start_)


def timing_data(size, n_videos, seed=0):
    """``n_videos`` random feature arrays of ``size`` with generated timelines, their
    float32 video labels and both kinds of clicks (``bench_speed.make_data``)."""
    from bench_speed import make_data

    X, y, _, clicks = make_data(n_videos, size["n_segments"], size["n_features"],
                                size["n_classes"], seed=seed, action_distribution="uniform")
    return X, y.astype(np.float32), clicks


def time_per_epoch(adapter, official, size, n_batches, rounds, n_videos, seed=0,
                   data=None):
    """Seconds per epoch of ``n_videos`` of the official step and of sktal's ``fit``,
    extrapolated from ``n_batches`` timed batches (the median over ``rounds``
    alternating rounds; see the module docstring); returns ``(official_s, sktal_s)``.
    ``data``: ``(X, y, clicks by kind)`` to time on instead of :func:`timing_data`."""
    import torch

    step, estimator, kind = adapter.timing_step(official, dict(size))
    batch = size["batch_size"]
    X, y, clicks = timing_data(size, n_batches * batch, seed) if data is None else data
    clicks = clicks[kind]
    record = []
    estimator.set_params(max_epochs=1, warm_start=True, random_state=seed,
                         callbacks=[("compare_epoch_clock", _EpochClock(record.append))])
    if "progress" in estimator.get_params():
        estimator.set_params(progress=None)
    batches = [np.arange(b, min(b + batch, len(X))) for b in range(0, len(X), batch)]

    def official_epoch(batches):
        start = time.process_time()
        for idx in batches:
            step([X[j] for j in idx], torch.from_numpy(y[idx]),
                 None if clicks is None else [clicks[j] for j in idx])
        return time.process_time() - start

    def sktal_epoch(n):
        with warnings.catch_warnings():   # random labels: classes absent from a fold
            warnings.simplefilter("ignore", UserWarning)
            estimator.fit(X[:n], y[:n], clicks=None if clicks is None else clicks[:n])
        return record[-1]

    torch.manual_seed(seed)
    official_epoch([np.arange(2)])   # warm-up on two videos
    sktal_epoch(2)
    official_s, sktal_s = [], []
    for _ in range(rounds):
        official_s.append(official_epoch(batches) / len(batches))
        sktal_s.append(sktal_epoch(len(X)) / len(batches))
    per_epoch = math.ceil(n_videos / batch)
    return float(np.median(official_s)) * per_epoch, float(np.median(sktal_s)) * per_epoch


def _mean_std(values):
    values = 100 * np.asarray(values, dtype=float)
    return f"{values.mean():5.1f} ± {values.std():4.1f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    adapters = []
    for module_name in ADAPTERS:
        try:
            adapters.append(importlib.import_module(module_name))
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            print(f"[skip] adapter {module_name} not present")
    for adapter in adapters:
        parser.add_argument(f"--{adapter.OPTION}", metavar="PATH", default=None,
                            help=f"local checkout of the official {adapter.NAME} code")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run are first-seed .. first-seed + seeds - 1 (to "
                             "split a long run over processes)")
    parser.add_argument("--suites", default="synthetic,thumos")
    parser.add_argument("--n-train", type=int, default=120)
    parser.add_argument("--n-test", type=int, default=80)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--n-segments", type=int, default=128)
    parser.add_argument("--thumos-dir", default=THUMOS_DIR)
    parser.add_argument("--speed-rounds", type=int, default=5,
                        help="alternating timed epochs per side at the small size "
                             "(0: no timing)")
    parser.add_argument("--paper", action="store_true",
                        help="also time both at the papers' size (minutes on a CPU)")
    parser.add_argument("--paper-batches", type=int, default=2,
                        help="timed batches per side and round at the papers' size")
    parser.add_argument("--paper-rounds", type=int, default=1)
    parser.add_argument("--no-accuracy", action="store_true",
                        help="only the timing (skip training for mAP)")
    parser.add_argument("--sktal-only", action="store_true",
                        help="train only sktal's side (adapters with SKTAL_ONLY = True; "
                             "the official columns print nan)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one seed (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.n_train, args.n_test = 1, 8, 4
        args.hidden_size, args.max_epochs, args.n_segments, args.batch_size = 8, 1, 16, 4
        args.speed_rounds, args.paper_batches = min(args.speed_rounds, 2), 1
    import torch
    torch.set_num_threads(1)
    budget = dict(hidden_size=args.hidden_size, max_epochs=args.max_epochs, lr=args.lr,
                  batch_size=args.batch_size, n_segments=args.n_segments,
                  quick=args.quick, sktal_only=args.sktal_only)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"budget: {budget}, seeds {seeds[0]}..{seeds[-1]}, avg mAP@0.1:0.7 x100")
    for adapter in adapters:
        path = getattr(args, adapter.OPTION)
        if path is None:
            print(f"[skip] {adapter.NAME}: no --{adapter.OPTION} PATH given")
            continue
        if args.sktal_only and not getattr(adapter, "SKTAL_ONLY", False):
            print(f"[skip] {adapter.NAME}: its adapter cannot run --sktal-only")
            continue
        official = adapter.load(path)
        if hasattr(adapter, "timing_step") and not args.sktal_only:
            _print_speed(adapter, official, args)
        for suite_name in ([] if args.no_accuracy else args.suites.split(",")):
            runs = []
            for seed in seeds:
                if suite_name == "synthetic":
                    suite = synthetic_suite(seed, args.n_train, args.n_test)
                elif suite_name == "thumos":
                    if not os.path.exists(os.path.join(args.thumos_dir, "gt_val.json")):
                        print(f"[skip] thumos suite: no gt_val.json in {args.thumos_dir}")
                        break
                    suite = thumos_suite(seed, args.n_train, args.n_test,
                                         data_dir=args.thumos_dir)
                else:
                    raise SystemExit(f"unknown suite {suite_name!r}")
                runs.append(adapter.run(official, suite, seed, budget))
            if not runs:
                continue
            off_s = np.mean([r["official_s_per_epoch"] for r in runs])
            skt_s = np.mean([r["sktal_s_per_epoch"] for r in runs])
            print(f"{adapter.NAME:8s} {suite_name:9s} official {_mean_std([r['official_map'] for r in runs])}"
                  f" | sktal {_mean_std([r['sktal_map'] for r in runs])}"
                  f" | s/epoch official {off_s:.3f} sktal {skt_s:.3f} ratio {skt_s / off_s:.2f}")
            for label in runs[0]["cross"]:
                print(f"{'':18s} cross: {label:40s} {_mean_std([r['cross'][label] for r in runs])}")


def _print_speed(adapter, official, args):
    small = dict(n_features=64, n_segments=args.n_segments, hidden_size=args.hidden_size,
                 batch_size=args.batch_size, n_classes=5, lr=args.lr)
    sizes = []
    if args.speed_rounds > 0:   # the whole small epoch, timed args.speed_rounds times
        sizes.append(("small", small, math.ceil(args.n_train / args.batch_size),
                      args.speed_rounds, args.n_train))
    if args.paper:
        paper = {k: v for k, v in PAPER_SIZE.items() if k != "n_videos"}
        if args.quick:   # the paper-size code path on tiny shapes
            paper.update(n_features=32, n_segments=24, hidden_size=16, batch_size=4)
        sizes.append(("paper", dict(paper, lr=args.lr), args.paper_batches,
                      args.paper_rounds, PAPER_SIZE["n_videos"]))
    for label, size, n_batches, rounds, n_videos in sizes:
        official_s, sktal_s = time_per_epoch(adapter, official, size, n_batches, rounds,
                                             n_videos)
        shape = (f"D={size['n_features']} T={size['n_segments']} hidden "
                 f"{size['hidden_size']} batch {size['batch_size']} C={size['n_classes']}"
                 f", {n_videos} videos/epoch")
        print(f"{adapter.NAME:8s} speed {label:5s} ({shape}; {n_batches} timed "
              f"batches x {rounds} alternating round(s), median, CPU s): s/epoch official "
              f"{official_s:.3f} sktal {sktal_s:.3f} ratio {sktal_s / official_s:.2f}",
              flush=True)
    if getattr(adapter, "NATIVE_LENGTH", False) and args.speed_rounds > 0:
        _print_native_speed(adapter, official, args, small)


def _print_native_speed(adapter, official, args, small):
    """The timing at native length (``n_segments=None``) on the suites' own ragged
    timelines (training split of seed 0), whole epochs: ``--speed-rounds`` rounds at
    the small width and, with ``--paper``, ``--paper-rounds`` at D = hidden = 2048."""
    widths = [("", small["n_features"], small["hidden_size"], args.speed_rounds)]
    if args.paper:
        paper = (32, 16) if args.quick else (PAPER_SIZE["n_features"],
                                             PAPER_SIZE["hidden_size"])
        widths.append(("paper ", *paper, args.paper_rounds))
    for label, n_features, hidden, rounds in widths:
        for name in args.suites.split(","):
            if name == "thumos" and not os.path.exists(os.path.join(args.thumos_dir,
                                                                    "gt_val.json")):
                continue
            suite = (synthetic_suite(0, args.n_train, 0, n_features) if name == "synthetic"
                     else thumos_suite(0, args.n_train, 0, n_features, args.thumos_dir))
            clicks = {"background": suite.background_clicks_train,
                      "action": suite.action_clicks_train}
            data = (suite.X_train, suite.y_train.astype(np.float32), clicks)
            size = dict(small, n_features=n_features, hidden_size=hidden, n_segments=None,
                        n_classes=suite.n_classes)
            n = len(suite.X_train)
            official_s, sktal_s = time_per_epoch(adapter, official, size,
                                                 math.ceil(n / args.batch_size), rounds, n,
                                                 data=data)
            lengths = [len(v) for v in suite.X_train]
            print(f"{adapter.NAME:8s} speed native {label}{name} (D={n_features} T="
                  f"{min(lengths)}..{max(lengths)} (sum {sum(lengths)}) hidden {hidden} "
                  f"batch {size['batch_size']} C={size['n_classes']}, {n} videos/epoch; "
                  f"{rounds} alternating round(s), median, CPU s): s/epoch official "
                  f"{official_s:.3f} sktal {sktal_s:.3f} ratio {sktal_s / official_s:.2f}",
                  flush=True)

if __name__ == "__main__":
    main()
