"""Two-stage training: weak localizers with and without PseudoLabelRefiner, and
SegmentDetector with full supervision as the ceiling.

Same suites, splits, clicks and first-stage budget as ``run_methods.py``
(synthetic; THUMOS14 timelines with real clicks and synthetic features). The
detector (second stage and ceiling) uses its own small defaults at native length.

Usage::

    python benchmarks/bench_refinement.py --quick
    python benchmarks/bench_refinement.py            # 3 seeds, both suites
"""
import argparse
import importlib.util
import os
import sys
import time

import numpy as np
import torch
from sklearn.base import clone

import sktal
from sktal.datasets import make_temporal_actions
from sktal.metrics import DEFAULT_TIOU_THRESHOLDS, detection_map

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("run_methods", os.path.join(HERE, "run_methods.py"))
rm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rm)

ROWS = [("BaSNet", "video"), ("BackTAL", "background"), ("FSPTAL", "action")]


def _train_segments(suite, args, seed, timelines):
    if suite == "synthetic":
        data = make_temporal_actions(n_videos=args.n_videos, n_classes=args.n_classes,
                                     n_features=args.n_features, random_state=seed,
                                     **rm.CONFUSION)
        train, _ = rm._split_indices(len(data.X), args.test_size, seed)
        return rm._take(data.segments, train)
    d, keep = timelines.data, timelines.keep
    train, _ = rm._split_indices(len(keep), args.test_size, seed)
    return rm._take(rm._take(d.segments, keep), train)


def _precision_recall(pseudo, truth, n_classes, iou=0.5):
    """Pseudo-instances matched one-to-one to same-class truth at tIoU >= iou."""
    from sktal.postprocessing._nms import _iou_with

    tp = n_pred = n_true = 0
    for p, t in zip(pseudo, truth):
        n_pred += len(p)
        n_true += len(t)
        used = np.zeros(len(t), bool)
        for row in p[np.argsort(-p[:, 3])] if len(p) else []:
            same = (t[:, 2] == row[2]) & ~used
            if not same.any():
                continue
            ious = np.where(same, _iou_with(row[0], row[1], t[:, 0], t[:, 1]), -1)
            j = int(np.argmax(ious))
            if ious[j] >= iou:
                used[j] = True
                tp += 1
    return tp / max(n_pred, 1), tp / max(n_true, 1)


def _avg(est, split):
    m = detection_map(split.truth, est.predict(split.X_test), DEFAULT_TIOU_THRESHOLDS,
                      n_classes=split.n_classes).mAP
    return 100 * float(np.mean(m[:7]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--suite", default="synthetic,thumos")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--detector-epochs", type=int, default=30)
    ours = parser.parse_args(argv)
    rm_argv = ["--quick"] if ours.quick else []
    args = rm.parse_args(rm_argv + ["--suite", ours.suite, "--ablations", "none",
                                    "--seeds", *map(str, ours.seeds)])
    det_epochs = 2 if ours.quick else ours.detector_epochs
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); first stage: "
          f"max_epochs={args.max_epochs} hidden={args.hidden_size} n_segments="
          f"{args.n_segments}; detector: SegmentDetector(max_epochs={det_epochs})")
    for suite in args.suites:
        timelines = rm.ThumosTimelines(args) if suite == "thumos" else None
        make = (lambda s: timelines.split(args, s)) if timelines else (
            lambda s: rm.synthetic_split(args, s))
        results = {}
        for seed in args.seeds:
            split = make(seed)
            truth_train = _train_segments(suite, args, seed, timelines)
            detector = sktal.SegmentDetector(max_epochs=det_epochs, n_classes=split.n_classes,
                                             random_state=seed, device=args.device)
            t0 = time.time()
            full = clone(detector).fit(split.X_train, truth_train)
            results.setdefault(("SegmentDetector", "full supervision"), []).append(
                (_avg(full, split), None, None))
            for method, sup in ROWS:
                row = rm.Row(method, method, sup)
                est = rm.build(row, args, split, seed)
                clicks = split.clicks[sup]
                ref = sktal.PseudoLabelRefiner(est, clone(detector), random_state=seed)
                ref.fit(split.X_train, split.y_train, clicks)
                results.setdefault((method, rm.SUPERVISION[sup]), []).append(
                    (_avg(ref.localizer_, split), None, None))
                p, r = _precision_recall(ref.pseudo_segments_, truth_train, split.n_classes)
                results.setdefault((method + " + refinement", rm.SUPERVISION[sup]),
                                   []).append((_avg(ref, split), p, r))
            print(f"  [{suite} seed {seed} done in {time.time() - t0:.0f} s]", flush=True)
        print(f"\nsuite {suite}: avg mAP 0.1:0.7 (%), mean ± std over seeds "
              f"{args.seeds}; pseudo-label precision/recall at tIoU 0.5 (train videos)")
        print(f"{'method':<26}{'supervision':<24}{'avg 0.1:0.7':>14}{'pseudo P / R':>16}")
        for (name, sup), vals in results.items():
            a = np.array([v[0] for v in vals])
            pr = [v[1:] for v in vals if v[1] is not None]
            prs = (f"{np.mean([x[0] for x in pr]):.2f} / {np.mean([x[1] for x in pr]):.2f}"
                   if pr else "")
            print(f"{name:<26}{sup:<24}{a.mean():>8.1f} ± {a.std():<4.1f}{prs:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
