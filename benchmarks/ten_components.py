"""What TEN's continuity branch (TCB) and BGES each change, and why together they add
nothing over either alone on the synthetic suite of ``run_methods.py``.

Retrains the four rows of TEN Table 3 (BL, BL+BGES, TEN, TEN+BGES) on the same data,
split, budget and seeds as ``run_methods.py --methods TEN --suite SUITE --ablations
ten3`` (its splits, ``build`` and budget, TEN's ``METHOD_BUDGET`` included; the clean
avg mAP printed here is that run's) and prints, per row, mean over seeds:

* the clean avg mAP 0.1:0.7 of the test videos;
* the last epoch's training loss terms ``L_fg``, ``L_bg``, ``L_att`` and ``L_kl``
  (``L_att``: the L1 distance of the two branches' smoothed attentions, weighted by
  ``lambda_att`` in the loss; 0 without TCB);
* on the training videos (network in evaluation mode, native length), the mean
  attention inside the ground truth and outside it, and two scale-free contrasts:
  the AUC of the attention for inside against outside the ground truth, and the AUC
  of the localization score of each ground-truth class (``cas_weight`` softmax
  probability + the rest attention, the score the proposals are cut from; per video
  and class, min-max normalising does not change an AUC) for that class's instances
  against the rest of the video; both averaged over videos (and classes).

Usage (from the repository root)::

    python benchmarks/ten_components.py                # seeds 0 1 2, 12 fits
    python benchmarks/ten_components.py --suite thumos --data-dir ../shared/data/thumos14
    python benchmarks/ten_components.py --quick        # smoke test
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import run_methods as rm  # noqa: E402

import sktal  # noqa: E402


def auc(scores, positive):
    """Probability that a positive snippet scores above a negative one (ties: 1/2);
    NaN without both kinds."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    # average ranks of ties
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or values[end] != values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2
            start = end
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2)
                 / (len(pos) * len(neg)))


def contrasts(est, X, segments):
    """Mean attention inside / outside the ground truth and the two AUCs (module doc)
    of the training videos."""
    module = est.module_
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    inside_att, outside_att, att_aucs, score_aucs = [], [], [], []
    try:
        with torch.no_grad():
            for x, segs in zip(X, segments):
                out = module(torch.as_tensor(x, dtype=torch.float32, device=device)[None])
                attention = out["attention"][0].float().cpu().numpy()
                score = est._localization_scores(out)["cas"][0].float().cpu().numpy()
                segs = np.asarray(segs, dtype=float).reshape(-1, 3)
                inside, _, _ = rm.attention_zones(len(x), segs)
                inside_att.append(attention[inside])
                outside_att.append(attention[~inside])
                att_aucs.append(auc(attention, inside))
                for c in np.unique(segs[:, 2]).astype(int):
                    mask, _, _ = rm.attention_zones(len(x), segs[segs[:, 2] == c])
                    score_aucs.append(auc(score[:, c], mask))
    finally:
        module.train(was_training)
    return (float(np.concatenate(inside_att).mean()),
            float(np.concatenate(outside_att).mean()),
            float(np.nanmean(att_aucs)), float(np.nanmean(score_aucs)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="smoke test (seconds)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--suite", default="synthetic", choices=("synthetic", "thumos"))
    parser.add_argument("--data-dir", default=rm.THUMOS_DIR,
                        help="THUMOS14 timelines and clicks (--suite thumos)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    run_argv = ["--methods", "TEN", "--suite", args.suite, "--ablations", "ten3",
                "--data-dir", args.data_dir]
    if args.quick:
        run_argv.append("--quick")
    rargs = rm.parse_args(run_argv + ["--seeds", *map(str, args.seeds)])
    sargs = rm.suite_args(rargs, args.suite)
    description, make_split = rm._suite(args.suite, rargs)
    rows = rm.ABLATIONS["ten3"].rows
    terms = ("loss_fg", "loss_bg", "loss_att", "loss_kl")
    results = {row.label: [] for row in rows}
    for seed in rargs.seeds:
        split = make_split(seed)
        for row in rows:
            est = rm.build(row, sargs, split, seed)
            est.set_params(progress=None)
            est.fit(split.X_train, split.y_train)
            mAP = 100 * float(np.mean(rm._evaluate(est, split)))
            values = [mAP, *(float(est.history_[-1, t]) for t in terms),
                      *contrasts(est, split.X_train, split.train_truth)]
            results[row.label].append(values)
            print(f"  seed {seed} {row.label:<9} clean {mAP:5.1f}", file=sys.stderr,
                  flush=True)
    budget = {k: v for k, v in rm._budget(sargs).items() if k != "device"}
    budget.update(sargs.method_budget.get("TEN", {}))
    print(f"sktal {sktal.__version__}, torch {torch.__version__}; TEN Table 3 rows on "
          f"run_methods' {args.suite} suite ({description}), budget {budget}; "
          f"mean ± std over seeds {rargs.seeds}")
    header = ("row", "clean mAP", "L_fg", "L_bg", "L_att", "L_kl", "att in",
              "att out", "AUC att", "AUC score")
    print(f"{header[0]:<10}" + "".join(f"{h:>14}" for h in header[1:]))
    for row in rows:
        v = np.array(results[row.label])
        cells = []
        for i in range(v.shape[1]):
            fmt = "{:.1f} ± {:.1f}" if i == 0 else "{:.3f} ± {:.3f}"
            cells.append(fmt.format(v[:, i].mean(), v[:, i].std()))
        print(f"{row.label:<10}" + "".join(f"{c:>14}" for c in cells))
    print("clean mAP: avg 0.1:0.7 (%) of the test videos; losses: the last epoch's "
          "training means; att in / out: mean attention of the training videos "
          "inside / outside the ground truth; AUC att: attention, inside vs outside; "
          "AUC score: localization score of each ground-truth class, its instances vs "
          "the rest of the video")


if __name__ == "__main__":
    main()
