"""BackTAL vs BaS-Net on synthetic videos with strong action-context confusion.

Every seed draws its own dataset (``make_temporal_actions``: each class's context
pattern is strong in the appearance half and present in the background around its
instances, and half of the instances have an action-like run-up), simulates one
background click per background stretch of the training videos
(``simulate_clicks(kind="background")``), trains every model with the same budget
(epochs, learning rate, batch size, widths, snippets per video) and reports
detection mAP@0.1:0.7 on held-out videos of the same dataset as mean ± std over seeds.

Rows:

* ``BaSNet``: :class:`sktal.BaSNet` (video labels only; its own defaults otherwise);
* ``BackTAL baseline``: Table 7's baseline, ``BackTAL(frame_loss_weight=0,
  lambda_sep=0, affinity=False)`` (BaS-Net inside BackTAL's pipeline, no clicks);
* ``BackTAL``: the full method (defaults);
* with ``--ablation`` also Table 7's ``+ click`` (``lambda_sep=0, affinity=False``),
  ``+ separation`` (``affinity=False``) and ``+ affinity`` (``lambda_sep=0``).

Usage::

    python benchmarks/bench_backtal.py            # 3 seeds, ~5 min on one idle core
    python benchmarks/bench_backtal.py --ablation # all Table 7 rows, ~10 min
    python benchmarks/bench_backtal.py --quick    # smoke test, seconds
"""
import argparse
import time

import numpy as np
import torch

from sktal.datasets import make_temporal_actions, simulate_clicks
from sktal.localizers import BackTAL, BaSNet
from sktal.metrics import DEFAULT_TIOU_THRESHOLDS, detection_map

#: strong action-context confusion (the generator's defaults, spelled out)
DATA = dict(n_classes=5, n_features=64, context_scale=(4.0, 1.0), context_floor=0.2,
            context_width=8.0, runup_prob=0.5, action_scale=(1.0, 2.0))


def _models(budget, ablation):
    rows = [
        ("BaSNet", BaSNet(**budget), False),
        ("BackTAL baseline",
         BackTAL(frame_loss_weight=0, lambda_sep=0, affinity=False, **budget), False),
    ]
    if ablation:
        rows += [
            ("  + click", BackTAL(lambda_sep=0, affinity=False, **budget), True),
            ("  + separation", BackTAL(affinity=False, **budget), True),
            ("  + affinity (no sep.)", BackTAL(lambda_sep=0, **budget), True),
        ]
    rows.append(("BackTAL", BackTAL(**budget), True))
    return rows


def run(seeds, n_videos, n_train, budget, ablation):
    scores, seconds = {}, {}
    for seed in seeds:
        data = make_temporal_actions(n_videos=n_videos, random_state=seed, **DATA)
        train, test = np.arange(n_train), np.arange(n_train, n_videos)
        X_train = [data.X[i] for i in train]
        X_test = [data.X[i] for i in test]
        truth = [data.segments[i] for i in test]
        clicks = simulate_clicks([data.segments[i] for i in train], data.lengths[train],
                                 kind="background", random_state=seed)
        for name, est, uses_clicks in _models(dict(budget, random_state=seed), ablation):
            start = time.perf_counter()
            est.fit(X_train, data.y[train], clicks=clicks if uses_clicks else None)
            result = detection_map(truth, est.predict(X_test),
                                   n_classes=DATA["n_classes"])
            scores.setdefault(name, []).append(result.mAP)
            seconds.setdefault(name, []).append(time.perf_counter() - start)
            print(f"  seed {seed} {name:24s} avg mAP {result.mAP.mean():.4f} "
                  f"({seconds[name][-1]:.0f} s)", flush=True)
    return scores, seconds


def report(scores, seconds, seeds):
    header = "".join(f"{'@' + format(t, '.1f'):>14s}" for t in DEFAULT_TIOU_THRESHOLDS)
    print(f"\nmAP (%) over {len(seeds)} seeds {list(seeds)}: mean ± std")
    print(f"{'model':24s}{header}{'avg 0.1:0.7':>14s}{'fit+predict':>13s}")
    for name, values in scores.items():
        values = 100 * np.asarray(values)  # (n_seeds, n_thresholds)
        avg = values.mean(axis=1)
        cells = "".join(f"  {m:5.1f} ± {s:4.1f}" for m, s in
                        zip(values.mean(axis=0), values.std(axis=0)))
        print(f"{name:24s}{cells}  {avg.mean():5.1f} ± {avg.std():4.1f}"
              f"{np.mean(seconds[name]):11.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny and fast")
    parser.add_argument("--ablation", action="store_true", help="all Table 7 rows")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    budget = dict(n_segments=128, hidden_size=48, max_epochs=40, lr=1e-3, batch_size=8)
    n_videos, n_train = 100, 60
    seeds = args.seeds
    if args.quick:
        budget.update(n_segments=32, hidden_size=8, max_epochs=2)
        n_videos, n_train, seeds = 16, 10, seeds[:1]
    print(f"data: make_temporal_actions(n_videos={n_videos}, {DATA}); train on the "
          f"first {n_train} videos, test on the rest")
    print(f"budget (every model): {budget}")
    scores, seconds = run(seeds, n_videos, n_train, budget, args.ablation)
    report(scores, seconds, seeds)


if __name__ == "__main__":
    main()
