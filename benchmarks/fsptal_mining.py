"""How right FS-PTAL's pseudo labels are: its mining (Alg. 2) against LACP's seed rule.

FS-PTAL's module B replaces LACP's seed rule (``utils.select_seed``: background at
``b_t >= 0.95``, pseudo action points in unbroken runs of ``b_t <= 0.1`` beside a
click, which only seed LACP's search) by Alg. 2 (background at ``b_t > 0.85``, pseudo
action points wherever ``b_t <= 0.25`` with the neighbouring click's class as the
arg-max of ``q̂``, and these enter the action point loss). This script trains
FS-PTAL whole and its LACP configuration at ``run_methods.py``'s reduced budget on one
suite, then applies *both* rules to each trained network's scores on its training
videos (eval mode, native length, the clicks at their snippets) and scores the labels
against the training ground truth:

* pseudo action points (the clicks excluded): how many per video, the fraction inside
  an instance of their class, and the fraction in the near background (outside, at
  most ``--near-snippets`` snippets from an instance: the synthetic suite's class
  context and run-ups);
* background points: the fraction of the snippets they cover, the fraction of them
  outside every instance (precision) and the fraction of the true background they
  cover (recall).

Usage (from the repository root)::

    python benchmarks/fsptal_mining.py --suite synthetic --seeds 0 1 2
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import run_methods as rm  # noqa: E402
from _official_lacp import ADDITIONS_OFF, LACP_PIECES  # noqa: E402
from sktal._resampling import IGNORE_INDEX  # noqa: E402
from sktal.localizers._fsptal_functional import lacp_seeds, mine_point_labels  # noqa: E402


def _point_labels(length, clicks, n_classes):
    labels = np.full(length, IGNORE_INDEX, dtype=np.int64)
    for t, c in np.asarray(clicks, dtype=float).reshape(-1, 2):
        if c >= 0:
            labels[min(int(np.floor(t)), length - 1)] = int(c)
    return labels


def _truth(length, segments, n_classes, near):
    """(T, C) inside an instance of each class; (T,) near background."""
    centre = np.arange(length) + 0.5
    inside = np.zeros((length, n_classes), bool)
    for start, end, c in np.asarray(segments, dtype=float).reshape(-1, 3):
        inside[:, int(c)] |= (centre >= start) & (centre <= end)
    _, near_bg, _ = rm.attention_zones(length, segments, near)
    return inside, near_bg


def label_quality(est, split, near, background_threshold, action_threshold):
    """Per rule: the counts and fractions of the module docstring, over the videos."""
    module = est.module_
    module.eval()
    n_classes = split.n_classes
    totals = {rule: dict(videos=0, pseudo=0, pseudo_in=0, pseudo_near=0, bkg=0,
                         bkg_out=0, snippets=0, true_bkg=0)
              for rule in ("FS-PTAL Alg. 2", "LACP select_seed")}
    with torch.no_grad():
        for x, clicks, segments in zip(split.X_train, split.clicks["action"],
                                       split.train_truth):
            length = len(x)
            out = module(torch.as_tensor(x, dtype=torch.float32)[None])
            b, fused = out["scores"][..., -1], out["fused"]
            points = torch.as_tensor(_point_labels(length, clicks, n_classes))[None]
            mined = {
                "FS-PTAL Alg. 2": mine_point_labels(
                    b, fused, points, background_threshold=background_threshold,
                    action_threshold=action_threshold, mask=None),
                "LACP select_seed": lacp_seeds(b, points, n_classes=n_classes, mask=None),
            }
            inside, near_bg = _truth(length, segments, n_classes, near)
            any_inside = inside.any(1)
            for rule, (action, background) in mined.items():
                action, background = action[0].numpy(), background[0].numpy()
                pseudo = (action >= 0) & (points[0].numpy() < 0)
                t = totals[rule]
                t["videos"] += 1
                t["pseudo"] += int(pseudo.sum())
                t["pseudo_in"] += int(inside[np.flatnonzero(pseudo),
                                             action[pseudo]].sum())
                t["pseudo_near"] += int((pseudo & near_bg).sum())
                t["bkg"] += int(background.sum())
                t["bkg_out"] += int((background & ~any_inside).sum())
                t["snippets"] += length
                t["true_bkg"] += int((~any_inside).sum())
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="synthetic", choices=("synthetic", "thumos"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args_in = parser.parse_args(argv)
    torch.set_num_threads(1)
    args = rm.parse_args(["--suite", args_in.suite, "--methods", "FSPTAL",
                          "--ablations", "none", "--eval-every", "0",
                          "--attention-every", "0"])
    sargs = rm.suite_args(args, args_in.suite)
    description, make_split = rm._suite(args_in.suite, args)
    print(f"[{args_in.suite}] {description}; budget {rm._budget(sargs)}")
    models = [rm.row("FS-PTAL whole", "FSPTAL"),
              rm.row("LACP configuration", "FSPTAL", **ADDITIONS_OFF, **LACP_PIECES)]
    lines = []
    for seed in args_in.seeds:
        split = make_split(seed)
        for model in models:
            est = rm.build(model, sargs, split, seed)
            est.set_params(verbose=0, progress=None)
            est.fit(split.X_train, split.y_train, split.clicks["action"])
            totals = label_quality(est, split, sargs.near_snippets,
                                   est.background_threshold, est.action_threshold)
            for rule, t in totals.items():
                lines.append([str(seed), model.label, rule,
                              f"{t['pseudo'] / t['videos']:.1f}",
                              f"{t['pseudo_in'] / max(t['pseudo'], 1):.2f}",
                              f"{t['pseudo_near'] / max(t['pseudo'], 1):.2f}",
                              f"{t['bkg'] / t['snippets']:.2f}",
                              f"{t['bkg_out'] / max(t['bkg'], 1):.2f}",
                              f"{t['bkg_out'] / max(t['true_bkg'], 1):.2f}"])
            print(f"  seed {seed} {model.label} done", file=sys.stderr, flush=True)
    rm.print_table(
        f"[{args_in.suite}] pseudo labels of each rule on each trained network's "
        f"training-video scores (eval mode, native length), against the training "
        f"ground truth; near = outside, <= {sargs.near_snippets} snippets from an instance",
        [("seed", "<5"), ("network", "<20"), ("rule", "<18"), ("pseudo act/video", ">17"),
         ("in class GT", ">12"), ("in near bg", ">11"), ("bkg share", ">10"),
         ("bkg prec.", ">10"), ("bkg recall", ">11")], lines)


if __name__ == "__main__":
    main()
