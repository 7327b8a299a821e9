"""``sktal evaluate``: detection mAP of an ActivityNet result JSON (no torch)."""
import json
import sys
import warnings

import numpy as np

from ._common import CLIError, add_common_options, require_path, writable_path

_THUMOS_TIOU = tuple(np.round(np.linspace(0.1, 0.7, 7), 2))

_ACTIVITYNET_TIOU = tuple(np.round(np.linspace(0.5, 0.95, 10), 2))


def _tiou_thresholds(values):
    """The ``--tiou`` values: numbers in [0, 1], or one of the presets."""
    from ..utils.validation import check_tiou_thresholds

    if values is None:
        return np.array(_THUMOS_TIOU)
    if len(values) == 1 and values[0].lower() in ("thumos", "activitynet"):
        return np.array(_THUMOS_TIOU if values[0].lower() == "thumos" else _ACTIVITYNET_TIOU)
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise CLIError(f"--tiou: expected numbers in [0, 1], 'thumos' or 'activitynet', "
                       f"got {' '.join(values)}") from None
    try:
        return check_tiou_thresholds(numbers, "--tiou")
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def run(args):
    """Run ``sktal evaluate``; return the exit status."""
    from ..metrics import evaluate_activitynet_json, format_map_table, map_summary

    thresholds = _tiou_thresholds(args.tiou)
    ground_truth = require_path(args.ground_truth, "--ground-truth")
    results = require_path(args.results, "--results")
    subset = args.subset  # matched as the loaders do: ignoring case
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            try:
                # the paths: the evaluator's messages (missing file, JSON, format)
                # then name the files
                result = evaluate_activitynet_json(ground_truth, results, thresholds,
                                                   subset=subset)
            finally:  # what did not match is said even when nothing did
                for warning in caught:
                    print(f"sktal: warning: {warning.message}", file=sys.stderr)
    except (ValueError, TypeError, KeyError) as exc:
        if args.debug:
            raise
        if isinstance(exc, ValueError):  # the evaluator's messages name the file
            raise CLIError(str(exc)) from None
        message = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise CLIError(f"{args.ground_truth} / {args.results}: {message}") from None
    if args.json is not None:
        text = json.dumps(map_summary(result), indent=1)
        if args.json == "-":
            print(text)
            return 0
        with open(writable_path(args.json, "--json"), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(f"detection mAP of {args.results}: {result.n_videos} videos, "
          f"{len(result.class_names)} classes with ground truth")
    print(format_map_table(result, per_class=args.per_class))
    return 0


def add_parser(commands):
    """Add the ``evaluate`` command to the subparsers ``commands``."""
    evaluate = commands.add_parser(
        "evaluate", help="detection mAP of a result JSON against the ground truth",
        description="Detection mAP of an ActivityNet-format result file against the "
                    "ground truth: a drop-in replacement of the classic eval_detection.py "
                    "that runs on current NumPy. Prints the mAP per tIoU threshold and the "
                    "usual averages in percent; --json gives the raw fractions.")
    evaluate.add_argument("--ground-truth", required=True, metavar="GT",
                          help="ground-truth JSON ({'database': {video: {'subset', "
                               "'annotations'}}})")
    evaluate.add_argument("--results", required=True, metavar="RESULTS",
                          help="result JSON ({'results': {video: [{'label', 'score', "
                               "'segment'}]}})")
    evaluate.add_argument("--subset", default=None,
                          help="evaluate only the ground-truth videos of this subset "
                               "(e.g. test, validation)")
    evaluate.add_argument("--tiou", nargs="+", default=None, metavar="T",
                          help="tIoU thresholds, or 'thumos' (0.1 ... 0.7, the default) or "
                               "'activitynet' (0.5 ... 0.95)")
    evaluate.add_argument("--per-class", action="store_true",
                          help="also print the AP of every class")
    evaluate.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                          help="write the numbers as JSON fractions (mAP, averages, AP per "
                               "class) to PATH, or to standard output instead of the table")
    add_common_options(evaluate)
    evaluate.set_defaults(func=run)
