"""Paired differences between FS-PTAL configurations, from a ``run_methods.py --out`` file.

FS-PTAL whole (the defaults) and its LACP configuration (``ADDITIONS_OFF`` +
``LACP_PIECES``) differ in five settings; ``run_methods.py --methods FSPTAL
--ablations fsptal2,fsptal-lacp --out runs.json`` trains each of them switched one
at a time from either side. This prints, for every FS-PTAL configuration of the file,
its clean avg mAP 0.1:0.7 per seed and its paired difference (same seed, same split,
same clicks) against the whole row and against the LACP configuration, so that what
costs shows seed by seed rather than in means whose spread overlaps.

Usage (from the repository root)::

    python benchmarks/run_methods.py --methods FSPTAL --ablations fsptal2,fsptal-lacp \\
        --suite synthetic --out runs.json
    python benchmarks/fsptal_paired.py runs.json
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _official_lacp import ADDITIONS_OFF, LACP_PIECES  # noqa: E402
from run_methods import ABLATIONS, print_table  # noqa: E402


def _average(curve):
    return 100 * float(np.mean(curve))  # the seven thresholds 0.1:0.7


def paired_lines(runs):
    """Lines of :func:`print_table`: label, parameters, per-seed values, paired
    differences against the whole row and against the LACP configuration."""
    rows = {}
    for table in ABLATIONS.values():
        for r in table.rows if table.method == "FSPTAL" else ():
            rows.setdefault(tuple(sorted(_params(r.params).items())), r.label)
    lacp = tuple(sorted(_params({**ADDITIONS_OFF, **LACP_PIECES}).items()))
    by_config = {}
    for run in runs:
        if run["method"] != "FSPTAL" or "clean" not in run:
            continue
        key = tuple(sorted(_params(run["params"]).items()))
        by_config.setdefault(key, {})[run["seed"]] = _average(run["clean"])
    whole, base = by_config.get(()), by_config.get(lacp)
    lines = []
    for key, values in by_config.items():
        seeds = sorted(values)
        cells = [" / ".join(f"{values[s]:.1f}" for s in seeds),
                 f"{np.mean([values[s] for s in seeds]):.1f}"]
        for ref in (whole, base):
            common = [s for s in seeds if ref and s in ref]
            diff = np.array([values[s] - ref[s] for s in common])
            cells.append("-" if not common else
                         f"{diff.mean():+5.1f} ±{diff.std():4.1f} "
                         f"({' / '.join(f'{d:+.1f}' for d in diff)})")
        label = rows.get(key, ", ".join(f"{k}={v!r}" for k, v in key) or "defaults")
        lines.append([label, *cells])
    return lines


def _params(params):
    """Parameters without the budget's (every run of a suite has the same budget)."""
    budget = {"n_segments", "hidden_size", "dropout", "max_epochs", "lr", "batch_size",
              "device", "embedding_hidden_size", "n_rgb_features", "n_classes"}
    return {k: v for k, v in dict(params).items() if k not in budget}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", help="JSON file written by run_methods.py --out")
    args = parser.parse_args(argv)
    with open(args.runs) as fh:
        runs = json.load(fh)["runs"]
    for suite in sorted({r["suite"] for r in runs}):
        seeds = sorted({r["seed"] for r in runs if r["suite"] == suite})
        print_table(f"[{suite}] FS-PTAL configurations: clean avg mAP 0.1:0.7 (%) per "
                    f"seed {seeds}, mean, and paired difference (mean ± std, per seed) "
                    f"against FS-PTAL whole and against its LACP configuration",
                    [("row", "<38"), ("per seed", ">20"), ("mean", ">6"),
                     ("- whole", ">30"), ("- LACP config.", ">30")],
                    paired_lines([r for r in runs if r["suite"] == suite]))


if __name__ == "__main__":
    main()
