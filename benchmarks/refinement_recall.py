"""Why refining BackTAL with background clicks only does not lift it: the recall of
its pseudo-labels, the stretch structure that caps it, and oracles at that recall.

With background clicks and no action click, :class:`sktal.PseudoLabelRefiner` cuts
one pseudo-instance per stretch between consecutive background clicks from the
teacher's CAS (``background_rule='interval'``). This script fits the BackTAL row with
background clicks exactly as the main table of ``run_methods.py`` does (its suite,
split, budget and seed; its paper-protocol and attention side evaluations are off,
which does not change the fitted estimator) and prints, per suite:

* the stretches of the training videos' background clicks against their ground
  truth: instances per stretch (an instance counts in the stretch that holds its
  centre; a stretch is the run of snippets between two clicks, or before the first
  or after the last), the share of instances alone in their stretch (the recall a
  perfect one-instance-per-stretch rule reaches), instances whose centre is on a
  clicked snippet, instances that contain a click, and *twins* (instances with an
  instance of another class at tIoU > 0.5);
* the precision / recall of the default rules' pseudo-instances at tIoU 0.3, 0.5
  and 0.7 against the training ground truth (``run_methods.pseudo_precision_recall``);
* the test mAP (per tIoU and averages) of the teacher; of
  :class:`sktal.SegmentDetector` trained on the pseudo-instances
  (``PseudoLabelRefiner`` on the frozen teacher, as ``run_methods.py
  --refinement``); on a random subset of the true instances of the size that gives
  the pseudo-instances' recall at tIoU 0.5 (perfect boundaries, seeded by the seed);
  the same with the other true instances passed as ``ignore=`` (their points get no
  classification loss); and on all true instances (the ceiling). Every detector has
  ``run_methods._detector``'s budget.

Usage (from the repository root)::

    python benchmarks/refinement_recall.py --data-dir ../shared/data/thumos14
    python benchmarks/refinement_recall.py --suite synthetic --seeds 0 1 2
    python benchmarks/refinement_recall.py --quick      # smoke test (seconds)
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import run_methods as rm  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402

import sktal  # noqa: E402
from sktal._constants import BACKGROUND  # noqa: E402
from sktal.metrics import segment_iou  # noqa: E402

#: tIoU thresholds of the pseudo-label precision / recall
PR_THRESHOLDS = (0.3, 0.5, 0.7)
#: two instances of different classes at a tIoU above this are twins
TWIN_TIOU = 0.5
#: the stretch histogram's last bin holds this many instances or more
MAX_BIN = 4

#: the detectors of the mAP table, in order
DETECTORS = ("teacher", "pseudo", "oracle", "oracle_ignore", "ceiling")
DETECTOR_LABELS = {
    "teacher": "BackTAL teacher (+ background clicks)",
    "pseudo": "detector on the pseudo-instances",
    "oracle": "detector on true instances at that recall",
    "oracle_ignore": "  the same, the other true instances ignored",
    "ceiling": "detector on all true instances (ceiling)",
}


def stretch_statistics(segments, clicks, lengths):
    """Counts of the training videos' instances against their background clicks.

    Parameters
    ----------
    segments : sequence of ndarray of shape (m_i, 3)
        ``[start, end, class]`` per instance, in snippets.
    clicks : sequence of ndarray of shape (k_i, 2)
        ``[t, label]`` clicks; those labelled background (-1) cut the stretches.
    lengths : sequence of int

    Returns
    -------
    dict
        ``instances``, ``clicks`` (background), ``per_stretch`` (number of stretches
        holding 0, 1, ... instances, the last bin ``MAX_BIN`` or more), ``alone``
        (instances alone in their stretch), ``on_click`` (centre on a clicked
        snippet, in no stretch), ``contain_click`` (a click inside the instance) and
        ``twins`` (instances with an instance of another class at tIoU above
        :data:`TWIN_TIOU`).
    """
    per_stretch = np.zeros(MAX_BIN + 1, dtype=int)
    alone = on_click = contain = twins = n_instances = n_clicks = 0
    for segs, k, length in zip(segments, clicks, lengths):
        segs = np.asarray(segs, dtype=float).reshape(-1, 3)
        k = np.asarray(k, dtype=float).reshape(-1, 2)
        background = np.unique(np.floor(k[k[:, 1] == BACKGROUND, 0]))
        n_instances += len(segs)
        n_clicks += len(background)
        centres = (segs[:, 0] + segs[:, 1]) / 2
        cuts = np.concatenate([[-1], background, [length]])
        for a, b in zip(cuts[:-1], cuts[1:]):
            lo, hi = a + 1, b  # the stretch's snippets lo .. hi - 1
            if hi <= lo:
                continue
            n = int(np.sum((centres >= lo) & (centres < hi)))
            per_stretch[min(n, MAX_BIN)] += 1
            alone += n == 1
        on_click += int(np.sum(np.isin(np.floor(centres), background)))
        contain += int(np.sum(((segs[:, :1] <= background[None])
                               & (background[None] < segs[:, 1:2])).any(axis=1)))
        if len(segs) > 1:
            tiou = segment_iou(segs[:, :2], segs[:, :2])
            other = segs[:, 2][:, None] != segs[:, 2][None]
            twins += int(np.sum(((tiou > TWIN_TIOU) & other).any(axis=1)))
    return dict(instances=n_instances, clicks=n_clicks, per_stretch=per_stretch.tolist(),
                alone=int(alone), on_click=on_click, contain_click=contain, twins=twins)


def true_subset(truth, recall, seed):
    """A seeded random subset of the true instances, ``round(recall * n)`` of the
    ``n`` of all videos: ``(kept, rest)``, per video ``[start, end, class]`` arrays."""
    truth = [np.asarray(t, dtype=float).reshape(-1, 3) for t in truth]
    n = sum(map(len, truth))
    chosen = np.zeros(n, dtype=bool)
    chosen[np.random.default_rng(seed).permutation(n)[:int(round(recall * n))]] = True
    kept, rest, offset = [], [], 0
    for t in truth:
        mask = chosen[offset:offset + len(t)]
        offset += len(t)
        kept.append(t[mask])
        rest.append(t[~mask])
    return kept, rest


def run_seed(sargs, split, seed):
    """Every measure of one seed (module docstring)."""
    row = next(r for r in rm.MAIN_ROWS
               if r.method == "BackTAL" and r.supervision == "background")
    fitted = {}
    started = time.perf_counter()
    result = rm.fit_row(row, sargs, split, seed, fitted)
    if "error" in result:
        raise RuntimeError(f"BackTAL (+ background clicks): {result['error']}")
    teacher = fitted[row.key()]
    print(f"  seed {seed} teacher {100 * np.mean(result['clean']):5.1f} "
          f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    clicks = split.clicks["background"]
    lengths = [len(x) for x in split.X_train]
    out = dict(seed=seed, stretches=stretch_statistics(split.train_truth, clicks, lengths),
               maps={"teacher": result["clean"]})

    def timed(name, fit):
        start = time.perf_counter()
        est = fit()
        out["maps"][name] = rm._evaluate(est, split).tolist()
        print(f"  seed {seed} {name:<14} {100 * np.mean(out['maps'][name]):5.1f} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
        return est

    # the default rules on the frozen teacher, as run_methods.refine_row
    refiner = timed("pseudo", lambda: sktal.PseudoLabelRefiner(
        FrozenEstimator(teacher), rm._detector(sargs, split, seed),
        random_state=seed).fit(split.X_train, split.y_train, clicks))
    pseudo = refiner.pseudo_segments_
    out["n_pseudo"] = sum(map(len, pseudo))
    out["pr"] = {str(t): rm.pseudo_precision_recall(pseudo, split.train_truth, t)
                 for t in PR_THRESHOLDS}
    recall = out["pr"]["0.5"][1]
    kept, rest = true_subset(split.train_truth, recall, seed)
    out["oracle_instances"] = sum(map(len, kept))
    timed("oracle", lambda: rm._detector(sargs, split, seed).fit(split.X_train, kept))
    timed("oracle_ignore", lambda: rm._detector(sargs, split, seed).fit(
        split.X_train, kept, ignore=[r[:, :2] for r in rest]))
    timed("ceiling", lambda: rm._detector(sargs, split, seed).fit(
        split.X_train, split.train_truth))
    return out


def print_suite(suite, description, runs, seeds):
    print(f"\n[{suite}] {description}")
    lines = []
    for r in runs:
        s = r["stretches"]
        n = max(s["instances"], 1)
        hist = " ".join(f"{c}" for c in s["per_stretch"])
        lines.append([str(r["seed"]), str(s["instances"]), str(s["clicks"]),
                      str(sum(s["per_stretch"])), hist, f"{100 * s['alone'] / n:.1f}",
                      str(s["on_click"]), str(s["contain_click"]), str(s["twins"])])
    rm.print_table(
        f"[{suite}] stretches of the training videos' background clicks",
        [("seed", "<6"), ("instances", ">10"), ("clicks", ">8"), ("stretches", ">11"),
         (f"per stretch 0 1 .. {MAX_BIN}+", ">24"), ("alone %", ">9"),
         ("on click", ">10"), ("contain click", ">15"), ("twins", ">7")],
        lines,
        notes=["an instance counts in the stretch holding its centre; 'per stretch': "
               f"stretches with 0, 1, ... {MAX_BIN} or more instances; 'alone %': "
               "instances alone in their stretch (the recall cap of one instance per "
               "stretch); 'on click': centre on a clicked snippet; 'twins': an "
               f"instance of another class at tIoU > {TWIN_TIOU}"])
    lines = [[str(r["seed"]), str(r["n_pseudo"]),
              *(f"{r['pr'][str(t)][0]:.2f} / {r['pr'][str(t)][1]:.2f}"
                for t in PR_THRESHOLDS), str(r["oracle_instances"])] for r in runs]
    rm.print_table(
        f"[{suite}] pseudo-instances of the default rules (background_rule='interval'):"
        f" precision / recall against the training ground truth",
        [("seed", "<6"), ("pseudo", ">8"), *((f"P / R @{t}", ">14") for t in
                                           PR_THRESHOLDS), ("oracle instances", ">18")],
        lines,
        notes=["oracle instances: the random subset of the true instances at the "
               "recall @0.5 (seeded by the seed)"])
    rm.print_table(
        f"[{suite}] test mAP %, mean ± std over seeds {list(seeds)}; detectors with "
        f"run_methods' detector budget",
        [("model", "<46"), *rm._MAP_COLUMNS],
        [[DETECTOR_LABELS[name], *(rm._cell(c) for c in
                                   rm._columns([r["maps"][name] for r in runs]))]
         for name in DETECTORS])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="thumos", choices=("thumos", "synthetic"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--data-dir", default=rm.THUMOS_DIR,
                        help="THUMOS14 timelines and clicks (--suite thumos)")
    parser.add_argument("--quick", action="store_true", help="smoke test (seconds)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--out", default=None, help="write the measures to this JSON file")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    run_argv = ["--suite", args.suite, "--methods", "BackTAL", "--ablations", "none",
                "--data-dir", args.data_dir, "--eval-every", "0",
                "--attention-every", "0", "--seeds", *map(str, args.seeds)]
    rargs = rm.parse_args(run_argv + ["--quick"] * args.quick)
    sargs = rm.suite_args(rargs, args.suite)
    description, make_split = rm._suite(args.suite, rargs)
    budget = {k: v for k, v in rm._budget(sargs).items() if k != "device"}
    print(f"sktal {sktal.__version__}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch thread(s); BackTAL (+ background clicks) "
          f"as run_methods' main table, budget {budget}; detector epochs "
          f"{sargs.detector_epochs or 'SegmentDetector default'}; seeds {rargs.seeds}")
    runs = [run_seed(sargs, make_split(seed), seed) for seed in rargs.seeds]
    print_suite(args.suite, description, runs, rargs.seeds)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"suite": args.suite, "seeds": rargs.seeds, "runs": runs}, fh,
                      indent=1)
        print(f"\nmeasures written to {args.out}")
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
