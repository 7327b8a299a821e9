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
``hidden_size, max_epochs, lr, batch_size, n_segments, quick``.

Usage::

    python benchmarks/compare_official.py --basnet /tmp/official/BaSNet-pytorch \\
        --backtal /tmp/official/BackTAL --seeds 3

A method whose checkout is not given is skipped with a message; so is an adapter
whose module is missing.
"""
import argparse
import importlib
import os
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [p for p in (ROOT, HERE) if p not in sys.path]

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
    parser.add_argument("--suites", default="synthetic,thumos")
    parser.add_argument("--n-train", type=int, default=120)
    parser.add_argument("--n-test", type=int, default=80)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--n-segments", type=int, default=128)
    parser.add_argument("--thumos-dir", default=THUMOS_DIR)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one seed (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.n_train, args.n_test = 1, 8, 4
        args.hidden_size, args.max_epochs, args.n_segments, args.batch_size = 8, 1, 16, 4
    budget = dict(hidden_size=args.hidden_size, max_epochs=args.max_epochs, lr=args.lr,
                  batch_size=args.batch_size, n_segments=args.n_segments,
                  quick=args.quick)
    print(f"budget: {budget}, seeds 0..{args.seeds - 1}, avg mAP@0.1:0.7 x100")
    for adapter in adapters:
        path = getattr(args, adapter.OPTION)
        if path is None:
            print(f"[skip] {adapter.NAME}: no --{adapter.OPTION} PATH given")
            continue
        official = adapter.load(path)
        for suite_name in args.suites.split(","):
            runs = []
            for seed in range(args.seeds):
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


if __name__ == "__main__":
    main()
