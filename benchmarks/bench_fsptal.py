"""FS-PTAL against BaS-Net and BackTAL on synthetic data, with the Table 2 ablations.

Each seed draws its own synthetic THUMOS-like dataset (strong action-context
confusion, run-ups before half of the instances), trains every model with the same
budget (snippets, width, learning rate, batch size, epochs) on the first videos and
reports detection mAP on the held-out ones after several numbers of epochs (one
training run per model, evaluated by a callback at each checkpoint: the ranking of
the methods depends on the training length, so every checkpoint is printed):

* BaSNet: video labels only;
* BackTAL: video labels + one simulated background click per background stretch;
* FSPTAL: video labels + one simulated action click per instance, drawn from a
  Gaussian around the instance centre (as THUMOS14's action points), and its
  ablations without A (label extension), B (pseudo-label mining), C (score
  contrast) and D (feature separation).

Run from the repository root (about 5.5 minutes of CPU time on one core)::

    python benchmarks/bench_fsptal.py            # seeds 0 1 2
    python benchmarks/bench_fsptal.py --quick    # smoke test
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path.insert(0, ROOT)

from skorch.callbacks import Callback  # noqa: E402

from sktal.datasets import make_temporal_actions, simulate_clicks  # noqa: E402
from sktal.localizers import BackTAL, BaSNet, FSPTAL  # noqa: E402
from sktal.metrics import DEFAULT_TIOU_THRESHOLDS, detection_map  # noqa: E402


class _EvaluateAt(Callback):
    """Call ``evaluate(epoch)`` at the end of every epoch."""

    def __init__(self, evaluate):
        self.evaluate = evaluate

    def on_epoch_end(self, net, **kwargs):
        self.evaluate(len(net.history))


#: issue 16's fidelity settings: the earlier readings, each fix alone, native length
FIDELITY_ROWS = [
    ("FSPTAL earlier (mean, attention)",
     dict(video_loss_reduction="mean", foreground_confidence="attention")),
    ("FSPTAL video loss summed only",
     dict(video_loss_reduction="sum", foreground_confidence="attention")),
    ("FSPTAL FAC confidence only (defaults)", {}),
    ("FSPTAL summed + FAC (Eq. 2-3)", dict(video_loss_reduction="sum")),
    ("FSPTAL n_segments=None", dict(n_segments=None)),
]


def models(quick, max_epochs, fidelity=False):
    budget = dict(n_segments=128, hidden_size=64, lr=1e-3, batch_size=8,
                  max_epochs=max_epochs)
    small_embedding = dict(embedding_size=32, embedding_hidden_size=64)
    rows = [("BaSNet (video labels)", "none", lambda s: BaSNet(random_state=s, **budget)),
            ("BackTAL (background clicks)", "background",
             lambda s: BackTAL(random_state=s, **budget))]
    ablations = [("FSPTAL (action clicks)", {})] + [
        ("FSPTAL " + label, extra)
        for label, extra, _ in FSPTAL._paper_tables["Table 2"]["rows"] if extra
    ]
    if fidelity:
        rows, ablations = [], FIDELITY_ROWS
    for name, extra in (ablations[:1] if quick else ablations):
        rows.append((name, "action", lambda s, extra=extra: FSPTAL(
            random_state=s, **{**budget, **small_embedding, **extra})))
    return rows


def run(seeds, quick, checkpoints, fidelity=False):
    n_videos, n_train = (24, 16) if quick else (100, 60)
    results = {}  # (epochs, model) -> list of mAP arrays
    for seed in seeds:
        data = make_temporal_actions(n_videos=n_videos, n_classes=5, n_features=32,
                                     random_state=seed)
        clicks = {
            "none": None,
            "background": simulate_clicks(data.segments, data.lengths, kind="background",
                                          random_state=seed),
            "action": simulate_clicks(data.segments, data.lengths, kind="action",
                                      action_distribution="gaussian", random_state=seed),
        }
        X_train, X_test = data.X[:n_train], data.X[n_train:]
        for name, kind, build in models(quick, max(checkpoints), fidelity):
            train_clicks = None if clicks[kind] is None else clicks[kind][:n_train]
            est = build(seed)
            scores = []

            def evaluate(epoch, est=est, name=name, scores=scores):
                if epoch in checkpoints:
                    result = detection_map(data.segments[n_train:], est.predict(X_test),
                                           DEFAULT_TIOU_THRESHOLDS, n_classes=5)
                    results.setdefault((epoch, name), []).append(result.mAP)
                    scores.append(f"{epoch}: {100 * result.mAP.mean():4.1f}")

            start = time.process_time()
            est.set_params(callbacks=[_EvaluateAt(evaluate)])
            est.fit(X_train, data.y[:n_train], train_clicks)
            n_clicks = 0 if kind == "none" else sum(len(c) for c in train_clicks)
            print(f"  seed {seed} {name:<33} clicks {n_clicks:4d}  "
                  f"{time.process_time() - start:5.1f} s CPU  avg mAP at epoch "
                  + ", ".join(scores), file=sys.stderr, flush=True)
    return results


def print_table(results, seeds, checkpoints):
    thresholds = " ".join(f"{t:>11.1f}" for t in DEFAULT_TIOU_THRESHOLDS)
    for epochs in checkpoints:
        print(f"\nmAP (%) at tIoU, held-out synthetic videos, after {epochs} epochs; "
              f"mean ± std over seeds {list(seeds)}")
        print(f"{'model':<33} {thresholds} {'avg(0.1:0.7)':>13}")
        for (at, name), maps in results.items():
            if at != epochs:
                continue
            maps = 100 * np.array(maps)
            cells = " ".join(f"{m:5.1f} ± {s:3.1f}" for m, s in zip(maps.mean(0), maps.std(0)))
            avg = maps.mean(1)
            print(f"{name:<33} {cells} {avg.mean():6.1f} ± {avg.std():4.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, nargs="+", default=[20, 40, 60],
                        help="checkpoints (epochs) at which every model is evaluated")
    parser.add_argument("--quick", action="store_true", help="tiny smoke test")
    parser.add_argument("--fidelity", action="store_true",
                        help="issue 16's rows: earlier readings, each fix, native length")
    args = parser.parse_args(argv)
    checkpoints = [2, 3] if args.quick else sorted(args.epochs)
    torch.set_num_threads(1)
    start = time.time()
    results = run(args.seeds, args.quick, checkpoints, args.fidelity)
    print_table(results, args.seeds, checkpoints)
    print(f"total wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
